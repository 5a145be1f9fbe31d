"""Autograd explorer page (being built)."""

import streamlit as st

st.title("Autograd explorer")
st.info("This page is being built.")
