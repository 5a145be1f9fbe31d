"""Page-side helpers of pages/digits_trainer.py: its wording, the code it shows, the run it watches,
and the datasets every browser session shares.

- RunCurves: a run's state and curves, polled from the run store (the run trains in a worker process);
  watched_run: which run the page shows (this session's, else the workspace's active one); run_outcome,
  speed_line: how it ended, in words (all plain Python, tested without Streamlit);
- DatasetCache / digits_with_progress: datasets loaded once per server, with a progress bar;
- canonical_step_code, speed_notes, WHY_FAITHFUL: what the page shows in words and code;
- model_controls, cost_line, layer_rows: the architecture and its options, its size and FLOPs before training;
- estimate_note, measured_rate, full_mnist_note, take_full_mnist_request: how long a run will take, and the
  one-click run on the full MNIST (downloaded first if it is not here);
- preview_grid: the live predictions on 40 fixed validation digits, redrawn from the run's latest checkpoint.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, replace
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import streamlit as st
import torch

from pytorch_explorer.core.devices import resolve_device
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.data.mnist import download_mnist, is_downloaded
from pytorch_explorer.digits.models import (
    ACTIVATIONS, KERNEL_SIZES, ModelConfig, describe_model, load_checkpoint, model_code, model_cost,
)
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.digits.training import TrainConfig, TrainingEvent, estimate_seconds, format_duration
from pytorch_explorer.digits.training.preview import (
    Predictions, measure_samples_per_s, predict_preview, preview_indices,
)
from pytorch_explorer.runs import RunRecord, RunStore
from ui import friendly_errors
from ui.settings import KEEP

SOURCES = {"bundled": "Bundled: 5,000 MNIST digits (no set-up)", "folder": "The article's PNG folder",
           "idx": "MNIST IDX files", "csv": "CSV of pixels", "mnist": "Full MNIST: 70,000 digits (download)"}
PATH_HINTS = {"folder": "data/digits (holding Train/train.csv and Train/Images/train/)",
              "idx": "data/mnist (train-images-idx3-ubyte.gz, ...)", "csv": "data/digits.csv (label,pixel0..pixel783)"}
HIDDEN = [16, 32, 64, 128, 256, 500, 1000, 2000]
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
_ARTICLE = TrainConfig()  # the article's values are the defaults
DEFAULTS = {"dt_source_kind": "bundled", "dt_source_path": "", "dt_on_error": "skip", "dt_resize": False,
            "dt_faithful": False, "dt_hidden": _ARTICLE.hidden, "dt_depth": _ARTICLE.depth,
            "dt_activation": _ARTICLE.activation, "dt_optimizer": _ARTICLE.optimizer, "dt_lr": _ARTICLE.lr,
            "dt_momentum": _ARTICLE.momentum, "dt_batch": _ARTICLE.batch_size, "dt_epochs": _ARTICLE.epochs,
            "dt_seed": _ARTICLE.seed, "dt_val": _ARTICLE.val_fraction, "dt_device": _ARTICLE.device,
            "dt_fast": _ARTICLE.fast, "dt_arch": "MLP", "dt_channels": _ARTICLE.channels,
            "dt_kernel": _ARTICLE.kernel_size, "dt_conv_layers": _ARTICLE.conv_layers, "dt_dropout": _ARTICLE.dropout,
            "dt_bn": _ARTICLE.batch_norm}
CHANNELS = [4, 8, 16, 32, 64, 128]
ARCH_LABELS = {"MLP": "mlp", "LeNet-5": "lenet", "CNN": "cnn"}  # what the select (and the URL) says -> arch
MNIST_DIGITS = 70_000
MNIST_NOTE = ("The full MNIST is not on this machine yet: this button first downloads it (about 11 MB, four "
              "checksum-verified files, into data/mnist/; a few seconds on a normal connection), then trains. "
              "Without an internet connection the download fails with a message, nothing else changes, and "
              "the bundled 5,000 digits stay available.")
WHY_FAITHFUL = """**What the article's loop gets wrong.** It never calls `optimizer.zero_grad()`, so every
`loss.backward()` adds to the gradients of all earlier steps and each `optimizer.step()` follows that
growing sum, a stale average of the whole run's gradients, rather than the current batch's. It also
draws batches *with* replacement, counts its steps over the whole CSV instead of the 70 % it trains on,
and divides each batch by its own maximum (already 1.0). The article reports 0.87 on its data; the fixed
loop (switch off) reaches about 0.97 on the full MNIST, and on the 5,000 bundled digits the gap is as
clear. Train one of each and compare them in the history below."""
FAST_HELP = ("A fused optimizer (Adam's kernel called directly); on a CUDA GPU the whole step replayed as a CUDA "
             "graph. Off: the optimizer's plain for-loop step. Same results either way (within rounding); "
             "compare the samples/s of two runs in the history.")
METRIC_CHARS = 8  # a live metric's value longer than this is cut off in a fifth of the page
HISTORY_FIRST = ["name", "mode", "arch", "status", "val_acc", "train_acc", "seconds", "samples_per_s", "device", "fast_path"]


# ----------------------------------------------------------------------------- the run the page watches
class RunCurves:
    """One run as the live panel draws it, polled from the run store: each poll reads only the newer readings.

    Plain Python (tested without Streamlit). The run itself trains in a worker process (pytorch_explorer.jobs);
    this object only reads what the worker wrote, so any number of pages, tabs or page switches can watch it.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.record: RunRecord | None = None
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.epochs: list[int] = []
        self.train_acc: list[float] = []
        self.val_acc: list[float] = []
        self.last: dict[str, Any] | None = None  # the newest step reading
        self.epoch_step = -1  # the step of the newest epoch reading
        self.preview_key: tuple | None = None  # which checkpoint the predictions below came from
        self.predictions: Predictions | None = None
        self.preview_epoch = 0

    def poll(self, store: RunStore, workspace: str) -> RunRecord:
        """Read the run's state and its readings newer than the last poll (RunNotFound if it was deleted)."""
        self.record = store.get(workspace, self.run_id)
        for row in store.metrics(workspace, self.run_id, "step", after_step=self.steps[-1] if self.steps else -1):
            self.steps.append(row["step"])
            self.losses.append(nan_if_none(row["loss"]))
            self.last = row
        for row in store.metrics(workspace, self.run_id, "epoch", after_step=self.epoch_step):
            self.epoch_step = row["step"]
            self.epochs.append(row["epoch"])
            self.train_acc.append(nan_if_none(row["train_acc"]))
            self.val_acc.append(nan_if_none(row["val_acc"]))
        return self.record

    @property
    def active(self) -> bool:
        return self.record is None or self.record.active

    def preview(self, images: np.ndarray) -> Predictions | None:
        """The predictions of the run's latest checkpoint for these digits (loaded again only when the
        worker has written a newer one: after each epoch, and at the end); None before the first."""
        record = self.record
        if record is None or record.checkpoint is None:
            return None
        key = (record.checkpoint_epoch, record.finished, len(images))
        if key != self.preview_key:
            try:
                trained = load_checkpoint(record.checkpoint, name=record.name)
            except ExplorerError:
                return self.predictions  # being replaced right now, or gone: keep the last
            self.predictions, self.preview_key = predict_preview(trained, images), key
            self.preview_epoch = record.checkpoint_epoch or 0
        return self.predictions

    def event(self) -> TrainingEvent | None:
        """The newest step reading as a TrainingEvent (what live_metrics shows); None before the first."""
        if self.last is None:
            return None
        r = self.last
        return TrainingEvent("step", r["step"], r["epoch"], nan_if_none(r["loss"]), nan_if_none(r["accuracy"]),
                             r["samples_per_s"] or 0.0, r["elapsed_s"] or 0.0)


def nan_if_none(value: float | None) -> float:
    """SQLite keeps a NaN as NULL: back to NaN for the charts."""
    return float("nan") if value is None else float(value)


def is_job(record: RunRecord) -> bool:
    """A run the job runner trained (the shelf's quick and loaded models say how they came)."""
    return "how" not in record.summary


def watched_run(store: RunStore, workspace: str, chosen: str | None) -> RunRecord | None:
    """The run the live panel shows: the one this session started, else the workspace's newest active
    run (a reload or another tab re-attaches to it), else its newest trained run."""
    jobs = [r for r in store.list_runs(workspace, kind="digits") if is_job(r)]
    return (next((r for r in jobs if r.id == chosen), None) or next((r for r in jobs if r.active), None)
            or next(iter(jobs), None))


def run_outcome(record: RunRecord) -> tuple[str, str] | None:
    """How an ended run ended, as (Streamlit message kind, markdown); None while it is queued or training."""
    m, name = record.summary, as_code(record.name)  # a learner's name (or a file's): shown, never rendered
    if record.status in ("done", "stopped"):
        how = "stopped early (the partial model is kept)" if record.status == "stopped" else "finished"
        return "success", (f"{name} {how}: train accuracy {m.get('train_acc', float('nan')):.1%}, "
                           f"validation accuracy {m.get('val_acc', float('nan')):.1%}.")
    if record.status == "diverged":
        return "error", (f"{name} **diverged.** {escape_markdown(record.message)} The run is in the history below; it did not "
                         "replace the current model.")
    if record.status == "interrupted":
        return "warning", f"{name} was interrupted: {escape_markdown(record.message)}"
    if record.status == "failed":
        return "error", f"Training stopped with an error: {escape_markdown(record.message)}"
    return None


def speed_line(record: RunRecord) -> str | None:
    """"This run: **12,345 samples/s on cpu** (fused Adam)." once the run has its final metrics."""
    m = record.summary
    if "samples_per_s" not in m:
        return None
    return f"This run: **{m['samples_per_s']:,.0f} samples/s on {m.get('device', record.device)}** ({m.get('fast_path', '')})."


def comparison_note(shelf: StoreShelf) -> str | None:
    """The fixed loop against the article's, once the shelf has a finished run of each."""
    latest = shelf.latest_by_mode()
    if not {"fixed", "article-faithful"} <= set(latest):
        return None
    fixed, article = latest["fixed"], latest["article-faithful"]
    return (f"Latest fixed run: **{fixed['val_acc']:.1%}** validation accuracy; latest article-faithful run: "
            f"**{article['val_acc']:.1%}**. Same model, same data: the difference is the training loop, mostly the "
            "missing `optimizer.zero_grad()` (gradients of every step piled up).")


# ----------------------------------------------------------------------------- datasets shared by every session
class DatasetCache:
    """The datasets this server has loaded, newest last; the oldest go when there are more than `keep`."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._datasets: dict[Hashable, DigitDataset] = {}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._datasets

    def get(self, key: Hashable, load: Callable[[], DigitDataset]) -> DigitDataset:
        """The dataset for `key`, loaded with `load()` the first time (a failed load keeps nothing)."""
        if key not in self._datasets:
            self._datasets[key] = load()
            while len(self._datasets) > self.keep:
                self._datasets.pop(next(iter(self._datasets)))
        return self._datasets[key]

    def forget(self, key: Hashable) -> None:
        self._datasets.pop(key, None)


@st.cache_resource
def shared_datasets() -> DatasetCache:
    """One DatasetCache per server: every session reads the same arrays (read-only)."""
    return DatasetCache()


def digits_with_progress(spec: str, on_error: str, resize: bool) -> DigitDataset:
    """A shared dataset, loaded (with a progress bar: 49,000 PNGs take seconds) the first time it is asked for.

    The loaders keep their own .npz cache beside, so a reload or a restart reads it back in under a second.
    """
    cache, key = shared_datasets(), (spec, on_error, resize)
    if key in cache:
        return cache.get(key, lambda: load_digits(spec, on_error=on_error, resize=resize, restrict_paths=True))
    bar = st.progress(0.0, text="Loading the digits...")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"Loading the digits: {done:,} of {total:,}")

    try:
        return cache.get(key, lambda: load_digits(spec, on_error=on_error, resize=resize, progress=progress,
                                                  restrict_paths=True))  # typed paths: under data/ only
    finally:
        bar.empty()


def reload_digits(spec: str, on_error: str, resize: bool) -> None:
    """Forget a loaded dataset: the next page run reads its files again."""
    shared_datasets().forget((spec, on_error, resize))


def show_live_run(curves: RunCurves, queue_note: str = "") -> None:
    """A run's progress bar, its figures (loss, accuracies, speed) and its loss and accuracy charts."""
    record = curves.record
    assert record is not None
    config, event = record.config, curves.event()
    if record.status == "queued":
        st.progress(0.0, text=f"{escape_markdown(record.name)}: {queue_note or 'queued'}")
        return
    if event is None and record.active:
        st.progress(0.0, text="Starting...")
        return
    where = f"epoch {record.epoch} of {config.get('epochs', '?')}, step {record.steps} of {record.total_steps}"
    ended = {"done": "finished", "stopped": "stopped", "diverged": "diverged", "interrupted": "interrupted",
             "failed": "failed"}.get(record.status)
    mode = "article-faithful" if config.get("article_faithful") else "fixed"
    loop = f"{mode} loop on {record.device or config.get('device', '?')}"
    st.progress(record.progress, text=f"{loop} {ended} at {where}" if ended else f"{loop}: {where}")
    if event is not None:
        for column, (label, value, help_) in zip(st.columns(5), live_metrics(event, curves.val_acc), strict=True):
            column.metric(label, value, help=help_)
    c = st.columns(2)
    c[0].plotly_chart(figs.loss_figure(curves.steps, curves.losses, total_steps=record.total_steps or None),
                      key="dt_loss_chart", config={"displayModeBar": False})
    c[1].plotly_chart(figs.accuracy_figure(curves.epochs, curves.train_acc, curves.val_acc,
                                           total_epochs=config.get("epochs")),
                      key="dt_acc_chart", config={"displayModeBar": False})
    preview_grid(curves)


def compact(number: float) -> str:
    """A count in at most 6 characters: 987, 12,345, 123.4k, 12.3M."""
    if not math.isfinite(number) or abs(number) < 100_000:
        return f"{number:,.0f}"
    return f"{number / 1e3:.1f}k" if abs(number) < 1e6 else f"{number / 1e6:.1f}M"


def live_metrics(event: TrainingEvent, val_acc: list[float]) -> list[tuple[str, str, str | None]]:
    """The live run's five figures as (label, value, help). Each value fits METRIC_CHARS characters, what a
    fifth of the page shows at the metrics' font before Streamlit cuts it to "after epo..."."""
    seconds = f"{event.elapsed_s:.1f} s" if event.elapsed_s < 1000 else f"{event.elapsed_s / 60:.0f} min"
    return [
        ("Loss", f"{event.loss:.4g}", "mean cross-entropy over the last few steps; ln 10 = 2.303 is guessing"),
        ("Running accuracy", f"{event.accuracy:.1%}", "on this epoch's training batches so far"),
        ("Validation accuracy", f"{val_acc[-1]:.1%}" if val_acc else "—",
         "on the held-out digits, measured after each epoch" + ("" if val_acc else ": after epoch 1")),
        ("Samples/s", compact(event.samples_per_s), f"{event.samples_per_s:,.0f} training samples a second"),
        ("Elapsed", seconds, None),
    ]


def checkpoint_filename(name: str) -> str:
    """"run 1 (fixed)" -> "digits-run-1-fixed.pt"."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "model"
    return f"digits-{slug}.pt"


def history_table(rows: list[dict[str, Any]]) -> None:
    """The run-history table, the most telling columns first."""
    columns = list(rows[0]) if rows else []
    order = [c for c in HISTORY_FIRST if c in columns] + [c for c in columns if c not in HISTORY_FIRST]
    st.dataframe(rows, key="dt_history", hide_index=True, column_order=order, column_config={
        "train_acc": st.column_config.NumberColumn("train acc", format="%.3f"),
        "val_acc": st.column_config.NumberColumn("val acc", format="%.3f"),
        "lr": st.column_config.NumberColumn("lr", format="%g"),
        "samples_per_s": st.column_config.NumberColumn("samples/s", format="%d"),
        "seconds": st.column_config.NumberColumn("seconds", format="%.2f"),
        "fast_path": st.column_config.TextColumn("what ran"),
    })


# ----------------------------------------------------------------------------- what the page says and shows
def canonical_step_code(config: TrainConfig) -> str:
    """The PyTorch code of a run with these settings, for the page's code expander."""
    model = model_code(config.model_config())
    fused = ", fused=True" if config.fast and not config.article_faithful else ""
    if config.optimizer == "adam":
        opt = f"optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g}{fused})"
    else:
        opt = f"optimizer = torch.optim.SGD(model.parameters(), lr={config.lr:g}, momentum={config.momentum:g}{fused})"
    split = f"cut = int(len(x) * {1 - config.val_fraction:g})"
    if config.article_faithful:
        return f"""import numpy as np
import torch

rng = np.random.RandomState({config.seed})
# train_x: float32 (N, 784) in [0, 1]; train: the whole labelled CSV
{split}
train_x, val_x = train_x[:cut], train_x[cut:]
train_y, val_y = train_y[:cut], train_y[cut:]
{model}
loss_fn = torch.nn.CrossEntropyLoss()
{opt}

def preproc(unclean_batch_x):
    return unclean_batch_x / unclean_batch_x.max()   # DEFECT: divides by the batch's max (already 1.0)

total_batch = int(train.shape[0] / {config.batch_size})   # DEFECT: counts the whole CSV, not the 70% split
for epoch in range({config.epochs}):
    avg_cost = 0
    for i in range(total_batch):
        batch_mask = rng.choice(train_x.shape[0], {config.batch_size})   # DEFECT: drawn with replacement
        batch_x = preproc(train_x[batch_mask])
        batch_y = train_y[batch_mask]
        x, y = torch.from_numpy(batch_x), torch.from_numpy(batch_y)   # a copy per batch
        pred = model(x)
        loss = loss_fn(pred, y)
        # DEFECT: no optimizer.zero_grad(): each step applies the sum of all earlier gradients
        loss.backward()
        optimizer.step()
        avg_cost += loss.item() / total_batch   # the article's loss.data[0]
    print(epoch, avg_cost)
"""
    device = config.device if config.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu"
    return f"""import torch

torch.manual_seed({config.seed})
device = torch.device("{device}")
# x: uint8 images (N, 28, 28), y: labels (N,), all on the device as one tensor
x = torch.from_numpy(images).to(device).reshape(len(images), -1).float() / 255
y = torch.from_numpy(labels).to(device)
{split}
x_train, y_train, x_val, y_val = x[:cut], y[:cut], x[cut:], y[cut:]
{model}.to(device)
loss_fn = torch.nn.CrossEntropyLoss()
{opt}
generator = torch.Generator().manual_seed({config.seed})

for epoch in range({config.epochs}):
    model.train()                                 # dropout on, batch norm learns its averages
    order = torch.randperm(len(x_train), generator=generator).to(device)   # a new shuffle each epoch
    for i in range(0, len(order), {config.batch_size}):
        batch = order[i:i + {config.batch_size}]              # a batch is a slice of the shuffled indices
        xb, yb = x_train[batch], y_train[batch]   # gathered on the device: no copy from numpy
        optimizer.zero_grad()                         # the five-line step
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()                                  # dropout off, batch norm uses its averages
    with torch.no_grad():
        val_acc = (model(x_val).argmax(1) == y_val).float().mean().item()
    print(epoch, loss.item(), val_acc)
"""


def speed_notes(config: TrainConfig, fast_path: str = "") -> str:
    """Markdown for the trainer page: what made a run with these settings fast (or not), and how to measure it.

    fast_path: the last finished run's metrics["fast_path"] (what actually ran), when there is one.
    """
    if config.article_faithful:
        lines = [
            "The article's loop as written pays, on every step, for work this trainer does once:",
            "- **a numpy batch**: fancy indexing, a divide by the batch's max and `torch.from_numpy` per step "
            "(on a GPU, a host-to-device copy per step);",
            "- **`loss.item()` every step**: on a GPU each one waits for the GPU to finish (a sync);",
            "- **the for-loop Adam**: a few small tensor operations per parameter, launched one by one.",
        ]
    else:
        lines = [
            "What this trainer does to go fast (switch **Fast path** off to compare samples/s in the history):",
            "- **the digits stay on the training device** as one float tensor; a batch is a slice of a shuffled "
            "index, gathered there with `index_select` (no numpy, no copy from the host);",
            "- **the loss is read every few steps**, not every step: `.item()` makes the CPU wait for the device;",
        ]
        if config.fast and config.optimizer == "adam":
            lines.append(
                "- **fused Adam** (`torch.optim.Adam(..., fused=True)`): one kernel updates every parameter, "
                "instead of a handful of small operations per parameter; its kernel is called directly "
                "(`torch._fused_adam_`, what `optimizer.step()` calls), which saves `step()`'s Python bookkeeping: "
                "7 % of a CPU step in docs/benchmarks.md;")
        elif config.fast:
            lines.append(
                "- **fused SGD** (`torch.optim.SGD(..., fused=True)`): one kernel updates every parameter and its "
                "momentum, instead of a few small operations per parameter;")
        if config.fast:
            lines.append(
                "- **on a CUDA GPU, a CUDA graph**: the whole step (forward, loss, backward, Adam) is recorded once "
                "and replayed, so Python launches one graph instead of dozens of kernels. At batch 128 this MLP is "
                "too small to keep a GPU busy: without the graph, the time goes to launching kernels.")
        else:
            lines.append("- **Fast path is off**: the optimizer's plain for-loop step, and no CUDA graph.")
    if fast_path:
        lines.append(f"\nThe last run used: {fast_path}.")
    lines.append("\nMeasure your machine: `python -m pytorch_explorer bench` runs the article's loop and this trainer "
                 "side by side (`--device cuda` on a GPU); docs/benchmarks.md has the figures measured so far.")
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the model, its cost, its time
def model_controls() -> dict[str, Any]:
    """The architecture select and its options (only those of the chosen arch are shown); returns them as
    TrainConfig keyword arguments."""
    c = st.columns(4)
    label = c[0].selectbox("Architecture", list(ARCH_LABELS), key="dt_arch", **KEEP,
                           help="MLP: the article's model. LeNet-5: LeCun's small CNN (conv-pool-conv-pool-fc). "
                                "CNN: conv blocks of your choosing. All three read the same 784 pixels.")
    arch = ARCH_LABELS[label]
    chosen: dict[str, Any] = {"arch": arch}
    if arch == "mlp":
        chosen["hidden"] = c[1].select_slider("Hidden units", HIDDEN, key="dt_hidden", **KEEP)
        chosen["depth"] = c[2].slider("Hidden layers", 1, 3, key="dt_depth", **KEEP)
    elif arch == "cnn":
        chosen["channels"] = c[1].select_slider("Channels (first block)", CHANNELS, key="dt_channels", **KEEP,
                                                help="Each next conv block has twice as many")
        chosen["kernel_size"] = c[2].select_slider("Kernel size", list(KERNEL_SIZES), key="dt_kernel", **KEEP)
        chosen["conv_layers"] = c[3].slider("Conv blocks", 1, 3, key="dt_conv_layers", **KEEP,
                                            help="conv, [batch norm], activation, 2x2 max pool: 28 -> 14 -> 7 -> 3")
        c = st.columns(4)
        chosen["dropout"] = c[0].slider("Dropout", 0.0, 0.9, step=0.05, key="dt_dropout", **KEEP,
                                        help="Before the output layer, while training only")
        chosen["batch_norm"] = c[1].toggle("Batch norm", key="dt_bn", **KEEP,
                                           help="After each convolution (which then needs no bias)")
    else:
        c[1].caption("LeNet-5's layers are fixed: conv 5x5 (6) - pool - conv 5x5 (16) - pool - 120 - 84 - 10.")
    chosen["activation"] = (c[3] if arch == "mlp" else c[2]).selectbox("Activation", list(ACTIVATIONS), key="dt_activation", **KEEP)
    return chosen


def cost_line(model: ModelConfig) -> str:
    """"LeNet-5: ...: **61,706 parameters**; **2.26 MFLOP** per training sample (forward 0.83 ...)" for the page."""
    cost = model_cost(model)
    return (f"{escape_markdown(describe_model(model))}: **{cost.parameters:,} parameters**; **{cost.training_flops / 1e6:.2f} MFLOP** per training sample "
            f"(forward {cost.forward_flops / 1e6:.2f} MFLOP, backward the rest: multiply-adds of the conv and "
            "linear layers, x2).")


def layer_rows(model: ModelConfig) -> list[dict[str, Any]]:
    """The model's layers, one row each: output shape, parameters, forward FLOPs per sample."""
    return [{"layer": layer.name, "output": " x ".join(map(str, layer.output)), "parameters": layer.parameters,
             "forward FLOPs": layer.flops} for layer in model_cost(model).layers]


@st.cache_data(ttl=600, max_entries=64, show_spinner="Timing a few training steps of this model...")
def measured_rate(model: dict[str, Any], batch_size: int, device: str) -> float:
    """samples/s of this model and batch on this device, from a few timed steps (a third of a second), per server."""
    return measure_samples_per_s(TrainConfig(**model, batch_size=batch_size, device=device), seconds=0.3)


def estimate_note(config: TrainConfig, n_total: int, rate: float, what: str = "This run") -> str:
    """"This run: 3,500 digits x 5 epochs at about 1,234 samples/s: about 15 s of training." """
    seconds = estimate_seconds(rate, n_total, config)
    n_train = int(n_total * (1 - config.val_fraction))
    epochs = f"{config.epochs} epoch" + ("s" if config.epochs != 1 else "")
    return (f"{what}: {n_train:,} training digits x {epochs} at about {rate:,.0f} samples/s "
            f"(a few steps of this model timed just now on {resolve_device(config.device)}): "
            f"**about {format_duration(seconds)}** of training.")


def full_mnist_note(config: TrainConfig, rate: float, downloaded: bool) -> str:
    """What the one-click full-MNIST run will take, and what happens first when MNIST is not here yet."""
    note = estimate_note(replace(config, source="mnist"), MNIST_DIGITS, rate, "The full MNIST")
    return note if downloaded else f"{note}\n\n{MNIST_NOTE}"


def time_estimates(config: TrainConfig, n_total: int, offer_mnist: bool) -> None:
    """How long this run (n_total digits) will take, and the full MNIST (unless it is the source already)."""
    with friendly_errors("Estimating the training time"):
        rate = measured_rate(asdict(config.model_config()), config.batch_size, config.device)
        if n_total:
            st.caption(estimate_note(config, n_total, rate))
        if offer_mnist:
            st.caption(full_mnist_note(config, rate, is_downloaded()))


def mnist_download_panel() -> None:
    """The "Download MNIST" button, for when the full MNIST is the chosen source but not here yet."""
    st.info("The full MNIST (about 11 MB) is not on this machine yet. Download it once; it stays in data/mnist/. "
            "Without an internet connection the download fails with a message; the bundled digits still work.")
    if st.button("Download MNIST", key="dt_download_mnist"):
        bar = st.progress(0.0, text="Downloading MNIST...")
        with friendly_errors("Downloading MNIST"):
            download_mnist(progress=lambda done, total: bar.progress(
                min(done / total, 1.0), text=f"{done / 2**20:.1f} of {total / 2**20:.1f} MB"))
            st.rerun()


def take_full_mnist_request(state: Any) -> None:
    """At the top of the page (before the source select exists): a click on "Train on the full MNIST" downloads
    MNIST if needed (with a progress bar), then selects it as the source and starts the run."""
    if not state.pop("dt_full_mnist", False):
        return
    if not is_downloaded():
        bar = st.progress(0.0, text="Downloading MNIST (about 11 MB)...")
        try:
            download_mnist(progress=lambda done, total: bar.progress(
                min(done / total, 1.0), text=f"Downloading MNIST: {done / 2**20:.1f} of {total / 2**20:.1f} MB"))
        except (ExplorerError, OSError) as exc:
            state["dt_mnist_error"] = (f"Could not download MNIST: {escape_markdown(str(exc))} Nothing was changed; "
                                       "the bundled digits are still here.")
            return
        finally:
            bar.empty()
    state["dt_source_kind"] = "mnist"
    state["dt_start"] = True


# ----------------------------------------------------------------------------- live predictions
@st.cache_resource(max_entries=8)
def preview_digits(source: str, on_error: str, resize: bool, val_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The 40 fixed validation digits of a run's data (images, labels), from the shared dataset cache."""
    data = shared_datasets().get((source, on_error, resize),
                                 lambda: load_digits(source, on_error=on_error, resize=resize, restrict_paths=True))
    chosen = preview_indices(data.labels, val_fraction)
    return data.images[chosen], data.labels[chosen]


def preview_grid(curves: RunCurves) -> None:
    """The run's predictions on 40 fixed validation digits, from its latest checkpoint (green right, red wrong)."""
    record = curves.record
    assert record is not None
    config = record.config
    try:
        images, labels = preview_digits(config.get("source", "bundled"), config.get("on_error", "skip"),
                                        bool(config.get("resize", False)), float(config.get("val_fraction", 0.3)))
    except (ExplorerError, ValueError, OSError):
        return  # the run's data is gone: the charts above still tell the story
    predictions = curves.preview(images)
    if predictions is None:
        title = "40 validation digits: the model's guesses appear after epoch 1"
    else:
        when = "final model" if not record.active else f"after epoch {curves.preview_epoch}"
        title = f"40 validation digits, {when}: {predictions.accuracy(labels):.0%} right (green), wrong in red"
    st.plotly_chart(figs.prediction_grid_figure(images, labels, None if predictions is None else predictions.predicted,
                                                None if predictions is None else predictions.confidence, title=title),
                    key="dt_preview_grid", config={"displayModeBar": False})
