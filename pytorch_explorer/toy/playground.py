"""Beyond the article: 2-D datasets and a small MLP whose decision boundary you watch while it learns.

Like TensorFlow Playground: XOR, circles, two moons and a spiral (numpy, seeded, with noise), and a
classifier trained full-batch on them, written two ways:

- ``autograd``: weight tensors with ``requires_grad=True``, ``loss.backward()``, a manual SGD update
  (implementation 4 of the toy network);
- ``nn``: ``nn.Sequential`` + ``torch.optim`` (SGD or Adam) (implementation 5).

Both start from the same weights for the same seed (drawn by ``nn.Linear``). The loss is binary
cross-entropy on the logits. :class:`PlaygroundTrainer` keeps the model between calls, so a page
can train in chunks, draw, stop, and go on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.toy.autograd_nn import NN_ACTIVATIONS, TORCH_ACTIVATIONS, make_optimizer, sgd_by_hand
from pytorch_explorer.toy.settings import one_thread

DATASETS = ("xor", "circles", "moons", "spiral")
PLAYGROUND_IMPLS = ("nn", "autograd")
ACTIVATIONS = {name: NN_ACTIVATIONS[name] for name in ("tanh", "relu", "sigmoid")}  # tanh first: the default
OPTIMIZERS = ("adam", "sgd")
EXTENT = 1.6  # the plane shown: [-EXTENT, EXTENT] in both directions


class PlaygroundError(ExplorerError, ValueError):
    """A playground setting is out of range; the message says what to choose."""


@dataclass(frozen=True)
class PlaygroundSettings:
    dataset: str = "xor"
    points: int = 200
    noise: float = 0.1  # standard deviation of the jitter, in the plane's units
    seed: int = 0
    impl: str = "nn"
    layers: int = 2  # hidden layers, 1-3
    units: int = 8
    activation: str = "tanh"
    lr: float = 0.03
    optimizer: str = "adam"  # nn only; autograd's manual update is plain SGD

    def __post_init__(self) -> None:
        for name, value, allowed in (("dataset", self.dataset, DATASETS), ("impl", self.impl, PLAYGROUND_IMPLS),
                                     ("activation", self.activation, tuple(ACTIVATIONS)),
                                     ("optimizer", self.optimizer, OPTIMIZERS)):
            if value not in allowed:
                raise PlaygroundError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")
        if not 10 <= self.points <= 5000:
            raise PlaygroundError(f"the number of points must be between 10 and 5000, not {self.points}.")
        if not 0 <= self.noise <= 1:
            raise PlaygroundError(f"noise must be between 0 and 1, not {self.noise}.")
        if not 1 <= self.layers <= 3:
            raise PlaygroundError(f"hidden layers must be 1, 2 or 3, not {self.layers}.")
        if not 1 <= self.units <= 256:
            raise PlaygroundError(f"units per layer must be between 1 and 256, not {self.units}.")
        if not (np.isfinite(self.lr) and 0 < self.lr <= 10):
            raise PlaygroundError(f"the learning rate must be above 0 and at most 10, not {self.lr}.")


# ---------------------------------------------------------------- datasets
def make_dataset(name: str, points: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (points, 2) float32 in about [-1.2, 1.2]^2 and labels y (points,) of 0 and 1, half each."""
    if name not in DATASETS:
        raise PlaygroundError(f"dataset must be one of {', '.join(DATASETS)}, not {name!r}.")
    rng = np.random.default_rng(seed)
    n1 = points // 2
    n0 = points - n1
    y = np.concatenate([np.zeros(n0), np.ones(n1)]).astype(np.int64)
    if name == "xor":
        X = rng.uniform(-1, 1, size=(points, 2))
        X += np.sign(X) * 0.1  # a small gap around the axes
        y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    elif name == "circles":
        radius = np.concatenate([rng.uniform(0.6, 1.0, n0), rng.uniform(0.0, 0.4, n1)])
        angle = rng.uniform(0, 2 * np.pi, points)
        X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    elif name == "moons":
        t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
        upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
        lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
        X = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 0.8
    else:  # spiral: two arms, each turning 1.75 times
        t = np.concatenate([rng.uniform(0, 1, n0), rng.uniform(0, 1, n1)])
        angle = t * 3.5 * np.pi + np.where(y == 1, np.pi, 0.0)
        X = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1) * 1.1
    X = X + rng.normal(0, noise, size=X.shape)
    order = rng.permutation(points)
    return X[order].astype(np.float32), y[order]


# ---------------------------------------------------------------- the trainer
@dataclass
class PlaygroundEvent:
    step: int  # steps (full-batch updates) done so far
    loss: float  # binary cross-entropy before this step's update
    accuracy: float  # on the training points, before this step's update
    done: bool = False


@dataclass
class PlaygroundTrainer:
    """A model for one PlaygroundSettings, trained a chunk at a time."""

    settings: PlaygroundSettings
    X: np.ndarray = field(init=False)
    y: np.ndarray = field(init=False)
    step: int = 0
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        s = self.settings
        self.X, self.y = make_dataset(s.dataset, s.points, s.noise, s.seed)
        self._X = torch.from_numpy(self.X)
        self._y = torch.from_numpy(self.y.astype(np.float32))[:, None]
        torch.manual_seed(s.seed)
        self.model = build_classifier(s.layers, s.units, s.activation)
        if s.impl == "nn":
            self.params: list[torch.Tensor] = []
            self.optimizer = make_optimizer(s.optimizer, self.model.parameters(), s.lr)
        else:  # the same starting weights as plain tensors, stored (in, out) so that h = x @ W + b
            linears = [m for m in self.model if isinstance(m, nn.Linear)]
            self.params = []
            for linear in linears:
                self.params += [linear.weight.detach().T.clone().requires_grad_(),
                                linear.bias.detach().clone().requires_grad_()]
            self.optimizer = None

    def logits(self, X: torch.Tensor) -> torch.Tensor:
        """The network's output before the sigmoid, (n, 1)."""
        if self.settings.impl == "nn":
            return self.model(X)
        act = TORCH_ACTIVATIONS[self.settings.activation]
        h = X
        weights = self.params
        for i in range(0, len(weights) - 2, 2):
            h = act(h @ weights[i] + weights[i + 1])
        return h @ weights[-2] + weights[-1]

    def train(self, steps: int = 500, every: int = 50) -> Iterator[PlaygroundEvent]:
        """Take `steps` full-batch steps, yielding an event every `every` steps and at the end."""
        if steps < 1 or every < 1:
            raise PlaygroundError("steps and 'draw every' must be at least 1.")
        done = 0
        while done < steps:
            chunk = min(every - done % every, steps - done)
            with one_thread():
                for _ in range(chunk):
                    self._step()
            done += chunk
            yield PlaygroundEvent(self.step, self.losses[-1], self.accuracies[-1], done=done == steps)

    def _step(self) -> None:
        """One full-batch step: forward, loss, backward, update."""
        logits = self.logits(self._X)
        loss = F.binary_cross_entropy_with_logits(logits, self._y)
        if self.optimizer is not None:
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        else:
            loss.backward()
            sgd_by_hand(self.params, self.settings.lr)
        self.step += 1
        self.losses.append(float(loss.detach()))
        self.accuracies.append(float(((logits.detach() > 0).float() == self._y).float().mean()))

    @torch.no_grad()
    def predict_proba(self, points: np.ndarray) -> np.ndarray:
        """P(class 1) for points (n, 2)."""
        return torch.sigmoid(self.logits(torch.as_tensor(points, dtype=torch.float32)))[:, 0].numpy()

    def probability_grid(self, resolution: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """xs (r,), ys (r,) and P(class 1) on the grid (r, r), rows along y: what a heatmap draws."""
        xs = np.linspace(-EXTENT, EXTENT, resolution, dtype=np.float32)
        gx, gy = np.meshgrid(xs, xs)
        with one_thread():
            probs = self.predict_proba(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(resolution, resolution)
        return xs, xs.copy(), probs

    @property
    def accuracy(self) -> float:
        """Accuracy on the training points with the current weights."""
        return float(((self.predict_proba(self.X) > 0.5) == (self.y == 1)).mean())


# ---------------------------------------------------------------- what the numbers say
HINT_MIN_STEPS = 100   # before this, a run is too young to judge


def status_line(trainer: PlaygroundTrainer) -> str:
    """The metrics line above the plots: step, loss and accuracy, or that nothing has been trained yet."""
    if not trainer.losses:
        return (f"**not trained yet** · training accuracy {trainer.accuracy:.1%} with the starting weights "
                "· press **Train**")
    return f"**step {trainer.step}** · loss {trainer.losses[-1]:.4f} · training accuracy {trainer.accuracy:.1%}"


def training_hint(losses: list[float], lr: float, optimizer: str = "adam") -> str:
    """A hint when the loss says the learning rate is wrong; '' when it looks healthy (or it is too early).

    `optimizer` is the one that ran ("sgd" for version 4's update by hand); it picks the rates suggested.

    - diverged: the loss is inf or nan;
    - too high: after HINT_MIN_STEPS steps the recent loss is no lower than at the start and has come back up from
      its best, or it has lost a third of the way it had come down (each step jumps past the minimum);
    - stalled: the recent loss is still within 10 % of where it started: too low when it fell at 90 % of the
      recent steps (slowly, steadily), too high when it jumps about.
    The recent loss is the mean of the last tenth of the steps (at least 10).
    """
    suggestion = "0.03 or 0.01" if optimizer == "adam" else "0.3 or 0.1"
    if losses and not np.isfinite(losses[-1]):
        return (f"The loss is {losses[-1]}: training diverged. The learning rate ({lr:g}) is far too high: every "
                f"step overshoots and the weights blow up. Try {suggestion}.")
    if len(losses) < HINT_MIN_STEPS:
        return ""
    start, best = losses[0], min(losses)
    recent = float(np.mean(losses[-max(10, len(losses) // 10):]))
    came_back = recent >= 0.98 * start and recent - best > 0.02 * start
    lost_ground = best < 0.9 * start and recent > best + (start - best) / 3
    if came_back or lost_ground:
        return (f"The learning rate ({lr:g}) looks too high: the loss got down to {best:.3f} but is back at "
                f"{recent:.3f} (it started at {start:.3f}). Each step jumps past the minimum instead of settling "
                f"into it. Try {suggestion}.")
    if recent >= 0.9 * start:
        window = np.diff(losses[-max(10, len(losses) // 10):])
        if np.mean(window < 0) >= 0.9:   # falling at every step, only slowly
            return (f"The loss has hardly moved in {len(losses)} steps ({start:.3f} → {recent:.3f}), falling slowly "
                    f"but steadily: the learning rate ({lr:g}) is probably too low. "
                    + (f"Try {min(10 * lr, 3):g}, or train longer." if lr < 3 else "Train longer."))
        return (f"The loss has hardly moved in {len(losses)} steps ({start:.3f} → {recent:.3f}) and jumps about "
                f"instead of falling: the learning rate ({lr:g}) is probably too high. Try {suggestion}.")
    return ""


def trainer_for(settings: PlaygroundSettings, current: PlaygroundTrainer | None = None) -> PlaygroundTrainer:
    """`current` if it was made for these settings (training goes on from there), else a fresh trainer."""
    if current is not None and current.settings == settings:
        return current
    return PlaygroundTrainer(settings)


def build_classifier(layers: int = 2, units: int = 8, activation: str = "tanh") -> nn.Sequential:
    """2 -> units (activation) [x layers] -> 1 logit."""
    modules: list[nn.Module] = []
    width = 2
    for _ in range(layers):
        modules += [nn.Linear(width, units), ACTIVATIONS[activation]()]
        width = units
    modules.append(nn.Linear(width, 1))
    return nn.Sequential(*modules)


def playground_code(s: PlaygroundSettings, steps: int = 500) -> str:
    """The PyTorch code the playground runs for these settings (the data come from make_dataset)."""
    act_module = ACTIVATIONS[s.activation].__name__
    hidden = "\n".join(
        f"    torch.nn.Linear({2 if i == 0 else s.units}, {s.units}), torch.nn.{act_module}()," for i in range(s.layers)
    )
    head = (
        "import torch\n"
        "import torch.nn.functional as F\n"
        "from pytorch_explorer.toy.playground import make_dataset\n\n"
        f"X, y = make_dataset({s.dataset!r}, points={s.points}, noise={s.noise}, seed={s.seed})\n"
        "X, y = torch.from_numpy(X), torch.from_numpy(y).float()[:, None]\n"
        f"torch.manual_seed({s.seed})\n"
        "model = torch.nn.Sequential(\n"
        f"{hidden}\n"
        f"    torch.nn.Linear({s.units}, 1),  # one logit: P(class 1) = sigmoid(logit)\n"
        ")\n"
    )
    if s.impl == "nn":
        optimizer = "Adam" if s.optimizer == "adam" else "SGD"
        return head + (
            f"optimizer = torch.optim.{optimizer}(model.parameters(), lr={s.lr})\n"
            f"for step in range({steps}):\n"
            "    optimizer.zero_grad()\n"
            "    loss = F.binary_cross_entropy_with_logits(model(X), y)\n"
            "    loss.backward()\n"
            "    optimizer.step()\n"
        )
    act = f"torch.{s.activation}"  # torch.tanh, torch.relu, torch.sigmoid
    return head + (
        "# the same starting weights as plain tensors that autograd tracks, (in, out)\n"
        "params = []\n"
        "for layer in model[::2]:\n"
        "    params += [layer.weight.detach().T.clone().requires_grad_(), layer.bias.detach().clone().requires_grad_()]\n\n"
        "def logits(x):\n"
        "    for W, b in zip(params[:-2:2], params[1:-2:2]):\n"
        f"        x = {act}(x @ W + b)\n"
        "    return x @ params[-2] + params[-1]\n\n"
        f"for step in range({steps}):\n"
        "    loss = F.binary_cross_entropy_with_logits(logits(X), y)\n"
        "    loss.backward()\n"
        "    with torch.no_grad():\n"
        "        for p in params:\n"
        f"            p -= {s.lr} * p.grad\n"
        "            p.grad.zero_()\n"
    )
