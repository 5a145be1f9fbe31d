"""Workspaces and run ids: random names, checked strictly wherever one comes from outside (a URL, a cookie).

A workspace is the random id one browser keeps (in its URL or a cookie); every run belongs to exactly
one, and the store answers only for the workspace it is asked about. Ids are `secrets.token_urlsafe`
strings; anything else (a path, an SQL fragment, a too long or too short string) is a WorkspaceError,
never a lookup.
"""

from __future__ import annotations

import re
import secrets

from pytorch_explorer.core.errors import ExplorerError

WORKSPACE_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # token_urlsafe(16): 128 random bits
RUN_ID = re.compile(r"[0-9a-f]{16}")  # token_hex(8)


class WorkspaceError(ExplorerError, ValueError):
    """A workspace or run id that is not one this app made: ignore it and start a new workspace."""


class RunNotFound(ExplorerError, KeyError):
    """No run with that id in this workspace (it was deleted, or it belongs to another workspace)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "no such run"


def new_workspace_id() -> str:
    """A fresh random workspace id (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def new_run_id() -> str:
    """A fresh random run id (16 hex digits)."""
    return secrets.token_hex(8)


def is_workspace_id(text: object) -> bool:
    """Whether `text` has exactly the shape new_workspace_id gives (use it to decide to start a new one)."""
    return isinstance(text, str) and WORKSPACE_ID.fullmatch(text) is not None


def check_workspace_id(text: object) -> str:
    """`text` if it is a well-formed workspace id, else a WorkspaceError (its value is never echoed in full)."""
    if not is_workspace_id(text):
        raise WorkspaceError("{shown} is not a workspace id: a new workspace was started instead.",
                             shown=repr(text)[:24])
    return str(text)


def check_run_id(text: object) -> str:
    """`text` if it is a well-formed run id, else a RunNotFound (a malformed id names no run)."""
    if not (isinstance(text, str) and RUN_ID.fullmatch(text)):
        raise RunNotFound("{shown} is not a run id.", shown=repr(text)[:24])
    return str(text)
