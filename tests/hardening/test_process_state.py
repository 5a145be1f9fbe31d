"""Process-wide state: nothing a page calls changes torch's thread count (other sessions share it)."""

from __future__ import annotations

import torch

from pytorch_explorer.playground.config import PlaygroundConfig
from pytorch_explorer.playground.trainer import trainer_for
from pytorch_explorer.toy.settings import ToySettings
from pytorch_explorer.toy.training import train_to_end


def test_toy_runs_leave_torch_threads_alone(bounded, monkeypatch):
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: calls.append(n))
    # a sanity bound, not a speed goal: 0.1 s alone, but without one_thread torch's threads spin against
    # whatever else shares the 2 cores (9 s seen beside a browser test), so 30 s still catches a runaway
    with bounded("toy train + playground at its maxima", seconds=30):
        for impl in ("numpy", "nn"):
            train_to_end(impl, ToySettings(epochs=50))
        trainer = trainer_for(PlaygroundConfig(lr=10.0, layers=(8,) * 6, activation="sigmoid", points=100,
                                               batch_size=1, features=("x1", "x2", "x1^2", "x2^2", "x1*x2")))
        epochs = trainer.step(3)
        trainer.node_grids(24)
        trainer.gradient_magnitudes()
    assert calls == [] and epochs >= 1
