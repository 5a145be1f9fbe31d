"""A page's settings in the URL and across page switches: Streamlit's own widget binding, and `choice`.

Each control is created with `**ui.settings.KEEP` (`bind="query-params"`: the value lives in the URL,
so a reload or a shared link opens the same settings; `persist_state="session"`: it comes back when
the learner returns to the page). Streamlit drops a query value a widget cannot take and uses the
default; `report_ignored` then says so, instead of leaving the learner to wonder:

    raw = ui.settings.snapshot()            # first thing on the page: the query string as it came
    ... widgets with key=... and **KEEP ...
    ui.settings.report_ignored(raw, ["dt_hidden", "dt_epochs", ...])   # after them

A choice control whose options the learner reads as words (a select, radio, multiselect, segmented control, pills
or select slider) is made with `choice` instead: Streamlit's binding would write the label it shows into the URL,
and that label changes with the language. `choice` keeps the option itself in the URL (`?pg_problem=spiral`), so a
link opens the same choice in English and in Chinese, and shows the labels translated:

    problem = ui.settings.choice(st.selectbox, tr("Problem"), PROBLEMS, labels=PROBLEM_TITLES, key="pg_problem")
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from pytorch_explorer.i18n import translate
from ui.i18n import lang, tr

KEEP: dict[str, str] = {"bind": "query-params", "persist_state": "session"}
GLOBAL_PARAMS = ("ws", "lang")  # query keys every page may carry (the workspace, the language)
MAX_SHOWN = 80  # characters of a rejected value repeated back to the learner
CHOICES = "_url_choices"  # session key: query key -> Choice, for the controls made by `choice`
MISSING = object()  # a URL text that stands for none of a control's options


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
            also_known: Iterable[str] = GLOBAL_PARAMS,
            choices: Mapping[str, Choice] | None = None) -> list[tuple[str, str, str]]:
    """(key, value, why) for each query parameter the page did not use: not one of its settings, or a
    value its control could not take (so the control shows something else, usually its default).
    choices: how the controls made by `choice` read their URL texts."""
    known, labels, choices = set(values) | set(also_known), labels or {}, choices or {}
    out = []
    for key, given in raw.items():
        texts = [given] if isinstance(given, str) else list(given)
        if key not in known:
            out.append((key, ", ".join(texts), "not a setting of this page"))
        elif key in values and not (choices[key].took(texts, values[key]) if key in choices
                                    else stands_for(texts, values[key], labels.get(key))):
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
    problems = ignored(raw, {key: st.session_state.get(key) for key in keys}, labels,
                       choices=st.session_state.get(CHOICES))
    if problems:
        lines = [f"- {quoted(key)} = {quoted(value)}: {tr(why)}" for key, value, why in problems[:10]]
        st.warning(tr("Some settings in this page's address were not used:") + "\n" + "\n".join(lines),
                   icon=":material/link_off:")


# ---------------------------------------------------------------- choices kept in the URL by their option
@dataclass
class Choice:
    """How a control made by `choice` reads its URL texts, and the texts this session left in the URL."""

    options: dict[str, Any]  # an option by its str(), and by its English label (what links carried before)
    many: bool  # a multiselect (one URL value a choice), or a control with one value
    clearable: bool  # one that can hold nothing (a select with index=None, pills): `?key=` empties it
    written: list[str]  # in the URL after this run ([] for the starting value: no parameter)
    earlier: list[str]  # in the URL after the run before (what this run found there, unless asked otherwise)
    language: str  # of the labels the control showed

    def option(self, text: str) -> Any:
        """The option a URL text names (any case: `?pg_optimizer=ADAM` from the days of labels), or MISSING."""
        if text in self.options:
            return self.options[text]
        return next((o for t, o in self.options.items() if t.casefold() == text.strip().casefold()), MISSING)

    def value(self, texts: list[str]) -> Any:
        """The value the URL's texts stand for, or MISSING when one of them names no option."""
        if texts == [""]:
            return [] if self.many else None if self.clearable else MISSING
        found = [self.option(t) for t in texts]
        if MISSING in found:
            return MISSING
        return found if self.many else found[-1]

    def took(self, texts: list[str], value: Any) -> bool:
        """Did the control use these URL texts? (Those this session wrote itself are its own value, or were.)"""
        return texts in (self.earlier, self.written) or self.value(texts) == value


def _default(kind: str, options: list[Any], many: bool, kwargs: dict[str, Any]) -> Any:
    """The control's starting value, taken out of its arguments (the session holds it from the first run)."""
    if kind == "select_slider":
        return kwargs.pop("value", options[0] if options else None)
    if kind in ("selectbox", "radio"):
        index = kwargs.pop("index", 0)
        if index is None:
            kwargs["index"] = None  # no selection until the learner makes one
        return options[index] if index is not None and options else None
    default = kwargs.pop("default", None)
    if many:
        return [] if default is None else list(default) if isinstance(default, (list, tuple)) else [default]
    return default


def choice(widget: Callable[..., Any], label: str, options: Iterable[Any], *, key: str,
           labels: Mapping[Any, str] | Callable[[Any, str], str] | None = None, **kwargs: Any) -> Any:
    """A choice control (`widget`: st.selectbox, column.radio, st.multiselect, ...) whose value is kept in the URL
    by its option's str() (`?pg_problem=spiral`, the same in every language; a multiselect repeats the key) and
    across page switches, while its options show in the session's language.

    labels: an option's label, as a mapping option -> English text (shown through the Chinese catalogue), or
    as a function (option, language) -> text; without it, str(option) translated. A link from before, which
    carried the English label (`?pg_problem=Spiral`), opens the same choice. A URL value the control cannot take
    leaves the control as it was and is dropped from the URL; report_ignored names it. The starting value (index=,
    value=, default= as the widget takes them) is not written into the URL, as Streamlit's own binding does not.

    The URL is written by hand, as ui.i18n.language_switch writes ?lang=: a text that changed since this session
    last wrote it (a link, a reload, the browser's back button) sets the control; otherwise the session's value
    (the learner's last choice, kept across pages) goes into the URL.
    """
    options, kind, language = list(options), getattr(widget, "__name__", ""), lang()
    many = kind == "multiselect" or kwargs.get("selection_mode") == "multi"
    default = _default(kind, options, many, kwargs)
    label_in = labels if callable(labels) else (
        lambda option, shown_in, titles=labels or {}: translate(titles.get(option, str(option)), shown_in))
    known = {}
    for option in options:  # its str() first: an English label that is another option's value does not win
        known.setdefault(str(option), option)
    for option in options:
        known.setdefault(str(label_in(option, "en")), option)
    choices = st.session_state.setdefault(CHOICES, {})
    earlier = choices[key].written if key in choices else []
    clearable = ("index" in kwargs if kind in ("selectbox", "radio")
                 else kind in ("segmented_control", "pills") and not kwargs.get("required"))
    found = Choice(known, many, clearable, earlier, earlier, language)
    if key in choices and choices[key].language != language and key in st.session_state:
        st.session_state[key] = st.session_state[key]  # new labels: the browser, which shows the old one, is told
    texts = st.query_params.get_all(key)
    if texts and texts != earlier:
        value = found.value(texts)
        if value is MISSING and many:  # keep the options it does name; report_ignored names the rest
            value = list(dict.fromkeys(o for o in map(found.option, texts) if o is not MISSING)) or MISSING
        if value is not MISSING:
            st.session_state[key] = value
    st.session_state.setdefault(key, default)
    value = widget(label, options, key=key, persist_state="session", format_func=lambda option, shown_in=language: (
        label_in(option, shown_in) if option in options else str(option)), **kwargs)
    # (the language captured: AppTest calls a format_func outside the run, where lang() does not know the session;
    # a value that is no option, a label the browser sent, is not dressed as one: Streamlit then resets the control)
    now = list(value or []) if many else value
    if now == default:
        found.written = []
    elif many:
        found.written = [str(o) for o in now] or [""]  # none chosen: `?key=`
    else:
        found.written = ["" if now is None else str(now)]
    if st.query_params.get_all(key) != found.written:
        if found.written:
            st.query_params[key] = found.written if many else found.written[0]
        elif key in st.query_params:
            del st.query_params[key]
    choices[key] = found
    return value
