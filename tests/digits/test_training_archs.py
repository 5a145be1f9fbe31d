"""The trainer with the convolutional networks (issue 16): CNNs learn on the bundled digits through both
loops and the fast path, the run's time estimate, and the live predictions (fixed digits, grid figure)."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from pytorch_explorer.digits.data import DigitDataset, load_digits, split_index
from pytorch_explorer.digits.models import ModelConfig, build_model, load_checkpoint, model_cost, save_checkpoint
from pytorch_explorer.digits.training import (
    TrainConfig, estimate_seconds, flops_per_sample, format_duration, train_digits, train_to_completion,
)
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.training.fast_path import build_step
from pytorch_explorer.digits.training.loop import train_step
from pytorch_explorer.digits.training.preview import (
    Predictions, measure_samples_per_s, predict_preview, preview_indices,
)

SMALL_CNN = dict(arch="cnn", channels=4, conv_layers=2, dropout=0.1)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


@pytest.fixture(scope="module")
def small() -> DigitDataset:
    bundled = load_digits("bundled")
    return DigitDataset(bundled.images[:600], bundled.labels[:600], "bundled[:600]")


@pytest.mark.parametrize("arch", [dict(arch="lenet"), SMALL_CNN, dict(SMALL_CNN, batch_norm=False, kernel_size=5)])
def test_a_few_steps_of_a_cnn_lower_the_loss_on_the_bundled_digits(small, arch):
    config = TrainConfig(**arch, epochs=2, batch_size=32, log_every=2, lr=3e-3)
    trainer = train_digits(config, small)
    losses = [e.loss for e in trainer if e.kind == "step"]
    trained = trainer.result()
    assert trained.metrics["status"] == "done" and trained.config.arch == arch["arch"]
    assert np.mean(losses[-3:]) < np.mean(losses[:2]) < 2.6  # from about ln 10 down
    assert trained.metrics["val_acc"] > 0.3  # 10 % is guessing
    assert trained.hyperparameters["arch"] == arch["arch"]
    again = load_checkpoint(save_checkpoint(trained))  # what the trainer made round-trips
    digits = torch.from_numpy(small.images[-8:])
    torch.testing.assert_close(again.predict_proba(digits), trained.predict_proba(digits))


def test_the_article_faithful_loop_trains_a_cnn_with_its_defects(small):
    trained = train_to_completion(TrainConfig(arch="lenet", article_faithful=True, epochs=1, batch_size=32), small)
    m = trained.metrics
    assert m["status"] in ("done", "diverged") and m["article_faithful"] is True
    assert m["steps"] == int(600 / 32) and "article's loop" in m["fast_path"]  # its step count: the whole CSV


def test_the_fast_path_runs_a_cnn_with_batch_norm_and_dropout_like_the_eager_step():
    torch.manual_seed(0)
    config = TrainConfig(**SMALL_CNN, batch_norm=True)
    models = []
    for fast in (True, False):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(3)
            model = build_model(config.model_config())
        step = build_step(train_step, model, replace(config, fast=fast), torch.device("cpu"), 128)
        assert ("fused" in step.description) == fast
        x, y = torch.rand(16, 784, generator=torch.Generator().manual_seed(1)), torch.arange(16) % 10
        for _ in range(3):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(5)  # the same dropout masks for both
                step(x, y)
        models.append(model)
    for a, b in zip(models[0].state_dict().values(), models[1].state_dict().values(), strict=True):
        torch.testing.assert_close(a.float(), b.float(), rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA graphs need a CUDA GPU")
def test_a_cnn_trains_through_the_cuda_graph(small):
    trained = train_to_completion(TrainConfig(**SMALL_CNN, device="cuda", epochs=2, batch_size=32), small)
    assert trained.metrics["status"] == "done" and "CUDA graph" in trained.metrics["fast_path"]
    assert "failed" not in trained.metrics["fast_path"]


def test_flops_per_sample_follows_the_arch():
    assert flops_per_sample(ModelConfig(arch="lenet")) == model_cost(ModelConfig(arch="lenet")).training_flops
    assert flops_per_sample(ModelConfig(arch="cnn")) > flops_per_sample(ModelConfig())


# ----------------------------------------------------------------------------- how long a run will take
def test_the_time_estimate_is_the_samples_over_the_rate():
    config = TrainConfig(epochs=5, val_fraction=0.3)
    assert estimate_seconds(1000.0, 70_000, config) == pytest.approx(49_000 * 5 / 1000)
    assert estimate_seconds(2000.0, 5_000, replace(config, epochs=2)) == pytest.approx(3_500 * 2 / 2000)
    faithful = replace(config, article_faithful=True, batch_size=100)  # the article counts the whole CSV
    assert estimate_seconds(500.0, 5_000, faithful) == pytest.approx(50 * 100 * 5 / 500)
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="samples per second"):
            estimate_seconds(bad, 5_000, config)


@pytest.mark.parametrize(("seconds", "text"), [(7.2, "7 s"), (89, "89 s"), (150, "2.5 min"), (7200, "2.0 h")])
def test_durations_read_as_a_learner_says_them(seconds, text):
    assert format_duration(seconds) == text


def test_measuring_the_speed_gives_a_positive_rate_and_leaves_the_random_state_alone():
    before = torch.random.get_rng_state()
    rate = measure_samples_per_s(TrainConfig(**SMALL_CNN, batch_size=16, device="cpu"), seconds=0.05, max_steps=3)
    assert rate > 0 and math.isfinite(rate)
    huge = TrainConfig(arch="cnn", channels=32, kernel_size=5, conv_layers=2, batch_size=1024, device="cpu")
    assert measure_samples_per_s(huge, seconds=0.01, max_steps=1, max_step_flops=1) > 0  # timed at batch 1
    assert torch.equal(torch.random.get_rng_state(), before)


# ----------------------------------------------------------------------------- live predictions
def test_the_preview_digits_are_four_of_each_class_from_the_validation_split(small):
    chosen = preview_indices(small.labels, 0.3)
    assert len(chosen) == 40 and (chosen >= split_index(600, 0.3)).all()
    assert small.labels[chosen].tolist() == [d for d in range(10) for _ in range(4)]
    assert np.array_equal(chosen, preview_indices(small.labels, 0.3))  # the same every time
    few = preview_indices(np.array([0] * 8 + [1] * 2), 0.5, per_class=4)  # validation: 0,0,0,1,1
    assert few.tolist() == [5, 6, 7, 8, 9]


def test_preview_predictions_are_the_models_argmax_and_its_probability(small):
    trained = train_to_completion(TrainConfig(**SMALL_CNN, epochs=1, batch_size=32), small)
    chosen = preview_indices(small.labels, 0.3)
    predictions = predict_preview(trained, small.images[chosen])
    p = trained.predict_proba(torch.from_numpy(small.images[chosen]))
    assert predictions.predicted == p.argmax(1).tolist()
    assert predictions.confidence == pytest.approx(p.max(1).values.tolist(), abs=1e-4)
    right = sum(a == b for a, b in zip(predictions.predicted, small.labels[chosen].tolist(), strict=True))
    assert predictions.accuracy(small.labels[chosen]) == right / 40


def test_the_prediction_grid_colours_right_green_and_wrong_red():
    images = np.zeros((12, 28, 28), dtype=np.uint8)
    labels = list(range(10)) + [3, 4]
    predicted = list(range(10)) + [5, 4]  # the 11th is wrong
    fig = figs.prediction_grid_figure(images, labels, predicted, [0.9] * 11 + [0.51], columns=10)
    texts = [a.text for a in fig.layout.annotations]
    colors = [a.font.color for a in fig.layout.annotations]
    assert texts[0] == "0 (90%)" and texts[10] == "5 (90%)" and texts[11] == "4 (51%)"
    assert colors.count(figs.WRONG) == 1 and colors[10] == figs.WRONG and colors[11] == figs.RIGHT
    assert [s.line.color for s in fig.layout.shapes] == colors  # each digit framed in its caption's colour
    assert fig.data[0].type == "image" and fig.data[0].source.startswith("data:image/png;base64,")
    assert len(fig.to_json()) < 30_000  # redrawn every half second while a run trains: it must stay small
    assert "model says 5 with 90.0%: wrong" in fig.data[1].text[10]


def test_the_prediction_grid_before_any_model_has_question_marks():
    fig = figs.prediction_grid_figure(np.zeros((40, 28, 28), dtype=np.uint8), [d for d in range(10) for _ in range(4)])
    assert {a.text for a in fig.layout.annotations} == {"?"}
    assert {a.font.color for a in fig.layout.annotations} == {figs.PENDING}
    assert Predictions([1, 2], [0.5, 0.5]).accuracy(np.array([1, 3])) == 0.5


def test_a_cnn_with_dropout_trains_the_same_for_the_same_seed_whatever_the_process_drew(small):
    config = TrainConfig(**dict(SMALL_CNN, dropout=0.5), epochs=1, batch_size=64)
    first = train_to_completion(config, small)
    torch.rand(1000)  # the process's own random state moves on; the run's does not depend on it
    before = torch.random.get_rng_state()
    second = train_to_completion(config, small)
    assert torch.equal(torch.random.get_rng_state(), before)  # a run leaves the global state alone
    for a, b in zip(first.model.state_dict().values(), second.model.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    third = train_to_completion(replace(config, seed=7), small)
    assert not torch.equal(third.model[1].weight, first.model[1].weight)
