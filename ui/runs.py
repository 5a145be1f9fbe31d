"""Widgets of the Runs page: the filters, the table, the overlay, one run's actions, the import.

Session keys (all `runs_*`): runs_kind and runs_source (filters, kept in the URL), runs_compare (the runs
overlaid), runs_selected (the run the actions act on), runs_name_<id> (its rename box), runs_confirm
(the run a delete waits to be confirmed for), runs_upload_<n> (the import box; n grows to empty it),
runs_flash (what the last action did, shown once). "Open in the probe" leaves the run's name in
`probe_model_name` (session and URL) for the probe page.
"""

from __future__ import annotations

import time

import streamlit as st

from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits.training.messages import run_message
from pytorch_explorer.runs import RunRecord, RunStore, export_csv, export_json, import_checkpoint
from pytorch_explorer.runs import views
from ui import error_text
from ui.i18n import lang, tr
from ui.settings import choice

PROBE_PAGE = "pages/digits_probe.py"
PROBE_MODEL_KEY = "probe_model_name"  # read by the probe page: the model to open
FILTER_KEYS = ["runs_kind", "runs_source"]



def column_config() -> dict:
    """The table's columns: headers in the learner's language (the data keep views.COLUMNS' names)."""
    return {
        "name": tr("name"), "page": tr("page"), "model": tr("model"), "status": tr("status"),
        "source": tr("data source"), "device": tr("device"), "duration": tr("duration"),
        "accuracy": st.column_config.NumberColumn(tr("val. accuracy"), format="percent"),
        "fit/train s": st.column_config.NumberColumn(tr("fit/train s"), format="%.2f", help=tr(
            "Seconds spent fitting (a scikit-learn baseline) or training (a PyTorch run)")),
        "samples/s": st.column_config.NumberColumn(tr("samples/s"), format="localized"),
        "started": st.column_config.DatetimeColumn(tr("started"), format="YYYY-MM-DD HH:mm"),
    }


def flash(kind: str, text: str) -> None:
    """Say what an action did, on the next run of the page (callbacks run before the page draws)."""
    st.session_state["runs_flash"] = (kind, text)


def show_flash() -> None:
    if "runs_flash" in st.session_state:
        kind, text = st.session_state.pop("runs_flash")
        getattr(st, kind)(text)


def filters(records: list[RunRecord]) -> list[RunRecord]:
    """The page and data-source filters (kept in the URL: the English page name, the source); the runs they let
    through."""
    pages, sources = views.filter_options(records)
    left, right = st.columns(2)
    page = choice(left.selectbox, tr("Page"), pages, key="runs_kind", help=tr("The page that made the run."))
    source = choice(right.selectbox, tr("Data source"), sources, key="runs_source")
    return views.filter_runs(records, page, source)


def table(records: list[RunRecord]) -> None:
    st.dataframe(views.run_rows(records, time.time(), lang()), column_order=views.COLUMNS,
                 column_config=column_config(), hide_index=True)


def overlay(store: RunStore, workspace: str, records: list[RunRecord], labels: dict[str, str]) -> None:
    """Pick runs; their loss and validation-accuracy curves on one chart."""
    chosen = st.multiselect(tr("Overlay the curves of"), [r.id for r in records], key="runs_compare",
                            format_func=labels.__getitem__, placeholder=tr("Pick two or more runs to compare"))
    if not chosen:
        return
    series = views.overlay_series(store, workspace, chosen, labels)
    st.plotly_chart(views.runs_overlay_figure(series, lang()), key="runs_overlay")
    empty = [label for label, s in series.items() if not s["loss_steps"] and not s["epoch_val_acc"]]
    if empty:
        st.caption(tr("No curves recorded for {runs} (an imported model keeps its weights, not its training "
                      "history; a scikit-learn baseline is fitted in one call, with no curve).",
                      runs=", ".join(as_code(label) for label in empty)))


def choose_run(records: list[RunRecord], labels: dict[str, str]) -> RunRecord:
    ids = [r.id for r in records]
    if st.session_state.get("runs_selected") not in ids:
        st.session_state["runs_selected"] = ids[0]
    chosen = st.selectbox(tr("Run"), ids, key="runs_selected", format_func=labels.__getitem__)
    return next(r for r in records if r.id == chosen)


def _rename(store: RunStore, workspace: str, run_id: str) -> None:
    try:
        record = store.rename(workspace, run_id, st.session_state[f"runs_name_{run_id}"])
    except ExplorerError as exc:
        flash("error", error_text(exc))  # the store's message, in Chinese where the catalogue has it
    else:
        flash("success", tr("Renamed to {name}.", name=as_code(record.name)))


def _delete(store: RunStore, workspace: str, run_id: str) -> None:
    st.session_state.pop("runs_confirm", None)
    try:
        name = store.get(workspace, run_id).name
        store.delete(workspace, run_id)
    except ExplorerError as exc:
        flash("error", error_text(exc))
        return
    st.session_state.pop("runs_selected", None)
    st.session_state["runs_compare"] = [i for i in st.session_state.get("runs_compare", []) if i != run_id]
    flash("success", tr("Deleted {name}, its curves and its checkpoint.", name=as_code(name)))


def actions(store: RunStore, workspace: str, record: RunRecord) -> None:
    """Rename, delete (after a confirmation), export, open in the probe: for one run."""
    about = f"{views.page_of(record.kind, lang())} · {views.status_label(record.status, lang())}"
    st.caption(about + (f" · {escape_markdown(run_message(record, lang()))}" if record.message else ""))  # its message as stored
    rename, rename_button, delete = st.columns([4, 1, 1], vertical_alignment="bottom")
    rename.text_input(tr("Name"), record.name, key=f"runs_name_{record.id}", max_chars=120)
    rename_button.button(tr("Rename"), on_click=_rename, args=(store, workspace, record.id), key="runs_rename")
    if st.session_state.get("runs_confirm") == record.id:
        st.warning(tr("Delete {name} for good, with its curves and its checkpoint?", name=as_code(record.name)))
        yes, no = st.columns(2)
        yes.button(tr("Yes, delete it"), type="primary", key="runs_delete_yes", on_click=_delete,
                   args=(store, workspace, record.id))
        no.button(tr("Keep it"), key="runs_delete_no", on_click=st.session_state.pop, args=("runs_confirm", None))
    else:
        delete.button(tr("Delete..."), key="runs_delete", disabled=record.active,
                      help=tr("Stop the run on its page first.") if record.active else None,
                      on_click=st.session_state.__setitem__, args=("runs_confirm", record.id))
    stem = views.file_stem(record.name)
    json_col, csv_col, pt_col, probe_col = st.columns(4)
    json_col.download_button(tr("Run as JSON"), export_json(store, workspace, record.id), f"{stem}.json",
                             "application/json", key="runs_json", icon=":material/data_object:")
    csv_col.download_button(tr("Metrics as CSV"), export_csv(store, workspace, record.id), f"{stem}.csv",
                            "text/csv", key="runs_csv", icon=":material/table:")
    has_model = record.checkpoint is not None and record.checkpoint.exists()
    no_model = (tr("A scikit-learn baseline has no PyTorch model file: refit it on the compare page.")
                if record.kind == views.BASELINE_KIND else
                tr("No checkpoint yet: one is written at the end of each epoch."))
    pt_col.download_button(tr("Model (.pt)"), lambda: store.checkpoint_bytes(workspace, record.id), f"{stem}.pt",
                           "application/octet-stream", key="runs_pt", icon=":material/download:",
                           disabled=not has_model, help=None if has_model else no_model)
    if probe_col.button(tr("Open in the probe"), key="runs_probe", icon=":material/draw:",
                        disabled=not has_model or record.kind != "digits"):
        st.session_state[PROBE_MODEL_KEY] = record.name
        st.switch_page(PROBE_PAGE, query_params={"ws": workspace, PROBE_MODEL_KEY: record.name})


def _import(store: RunStore, workspace: str, upload_key: str) -> None:
    upload, name = st.session_state.get(upload_key), st.session_state.get("runs_import_name", "")
    if upload is None:
        flash("warning", tr("Choose a .pt file first."))
        return
    try:
        run_id = import_checkpoint(store, workspace, upload.getvalue())  # its errors repeat no text of the user's
        if name.strip():
            store.rename(workspace, run_id, name)
    except ExplorerError as exc:
        flash("error", tr("{error} Nothing was added to your runs.", error=error_text(exc)))
        return
    st.session_state["runs_upload_n"] += 1  # a fresh, empty upload box
    st.session_state["runs_import_name"] = ""
    st.session_state["runs_selected"] = run_id
    flash("success", tr("Imported {name}.", name=as_code(store.get(workspace, run_id).name)))


def import_box(store: RunStore, workspace: str, expanded: bool = False) -> None:
    """Upload a .pt file: checked (weights_only=True) and kept as a finished run, or refused with a reason."""
    with st.expander(tr("Import a model file (.pt)"), icon=":material/upload:", expanded=expanded):
        upload_key = f"runs_upload_{st.session_state.setdefault('runs_upload_n', 0)}"
        st.file_uploader(tr("A model saved by PyTorch Explorer (the trainer's or this page's .pt download)"),
                         type=["pt", "pth"], key=upload_key)
        st.text_input(tr("Name it (optional)"), key="runs_import_name", max_chars=120)
        st.button(tr("Import"), key="runs_import", type="primary", on_click=_import,
                  args=(store, workspace, upload_key))
