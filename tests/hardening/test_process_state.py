"""Process-wide state: nothing a page calls changes torch's thread count (other sessions share it)."""

from __future__ import annotations

import torch

from pytorch_explorer.toy.playground import PlaygroundSettings, trainer_for
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
        trainer = trainer_for(PlaygroundSettings(lr=3.0, layers=3, units=32))
        events = list(trainer.train(100, every=50))
        trainer.probability_grid(20)
    assert calls == [] and events[-1].done
