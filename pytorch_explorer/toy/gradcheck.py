"""The gradient check: the hand-written gradients of versions 1-3 against autograd's.

A hand-written version's gradient is minus its update (the article adds ``update * lr``). Both
are of ``0.5 * sum((y - output)**2)``, on the same float64 weights. The article's version is
compared twice: with the network as meant (with ``bout``) and with the network its forward
pass really computes (no ``bout``); even against the latter its bias gradients are wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from pytorch_explorer.i18n import translate
from pytorch_explorer.toy.autograd_nn import autograd_forward, half_sse
from pytorch_explorer.toy.backprop import BACKPROP, numpy_backprop
from pytorch_explorer.toy.settings import (
    PARAMETERS,
    ToySettings,
    ToySettingsError,
    ToyWeights,
    article_data,
    initial_weights,
)


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

    def table(self, lang: str = "en") -> list[dict[str, Any]]:
        """One row per parameter: max |hand - autograd| for each hand-written version (columns named in `lang`)."""
        columns = {
            "1. numpy": self.max_abs_diff("numpy"),
            translate("3. torch, corrected", lang): self.max_abs_diff("torch-fixed"),
            translate("2. torch, as the article (vs the network with bout)", lang): self.max_abs_diff("torch-article"),
            translate("2. torch, as the article (vs the network it computes: no bout)", lang):
                self.max_abs_diff("torch-article", against_no_bout=True),
        }
        parameter = translate("parameter", lang)
        return [{parameter: name, **{col: diffs[name] for col, diffs in columns.items()}} for name in PARAMETERS]

    def worst_correct(self) -> float:
        """The largest difference from autograd of the two correct versions (numpy, torch corrected)."""
        return max(max(self.max_abs_diff(impl).values()) for impl in ("numpy", "torch-fixed"))

    def article_bias_rows(self, lang: str = "en") -> list[dict[str, Any]]:
        """The article's bias gradients entry by entry, beside autograd's with and without bout (named in `lang`)."""
        names = [translate("parameter", lang), translate("autograd (with bout)", lang),
                 translate("autograd (no bout, as computed)", lang), translate("article's hand-written", lang),
                 translate("difference (vs no bout)", lang)]
        rows = []
        for name in ("bh", "bout"):
            entries = zip(self.reference[name].ravel(), self.reference_no_bout[name].ravel(),
                          self.hand["torch-article"][name].ravel(), strict=True)
            for i, (ref, ref_no_bout, hand) in enumerate(entries):
                rows.append(dict(zip(names, (f"{name}[{i}]", ref, ref_no_bout, hand, hand - ref_no_bout), strict=True)))
        return rows


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
        raise ToySettingsError("{impl!r} has no hand-written gradients: choose one of {choices}.", impl=impl,
                               choices=", ".join(BACKPROP))
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
