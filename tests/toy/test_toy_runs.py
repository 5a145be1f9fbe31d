"""The Toy networks page's runs in the run store: written after training, read back as the page's results."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pytorch_explorer.runs import new_workspace_id, views
from pytorch_explorer.toy import runs as toy_runs
from pytorch_explorer.toy.defects import defect_evidence
from pytorch_explorer.playground.config import PlaygroundConfig
from pytorch_explorer.playground.trainer import PlaygroundTrainer
from pytorch_explorer.toy.settings import ToySettings
from pytorch_explorer.toy.training import ToyResult, side_by_side_results

IMPLS = ["numpy", "torch-article", "nn"]


def trained(settings: ToySettings, impls=IMPLS, rounds: int | None = None) -> dict[str, ToyResult]:
    """Side-by-side results, to the end or cut off after `rounds` rounds (as a click during training does)."""
    rounds_of = side_by_side_results(impls, settings)
    results = next(rounds_of)
    for n, _ in enumerate(rounds_of, start=2):  # the same dict, growing
        if n == rounds:
            break
    return results


def test_thin_indices_keep_both_ends_in_order_and_at_most_the_limit():
    assert toy_runs.thin_indices(7) == list(range(7))
    for n in (401, 5000, 20_000, 1_000_000):
        keep = toy_runs.thin_indices(n)
        assert keep[0] == 0 and keep[-1] == n - 1 and keep == sorted(set(keep))
        assert toy_runs.MAX_POINTS // 2 <= len(keep) <= toy_runs.MAX_POINTS, n
        assert keep[:10] == list(range(10))  # dense where the loss falls fastest


def test_a_side_by_side_training_is_one_run_a_version_and_comes_back_as_the_results(store):
    ws, settings = new_workspace_id(), ToySettings(epochs=3000, lr=0.3, seed=1)
    results = trained(settings)
    ids = toy_runs.record_side_by_side(store, ws, results, seconds=0.5)
    records = [store.get(ws, run_id) for run_id in ids]
    assert [r.name for r in records] == ["toy: numpy (lr 0.3, 3000 epochs)", "toy: torch-article (lr 0.3, 3000 epochs)",
                                         "toy: nn (lr 0.3, 3000 epochs)"]
    numpy_run = records[0]
    assert numpy_run.kind == "toy" and numpy_run.status == "done" and numpy_run.epoch == 3000
    assert ToySettings(**{k: v for k, v in numpy_run.config.items() if k in ToySettings.__dataclass_fields__}) == settings
    assert numpy_run.loss == results["numpy"].final_loss and numpy_run.train_seconds == 0.5
    curve = store.metrics(ws, numpy_run.id, "step")
    assert len(curve) <= toy_runs.MAX_POINTS and curve[0]["step"] == 1 and curve[-1]["step"] == 3000
    assert curve[-1]["loss"] == results["numpy"].final_loss and curve[0]["loss"] == results["numpy"].losses[0]

    back = toy_runs.latest_side_by_side(store, ws)
    assert list(back) == IMPLS
    for impl, result in results.items():
        restored = back[impl]
        assert restored.settings == settings and restored.epochs == 3000
        assert restored.final_loss == result.final_loss
        np.testing.assert_array_equal(restored.predictions, result.predictions)
        for name in ("wh", "bh", "wout", "bout"):
            np.testing.assert_array_equal(getattr(restored.final, name), getattr(result.final, name))
            np.testing.assert_array_equal(getattr(restored.initial, name), getattr(result.initial, name))
        epochs, losses = restored.curve
        assert epochs[-1] == 3000 and all(losses[i] == result.losses[e - 1] for i, e in enumerate(epochs))
    assert defect_evidence(back["torch-article"]) == defect_evidence(results["torch-article"])


def test_a_cut_off_training_is_stopped_and_only_the_latest_training_comes_back(store):
    ws = new_workspace_id()
    toy_runs.record_side_by_side(store, ws, trained(ToySettings(epochs=500)))
    partial = trained(ToySettings(epochs=2500), ["torch-fixed", "autograd"], rounds=3)
    toy_runs.record_side_by_side(store, ws, partial)
    back = toy_runs.latest_side_by_side(store, ws)
    assert list(back) == ["torch-fixed", "autograd"] and back["autograd"].epochs == 300
    [run] = [r for r in store.list_runs(ws, kind="toy") if r.config["impl"] == "autograd"]
    assert run.status == "stopped" and "300 of 2500" in run.message


def test_nothing_trained_nothing_stored_and_workspaces_are_apart(store):
    ws, other = new_workspace_id(), new_workspace_id()
    never = {"numpy": ToyResult.start("numpy", ToySettings())}
    assert toy_runs.record_side_by_side(store, ws, never) == []
    assert toy_runs.latest_side_by_side(store, ws) == {}
    ids = toy_runs.record_side_by_side(store, ws, trained(ToySettings(epochs=200), ["numpy"]))
    assert toy_runs.latest_side_by_side(store, other) == {}
    store.delete(ws, ids[0])  # deleted on the Runs page: gone from the Toy networks page too
    assert toy_runs.latest_side_by_side(store, ws) == {}


def test_a_diverged_loss_is_stored_and_read_back_as_nan(store):
    ws, settings = new_workspace_id(), ToySettings(epochs=5)
    result = ToyResult.start("numpy", settings)
    result.losses, result.predictions, result.final = [0.3, math.inf, math.nan], np.full((3, 1), np.nan), result.initial
    toy_runs.record_side_by_side(store, ws, {"numpy": result})
    back = toy_runs.latest_side_by_side(store, ws)["numpy"]
    assert back.losses[0] == 0.3 and math.isnan(back.losses[2]) and back.epochs == 3


def test_a_playground_network_is_one_run_brought_up_to_date_after_each_train(store):
    ws = new_workspace_id()
    trainer = PlaygroundTrainer(PlaygroundConfig(problem="xor", seed=2, points=60))
    trainer.step(3)
    run_id = toy_runs.record_playground(store, ws, trainer, seconds=0.2)
    trainer.step(2)
    assert toy_runs.record_playground(store, ws, trainer, run_id, seconds=0.1) == run_id
    run = store.get(ws, run_id)
    assert run.kind == "toy-playground" and run.status == "done" and run.steps == 5
    assert run.name.startswith("playground: xor, 4-2 tanh") and run.source == "xor"
    assert run.train_acc == trainer.accuracy and run.train_seconds == pytest.approx(0.3)
    assert run.config["layers"] == [4, 2] and run.summary["epochs"] == 5
    curve = store.metrics(ws, run_id, "step")
    assert [m["step"] for m in curve] == list(range(6)) and curve[-1]["loss"] == pytest.approx(trainer.train_losses[-1])
    assert views.page_of("toy-playground").startswith("Toy") and views.page_of("toy") == "Toy networks"
    store.delete(ws, run_id)  # deleted meanwhile: the next pause makes a new run
    assert toy_runs.record_playground(store, ws, trainer, run_id) != run_id


def test_a_diverged_playground_network_is_a_stopped_run_with_its_reason(store):
    ws = new_workspace_id()
    trainer = PlaygroundTrainer(PlaygroundConfig(problem="plane", lr=10.0, points=60))
    trainer.step(5)
    assert trainer.diverged
    run = store.get(ws, toy_runs.record_playground(store, ws, trainer))
    assert run.status == "stopped" and "diverged" in run.message and run.summary["train_loss"] is None
    assert math.isnan(views.overlay_series(store, ws, [run.id], {})[run.id]["loss_history"][-1])
