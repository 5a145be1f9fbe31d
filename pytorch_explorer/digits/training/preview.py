"""Live predictions: a fixed set of validation digits and what a model says about each, as plain data.

The set is chosen from the data alone (the first `per_class` validation digits of each class, in class
order), so every run on the same data and split shows the same digits, and a page can redraw the grid
from any checkpoint of a run as it trains. `measure_samples_per_s` times a few training steps of a
model on random digits: the speed a time estimate multiplies by (see config.estimate_seconds).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from pytorch_explorer.core.devices import resolve_device
from pytorch_explorer.digits.data import split_index
from pytorch_explorer.digits.models import TrainedModel, build_model
from pytorch_explorer.digits.training.config import TrainConfig, flops_per_sample

PER_CLASS = 4  # 4 of each digit: a grid of 40


def preview_indices(labels: np.ndarray, val_fraction: float, per_class: int = PER_CLASS) -> np.ndarray:
    """Indices (into the whole dataset) of the first `per_class` validation digits of each class, class by
    class (0, 0, 0, 0, 1, 1, ...). A class with fewer validation digits gives what it has."""
    labels = np.asarray(labels)
    cut = split_index(len(labels), val_fraction)
    chosen = [cut + np.flatnonzero(labels[cut:] == digit)[:per_class] for digit in range(10)]
    return np.concatenate(chosen).astype(np.int64)


@dataclass(frozen=True)
class Predictions:
    """What a model says about each preview digit: its arg-max label and that label's probability."""

    predicted: list[int]
    confidence: list[float]

    def accuracy(self, labels: np.ndarray) -> float:
        right = sum(int(p == y) for p, y in zip(self.predicted, np.asarray(labels).tolist(), strict=True))
        return right / len(self.predicted) if self.predicted else float("nan")


def predict_preview(trained: TrainedModel, images: np.ndarray) -> Predictions:
    """The model's predictions for uint8 (N, 28, 28) digits (in eval mode: no dropout, batch norm's averages)."""
    probabilities = trained.predict_proba(torch.from_numpy(np.ascontiguousarray(images)))
    confidence, predicted = probabilities.max(dim=1)
    return Predictions(predicted.tolist(), [round(float(c), 4) for c in confidence])


def measure_samples_per_s(config: TrainConfig, seconds: float = 0.5, max_steps: int = 50,
                          max_step_flops: float = 2e9) -> float:
    """Training samples a second of this config's model and batch size on its device, from a few timed steps
    on random digits (after one untimed warm-up step). Rough: it runs beside whatever else the machine does,
    at torch's current thread count; the global random state is left as it was. A batch whose step would
    cost more than `max_step_flops` is timed smaller (a large CNN at batch 1024 would take minutes a step;
    a smaller batch runs fewer samples a second, so the estimate errs long)."""
    device = resolve_device(config.device)
    batch = max(1, min(config.batch_size, int(max_step_flops // flops_per_sample(config.model_config()))))
    config = replace(config, batch_size=batch)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):  # weights, dropout: not global
        torch.manual_seed(0)
        return _timed_steps(config, device, seconds, max_steps)


def _timed_steps(config: TrainConfig, device: torch.device, seconds: float, max_steps: int) -> float:
    model = build_model(config.model_config()).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(config.batch_size, 28 * 28, generator=generator).to(device)
    y = torch.randint(0, 10, (config.batch_size,), generator=generator).to(device)
    model.train()
    steps, started = -1, 0.0
    while steps < max_steps:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        steps += 1
        if steps == 0:
            started = time.perf_counter()  # the warm-up step is not timed
        elif time.perf_counter() - started >= seconds:
            break
    return steps * config.batch_size / max(time.perf_counter() - started, 1e-9)
