"""Runs: every training run of this workspace in one table, filtered by page and data source; several runs'
curves on one chart; one run renamed, deleted, exported, or opened in the probe; a .pt file imported.

The runs come from the server's run store (ui.workspace.run_store), always for this browser's workspace;
the widgets live in ui/runs.py, the table rows and curves in pytorch_explorer.runs.views.
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.runs import views
from ui import code_expander, friendly_errors, settings
from ui import runs as view
from ui.i18n import tr
from ui.workspace import run_store, workspace

st.title(tr("Runs"))
st.write(tr(
    "Every model you trained in this workspace, kept on the server: it survives page switches, reloads and "
    "restarts. Compare runs' curves, rename or delete them, download one (its metrics as JSON or CSV, its "
    "model as a `.pt` file), open its model in the probe, or import a `.pt` file."
))
raw = settings.snapshot()
store, ws = run_store(), workspace()
view.show_flash()

# ----------------------------------------------------------------------------- load: this workspace's runs
records = store.list_runs(ws)
if not records:
    st.info(tr("No runs in this workspace yet. Train the digit model on the trainer page (a small one takes a few "
               "seconds): each run lands here with its loss and accuracy curves and its model. This workspace is "
               "the `ws` in the page's address: bookmark it to come back to your runs from another tab or a "
               "restart."), icon=":material/history:")
    st.page_link("pages/digits_trainer.py", label=tr("Train a digit model"), icon=":material/model_training:")
    st.page_link("pages/digits_compare.py", label=tr("Or fit a scikit-learn baseline"), icon=":material/compare:")
    view.import_box(store, ws, expanded=True)
    code_expander(views.load_code(), tr("PyTorch code"))
    settings.report_ignored(raw, view.FILTER_KEYS)
    st.stop()

# ----------------------------------------------------------------------------- controls and show
labels = views.run_labels(records)
shown = view.filters(records)
if not shown:
    st.info(tr("No run matches both filters."), icon=":material/filter_alt_off:")
else:
    view.table(shown)
    view.overlay(store, ws, shown, labels)
    st.subheader(tr("One run"))
    record = view.choose_run(shown, labels)
    with friendly_errors(tr("That")):
        view.actions(store, ws, record)
view.import_box(store, ws)

selected = next((r for r in shown if r.id == st.session_state.get("runs_selected")), None)
code_expander(views.run_code(selected) if selected else views.load_code(),
              tr("scikit-learn code") if selected and selected.kind == views.BASELINE_KIND else tr("PyTorch code"))
settings.report_ignored(raw, view.FILTER_KEYS)
