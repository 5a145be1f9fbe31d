"""One epoch of a DataLoader against tensors kept on the device, timed here and now.

- "DataLoader": `DigitsDataset` + `RandomSampler` + `collate_digits`, each batch then moved to the device:
  per sample, a Python call to `__getitem__`; per batch, a collate and a copy. With `num_workers > 0`
  the samples are fetched in worker *processes*, which must start (each epoch, unless persistent) and
  send every batch back through shared memory.
- "device tensors": the trainer's fast path (`digits/training/loop.py`): the digits are converted and
  put on the device once; an epoch is a `torch.randperm` and, per batch, one `index_select`.

Workers start with the forkserver method where the OS has it (forking Streamlit's threaded server is
unsafe), with the page script hidden from them (`core.processes.main_module_hidden`); if they cannot
start here the event says so and the other timings go on. Titles, errors and the note come in `lang`
("en" or "zh").
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, RandomSampler

from pytorch_explorer.core.devices import cpu_count
from pytorch_explorer.core.processes import main_module_hidden, worker_context
from pytorch_explorer.digits.models import pixels_to_inputs
from pytorch_explorer.i18n import translate
from pytorch_explorer.loading.datasets import DigitsDataset, collate_digits
from pytorch_explorer.loading.samplers import check_batch_size

MAX_WORKERS = 2  # worker processes at most: this server has few cores, shared by everyone
WORKER_TIMEOUT_S = 60  # a batch a worker does not deliver by then is an error, not a hung page
DEVICE_METHOD = "device"
RATIO = "x the device tensors' time"  # the rows' column: this method's best over the device tensors' best


def worker_limit() -> int:
    """The most workers a page may ask for here: MAX_WORKERS, and no more than the cores."""
    return max(0, min(MAX_WORKERS, cpu_count()))


@dataclass(frozen=True)
class TimingEvent:
    """One timed epoch of one method (or why it could not run)."""

    method: str  # "loader-0", "loader-2", "device"
    title: str
    epoch: int
    seconds: float | None
    samples: int
    batches: int
    error: str | None = None


def method_title(method: str, device: torch.device | str, lang: str = "en") -> str:
    """A method's name in the table: "DataLoader, num_workers=2 (processes)", "tensors on cpu, ..."."""
    if method == DEVICE_METHOD:
        return translate("tensors on {device}, randperm + index_select", lang).format(device=torch.device(device).type)
    workers = int(method.split("-")[1])
    if workers:
        return translate("DataLoader, num_workers={workers} (processes)", lang).format(workers=workers)
    return f"DataLoader, num_workers={workers}"  # code: the same in every language


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def loader_epoch(dataset: DigitsDataset, batch_size: int, num_workers: int, seed: int, device: torch.device) -> int:
    """Run one epoch of a DataLoader, every batch moved to the device; returns the number of batches."""
    sampler = RandomSampler(dataset, generator=torch.Generator().manual_seed(seed))
    extra = {"multiprocessing_context": worker_context(), "timeout": WORKER_TIMEOUT_S} if num_workers else {}
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, collate_fn=collate_digits,
                        num_workers=num_workers, generator=torch.Generator().manual_seed(seed), **extra)
    batches = 0
    with main_module_hidden():  # workers start on iter(): they must not import the page script
        for x, y, _index in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            batches += 1
    sync(device)
    return batches


def device_epoch(x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator) -> int:
    """One epoch as the trainer's fast path runs it: a permutation, then one gather per batch."""
    n = len(y)
    order = torch.randperm(n, generator=generator).to(x.device)
    batches = 0
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        xb, yb = x.index_select(0, batch), y.index_select(0, batch)
        batches += 1
    del xb, yb
    sync(x.device)
    return batches


def worker_error(exc: BaseException, workers: int, lang: str = "en") -> str:
    return translate(
        "DataLoader workers could not run here ({error}). Workers are separate processes; this server could not "
        "start or hear from {workers} of them. num_workers=0 works everywhere (and on data already in memory it "
        "is usually the fastest).", lang).format(error=f"{type(exc).__name__}: {exc}", workers=workers)


def time_epochs(images: np.ndarray, labels: np.ndarray, batch_size: int, num_workers: int = 0,
                device: torch.device | str = "cpu", seed: int = 0, repeats: int = 3,
                lang: str = "en") -> Iterator[TimingEvent]:
    """Time `repeats` epochs of each method, yielding an event after each epoch (live progress); the events'
    titles and errors in `lang`."""
    batch_size, device = check_batch_size(batch_size), torch.device(device)
    if not 0 <= num_workers <= worker_limit():
        raise ValueError(f"num_workers must be between 0 and {worker_limit()} on this machine, not {num_workers}")
    if not 1 <= repeats <= 20:
        raise ValueError(f"repeats must be between 1 and 20, not {repeats}")
    dataset, n = DigitsDataset(images, labels), len(labels)
    methods = ["loader-0"] + ([f"loader-{num_workers}"] if num_workers else []) + [DEVICE_METHOD]
    x = pixels_to_inputs(torch.from_numpy(np.ascontiguousarray(images)).to(device))  # once, as DeviceData does
    y = torch.as_tensor(np.asarray(labels), dtype=torch.int64).to(device)
    generator = torch.Generator().manual_seed(seed)
    for method in methods:
        title = method_title(method, device, lang)
        for epoch in range(1, repeats + 1):
            start = time.perf_counter()
            try:
                if method == DEVICE_METHOD:
                    batches = device_epoch(x, y, batch_size, generator)
                else:
                    batches = loader_epoch(dataset, batch_size, int(method.split("-")[1]), seed + epoch, device)
            except (RuntimeError, OSError, EOFError, ValueError, ImportError) as exc:
                if method == "loader-0" or method == DEVICE_METHOD:
                    raise
                yield TimingEvent(method, title, epoch, None, n, 0, worker_error(exc, num_workers, lang))
                break
            yield TimingEvent(method, title, epoch, time.perf_counter() - start, n, batches)


def timing_rows(events: list[TimingEvent]) -> list[dict]:
    """Per method: the best and median epoch times, samples per second (at the best), and how many times the
    device tensors' best. The best is the epoch least disturbed by whatever else the machine was doing."""
    rows, best = [], {}
    for method in dict.fromkeys(e.method for e in events):
        mine = [e for e in events if e.method == method]
        times = [e.seconds for e in mine if e.seconds is not None]
        error = next((e.error for e in mine if e.error), None)
        best[method] = min(times) if times else None
        rows.append({"method": mine[0].title, "key": method, "epochs timed": len(times),
                     "ms per epoch (best)": None if not times else min(times) * 1000,
                     "ms per epoch (median)": None if not times else statistics.median(times) * 1000,
                     "samples per s": None if not times else mine[0].samples / min(times), "error": error})
    device = best.get(DEVICE_METHOD)
    for row, method in zip(rows, best, strict=True):
        mine = best[method]
        row["x the device tensors' time"] = None if (mine is None or not device) else mine / device
    return rows


def timing_note(rows: list[dict], lang: str = "en") -> str:
    """What these measured numbers say, in a sentence or two (Markdown, in `lang`)."""
    by_key = {r["key"]: r for r in rows}
    loader, device = by_key.get("loader-0"), by_key.get(DEVICE_METHOD)
    if not loader or not device or not loader["ms per epoch (best)"] or not device["ms per epoch (best)"]:
        return ""
    text = translate(
        "Here one epoch took **{loader_ms} ms** through the DataLoader and **{device_ms} ms** with the tensors kept "
        "on the device (the best of each): **{ratio}x** as long. The DataLoader calls `__getitem__` once per sample "
        "in Python and collates every batch; the device tensors need one `randperm` an epoch and one "
        "`index_select` a batch. That is why the trainer's fast path keeps the digits on the device: they fit in "
        "memory many times over. (On a busy server the device tensors' small operations suffer most: torch's "
        "threads wait for each other.)", lang).format(
        loader_ms=f"{loader['ms per epoch (best)']:.1f}", device_ms=f"{device['ms per epoch (best)']:.2f}",
        ratio=f"{loader[RATIO]:.0f}")
    workers = [r for r in rows if r["key"].startswith("loader-") and r["key"] != "loader-0"]
    for row in workers:
        if row["error"]:
            text += f"\n\n{row['error']}"
        elif row["ms per epoch (best)"]:
            faster = row["ms per epoch (best)"] < loader["ms per epoch (best)"]
            template = translate(
                "With worker processes an epoch took **{ms} ms**, less than without: the workers fetch and collate "
                "in parallel, each process on its own core. They start again each epoch (unless "
                "`persistent_workers=True`) and every batch travels back through shared memory, so they pay off "
                "when `__getitem__` is slow (decoding an image file); tensors already on the device need no "
                "fetching at all.", lang) if faster else translate(
                "With worker processes an epoch took **{ms} ms**, more than without. They start again each epoch "
                "(unless `persistent_workers=True`) and every batch travels back through shared memory, so they "
                "pay off when `__getitem__` is slow (decoding an image file); tensors already on the device need "
                "no fetching at all.", lang)
            text += "\n\n" + template.format(ms=f"{row['ms per epoch (best)']:.0f}")
    return text
