"""Digits: compare: being built in this session (a helper owns this file and replaces it)."""

import streamlit as st

st.title("Digits: compare")
st.info("This page is being built.")
