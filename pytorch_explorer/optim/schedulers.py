"""Learning-rate schedulers from torch.optim.lr_scheduler, built and stepped one way for every racer.

The scheduler is stepped once after every optimizer step (`sched.step()`; ReduceLROnPlateau takes the
loss: `sched.step(loss.item())`), so the lr of step k is the lr the optimizer had when it took step k.
OneCycleLR is built with max_lr = the optimizer's lr, total_steps = the race's steps and
cycle_momentum=False (cycling momentum would turn plain SGD into SGD with momentum).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from pytorch_explorer.optim.errors import OptimError

SCHEDULERS = ("none", "steplr", "cosine", "onecycle", "plateau")
SCHEDULER_TITLES = {"none": "none (constant lr)", "steplr": "StepLR", "cosine": "CosineAnnealingLR",
                    "onecycle": "OneCycleLR", "plateau": "ReduceLROnPlateau"}
SCHEDULER_ABOUT = {
    "none": "The learning rate stays what you set.",
    "steplr": "Multiplies the lr by gamma every step_size steps: a staircase down.",
    "cosine": "Lowers the lr from its start to eta_min along half a cosine, over all the steps (T_max).",
    "onecycle": "Warms the lr up from lr/25 to lr over the first 30% of the steps, then anneals it (cosine) to "
                "almost 0: a fast start without the first steps blowing up.",
    "plateau": "Watches the loss: when it has not improved for `patience` steps, multiplies the lr by `factor`.",
}


@dataclass(frozen=True)
class SchedulerSpec:
    """Which scheduler and its settings (each kind reads only its own)."""

    kind: str = "none"
    step_size: int = 50  # StepLR
    gamma: float = 0.5  # StepLR
    eta_min: float = 0.0  # CosineAnnealingLR
    factor: float = 0.5  # ReduceLROnPlateau
    patience: int = 10  # ReduceLROnPlateau

    def __post_init__(self) -> None:
        if self.kind not in SCHEDULERS:
            raise OptimError("Unknown scheduler {kind!r}: choose one of {choices}.", kind=self.kind,
                             choices=", ".join(SCHEDULERS))
        if not 1 <= self.step_size <= 100_000:
            raise OptimError("StepLR's step_size must be at least 1; got {step_size}.", step_size=self.step_size)
        if not (math.isfinite(self.gamma) and 0 < self.gamma <= 1):
            raise OptimError("StepLR's gamma must be above 0 and at most 1; got {gamma}.", gamma=self.gamma)
        if not (math.isfinite(self.factor) and 0 < self.factor < 1):
            raise OptimError("ReduceLROnPlateau's factor must be above 0 and below 1; got {factor}.", factor=self.factor)
        if not 0 <= self.patience <= 100_000:
            raise OptimError("ReduceLROnPlateau's patience must be 0 or more; got {patience}.", patience=self.patience)
        if not (math.isfinite(self.eta_min) and self.eta_min >= 0):
            raise OptimError("CosineAnnealingLR's eta_min must be 0 or more; got {eta_min}.", eta_min=self.eta_min)

    @property
    def title(self) -> str:
        return SCHEDULER_TITLES[self.kind]

    def constructor(self, steps: int, optimizer: str = "opt") -> str | None:
        """The Python call that builds it in the shown code, or None without a scheduler."""
        lr_scheduler = "torch.optim.lr_scheduler"
        if self.kind == "steplr":
            return f"{lr_scheduler}.StepLR({optimizer}, step_size={self.step_size}, gamma={self.gamma!r})"
        if self.kind == "cosine":
            return f"{lr_scheduler}.CosineAnnealingLR({optimizer}, T_max={steps}, eta_min={self.eta_min!r})"
        if self.kind == "onecycle":
            return (f"{lr_scheduler}.OneCycleLR({optimizer}, max_lr={optimizer}.param_groups[0]['lr'], "
                    f"total_steps={steps}, cycle_momentum=False)")
        if self.kind == "plateau":
            return f"{lr_scheduler}.ReduceLROnPlateau({optimizer}, factor={self.factor!r}, patience={self.patience})"
        return None


def make_scheduler(spec: SchedulerSpec, optimizer: torch.optim.Optimizer, steps: int) -> Any:
    """The real scheduler for a race of `steps` steps, or None for a constant lr."""
    lr_scheduler = torch.optim.lr_scheduler
    if spec.kind == "steplr":
        return lr_scheduler.StepLR(optimizer, step_size=spec.step_size, gamma=spec.gamma)
    if spec.kind == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=spec.eta_min)
    if spec.kind == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"], total_steps=steps,
                                       cycle_momentum=False)
    if spec.kind == "plateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=spec.factor, patience=spec.patience)
    return None


def step_scheduler(scheduler: Any, loss: float) -> None:
    """One scheduler step after an optimizer step (ReduceLROnPlateau is told the loss)."""
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(loss)
    else:
        scheduler.step()


def scheduler_step_line(spec: SchedulerSpec) -> str | None:
    """The shown code's line that steps the scheduler."""
    if spec.kind == "none":
        return None
    return "sched.step(loss.item())" if spec.kind == "plateau" else "sched.step()"
