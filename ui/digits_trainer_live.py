"""The Digits: train page's live side (pages/digits_trainer.py; its controls and wording: ui/digits_trainer.py):
the run it watches, how that run is drawn while it trains and how it ended, the run history, and the datasets
every browser session shares.

- RunCurves: a run's state and curves, polled from the run store (the run trains in a worker process);
  watched_run: which run the page shows (this session's, else the workspace's active one); run_outcome,
  speed_line, comparison_note: how it ended, in words (plain Python, tested without Streamlit);
- show_live_run, live_metrics: the live panel's progress bar, figures and charts; preview_grid: the live
  predictions on 40 fixed validation digits, redrawn from the run's latest checkpoint;
- history_table: the run history (in Chinese, its headers and words too);
- DatasetCache / digits_with_progress: datasets loaded once per server, with a progress bar.

What the worker wrote in English (a run's message, what ran) is shown through `messages.localize`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import streamlit as st

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.models import load_checkpoint
from pytorch_explorer.digits.shelf import TRAINED_HERE, StoreShelf
from pytorch_explorer.digits.training import TrainingEvent
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.training.messages import localize, run_message
from pytorch_explorer.digits.training.preview import Predictions, predict_preview, preview_indices
from pytorch_explorer.runs import RunRecord, RunStore
from ui.i18n import lang, tr

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
    message = escape_markdown(run_message(record, lang()))  # written in English by the worker (and in Chinese)
    accuracies = {"train": f"{m.get('train_acc', float('nan')):.1%}", "val": f"{m.get('val_acc', float('nan')):.1%}"}
    if record.status == "done":
        return "success", tr("{name} finished: train accuracy {train}, validation accuracy {val}.", name=name,
                             **accuracies)
    if record.status == "stopped":
        return "success", tr("{name} stopped early (the partial model is kept): train accuracy {train}, validation "
                             "accuracy {val}.", name=name, **accuracies)
    if record.status == "diverged":
        return "error", tr("{name} **diverged.** {message} The run is in the history below; it did not replace the "
                           "current model.", name=name, message=message)
    if record.status == "interrupted":
        return "warning", tr("{name} was interrupted: {message}", name=name, message=message)
    if record.status == "failed":
        return "error", tr("Training stopped with an error: {message}", message=message)
    return None


def speed_line(record: RunRecord) -> str | None:
    """"This run: **12,345 samples/s on cpu** (fused Adam)." once the run has its final metrics."""
    m = record.summary
    if "samples_per_s" not in m:
        return None
    return tr("This run: **{rate} samples/s on {device}** ({what}).", rate=f"{m['samples_per_s']:,.0f}",
              device=m.get("device", record.device), what=localize(m.get("fast_path", ""), lang()))


def comparison_note(shelf: StoreShelf) -> str | None:
    """The fixed loop against the article's, once the shelf has a finished run of each."""
    latest = shelf.latest_by_mode()
    if not {"fixed", "article-faithful"} <= set(latest):
        return None
    fixed, article = latest["fixed"], latest["article-faithful"]
    return tr("Latest fixed run: **{fixed}** validation accuracy; latest article-faithful run: **{article}**. Same "
              "model, same data: the difference is the training loop, mostly the missing `optimizer.zero_grad()` "
              "(gradients of every step piled up).", fixed=f"{fixed['val_acc']:.1%}", article=f"{article['val_acc']:.1%}")


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
    bar, loading = st.progress(0.0, text=tr("Loading the digits...")), tr("Loading the digits: {done} of {total}")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=loading.format(done=f"{done:,}", total=f"{total:,}"))

    try:
        return cache.get(key, lambda: load_digits(spec, on_error=on_error, resize=resize, progress=progress,
                                                  restrict_paths=True))  # typed paths: under data/ only
    finally:
        bar.empty()


def reload_digits(spec: str, on_error: str, resize: bool) -> None:
    """Forget a loaded dataset: the next page run reads its files again."""
    shared_datasets().forget((spec, on_error, resize))


def queue_text(ahead: int | None) -> str:
    """"queued: next to start", "queued: 2 runs ahead of yours" (what JobRunner.queue_note says, translated)."""
    if not ahead:
        return tr("queued: next to start") if ahead == 0 else tr("queued")
    return tr("queued: 1 run ahead of yours") if ahead == 1 else tr("queued: {n} runs ahead of yours", n=ahead)


def show_live_run(curves: RunCurves, ahead: int | None = None) -> None:
    """A run's progress bar (`ahead`: runs queued before it), its live figures and its loss and accuracy charts."""
    record = curves.record
    assert record is not None
    config, event = record.config, curves.event()
    if record.status == "queued":
        st.progress(0.0, text=f"{escape_markdown(record.name)}: {queue_text(ahead)}")
        return
    if event is None and record.active:
        st.progress(0.0, text=tr("Starting the run..."))
        return
    where = tr("epoch {epoch} of {epochs}, step {step} of {steps}", epoch=record.epoch,
               epochs=config.get("epochs", "?"), step=record.steps, steps=record.total_steps)
    device = record.device or config.get("device", "?")
    loop = (tr("article-faithful loop on {device}", device=device) if config.get("article_faithful")
            else tr("fixed loop on {device}", device=device))
    ended = {"done": tr("{loop} finished at {where}"), "stopped": tr("{loop} stopped at {where}"),
             "diverged": tr("{loop} diverged at {where}"), "interrupted": tr("{loop} interrupted at {where}"),
             "failed": tr("{loop} failed at {where}")}.get(record.status, tr("{loop}: {where}"))
    st.progress(record.progress, text=ended.format(loop=loop, where=where))
    if event is not None:
        for column, (label, value, help_) in zip(st.columns(5), live_metrics(event, curves.val_acc), strict=True):
            column.metric(label, value, help=help_)
    c, language = st.columns(2), lang()
    c[0].plotly_chart(figs.loss_figure(curves.steps, curves.losses, total_steps=record.total_steps or None,
                                       lang=language), key="dt_loss_chart", config={"displayModeBar": False})
    c[1].plotly_chart(figs.accuracy_figure(curves.epochs, curves.train_acc, curves.val_acc,
                                           total_epochs=config.get("epochs"), lang=language),
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
        (tr("Loss"), f"{event.loss:.4g}", tr("mean cross-entropy over the last few steps; ln 10 = 2.303 is guessing")),
        (tr("Running accuracy"), f"{event.accuracy:.1%}", tr("on this epoch's training batches so far")),
        (tr("Validation accuracy"), f"{val_acc[-1]:.1%}" if val_acc else "—",
         tr("on the held-out digits, measured after each epoch") if val_acc else
         tr("on the held-out digits, measured after each epoch: after epoch 1")),
        (tr("Samples/s"), compact(event.samples_per_s),
         tr("{rate} training samples a second", rate=f"{event.samples_per_s:,.0f}")),
        (tr("Elapsed"), seconds, None),
    ]


def history_table(rows: list[dict[str, Any]]) -> None:
    """The run-history table, the most telling columns first (in Chinese: its headers and words too)."""
    columns = list(rows[0]) if rows else []
    order = [c for c in HISTORY_FIRST if c in columns] + [c for c in columns if c not in HISTORY_FIRST]
    if lang() != "en":
        rows = [history_words(row) for row in rows]
    number = {"train_acc": "%.3f", "val_acc": "%.3f", "lr": "%g", "samples_per_s": "%d", "seconds": "%.2f"}
    config = {c: st.column_config.NumberColumn(label, format=number[c]) if c in number
              else st.column_config.Column(label) for c, label in history_headers().items()}
    st.dataframe(rows, key="dt_history", hide_index=True, column_order=order, column_config=config)


def history_headers() -> dict[str, str]:
    """The history's column headers (English: the keys, a few shortened)."""
    return {"name": tr("name"), "how": tr("how"), "mode": tr("mode"), "arch": tr("arch"), "status": tr("status"),
            "source": tr("source"), "hidden": tr("hidden"), "depth": tr("depth"), "activation": tr("activation function"),
            "optimizer": tr("optimizer"), "lr": "lr", "batch_size": tr("batch_size"), "epochs": tr("epochs"),
            "seed": tr("seed"), "train_acc": tr("train acc"), "val_acc": tr("val acc"), "seconds": tr("seconds"),
            "samples_per_s": tr("samples/s"), "device": tr("device"), "fast_path": tr("what ran")}


def history_words(row: dict[str, Any]) -> dict[str, Any]:
    """A history row with its words (mode, status, how it came, what ran) in this session's language."""
    words = {"fixed": tr("fixed loop"), "article-faithful": tr("article-faithful mode"),
             "queued": tr("queued"), "running": tr("running"), "done": tr("done"), "stopped": tr("stopped"),
             "diverged": tr("diverged"), "interrupted": tr("interrupted"), "failed": tr("failed"),
             TRAINED_HERE: tr(TRAINED_HERE),
             "loaded from a file": tr("loaded from a file")}
    how = str(row.get("how", ""))
    loaded = how.startswith("loaded from ") and how not in words
    return {**row, "mode": words.get(row.get("mode"), row.get("mode")),
            "status": words.get(row.get("status"), row.get("status")),
            "how": tr("loaded from {file}", file=how.removeprefix("loaded from ")) if loaded else words.get(how, how),
            "fast_path": localize(str(row.get("fast_path") or ""), lang())}


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
        title = tr("40 validation digits: the model's guesses appear after epoch 1")
    else:
        right = f"{predictions.accuracy(labels):.0%}"
        title = (tr("40 validation digits, final model: {right} right (green), wrong in red", right=right)
                 if not record.active else tr("40 validation digits, after epoch {epoch}: {right} right (green), "
                                              "wrong in red", epoch=curves.preview_epoch, right=right))
    st.plotly_chart(figs.prediction_grid_figure(images, labels, None if predictions is None else predictions.predicted,
                                                None if predictions is None else predictions.confidence, title=title,
                                                lang=lang()),
                    key="dt_preview_grid", config={"displayModeBar": False})
