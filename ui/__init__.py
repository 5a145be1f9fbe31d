"""Small Streamlit helpers shared by the pages (the only UI module outside pages/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import streamlit as st

from pytorch_explorer.core.errors import ExplorerError

if TYPE_CHECKING:
    from pytorch_explorer.digits.shelf import StoreShelf


def code_expander(code: str, title: str = "PyTorch code", expanded: bool = False) -> None:
    """The expander every page ends with: the code that reproduces what the page just did."""
    from ui.i18n import tr

    with st.expander(tr(title), expanded=expanded):  # a title already translated is its own key: unchanged
        st.code(code, language="python", wrap_lines=True)


def error_text(error: BaseException) -> str:
    """An exception's message for the learner: a package error in this session's language, others as they say."""
    from pytorch_explorer.core.errors import message

    from ui.i18n import lang

    return message(error, lang())


@contextmanager
def friendly_errors(what: str = "That") -> Iterator[None]:
    """Turn a learner-fixable error into st.error instead of a traceback."""
    from ui.i18n import tr

    try:
        yield
    except ExplorerError as exc:
        st.error(error_text(exc))
        show_hint(exc)
    except (ValueError, TypeError, RuntimeError) as exc:
        st.error(tr("{what} did not work: {error}", what=tr(what), error=exc))
        show_hint(exc)


def show_hint(error: BaseException) -> None:
    """Under PyTorch's own message, a learner's hint when one fits (dtype, shape, in-place, ...)."""
    from pytorch_explorer.tensors.hints import hint_text

    from ui.i18n import lang, tr

    hint = hint_text(error, lang())
    if hint:
        st.info(tr("**Hint:** {hint}", hint=hint))


def checked_once(key: str, signature: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """`core.bounded.check(fn, ...)` (the hard time and memory budget) once per signature in this session:
    a page that reruns on every widget change does not pay for the check again, and a refusal is raised
    again (from memory) until the input changes."""
    from pytorch_explorer.core.bounded import check
    from pytorch_explorer.core.errors import BudgetError

    memo = st.session_state.get(key)
    if not (isinstance(memo, tuple) and memo[0] == signature):
        try:
            check(fn, *args, **kwargs)
            memo = (signature, "")
        except BudgetError as exc:
            memo = (signature, error_text(exc))
        st.session_state[key] = memo
    if memo[1]:
        raise BudgetError(memo[1])


def model_shelf() -> StoreShelf:
    """This workspace's StoreShelf: the digit runs and models (in the run store) the trainer and probe pages
    share. One object a session (it keeps the loaded models and the chosen one), made again for a new
    workspace or store."""
    from pytorch_explorer.digits.shelf import StoreShelf
    from ui.workspace import run_store, workspace

    ws, store = workspace(), run_store()
    shelf = st.session_state.get("model_shelf")
    if not isinstance(shelf, StoreShelf) or shelf.workspace != ws or shelf.store is not store:
        shelf = st.session_state["model_shelf"] = StoreShelf(store, ws)
    return shelf
