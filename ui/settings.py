"""A page's settings in the URL and across page switches, with Streamlit's own widget binding.

Each control is created with `**ui.settings.KEEP` (`bind="query-params"`: the value lives in the URL,
so a reload or a shared link opens the same settings; `persist_state="session"`: it comes back when
the learner returns to the page). Streamlit drops a query value a widget cannot take and uses the
default; `report_ignored` then says so, instead of leaving the learner to wonder:

    raw = ui.settings.snapshot()            # first thing on the page: the query string as it came
    ... widgets with key=... and **KEEP ...
    ui.settings.report_ignored(raw, ["dt_hidden", "dt_epochs", ...])   # after them
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import streamlit as st

KEEP: dict[str, str] = {"bind": "query-params", "persist_state": "session"}
GLOBAL_PARAMS = ("ws", "lang")  # query keys every page may carry (the workspace, the language)
MAX_SHOWN = 80  # characters of a rejected value repeated back to the learner


def snapshot() -> dict[str, str]:
    """The query parameters as they were when the page started (the last value of a repeated key)."""
    return {key: st.query_params.get(key, "") for key in st.query_params.keys()}


def same_value(text: str, value: Any) -> bool:
    """Does the query text stand for the widget's value? ("1e-3" is 0.001, "true" is True.)"""
    if isinstance(value, bool):
        return text.strip().lower() == str(value).lower()
    if str(value) == text:
        return True
    try:
        number = float(text)
    except ValueError:
        return False
    return isinstance(value, (int, float)) and math.isclose(number, float(value), rel_tol=1e-9, abs_tol=0.0)


def ignored(raw: Mapping[str, str], values: Mapping[str, Any], also_known: Iterable[str] = GLOBAL_PARAMS
            ) -> list[tuple[str, str, str]]:
    """(key, value, why) for each query parameter the page did not use: not one of its settings, or a
    value its control could not take (so the control shows its default)."""
    known = set(values) | set(also_known)
    out = []
    for key, text in raw.items():
        if key not in known:
            out.append((key, text, "not a setting of this page"))
        elif key in values and not same_value(text, values[key]):
            out.append((key, text, "not a value this control can take; the default is used"))
    return out


def quoted(text: str) -> str:
    """A value from the URL, shortened and shown as code (never as Markdown a stranger wrote)."""
    text = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def report_ignored(raw: Mapping[str, str], keys: Iterable[str]) -> None:
    """A visible note for the query values the page could not use (after its widgets have run)."""
    problems = ignored(raw, {key: st.session_state.get(key) for key in keys})
    if problems:
        lines = [f"- {quoted(key)} = {quoted(value)}: {why}" for key, value, why in problems[:10]]
        st.warning("Some settings in this page's address were not used:\n" + "\n".join(lines),
                   icon=":material/link_off:")
