"""Digits: train. The article's digit MLP (or LeNet-5, or a CNN of your own) trained live, as the article
wrote it or done right, with its predictions on 40 validation digits redrawn as it learns.

Train submits the run as a job (ui.workspace.job_runner(): a worker process, outside the web server) and
the page only reads the run store: a fragment that reruns itself while the run is active polls the run's
state and its newer readings (RunCurves) and redraws them. The run keeps training when the learner
switches pages or closes the tab; coming back (or a reload) re-attaches to the workspace's active run.
Stop asks the runner to stop it (the worker ends it within a second and keeps the partial model). Every
finished run and its model is on the workspace's model shelf (ui.model_shelf(), the run store), shared
with the probe page. Wording, the code shown and the helpers: ui/digits_trainer.py (the live panel's:
ui/digits_trainer_live.py); every text through ui.i18n.tr (English or Chinese: ?lang=zh).
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.core.devices import device_choices
from pytorch_explorer.digits.training import TrainConfig, log_every_for
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.runs import RunNotFound
from ui import code_expander, friendly_errors, model_shelf, settings
from ui.digits_trainer import (
    BATCHES, DEFAULTS, FAST_HELP, OWN_DEFAULTS, LRS, WHY_FAITHFUL, RunCurves, canonical_step_code, comparison_note, cost_line,
    data_section, history_table, is_job, layer_rows, model_controls, run_outcome, save_or_load, show_live_run,
    speed_line, speed_notes, take_full_mnist_request, time_estimates, watched_run,
)
from ui.i18n import lang, tr
from ui.settings import KEEP
from ui.workspace import job_runner, run_store, workspace

REFRESH_SECONDS = 0.5  # how often the live panel reads the store while a run is queued or training

state = st.session_state
raw_query = settings.snapshot()
ws, store, runner, shelf = workspace(), run_store(), job_runner(), model_shelf()
settings.seed_defaults(DEFAULTS, OWN_DEFAULTS)  # the article's values, unless the address says otherwise


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


# ----------------------------------------------------------------------------- page
st.title(tr("Digits: train"))
st.write(tr(
    "Train the article's digit recogniser: 784 pixels in, a hidden layer of 500 ReLU units, 10 scores out, "
    "Adam, 5 epochs of batches of 128. The defaults are the article's values. Flip **article-faithful mode** to "
    "run the article's loop exactly as written, bugs included, and see what one missing `zero_grad()` costs. "
    "Or pick a **convolutional network** (LeNet-5, or one you configure), which looks at the digit as an image, "
    "and watch its guesses on 40 validation digits turn green as it learns."
))
take_full_mnist_request(state)  # the "Train on the full MNIST" button of the last run: before the source select
if "dt_mnist_error" in state:
    st.error(state.pop("dt_mnist_error"))

st.subheader(tr("1. Data"))
kind, spec, on_error, resize, dataset = data_section(state)

st.subheader(tr("2. Model and training"))
faithful = st.toggle(tr("Article-faithful mode: the article's loop as written (no zero_grad, ...)"), key="dt_faithful",
                     **KEEP)
if faithful:
    st.info(tr(WHY_FAITHFUL))
model = model_controls()  # the architecture and its options
if faithful and model["arch"] != "mlp":
    st.caption(tr("The article trained its MLP; here its loop, defects and all, trains the network you picked."))
c = st.columns(5)
optimizer = settings.choice(c[0].selectbox, tr("Optimizer"), ["adam", "sgd"], key="dt_optimizer",
                            labels={"adam": "Adam", "sgd": "SGD with momentum"})
lr = c[1].select_slider(tr("Learning rate"), LRS, key="dt_lr", **KEEP, format_func=lambda v: f"{v:g}")
momentum = c[2].slider(tr("SGD momentum"), 0.0, 0.99, step=0.01, key="dt_momentum", **KEEP,
                       disabled=optimizer != "sgd")
batch = c[3].select_slider(tr("Batch size"), BATCHES, key="dt_batch", **KEEP)
epochs = c[4].slider(tr("Epochs"), 1, 30, key="dt_epochs", **KEEP)
c = st.columns(4)
seed = c[0].number_input(tr("Seed"), 0, 2**31 - 1, step=1, key="dt_seed", **KEEP)
val_fraction = c[1].slider(tr("Validation fraction"), 0.1, 0.5, step=0.05, key="dt_val", **KEEP)
devices = device_choices()
if state["dt_device"] not in devices:
    state["dt_device"] = "auto"
device = c[2].selectbox(tr("Device"), devices, key="dt_device", **KEEP,
                        help=tr("auto: CUDA, then Apple MPS, then the CPU"))
fast = c[3].toggle(tr("Fast path"), key="dt_fast", **KEEP, disabled=faithful, help=tr(FAST_HELP))

config = None
with friendly_errors("Those settings"):
    n_train = int(len(dataset) * (1 - val_fraction)) if dataset is not None else 3500
    config = TrainConfig(source=spec or "bundled", on_error=on_error, resize=resize, **model, optimizer=optimizer,
                         lr=lr, momentum=momentum, batch_size=batch, epochs=epochs, seed=int(seed),
                         val_fraction=val_fraction, device=device, article_faithful=faithful,
                         log_every=log_every_for(n_train, batch), fast=fast)
if config is not None:
    st.markdown(cost_line(config.model_config()))
    with st.expander(tr("Its layers, one by one")):
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
c[0].button(tr("Train"), key="dt_train", type="primary", on_click=request_start, width="stretch",
            disabled=running or config is None or dataset is None)
c[1].button(tr("Stop"), key="dt_stop", on_click=request_stop, args=(curves.run_id if running else "",),
            disabled=not running, width="stretch", help=tr("Stops within a second and keeps the partial model"))
if kind != "mnist":
    c[2].button(tr("Train on the full MNIST"), key="dt_mnist_train", on_click=lambda: state.update(dt_full_mnist=True),
                disabled=running or config is None, help=tr("70,000 digits: downloaded first if they are not here"))


@st.fragment(run_every=REFRESH_SECONDS if running else None)
def live_panel() -> None:
    """Read the watched run's progress from the store (while it is active) and draw it."""
    if curves is None:
        st.caption(tr("Press **Train** to start a run: it trains on the server (it goes on when you switch pages "
                      "or close the tab) and its loss and accuracy are drawn here as it trains."))
        return
    try:
        record = curves.poll(store, ws)
    except RunNotFound:  # deleted meanwhile (on the Runs page)
        st.rerun()
    if running and not record.active:  # it ended: redraw the page (history, buttons, outcome)
        st.rerun()
    show_live_run(curves, runner.queue_position(curves.run_id))
    # How the run ended is drawn inside the panel: drawn after it, it went missing on pages whose panel
    # had been refreshing itself (seen with 4 sessions training at once, runs queued behind others).
    if (outcome := run_outcome(record)) is not None:
        getattr(st, outcome[0])(outcome[1])


live_panel()

record = curves.record if curves is not None else None
outcome = run_outcome(record) if record is not None else None
if outcome is not None:
    if record.status == "failed" and record.config.get("device") != "cpu":
        st.button(tr("Retry on CPU"), key="dt_retry_cpu", on_click=retry_on_cpu)
    if speed_line(record):
        st.markdown(speed_line(record))
if config is not None:
    with st.expander(tr("What makes training fast here?")):
        st.markdown(speed_notes(config, record.summary.get("fast_path", "") if record is not None else ""))

st.subheader(tr("3. Your runs"))
runs = shelf.rows()
if runs:
    history_table(runs)
    if shelf.curves():
        st.plotly_chart(figs.runs_overlay_figure(shelf.curves(), lang()), key="dt_overlay",
                        config={"displayModeBar": False})
    note = comparison_note(shelf)
    if note:
        st.info(note)
else:
    st.caption(tr("No runs yet. Every run is listed here and kept, with its model, for the probe page."))

st.subheader(tr("4. Save or load a model"))
save_or_load(shelf, state)

if config is not None:
    code_expander(canonical_step_code(config),
                  title=tr("PyTorch code: the article's loop as written") if faithful else "PyTorch code")
settings.report_ignored(raw_query, list(DEFAULTS))
