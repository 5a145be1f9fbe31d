"""The trainer page's helpers (ui/digits_trainer.py) as plain Python: the run it watches (polled from the run
store), how a run ended in words, the shared dataset cache, and the code and words the page shows (the code
is run and must reproduce the trainer)."""

from __future__ import annotations

import contextlib
import io
import math

import pytest
import torch

from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from pytorch_explorer.runs import new_workspace_id
from ui.digits_trainer import (
    DatasetCache, RunCurves, canonical_step_code, checkpoint_filename, comparison_note, run_outcome, speed_line,
    speed_notes, watched_run,
)

TINY = dict(hidden=16, epochs=2, batch_size=32, log_every=3)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


@pytest.fixture(scope="module")
def small() -> DigitDataset:
    bundled = load_digits("bundled")
    return DigitDataset(bundled.images[:600], bundled.labels[:600], "bundled[:600]")


def step(n: int, loss: float | None = 2.0, epoch: int = 1) -> dict:
    return {"kind": "step", "step": n, "epoch": epoch, "loss": loss, "accuracy": 0.5, "samples_per_s": 1000.0,
            "elapsed_s": 0.1 * n}


# ----------------------------------------------------------------------------- RunCurves (what the page draws)
def test_run_curves_read_only_the_new_readings_of_a_run_the_worker_writes(store):
    workspace = new_workspace_id()
    run_id = store.create_run(workspace, "digits", "run 1 (fixed)", TrainConfig(**TINY).as_dict())
    curves = RunCurves(run_id)
    assert curves.active and curves.event() is None
    assert curves.poll(store, workspace).status == "queued" and curves.steps == []
    store.claim(run_id, 1)
    store.record(run_id, [step(3), step(6, None)], steps=6, total_steps=38, epoch=1)
    curves.poll(store, workspace)
    assert curves.steps == [3, 6] and curves.losses[0] == 2.0 and math.isnan(curves.losses[1])  # NaN: NULL in SQLite
    assert curves.event().step == 6 and curves.event().accuracy == 0.5 and curves.record.progress == 6 / 38
    store.record(run_id, [step(9), {"kind": "epoch", "step": 19, "epoch": 1, "loss": 1.0, "train_acc": 0.6,
                                    "val_acc": 0.55}], steps=19, epoch=1)
    curves.poll(store, workspace)
    curves.poll(store, workspace)  # a second poll adds nothing
    assert curves.steps == [3, 6, 9] and curves.epochs == [1] and curves.val_acc == [0.55]
    store.finish(run_id, "done", summary={"val_acc": 0.55})
    assert not curves.poll(store, workspace).active


def test_the_page_watches_its_own_run_else_the_active_one_else_the_newest_job(store, small):
    workspace = new_workspace_id()
    assert watched_run(store, workspace, None) is None
    old = store.create_run(workspace, "digits", "old", {}, status="done")
    StoreShelf(store, workspace).add(train_to_completion(TrainConfig(**TINY), small), "one click")  # not a job
    assert watched_run(store, workspace, None).id == old
    live = store.create_run(workspace, "digits", "live", {})
    assert watched_run(store, workspace, None).id == live  # a reload re-attaches to the active run
    assert watched_run(store, workspace, old).id == old  # the run this session started
    assert watched_run(store, new_workspace_id(), live) is None  # never another workspace's run


def test_how_a_run_ended_in_words(store):
    workspace = new_workspace_id()

    def ended(status: str, message: str = "", **summary) -> object:
        run_id = store.create_run(workspace, "digits", f"r {status}", {"device": "cuda"})
        store.finish(run_id, status, message, summary=summary)
        return store.get(workspace, run_id)

    done = ended("done", train_acc=0.9, val_acc=0.85, samples_per_s=12345.6, device="cpu", fast_path="fused Adam")
    assert run_outcome(done) == ("success", "`r done` finished: train accuracy 90.0%, validation accuracy 85.0%.")
    assert speed_line(done) == "This run: **12,346 samples/s on cpu** (fused Adam)."
    assert "stopped early (the partial model is kept)" in run_outcome(ended("stopped", val_acc=0.1))[1]
    kind, text = run_outcome(ended("diverged", "The loss became NaN: lower the learning rate."))
    assert kind == "error" and "diverged" in text and "learning rate" in text
    kind, text = run_outcome(ended("failed", "CUDA error: out of memory"))
    assert kind == "error" and "out of memory" in text
    kind, text = run_outcome(ended("interrupted", "Cut off while running; its checkpoint of epoch 2 is kept."))
    assert kind == "warning" and "epoch 2 is kept" in text
    assert run_outcome(store.get(workspace, store.create_run(workspace, "digits", "q", {}))) is None
    assert speed_line(store.get(workspace, store.create_run(workspace, "digits", "q2", {}))) is None


def test_the_comparison_needs_a_finished_run_of_each_mode(store, small):
    shelf = StoreShelf(store, new_workspace_id())
    shelf.add(train_to_completion(TrainConfig(**TINY), small), "t")
    assert comparison_note(shelf) is None
    shelf.add(train_to_completion(TrainConfig(**TINY, article_faithful=True), small), "t")
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


@pytest.mark.parametrize("model", [dict(arch="lenet"), dict(arch="cnn", channels=4, dropout=0.0, batch_norm=True)])
def test_the_fixed_code_shown_reproduces_the_trainer_for_a_cnn(small, model):
    config = TrainConfig(**{**TINY, "hidden": 500}, **model, seed=3, fast=False, device="cpu", lr=0.003)
    trained = train_to_completion(config, small)
    code = canonical_step_code(config)
    assert "torch.nn.Conv2d(1, " in code and "torch.nn.Unflatten(1, (1, 28, 28))" in code
    scope = {"images": small.images, "labels": small.labels}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<shown code>", "exec"), scope)  # noqa: S102 - our own code, as the page shows it
    for (name, ours), shown in zip(trained.model.state_dict().items(), scope["model"].state_dict().values(),
                                   strict=True):
        assert torch.allclose(ours.float(), shown.float(), atol=1e-5), name
