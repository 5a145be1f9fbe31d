"""Digits: train. The article's digit MLP (or LeNet-5, or a CNN of your own) trained live, as the article
wrote it or done right, with its predictions on 40 validation digits redrawn as it learns.

Train submits the run as a job (ui.workspace.job_runner(): a worker process, outside the web server) and
the page only reads the run store: a fragment that reruns itself while the run is active polls the run's
state and its newer readings (RunCurves) and redraws them. The run keeps training when the learner
switches pages or closes the tab; coming back (or a reload) re-attaches to the workspace's active run.
Stop asks the runner to stop it (the worker ends it within a second and keeps the partial model). Every
finished run and its model is on the workspace's model shelf (ui.model_shelf(), the run store), shared
with the probe page. Wording, the code shown and the helpers: ui/digits_trainer.py.
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.core.text import as_code
from pytorch_explorer.core.devices import device_choices
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits.data import describe_source
from pytorch_explorer.digits.data.mnist import is_downloaded
from pytorch_explorer.digits.models import load_checkpoint, save_checkpoint
from pytorch_explorer.digits.training import TrainConfig, log_every_for
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.runs import RunNotFound
from ui import code_expander, friendly_errors, model_shelf, settings
from ui.digits_trainer import (
    BATCHES, DEFAULTS, FAST_HELP, LRS, PATH_HINTS, SOURCES, WHY_FAITHFUL, RunCurves, canonical_step_code,
    checkpoint_filename, comparison_note, cost_line, digits_with_progress, history_table, is_job, layer_rows,
    mnist_download_panel, model_controls, reload_digits, run_outcome, show_live_run, speed_line, speed_notes,
    take_full_mnist_request, time_estimates, watched_run,
)
from ui.settings import KEEP
from ui.workspace import job_runner, run_store, workspace

REFRESH_SECONDS = 0.5  # how often the live panel reads the store while a run is queued or training

state = st.session_state
raw_query = settings.snapshot()
ws, store, runner, shelf = workspace(), run_store(), job_runner(), model_shelf()
for key, value in DEFAULTS.items():
    state.setdefault(key, value)


# ----------------------------------------------------------------------------- callbacks
def request_start() -> None:
    state["dt_start"] = True


def request_stop(run_id: str) -> None:
    with friendly_errors("Stopping the run"):
        runner.stop(ws, run_id)


def retry_on_cpu() -> None:
    state["dt_device"] = "cpu"
    request_start()


def start_run(config: TrainConfig) -> None:
    number = sum(1 for r in store.list_runs(ws, kind="digits") if is_job(r)) + 1
    label = config.label if config.arch == "mlp" else f"{config.label}, {config.arch}"
    state["dt_run_id"] = runner.submit(ws, config, name=shelf.unique_name(f"run {number} ({label})"))


def load_uploaded_model() -> None:
    upload = state.get("dt_upload")
    if upload is None:
        return
    try:
        trained = load_checkpoint(upload.getvalue(), name=upload.name)
    except ExplorerError as exc:
        state["dt_upload_error"] = str(exc)
        return
    name = shelf.add(trained, f"loaded from {upload.name}", name=f"loaded: {upload.name}")
    state["dt_upload_note"] = f"Loaded {as_code(upload.name)} as {as_code(name)}: it is now the current model."


# ----------------------------------------------------------------------------- page
st.title("Digits: train")
st.write(
    "Train the article's digit recogniser: 784 pixels in, a hidden layer of 500 ReLU units, 10 scores out, "
    "Adam, 5 epochs of batches of 128. The defaults are the article's values. Flip **article-faithful mode** to "
    "run the article's loop exactly as written, bugs included, and see what one missing `zero_grad()` costs. "
    "Or pick a **convolutional network** (LeNet-5, or one you configure), which looks at the digit as an image, "
    "and watch its guesses on 40 validation digits turn green as it learns."
)
take_full_mnist_request(state)  # the "Train on the full MNIST" button of the last run: before the source select
if "dt_mnist_error" in state:
    st.error(state.pop("dt_mnist_error"))

st.subheader("1. Data")
left, right = st.columns([1, 2])
kind = left.selectbox("Data source", list(SOURCES), format_func=SOURCES.get, key="dt_source_kind", **KEEP)
spec = kind
if kind in PATH_HINTS:
    path = right.text_input("Path", key="dt_source_path", **KEEP, placeholder=PATH_HINTS[kind]).strip()
    spec = f"{kind}:{path}" if path else ""
left, right = st.columns([1, 2])
on_error = left.radio("On bad files", ["skip", "stop"], key="dt_on_error", **KEEP, horizontal=True,
                      help="skip: leave bad rows and files out and list them; stop: refuse the whole source")
resize = right.checkbox("Resize images that are not 28x28", key="dt_resize", **KEEP)
dataset = None
if kind == "mnist" and not is_downloaded():
    mnist_download_panel()
if kind in PATH_HINTS and not spec:
    st.info(f"Type the path of the {SOURCES[kind].lower()}, for example `{PATH_HINTS[kind]}`.")
elif kind != "mnist" or is_downloaded():
    with friendly_errors("Loading the digits"):
        dataset = digits_with_progress(spec, on_error, resize)
if dataset is not None:
    left, right = st.columns([5, 1])
    left.caption(f"**{len(dataset):,} digits**: {describe_source(spec)}. The first "
                 f"{1 - state['dt_val']:.0%} train, the rest validate (the article's split).")
    if kind != "bundled":
        right.button("Reload from disk", key="dt_reload", on_click=reload_digits, args=(spec, on_error, resize),
                     help="Read the files again (after you changed them); unchanged files come from the cache")
    if dataset.problems:
        with st.expander(f"{len(dataset.problems)} problem(s) while loading: skipped", expanded=False):
            st.write("\n".join(f"- {p}" for p in dataset.problems[:200]))
    sample = min(30, len(dataset))
    st.plotly_chart(figs.digit_grid_figure(dataset.images[:sample], dataset.labels[:sample],
                                           title=f"The first {sample} digits and their labels"),
                    key="dt_samples", config={"displayModeBar": False})

st.subheader("2. Model and training")
faithful = st.toggle("Article-faithful mode: the article's loop as written (no zero_grad, ...)", key="dt_faithful", **KEEP)
if faithful:
    st.info(WHY_FAITHFUL)
model = model_controls()  # the architecture and its options
if faithful and model["arch"] != "mlp":
    st.caption("The article trained its MLP; here its loop, defects and all, trains the network you picked.")
c = st.columns(5)
optimizer = c[0].selectbox("Optimizer", ["adam", "sgd"], key="dt_optimizer", **KEEP,
                           format_func={"adam": "Adam", "sgd": "SGD with momentum"}.get)
lr = c[1].select_slider("Learning rate", LRS, key="dt_lr", **KEEP, format_func=lambda v: f"{v:g}")
momentum = c[2].slider("SGD momentum", 0.0, 0.99, step=0.01, key="dt_momentum", **KEEP, disabled=optimizer != "sgd")
batch = c[3].select_slider("Batch size", BATCHES, key="dt_batch", **KEEP)
epochs = c[4].slider("Epochs", 1, 30, key="dt_epochs", **KEEP)
c = st.columns(4)
seed = c[0].number_input("Seed", 0, 2**31 - 1, step=1, key="dt_seed", **KEEP)
val_fraction = c[1].slider("Validation fraction", 0.1, 0.5, step=0.05, key="dt_val", **KEEP)
devices = device_choices()
if state["dt_device"] not in devices:
    state["dt_device"] = "auto"
device = c[2].selectbox("Device", devices, key="dt_device", **KEEP, help="auto: CUDA, then Apple MPS, then the CPU")
fast = c[3].toggle("Fast path", key="dt_fast", **KEEP, disabled=faithful, help=FAST_HELP)

config = None
with friendly_errors("Those settings"):
    n_train = int(len(dataset) * (1 - val_fraction)) if dataset is not None else 3500
    config = TrainConfig(source=spec or "bundled", on_error=on_error, resize=resize, **model, optimizer=optimizer,
                         lr=lr, momentum=momentum, batch_size=batch, epochs=epochs, seed=int(seed),
                         val_fraction=val_fraction, device=device, article_faithful=faithful,
                         log_every=log_every_for(n_train, batch), fast=fast)
if config is not None:
    st.markdown(cost_line(config.model_config()))
    with st.expander("Its layers, one by one"):
        st.table(layer_rows(config.model_config()))
if state.pop("dt_start", False) and config is not None and dataset is not None:
    with friendly_errors("Starting the run"):
        start_run(config)
watched = watched_run(store, ws, state.get("dt_run_id"))
if watched is not None and getattr(state.get("dt_curves"), "run_id", None) != watched.id:
    state["dt_curves"] = RunCurves(watched.id)  # a new run, or re-attached to the workspace's active one
curves = state.get("dt_curves") if watched is not None else None
running = curves is not None and curves.poll(store, ws).active
if config is not None and not running and not state.get("dt_stop"):  # not in the Stop click's own run: it waits
    time_estimates(config, len(dataset) if dataset is not None else 0, offer_mnist=kind != "mnist")
c = st.columns([1, 1, 2, 2])
c[0].button("Train", key="dt_train", type="primary", on_click=request_start, width="stretch",
            disabled=running or config is None or dataset is None)
c[1].button("Stop", key="dt_stop", on_click=request_stop, args=(curves.run_id if running else "",),
            disabled=not running, width="stretch", help="Stops within a second and keeps the partial model")
if kind != "mnist":
    c[2].button("Train on the full MNIST", key="dt_mnist_train", on_click=lambda: state.update(dt_full_mnist=True),
                disabled=running or config is None, help="70,000 digits: downloaded first if they are not here")


@st.fragment(run_every=REFRESH_SECONDS if running else None)
def live_panel() -> None:
    """Read the watched run's progress from the store (while it is active) and draw it."""
    if curves is None:
        st.caption("Press **Train** to start a run: it trains on the server (it goes on when you switch pages "
                   "or close the tab) and its loss and accuracy are drawn here as it trains.")
        return
    try:
        record = curves.poll(store, ws)
    except RunNotFound:  # deleted meanwhile (on the Runs page)
        st.rerun()
    if running and not record.active:  # it ended: redraw the page (history, buttons, outcome)
        st.rerun()
    show_live_run(curves, runner.queue_note(curves.run_id))
    # How the run ended is drawn inside the panel: drawn after it, it went missing on pages whose panel
    # had been refreshing itself (seen with 4 sessions training at once, runs queued behind others).
    if (outcome := run_outcome(record)) is not None:
        getattr(st, outcome[0])(outcome[1])


live_panel()

record = curves.record if curves is not None else None
outcome = run_outcome(record) if record is not None else None
if outcome is not None:
    if record.status == "failed" and record.config.get("device") != "cpu":
        st.button("Retry on CPU", key="dt_retry_cpu", on_click=retry_on_cpu)
    if speed_line(record):
        st.markdown(speed_line(record))
if config is not None:
    with st.expander("What makes training fast here?"):
        st.markdown(speed_notes(config, record.summary.get("fast_path", "") if record is not None else ""))

st.subheader("3. Your runs")
runs = shelf.rows()
if runs:
    history_table(runs)
    if shelf.curves():
        st.plotly_chart(figs.runs_overlay_figure(shelf.curves()), key="dt_overlay", config={"displayModeBar": False})
    note = comparison_note(shelf)
    if note:
        st.info(note)
else:
    st.caption("No runs yet. Every run is listed here and kept, with its model, for the probe page.")

st.subheader("4. Save or load a model")
current = shelf.current
c = st.columns(2)
with c[0]:
    if current is not None:
        st.write(f"Current model: {as_code(current.name)} (validation accuracy "
                 f"{current.metrics.get('val_acc', float('nan')):.1%}).")
        st.download_button("Download the current model (.pt)", data=save_checkpoint(current),
                           file_name=checkpoint_filename(current.name), mime="application/octet-stream", key="dt_download_model",
                           help="state_dict + hyperparameters + data source + metrics; loads with weights_only=True")
    else:
        st.caption("Train a run (or load a file) to get a model to download.")
with c[1]:
    st.file_uploader("Load a saved model", key="dt_upload", on_change=load_uploaded_model,
                     help="A .pt file saved here or with `python -m pytorch_explorer digits train --save PATH`.")
    if "dt_upload_error" in state:
        st.error(state.pop("dt_upload_error"))
    if "dt_upload_note" in state:
        st.success(state.pop("dt_upload_note"))

if config is not None:
    code_expander(canonical_step_code(config),
                  title="PyTorch code: the article's loop as written" if faithful else "PyTorch code")
settings.report_ignored(raw_query, list(DEFAULTS))
