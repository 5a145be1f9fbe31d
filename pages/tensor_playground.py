"""Tensor playground page (being built)."""

import streamlit as st

st.title("Tensor playground")
st.info("This page is being built.")
