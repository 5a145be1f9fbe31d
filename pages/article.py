"""Read the article: being built in this session (a helper owns this file and replaces it)."""

import streamlit as st

st.title("Read the article")
st.info("This page is being built.")
