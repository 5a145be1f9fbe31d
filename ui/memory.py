"""Per-session memory released when the session ends.

Streamlit keeps a disconnected session's state for a while (so that a network blip can resume it) and
drops it lazily. A page that holds large things in session state (the tensor playground's tensors and
last result) registers their containers here: when the session disconnects, Streamlit releases this
session-scoped resource, the containers are emptied in place and the freed memory is handed back to the
OS (`core.memory.release_freed_memory`). A session that comes back finds them empty, and the page
rebuilds what it can from its recipes.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from pytorch_explorer.core.memory import release_freed_memory


def release(held: dict[int, Any]) -> None:
    """Empty every registered container, then give the freed memory back (Streamlit's on_release)."""
    for container in held.values():
        container.clear()
    held.clear()
    release_freed_memory()


@st.cache_resource(scope="session", on_release=release, show_spinner=False)
def held_by_session() -> dict[int, Any]:
    """The containers this session registered (by id), released when it disconnects."""
    return {}


def drop_when_session_ends(container: MutableMapping) -> None:
    """Empty `container` (a dict kept in session state) when this session disconnects."""
    held_by_session()[id(container)] = container
