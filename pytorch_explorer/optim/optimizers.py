"""Which torch.optim optimizers race, with which settings, and what each keeps in `optimizer.state`.

An `OptimizerSpec` names a torch.optim class in lower case (`sgd`, `adagrad`, `rmsprop`, `adam`,
`adamw`, `nadam`, `adamax`), as the command line does, with its settings. The page's racers are
presets of these: "SGD + momentum" and "Nesterov" are `sgd` with momentum (and nesterov=True).
The texts a learner reads (RACER_TITLES, UPDATE_RULES, STATE_EXPLANATIONS) are English here and keys of
the Chinese catalogue (`pytorch_explorer.i18n`), which the page translates them with; a refused setting is an
OptimError, which the page shows in the learner's language (`exc.message(lang)`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from pytorch_explorer.optim.errors import OptimError

CLASS_NAMES = {"sgd": "SGD", "adagrad": "Adagrad", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW",
               "nadam": "NAdam", "adamax": "Adamax"}
USES_MOMENTUM = ("sgd", "rmsprop")
USES_BETAS = ("adam", "adamw", "nadam", "adamax")
MAX_LR = 100.0
NESTEROV_NEEDS_MOMENTUM = "Nesterov momentum is an option of SGD and needs a momentum above 0 (0.9 is usual)."

# The page's racers: a name, what the learner sees, and the optimizer class it is.
RACERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
RACER_TITLES = {"sgd": "SGD", "momentum": "SGD + momentum", "nesterov": "Nesterov", "adagrad": "Adagrad",
                "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}
RACER_COLORS = {"sgd": "#d62728", "momentum": "#ff7f0e", "nesterov": "#8c564b", "adagrad": "#2ca02c",
                "rmsprop": "#17becf", "adam": "#1f77b4", "adamw": "#9467bd"}

UPDATE_RULES = {
    "sgd": "p ← p − lr·g. Each step follows the gradient g, nothing remembered.",
    "momentum": "v ← μ·v + g; p ← p − lr·v. A velocity v (the `momentum_buffer`) sums past gradients, so steps "
                "grow along a steady slope and zig-zags across a valley cancel out.",
    "nesterov": "v ← μ·v + g; p ← p − lr·(g + μ·v). Momentum that looks ahead: the step uses the gradient plus "
                "the velocity it is about to apply, which damps overshooting.",
    "adagrad": "s ← s + g²; p ← p − lr·g / (√s + ε). Each coordinate's step shrinks as its squared gradients "
               "add up (the `sum`): steep directions slow down first, and in the end every step becomes small.",
    "rmsprop": "v ← α·v + (1 − α)·g²; p ← p − lr·g / (√v + ε). Like Adagrad, but v (the `square_avg`) is a moving "
               "average, so old gradients are forgotten and steps do not shrink forever.",
    "adam": "m ← β₁·m + (1 − β₁)·g; v ← β₂·v + (1 − β₂)·g²; p ← p − lr·m̂ / (√v̂ + ε), where m̂ and v̂ are m and v "
            "divided by 1 − βᵗ (bias correction). Momentum (m, `exp_avg`) and RMSprop (v, `exp_avg_sq`) together: "
            "each step is about lr long whatever the gradient's size.",
    "adamw": "Adam, with weight decay applied to the parameter itself (p ← p − lr·λ·p) instead of being added to "
             "the gradient. With weight decay 0 it is exactly Adam.",
}

STATE_EXPLANATIONS = {
    "step": "how many steps this optimizer has taken (Adam, AdamW, RMSprop and Adagrad need it: Adam for its "
            "bias correction).",
    "momentum_buffer": "the velocity v: v ← μ·v + g, one number per coordinate. The step is lr·v (Nesterov: "
                       "lr·(g + μ·v)). SGD without momentum keeps None here.",
    "sum": "Adagrad's running sum of squared gradients, Σ g²: it only grows, so each coordinate's steps keep "
           "shrinking (lr / √sum).",
    "square_avg": "RMSprop's moving average of squared gradients, α·v + (1 − α)·g²: the typical size of each "
                  "coordinate's gradient lately.",
    "exp_avg": "Adam's first moment m: a moving average of the gradients (β₁ = beta1), the direction it goes.",
    "exp_avg_sq": "Adam's second moment v: a moving average of the squared gradients (β₂ = beta2); the step "
                  "divides by √v, so each coordinate moves about lr whatever its gradient's size.",
    "grad_avg": "centred RMSprop's moving average of the gradients.",
    "mu_product": "NAdam's running product of its momentum coefficients.",
    "exp_inf": "Adamax's moving maximum of |g| (its second moment, the ∞-norm).",
}


@dataclass(frozen=True)
class OptimizerSpec:
    """One torch.optim optimizer and its settings. `name` is the class in lower case (`adamw`)."""

    name: str
    lr: float
    momentum: float = 0.0  # sgd and rmsprop
    nesterov: bool = False  # sgd
    betas: tuple[float, float] = (0.9, 0.999)  # the Adam family
    weight_decay: float = 0.0
    label: str = ""  # what a plot or table calls it ("SGD + momentum")

    def __post_init__(self) -> None:
        check_spec(self)

    @property
    def class_name(self) -> str:
        return CLASS_NAMES[self.name]

    @property
    def title(self) -> str:
        return self.label or self.class_name

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments this optimizer's class is built with (only those it takes)."""
        out: dict[str, Any] = {"lr": self.lr}
        if self.name in USES_MOMENTUM and self.momentum:
            out["momentum"] = self.momentum
        if self.name == "sgd" and self.nesterov:
            out["nesterov"] = True
        if self.name in USES_BETAS:
            out["betas"] = tuple(self.betas)
        if self.weight_decay or self.name == "adamw":  # AdamW's own default is 0.01: always say which
            out["weight_decay"] = self.weight_decay
        return out

    def constructor(self, params: str = "[p]") -> str:
        """The Python call that builds it, as the shown code writes it."""
        args = [params] + [f"{k}={_literal(v)}" for k, v in self.kwargs().items()]
        return f"torch.optim.{self.class_name}({', '.join(args)})"


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    return repr(float(value)) if isinstance(value, float) else repr(value)


def check_spec(spec: OptimizerSpec) -> None:
    """Refuse settings torch would reject or that make no sense, with a message saying what to use."""
    if spec.name not in CLASS_NAMES:
        raise OptimError("Unknown optimizer {name!r}: choose one of {choices} (torch.optim's class names in lower "
                         "case).", name=spec.name, choices=", ".join(CLASS_NAMES))
    if not (math.isfinite(spec.lr) and 0 < spec.lr <= MAX_LR):
        raise OptimError("The learning rate must be a number above 0 and at most {most:g}; got {lr}.", most=MAX_LR,
                         lr=spec.lr)
    if not (math.isfinite(spec.momentum) and 0 <= spec.momentum < 1):
        raise OptimError("Momentum must be at least 0 and below 1 (0.9 is usual); got {momentum}.",
                         momentum=spec.momentum)
    if spec.nesterov and (spec.name != "sgd" or spec.momentum <= 0):
        raise OptimError(NESTEROV_NEEDS_MOMENTUM)
    if len(spec.betas) != 2 or not all(math.isfinite(b) and 0 <= b < 1 for b in spec.betas):
        raise OptimError("Each beta must be at least 0 and below 1 (Adam uses 0.9 and 0.999); got {betas}.",
                         betas=spec.betas)
    if not (math.isfinite(spec.weight_decay) and 0 <= spec.weight_decay <= 10):
        raise OptimError("Weight decay must be between 0 and 10; got {weight_decay}.", weight_decay=spec.weight_decay)


def optimizer_named(name: str) -> str:
    """A torch.optim class name in lower case, checked (`Adam` and `adam` both give `adam`)."""
    key = name.strip().lower()
    if key not in CLASS_NAMES:
        raise OptimError("Unknown optimizer {name!r}: choose one of {choices} (torch.optim's class names in lower "
                         "case).", name=name, choices=", ".join(CLASS_NAMES))
    return key


def racer_spec(racer: str, lr: float, momentum: float = 0.9, betas: tuple[float, float] = (0.9, 0.999),
               weight_decay: float = 0.0, lang: str = "en") -> OptimizerSpec:
    """The optimizer behind one of the page's racers, with the shared settings it uses. `lang` is no longer
    read (a refusal is an OptimError the page shows with `exc.message(lang)`); it goes once the page stops
    passing it."""
    title = RACER_TITLES.get(racer)
    if title is None:
        raise OptimError("Unknown optimizer {racer!r}: choose among {choices}.", racer=racer, choices=", ".join(RACERS))
    if racer in ("momentum", "nesterov"):
        return OptimizerSpec("sgd", lr, momentum=momentum, nesterov=racer == "nesterov", weight_decay=weight_decay,
                             label=title)
    return OptimizerSpec(racer, lr, betas=betas, weight_decay=weight_decay, label=title)


def make_optimizer(spec: OptimizerSpec, params: Iterable[torch.Tensor]) -> torch.optim.Optimizer:
    """The real torch.optim object."""
    return getattr(torch.optim, spec.class_name)(list(params), **spec.kwargs())


def state_snapshot(state: Mapping[str, Any]) -> dict[str, Any]:
    """One parameter's `optimizer.state[p]` as plain Python (tensors to floats or lists; None stays None)."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, torch.Tensor):
            out[key] = value.item() if value.numel() == 1 and value.dim() == 0 else value.detach().tolist()
        else:
            out[key] = value
    return out
