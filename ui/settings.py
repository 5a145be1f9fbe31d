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
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import streamlit as st

KEEP: dict[str, str] = {"bind": "query-params", "persist_state": "session"}
GLOBAL_PARAMS = ("ws", "lang")  # query keys every page may carry (the workspace, the language)
MAX_SHOWN = 80  # characters of a rejected value repeated back to the learner


def snapshot() -> dict[str, list[str]]:
    """The query parameters as they were when the page started (every value of a repeated key)."""
    return {key: st.query_params.get_all(key) for key in st.query_params.keys()}


def same_value(text: str, value: Any, label: Callable[[Any], Any] | None = None) -> bool:
    """Does the query text stand for the widget's value? ("1e-3" is 0.001, "true" is True; a select
    with a format_func writes the label the learner sees, which stands for its option too.)"""
    if label is not None and text == str(label(value)):
        return True
    if isinstance(value, bool):
        return text.strip().lower() == str(value).lower()
    if str(value) == text:
        return True
    try:
        number = float(text)
    except ValueError:
        return False
    return isinstance(value, (int, float)) and math.isclose(number, float(value), rel_tol=1e-9, abs_tol=0.0)


def stands_for(texts: list[str], value: Any, label: Callable[[Any], Any] | None = None) -> bool:
    """Do the query values stand for the control's value (a multiselect's list: one text per choice)?"""
    if isinstance(value, (list, tuple)):
        return len(texts) == len(value) and all(same_value(t, v, label) for t, v in zip(texts, value, strict=True))
    return bool(texts) and same_value(texts[-1], value, label)


def ignored(raw: Mapping[str, str | list[str]], values: Mapping[str, Any],
            labels: Mapping[str, Callable[[Any], Any]] | None = None,
            also_known: Iterable[str] = GLOBAL_PARAMS) -> list[tuple[str, str, str]]:
    """(key, value, why) for each query parameter the page did not use: not one of its settings, or a
    value its control could not take (so the control shows something else, usually its default)."""
    known, labels = set(values) | set(also_known), labels or {}
    out = []
    for key, given in raw.items():
        texts = [given] if isinstance(given, str) else list(given)
        if key not in known:
            out.append((key, ", ".join(texts), "not a setting of this page"))
        elif key in values and not stands_for(texts, values[key], labels.get(key)):
            out.append((key, ", ".join(texts), "not a value this control can take, so it was not used"))
    return out


def seed_defaults(defaults: Mapping[str, Any], own_defaults: Mapping[str, Any]) -> None:
    """Put each control's starting value in session state before the control is drawn (a page whose defaults
    are not its controls' own: the trainer starts at the article's 5 epochs on a slider from 1).

    Except where the address asks for the control's own default (`own_defaults`: a slider's minimum, a select's
    first option, a toggle's False): Streamlit's binding takes an address value equal to the control's own
    default as "nothing to change" and keeps the session's value, so `?dt_epochs=1` or `?dt_fast=false` would
    open at 5 epochs, fast path on. Left unset, the control starts at its own default, which is what was asked.
    """
    for key, value in defaults.items():
        texts = st.query_params.get_all(key)
        if texts and key in own_defaults and stands_for(texts, own_defaults[key]):
            continue
        st.session_state.setdefault(key, value)


def quoted(text: str) -> str:
    """A value from the URL, shortened and shown as code (never as Markdown a stranger wrote)."""
    text = text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


def report_ignored(raw: Mapping[str, str | list[str]], keys: Iterable[str],
                   labels: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
    """A visible note for the query values the page could not use (after its widgets have run).

    labels: key -> the control's format_func, for controls that show (and so bind) labels, not options.
    """
    problems = ignored(raw, {key: st.session_state.get(key) for key in keys}, labels)
    if problems:
        from ui.i18n import tr

        lines = [f"- {quoted(key)} = {quoted(value)}: {tr(why)}" for key, value, why in problems[:10]]
        st.warning(tr("Some settings in this page's address were not used:") + "\n" + "\n".join(lines),
                   icon=":material/link_off:")
