"""Why a digit model says what it says: probabilities, saliency, hidden units, weights, mistakes.

Everything takes a `TrainedModel` (models.py) and MNIST-style uint8 28x28 images, and returns
numpy arrays for the figure builders in probe_figures.py:

- `predict`: the 10 probabilities for one image;
- `saliency`: the gradient of one class's logit with respect to the input pixels, and input x
  gradient (which pixels, lit as they are, pushed the score up or down);
- `hidden_activations`: each hidden layer's output for one image; `unit_contributions`: how much
  each unit of the last hidden layer adds to a class's logit (activation x outgoing weight);
- `first_layer_weights` / `weight_mosaic`: each first-layer unit's 784 incoming weights as a 28x28
  picture (what the unit looks for);
- `validation_report`: the model's predictions on its own validation split (the article's split:
  the first 70 % of the rows train, the rest validate), with the confusion matrix, per-class
  accuracy and the most confident mistakes.

Gradients are taken with `torch.autograd.grad` with respect to the input only, so probing never
writes into the model's parameter `.grad` fields (a model still being trained is left alone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from pytorch_explorer.digits.data import DigitDataset, load_digits, split_index
from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.models import TrainedModel

CLASSES = tuple(range(10))


def _device(trained: TrainedModel) -> torch.device:
    return next(trained.model.parameters()).device


def _as_batch(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (28, 28) or (N, 28, 28) -> float (N, 784) in [0, 1] on the device."""
    x = np.asarray(images)
    if x.shape[-2:] != (28, 28):
        raise ValueError(f"expected 28x28 images, got shape {x.shape}")
    x = x.reshape(-1, 28 * 28)
    tensor = torch.from_numpy(np.ascontiguousarray(x)).to(device)
    return tensor.float() / 255.0 if x.dtype == np.uint8 else tensor.float()


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
    """The output of each hidden layer's activation for one image: a list of (hidden,) arrays."""
    model = trained.model
    x = _as_batch(image, _device(trained))
    layers: list[np.ndarray] = []
    with torch.no_grad():
        for module in model:
            x = module(x)
            if not isinstance(module, nn.Linear):  # an activation: the end of a hidden layer
                layers.append(x[0].cpu().numpy())
    return layers


def unit_contributions(trained: TrainedModel, last_hidden: np.ndarray, target: int) -> np.ndarray:
    """activation x weight from each unit of the last hidden layer into the target's logit (hidden,).

    Their sum plus the output bias is the logit: these are the votes the units cast for the class.
    """
    out_layer = trained.model[-1]
    weights = out_layer.weight.detach().cpu().numpy()[int(target)]
    return np.asarray(last_hidden) * weights


def strongest_units(activations: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest activations, strongest first (ties broken by index)."""
    a = np.asarray(activations)
    k = max(0, min(int(k), len(a)))
    order = np.lexsort((np.arange(len(a)), -a))
    return order[:k]


def first_layer_weights(trained: TrainedModel) -> np.ndarray:
    """The first Linear layer's weights as (hidden, 28, 28): what each first-layer unit looks for."""
    weight = trained.model[0].weight.detach().cpu().numpy()
    return weight.reshape(len(weight), 28, 28)


def weight_mosaic(weights: np.ndarray, columns: int = 25, gap: int = 1,
                  row_gap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tile (K, 28, 28) weight images into one picture, each scaled to [-1, 1] by its own largest |w|.

    Returns (mosaic, unit): float mosaic with NaN in the gaps, and for each mosaic pixel the unit
    index it belongs to (-1 in the gaps), for hover text. `row_gap` (default `gap`) leaves room for
    titles between rows.
    """
    weights = np.asarray(weights, dtype=np.float32)
    k = len(weights)
    columns = max(1, min(columns, k))
    rows = -(-k // columns)
    row_gap = gap if row_gap is None else row_gap
    tile_w, tile_h = 28 + gap, 28 + row_gap
    mosaic = np.full((rows * tile_h - row_gap, columns * tile_w - gap), np.nan, dtype=np.float32)
    unit = np.full(mosaic.shape, -1, dtype=np.int32)
    scale = np.abs(weights).reshape(k, -1).max(axis=1)
    for i in range(k):
        r, c = divmod(i, columns)
        y, x = r * tile_h, c * tile_w
        mosaic[y:y + 28, x:x + 28] = weights[i] / (scale[i] if scale[i] > 0 else 1.0)
        unit[y:y + 28, x:x + 28] = i
    return mosaic, unit


def diverging_rgb(values: np.ndarray, limit: float | None = None,
                  gap_colour: tuple[int, int, int] = (200, 200, 200)) -> np.ndarray:
    """Map values to colours: negative blue, zero white, positive red (uint8 RGB; NaN -> gap_colour)."""
    v = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(v)
    if limit is None:
        limit = float(np.abs(v[finite]).max()) if finite.any() else 1.0
    t = np.clip(np.where(finite, v, 0.0) / (limit or 1.0), -1.0, 1.0)
    red, blue = np.array([178, 24, 43], np.float32), np.array([33, 102, 172], np.float32)
    white = np.array([247, 247, 247], np.float32)
    pos = np.clip(t, 0, 1)[..., None]
    neg = np.clip(-t, 0, 1)[..., None]
    rgb = white + pos * (red - white) + neg * (blue - white)
    rgb[~finite] = gap_colour
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def preview(picture, size: int = 440):
    """A small RGB(A) copy of an uploaded PIL image for display, or None if its mode cannot be shown."""
    try:
        small = picture.copy()
        small.thumbnail((size, size))
        if small.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit or float: stretch to 8 bits
            values = np.asarray(small, dtype=np.float32)
            span = float(values.max() - values.min()) or 1.0
            return np.rint((values - values.min()) * (255.0 / span)).astype(np.uint8)
        return small if small.mode in ("RGB", "RGBA", "L") else small.convert("RGBA")
    except (ValueError, OSError):
        return None


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 greyscale or RGB image as PNG bytes (encode once, show many times)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def enlarge(image: np.ndarray, size: int = 140) -> np.ndarray:
    """Nearest-neighbour enlargement so that small pictures stay crisp on screen (longer side ~size)."""
    h, w = image.shape[:2]
    factor = max(1, size // max(h, w))
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def thumbnail(image: np.ndarray, size: int = 96, pad: int = 255) -> np.ndarray:
    """A uint8 greyscale image fitted into a size x size square (crisp when enlarged, area-averaged
    when shrunk), centred on a `pad`-coloured square, so that a row of stages lines up."""
    from PIL import Image

    image = np.asarray(image, dtype=np.uint8)
    h, w = image.shape[:2]
    if max(h, w) <= size:
        fitted = enlarge(image, size)
    else:
        s = size / max(h, w)
        fitted = np.asarray(Image.fromarray(image).resize((max(1, round(w * s)), max(1, round(h * s))),
                                                          Image.Resampling.BOX))
    fh, fw = fitted.shape[:2]
    out = np.full((size, size), pad, dtype=np.uint8)
    top, left = (size - fh) // 2, (size - fw) // 2
    out[top:top + fh, left:left + fw] = fitted[:size, :size]
    return out


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
        return np.nonzero(self.labels == digit)[0]


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
        raise DataError(f"The validation digits of {trained.name!r} ({trained.source}) cannot be loaded: {exc}") from exc
    return ValidationReport(images, labels, predict_many(trained, images), trained.source, first)


def probe_code(stroke: str = "the canvas's RGBA array", target: int | None = None) -> str:
    """The PyTorch code behind the page, for its code expander."""
    which = "probabilities.argmax()" if target is None else str(int(target))
    return f"""import torch
from pytorch_explorer.digits.preprocess import preprocess_digit

digit = preprocess_digit(image).final          # image: {stroke}; -> uint8 28x28, white on black
x = torch.from_numpy(digit).float().reshape(1, 784) / 255
x.requires_grad_(True)

model.eval()
logits = model(x)                               # model: the nn.Sequential you trained
probabilities = torch.softmax(logits, dim=1)[0]
target = {which}
gradient, = torch.autograd.grad(logits[0, target], x)   # saliency: d logit / d pixel
saliency = gradient.reshape(28, 28)
input_x_gradient = (gradient * x).reshape(28, 28)

hidden = model[1](model[0](x))[0]               # the hidden layer's activations
strongest = hidden.argsort(descending=True)[:12]
incoming = model[0].weight[strongest].reshape(-1, 28, 28)   # what those units look for
"""


__all__ = [
    "CLASSES", "Saliency", "ValidationReport", "diverging_rgb", "enlarge", "first_layer_weights",
    "hidden_activations", "png_bytes", "predict", "preview", "predict_many", "probe_code", "saliency", "strongest_units",
    "thumbnail", "unit_contributions", "validation_report", "validation_split", "weight_mosaic",
]
