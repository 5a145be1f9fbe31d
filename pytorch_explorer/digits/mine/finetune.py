"""Fine-tuning a digit model on my digits, as a generator of progress events.

    for event in fine_tune(trained, my_images, my_labels, base_dataset, FineTuneSettings(epochs=5)):
        print(event.kind, event.epoch, event.loss, event.mine_acc, event.val_acc)
    result = event.result          # the last event ("done") carries it: a new model, the original untouched

The new model starts as a copy of the trained one and takes a few epochs of the canonical step
(`digits.training.loop.train_step`: zero_grad, forward, loss, backward, step) with a fresh Adam.
Each epoch sees my digits, repeated so that a handful of drawings still make a few batches, and in
"mixed" mode as many again (MIX_RATIO times) of the model's own training digits, drawn afresh each
epoch. Training on my digits alone lets the model forget what it knew (catastrophic forgetting: its
validation accuracy drops); mixing in the old digits keeps it. Before and after, the model is
measured on my digits (the very digits it is fine-tuned on: a training accuracy) and on its
validation split, the article's last 30 %.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.data import DigitDataset, load_digits, split_index
from pytorch_explorer.digits.models import TrainedModel, pixels_to_inputs
from pytorch_explorer.digits.training.loop import accuracy, train_step
from pytorch_explorer.i18n import translate

MODES = ("mixed", "mine")
MODE_WORDS = {"mixed": "my digits mixed with the model's own training digits", "mine": "my digits only"}
MIX_RATIO = 2  # base digits per (repeated) digit of mine, in mixed mode
MIN_MINE_PER_EPOCH = 256  # my digits are repeated up to this many a epoch (at most MAX_REPEATS times)
MAX_REPEATS = 32
FORGETTING_POINTS = 1.0  # a drop of validation accuracy (percentage points) worth explaining


@dataclass(frozen=True)
class FineTuneSettings:
    """How to fine-tune: epochs, learning rate (Adam), batch size, mode ("mixed" or "mine"), seed."""

    epochs: int = 5
    lr: float = 1e-3
    batch_size: int = 64
    mode: str = "mixed"
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 50:
            raise ValueError(f"fine-tuning takes 1 to 50 epochs, not {self.epochs}")
        if not (math.isfinite(self.lr) and 0 < self.lr <= 0.1):
            raise ValueError(f"the learning rate must be a number in (0, 0.1], not {self.lr}")
        if not 1 <= self.batch_size <= 4096:
            raise ValueError(f"the batch size must be between 1 and 4096, not {self.batch_size}")
        if self.mode not in MODES:
            raise ValueError(f"the mode is 'mixed' or 'mine', not {self.mode!r}")


@dataclass
class FineTuneResult:
    """The fine-tuned model (a new one) and the accuracies before and after."""

    model: TrainedModel
    settings: FineTuneSettings
    mine_before: float
    mine_after: float
    val_before: float
    val_after: float
    mine_count: int
    base_per_epoch: int
    note: str = ""  # where the base digits came from, when not the model's own source

    @property
    def forgot(self) -> bool:
        """Whether validation accuracy fell by FORGETTING_POINTS or more."""
        return (self.val_before - self.val_after) * 100 >= FORGETTING_POINTS


@dataclass
class FineTuneEvent:
    """"start" (the accuracies before), "epoch" (after each epoch), then "done" with the result."""

    kind: str
    epoch: int
    epochs: int
    loss: float = float("nan")
    mine_acc: float = float("nan")
    val_acc: float = float("nan")
    result: FineTuneResult | None = None
    history: list[dict[str, float]] = field(default_factory=list)


BASE_NOTE = "The model's own digits ({source}) are not available here, so the bundled digits stand in for them."


def base_digits(trained: TrainedModel, fallback: Callable[[], DigitDataset],
                lang: str = "en") -> tuple[DigitDataset, str]:
    """The digits the model was trained on, or `fallback()` and a note (in `lang`) when they cannot be loaded here."""
    try:
        return load_digits(trained.source), ""
    except (DataError, ValueError, OSError):
        return fallback(), translate(BASE_NOTE, lang).format(source=trained.source)


def inputs(images: np.ndarray, device: torch.device) -> torch.Tensor:
    return pixels_to_inputs(torch.from_numpy(np.ascontiguousarray(images)).to(device))


def measure(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Accuracy in eval mode (the model's mode put back)."""
    was_training = model.training
    model.eval()
    try:
        return accuracy(model, x, y)
    finally:
        model.train(was_training)


def fine_tune(trained: TrainedModel, mine_images: np.ndarray, mine_labels: np.ndarray, base: DigitDataset,
              settings: FineTuneSettings = FineTuneSettings(), note: str = "") -> Iterator[FineTuneEvent]:
    """Fine-tune a copy of `trained` on my digits (and, mixed, the base's training rows); see the module doc."""
    if len(mine_labels) == 0:
        raise DataError("There are no digits in my digits yet: draw a digit, label it and add it first.")
    fraction = float(trained.hyperparameters.get("val_fraction", 0.3))
    cut = split_index(len(base), fraction)
    model = copy.deepcopy(trained.model)
    device = next(model.parameters()).device
    x_mine, y_mine = inputs(mine_images, device), torch.as_tensor(np.asarray(mine_labels), dtype=torch.int64,
                                                                   device=device)
    x_base, y_base = inputs(base.images[:cut], device), torch.as_tensor(base.labels[:cut], dtype=torch.int64,
                                                                         device=device)
    x_val, y_val = inputs(base.images[cut:], device), torch.as_tensor(base.labels[cut:], dtype=torch.int64,
                                                                       device=device)
    repeats = max(1, min(MAX_REPEATS, math.ceil(MIN_MINE_PER_EPOCH / len(y_mine))))
    base_n = min(len(y_base), MIX_RATIO * repeats * len(y_mine)) if settings.mode == "mixed" else 0
    mine_before, val_before = measure(model, x_mine, y_mine), measure(model, x_val, y_val)
    history = [{"epoch": 0, "mine_acc": mine_before, "val_acc": val_before}]
    yield FineTuneEvent("start", 0, settings.epochs, mine_acc=mine_before, val_acc=val_before, history=list(history))

    generator = torch.Generator().manual_seed(settings.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    model.train()
    for epoch in range(1, settings.epochs + 1):
        picked = torch.randperm(len(y_base), generator=generator)[:base_n].to(device)  # fresh old digits
        x = torch.cat([x_mine.repeat(repeats, 1), x_base.index_select(0, picked)])
        y = torch.cat([y_mine.repeat(repeats), y_base.index_select(0, picked)])
        order = torch.randperm(len(y), generator=generator).to(device)
        total, batches = 0.0, 0
        for start in range(0, len(y), settings.batch_size):
            batch = order[start:start + settings.batch_size]
            loss, _ = train_step(model, optimizer, x.index_select(0, batch), y.index_select(0, batch))
            total, batches = total + float(loss), batches + 1
        mine_acc, val_acc = measure(model, x_mine, y_mine), measure(model, x_val, y_val)
        history.append({"epoch": epoch, "mine_acc": mine_acc, "val_acc": val_acc, "loss": total / batches})
        yield FineTuneEvent("epoch", epoch, settings.epochs, total / batches, mine_acc, val_acc, history=list(history))
    model.eval()

    tuned = TrainedModel(
        model=model, config=trained.config,
        hyperparameters={**trained.hyperparameters, "fine_tune_epochs": settings.epochs, "fine_tune_lr": settings.lr,
                         "fine_tune_mode": settings.mode, "fine_tuned_from": trained.name[:200]},
        metrics={"val_acc": val_after_or(val_before, history), "mine_acc": history[-1]["mine_acc"],
                 "mine_acc_before": mine_before, "val_acc_before": val_before,
                 "epoch_val_acc": [h["val_acc"] for h in history[1:]], "mine_digits": int(len(y_mine))},
        source=trained.source, name=f"{trained.name} + my digits"[:120])
    tuned.metrics = {k: v for k, v in tuned.metrics.items() if not (isinstance(v, float) and not math.isfinite(v))}
    result = FineTuneResult(tuned, settings, mine_before, history[-1]["mine_acc"], val_before, history[-1]["val_acc"],
                            int(len(y_mine)), base_n, note)
    yield FineTuneEvent("done", settings.epochs, settings.epochs, history[-1].get("loss", float("nan")),
                        result.mine_after, result.val_after, result, list(history))


def val_after_or(before: float, history: list[dict[str, float]]) -> float:
    after = history[-1]["val_acc"]
    return after if math.isfinite(after) else before


def fine_tune_to_completion(*args, **kwargs) -> FineTuneResult:
    """Run fine_tune to its end and return the result (for scripts and tests)."""
    result = None
    for event in fine_tune(*args, **kwargs):
        result = event.result or result
    assert result is not None
    return result


def forgetting_note(result: FineTuneResult, lang: str = "en") -> str:
    """Words for the page (in `lang`): what the before/after numbers mean, and catastrophic forgetting when it
    happened."""
    mine = translate("On my {count} digits: {before} -> {after} (these are the digits it was fine-tuned on, so this "
                     "is a training accuracy: draw new ones to test it).", lang).format(
        count=result.mine_count, before=f"{result.mine_before:.0%}", after=f"{result.mine_after:.0%}")
    val = translate("On the validation digits: {before} -> {after}.", lang).format(
        before=f"{result.val_before:.1%}", after=f"{result.val_after:.1%}")
    if not result.forgot:
        keep = (translate("Mixing in the model's own digits kept what it knew.", lang) if result.settings.mode == "mixed"
                else translate("It did not forget much this time; with more epochs or a higher learning rate on my "
                               "digits alone, it usually does.", lang))
        return f"{mine} {val} {keep}"
    why = translate("**Catastrophic forgetting**: trained on my digits only, the network moved its weights to fit "
                    "them and away from what made it right on the old digits; nothing in the loss asked it to stay "
                    "right there. Fine-tune in *mixed* mode (my digits plus the model's own training digits) to keep "
                    "both.", lang)
    if result.settings.mode == "mixed":
        why = translate("**Some forgetting**: even mixed, a few epochs tilted towards my digits cost accuracy on the "
                        "old ones. Fewer epochs or a lower learning rate keep more.", lang)
    return f"{mine} {val} {why}"


def fine_tune_code(settings: FineTuneSettings = FineTuneSettings()) -> str:
    """The PyTorch code of fine_tune with these settings, for the page's code expander (a test runs it and
    gets the package's weights)."""
    mixed = settings.mode == "mixed"
    return f"""import copy, math
import torch
import torch.nn.functional as F

# model: the model being probed. mine_x, mine_y: my digits as float (N, 784) in [0, 1] and int64 labels;
# base_x, base_y: the model's own training digits (the first 70 %), the same way.
tuned = copy.deepcopy(model)                    # a new model: the original is kept
optimizer = torch.optim.Adam(tuned.parameters(), lr={settings.lr})
generator = torch.Generator().manual_seed({settings.seed})
repeats = max(1, min({MAX_REPEATS}, math.ceil({MIN_MINE_PER_EPOCH} / len(mine_y))))   # a few drawings still make batches
base_n = {f"min(len(base_y), {MIX_RATIO} * repeats * len(mine_y))" if mixed else "0"}"""\
        f"""{"   # old digits in every epoch: less forgetting" if mixed else "   # my digits only: watch it forget"}
tuned.train()
for epoch in range({settings.epochs}):
    picked = torch.randperm(len(base_y), generator=generator)[:base_n]   # fresh old digits each epoch
    x = torch.cat([mine_x.repeat(repeats, 1), base_x[picked]])
    y = torch.cat([mine_y.repeat(repeats), base_y[picked]])
    order = torch.randperm(len(y), generator=generator)
    for start in range(0, len(y), {settings.batch_size}):
        batch = order[start:start + {settings.batch_size}]
        optimizer.zero_grad()
        loss = F.cross_entropy(tuned(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
"""


__all__ = ["FineTuneEvent", "FineTuneResult", "FineTuneSettings", "MODES", "MODE_WORDS", "BASE_NOTE", "base_digits", "fine_tune",
           "fine_tune_code", "fine_tune_to_completion", "forgetting_note"]
