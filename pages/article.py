"""Read the article: the article the app grows from, section by section, in English or in its original
Chinese (the sidebar's switch, ?lang=en|zh), every snippet a cell that runs, each defect of its code marked where it stands."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.article import language
from pytorch_explorer.article.text import UI, article
from ui import article as view
from ui.i18n import lang as chosen_language
from ui.workspace import workspace

raw_query = ui.settings.snapshot()  # the address as it came, before the controls take it
ws = workspace()
lang = language(chosen_language())  # the sidebar's English / 中文 switch (?lang=en|zh), as the whole app
text, words = article(lang), UI[lang]
st.title(text.title)
st.write(words["intro"])
with st.expander(words["contents"]):
    st.markdown("\n".join(f"{i}. {section.title}" for i, section in enumerate(text.sections, start=1)))

for section in text.sections:
    st.header(section.title, divider="gray")
    for item in section.blocks:
        view.block(item, lang, ws)

ui.code_expander(view.code_of_runs(), title=words["code"])
ui.settings.report_ignored(raw_query, [])
