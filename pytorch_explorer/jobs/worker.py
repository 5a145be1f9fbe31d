"""The worker: one training run in its own process, its progress written into the run store.

`run_job(store_root, run_id, threads)` is what a worker process runs (the runner starts it). It:

1. lowers its own priority (so the web server answers first) and follows `threads`, the torch thread
   count the runner gives it (an int, or a shared multiprocessing value the runner changes as jobs come
   and go), with torch.set_num_threads in this process only;
2. claims the run (status "running", owned by this process's lock) and loads the data by its source spec;
3. drives the Trainer, writing "step" readings (batched, at most every FLUSH_S seconds), each "epoch"
   reading with a checkpoint, and the end: done, stopped, diverged, or failed with the error's message (in
   English, and a package error's also in the other languages: messages.translations);
4. between events, every POLL_S seconds, reads the run's stop request (the page's Stop button) and checks
   that the server that started it is alive: a stop ends the run as "stopped"; a dead server as
   "interrupted", with the partial model as its checkpoint.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import replace
from typing import Any

import torch

from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.digits.models import TrainedModel, save_checkpoint
from pytorch_explorer.digits.training import FINAL_KINDS, TrainConfig, Trainer, TrainingEvent, train_digits
from pytorch_explorer.digits.training.messages import translations
from pytorch_explorer.runs.store import RunStore

POLL_S = 0.2  # how often the worker reads the stop request
FLUSH_S = 0.25  # how often step readings are written (epoch readings and the end: at once)
NICE = 5  # how much lower than the server a worker runs (POSIX nice)


class ThreadShare:
    """The torch threads this process should use: fixed, or read from a value the runner changes."""

    def __init__(self, threads: Any) -> None:
        self.threads = threads

    def apply(self) -> None:
        wanted = int(getattr(self.threads, "value", self.threads) or 0)
        if wanted > 0 and wanted != torch.get_num_threads():
            torch.set_num_threads(wanted)


def run_job(store_root: str, run_id: str, threads: Any, nice: int = NICE) -> None:
    """A worker process's whole life: train one run of the store at `store_root` (see the module docstring)."""
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError:
            pass
    share = ThreadShare(threads)
    share.apply()
    store = RunStore(store_root, recover=False)
    try:
        train_run(store, run_id, share)
    finally:
        store.close()


def reading(event: TrainingEvent, seconds: float | None = None) -> dict[str, Any]:
    """A TrainingEvent as a metrics row of the store."""
    return {"kind": event.kind, "step": event.step, "epoch": event.epoch, "loss": event.loss,
            "accuracy": event.accuracy, "train_acc": event.train_acc, "val_acc": event.val_acc,
            "samples_per_s": event.samples_per_s, "elapsed_s": event.elapsed_s, "seconds": seconds}


class RunWriter:
    """Writes one run's events into the store: step readings in batches, epochs with a checkpoint."""

    def __init__(self, store: RunStore, run_id: str, trainer: Trainer, name: str) -> None:
        self.store, self.run_id, self.trainer, self.name = store, run_id, trainer, name
        self.pending: list[dict[str, Any]] = []
        self.flushed_at = time.monotonic()

    def progress(self, event: TrainingEvent) -> dict[str, Any]:
        log = self.trainer.log
        progress: dict[str, Any] = {"steps": event.step, "epoch": event.epoch, "loss": event.loss,
                                    "samples_per_s": event.samples_per_s, "elapsed_s": event.elapsed_s,
                                    "device": str(self.trainer.device)}
        if log is not None:
            progress.update(total_steps=log.total_steps, train_seconds=log.train_seconds)
        if event.val_acc is not None:
            progress.update(train_acc=event.train_acc, val_acc=event.val_acc)
        return progress

    def add(self, event: TrainingEvent) -> None:
        seconds = None
        if event.kind == "epoch" and self.trainer.log is not None:
            seconds = self.trainer.log.history.epoch_seconds[-1]
        self.pending.append(reading(event, seconds))
        if event.kind == "epoch" or time.monotonic() - self.flushed_at >= FLUSH_S:
            self.flush(event)
        if event.kind == "epoch":
            self.checkpoint(self.partial_model(event), event.epoch)

    def flush(self, event: TrainingEvent) -> None:
        self.store.record(self.run_id, self.pending, **self.progress(event))
        self.pending = []
        self.flushed_at = time.monotonic()

    def partial_model(self, event: TrainingEvent) -> TrainedModel:
        config = self.trainer.config
        assert self.trainer.model is not None
        metrics = {"status": "running", "epoch": event.epoch, "train_acc": event.train_acc, "val_acc": event.val_acc}
        source = self.trainer.dataset.source if self.trainer.dataset is not None else config.source
        return TrainedModel(model=self.trainer.model, config=config.model_config(), hyperparameters=config.as_dict(),
                            metrics=metrics, source=source, name=self.name)

    def checkpoint(self, trained: TrainedModel, epoch: int) -> None:
        data = save_checkpoint(trained)
        assert data is not None
        self.store.write_checkpoint(self.run_id, data, epoch)


def train_run(store: RunStore, run_id: str, threads: ThreadShare | None = None) -> str:
    """Train the run `run_id` of `store` to its end, recording everything; returns its final status."""
    record = store.run(run_id)
    if store.stop_request(run_id):
        store.finish(run_id, "stopped", "Stopped before it started.")
        return "stopped"
    store.claim(run_id, os.getpid())
    parent = multiprocessing.parent_process()
    try:
        config = replace(TrainConfig(**record.config), threads=0)  # this process's threads are already set
        trainer = train_digits(config, load_digits(config.source, on_error=config.on_error, resize=config.resize, restrict_paths=True))
        writer = RunWriter(store, run_id, trainer, record.name)
        ending, polled = "", time.monotonic()
        for event in trainer:
            if event.kind in FINAL_KINDS:
                return finish(writer, event, ending)
            writer.add(event)
            if not ending and time.monotonic() - polled >= POLL_S:
                polled = time.monotonic()
                if threads is not None:
                    threads.apply()
                ending = store.stop_request(run_id) or ("" if parent is None or parent.is_alive() else "interrupted")
                if ending:
                    trainer.stop()
        store.finish(run_id, "failed", "The run ended without a result.")
        return "failed"
    except Exception as exc:  # noqa: BLE001  (any failure ends the run with its message, not a silent worker death)
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        prefix = "" if message.endswith(".") else f"{type(exc).__name__}: "  # not a sentence: name the error
        store.finish(run_id, "failed", prefix + message, summary=translations(exc, prefix))
        return "failed"


def finish(writer: RunWriter, event: TrainingEvent, ending: str) -> str:
    """Record the final event: a checkpoint of the model (unless it diverged) and the run's end."""
    assert event.result is not None
    writer.pending.append(reading(event))
    writer.flush(event)
    status = ending if event.kind == "stopped" and ending else event.kind
    if event.kind != "diverged":
        writer.checkpoint(event.result, event.epoch)
    message = event.message
    if status == "interrupted":
        message = f"Interrupted at step {event.step}: the server that started it stopped; this model is kept."
    writer.store.finish(writer.run_id, status, message, summary=event.result.metrics)
    return status
