"""What the hidden layer learned: validation digits placed on a 2-D map by their hidden-layer activations.

A model's "hidden features" are the input of its last `nn.Linear`, the layer that turns features into the
10 scores: a forward hook on every Linear records what each call receives, and the last call's input is
kept. That is generic: for the article's MLP it is the 500 ReLU outputs, for a CNN the flattened
convolution features. The same map of the raw 784 pixels shows what training changed: digits that
overlap in pixel space pull apart in the hidden layer.

Maps are made with scikit-learn's PCA (a linear projection, instant) or t-SNE (neighbourhoods kept,
seconds; on a capped subset of points, default 1,000). Everything is deterministic for a seed: the subset
is drawn with numpy.random.default_rng(seed), PCA uses the full SVD, t-SNE starts from the PCA layout
(init="pca", random_state=seed), so the seed changes a map through the digits drawn.

    for event in embedding_steps(split, model, "t-SNE", points=1000, seed=0):   # progress for the page
        print(event.message)
    maps = event.maps      # on the last event: indices, labels, predictions, pixels (N, 2), hidden (N, 2)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
from torch import nn

from pytorch_explorer.compare.baselines import DigitSplit, check_seed
from pytorch_explorer.compare.metrics import predict_torch
from pytorch_explorer.i18n import translate

METHODS = ("PCA", "t-SNE")
MIN_POINTS, MAX_POINTS, DEFAULT_POINTS = 50, 3000, 1000
TSNE_PCA_DIMS = 50  # t-SNE reads features reduced to 50 dimensions by PCA first (the usual practice; faster)


@torch.no_grad()
def hidden_features(model: nn.Module, inputs: np.ndarray, batch: int = 1024) -> np.ndarray:
    """(N, H) float32: the input of the model's last-called nn.Linear for each row of `inputs` (N, 784).

    A ValueError if the model calls no nn.Linear. The model is evaluated in eval() mode and left in the
    mode it was in; the hooks are always removed."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("This model has no nn.Linear layer, so it has no hidden features to map.")
    calls: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, args, _out: calls.append(args[0].detach())) for m in linears]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    chunks = []
    try:
        x = torch.from_numpy(np.ascontiguousarray(inputs, dtype=np.float32))
        for i in range(0, len(x), batch):
            calls.clear()
            model(x[i:i + batch].to(device))
            if not calls:
                raise ValueError("The model's forward pass called none of its nn.Linear layers.")
            chunks.append(calls[-1].reshape(len(calls[-1]), -1).float().cpu())
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    return torch.cat(chunks).numpy() if chunks else np.zeros((0, 0), np.float32)


def subset_indices(n: int, points: int, seed: int) -> np.ndarray:
    """Sorted indices of at most `points` of n rows, drawn without replacement with default_rng(seed)."""
    if points >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(check_seed(seed)).choice(n, size=points, replace=False))


def check_points(points: int) -> int:
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or not MIN_POINTS <= points <= MAX_POINTS:
        raise ValueError(f"A map shows {MIN_POINTS} to {MAX_POINTS:,} digits, not {str(points)[:40]}.")
    return int(points)


def embed_2d(features: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """(N, 2) coordinates of the rows of `features` by PCA or t-SNE (see the module docstring)."""
    if method not in METHODS:
        raise ValueError(f"The map method is PCA or t-SNE, not {str(method)[:40]!r}.")
    x = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    if len(x) < 5:
        raise ValueError(f"A map needs at least 5 digits, not {len(x)}.")
    seed = check_seed(seed)
    if method == "PCA":
        return PCA(n_components=2, svd_solver="full").fit_transform(x)
    if x.shape[1] > TSNE_PCA_DIMS and len(x) > TSNE_PCA_DIMS:
        x = PCA(n_components=TSNE_PCA_DIMS, svd_solver="full").fit_transform(x)
    perplexity = min(30.0, (len(x) - 1) / 3)
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)


@dataclass(frozen=True)
class EmbeddingMaps:
    """Two maps of the same validation digits: by raw pixels, and by the model's hidden features."""

    indices: np.ndarray  # positions in the validation split
    labels: np.ndarray  # the true digits
    predictions: np.ndarray | None  # the model's answers (None without a model)
    pixels: np.ndarray  # (N, 2)
    hidden: np.ndarray | None  # (N, 2), None without a model
    hidden_units: int  # how wide the hidden features are (0 without a model)
    method: str
    seed: int

    @property
    def mistakes(self) -> np.ndarray:
        """True where the model got the digit wrong (all False without a model)."""
        if self.predictions is None:
            return np.zeros(len(self.labels), bool)
        return self.predictions != self.labels


@dataclass(frozen=True)
class EmbeddingEvent:
    """A step of embedding_steps: what is happening (for a progress message), and the maps at the end."""

    stage: str  # "start", "pixels", "features", "hidden", "done"
    message: str
    fraction: float
    maps: EmbeddingMaps | None = None


def embedding_steps(split: DigitSplit, model: nn.Module | None, method: str, points: int = DEFAULT_POINTS,
                    seed: int = 0, lang: str = "en") -> Iterator[EmbeddingEvent]:
    """Make the raw-pixel map, then (with a model) the hidden-feature map, reporting each step first (the
    messages in `lang`)."""
    if method not in METHODS:
        raise ValueError(f"The map method is PCA or t-SNE, not {str(method)[:40]!r}.")
    seed, points = check_seed(seed), check_points(points)
    indices = subset_indices(split.val_size, points, seed)
    x, labels = split.x_val[indices], split.y_val[indices]
    slow = translate(" (t-SNE takes a few seconds)", lang) if method == "t-SNE" else ""
    yield EmbeddingEvent("pixels", translate("{method} of {n} digits' raw pixels{slow}...", lang).format(
        method=method, n=f"{len(indices):,}", slow=slow), 0.05)
    pixels = embed_2d(x, method, seed)
    hidden = predictions = None
    units = 0
    if model is not None:
        yield EmbeddingEvent("features", translate("Reading the hidden layer (a forward hook on the last nn.Linear)...",
                                                   lang), 0.45)
        features = hidden_features(model, x)
        predictions = predict_torch(model, x)
        units = features.shape[1]
        yield EmbeddingEvent("hidden", translate("{method} of the {units}-wide hidden features{slow}...", lang).format(
            method=method, units=units, slow=slow), 0.55)
        hidden = embed_2d(features, method, seed)
    maps = EmbeddingMaps(indices, labels, predictions, pixels, hidden, units, method, seed)
    yield EmbeddingEvent("done", translate("Done.", lang), 1.0, maps)


def compute_maps(split: DigitSplit, model: nn.Module | None, method: str, points: int = DEFAULT_POINTS,
                 seed: int = 0) -> EmbeddingMaps:
    """embedding_steps run to the end: the maps."""
    *_, last = embedding_steps(split, model, method, points, seed)
    assert last.maps is not None
    return last.maps
