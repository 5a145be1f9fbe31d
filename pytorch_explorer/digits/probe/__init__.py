"""Why a digit model says what it says: probabilities, saliency, hidden units, weights, mistakes.

Everything takes a `TrainedModel` (models.py) and MNIST-style uint8 28x28 images, and returns
numpy arrays for the pictures and figures in `figures` (beside this module):

- `predict`: the 10 probabilities for one image;
- `saliency`: the gradient of one class's logit with respect to the input pixels, and input x
  gradient (which pixels, lit as they are, pushed the score up or down);
- `hidden_activations`: each dense hidden layer's output for one image; `unit_contributions`: how
  much each unit of the last hidden layer adds to a class's logit (activation x outgoing weight);
- `first_layer_weights`: each first-layer unit's 784 incoming weights as a 28x28 picture (what
  the unit looks for; MLPs only);
- `conv` (beside this module): what works for any architecture, the MLP or a CNN: the conv layers'
  feature maps and filters (forward hooks), the dense hidden layers, a one-line layer summary;
- `validation_report`: the model's predictions on its own validation split (the article's split:
  the first 70 % of the rows train, the rest validate), with the confusion matrix, per-class
  accuracy and the most confident mistakes; `report_with_fallback` uses other digits when the
  model's own cannot be loaded; `PerModelCache` keeps such results once per model object;
- `describe` and `probe_code`: the words and the code the probe page shows (the words in the language
  `lang` asks for, "en" or "zh"; the code in English, as code is).

Gradients are taken with `torch.autograd.grad` with respect to the input only, so probing never
writes into the model's parameter `.grad` fields (a model still being trained is left alone).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from pytorch_explorer.core.text import as_code
from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.data import DigitDataset, load_digits, split_index
from pytorch_explorer.digits.models import TrainedModel, mlp_code, pixels_to_inputs
from pytorch_explorer.digits.probe import conv
from pytorch_explorer.i18n import translate

CLASSES = tuple(range(10))


def _device(trained: TrainedModel) -> torch.device:
    return conv.model_device(trained.model)


def _as_batch(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (28, 28) or (N, 28, 28) -> float (N, 784) in [0, 1] on the device."""
    x = np.asarray(images)
    if x.shape[-2:] != (28, 28):
        raise ValueError(f"expected 28x28 images, got shape {x.shape}")
    return pixels_to_inputs(torch.from_numpy(np.ascontiguousarray(x)).to(device))


# ----------------------------------------------------------------------------- prediction
def predict(trained: TrainedModel, image: np.ndarray) -> np.ndarray:
    """Probabilities (10,) for one uint8 28x28 image."""
    return predict_many(trained, np.asarray(image)[None])[0]


def predict_many(trained: TrainedModel, images: np.ndarray, batch: int = 4096) -> np.ndarray:
    """Probabilities (N, 10) for uint8 (N, 28, 28) images, in batches."""
    images = np.asarray(images)
    out = [trained.predict_proba(torch.from_numpy(np.ascontiguousarray(images[i:i + batch]))).numpy()
           for i in range(0, len(images), batch)]
    return np.concatenate(out) if out else np.zeros((0, 10), dtype=np.float32)


# ----------------------------------------------------------------------------- saliency
@dataclass
class Saliency:
    """d logit[target] / d pixel, for one image."""

    target: int  # the class whose logit was differentiated
    gradient: np.ndarray  # float (28, 28): how much each pixel's brightness raises the logit
    input_x_gradient: np.ndarray  # float (28, 28): gradient x pixel value (only lit pixels count)
    logits: np.ndarray  # float (10,)


def saliency(trained: TrainedModel, image: np.ndarray, target: int | None = None) -> Saliency:
    """The gradient of the target class's logit (default: the top guess) with respect to the pixels."""
    model = trained.model
    was_training = model.training
    model.eval()
    x = _as_batch(image, _device(trained)).requires_grad_(True)
    try:
        with torch.enable_grad():
            logits = model(x)[0]
            chosen = int(logits.argmax()) if target is None else int(target)
            if chosen not in CLASSES:
                raise ValueError(f"the class must be a digit 0-9, not {target}")
            (gradient,) = torch.autograd.grad(logits[chosen], x)
    finally:
        model.train(was_training)
    g = gradient.detach().cpu().numpy().reshape(28, 28)
    pixels = x.detach().cpu().numpy().reshape(28, 28)
    return Saliency(chosen, g, g * pixels, logits.detach().cpu().numpy())


# ----------------------------------------------------------------------------- hidden units
def hidden_activations(trained: TrainedModel, image: np.ndarray) -> list[np.ndarray]:
    """Each dense hidden layer's activations for one image: a list of (units,) arrays.

    For the MLP, its hidden layers; for a CNN, its fully connected hidden layers (conv.dense_hidden_layers:
    what each Linear after the first reads). Empty for a model with a single Linear layer.
    """
    return conv.dense_hidden_layers(trained.model, image)


def unit_contributions(trained: TrainedModel, last_hidden: np.ndarray, target: int) -> np.ndarray | None:
    """activation x weight from each unit of the last hidden layer into the target's logit (hidden,).

    Their sum plus the output bias is the logit: these are the votes the units cast for the class.
    None when the model's output layer does not read that layer (no Linear with 10 outputs of that width).
    """
    out_layer = conv.output_layer(trained.model)
    last_hidden = np.asarray(last_hidden)
    if out_layer is None or out_layer.in_features != last_hidden.shape[-1]:
        return None
    weights = out_layer.weight.detach().cpu().numpy()[int(target)]
    return last_hidden * weights


def strongest_units(activations: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest activations, strongest first (ties broken by index)."""
    a = np.asarray(activations)
    k = max(0, min(int(k), len(a)))
    order = np.lexsort((np.arange(len(a)), -a))
    return order[:k]


def first_layer_weights(trained: TrainedModel) -> np.ndarray:
    """The first Linear layer's weights as (hidden, 28, 28): what each first-layer unit looks for.

    Only for a model whose first layer is Linear(784, k) (conv.pixel_weights_apply); for a CNN the
    first layer's weights are its filters (conv.first_conv_filters), and this raises a ValueError.
    """
    if not conv.pixel_weights_apply(trained.model):
        raise ValueError("this model's first layer is not a Linear layer over the 784 pixels (a CNN starts with "
                         "convolution filters): its weights are not 28x28 pictures")
    weight = conv.linear_layers(trained.model)[0].weight.detach().cpu().numpy()
    return weight.reshape(len(weight), 28, 28)


# ----------------------------------------------------------------------------- validation analysis
@dataclass
class ValidationReport:
    """A model's predictions on its validation split."""

    images: np.ndarray  # uint8 (N, 28, 28)
    labels: np.ndarray  # int64 (N,)
    probabilities: np.ndarray  # float (N, 10)
    source: str
    first_row: int  # index of the first validation row in the dataset

    @property
    def predicted(self) -> np.ndarray:
        return self.probabilities.argmax(axis=1)

    @property
    def accuracy(self) -> float:
        return float((self.predicted == self.labels).mean()) if len(self.labels) else float("nan")

    @property
    def confusion(self) -> np.ndarray:
        """(10, 10) counts: row = true class, column = predicted class."""
        matrix = np.zeros((10, 10), dtype=np.int64)
        np.add.at(matrix, (self.labels, self.predicted), 1)
        return matrix

    @property
    def per_class_accuracy(self) -> np.ndarray:
        """(10,) recall of each class (NaN where a class has no validation digits)."""
        matrix = self.confusion
        totals = matrix.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, np.diag(matrix) / np.maximum(totals, 1), np.nan)

    def cell(self, true: int, predicted: int) -> np.ndarray:
        """Indices of the digits of class `true` that the model called `predicted`, most confident first."""
        idx = np.nonzero((self.labels == true) & (self.predicted == predicted))[0]
        return idx[np.argsort(-self.probabilities[idx, predicted], kind="stable")]

    def mistakes(self, k: int | None = None) -> np.ndarray:
        """Indices of misclassified digits, the most confidently wrong first."""
        wrong = np.nonzero(self.predicted != self.labels)[0]
        confidence = self.probabilities[wrong, self.predicted[wrong]]
        ordered = wrong[np.argsort(-confidence, kind="stable")]
        return ordered if k is None else ordered[:k]

    def next_mistake(self, after: int | None = None) -> int | None:
        """The first misclassified index after `after` (in dataset order, wrapping round); None if none."""
        wrong = np.nonzero(self.predicted != self.labels)[0]
        if len(wrong) == 0:
            return None
        if after is None:
            return int(wrong[0])
        later = wrong[wrong > after]
        return int(later[0] if len(later) else wrong[0])

    def of_class(self, digit: int) -> np.ndarray:
        """Indices of the digits labelled `digit`, in dataset order."""
        return np.nonzero(self.labels == digit)[0]

    def most_common_mistake(self) -> tuple[int, int]:
        """(true, predicted) of the largest off-diagonal cell of the confusion matrix."""
        off = self.confusion.copy()
        np.fill_diagonal(off, -1)
        true, predicted = np.unravel_index(off.argmax(), off.shape)
        return int(true), int(predicted)

    def random_pick(self, digit: int | None = None, rng: np.random.Generator | None = None) -> int | None:
        """A random index (of class `digit` if given); None when there is none."""
        candidates = np.arange(len(self.labels)) if digit is None else self.of_class(digit)
        if len(candidates) == 0:
            return None
        return int((rng or np.random.default_rng()).choice(candidates))

    def caption(self, index: int) -> str:
        """A gallery caption: `label: p` when right, `label -> guess (p)` when wrong (p: the guess's probability)."""
        p = self.probabilities[index]
        label, guess = int(self.labels[index]), int(p.argmax())
        return f"{label}: {p[label]:.0%}" if label == guess else f"{label} -> {guess} ({p[guess]:.0%})"


def validation_split(source: str, val_fraction: float = 0.3,
                     data: DigitDataset | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """The validation rows of a data source, split the article's way: (images, labels, first_row)."""
    dataset = data if data is not None else load_digits(source)
    cut = split_index(len(dataset), val_fraction)
    return dataset.images[cut:], np.asarray(dataset.labels[cut:], dtype=np.int64), cut


def validation_report(trained: TrainedModel, data: DigitDataset | None = None) -> ValidationReport:
    """Predict the model's own validation split (source and val_fraction from how it was trained)."""
    fraction = float(trained.hyperparameters.get("val_fraction", 0.3))
    try:
        images, labels, first = validation_split(trained.source, fraction, data)
    except DataError as exc:
        raise DataError("The validation digits of {name!r} ({source}) cannot be loaded: {error}", name=trained.name,
                        source=trained.source, error=exc) from exc
    return ValidationReport(images, labels, predict_many(trained, images), trained.source, first)


def report_with_fallback(trained: TrainedModel, fallback: Callable[[], DigitDataset],
                         lang: str = "en") -> tuple[ValidationReport, str]:
    """The model's validation report and "", or, when its own digits cannot be loaded (a model
    trained elsewhere), the report on `fallback()`'s validation rows and a note that says so."""
    try:
        return validation_report(trained), ""
    except DataError:
        note = translate("The model's own digits ({source}) are not available here, so these are the bundled "
                         "digits' last 30 %; the model may have seen some of them in training.", lang
                         ).format(source=trained.source)
        return validation_report(trained, data=fallback()), note


class PerModelCache:
    """Results computed once per model object (and key), e.g. a validation report or a weight mosaic.

    Keyed by the model's identity, checked on the way out, so a new model that happens to reuse a
    freed object's id never gets another model's result.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, Hashable], tuple[nn.Module, Any]] = {}

    def get(self, trained: TrainedModel, key: Hashable = None) -> Any | None:
        """The stored result, or None."""
        hit = self._entries.get((id(trained.model), key))
        return hit[1] if hit is not None and hit[0] is trained.model else None

    def put(self, trained: TrainedModel, value: Any, key: Hashable = None) -> Any:
        """Store a result (and return it)."""
        self._entries[(id(trained.model), key)] = (trained.model, value)
        return value

    def keep_only(self, models: Iterable[TrainedModel]) -> None:
        """Forget the results of every model not listed (models no longer in the session)."""
        live = {id(m.model) for m in models}
        self._entries = {k: v for k, v in self._entries.items() if k[0] in live}


def is_plain_mlp(trained: TrainedModel) -> bool:
    """Whether the model is the article's MLP as models.build_mlp makes it (its config says how to rebuild it)."""
    cfg = trained.config
    return (not conv.is_convolutional(trained.model) and isinstance(trained.model, nn.Sequential)
            and all(hasattr(cfg, name) for name in ("hidden", "depth", "activation"))
            and getattr(cfg, "arch", "mlp") == "mlp")


def describe(trained: TrainedModel, lang: str = "en") -> str:
    """One markdown line: the model's name, layers, data source and validation accuracy (in `lang`)."""
    cfg, val_acc = trained.config, trained.metrics.get("val_acc")
    if is_plain_mlp(trained):
        layers = f"784 -> {' -> '.join([str(cfg.hidden)] * cfg.depth)} ({cfg.activation}) -> 10"
    else:
        kind = str(getattr(cfg, "arch", "cnn" if conv.is_convolutional(trained.model) else "model"))
        layers = translate("{kind}: {layers} ({count} parameters)", lang).format(
            kind=kind, layers=conv.layer_summary(trained.model), count=f"{conv.parameter_count(trained.model):,}")
    values = {"name": as_code(trained.name), "layers": layers, "source": as_code(trained.source)}
    if isinstance(val_acc, float):
        return translate("{name}: {layers}, trained on {source}, validation accuracy **{accuracy}**.", lang).format(
            accuracy=f"{val_acc:.1%}", **values)
    return translate("{name}: {layers}, trained on {source}.", lang).format(**values)


CONV_CODE = """
# a CNN: each conv layer's feature maps, caught by forward hooks while the model runs once
maps = {}
hooks = [layer.register_forward_hook(lambda m, inputs, out, name=name: maps.setdefault(name, out.detach()))
         for name, layer in model.named_modules() if isinstance(layer, torch.nn.Conv2d)]
with torch.no_grad():
    model(x)
for hook in hooks:
    hook.remove()
first_conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
filters = first_conv.weight.detach()            # (out channels, in channels, height, width)
"""


def probe_code(stroke: str = "the canvas's RGBA array", target: int | None = None,
               trained: TrainedModel | None = None) -> str:
    """The PyTorch code behind the page, for its code expander (with the model's layers when given).

    For a model that is not the plain MLP (a CNN), the hidden-unit lines give way to feature maps and
    filters, and the model is shown as `print(model)` prints it."""
    which = "probabilities.argmax()" if target is None else str(int(target))
    mlp = trained is None or is_plain_mlp(trained)
    head = f"""import torch
from pytorch_explorer.digits.preprocess import preprocess_digit

digit = preprocess_digit(image).final          # image: {stroke}; -> uint8 28x28, white on black
x = torch.from_numpy(digit).float().reshape(1, 784) / 255
x.requires_grad_(True)

model.eval()
logits = model(x)                               # model: the {'nn.Sequential' if mlp else 'model'} you trained
probabilities = torch.softmax(logits, dim=1)[0]
target = {which}
gradient, = torch.autograd.grad(logits[0, target], x)   # saliency: d logit / d pixel
saliency = gradient.reshape(28, 28)
input_x_gradient = (gradient * x).reshape(28, 28)
"""
    if not mlp:
        assert trained is not None
        shape = "\n".join(f"#   {line}" for line in str(trained.model).splitlines()[:60])
        return head + CONV_CODE + f"\n# the model (print(model)):\n{shape}\n"
    body = """
hidden = model[1](model[0](x))[0]               # the hidden layer's activations
strongest = hidden.argsort(descending=True)[:12]
incoming = model[0].weight[strongest].reshape(-1, 28, 28)   # what those units look for
"""
    model = "" if trained is None else "\n# the model\n" + mlp_code(trained.config)
    return head + body + model


__all__ = [
    "CLASSES", "PerModelCache", "Saliency", "ValidationReport", "conv", "describe", "first_layer_weights",
    "hidden_activations", "is_plain_mlp", "predict", "predict_many", "probe_code", "report_with_fallback", "saliency",
    "strongest_units", "unit_contributions", "validation_report", "validation_split",
]
