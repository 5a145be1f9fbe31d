"""Small Streamlit helpers shared by the pages (the only UI module outside pages/)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from pytorch_explorer.core.errors import ExplorerError


def code_expander(code: str, title: str = "PyTorch code", expanded: bool = False) -> None:
    """The expander every page ends with: the code that reproduces what the page just did."""
    with st.expander(title, expanded=expanded):
        st.code(code, language="python", wrap_lines=True)


@contextmanager
def friendly_errors(what: str = "That") -> Iterator[None]:
    """Turn a learner-fixable error into st.error instead of a traceback."""
    try:
        yield
    except ExplorerError as exc:
        st.error(str(exc))
        show_hint(exc)
    except (ValueError, TypeError, RuntimeError) as exc:
        st.error(f"{what} did not work: {exc}")
        show_hint(exc)


def show_hint(error: BaseException) -> None:
    """Under PyTorch's own message, a learner's hint when one fits (dtype, shape, in-place, ...)."""
    from pytorch_explorer.tensors.hints import hint_for

    hint = hint_for(error)
    if hint:
        st.info(f"**Hint:** {hint}")


def model_shelf():
    """This browser session's ModelShelf: the digit models and runs the trainer and probe pages share."""
    from pytorch_explorer.digits.shelf import ModelShelf

    return st.session_state.setdefault("model_shelf", ModelShelf())
