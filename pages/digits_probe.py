"""Digits: probe page (being built)."""

import streamlit as st

st.title("Digits: probe")
st.info("This page is being built.")
