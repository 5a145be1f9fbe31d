"""The playground's problems, its train/test split and the input features the network may see.

Points lie in the square [-EXTENT, EXTENT]^2, as in TensorFlow Playground. Classification labels are 0 and 1;
regression targets lie in [-1, 1]. Everything is seeded (no global random state):

    X, y = make_problem("circles", points=500, noise=0.1, seed=0)     # numpy (500, 2) float32, (500,) float32
    (X_train, y_train), (X_test, y_test) = split(X, y, train_ratio=0.5, seed=0)
    inputs = features(torch.from_numpy(X_train), ["x1", "x2", "sin(x1)"])   # (n, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from sklearn.datasets import make_blobs, make_circles, make_moons

from pytorch_explorer.core.errors import ExplorerError

EXTENT = 6.0
CLASSIFICATION = ("circles", "xor", "gauss", "spiral", "moons")
REGRESSION = ("plane", "multi-gauss")
PROBLEMS = CLASSIFICATION + REGRESSION
PROBLEM_TITLES = {"circles": "Circles", "xor": "XOR", "gauss": "Gaussian clusters", "spiral": "Spiral",
                  "moons": "Two moons", "plane": "Regression: plane", "multi-gauss": "Regression: multi-Gaussian"}
FEATURES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: torch.sin(x1),
    "sin(x2)": lambda x1, x2: torch.sin(x2),
}
FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1^2": "x1 * x1", "x2^2": "x2 * x2", "x1*x2": "x1 * x2",
                "sin(x1)": "torch.sin(x1)", "sin(x2)": "torch.sin(x2)"}


class PlaygroundError(ExplorerError, ValueError):
    """A playground setting is out of range; the message says what to choose."""


def is_classification(problem: str) -> bool:
    return problem in CLASSIFICATION


def make_problem(name: str, points: int = 500, noise: float = 0.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X (points, 2) float32 inside the plane and y (points,) float32: 0/1 labels, or targets in [-1, 1].

    noise (0 to 0.5) jitters the points by that fraction of the plane's half-width (sklearn's own noise for
    circles and moons, scaled the same way)."""
    if name not in PROBLEMS:
        raise PlaygroundError("the problem must be one of {choices}, not {name!r}.", choices=", ".join(PROBLEMS),
                              name=name)
    if not 10 <= points <= 5000:
        raise PlaygroundError("the number of points must be between 10 and 5000, not {points}.", points=points)
    if not 0 <= noise <= 0.5:
        raise PlaygroundError("noise must be between 0 and 0.5, not {noise}.", noise=noise)
    rng = np.random.default_rng(seed)
    if name == "circles":  # an outer ring (class 0) around an inner disc (class 1)
        X, y = make_circles(points, noise=noise * 0.8, factor=0.45, random_state=seed)
        X = X * 4.5
    elif name == "moons":
        X, y = make_moons(points, noise=noise * 0.8, random_state=seed)
        X = (X - [0.5, 0.25]) * 3.0
    elif name == "gauss":
        X, y = make_blobs(points, centers=[[2.2, 2.2], [-2.2, -2.2]], cluster_std=0.9 + 2 * noise, random_state=seed)
    elif name == "xor":
        X = rng.uniform(-5, 5, size=(points, 2))
        X += np.sign(X) * 0.3  # a small gap around the axes
        y = (X[:, 0] * X[:, 1] > 0).astype(float)
        X = X + rng.normal(0, noise * EXTENT, size=X.shape)
    elif name == "spiral":
        half = points // 2
        y = np.concatenate([np.zeros(points - half), np.ones(half)])
        t = rng.uniform(0, 1, points)
        angle = 1.75 * 2 * np.pi * t + np.pi * y
        X = np.stack([t * np.sin(angle), t * np.cos(angle)], axis=1) * 5.0
        X = X + rng.normal(0, noise * EXTENT, size=X.shape)
    else:
        X = rng.uniform(-EXTENT, EXTENT, size=(points, 2))
        y = regression_target(name, X)
        X = X + rng.normal(0, noise * EXTENT, size=X.shape)
    X = np.clip(X, -EXTENT, EXTENT)
    order = rng.permutation(points)
    return X[order].astype(np.float32), np.asarray(y)[order].astype(np.float32)


GAUSSIANS = ((-3.0, 2.5, 1.0), (0.0, 2.5, -1.0), (3.0, 2.5, 1.0), (-3.0, -2.5, -1.0), (0.0, -2.5, 1.0),
             (3.0, -2.5, -1.0))  # (centre x1, centre x2, sign) of the multi-Gaussian surface


def regression_target(name: str, X: np.ndarray) -> np.ndarray:
    """The regression surfaces, in [-1, 1]: a tilted plane, or bumps and dips of six Gaussians."""
    if name == "plane":
        return (X[:, 0] + X[:, 1]) / (2 * EXTENT)
    total = np.zeros(len(X))
    for cx, cy, sign in GAUSSIANS:
        total += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / 2.0)
    return np.clip(total, -1, 1)


def split(X: np.ndarray, y: np.ndarray, train_ratio: float = 0.5, seed: int = 0
          ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(X_train, y_train), (X_test, y_test): a seeded shuffle, the first `train_ratio` of it for training."""
    if not 0.05 <= train_ratio <= 0.95:
        raise PlaygroundError("the share of training data must be between 5 % and 95 %, not {ratio:.0%}.",
                              ratio=train_ratio)
    order = np.random.default_rng(seed + 1).permutation(len(X))
    n_train = max(1, min(len(X) - 1, round(len(X) * train_ratio)))
    train, test = order[:n_train], order[n_train:]
    return (X[train], y[train]), (X[test], y[test])


def features(X: torch.Tensor, names: Sequence[str]) -> torch.Tensor:
    """The network's inputs: one column a chosen feature of the points X (n, 2), in the order given."""
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise PlaygroundError("choose at least one input feature among {features} ({unknown} is not one).",
                              features=", ".join(FEATURES), unknown=", ".join(map(repr, unknown)))
    if not names:
        raise PlaygroundError("choose at least one input feature among {features}.", features=", ".join(FEATURES))
    x1, x2 = X[:, 0], X[:, 1]
    return torch.stack([FEATURES[n](x1, x2) for n in names], dim=1)


def grid(resolution: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """xs (r,) across the plane, and the grid's points (r*r, 2), rows along x2 (what a heatmap draws)."""
    xs = np.linspace(-EXTENT, EXTENT, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    return xs, np.stack([gx.ravel(), gy.ravel()], axis=1)
