"""Digits: train. The article's digit MLP trained live, as the article wrote it or done right.

Training runs in chunks inside a fragment that reruns itself while a run is active: each rerun
trains the LiveRun kept in st.session_state for CHUNK_SECONDS (LiveRun.pull records everything on
itself, under a lock, touching no Streamlit state), then redraws. Stop is a button whose callback
asks the run to stop; the next chunk ends it and keeps the partial model. A finished run is filed
(model, history row) by whichever script run sees it first; filing is safe to repeat. Session-state contract with the probe page: digits_model (current TrainedModel),
digits_models (name -> TrainedModel), digits_runs (rows of the history table).
"""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from pytorch_explorer.digits import training_figures as figs
from pytorch_explorer.digits.data import describe_source, load_digits
from pytorch_explorer.core.devices import device_choices
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits.mnist import download_mnist, is_downloaded
from pytorch_explorer.digits.models import ACTIVATIONS, load_checkpoint, save_checkpoint
from pytorch_explorer.digits.training import (
    LiveRun, TrainConfig, canonical_step_code, history_row, log_every_for, speed_notes,
)
from ui import code_expander, friendly_errors

CHUNK_SECONDS = 0.4  # training per live redraw; Stop takes effect between chunks
REFRESH_SECONDS = 0.2  # pause between chunks (lets a click through)
SOURCES = {"bundled": "Bundled: 5,000 MNIST digits (no set-up)", "folder": "The article's PNG folder",
           "idx": "MNIST IDX files", "csv": "CSV of pixels", "mnist": "Full MNIST: 70,000 digits (download)"}
PATH_HINTS = {"folder": "data/digits (holding Train/train.csv and Train/Images/train/)",
              "idx": "data/mnist (train-images-idx3-ubyte.gz, ...)", "csv": "data/digits.csv (label,pixel0..pixel783)"}
HIDDEN = [16, 32, 64, 128, 256, 500, 1000, 2000]
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
ARTICLE = TrainConfig()  # the article's values are the defaults
DEFAULTS = {"dt_source_kind": "bundled", "dt_source_path": "", "dt_on_error": "skip", "dt_resize": False,
            "dt_faithful": False, "dt_hidden": ARTICLE.hidden, "dt_depth": ARTICLE.depth,
            "dt_activation": ARTICLE.activation, "dt_optimizer": ARTICLE.optimizer, "dt_lr": ARTICLE.lr,
            "dt_momentum": ARTICLE.momentum, "dt_batch": ARTICLE.batch_size, "dt_epochs": ARTICLE.epochs,
            "dt_seed": ARTICLE.seed, "dt_val": ARTICLE.val_fraction, "dt_device": ARTICLE.device,
            "dt_fast": ARTICLE.fast}
WHY_FAITHFUL = """**What the article's loop gets wrong.** It never calls `optimizer.zero_grad()`, so every
`loss.backward()` adds to the gradients of all earlier steps and each `optimizer.step()` follows that
growing sum, a stale average of the whole run's gradients, rather than the current batch's. It also
draws batches *with* replacement, counts its steps over the whole CSV instead of the 70 % it trains on,
and divides each batch by its own maximum (already 1.0). The article reports 0.87 on its data; the fixed
loop (switch off) reaches about 0.97 on the full MNIST, and on the 5,000 bundled digits the gap is as
clear. Train one of each and compare them in the history below."""

state = st.session_state
state.setdefault("digits_models", {})
state.setdefault("digits_runs", [])
state.setdefault("dt_curves", {})  # run name -> metrics (loss curves), diverged runs included
for key, value in DEFAULTS.items():
    state.setdefault(key, value)


@st.cache_resource
def loaded_digits() -> dict:
    """Datasets this server has loaded, shared read-only by every session: (spec, on_error, resize) -> data."""
    return {}


def digits_with_progress(spec: str, on_error: str, resize: bool):
    """A shared dataset, loaded (with a progress bar: 49,000 PNGs take seconds) the first time it is asked for.

    The loaders keep their own .npz cache beside, so a reload or a restart reads it back in under a second.
    """
    shared, key = loaded_digits(), (spec, on_error, resize)
    if key not in shared:
        bar = st.progress(0.0, text="Loading the digits...")
        try:
            shared[key] = load_digits(spec, on_error=on_error, resize=resize, progress=lambda done, total: bar.progress(
                min(done / max(total, 1), 1.0), text=f"Loading the digits: {done:,} of {total:,}"))
        finally:
            bar.empty()
        while len(shared) > 4:  # keep the four most recent sources in memory
            shared.pop(next(iter(shared)))
    return shared[key]


def reload_digits(spec: str, on_error: str, resize: bool) -> None:
    loaded_digits().pop((spec, on_error, resize), None)


# ----------------------------------------------------------------------------- callbacks and run bookkeeping
def request_start() -> None:
    state["dt_start"] = True
    state.pop("dt_error", None)


def request_stop() -> None:
    if state.get("dt_run") is not None:
        state["dt_run"].stop()


def retry_on_cpu() -> None:
    state["dt_device"] = "cpu"
    request_start()


def unique_name(base: str) -> str:
    taken = set(state["digits_models"]) | set(state["dt_curves"])
    name, n = base, 2
    while name in taken:
        name, n = f"{base} #{n}", n + 1
    return name


def keep_model(trained, how: str) -> None:
    """Make a named model the current one, add it to digits_models and a row to digits_runs (once)."""
    if not any(row.get("name") == trained.name for row in state["digits_runs"]):
        state["digits_runs"].append(history_row(trained.name, trained, how))
    state["dt_curves"][trained.name] = trained.metrics
    if trained.metrics.get("status") != "diverged":
        state["digits_models"][trained.name] = trained
        state["digits_model"] = trained


def start_run(config: TrainConfig, dataset) -> None:
    state["dt_run_count"] = state.get("dt_run_count", 0) + 1
    state["dt_run"] = LiveRun(config, dataset, number=state["dt_run_count"])
    state.pop("dt_last", None)


def file_run(run: LiveRun) -> None:
    """Put a finished run's model and row into the session (safe to repeat if a rerun cut it short)."""
    if run.final is not None:
        trained = run.final.result
        if run.name is None:
            run.name = unique_name(f"run {run.number} ({run.config.label})")
        trained.name = run.name
        keep_model(trained, "trained on the trainer page")
        state["dt_last"] = {"name": run.name, "kind": run.final.kind, "message": run.final.message}
    else:
        state["dt_error"] = {"message": run.error, "device": run.config.device}
    run.filed = True


def load_uploaded_model() -> None:
    upload = state.get("dt_upload")
    if upload is None:
        return
    try:
        trained = load_checkpoint(upload.getvalue(), name=upload.name)
    except ExplorerError as exc:
        state["dt_upload_error"] = str(exc)
        return
    trained.name = unique_name(f"loaded: {upload.name}")
    keep_model(trained, f"loaded from {upload.name}")
    state["dt_upload_note"] = f"Loaded {upload.name} as **{trained.name}**: it is now the current model."


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
fast = c[3].toggle("Fast path", key="dt_fast", disabled=faithful,
                   help="A fused optimizer (Adam's kernel called directly); on a CUDA GPU the whole step "
                        "replayed as a CUDA graph. "
                        "Off: the optimizer's plain for-loop step. Same results either way (within rounding); "
                        "compare the samples/s of two runs in the history.")

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
    file_run(run)
running = run is not None and run.active
c = st.columns([1, 1, 4])
c[0].button("Train", key="dt_train", type="primary", on_click=request_start, width="stretch",
            disabled=running or config is None or dataset is None)
c[1].button("Stop", key="dt_stop", on_click=request_stop, disabled=not running, width="stretch",
            help="Stops after the current few steps and keeps the partial model")
if "dt_error" in state:
    error = state["dt_error"]
    st.error(f"Training stopped with an error: {error['message']}")
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
            file_run(run)
        st.rerun()
    event, config = run.event, run.config
    if event is None:
        st.progress(0.0, text="Starting...")
        return
    where = f"epoch {event.epoch} of {config.epochs}, step {event.step} of {run.total_steps}"
    ended = {"done": "finished", "stopped": "stopped", "diverged": "diverged"}.get(event.kind)
    loop = f"{config.label} loop on {run.device}"
    st.progress(min(event.progress, 1.0), text=f"{loop} {ended} at {where}" if ended else f"{loop}: {where}")
    m = st.columns(5)
    m[0].metric("Loss", f"{event.loss:.4f}")
    m[1].metric("Running accuracy", f"{event.accuracy:.1%}")
    m[2].metric("Validation accuracy", f"{run.val_acc[-1]:.1%}" if run.val_acc else "after epoch 1")
    m[3].metric("Samples/s", f"{event.samples_per_s:,.0f}")
    m[4].metric("Elapsed", f"{event.elapsed_s:.1f} s")
    c = st.columns(2)
    c[0].plotly_chart(figs.loss_figure(run.steps, run.losses, total_steps=run.total_steps),
                      key="dt_loss_chart", config={"displayModeBar": False})
    c[1].plotly_chart(figs.accuracy_figure(run.epochs, run.train_acc, run.val_acc, total_epochs=config.epochs),
                      key="dt_acc_chart", config={"displayModeBar": False})


live_panel()

last = state.get("dt_last")
m = state["dt_curves"].get(last["name"]) if last is not None else None  # the last run's metrics
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
runs = state["digits_runs"]
if runs:
    table = pd.DataFrame(runs)
    first = ["name", "mode", "status", "val_acc", "train_acc", "seconds", "samples_per_s", "device", "fast_path"]
    order = [c for c in first if c in table.columns] + [c for c in table.columns if c not in first]
    st.dataframe(table, key="dt_history", hide_index=True, column_order=order, column_config={
        "train_acc": st.column_config.NumberColumn("train acc", format="%.3f"),
        "val_acc": st.column_config.NumberColumn("val acc", format="%.3f"),
        "lr": st.column_config.NumberColumn("lr", format="%g"),
        "samples_per_s": st.column_config.NumberColumn("samples/s", format="%d"),
        "seconds": st.column_config.NumberColumn("seconds", format="%.2f"),
        "fast_path": st.column_config.TextColumn("what ran"),
    })
    curves = {name: m for name, m in state["dt_curves"].items() if m.get("loss_history")}
    curves.update({name: t.metrics for name, t in state["digits_models"].items()
                   if name not in curves and t.metrics.get("loss_history")})
    if curves:
        st.plotly_chart(figs.runs_overlay_figure(curves), key="dt_overlay", config={"displayModeBar": False})
    by_mode = {row.get("mode"): row for row in runs if row.get("status", "done") == "done"
               and isinstance(row.get("val_acc"), float) and not math.isnan(row["val_acc"])}
    if {"fixed", "article-faithful"} <= set(by_mode):
        f, a = by_mode["fixed"], by_mode["article-faithful"]
        st.info(f"Latest fixed run: **{f['val_acc']:.1%}** validation accuracy; latest article-faithful run: "
                f"**{a['val_acc']:.1%}**. Same model, same data: the difference is the training loop, mostly the "
                "missing `optimizer.zero_grad()` (gradients of every step piled up).")
else:
    st.caption("No runs yet. Each finished or stopped run is listed here and kept for the probe page.")

st.subheader("4. Save or load a model")
current = state.get("digits_model")
c = st.columns(2)
with c[0]:
    if current is not None:
        st.write(f"Current model: **{current.name}** (validation accuracy "
                 f"{current.metrics.get('val_acc', float('nan')):.1%}).")
        slug = re.sub(r"[^A-Za-z0-9]+", "-", current.name).strip("-") or "model"
        st.download_button("Download the current model (.pt)", data=save_checkpoint(current),
                           file_name=f"digits-{slug}.pt", mime="application/octet-stream", key="dt_download_model",
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
