"""What every toy implementation shares: the article's data, the settings of a run, the starting weights.

The article trains one tiny network (4 inputs, a hidden layer, 1 sigmoid output) on
X = [[1,0,1,0],[1,0,1,1],[0,1,0,1]], y = [[1],[1],[0]]. Its four parameters are
``wh`` (inputs, hidden), ``bh`` (1, hidden), ``wout`` (hidden, 1) and ``bout`` (1, 1).
:func:`initial_weights` draws them once, in the article's numpy order, so that every
implementation can start from the very same numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.i18n import translate

ARTICLE_X = [[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]]
ARTICLE_Y = [[1], [1], [0]]
IMPLEMENTATIONS = ("numpy", "torch-article", "torch-fixed", "autograd", "nn")
IMPLEMENTATION_TITLES = {
    "numpy": "1. numpy, hand-written backprop",
    "torch-article": "2. PyTorch, hand-written, as the article wrote it",
    "torch-fixed": "3. PyTorch, hand-written, corrected",
    "autograd": "4. PyTorch autograd (loss.backward())",
    "nn": "5. nn.Sequential + torch.optim",
}
SHORT_TITLES = {
    "numpy": "1 numpy", "torch-article": "2 torch, as the article", "torch-fixed": "3 torch, corrected",
    "autograd": "4 autograd", "nn": "5 nn + optim",
}
ACTIVATIONS = ("sigmoid", "tanh", "relu")
INITS = ("uniform", "normal")
OPTIMIZERS = ("sgd", "adam")
DTYPES = ("float64", "float32")
PARAMETERS = ("wh", "bh", "wout", "bout")
LOSS_NAME = "mean squared error, mean((y - output)**2)"
UNTRANSLATED_TITLES = {"5. nn.Sequential + torch.optim", "1 numpy", "5 nn + optim"}  # names of code: any language


def implementation_title(impl: str, lang: str = "en") -> str:
    """A version's title in `lang`, for legends and tables. (The page's choice controls show the same titles in the
    session's language, while the URL holds the version itself, `torch-fixed`, so a shared link opens in either.)"""
    return translate(IMPLEMENTATION_TITLES.get(impl, impl), lang)


def short_title(impl: str, lang: str = "en") -> str:
    """A version's short title in `lang` (a table's column)."""
    return translate(SHORT_TITLES.get(impl, impl), lang)


def loss_name(lang: str = "en") -> str:
    """LOSS_NAME in `lang`."""
    return translate(LOSS_NAME, lang)


class ToySettingsError(ExplorerError, ValueError):
    """A toy-network setting is out of range; the message says which and what to choose."""


@dataclass(frozen=True)
class ToySettings:
    """Everything that decides a toy training run. The defaults are the article's."""

    epochs: int = 5000
    lr: float = 0.1
    hidden: int = 3
    seed: int = 0
    init: str = "uniform"  # "uniform" [0, 1) as np.random.uniform, or "normal" as torch.randn
    activation: str = "sigmoid"  # of the hidden layer; the output is always a sigmoid
    optimizer: str = "sgd"  # implementation 5 only
    dtype: str = "float64"
    same_init: bool = True  # one set of initial weights for all; else each its own way

    def __post_init__(self) -> None:
        if not 1 <= int(self.epochs) <= 1_000_000:
            raise ToySettingsError("epochs must be between 1 and 1,000,000, not {epochs}.", epochs=self.epochs)
        if not (np.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ToySettingsError("the learning rate must be a number above 0 and at most 100, not {lr}.", lr=self.lr)
        if not 1 <= int(self.hidden) <= 1024:
            raise ToySettingsError("hidden units must be between 1 and 1024, not {hidden}.", hidden=self.hidden)
        if not 0 <= int(self.seed) < 2**32:
            raise ToySettingsError("the seed must be a whole number from 0 to 2**32 - 1, not {seed}.", seed=self.seed)
        for name, value, allowed in (
            ("init", self.init, INITS),
            ("activation", self.activation, ACTIVATIONS),
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("dtype", self.dtype, DTYPES),
        ):
            if value not in allowed:
                raise ToySettingsError("{name} must be one of {choices}, not {value!r}.", name=name,
                                       choices=", ".join(allowed), value=value)

    @property
    def torch_dtype(self) -> torch.dtype:
        return getattr(torch, self.dtype)


def check_implementation(impl: str) -> str:
    """Return impl if it names one of the five implementations, else explain the choices."""
    if impl not in IMPLEMENTATIONS:
        raise ToySettingsError("unknown implementation {impl!r}: choose one of {choices}.", impl=impl,
                               choices=", ".join(IMPLEMENTATIONS))
    return impl


@contextmanager
def one_thread() -> Iterator[None]:
    """Mark a chunk of small torch work; it changes nothing, on purpose.

    It used to call torch.set_num_threads(1), but torch's thread count belongs to the whole process:
    in the web server, one session's toy run left every other session's training on one thread. No
    code a page calls may change process-wide torch state, so the toy runs with torch's default
    threads (its tensors are tiny; the difference is a few percent on an idle machine).
    """
    yield


# ---------------------------------------------------------------- data and weights
def article_data(dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """The article's X (3, 4) and y (3, 1) as numpy arrays."""
    return np.array(ARTICLE_X, dtype=dtype), np.array(ARTICLE_Y, dtype=dtype)


def parameter_shapes(n_in: int = 4, hidden: int = 3, n_out: int = 1) -> dict[str, tuple[int, int]]:
    """The shape of each parameter: wh (in, hidden), bh (1, hidden), wout (hidden, out), bout (1, out)."""
    return {"wh": (n_in, hidden), "bh": (1, hidden), "wout": (hidden, n_out), "bout": (1, n_out)}


@dataclass(frozen=True)
class ToyWeights:
    """The four parameters, as float64 numpy arrays: wh (in, hidden), bh (1, hidden), wout (hidden, 1), bout (1, 1)."""

    wh: np.ndarray
    bh: np.ndarray
    wout: np.ndarray
    bout: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in PARAMETERS}

    def as_numpy(self, dtype: str = "float64") -> dict[str, np.ndarray]:
        """Fresh numpy copies, safe to update in place."""
        return {name: np.array(value, dtype=dtype) for name, value in self.as_dict().items()}

    def as_torch(self, dtype: str = "float64") -> dict[str, torch.Tensor]:
        """Fresh torch copies, safe to update in place."""
        return {name: torch.tensor(value, dtype=getattr(torch, dtype)) for name, value in self.as_dict().items()}

    @classmethod
    def from_arrays(cls, params: dict[str, Any]) -> ToyWeights:
        """From numpy arrays or tensors (copied to float64 numpy)."""
        def to_numpy(value: Any) -> np.ndarray:
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            return np.array(value, dtype=np.float64)

        return cls(**{name: to_numpy(params[name]) for name in PARAMETERS})


def initial_weights(hidden: int = 3, seed: int = 0, init: str = "uniform", n_in: int = 4, n_out: int = 1) -> ToyWeights:
    """One set of initial weights for every implementation, drawn in the article's order.

    ``np.random.seed(seed)`` then ``np.random.uniform(size=...)`` (the numpy code's [0, 1)) or
    ``np.random.standard_normal(...)`` (the distribution of the torch code's ``torch.randn``).
    """
    if init not in INITS:
        raise ToySettingsError("{name} must be one of {choices}, not {value!r}.", name="init", choices=", ".join(INITS),
                               value=init)
    state = np.random.RandomState(seed)
    draw = state.uniform if init == "uniform" else (lambda size: state.standard_normal(size))
    return ToyWeights(**{name: draw(size=shape) for name, shape in parameter_shapes(n_in, hidden, n_out).items()})
