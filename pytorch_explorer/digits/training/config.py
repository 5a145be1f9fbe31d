"""TrainConfig, everything that defines a digit-training run (the defaults are the article's values),
and the arithmetic of a run: how many steps it takes, how often it reads the loss, its flops, and how
long it will take at a measured speed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from pytorch_explorer.digits.models import ModelConfig, model_cost
from pytorch_explorer.i18n import DEFAULT, translate

OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. The defaults are the article's values."""

    source: str = "bundled"
    on_error: str = "skip"  # bad files in the source: "skip" them (listed) or "stop" the load
    resize: bool = False  # resize images that are not 28x28 (instead of refusing them)
    hidden: int = 500
    depth: int = 1  # hidden layers, 1-3
    activation: str = "relu"
    arch: str = "mlp"  # "lenet" or "cnn": see digits.models.ModelConfig (hidden and depth are the MLP's)
    channels: int = 16  # the cnn's: first block's channels (doubled each block), kernel, blocks, dropout, BN
    kernel_size: int = 3
    conv_layers: int = 2
    dropout: float = 0.25
    batch_norm: bool = True
    optimizer: str = "adam"  # or "sgd" (with momentum)
    lr: float = 1e-3
    momentum: float = 0.9  # SGD only
    batch_size: int = 128
    epochs: int = 5
    seed: int = 128
    val_fraction: float = 0.3
    device: str = "auto"
    article_faithful: bool = False
    log_every: int = 10  # steps between "step" events (each one reads the loss: a device sync)
    fast: bool = True  # fused optimizer where available; CUDA graph on CUDA
    cuda_graph: bool = True  # only ever used on CUDA, and only with fast=True
    threads: int = 0  # torch CPU threads during the run; 0 leaves torch's setting (results can differ by ~1e-7)
    precision: str = "fp32"  # or "bf16": forward and backward under torch.autocast in bfloat16 (opt-in)

    def __post_init__(self) -> None:
        self.model_config()  # validates the model's shape
        if self.on_error not in ("skip", "stop"):
            raise ValueError(f'on_error must be "skip" or "stop", not {self.on_error!r}')
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a positive number, not {self.lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), not {self.momentum}")
        if not 1 <= self.batch_size <= 65536:
            raise ValueError(f"batch size must be between 1 and 65536, not {self.batch_size}")
        if not 1 <= self.epochs <= 1000:
            raise ValueError(f"epochs must be between 1 and 1000, not {self.epochs}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"the validation fraction must be between 0 and 1, not {self.val_fraction}")
        if self.log_every < 1:
            raise ValueError(f"log_every must be at least 1, not {self.log_every}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be 'fp32' or 'bf16', not {self.precision!r}")
        if not 0 <= self.threads <= 1024:
            raise ValueError(f"threads must be between 0 (torch's default) and 1024, not {self.threads}")

    def model_config(self) -> ModelConfig:
        return ModelConfig(hidden=self.hidden, depth=self.depth, activation=self.activation, arch=self.arch,
                           channels=self.channels, kernel_size=self.kernel_size, conv_layers=self.conv_layers,
                           dropout=self.dropout, batch_norm=self.batch_norm)

    mlp_config = model_config  # its name from before the CNNs

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        """Short description for run names: "article-faithful" or "fixed"."""
        return "article-faithful" if self.article_faithful else "fixed"


def planned_steps(config: TrainConfig, n_total: int) -> int:
    """Optimizer steps a full run takes: ceil(n_train / batch) per epoch, or the article's int(n_total / batch)."""
    if config.article_faithful:
        return max(1, int(n_total / config.batch_size)) * config.epochs
    n_train = int(n_total * (1.0 - config.val_fraction))  # split_index's cut, without its checks
    return math.ceil(n_train / config.batch_size) * config.epochs


def log_every_for(n_train: int, batch_size: int, points_per_epoch: int = 25) -> int:
    """Steps between loss readings so that a live chart gets about `points_per_epoch` points per epoch."""
    steps = max(1, math.ceil(n_train / batch_size))
    return max(1, min(50, steps // points_per_epoch))


def flops_per_sample(config: ModelConfig) -> int:
    """FLOPs (multiply-adds x2) of one training sample: forward, plus backward without the input's gradient."""
    return model_cost(config).training_flops


def estimate_seconds(samples_per_s: float, n_total: int, config: TrainConfig) -> float:
    """Training seconds a run will take at a measured speed: the samples of all its steps / samples_per_s.

    Evaluation after each epoch and moving the data are not included (a few percent on the bundled digits).
    """
    if not (math.isfinite(samples_per_s) and samples_per_s > 0):
        raise ValueError(f"samples per second must be a positive number, not {samples_per_s}")
    if config.article_faithful:
        samples = planned_steps(config, n_total) * config.batch_size
    else:
        samples = int(n_total * (1.0 - config.val_fraction)) * config.epochs
    return samples / samples_per_s


def format_duration(seconds: float, lang: str = DEFAULT) -> str:
    """"45 s", "3.5 min", "1.2 h" (in `lang`)."""
    if seconds < 90:
        return translate("{n} s", lang).format(n=f"{seconds:.0f}")
    if seconds < 90 * 60:
        return translate("{n} min", lang).format(n=f"{seconds / 60:.1f}")
    return translate("{n} h", lang).format(n=f"{seconds / 3600:.1f}")
