"""Settings in the URL: what a page does with query values it cannot use."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from ui.settings import ignored, quoted, same_value


@pytest.mark.parametrize("text, value", [("12", 12), ("0.001", 0.001), ("1e-3", 0.001), ("true", True),
                                         ("relu", "relu"), ("False", False)])
def test_a_query_text_that_stands_for_the_value(text, value):
    assert same_value(text, value)


@pytest.mark.parametrize("text, value", [("13", 12), ("abc", 0.001), ("yes", True), ("tanh", "relu"),
                                         ("nan", 1.0), ("1e999", 3.0)])
def test_a_query_text_that_does_not(text, value):
    assert not same_value(text, value)


def test_ignored_names_unknown_keys_and_values_the_control_refused():
    raw = {"n": "12", "c": "zzz", "evil": "<script>", "ws": "abc"}
    assert ignored(raw, {"n": 12, "c": "a"}) == [
        ("c", "zzz", "not a value this control can take, so it was not used"),
        ("evil", "<script>", "not a setting of this page"),
    ]


def test_a_hostile_value_is_shown_as_short_code():
    shown = quoted("`![x](http://evil/x.png)`" + "a" * 500)
    assert shown.startswith("`'![x]") and shown.endswith("...`") and len(shown) < 100


def page(n_default: int = 5):
    import streamlit as st

    from ui import settings

    raw = settings.snapshot()
    st.slider("n", 1, 30, n_default, key="n", **settings.KEEP)
    st.selectbox("c", ["a", "b"], key="c", **settings.KEEP)
    settings.report_ignored(raw, ["n", "c"])


def test_a_page_takes_its_settings_from_the_url_and_notes_what_it_could_not_use():
    at = AppTest.from_function(page)
    at.query_params.update({"n": "12", "c": "zzz", "ws": "x", "<b>": "1e999"})
    at.run(timeout=30)
    assert not at.exception
    assert at.slider(key="n").value == 12 and at.selectbox(key="c").value == "a"
    note = at.warning[0].value
    assert "`c` = `zzz`" in note and "`<b>`" in note and "`ws`" not in note


def test_a_clean_url_gives_no_note():
    at = AppTest.from_function(page)
    at.query_params.update({"n": "7"})
    at.run(timeout=30)
    assert not at.exception and not at.warning and at.slider(key="n").value == 7


def test_a_label_written_by_a_format_func_and_a_multiselect_count_as_their_values():
    labels = {"init": lambda v: f"{v} (torch.randn)" if v == "normal" else v,
              "impls": lambda v: {"numpy": "1. numpy", "nn": "5. nn"}[v]}
    raw = {"init": ["normal (torch.randn)"], "impls": ["1. numpy", "5. nn"], "n": ["2.5"]}
    values = {"init": "normal", "impls": ["numpy", "nn"], "n": 2}
    assert ignored(raw, values, labels) == [("n", "2.5", "not a value this control can take, so it was not used")]
    assert ignored({"impls": ["1. numpy"]}, values, labels)[0][0] == "impls"
