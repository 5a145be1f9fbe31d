"""The language switch (English / 中文) and `tr`, the one way a page's text reaches the screen translated.

The switch sits in the sidebar on every page (app.py draws it before the page runs), its value in the URL
(`?lang=zh`) and kept across pages; `tr("text")` gives the text in the chosen language
(`pytorch_explorer.i18n`), `tr("Epoch {n}", n=3)` fills placeholders after translating.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from pytorch_explorer.i18n import DEFAULT, LANGUAGES, language, translate

KEY = "lang"  # the query parameter (ui.settings.GLOBAL_PARAMS) and the widget's session key


def lang() -> str:
    """"en" or "zh": the switch's value in this session (from the URL on a first visit)."""
    chosen = st.session_state.get(KEY)
    if chosen is None:
        chosen = st.query_params.get(KEY, DEFAULT)
    return language(chosen)


def tr(text: str, **values: Any) -> str:
    """`text` in this session's language, its {placeholders} filled with `values`."""
    out = translate(text, lang())
    return out.format(**values) if values else out


def language_switch() -> str:
    """The sidebar's English / 中文 control; the language it says, kept in the URL (?lang=zh) on every page.

    The URL is written by hand rather than with the widget's own binding: a bound control with labels
    writes its label (`?lang=中文`), and the address learners share should read `?lang=zh`."""
    if st.session_state.get(KEY) not in LANGUAGES:
        st.session_state[KEY] = language(st.query_params.get(KEY, DEFAULT))  # ?lang=zh-CN or nonsense: zh or en
    st.sidebar.segmented_control("Language / 语言", list(LANGUAGES), format_func=LANGUAGES.get, key=KEY,
                                 required=True)
    chosen = lang()
    if chosen == DEFAULT:
        if KEY in st.query_params:
            del st.query_params[KEY]
    elif st.query_params.get(KEY) != chosen:
        st.query_params[KEY] = chosen
    return chosen
