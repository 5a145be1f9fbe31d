"""The article's toy network (4 inputs, hidden units, 1 sigmoid output) five ways.

The article trains the same tiny network on X = [[1,0,1,0],[1,0,1,1],[0,1,0,1]], y = [[1],[1],[0]]
once in numpy and once in PyTorch, both with hand-written back-propagation. Here it is five ways:

1. ``numpy``: the article's numpy code (correct).
2. ``torch-article``: the article's PyTorch code as written, defects included: the output skips
   ``bout``, and both bias updates use ``d_output.sum()``.
3. ``torch-fixed``: the same PyTorch code with the two defects corrected; line for line numpy's twin.
4. ``autograd``: the forward pass by hand, the gradients from ``loss.backward()``, a manual update.
5. ``nn``: ``nn.Sequential`` + ``torch.optim`` (SGD or Adam), the idiomatic version.

The hand-written updates are ``w += X.T @ d * lr`` with ``E = y - output``: gradient descent on
``0.5 * sum((y - output)**2)``. Implementations 4 and 5 descend that same loss, so with SGD and the
same initial weights all four correct versions follow the same path. The loss *reported* (curves,
``final_loss``) is the mean squared error of the outputs, ``mean((y - output)**2)``.

Training is a generator of :class:`ToyEvent` so a page can draw while it trains.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from pytorch_explorer.core.errors import ExplorerError

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
            raise ToySettingsError(f"epochs must be between 1 and 1,000,000, not {self.epochs}.")
        if not (np.isfinite(self.lr) and 0 < self.lr <= 100):
            raise ToySettingsError(f"the learning rate must be a number above 0 and at most 100, not {self.lr}.")
        if not 1 <= int(self.hidden) <= 1024:
            raise ToySettingsError(f"hidden units must be between 1 and 1024, not {self.hidden}.")
        if not 0 <= int(self.seed) < 2**32:
            raise ToySettingsError(f"the seed must be a whole number from 0 to 2**32 - 1, not {self.seed}.")
        for name, value, allowed in (
            ("init", self.init, INITS),
            ("activation", self.activation, ACTIVATIONS),
            ("optimizer", self.optimizer, OPTIMIZERS),
            ("dtype", self.dtype, DTYPES),
        ):
            if value not in allowed:
                raise ToySettingsError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")

    @property
    def numpy_dtype(self) -> np.dtype:
        return np.dtype(self.dtype)

    @property
    def torch_dtype(self) -> torch.dtype:
        return getattr(torch, self.dtype)


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread for a while (restored after).

    Tiny tensors gain nothing from several threads, and on a busy machine the idle threads' waiting
    can make each small step many times slower. Use it around a chunk of work, never across a yield.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_implementation(impl: str) -> str:
    """Return impl if it names one of the five implementations, else explain the choices."""
    if impl not in IMPLEMENTATIONS:
        raise ToySettingsError(f"unknown implementation {impl!r}: choose one of {', '.join(IMPLEMENTATIONS)}.")
    return impl


# ---------------------------------------------------------------- data and weights
def article_data(dtype: str = "float64") -> tuple[np.ndarray, np.ndarray]:
    """The article's X (3, 4) and y (3, 1) as numpy arrays."""
    return np.array(ARTICLE_X, dtype=dtype), np.array(ARTICLE_Y, dtype=dtype)


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


def _shapes(n_in: int, hidden: int, n_out: int) -> dict[str, tuple[int, int]]:
    return {"wh": (n_in, hidden), "bh": (1, hidden), "wout": (hidden, n_out), "bout": (1, n_out)}


def initial_weights(hidden: int = 3, seed: int = 0, init: str = "uniform", n_in: int = 4, n_out: int = 1) -> ToyWeights:
    """One set of initial weights for every implementation, drawn in the article's order.

    ``np.random.seed(seed)`` then ``np.random.uniform(size=...)`` (the numpy code's [0, 1)) or
    ``np.random.standard_normal(...)`` (the distribution of the torch code's ``torch.randn``).
    """
    if init not in INITS:
        raise ToySettingsError(f"init must be one of {', '.join(INITS)}, not {init!r}.")
    state = np.random.RandomState(seed)
    draw = state.uniform if init == "uniform" else (lambda size: state.standard_normal(size))
    return ToyWeights(**{name: draw(size=shape) for name, shape in _shapes(n_in, hidden, n_out).items()})


def own_initial_weights(impl: str, settings: ToySettings, n_in: int = 4, n_out: int = 1) -> ToyWeights:
    """The weights an implementation draws by itself when they are not shared.

    numpy: ``np.random.seed(seed)`` + ``np.random.uniform`` / ``np.random.standard_normal``; the hand-written
    torch versions and autograd: ``torch.manual_seed(seed)`` + ``torch.rand`` / ``torch.randn``;
    nn: ``torch.manual_seed(seed)`` + the default initialisation of ``nn.Linear``.
    """
    check_implementation(impl)
    if impl == "numpy":
        return initial_weights(settings.hidden, settings.seed, settings.init, n_in, n_out)
    torch.manual_seed(settings.seed)
    if impl == "nn":
        model = build_toy_mlp(settings.hidden, settings.activation, n_in, n_out)
        return weights_from_model(model)
    draw = torch.rand if settings.init == "uniform" else torch.randn
    shapes = _shapes(n_in, settings.hidden, n_out)
    return ToyWeights.from_arrays({name: draw(*shape, dtype=settings.torch_dtype) for name, shape in shapes.items()})


def starting_weights(impl: str, settings: ToySettings) -> ToyWeights:
    """Shared weights when settings.same_init, else the implementation's own."""
    if settings.same_init:
        return initial_weights(settings.hidden, settings.seed, settings.init)
    return own_initial_weights(impl, settings)


# ---------------------------------------------------------------- activations by hand
# Each hidden activation with its derivative written in terms of its *output* a, as the
# article's derivatives_sigmoid(x) = x * (1 - x) is.
def numpy_activation(name: str) -> tuple[Callable, Callable]:
    if name == "sigmoid":
        return (lambda x: 1 / (1 + np.exp(-x))), (lambda a: a * (1 - a))
    if name == "tanh":
        return np.tanh, (lambda a: 1 - a**2)
    return (lambda x: np.maximum(x, 0)), (lambda a: (a > 0).astype(a.dtype))


def torch_activation(name: str) -> tuple[Callable, Callable]:
    if name == "sigmoid":
        return (lambda x: 1 / (1 + torch.exp(-x))), (lambda a: a * (1 - a))
    if name == "tanh":
        return torch.tanh, (lambda a: 1 - a**2)
    return (lambda x: torch.clamp(x, min=0)), (lambda a: (a > 0).to(a.dtype))


def numpy_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def torch_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-x))


def derivatives_sigmoid(x: Any) -> Any:
    return x * (1 - x)


# ---------------------------------------------------------------- 1-3: hand-written backprop
# Each returns (output, updates): the forward pass's output and the amounts the article adds,
# times lr, to each parameter. An update is minus the gradient of 0.5 * sum((y - output)**2).
def numpy_backprop(X: np.ndarray, y: np.ndarray, p: dict[str, np.ndarray],
                   activation: str = "sigmoid") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Implementation 1, the article's numpy code."""
    act, derivative = numpy_activation(activation)
    # Forward propagation
    hidden_layer_input1 = np.dot(X, p["wh"])
    hidden_layer_input = hidden_layer_input1 + p["bh"]
    hiddenlayer_activations = act(hidden_layer_input)
    output_layer_input1 = np.dot(hiddenlayer_activations, p["wout"])
    output_layer_input = output_layer_input1 + p["bout"]
    output = numpy_sigmoid(output_layer_input)
    # Backpropagation
    E = y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivative(hiddenlayer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = d_output.dot(p["wout"].T)
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    updates = {
        "wout": hiddenlayer_activations.T.dot(d_output),
        "bout": np.sum(d_output, axis=0, keepdims=True),
        "wh": X.T.dot(d_hiddenlayer),
        "bh": np.sum(d_hiddenlayer, axis=0, keepdims=True),
    }
    return output, updates


def torch_article_backprop(X: torch.Tensor, y: torch.Tensor, p: dict[str, torch.Tensor],
                           activation: str = "sigmoid") -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Implementation 2, the article's PyTorch code with its two defects."""
    act, derivative = torch_activation(activation)
    hidden_layer_input1 = torch.mm(X, p["wh"])
    hidden_layer_input = hidden_layer_input1 + p["bh"]
    hidden_layer_activations = act(hidden_layer_input)
    output_layer_input1 = torch.mm(hidden_layer_activations, p["wout"])
    output_layer_input = output_layer_input1 + p["bout"]  # noqa: F841 - computed, then not used (defect 1)
    output = torch_sigmoid(output_layer_input1)  # DEFECT 1: output_layer_input1, so bout is skipped
    E = y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivative(hidden_layer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = torch.mm(d_output, p["wout"].t())
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    updates = {
        "wout": torch.mm(hidden_layer_activations.t(), d_output),
        "bout": d_output.sum(),  # DEFECT 2a: a scalar over all axes (and bout is never used)
        "wh": torch.mm(X.t(), d_hiddenlayer),
        "bh": d_output.sum(),  # DEFECT 2b: the output's error, one scalar added to every hidden bias
    }
    return output, updates


def torch_fixed_backprop(X: torch.Tensor, y: torch.Tensor, p: dict[str, torch.Tensor],
                         activation: str = "sigmoid") -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Implementation 3, the article's PyTorch code corrected: numpy's line-for-line twin."""
    act, derivative = torch_activation(activation)
    hidden_layer_input1 = torch.mm(X, p["wh"])
    hidden_layer_input = hidden_layer_input1 + p["bh"]
    hidden_layer_activations = act(hidden_layer_input)
    output_layer_input1 = torch.mm(hidden_layer_activations, p["wout"])
    output_layer_input = output_layer_input1 + p["bout"]
    output = torch_sigmoid(output_layer_input)
    E = y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivative(hidden_layer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = torch.mm(d_output, p["wout"].t())
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    updates = {
        "wout": torch.mm(hidden_layer_activations.t(), d_output),
        "bout": d_output.sum(dim=0, keepdim=True),
        "wh": torch.mm(X.t(), d_hiddenlayer),
        "bh": d_hiddenlayer.sum(dim=0, keepdim=True),
    }
    return output, updates


BACKPROP = {"numpy": numpy_backprop, "torch-article": torch_article_backprop, "torch-fixed": torch_fixed_backprop}


# ---------------------------------------------------------------- 4 and 5: autograd and nn
TORCH_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
}
NN_ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def half_sse(y: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """0.5 * sum((y - output)**2): the loss the article's hand-written updates descend."""
    return 0.5 * ((y - output) ** 2).sum()


def autograd_forward(X: torch.Tensor, p: dict[str, torch.Tensor], activation: str = "sigmoid",
                     output_bias: bool = True) -> torch.Tensor:
    """The network's forward pass with torch operations autograd can record."""
    hidden = TORCH_ACTIVATIONS[activation](X @ p["wh"] + p["bh"])
    logits = hidden @ p["wout"]
    if output_bias:
        logits = logits + p["bout"]
    return torch.sigmoid(logits)


def build_toy_mlp(hidden: int = 3, activation: str = "sigmoid", n_in: int = 4, n_out: int = 1) -> nn.Sequential:
    """Implementation 5's model: Linear -> activation -> Linear -> Sigmoid."""
    return nn.Sequential(nn.Linear(n_in, hidden), NN_ACTIVATIONS[activation](), nn.Linear(hidden, n_out), nn.Sigmoid())


@torch.no_grad()
def load_weights(model: nn.Sequential, weights: ToyWeights) -> nn.Sequential:
    """Copy wh, bh, wout, bout into the Linear layers (nn.Linear keeps weights as (out, in))."""
    model[0].weight.copy_(torch.from_numpy(weights.wh.T))
    model[0].bias.copy_(torch.from_numpy(weights.bh[0]))
    model[2].weight.copy_(torch.from_numpy(weights.wout.T))
    model[2].bias.copy_(torch.from_numpy(weights.bout[0]))
    return model


def weights_from_model(model: nn.Sequential) -> ToyWeights:
    return ToyWeights.from_arrays({
        "wh": model[0].weight.detach().T, "bh": model[0].bias.detach()[None, :],
        "wout": model[2].weight.detach().T, "bout": model[2].bias.detach()[None, :],
    })


def make_optimizer(name: str, parameters, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr)
    return torch.optim.SGD(parameters, lr=lr)


# ---------------------------------------------------------------- training as a generator
@dataclass
class ToyEvent:
    """Progress of one implementation: emitted every `every` epochs and at the end."""

    impl: str
    epoch: int  # epochs done
    loss: float  # mean squared error of the last forward pass
    losses: list[float]  # the per-epoch losses since the previous event
    predictions: np.ndarray  # (n, 1) output of the last forward pass, float64
    weights: ToyWeights  # the parameters after `epoch` updates
    done: bool = False


@dataclass
class ToyResult:
    """A finished (or stopped) run, gathered from its events."""

    impl: str
    settings: ToySettings
    initial: ToyWeights
    losses: list[float] = field(default_factory=list)
    predictions: np.ndarray | None = None
    final: ToyWeights | None = None

    @property
    def epochs(self) -> int:
        return len(self.losses)

    @property
    def final_loss(self) -> float:
        return self.losses[-1] if self.losses else float("nan")

    def add(self, event: ToyEvent) -> None:
        self.losses.extend(event.losses)
        self.predictions = event.predictions
        self.final = event.weights


def _mse(y: np.ndarray, output: np.ndarray) -> float:
    return float(np.mean((np.asarray(y, dtype=np.float64) - output) ** 2))


def _epochs(impl: str, X: np.ndarray, y: np.ndarray, weights: ToyWeights, s: ToySettings):
    """An endless generator: one epoch per next(), giving (output as float64 numpy, params getter)."""
    if impl == "numpy":
        p = weights.as_numpy(s.dtype)
        Xn, yn = X.astype(s.dtype), y.astype(s.dtype)
        while True:
            output, updates = numpy_backprop(Xn, yn, p, s.activation)
            for name in PARAMETERS:
                p[name] += updates[name] * s.lr
            yield np.asarray(output, dtype=np.float64), (lambda: ToyWeights.from_arrays(p))
    Xt, yt = torch.tensor(X, dtype=s.torch_dtype), torch.tensor(y, dtype=s.torch_dtype)
    if impl in BACKPROP:
        p = weights.as_torch(s.dtype)
        backprop = BACKPROP[impl]
        while True:
            output, updates = backprop(Xt, yt, p, s.activation)
            for name in PARAMETERS:
                p[name] += updates[name] * s.lr
            yield output.double().numpy(), (lambda: ToyWeights.from_arrays(p))
    if impl == "autograd":
        p = {name: t.requires_grad_() for name, t in weights.as_torch(s.dtype).items()}
        while True:
            output = autograd_forward(Xt, p, s.activation)
            loss = half_sse(yt, output)
            loss.backward()
            with torch.no_grad():
                for t in p.values():
                    t -= s.lr * t.grad
                    t.grad.zero_()
            yield output.detach().double().numpy(), (lambda: ToyWeights.from_arrays(p))
    if impl == "nn":
        model = load_weights(build_toy_mlp(s.hidden, s.activation).double(), weights).to(s.torch_dtype)
        optimizer = make_optimizer(s.optimizer, model.parameters(), s.lr)
        loss_fn = nn.MSELoss(reduction="sum")
        while True:
            optimizer.zero_grad()
            output = model(Xt)
            loss = 0.5 * loss_fn(output, yt)
            loss.backward()
            optimizer.step()
            yield output.detach().double().numpy(), (lambda: weights_from_model(model))


def train(impl: str, settings: ToySettings = ToySettings(), weights: ToyWeights | None = None,
          every: int = 250, X: np.ndarray | None = None, y: np.ndarray | None = None) -> Iterator[ToyEvent]:
    """Train one implementation from `weights` (default: starting_weights), yielding progress.

    Each epoch is the article's: a forward pass, then the update. Epoch e's loss is the MSE of
    the outputs of its forward pass (so the first loss is that of the initial weights).
    """
    check_implementation(impl)
    if every < 1:
        raise ToySettingsError(f"every must be at least 1 epoch, not {every}.")
    if X is None or y is None:
        X, y = article_data()
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    weights = weights if weights is not None else starting_weights(impl, settings)
    if weights.wh.shape != (X.shape[1], settings.hidden):
        raise ToySettingsError(f"the weights wh have shape {weights.wh.shape}, but the settings ask for "
                               f"{X.shape[1]} inputs and {settings.hidden} hidden units.")
    steps = _epochs(impl, X, y, weights, settings)
    epoch = 0
    while epoch < settings.epochs:
        chunk: list[float] = []
        with one_thread():
            for _ in range(min(every - epoch % every, settings.epochs - epoch)):
                output, params = next(steps)
                chunk.append(_mse(y, output))
                epoch += 1
            weights_now = params()
        yield ToyEvent(impl, epoch, chunk[-1], chunk, output, weights_now, epoch == settings.epochs)
    steps.close()


def train_to_end(impl: str, settings: ToySettings = ToySettings(), weights: ToyWeights | None = None) -> ToyResult:
    """Run train() to the end and gather the result."""
    weights = weights if weights is not None else starting_weights(impl, settings)
    result = ToyResult(impl, settings, weights)
    for event in train(impl, settings, weights, every=max(1, settings.epochs)):
        result.add(event)
    return result


def train_side_by_side(impls: list[str] | tuple[str, ...], settings: ToySettings = ToySettings(),
                       every: int = 250, weights: dict[str, ToyWeights] | None = None) -> Iterator[ToyEvent]:
    """Train several implementations in step: their events come round-robin, `every` epochs each.

    weights: impl -> its initial weights; by default starting_weights (with settings.same_init,
    every implementation starts from a copy of the same weights).
    """
    weights = weights or {}
    runs = [train(impl, settings, weights.get(impl) or starting_weights(impl, settings), every) for impl in impls]
    while runs:
        for run in list(runs):
            event = next(run, None)
            if event is None:
                runs.remove(run)
            else:
                yield event


# ---------------------------------------------------------------- the article's defects, measured
ARTICLE_DEFECTS = [
    {
        "line": "output = sigmoid(output_layer_input1)",
        "defect": "The output uses output_layer_input1, the input *before* bout is added.",
        "effect": "The output bias is never used: the network it trains has no output bias, and "
                  "bout is updated every epoch but changes nothing, so it just drifts.",
    },
    {
        "line": "bout += d_output.sum() *lr",
        "defect": "Sums d_output over all axes into one scalar (numpy sums axis 0, keepdims).",
        "effect": "With one output unit the value is the same as numpy's; but bout is unused (above).",
    },
    {
        "line": "bh += d_output.sum() *lr",
        "defect": "Uses the output layer's error d_output instead of d_hiddenlayer.",
        "effect": "Every hidden bias gets the same scalar added each epoch: the output error, not "
                  "its own gradient. The hidden biases all move together, by the wrong amount.",
    },
    {
        "line": "print('predicted :\\n', output)",
        "defect": "The print statements sit inside the training loop.",
        "effect": "5000 prints. Harmless to the maths; the code shown here prints once, after the loop.",
    },
]


def defect_evidence(result: ToyResult) -> dict[str, Any]:
    """What the article's defects did in a finished torch-article run, from its weights."""
    if result.final is None:
        raise ToySettingsError("train the article's version first: there are no final weights yet.")
    bh_change = (result.final.bh - result.initial.bh)[0]
    X, _ = article_data()
    act, _ = numpy_activation(result.settings.activation)
    hidden = act(X @ result.final.wh + result.final.bh)
    return {
        "bout_initial": float(result.initial.bout[0, 0]),
        "bout_final": float(result.final.bout[0, 0]),
        "bh_change": [float(v) for v in bh_change],
        "bh_change_spread": float(bh_change.max() - bh_change.min()),
        # samples for which every hidden unit is switched off: with no output bias, the output
        # is then sigmoid(0) = 0.5 whatever the weights, and nothing can move it
        "stuck_samples": [i for i in range(len(X)) if np.max(np.abs(hidden[i])) < 1e-3],
    }


# ---------------------------------------------------------------- gradient check
@dataclass
class GradientCheck:
    """Hand-written gradients against autograd's, on the same float64 weights.

    Gradients are of 0.5 * sum((y - output)**2), the loss the hand-written updates descend
    (a hand-written gradient is minus its update). `reference` is autograd on the network as
    meant (with bout); `reference_no_bout` on the network the article's torch code computes.
    """

    weights: ToyWeights
    activation: str
    reference: dict[str, np.ndarray]
    reference_no_bout: dict[str, np.ndarray]
    hand: dict[str, dict[str, np.ndarray]]

    def max_abs_diff(self, impl: str, against_no_bout: bool = False) -> dict[str, float]:
        ref = self.reference_no_bout if against_no_bout else self.reference
        return {name: float(np.max(np.abs(self.hand[impl][name] - ref[name]))) for name in PARAMETERS}

    def table(self) -> list[dict[str, Any]]:
        """One row per parameter: max |hand - autograd| for each hand-written version."""
        columns = {
            "1. numpy": self.max_abs_diff("numpy"),
            "3. torch, corrected": self.max_abs_diff("torch-fixed"),
            "2. torch, as the article (vs the network with bout)": self.max_abs_diff("torch-article"),
            "2. torch, as the article (vs the network it computes: no bout)":
                self.max_abs_diff("torch-article", against_no_bout=True),
        }
        return [{"parameter": name, **{col: diffs[name] for col, diffs in columns.items()}} for name in PARAMETERS]


def autograd_gradients(X: np.ndarray, y: np.ndarray, weights: ToyWeights, activation: str = "sigmoid",
                       output_bias: bool = True) -> dict[str, np.ndarray]:
    """Autograd's gradients of 0.5 * sum((y - output)**2) at `weights`, in float64."""
    p = {name: t.requires_grad_() for name, t in weights.as_torch("float64").items()}
    output = autograd_forward(torch.tensor(X, dtype=torch.float64), p, activation, output_bias)
    half_sse(torch.tensor(y, dtype=torch.float64), output).backward()
    # bout gets no gradient (None) when the forward pass does not use it: its gradient is zero.
    return {name: t.grad.numpy().copy() if t.grad is not None else np.zeros(t.shape) for name, t in p.items()}


def hand_gradients(impl: str, X: np.ndarray, y: np.ndarray, weights: ToyWeights,
                   activation: str = "sigmoid") -> dict[str, np.ndarray]:
    """Minus the update of a hand-written implementation (the gradient it believes in), float64."""
    if impl not in BACKPROP:
        raise ToySettingsError(f"{impl!r} has no hand-written gradients: choose one of {', '.join(BACKPROP)}.")
    if impl == "numpy":
        _, updates = numpy_backprop(np.asarray(X, np.float64), np.asarray(y, np.float64), weights.as_numpy(), activation)
    else:
        Xt, yt = torch.tensor(X, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        _, updates = BACKPROP[impl](Xt, yt, weights.as_torch(), activation)
        updates = {name: u.numpy() for name, u in updates.items()}
    shapes = weights.as_dict()
    return {name: -np.broadcast_to(np.asarray(updates[name]), shapes[name].shape).copy() for name in PARAMETERS}


def gradient_check(settings: ToySettings = ToySettings(), weights: ToyWeights | None = None) -> GradientCheck:
    """Compare implementations 1, 2, 3's gradients with autograd's on one set of weights."""
    X, y = article_data()
    if weights is None:
        weights = initial_weights(settings.hidden, settings.seed, settings.init)
    return GradientCheck(
        weights=weights,
        activation=settings.activation,
        reference=autograd_gradients(X, y, weights, settings.activation),
        reference_no_bout=autograd_gradients(X, y, weights, settings.activation, output_bias=False),
        hand={impl: hand_gradients(impl, X, y, weights, settings.activation) for impl in BACKPROP},
    )


def predictions_rows(predictions: dict[str, np.ndarray], X: list | None = None,
                     y: list | None = None) -> list[dict[str, Any]]:
    """One row per sample: its inputs, its target y and each implementation's prediction."""
    X = ARTICLE_X if X is None else X
    y = ARTICLE_Y if y is None else y
    rows = []
    for i, (inputs, target) in enumerate(zip(X, y, strict=True)):
        row: dict[str, Any] = {"X": str(list(inputs)), "y": float(np.ravel(target)[0])}
        for impl, output in predictions.items():
            row[impl] = float(np.ravel(output)[i])
        rows.append(row)
    return rows
