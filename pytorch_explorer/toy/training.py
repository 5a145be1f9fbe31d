"""Training the toy network: one epoch loop per implementation, as a generator of progress.

An epoch is the article's: a forward pass, then the update. The hand-written versions
(numpy, torch-article, torch-fixed) add their own updates; autograd gets its gradients from
``loss.backward()``; nn lets ``torch.optim`` step. All but the article's defective version
descend ``0.5 * sum((y - output)**2)``, so with SGD and the same initial weights they follow
one path. The loss *reported* (curves, ``final_loss``) is the mean squared error of the outputs,
``mean((y - output)**2)``.

:func:`train` yields a :class:`ToyEvent` every few epochs so that a page can draw while it
trains; :class:`ToyResult` gathers the events of one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from pytorch_explorer.i18n import translate
from pytorch_explorer.toy.autograd_nn import (
    autograd_forward,
    build_toy_mlp,
    half_sse,
    load_weights,
    make_optimizer,
    sgd_by_hand,
    weights_from_model,
)
from pytorch_explorer.toy.backprop import BACKPROP, apply_updates
from pytorch_explorer.toy.settings import (
    ARTICLE_X,
    ARTICLE_Y,
    ToySettings,
    ToySettingsError,
    ToyWeights,
    article_data,
    check_implementation,
    initial_weights,
    one_thread,
    parameter_shapes,
)

# One epoch: the output of its forward pass (float64 numpy) and a way to read the weights now.
Epochs = Iterator[tuple[np.ndarray, Callable[[], ToyWeights]]]


# ---------------------------------------------------------------- starting weights
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
        return weights_from_model(build_toy_mlp(settings.hidden, settings.activation, n_in, n_out))
    draw = torch.rand if settings.init == "uniform" else torch.randn
    shapes = parameter_shapes(n_in, settings.hidden, n_out)
    return ToyWeights.from_arrays({name: draw(*shape, dtype=settings.torch_dtype) for name, shape in shapes.items()})


def starting_weights(impl: str, settings: ToySettings) -> ToyWeights:
    """Shared weights when settings.same_init, else the implementation's own."""
    if settings.same_init:
        return initial_weights(settings.hidden, settings.seed, settings.init)
    return own_initial_weights(impl, settings)


# ---------------------------------------------------------------- progress and results
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
    loss_epochs: list[int] | None = None  # epoch numbers of `losses` when they are a thinned copy (a stored run)

    @classmethod
    def start(cls, impl: str, settings: ToySettings) -> ToyResult:
        """An empty result for a run from the implementation's starting weights."""
        return cls(impl, settings, starting_weights(impl, settings))

    @property
    def epochs(self) -> int:
        return self.loss_epochs[-1] if self.loss_epochs else len(self.losses)

    @property
    def curve(self) -> tuple[list[int], list[float]]:
        """(epoch numbers from 1, losses): the loss curve as drawn, whole or thinned."""
        return self.loss_epochs or list(range(1, len(self.losses) + 1)), self.losses

    @property
    def final_loss(self) -> float:
        return self.losses[-1] if self.losses else float("nan")

    def add(self, event: ToyEvent) -> None:
        self.losses.extend(event.losses)
        self.predictions = event.predictions
        self.final = event.weights


# ---------------------------------------------------------------- one epoch loop per implementation
def _hand_written_epochs(impl: str, X: np.ndarray, y: np.ndarray, weights: ToyWeights, s: ToySettings) -> Epochs:
    """Implementations 1-3: the article's loop, forward and backward by hand, then the update."""
    if impl == "numpy":
        X, y, p = X.astype(s.dtype), y.astype(s.dtype), weights.as_numpy(s.dtype)
    else:
        X, y, p = _as_torch(X, s), _as_torch(y, s), weights.as_torch(s.dtype)
    backprop = BACKPROP[impl]
    while True:
        output, updates = backprop(X, y, p, s.activation)
        apply_updates(p, updates, s.lr)
        yield np.asarray(output, dtype=np.float64), (lambda: ToyWeights.from_arrays(p))  # a numpy copy of either


def _autograd_epochs(X: np.ndarray, y: np.ndarray, weights: ToyWeights, s: ToySettings) -> Epochs:
    """Implementation 4: the forward pass by hand, the gradients from loss.backward()."""
    X, y = _as_torch(X, s), _as_torch(y, s)
    p = {name: t.requires_grad_() for name, t in weights.as_torch(s.dtype).items()}
    while True:
        output = autograd_forward(X, p, s.activation)
        loss = half_sse(y, output)
        loss.backward()
        sgd_by_hand(p.values(), s.lr)
        yield output.detach().double().numpy(), (lambda: ToyWeights.from_arrays(p))


def _nn_epochs(X: np.ndarray, y: np.ndarray, weights: ToyWeights, s: ToySettings) -> Epochs:
    """Implementation 5: nn.Sequential and torch.optim, the canonical five lines."""
    X, y = _as_torch(X, s), _as_torch(y, s)
    model = load_weights(build_toy_mlp(s.hidden, s.activation).double(), weights).to(s.torch_dtype)
    optimizer = make_optimizer(s.optimizer, model.parameters(), s.lr)
    loss_fn = nn.MSELoss(reduction="sum")
    while True:
        optimizer.zero_grad()
        output = model(X)
        loss = 0.5 * loss_fn(output, y)
        loss.backward()
        optimizer.step()
        yield output.detach().double().numpy(), (lambda: weights_from_model(model))


def _as_torch(array: np.ndarray, s: ToySettings) -> torch.Tensor:
    return torch.tensor(array, dtype=s.torch_dtype)


def _epochs(impl: str, X: np.ndarray, y: np.ndarray, weights: ToyWeights, s: ToySettings) -> Epochs:
    """An endless generator: one epoch of `impl` per next()."""
    if impl == "autograd":
        return _autograd_epochs(X, y, weights, s)
    if impl == "nn":
        return _nn_epochs(X, y, weights, s)
    return _hand_written_epochs(impl, X, y, weights, s)


def mse(y: np.ndarray, output: np.ndarray) -> float:
    """The loss reported: mean((y - output)**2), in float64."""
    return float(np.mean((np.asarray(y, dtype=np.float64) - output) ** 2))


# ---------------------------------------------------------------- training as a generator
def train(impl: str, settings: ToySettings = ToySettings(), weights: ToyWeights | None = None,
          every: int = 250, X: np.ndarray | None = None, y: np.ndarray | None = None) -> Iterator[ToyEvent]:
    """Train one implementation from `weights` (default: starting_weights), yielding progress.

    Each epoch is the article's: a forward pass, then the update. Epoch e's loss is the MSE of
    the outputs of its forward pass (so the first loss is that of the initial weights).
    """
    check_implementation(impl)
    if every < 1:
        raise ToySettingsError("every must be at least 1 epoch, not {every}.", every=every)
    if X is None or y is None:
        X, y = article_data()
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    weights = weights if weights is not None else starting_weights(impl, settings)
    if weights.wh.shape != (X.shape[1], settings.hidden):
        raise ToySettingsError("the weights wh have shape {shape}, but the settings ask for {inputs} inputs and "
                               "{hidden} hidden units.", shape=weights.wh.shape, inputs=X.shape[1],
                               hidden=settings.hidden)
    steps = _epochs(impl, X, y, weights, settings)
    epoch = 0
    while epoch < settings.epochs:
        chunk: list[float] = []
        with one_thread():
            for _ in range(min(every - epoch % every, settings.epochs - epoch)):
                output, params = next(steps)
                chunk.append(mse(y, output))
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


def train_side_by_side(impls: Sequence[str], settings: ToySettings = ToySettings(),
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


def side_by_side_results(impls: Sequence[str], settings: ToySettings,
                         every: int | None = None) -> Iterator[dict[str, ToyResult]]:
    """Train side by side and gather each run's ToyResult; yield them all after every round.

    The same dict (impl -> result) is yielded each time, growing: keep it, and a stopped run's
    results so far are in it. every: epochs per round (default: 25 rounds in all).
    """
    every = every or max(1, settings.epochs // 25)
    results = {impl: ToyResult.start(impl, settings) for impl in impls}
    weights = {impl: result.initial for impl, result in results.items()}
    for event in train_side_by_side(impls, settings, every, weights):
        results[event.impl].add(event)
        if event.impl == impls[-1]:
            yield results


# ---------------------------------------------------------------- tables of results
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


def summary_rows(results: dict[str, ToyResult], titles: dict[str, str] | None = None,
                 within: float = 0.1, lang: str = "en") -> list[dict[str, Any]]:
    """One row per finished run: epochs, final loss, worst distance to y and whether it is within `within`
    (the columns and yes/no in `lang`)."""
    titles = titles or {}
    names = [translate("version", lang), translate("epochs", lang), translate("final loss (MSE)", lang),
             translate("max |prediction - y|", lang), translate("within {within} of y", lang).format(within=f"{within:g}")]
    yes, no = translate("yes", lang), translate("no", lang)
    y = np.array(ARTICLE_Y, dtype=float).ravel()
    rows = []
    for impl, result in results.items():
        if result.predictions is None:
            continue
        worst = float(np.max(np.abs(result.predictions.ravel() - y)))
        values = (titles.get(impl, impl), result.epochs, result.final_loss, worst, yes if worst < within else no)
        rows.append(dict(zip(names, values, strict=True)))
    return rows
