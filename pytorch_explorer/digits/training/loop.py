"""The fixed training loop: PyTorch's canonical step, as in pytorch/examples' mnist/main.py `train()`.

The digits live on the training device as one float tensor (DeviceData). Each epoch draws a
permutation from a `torch.Generator` seeded with the run's seed; each batch is a slice of that
permutation, gathered on the device (no per-batch numpy work, no host-to-device copy). The step
itself is `train_step`, five lines read top to bottom; `fast_path.build_step` may run it as a
fused optimizer or a CUDA graph, but it is always this function that runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pytorch_explorer.digits.data import DigitDataset, split_index
from pytorch_explorer.digits.training.fast_path import build_step
from pytorch_explorer.digits.models import pixels_to_inputs
from pytorch_explorer.digits.training.run_log import RunLog, TrainingEvent
from pytorch_explorer.digits.training.config import TrainConfig

EVAL_CHUNK = 8192  # rows per forward pass when measuring accuracy


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, xb: torch.Tensor, yb: torch.Tensor, *,
               bf16: bool = False, set_to_none: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The canonical step: zero_grad, forward, loss, backward, step.

    Returns the batch's loss and its count of correct predictions as tensors on the device (reading
    them is a sync: the loop adds them up and reads them every few steps). bf16: the forward pass (and
    so the backward) under torch.autocast in bfloat16; the weights and the optimizer stay float32.
    """
    optimizer.zero_grad(set_to_none=set_to_none)
    with torch.autocast(xb.device.type, dtype=torch.bfloat16, enabled=bf16):
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
    loss.backward()
    optimizer.step()
    return loss.detach(), (logits.detach().argmax(dim=1) == yb).sum()


def fixed_loop(model: nn.Module, data: DeviceData, config: TrainConfig, log: RunLog,
               device: torch.device) -> Iterator[TrainingEvent]:
    """Train `config.epochs` epochs of shuffled batches, yielding the log's "step" and "epoch" events."""
    n_train, bs = len(data.y_train), config.batch_size
    steps_per_epoch = math.ceil(n_train / bs)
    step = build_step(train_step, model, config, device, n_train)  # train_step, fused or as a CUDA graph
    generator = torch.Generator(device="cpu").manual_seed(config.seed)
    log.fast_path = step.description
    model.train()
    try:
        for epoch in range(1, config.epochs + 1):
            log.start_epoch()
            order = torch.randperm(n_train, generator=generator).to(device)  # a new shuffle each epoch
            for i in range(steps_per_epoch):
                batch = order[i * bs:(i + 1) * bs]  # a slice of the shuffled indices
                xb = data.x_train.index_select(0, batch)  # gathered on the device (index_select: the fast gather)
                yb = data.y_train.index_select(0, batch)
                loss, correct = step(xb, yb)
                yield from log.add_step(loss, correct, len(yb), epoch, last_in_epoch=i == steps_per_epoch - 1)
            yield log.end_epoch(epoch)
    finally:
        log.fast_path = step.description  # what ran: a CUDA graph may have fallen back to eager steps


@dataclass
class DeviceData:
    """The split digits on the training device: x as float (N, 784) in [0, 1], y as int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor

    @classmethod
    def from_dataset(cls, dataset: DigitDataset, val_fraction: float, device: torch.device) -> DeviceData:
        """One copy to the device, one conversion; the first (1 - val_fraction) train (the article's split)."""
        cut = split_index(len(dataset), val_fraction)
        x = as_inputs(dataset.images, device)
        y = torch.from_numpy(np.asarray(dataset.labels, dtype=np.int64)).to(device)
        return cls(x[:cut], y[:cut], x[cut:], y[cut:])


def as_inputs(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 784) in [0, 1] on the device (copied as uint8, converted there)."""
    return pixels_to_inputs(torch.from_numpy(np.ascontiguousarray(images)).to(device))


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose arg-max logit is the label (evaluated in chunks)."""
    if len(y) == 0:
        return float("nan")
    correct = torch.zeros((), dtype=torch.int64, device=y.device)
    for start in range(0, len(y), EVAL_CHUNK):
        logits = model(x[start:start + EVAL_CHUNK])
        correct += (logits.argmax(dim=1) == y[start:start + EVAL_CHUNK]).sum()
    return correct.item() / len(y)


def evaluate(model: nn.Module, data: DeviceData) -> tuple[float, float]:
    """(train accuracy, validation accuracy), measured in eval mode; the model is left in train mode."""
    model.eval()
    train_acc = accuracy(model, data.x_train, data.y_train)
    val_acc = accuracy(model, data.x_val, data.y_val)
    model.train()
    return train_acc, val_acc
