"""scikit-learn baselines on the torch runs' split: what a digit MLP in PyTorch is up against.

The split is the trainer's (the article's): pixels / 255, one row of 784 a digit, the first 70 % of the
rows train and the last 30 % validate (`data.split_index`). Each baseline is one estimator with fixed,
modest settings (seconds on two CPU cores for the 5,000 bundled digits), built from one table, BASELINES,
so the code the page shows (`code.estimator_code`) builds the very same estimator.

    split = split_digits(load_digits("bundled"))
    result = fit_baseline("knn", split)          # val_acc, fit_seconds, predict_seconds, params, predictions
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier

from pytorch_explorer.digits.data import DigitDataset, split_index
from pytorch_explorer.i18n import translate

MAX_SEED = 2**32 - 1  # scikit-learn's random_state is a 32-bit seed


@dataclass(frozen=True)
class BaselineSpec:
    """One baseline: its estimator class, its settings (random_state added when it takes one), and a blurb."""

    title: str
    estimator: type[ClassifierMixin]
    settings: dict[str, Any]
    blurb: str
    seeded: bool = False  # takes random_state=seed

    def kwargs(self, seed: int) -> dict[str, Any]:
        return {**self.settings, "random_state": seed} if self.seeded else dict(self.settings)


BASELINES: dict[str, BaselineSpec] = {
    "logreg": BaselineSpec(
        "Logistic regression", LogisticRegression, {"max_iter": 100, "tol": 1e-3},
        "One linear layer and a softmax: the digit MLP without its hidden layer. lbfgs with an L2 penalty (C=1), "
        "stopped at a tolerance of 1e-3 (a few seconds; the default 1e-4 costs twice the time for 0.3 %)."),
    "knn": BaselineSpec(
        "k-nearest neighbours", KNeighborsClassifier, {"n_neighbors": 3},
        "No training at all: a digit gets the majority label of the 3 training digits nearest in pixel space. "
        "Fitting only stores them; the time goes into predicting."),
    "mlp": BaselineSpec(
        "scikit-learn MLPClassifier", MLPClassifier,
        {"hidden_layer_sizes": (100,), "early_stopping": True, "max_iter": 60},
        "784 -> 100 (ReLU) -> 10 with Adam, as in PyTorch, but stopping when 10 % of the training digits it "
        "holds out stop improving.", seeded=True),
}


def check_baseline(model: str) -> BaselineSpec:
    """The spec of a baseline by its short name, or a ValueError listing the names."""
    if model not in BASELINES:
        raise ValueError(f"Unknown baseline {str(model)[:40]!r}: choose one of {', '.join(BASELINES)}.")
    return BASELINES[model]


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"The seed must be a whole number from 0 to {MAX_SEED}, not {str(seed)[:40]}.")
    return int(seed)


def build_estimator(model: str, seed: int = 0) -> ClassifierMixin:
    """A fresh, unfitted estimator of the baseline `model` ("logreg", "knn", "mlp")."""
    spec = check_baseline(model)
    return spec.estimator(**spec.kwargs(check_seed(seed)))


@dataclass(frozen=True)
class DigitSplit:
    """The digits as scikit-learn reads them: float32 rows of 784 pixels in [0, 1], split as the trainer does."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    val_images: np.ndarray  # uint8 (N_val, 28, 28): the validation digits as pictures
    source: str
    val_fraction: float = 0.3

    @property
    def train_size(self) -> int:
        return len(self.y_train)

    @property
    def val_size(self) -> int:
        return len(self.y_val)


def split_digits(dataset: DigitDataset, val_fraction: float = 0.3) -> DigitSplit:
    """The trainer's split of `dataset`: the first (1 - val_fraction) of the rows train, the rest validate."""
    cut = split_index(len(dataset), val_fraction)
    x = dataset.images.reshape(len(dataset), -1).astype(np.float32) / 255.0
    y = np.asarray(dataset.labels, dtype=np.int64)
    return DigitSplit(x[:cut], y[:cut], x[cut:], y[cut:], dataset.images[cut:], dataset.source, val_fraction)


@dataclass
class BaselineResult:
    """A fitted baseline and how it did on the validation digits."""

    model: str  # the short name: "logreg", "knn", "mlp"
    estimator: ClassifierMixin
    seed: int
    source: str
    train_size: int
    val_size: int
    val_acc: float
    fit_seconds: float
    predict_seconds: float
    predictions: np.ndarray  # (val_size,) predicted labels
    notes: list[str] = field(default_factory=list)  # e.g. "stopped at max_iter before converging"

    @property
    def title(self) -> str:
        return BASELINES[self.model].title

    @property
    def params(self) -> dict[str, Any]:
        """The estimator's parameters (get_params), as plain JSON values."""
        return plain_params(self.estimator.get_params())

    def summary(self) -> dict[str, Any]:
        """The numbers the CLI prints and the run store keeps (JSON-safe)."""
        return {"model": self.model, "estimator": type(self.estimator).__name__, "source": self.source,
                "train_size": self.train_size, "val_size": self.val_size, "val_acc": self.val_acc,
                "fit_seconds": round(self.fit_seconds, 4), "predict_seconds": round(self.predict_seconds, 4),
                "seed": self.seed, "params": self.params, "notes": list(self.notes)}


def plain_params(params: dict[str, Any]) -> dict[str, Any]:
    """get_params() with tuples as lists and anything else unusual as its repr: JSON-safe."""
    def plain(value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return repr(value)

    return {k: plain(v) for k, v in sorted(params.items())}


def convergence_notes(estimator: ClassifierMixin, lang: str = "en") -> list[str]:
    """What a learner should know about how the fit ended (iterations used, an early stop), in `lang` (the
    result keeps them in English; the page words them again in the learner's language)."""
    n_iter = getattr(estimator, "n_iter_", None)
    max_iter = getattr(estimator, "max_iter", None)
    if n_iter is None or max_iter is None:
        return []
    used = int(np.max(n_iter))
    if used >= max_iter:
        return [translate("It stopped at max_iter={max_iter} before converging: more iterations might gain a "
                          "little.", lang).format(max_iter=max_iter)]
    return [translate("Converged after {used} of at most {max_iter} iterations.", lang).format(used=used,
                                                                                            max_iter=max_iter)]


def baseline_words(model: str, lang: str = "en") -> tuple[str, str]:
    """(title, blurb) of a baseline in `lang`: for what the page says about it (its select shows the title in the
    same language, while the URL holds the baseline's name, `knn`)."""
    spec = check_baseline(model)
    return translate(spec.title, lang), translate(spec.blurb, lang)


def fit_baseline(model: str, split: DigitSplit, seed: int = 0) -> BaselineResult:
    """Fit the baseline on split's training digits; time the fit and the validation predictions."""
    estimator = build_estimator(model, seed)
    started = time.perf_counter()
    estimator.fit(split.x_train, split.y_train)
    fitted = time.perf_counter()
    predictions = np.asarray(estimator.predict(split.x_val))
    predicted = time.perf_counter()
    return BaselineResult(model=model, estimator=estimator, seed=int(seed), source=split.source,
                          train_size=split.train_size, val_size=split.val_size,
                          val_acc=float(accuracy_score(split.y_val, predictions)), fit_seconds=fitted - started,
                          predict_seconds=predicted - fitted, predictions=predictions,
                          notes=convergence_notes(estimator))
