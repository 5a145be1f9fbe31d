"""The trainer page's helpers (ui/digits_trainer.py) as plain Python: the live run, filing runs on the shelf,
the shared dataset cache, and the code and words the page shows (the code is run and must reproduce the trainer)."""

from __future__ import annotations

import contextlib
import io

import pytest
import torch

from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.shelf import ModelShelf
from pytorch_explorer.digits.training import TrainConfig, planned_steps, train_to_completion
from ui.digits_trainer import (
    DatasetCache, LiveRun, canonical_step_code, checkpoint_filename, comparison_note, file_run, speed_notes,
)

TINY = dict(hidden=16, epochs=2, batch_size=32, log_every=3)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


@pytest.fixture(scope="module")
def small() -> DigitDataset:
    bundled = load_digits("bundled")
    return DigitDataset(bundled.images[:600], bundled.labels[:600], "bundled[:600]")


def finished(config: TrainConfig, data: DigitDataset, number: int = 1) -> LiveRun:
    run = LiveRun(config, data, number=number)
    while run.active:
        run.pull(10.0)
    return run


# ----------------------------------------------------------------------------- LiveRun (what the page drives)
def test_live_run_records_what_the_page_draws(small):
    run = LiveRun(TrainConfig(**TINY), small, number=3)
    assert run.active and run.event is None and run.total_steps == planned_steps(TrainConfig(**TINY), 600)
    assert run.pull(0.0)  # at least one event even with no time
    assert run.event is not None and run.steps == [3] and len(run.losses) == 1
    while run.active:
        run.pull(10.0)
    assert run.final.kind == "done" and run.final.result.metrics["status"] == "done"
    assert run.epochs == [1, 2] and len(run.val_acc) == 2 and run.steps[-1] == run.total_steps
    assert run.device == "cpu" and run.error is None and run.number == 3
    assert run.pull(1.0) and run.final.kind == "done"  # pulling an ended run changes nothing


def test_live_run_stop_and_a_busy_lock(small):
    run = LiveRun(TrainConfig(**TINY), small)
    run.pull(0.0)
    run.lock.acquire()  # another script thread is pulling
    try:
        assert run.pull(1.0) is False and run.steps == [3]
    finally:
        run.lock.release()
    run.stop()
    run.pull(1.0)
    assert run.final.kind == "stopped" and not run.active
    assert run.final.result.metrics["steps"] == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_live_run_keeps_a_device_error_as_a_message(small):
    run = LiveRun(TrainConfig(**TINY, device="cuda"), small)
    assert run.pull(1.0)
    assert not run.active and run.final is None and "CUDA" in run.error


# ----------------------------------------------------------------------------- filing runs on the shelf
def test_a_finished_run_is_filed_once_with_its_history_row(small):
    shelf = ModelShelf()
    run = finished(TrainConfig(**TINY), small, number=1)
    outcome = file_run(run, shelf)
    assert outcome == {"name": "run 1 (fixed)", "kind": "done", "message": ""} and run.filed
    assert run.outcome == outcome  # kept on the run for the page runs that come after the one that filed it
    assert file_run(run, shelf) == outcome  # a rerun that repeats it changes nothing
    trained = run.final.result
    assert shelf.names() == ["run 1 (fixed)"] and shelf.current is trained and trained.name == "run 1 (fixed)"
    [row] = shelf.rows()
    assert row["name"] == "run 1 (fixed)" and row["mode"] == "fixed" and row["status"] == "done"
    assert row["val_acc"] == trained.metrics["val_acc"] and row["device"] == "cpu" and row["lr"] == 0.001
    assert row["hidden"] == 16 and row["fast_path"] == trained.metrics["fast_path"]
    assert row["how"] == "trained on the trainer page"


def test_a_diverged_run_is_recorded_once_but_not_kept_and_an_error_is_an_outcome(small):
    shelf = ModelShelf()
    run = finished(TrainConfig(hidden=64, epochs=3, optimizer="sgd", lr=1.0, batch_size=32, article_faithful=True),
                   small)
    outcome = file_run(run, shelf)
    assert outcome["kind"] == "diverged" and "learning rate" in outcome["message"]
    file_run(run, shelf)
    assert len(shelf.rows()) == 1 and shelf.rows()[0]["status"] == "diverged"
    assert shelf.current is None and len(shelf) == 0 and shelf.metrics_of(outcome["name"]) is not None
    failed = LiveRun(TrainConfig(**TINY), small)
    failed.error = "CUDA error: out of memory"
    assert file_run(failed, shelf) == {"error": "CUDA error: out of memory", "device": "auto"} and failed.filed


def test_the_comparison_needs_a_finished_run_of_each_mode(small):
    shelf = ModelShelf()
    file_run(finished(TrainConfig(**TINY), small, 1), shelf)
    assert comparison_note(shelf) is None
    file_run(finished(TrainConfig(**TINY, article_faithful=True), small, 2), shelf)
    latest = shelf.latest_by_mode()
    note = comparison_note(shelf)
    assert f"{latest['fixed']['val_acc']:.1%}" in note and f"{latest['article-faithful']['val_acc']:.1%}" in note


def test_checkpoint_filenames_are_safe():
    assert checkpoint_filename("run 1 (fixed)") == "digits-run-1-fixed.pt"
    assert checkpoint_filename("../../etc") == "digits-etc.pt" and checkpoint_filename("()") == "digits-model.pt"


# ----------------------------------------------------------------------------- the datasets every session shares
def test_the_dataset_cache_loads_once_and_keeps_the_newest_four(small):
    cache, loads = DatasetCache(keep=4), []

    def loader(key):
        return lambda: loads.append(key) or small

    assert cache.get("a", loader("a")) is small and cache.get("a", loader("a")) is small and loads == ["a"]
    for key in "bcde":
        cache.get(key, loader(key))
    assert "a" not in cache and all(k in cache for k in "bcde")
    cache.forget("c")
    cache.get("c", loader("c"))
    assert loads == ["a", "b", "c", "d", "e", "c"]

    def broken():
        raise ValueError("bad folder")

    with pytest.raises(ValueError):
        cache.get("x", broken)
    assert "x" not in cache


# ----------------------------------------------------------------------------- the code and words the page shows
def test_the_fixed_code_shown_reproduces_the_trainer(small):
    config = TrainConfig(**TINY, seed=3, fast=False, device="cpu", lr=0.003)
    trained = train_to_completion(config, small)
    code = canonical_step_code(config)
    assert "optimizer.zero_grad()" in code and "lr=0.003" in code and "fused" not in code
    scope = {"images": small.images, "labels": small.labels}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<shown code>", "exec"), scope)  # noqa: S102 - our own code, as the page shows it
    for (name, ours), shown in zip(trained.model.state_dict().items(), scope["model"].state_dict().values(),
                                   strict=True):
        assert torch.allclose(ours, shown, atol=1e-6), name


def test_the_article_code_shown_marks_its_defects():
    fixed_code = canonical_step_code(TrainConfig(lr=0.01, batch_size=64))
    assert "lr=0.01" in fixed_code and "64" in fixed_code and "fused=True" in fixed_code
    article_code = canonical_step_code(TrainConfig(article_faithful=True))
    assert "DEFECT: no optimizer.zero_grad()" in article_code and "rng.choice" in article_code
    compile(article_code, "<article>", "exec")
    assert "fused" not in article_code


def test_speed_notes_say_what_each_setting_does():
    fast = speed_notes(TrainConfig(), "fused Adam, its kernel called directly")
    assert "fused=True" in fast and "CUDA graph" in fast and "python -m pytorch_explorer bench" in fast
    assert fast.endswith("docs/benchmarks.md has the figures measured so far.")
    assert "The last run used: fused Adam, its kernel called directly." in fast
    eager = speed_notes(TrainConfig(fast=False))
    assert "Fast path is off" in eager and "fused=True" not in eager and "last run used" not in eager
    article = speed_notes(TrainConfig(article_faithful=True))
    assert "`loss.item()` every step" in article and "for-loop Adam" in article
    sgd = speed_notes(TrainConfig(optimizer="sgd"))
    assert "fused SGD" in sgd and "fused Adam" not in sgd and "CUDA graph" in sgd
