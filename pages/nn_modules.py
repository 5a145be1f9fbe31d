"""nn modules: being built in this session (a helper owns this file and replaces it)."""

import streamlit as st

st.title("nn modules")
st.info("This page is being built.")
