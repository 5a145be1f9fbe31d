"""Training as a resumable object: a page trains a slice, draws, and goes on where it stopped.

    trainer = PlaygroundTrainer(config)
    trainer.step(1)                 # one epoch: every training point once, in shuffled mini-batches
    trainer.train_for(0.12)         # whole epochs until 0.12 s have passed (a frame of the animation)
    trainer.diverged, trainer.train_losses, trainer.test_losses
    for level, message in diagnosis(trainer, lang="zh"): ...   # what bad settings did, in words

The loop is the canonical one (zero_grad, forward, loss + penalty, backward, step), written where it runs.
The data loss is binary cross-entropy on the logit (classification) or mean squared error (regression).
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from pytorch_explorer.i18n import translate
from pytorch_explorer.playground.config import TUNABLE, PlaygroundConfig
from pytorch_explorer.playground.data import features, grid, make_problem, split
from pytorch_explorer.playground.model import build_model, linear_layers, regularization_term, unit_outputs

VANISHING_RATIO = 100.0  # the first layer's gradient this many times smaller than the last's: say so
MAX_EPOCHS = 1_000_000


class PlaygroundTrainer:
    """A network, its optimizer and its data for one PlaygroundConfig, trained a slice at a time."""

    def __init__(self, config: PlaygroundConfig) -> None:
        self.config = config
        X, y = make_problem(config.problem, config.points, config.noise, config.seed)
        (self.X_train, self.y_train), (self.X_test, self.y_test) = split(X, y, config.train_ratio, config.seed)
        self.inputs_train = features(torch.from_numpy(self.X_train), config.features)
        self.inputs_test = features(torch.from_numpy(self.X_test), config.features)
        self.targets_train, self.targets_test = torch.from_numpy(self.y_train), torch.from_numpy(self.y_test)
        self.generator = torch.Generator().manual_seed(config.seed)
        self.model = build_model(len(config.features), config.layers, config.activation, self.generator)
        self.loss_fn = nn.BCEWithLogitsLoss() if config.classification else nn.MSELoss()
        self.optimizer = make_optimizer(config, self.model)
        self.epoch, self.position = 0, 0  # epochs complete, and where the current one is in its shuffled order
        self.order = torch.arange(0)
        self.train_losses: list[float] = []
        self.test_losses: list[float] = []
        self.train_accuracies: list[float] = []
        self.diverged_at: int | None = None
        self.seconds = 0.0
        self.record_losses()  # epoch 0: the starting weights

    # ------------------------------------------------------------ training
    def retune(self, config: PlaygroundConfig) -> None:
        """Take new TUNABLE settings (learning rate, regularisation, batch size) and go on training."""
        if config.structure() != self.config.structure():
            raise ValueError("retune only takes new tunable settings; make a new trainer for another network.")
        self.config = config
        for group in self.optimizer.param_groups:
            group["lr"] = config.lr

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    def step(self, epochs: int = 1) -> int:
        """Train until `epochs` more epochs are complete (fewer if the loss diverges); returns the epochs done."""
        before, started = self.epoch, time.perf_counter()
        while self.epoch < min(before + epochs, MAX_EPOCHS) and not self.diverged:
            self.train_batch()
        self.seconds += time.perf_counter() - started
        return self.epoch - before

    def train_for(self, seconds: float) -> int:
        """Mini-batches until `seconds` have passed (at least one): a frame's slice, which may end inside an epoch
        (the next slice goes on from there, so a pause never waits for a long epoch). Returns the epochs completed."""
        before, started = self.epoch, time.perf_counter()
        deadline = started + seconds
        while not self.diverged and self.epoch < MAX_EPOCHS:
            self.train_batch()
            if time.perf_counter() >= deadline:
                break
        self.seconds += time.perf_counter() - started
        return self.epoch - before

    def train_batch(self) -> None:
        """One mini-batch step: zero_grad, forward, loss + penalty, backward, step. An epoch is every training point
        once, in an order shuffled at its start; when it is complete, the losses are recorded."""
        c, model, optimizer = self.config, self.model, self.optimizer
        if self.position == 0:
            self.order = torch.randperm(len(self.inputs_train), generator=self.generator)
        batch = self.order[self.position:self.position + c.batch_size]
        optimizer.zero_grad()
        loss = self.loss_fn(model(self.inputs_train[batch]).squeeze(1), self.targets_train[batch])
        loss = loss + regularization_term(model, c.regularization, c.reg_rate)
        loss.backward()
        optimizer.step()
        self.position += c.batch_size
        if self.position >= len(self.order):
            self.position = 0
            self.epoch += 1
            self.record_losses()
        elif not math.isfinite(loss.item()):  # diverged inside an epoch: stop here, not at its end
            self.record_losses()

    @torch.no_grad()
    def record_losses(self) -> None:
        out_train = self.model(self.inputs_train).squeeze(1)
        out_test = self.model(self.inputs_test).squeeze(1)
        train, test = float(self.loss_fn(out_train, self.targets_train)), float(self.loss_fn(out_test, self.targets_test))
        self.train_losses.append(train)
        self.test_losses.append(test)
        if self.config.classification:
            self.train_accuracies.append(float(((out_train > 0).float() == self.targets_train).float().mean()))
        if not (math.isfinite(train) and all(torch.isfinite(p).all() for p in self.model.parameters())):
            self.diverged_at = self.epoch

    # ------------------------------------------------------------ looking inside
    def node_grids(self, resolution: int = 24) -> tuple[np.ndarray, list[np.ndarray]]:
        """xs (r,) and, per column of the picture, its units' values on the grid: (units, r, r) arrays."""
        xs, points = grid(resolution)
        inputs = features(torch.from_numpy(points), self.config.features)
        outputs = unit_outputs(self.model, inputs, self.config.classification)
        return xs, [o.T.reshape(-1, resolution, resolution).numpy() for o in outputs]

    def gradient_magnitudes(self) -> list[float]:
        """Mean |dL/dW| of each Linear layer's weights (first to last), on all the training points."""
        self.model.zero_grad()
        loss = self.loss_fn(self.model(self.inputs_train).squeeze(1), self.targets_train)
        loss.backward()
        magnitudes = [float(layer.weight.grad.abs().mean()) for layer in linear_layers(self.model)]
        self.model.zero_grad()
        return magnitudes

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W (out, in), b (out,)) of each Linear layer, as numpy copies."""
        return [(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
                for layer in linear_layers(self.model)]

    @property
    def accuracy(self) -> float | None:
        """Training accuracy now (classification), else None."""
        return self.train_accuracies[-1] if self.train_accuracies else None


def make_optimizer(config: PlaygroundConfig, model: nn.Module) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr)
    return torch.optim.SGD(model.parameters(), lr=config.lr)


def trainer_for(config: PlaygroundConfig, current: PlaygroundTrainer | None = None) -> PlaygroundTrainer:
    """`current` if it was made for the same network (retuned to new TUNABLE settings), else a fresh trainer."""
    if isinstance(current, PlaygroundTrainer) and current.config.structure() == config.structure():
        if any(getattr(current.config, k) != getattr(config, k) for k in TUNABLE):
            current.retune(config)
        return current
    return PlaygroundTrainer(config)


def reset(trainer: PlaygroundTrainer) -> PlaygroundTrainer:
    """A fresh network with the same settings (epoch 0)."""
    return PlaygroundTrainer(replace(trainer.config))


# ---------------------------------------------------------------- what the numbers say
def vanishing_ratio(magnitudes: list[float]) -> float | None:
    """How many times smaller the first layer's mean |gradient| is than the last's (None: one layer, or 0)."""
    if len(magnitudes) < 2 or not all(math.isfinite(m) for m in magnitudes) or magnitudes[-1] == 0:
        return None
    return math.inf if magnitudes[0] == 0 else magnitudes[-1] / magnitudes[0]


def diagnosis(trainer: PlaygroundTrainer, magnitudes: list[float] | None = None,
              lang: str = "en") -> list[tuple[str, str]]:
    """(level, message) pairs for the page, in `lang`: "error" when training diverged and stopped, "warning" for
    vanishing gradients or a loss that went up, [] when all looks healthy."""
    c, out = trainer.config, []
    if trainer.diverged:
        bad = trainer.train_losses[-1]
        out.append(("error", translate(
            "Training diverged at epoch {epoch}: the training loss became {loss} (or a weight overflowed), so "
            "training stopped. With a learning rate of {lr} every step overshoots the minimum and the weights blow "
            "up. Lower the learning rate (0.03 works for most problems) and press Reset.", lang).format(
                epoch=trainer.diverged_at, loss="nan" if math.isnan(bad) else bad, lr=f"{c.lr:g}")))
        return out
    losses = trainer.train_losses
    if trainer.epoch >= 10 and losses[-1] > 1.05 * losses[0]:
        out.append(("warning", translate(
            "The training loss went up: {start} at the start, {now} now. The learning rate ({lr}) is too high for "
            "{optimizer} here: each step jumps past the minimum. Try a smaller one.", lang).format(
                start=f"{losses[0]:.3f}", now=f"{losses[-1]:.3f}", lr=f"{c.lr:g}", optimizer=c.optimizer.upper())))
    ratio = vanishing_ratio(magnitudes if magnitudes is not None else trainer.gradient_magnitudes())
    if ratio is not None and ratio >= VANISHING_RATIO:
        times = translate("infinitely many", lang) if math.isinf(ratio) else f"{ratio:,.0f}"
        why = (translate("each sigmoid's slope is at most 0.25, and back-propagation multiplies one slope per layer",
                         lang) if c.activation == "sigmoid"
               else translate("the signal shrinks at every layer it goes back through", lang))
        out.append(("warning", translate(
            "Vanishing gradients: the first layer's gradient is {times} times smaller than the last layer's "
            "({layers} hidden layers, {activation}): {why}, so the first layers hardly learn. Try fewer layers, "
            "or Tanh / ReLU.", lang).format(times=times, layers=len(c.layers), activation=c.activation, why=why)))
    return out
