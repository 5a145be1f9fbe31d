"""Digits: train. The article's digit MLP trained live, as the article wrote it or done right.

Training runs in chunks inside a fragment that reruns itself while a run is active: each rerun
trains the LiveRun kept in st.session_state for CHUNK_SECONDS (LiveRun.pull records everything on
itself, under a lock, touching no Streamlit state), then redraws. Stop is a button whose callback
asks the run to stop; the next chunk ends it and keeps the partial model. A finished run goes onto
the session's model shelf (ui.model_shelf(), shared with the probe page) by whichever script run
sees it first; filing is safe to repeat. Wording, the code shown and the helpers: ui/digits_trainer.py.
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.core.devices import device_choices
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.data import describe_source
from pytorch_explorer.digits.data.mnist import download_mnist, is_downloaded
from pytorch_explorer.digits.models import ACTIVATIONS, load_checkpoint, save_checkpoint
from pytorch_explorer.digits.training import TrainConfig, log_every_for
from ui import code_expander, friendly_errors, model_shelf
from ui.digits_trainer import (
    BATCHES, DEFAULTS, FAST_HELP, HIDDEN, LRS, PATH_HINTS, SOURCES, WHY_FAITHFUL, LiveRun, canonical_step_code,
    checkpoint_filename, comparison_note, digits_with_progress, file_run, history_table, reload_digits, show_live_run,
    speed_notes,
)

CHUNK_SECONDS = 0.4  # training per live redraw; Stop takes effect between chunks
REFRESH_SECONDS = 0.2  # pause between chunks (lets a click through)

state = st.session_state
shelf = model_shelf()
for key, value in DEFAULTS.items():
    state.setdefault(key, value)


# ----------------------------------------------------------------------------- callbacks
def request_start() -> None:
    state["dt_start"] = True


def request_stop() -> None:
    if state.get("dt_run") is not None:
        state["dt_run"].stop()


def retry_on_cpu() -> None:
    state["dt_device"] = "cpu"
    request_start()


def start_run(config: TrainConfig, dataset) -> None:
    state["dt_run_count"] = state.get("dt_run_count", 0) + 1
    state["dt_run"] = LiveRun(config, dataset, number=state["dt_run_count"])


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
    state["dt_upload_note"] = f"Loaded {upload.name} as **{name}**: it is now the current model."


# ----------------------------------------------------------------------------- page
st.title("Digits: train")
st.write(
    "Train the article's digit recogniser: 784 pixels in, a hidden layer of 500 ReLU units, 10 scores out, "
    "Adam, 5 epochs of batches of 128. The defaults are the article's values. Flip **article-faithful mode** to "
    "run the article's loop exactly as written, bugs included, and see what one missing `zero_grad()` costs."
)

st.subheader("1. Data")
left, right = st.columns([1, 2])
kind = left.selectbox("Data source", list(SOURCES), format_func=SOURCES.get, key="dt_source_kind")
spec = kind
if kind in PATH_HINTS:
    path = right.text_input("Path", key="dt_source_path", placeholder=PATH_HINTS[kind]).strip()
    spec = f"{kind}:{path}" if path else ""
left, right = st.columns([1, 2])
on_error = left.radio("On bad files", ["skip", "stop"], key="dt_on_error", horizontal=True,
                      help="skip: leave bad rows and files out and list them; stop: refuse the whole source")
resize = right.checkbox("Resize images that are not 28x28", key="dt_resize")
dataset = None
if kind == "mnist" and not is_downloaded():
    st.info("The full MNIST (about 11 MB) is not on this machine yet. Download it once; it stays in data/mnist/.")
    if st.button("Download MNIST", key="dt_download_mnist"):
        bar = st.progress(0.0, text="Downloading MNIST...")
        with friendly_errors("Downloading MNIST"):
            download_mnist(progress=lambda done, total: bar.progress(
                min(done / total, 1.0), text=f"{done / 2**20:.1f} of {total / 2**20:.1f} MB"))
            st.rerun()
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
faithful = st.toggle("Article-faithful mode: the article's loop as written (no zero_grad, ...)", key="dt_faithful")
if faithful:
    st.info(WHY_FAITHFUL)
c = st.columns(4)
hidden = c[0].select_slider("Hidden units", HIDDEN, key="dt_hidden")
depth = c[1].slider("Hidden layers", 1, 3, key="dt_depth")
activation = c[2].selectbox("Activation", list(ACTIVATIONS), key="dt_activation")
optimizer = c[3].selectbox("Optimizer", ["adam", "sgd"], key="dt_optimizer",
                           format_func={"adam": "Adam", "sgd": "SGD with momentum"}.get)
c = st.columns(4)
lr = c[0].select_slider("Learning rate", LRS, key="dt_lr", format_func=lambda v: f"{v:g}")
momentum = c[1].slider("SGD momentum", 0.0, 0.99, step=0.01, key="dt_momentum", disabled=optimizer != "sgd")
batch = c[2].select_slider("Batch size", BATCHES, key="dt_batch")
epochs = c[3].slider("Epochs", 1, 30, key="dt_epochs")
c = st.columns(4)
seed = c[0].number_input("Seed", 0, 2**31 - 1, step=1, key="dt_seed")
val_fraction = c[1].slider("Validation fraction", 0.1, 0.5, step=0.05, key="dt_val")
devices = device_choices()
if state["dt_device"] not in devices:
    state["dt_device"] = "auto"
device = c[2].selectbox("Device", devices, key="dt_device", help="auto: CUDA, then Apple MPS, then the CPU")
fast = c[3].toggle("Fast path", key="dt_fast", disabled=faithful, help=FAST_HELP)

config = None
with friendly_errors("Those settings"):
    n_train = int(len(dataset) * (1 - val_fraction)) if dataset is not None else 3500
    config = TrainConfig(source=spec or "bundled", hidden=hidden, depth=depth, activation=activation,
                         optimizer=optimizer, lr=lr, momentum=momentum, batch_size=batch, epochs=epochs,
                         seed=int(seed), val_fraction=val_fraction, device=device, article_faithful=faithful,
                         log_every=log_every_for(n_train, batch), fast=fast)
if state.pop("dt_start", False) and config is not None and dataset is not None:
    start_run(config, dataset)
run = state.get("dt_run")
if run is not None and not run.active and not run.filed:  # ended, but the run that saw it was cut short
    file_run(run, shelf)
running = run is not None and run.active
c = st.columns([1, 1, 4])
c[0].button("Train", key="dt_train", type="primary", on_click=request_start, width="stretch",
            disabled=running or config is None or dataset is None)
c[1].button("Stop", key="dt_stop", on_click=request_stop, disabled=not running, width="stretch",
            help="Stops after the current few steps and keeps the partial model")
outcome = run.outcome if run is not None else None  # how the last run ended, once it is filed
if outcome is not None and "error" in outcome:
    error = outcome
    st.error(f"Training stopped with an error: {error['error']}")
    if error["device"] != "cpu":
        st.button("Retry on CPU", key="dt_retry_cpu", on_click=retry_on_cpu)


@st.fragment(run_every=REFRESH_SECONDS if running else None)
def live_panel() -> None:
    """Train a chunk (while a run is active), then draw its progress, loss and accuracy."""
    run = state.get("dt_run")
    if run is None:
        st.caption("Press **Train** to start a run: the loss and accuracy are drawn here as it trains.")
        return
    if run.active:
        run.pull(CHUNK_SECONDS)  # False (nothing trained) while an older script run still holds it
    if not run.active and running:  # it ended (here, or in a script run that was cut short) while the
        if not run.filed:  # page still shows it running: file it and redraw the page (history, buttons)
            file_run(run, shelf)
        st.rerun()
    show_live_run(run)

live_panel()

last = outcome if outcome is not None and "error" not in outcome else None
m = shelf.metrics_of(last["name"]) if last is not None else None  # the last run's metrics
if m is not None:
    if last["kind"] == "diverged":
        st.error(f"**{last['name']} diverged.** {last['message']} The run is in the history below; it did not "
                 "replace the current model.")
    else:
        status = "stopped early (the partial model is kept)" if last["kind"] == "stopped" else "finished"
        st.success(f"**{last['name']}** {status}: train accuracy {m['train_acc']:.1%}, "
                   f"validation accuracy {m['val_acc']:.1%}.")
    st.markdown(f"This run: **{m['samples_per_s']:,.0f} samples/s on {m['device']}** ({m['fast_path']}).")
if config is not None:
    with st.expander("What makes training fast here?"):
        st.markdown(speed_notes(config, m.get("fast_path", "") if m is not None else ""))

st.subheader("3. Runs this session")
runs = shelf.rows()
if runs:
    history_table(runs)
    if shelf.curves():
        st.plotly_chart(figs.runs_overlay_figure(shelf.curves()), key="dt_overlay", config={"displayModeBar": False})
    note = comparison_note(shelf)
    if note:
        st.info(note)
else:
    st.caption("No runs yet. Each finished or stopped run is listed here and kept for the probe page.")

st.subheader("4. Save or load a model")
current = shelf.current
c = st.columns(2)
with c[0]:
    if current is not None:
        st.write(f"Current model: **{current.name}** (validation accuracy "
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
