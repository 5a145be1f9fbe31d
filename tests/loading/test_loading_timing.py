"""Timing one epoch: every method yields its events; a failing worker start is reported, not raised."""

from __future__ import annotations

import numpy as np
import pytest

from pytorch_explorer.loading import timing
from pytorch_explorer.loading.timing import TimingEvent, time_epochs, timing_note, timing_rows


def fake_digits(n: int = 300):
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), np.arange(n) % 10


def test_each_method_is_timed_each_epoch(one_torch_thread):
    images, labels = fake_digits()
    events = list(time_epochs(images, labels, batch_size=64, num_workers=0, repeats=2))
    assert [(e.method, e.epoch) for e in events] == [("loader-0", 1), ("loader-0", 2), ("device", 1), ("device", 2)]
    assert all(e.seconds > 0 and e.batches == 5 and e.samples == 300 and e.error is None for e in events)
    rows = timing_rows(events)
    assert [r["key"] for r in rows] == ["loader-0", "device"]
    assert rows[1]["x the device tensors' time"] == pytest.approx(1.0)


def test_worker_processes_run(one_torch_thread):
    images, labels = fake_digits(200)
    events = list(time_epochs(images, labels, batch_size=50, num_workers=1, repeats=1))
    workers = [e for e in events if e.method == "loader-1"]
    assert len(workers) == 1 and workers[0].error is None and workers[0].batches == 4


def test_a_worker_failure_is_reported_and_the_rest_goes_on(monkeypatch, one_torch_thread):
    real = timing.loader_epoch

    def failing(dataset, batch_size, num_workers, seed, device):
        if num_workers:
            raise RuntimeError("DataLoader worker (pid 1) exited unexpectedly")
        return real(dataset, batch_size, num_workers, seed, device)

    monkeypatch.setattr(timing, "loader_epoch", failing)
    images, labels = fake_digits(100)
    events = list(time_epochs(images, labels, batch_size=50, num_workers=1, repeats=2))
    assert [e.method for e in events] == ["loader-0", "loader-0", "loader-1", "device", "device"]
    failed = events[2]
    assert failed.seconds is None and "num_workers=0 works everywhere" in failed.error
    assert "exited unexpectedly" in failed.error


def test_too_many_workers_or_repeats_are_refused():
    images, labels = fake_digits(10)
    with pytest.raises(ValueError, match="num_workers"):
        list(time_epochs(images, labels, 5, num_workers=timing.worker_limit() + 1))
    with pytest.raises(ValueError, match="repeats"):
        list(time_epochs(images, labels, 5, repeats=0))


def test_rows_and_note_from_measured_events():
    events = [TimingEvent("loader-0", "DataLoader", 1, 0.030, 3500, 28),
              TimingEvent("loader-0", "DataLoader", 2, 0.020, 3500, 28),
              TimingEvent("loader-0", "DataLoader", 3, 0.040, 3500, 28),
              TimingEvent("loader-2", "workers", 1, None, 3500, 0, error="could not start"),
              TimingEvent("device", "tensors", 1, 0.002, 3500, 28)]
    rows = {r["key"]: r for r in timing_rows(events)}
    assert rows["loader-0"]["ms per epoch (median)"] == pytest.approx(30.0)
    assert rows["loader-0"]["ms per epoch (best)"] == pytest.approx(20.0)
    assert rows["loader-0"]["x the device tensors' time"] == pytest.approx(10.0)
    assert rows["loader-0"]["samples per s"] == pytest.approx(3500 / 0.020)
    assert rows["loader-2"]["ms per epoch (best)"] is None and rows["loader-2"]["error"] == "could not start"
    note = timing_note(list(rows.values()))
    assert "**20.0 ms**" in note and "**2.00 ms**" in note and "**10x**" in note and "could not start" in note


def test_note_says_whether_workers_helped():
    base = [TimingEvent("loader-0", "DataLoader", 1, 0.030, 3500, 28), TimingEvent("device", "tensors", 1, 0.002, 3500, 28)]
    slow = timing_note(timing_rows(base + [TimingEvent("loader-2", "workers", 1, 0.300, 3500, 28)]))
    fast = timing_note(timing_rows(base + [TimingEvent("loader-2", "workers", 1, 0.010, 3500, 28)]))
    assert "**300 ms**, more than without" in slow and "**10 ms**, less than without" in fast
