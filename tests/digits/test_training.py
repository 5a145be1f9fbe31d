"""The digit trainer: accuracy with the article's settings, the article-faithful loop, events, stop, divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.core.errors import DeviceError
from pytorch_explorer.digits.models import load_checkpoint, save_checkpoint
from pytorch_explorer.digits.training.fast_path import CudaGraphStep, DirectFusedAdam
from pytorch_explorer.digits.training.loop import train_step
from pytorch_explorer.digits.training import (
    FINAL_KINDS, TrainConfig, Trainer, flops_per_sample, is_diverged, log_every_for, planned_steps, train_digits,
    train_to_completion,
)



@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


@pytest.fixture(scope="module")
def bundled() -> DigitDataset:
    return load_digits("bundled")


@pytest.fixture(scope="module")
def small(bundled) -> DigitDataset:
    """600 real digits: enough for the loops to learn something, fast enough to train many times."""
    return DigitDataset(bundled.images[:600], bundled.labels[:600], "bundled[:600]")


@pytest.fixture(scope="module")
def article_run(bundled):
    """The article's hyperparameters, 5 epochs on the bundled digits, with the fixed loop (shared by tests)."""
    trainer = train_digits(TrainConfig(), bundled)
    events = list(trainer)
    return events, trainer.result()


@pytest.fixture(scope="module")
def faithful_run(bundled):
    return train_to_completion(TrainConfig(article_faithful=True), bundled)


TINY = dict(hidden=16, epochs=2, batch_size=32, log_every=3)


# ----------------------------------------------------------------------------- accuracy (the done-when)
def test_article_settings_reach_089_on_the_bundled_digits(article_run):
    _, trained = article_run
    assert trained.metrics["status"] == "done"
    assert trained.metrics["val_acc"] >= 0.89
    assert trained.metrics["train_acc"] >= trained.metrics["val_acc"] - 0.05


def test_article_faithful_mode_does_visibly_worse_on_the_same_data(article_run, faithful_run):
    _, fixed = article_run
    assert faithful_run.metrics["status"] == "done"
    assert faithful_run.metrics["article_faithful"] is True
    assert faithful_run.metrics["val_acc"] <= fixed.metrics["val_acc"] - 0.05
    assert faithful_run.metrics["val_acc"] > 0.3  # it does learn: it is the article's loop, not noise


def test_fast_path_matches_eager_within_half_a_point(bundled, article_run):
    _, fast = article_run
    eager = train_to_completion(TrainConfig(fast=False), bundled)
    assert "fused" in fast.metrics["fast_path"]
    assert "fused" not in eager.metrics["fast_path"]
    assert abs(fast.metrics["val_acc"] - eager.metrics["val_acc"]) <= 0.005
    mixed = train_to_completion(TrainConfig(precision="bf16"), bundled)  # the opt-in bf16 autocast path
    assert "bf16 autocast" in mixed.metrics["fast_path"]
    assert abs(mixed.metrics["val_acc"] - eager.metrics["val_acc"]) <= 0.005


# ----------------------------------------------------------------------------- events and results
def test_events_come_in_order_and_end_with_one_final_event(article_run):
    events, trained = article_run
    kinds = [e.kind for e in events]
    assert kinds[-1] == "done" and sum(k in FINAL_KINDS for k in kinds) == 1
    assert kinds.count("epoch") == 5
    assert set(kinds) <= {"step", "epoch", "done"}
    steps = [e.step for e in events]
    assert steps == sorted(steps) and steps[-1] == trained.metrics["steps"] == planned_steps(TrainConfig(), 5000)
    progress = [e.progress for e in events]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(1.0)
    epoch_events = [e for e in events if e.kind == "epoch"]
    assert [e.epoch for e in epoch_events] == [1, 2, 3, 4, 5]
    assert all(0 <= e.val_acc <= 1 and 0 <= e.train_acc <= 1 for e in epoch_events)
    assert epoch_events[-1].loss < epoch_events[0].loss  # it learns
    assert all(e.samples_per_s > 0 and e.elapsed_s > 0 for e in events)
    assert events[-1].result is trained


def test_the_result_holds_metrics_hyperparameters_and_source_and_lives_on_the_cpu(article_run):
    _, trained = article_run
    m = trained.metrics
    assert m["n_train"] == 3500 and m["n_val"] == 1500
    assert len(m["epoch_seconds"]) == 5 and all(s > 0 for s in m["epoch_seconds"])
    assert m["samples_per_s"] > 0 and m["device"] == "cpu"
    assert len(m["loss_history"]) == len(m["loss_steps"]) > 5
    assert m["epoch_val_acc"][-1] == m["val_acc"]
    assert trained.hyperparameters == TrainConfig().as_dict()
    assert trained.source == "bundled"
    assert all(p.device.type == "cpu" for p in trained.model.parameters())


def test_a_trained_model_survives_a_checkpoint(article_run, bundled):
    _, trained = article_run
    loaded = load_checkpoint(save_checkpoint(trained))
    images = torch.from_numpy(bundled.images[3500:3600])
    assert torch.equal(loaded.predict_proba(images).argmax(1), trained.predict_proba(images).argmax(1))
    assert loaded.metrics["val_acc"] == trained.metrics["val_acc"]
    assert loaded.hyperparameters["seed"] == 128


def test_same_seed_same_run_on_cpu(small):
    a = train_to_completion(TrainConfig(**TINY, seed=7), small)
    b = train_to_completion(TrainConfig(**TINY, seed=7), small)
    c = train_to_completion(TrainConfig(**TINY, seed=8), small)
    assert a.metrics["loss_history"] == b.metrics["loss_history"]
    for (name, wa), wb in zip(a.model.state_dict().items(), b.model.state_dict().values(), strict=True):
        assert torch.equal(wa, wb), name
    assert a.metrics["loss_history"] != c.metrics["loss_history"]


# ----------------------------------------------------------------------------- the two loops, against transcriptions
def test_fixed_loop_is_the_canonical_step_with_a_seeded_shuffle_each_epoch(small):
    config = TrainConfig(**TINY, seed=3, fast=False)
    trained = train_to_completion(config, small)

    torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
    x = torch.from_numpy(small.images).reshape(600, -1).float() / 255
    y = torch.from_numpy(small.labels)
    x_train, y_train = x[:420], y[:420]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(3)
    for _ in range(2):
        order = torch.randperm(420, generator=generator)
        xs, ys = x_train[order], y_train[order]
        for i in range(0, 420, 32):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(xs[i:i + 32]), ys[i:i + 32]).backward()
            optimizer.step()
    for (name, ours), theirs in zip(trained.model.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.allclose(ours, theirs, atol=1e-6), name


def test_article_faithful_loop_is_the_article_code_as_written(small):
    config = TrainConfig(**TINY, seed=128, article_faithful=True)
    trained = train_to_completion(config, small)

    # The article's code (Variable and loss.data[0] replaced by their modern equivalents), seeded the same way.
    torch.manual_seed(128)
    model = torch.nn.Sequential(torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Linear(16, 10))
    rng = np.random.RandomState(128)
    train_x = small.images.reshape(-1, 784).astype("float32") / 255.0
    train_y = small.labels
    split_size = int(train_x.shape[0] * 0.7)
    train_x, train_y = train_x[:split_size], train_y[:split_size]
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    total_batch = int(600 / 32)  # train.shape[0]: the whole CSV
    for _ in range(2):
        for _ in range(total_batch):
            batch_mask = rng.choice(train_x.shape[0], 32)
            batch_x = train_x[batch_mask]
            batch_x = batch_x / batch_x.max()
            batch_y = train_y[batch_mask]
            pred = model(torch.from_numpy(batch_x))
            loss = loss_fn(pred, torch.from_numpy(batch_y))
            loss.backward()  # no zero_grad
            optimizer.step()
    assert trained.metrics["steps"] == 2 * total_batch
    for (name, ours), theirs in zip(trained.model.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.allclose(ours, theirs, atol=1e-6), name


def test_fixed_loop_keeps_the_data_on_the_device_and_the_article_converts_every_batch(small, monkeypatch):
    calls = []
    original = torch.from_numpy
    monkeypatch.setattr(torch, "from_numpy", lambda a: calls.append(a.shape) or original(a))
    fixed = train_to_completion(TrainConfig(**TINY), small)
    fixed_calls = len(calls)
    calls.clear()
    faithful = train_to_completion(TrainConfig(**TINY, article_faithful=True), small)
    assert fixed_calls <= 2  # images and labels, once
    assert len(calls) >= 2 * faithful.metrics["steps"]  # batch_x and batch_y every step
    assert fixed.metrics["steps"] == planned_steps(TrainConfig(**TINY), 600) == 2 * math.ceil(420 / 32)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(20, 80), batch=st.integers(1, 40), epochs=st.integers(1, 2), faithful=st.booleans(),
       val=st.sampled_from([0.2, 0.3, 0.5]))
def test_planned_steps_is_what_a_run_takes(small, n, batch, epochs, faithful, val):
    data = DigitDataset(small.images[:n], small.labels[:n], "tiny")
    config = TrainConfig(hidden=4, batch_size=batch, epochs=epochs, article_faithful=faithful, val_fraction=val)
    trained = train_to_completion(config, data)
    assert trained.metrics["steps"] == trained.metrics["total_steps"] == planned_steps(config, n)


# ----------------------------------------------------------------------------- stop, close, divergence, devices
def test_stop_ends_with_a_stopped_event_that_keeps_the_partial_model(small):
    trainer = train_digits(TrainConfig(**TINY), small)
    first = next(trainer)
    assert first.kind == "step"
    trainer.stop()
    final = next(trainer)
    assert final.kind == "stopped" and final.result is not None
    assert "Stopped at step" in final.message
    assert final.result.metrics["status"] == "stopped"
    assert final.result.metrics["steps"] == first.step < final.result.metrics["total_steps"]
    assert 0 <= final.result.metrics["val_acc"] <= 1
    assert trainer.result() is final.result
    with pytest.raises(StopIteration):
        next(trainer)


def test_close_like_a_generator_and_the_partial_model_is_still_there(small):
    trainer = train_digits(TrainConfig(**TINY), small)
    next(trainer), next(trainer)
    trainer.close()
    trained = trainer.result()
    assert trained.metrics["status"] == "stopped" and trained.metrics["steps"] == 6
    assert next(trained.model.parameters()).device.type == "cpu"


def test_result_before_any_step_is_a_clear_error(small):
    with pytest.raises(Exception, match="has not started"):
        Trainer(TrainConfig(**TINY), small).result()


@pytest.mark.parametrize("faithful, lr", [(False, 50.0), (True, 1.0)])
def test_a_divergent_run_stops_with_a_diverged_event_and_a_message(small, faithful, lr):
    events = list(train_digits(TrainConfig(hidden=64, epochs=3, optimizer="sgd", lr=lr, batch_size=32,
                                           article_faithful=faithful), small))
    assert events[-1].kind == "diverged"
    assert "learning rate" in events[-1].message and "diverged" in events[-1].message
    assert "done" not in [e.kind for e in events]
    assert events[-1].result.metrics["status"] == "diverged"


def test_divergence_threshold():
    assert is_diverged(float("nan")) and is_diverged(float("inf")) and is_diverged(1e4)
    assert not is_diverged(2.3) and not is_diverged(0.01)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_on_a_cpu_only_machine_is_a_device_error(small):
    trainer = train_digits(TrainConfig(**TINY, device="cuda"), small)
    with pytest.raises(DeviceError, match="Choose 'cpu'"):
        next(trainer)


def test_the_cuda_graph_step_can_never_run_on_the_cpu(small):
    model = torch.nn.Linear(784, 10)
    optimizer = torch.optim.Adam(model.parameters(), fused=True)
    cpu = torch.device("cpu")
    assert CudaGraphStep.try_build(train_step, model, optimizer, 32, cpu) is None
    with pytest.raises(DeviceError):
        CudaGraphStep(train_step, model, optimizer, 32, cpu)
    trained = train_to_completion(TrainConfig(**TINY, device="cpu", cuda_graph=True), small)
    assert "CUDA graph" not in trained.metrics["fast_path"]


def _adam_steps(direct: bool, steps: int = 12, frozen_bias: bool = False, **adam):
    """A small MLP trained `steps` Adam(fused=True) steps, through DirectFusedAdam or optimizer.step()."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    if frozen_bias:
        model[2].bias.requires_grad_(False)  # a parameter that never gets a gradient
    optimizer = torch.optim.Adam(model.parameters(), fused=True, **adam)
    step = DirectFusedAdam.for_optimizer(optimizer) if direct else None
    assert (step is not None) == direct
    gen = torch.Generator().manual_seed(1)
    for i in range(steps):
        if i == steps // 2:
            optimizer.param_groups[0]["lr"] *= 0.5  # a change of learning rate mid-run is followed
        x, y = torch.rand(16, 784, generator=gen), torch.randint(0, 10, (16,), generator=gen)
        step.zero_grad() if step else optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        step.step() if step else optimizer.step()
    return model, optimizer


@pytest.mark.parametrize("adam", [dict(lr=1e-2), dict(lr=3e-3, weight_decay=1e-2, betas=(0.8, 0.99), eps=1e-6),
                                  dict(lr=1e-2, frozen_bias=True)])
def test_the_direct_fused_adam_step_is_bit_for_bit_optimizer_step(adam):
    reference, ref_opt = _adam_steps(False, **adam)
    direct, direct_opt = _adam_steps(True, **adam)
    for a, b in zip(reference.parameters(), direct.parameters(), strict=True):
        assert torch.equal(a, b)
    ref_state, direct_state = ref_opt.state_dict()["state"], direct_opt.state_dict()["state"]
    assert ref_state.keys() == direct_state.keys()
    for key in ref_state:  # the optimizer's own state was advanced too: a checkpoint sees the real step count
        for name in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(ref_state[key][name], direct_state[key][name]), (key, name)
    assert float(direct_state[0]["step"]) == 12


@pytest.mark.parametrize("make", [
    lambda ps: torch.optim.Adam(ps),  # not fused: its step is already what it is
    lambda ps: torch.optim.Adam(ps, fused=True, amsgrad=True),
    lambda ps: torch.optim.Adam(ps, fused=True, maximize=True),
    lambda ps: torch.optim.AdamW(ps, fused=True),
    lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, fused=True),
    lambda ps: torch.optim.Adam([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.1}], fused=True),
])
def test_the_direct_step_is_only_for_a_plain_fused_adam(make):
    params = list(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2)).parameters())
    assert DirectFusedAdam.for_optimizer(make(params)) is None


def test_the_trainers_fast_path_steps_adam_directly_and_says_so(small):
    fast = train_to_completion(TrainConfig(**TINY), small)
    eager = train_to_completion(TrainConfig(**TINY, fast=False), small)
    sgd = train_to_completion(TrainConfig(**TINY, optimizer="sgd", lr=0.05), small)
    assert fast.metrics["fast_path"] == "fused Adam, its kernel called directly"
    assert eager.metrics["fast_path"] == "Adam (for-loop)"
    assert sgd.metrics["fast_path"] == "fused SGD"
    assert abs(fast.metrics["val_acc"] - eager.metrics["val_acc"]) <= 0.02


# ----------------------------------------------------------------------------- on a CUDA GPU (skipped without one)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
def test_on_a_gpu_the_cuda_graph_runs_and_matches_eager_within_half_a_point(bundled):
    graph = train_to_completion(TrainConfig(device="cuda"), bundled)
    eager = train_to_completion(TrainConfig(device="cuda", fast=False), bundled)
    assert "CUDA graph (" in graph.metrics["fast_path"] and "failed" not in graph.metrics["fast_path"]
    assert "CUDA graph" not in eager.metrics["fast_path"]
    assert graph.metrics["status"] == eager.metrics["status"] == "done"
    # 3,500 training digits: 27 full batches and a partial one of 44 (eager) every epoch
    assert graph.metrics["steps"] == graph.metrics["total_steps"] == 28 * 5
    assert graph.metrics["val_acc"] >= 0.89
    assert abs(graph.metrics["val_acc"] - eager.metrics["val_acc"]) <= 0.005
    assert next(graph.model.parameters()).device.type == "cpu"


@needs_cuda
def test_on_a_gpu_a_graph_run_can_stop_and_each_run_captures_its_own_graph(small):
    first = train_digits(TrainConfig(**TINY, device="cuda"), small)
    events = [next(first) for _ in range(4)]
    first.stop()
    rest = list(first)
    assert rest[-1].kind == "stopped" and all(e.kind == "step" for e in events)
    second = train_to_completion(TrainConfig(**{**TINY, "lr": 3e-3}, device="cuda"), small)  # new settings
    assert second.metrics["status"] == "done" and "CUDA graph (" in second.metrics["fast_path"]
    bf16 = train_to_completion(TrainConfig(**TINY, device="cuda", precision="bf16"), small)
    assert bf16.metrics["status"] == "done" and "bf16 autocast" in bf16.metrics["fast_path"]


@pytest.mark.parametrize("bad", [dict(optimizer="rmsprop"), dict(lr=0.0), dict(lr=float("nan")),
                                 dict(batch_size=0), dict(epochs=0), dict(val_fraction=1.0), dict(depth=4),
                                 dict(hidden=0), dict(activation="swish"), dict(momentum=1.0), dict(log_every=0),
                                 dict(precision="fp16"), dict(threads=-1)])
def test_bad_settings_are_value_errors_that_name_the_setting(bad):
    with pytest.raises(ValueError):
        TrainConfig(**bad)


# ----------------------------------------------------------------------------- helpers for the page
def test_flops_per_sample_counts_forward_and_backward():
    from pytorch_explorer.digits.models import MLPConfig

    forward = 2 * (784 * 500 + 500 * 10)
    assert flops_per_sample(MLPConfig()) == forward + forward + 2 * 500 * 10


def test_log_every_gives_a_few_dozen_points_per_epoch():
    assert log_every_for(3500, 128) == 1
    assert log_every_for(49000, 128) == 15
    assert log_every_for(1_000_000, 16) == 50


def test_figures_hold_the_data(article_run, bundled):
    _, trained = article_run
    m = trained.metrics
    loss = figs.loss_figure(m["loss_steps"], m["loss_history"], total_steps=m["total_steps"])
    assert list(loss.data[0].y) == m["loss_history"]
    acc = figs.accuracy_figure([1, 2, 3, 4, 5], m["epoch_train_acc"], m["epoch_val_acc"])
    assert [t.name for t in acc.data] == ["train", "validation"] and list(acc.data[1].y) == m["epoch_val_acc"]
    overlay = figs.runs_overlay_figure({"a": m, "b": m})
    assert len(overlay.data) == 4 and overlay.data[0].name == "a"
    grid = figs.digit_grid_figure(bundled.images[:23], bundled.labels[:23], columns=10)
    assert [a.text for a in grid.layout.annotations] == [str(v) for v in bundled.labels[:23]]
    assert grid.data[0].z.shape == (3 * 30 + 2, 10 * 30 + 2)


@given(n=st.integers(0, 40), columns=st.integers(1, 12))
def test_digit_mosaic_places_every_digit(n, columns):
    images = np.random.default_rng(n).integers(0, 256, (n, 28, 28), dtype=np.uint8)
    mosaic = figs.digit_mosaic(images, columns, gap=2)
    rows = max(1, -(-n // columns))
    assert mosaic.shape == (rows * 30 + 2, columns * 30 + 2)
    for i in range(n):
        r, c = divmod(i, columns)
        assert np.array_equal(mosaic[2 + 30 * r: 30 * r + 30, 2 + 30 * c: 30 * c + 30], images[i])
