"""Whose runs: each browser gets a workspace, a random id kept in the URL (`?ws=...`) and the session.

A reload or a bookmarked link opens the same workspace, so its runs and models come back; a browser
without the id gets a new, empty one. The run store and the job runner are one per server
(`st.cache_resource`), shared by every session, which only ever sees its own workspace's runs.
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.jobs import JobRunner, shared_runner
from pytorch_explorer.runs import RunStore, is_workspace_id, new_workspace_id

SESSION_KEY = "workspace"
QUERY_KEY = "ws"


@st.cache_resource(show_spinner=False)
def run_store() -> RunStore:
    """The server's run store (data/runs, or $PTE_DATA_DIR/runs)."""
    return RunStore()


@st.cache_resource(show_spinner=False)
def job_runner() -> JobRunner:
    """The server's job runner: training runs in worker processes, outside the web server."""
    return shared_runner(run_store())


def workspace() -> str:
    """This browser's workspace id, taken from the URL the first time, kept in the URL on every page."""
    ws = st.session_state.get(SESSION_KEY)
    if ws is None:
        given = st.query_params.get(QUERY_KEY)
        if given and is_workspace_id(given):
            ws = given
        else:
            ws = new_workspace_id()
            if given:
                st.session_state["workspace_note"] = (
                    "The workspace in this page's address is not a valid workspace id, so a new, empty "
                    "workspace was opened.")
        st.session_state[SESSION_KEY] = ws
    if st.query_params.get(QUERY_KEY) != ws:
        st.query_params[QUERY_KEY] = ws
    if "workspace_note" in st.session_state:
        from ui.i18n import tr

        st.warning(tr(st.session_state.pop("workspace_note")), icon=":material/link_off:")
    return ws
