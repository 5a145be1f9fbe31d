"""The 2-D playground (toy.playground): seeded datasets, a trainer that keeps its state."""

from __future__ import annotations

import numpy as np
import pytest

from pytorch_explorer.toy import playground as toy_playground


# ---------------------------------------------------------------- playground
@pytest.mark.parametrize("name", toy_playground.DATASETS)
def test_datasets_are_seeded_balanced_and_in_the_plane(name):
    X, y = toy_playground.make_dataset(name, 200, 0.1, seed=1)
    X2, y2 = toy_playground.make_dataset(name, 200, 0.1, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert X.shape == (200, 2) and X.dtype == np.float32 and set(np.unique(y)) == {0, 1}
    assert 0.3 < y.mean() < 0.7
    assert np.abs(X).max() < toy_playground.EXTENT
    assert not np.array_equal(X, toy_playground.make_dataset(name, 200, 0.1, seed=2)[0])


def test_dataset_geometry_without_noise():
    X, y = toy_playground.make_dataset("xor", 300, 0.0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    X, y = toy_playground.make_dataset("circles", 300, 0.0)
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius[y == 1].max() < radius[y == 0].min()


def test_playground_learns_xor_and_keeps_state_between_chunks():
    trainer = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(dataset="xor"))
    start = trainer.accuracy
    events = list(trainer.train(150, every=50))
    assert [e.step for e in events] == [50, 100, 150] and events[-1].done
    list(trainer.train(150, every=150))
    assert trainer.step == 300 and len(trainer.losses) == 300
    assert trainer.losses[-1] < trainer.losses[0] / 2
    assert trainer.accuracy > 0.9 > start
    xs, ys, probs = trainer.probability_grid(30)
    assert xs.shape == (30,) and probs.shape == (30, 30) and 0 <= probs.min() and probs.max() <= 1


def test_autograd_and_nn_playground_versions_agree_with_sgd():
    common = {"dataset": "moons", "layers": 3, "units": 6, "activation": "relu", "lr": 0.3}
    a = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(impl="autograd", **common))
    b = toy_playground.PlaygroundTrainer(toy_playground.PlaygroundSettings(impl="nn", optimizer="sgd", **common))
    list(a.train(60, 60))
    list(b.train(60, 60))
    np.testing.assert_allclose(a.losses, b.losses, atol=1e-5)


def test_playground_settings_are_checked():
    with pytest.raises(toy_playground.PlaygroundError, match="hidden layers"):
        toy_playground.PlaygroundSettings(layers=4)
    with pytest.raises(toy_playground.PlaygroundError, match="dataset"):
        toy_playground.make_dataset("blobs")


def test_trainer_for_goes_on_with_the_same_settings_and_starts_afresh_on_a_change():
    s = toy_playground.PlaygroundSettings(points=40)
    trainer = toy_playground.trainer_for(s)
    list(trainer.train(5, 5))
    assert toy_playground.trainer_for(s, trainer) is trainer
    changed = toy_playground.trainer_for(toy_playground.PlaygroundSettings(points=40, units=4), trainer)
    assert changed is not trainer and changed.step == 0 and changed.settings.units == 4
