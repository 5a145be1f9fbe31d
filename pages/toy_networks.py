"""Toy networks page (being built)."""

import streamlit as st

st.title("Toy networks")
st.info("This page is being built.")
