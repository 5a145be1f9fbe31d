"""Digits: train page (being built)."""

import streamlit as st

st.title("Digits: train")
st.info("This page is being built.")
