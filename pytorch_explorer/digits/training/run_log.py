"""What both training loops report, written once: steps, samples, seconds, the loss history, events.

A loop hands each step's loss and count of correct predictions to `RunLog.add_step` (tensors, read
only every `log_every` steps: reading is a device sync; or plain numbers) and every
`log_every` steps gets one "step" TrainingEvent back to yield. At an epoch's end `end_epoch`
measures the accuracies and gives the "epoch" event. Stopping and divergence are the Trainer's
(training.py): it looks at the events as they pass.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import torch

from pytorch_explorer.digits.models import TrainedModel

EVENT_KINDS = ("step", "epoch", "done", "stopped", "diverged")
FINAL_KINDS = ("done", "stopped", "diverged")
DIVERGED_LOSS = 100.0  # guessing scores ln(10) = 2.3; a mean loss past this means the run blew up


def is_diverged(loss: float) -> bool:
    """NaN, infinite, or so large (> DIVERGED_LOSS) that the weights are garbage."""
    return not math.isfinite(loss) or loss > DIVERGED_LOSS


@dataclass
class TrainingEvent:
    """One progress report. kind: "step" | "epoch" | "done" | "stopped" | "diverged"."""

    kind: str
    step: int  # optimizer steps done so far
    epoch: int  # 1-based epoch the step belongs to
    loss: float  # mean loss since the last event ("epoch": over the whole epoch)
    accuracy: float  # running training accuracy over the current epoch's batches
    samples_per_s: float  # training samples per second of training time so far
    elapsed_s: float  # wall time since training started (including evaluation)
    train_acc: float | None = None
    val_acc: float | None = None
    result: TrainedModel | None = None
    message: str = ""
    progress: float = 0.0  # fraction of all steps done, 0..1


@dataclass
class History:
    """The run's curves: a loss reading every log_every steps, accuracies and seconds every epoch."""

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    epochs: list[int] = field(default_factory=list)
    epoch_losses: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    val_acc: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)


class RunLog:
    """Counts steps, samples and training time (evaluation excluded) and turns them into events.

    evaluate() -> (train accuracy, validation accuracy) of the model as it is now.
    """

    def __init__(self, log_every: int, total_steps: int, evaluate: Callable[[], tuple[float, float]],
                 started: float | None = None) -> None:
        self.log_every = log_every
        self.total_steps = total_steps
        self.evaluate = evaluate
        self.history = History()
        self.steps_done = 0
        self.samples_seen = 0
        self.train_seconds = 0.0
        self.fast_path = ""  # what ran: the loop says
        self.started = time.perf_counter() if started is None else started  # elapsed_s counts from here
        self.evaluated_at = -1  # steps_done when the last accuracies in history were measured
        self.start_epoch()

    def start_epoch(self) -> None:
        self.epoch_started = self.chunk_started = time.perf_counter()
        self.epoch_loss = 0.0  # sum of the epoch's step losses
        self.epoch_steps = self.epoch_correct = self.epoch_seen = 0
        self._reset_window()

    def _reset_window(self) -> None:
        self.window_loss: torch.Tensor | float = 0.0  # summed on the device until read
        self.window_correct: torch.Tensor | int = 0
        self.window_steps = self.window_seen = 0

    @property
    def samples_per_s(self) -> float:
        return self.samples_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    def event(self, kind: str, epoch: int, loss: float, accuracy: float, **extra) -> TrainingEvent:
        progress = self.steps_done / self.total_steps if self.total_steps else 0.0
        return TrainingEvent(kind, self.steps_done, epoch, loss, accuracy, self.samples_per_s,
                             time.perf_counter() - self.started, progress=min(progress, 1.0), **extra)

    def add_step(self, loss: torch.Tensor | float, correct: torch.Tensor | int, n: int, epoch: int,
                 last_in_epoch: bool) -> Iterator[TrainingEvent]:
        """Count one step; every log_every steps (and at an epoch's end) read the sums and yield a "step" event."""
        self.window_loss = self.window_loss + loss
        self.window_correct = self.window_correct + correct
        self.steps_done += 1
        self.epoch_steps += 1
        self.window_steps += 1
        self.window_seen += n
        if self.window_steps < self.log_every and not last_in_epoch:
            return
        total = float(self.window_loss)  # the loop's only device sync
        self.epoch_correct += int(self.window_correct)
        self.train_seconds += time.perf_counter() - self.chunk_started
        self.samples_seen += self.window_seen
        self.epoch_loss += total
        self.epoch_seen += self.window_seen
        mean_loss = total / self.window_steps
        self.history.steps.append(self.steps_done)
        self.history.losses.append(mean_loss)
        self._reset_window()
        yield self.event("step", epoch, mean_loss, self.epoch_correct / self.epoch_seen)
        self.chunk_started = time.perf_counter()  # the time the consumer spent is not training time

    def end_epoch(self, epoch: int, loss: float | None = None) -> TrainingEvent:
        """Measure both accuracies and give the "epoch" event. loss: the epoch's mean (default: of its steps)."""
        seconds = time.perf_counter() - self.epoch_started
        loss = self.epoch_loss / self.epoch_steps if loss is None else loss
        train_acc, val_acc = self.evaluate()
        self.evaluated_at = self.steps_done
        h = self.history
        h.epochs.append(epoch)
        h.epoch_losses.append(loss)
        h.train_acc.append(train_acc)
        h.val_acc.append(val_acc)
        h.epoch_seconds.append(seconds)
        return self.event("epoch", epoch, loss, self.epoch_correct / max(self.epoch_seen, 1),
                          train_acc=train_acc, val_acc=val_acc)

    def final_accuracies(self) -> tuple[float, float]:
        """The accuracies now: the last epoch's, or measured again if steps ran since."""
        if self.evaluated_at != self.steps_done:
            return self.evaluate()
        return self.history.train_acc[-1], self.history.val_acc[-1]

    def metrics(self) -> dict:
        """The counters and curves as TrainedModel.metrics keys."""
        h = self.history
        return {
            "epoch_seconds": list(h.epoch_seconds),
            "samples_per_s": self.samples_per_s,
            "train_seconds": self.train_seconds,
            "elapsed_s": time.perf_counter() - self.started,
            "loss_history": list(h.losses),
            "loss_steps": list(h.steps),
            "epoch_losses": list(h.epoch_losses),
            "epoch_train_acc": list(h.train_acc),
            "epoch_val_acc": list(h.val_acc),
            "steps": self.steps_done,
            "total_steps": self.total_steps,
            "samples_seen": self.samples_seen,
            "fast_path": self.fast_path,
        }
