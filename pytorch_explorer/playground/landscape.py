"""The loss along two random directions around the current weights (Li et al., 2018, "Visualizing the Loss
Landscape of Neural Nets"): each direction is a random tensor per weight, rescaled per layer to that layer's
norm, so that a step of 1 along it moves every layer about as far as its weights are long.

    alphas, betas, losses = loss_landscape(trainer.model, trainer.loss_fn, inputs, targets, resolution=21)
    # losses[j, i]: the data loss at weights + alphas[i] * d1 + betas[j] * d2; the centre is the current loss
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.func import functional_call


def random_directions(model: nn.Module, seed: int = 0) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Two random directions in weight space, each rescaled layer by layer to the norm of that layer's weights."""
    generator = torch.Generator().manual_seed(seed)
    directions = []
    for _ in range(2):
        direction = {}
        for name, p in model.named_parameters():
            d = torch.randn(p.shape, generator=generator)
            direction[name] = d * (p.detach().norm() / d.norm().clamp_min(1e-12))
        directions.append(direction)
    return directions[0], directions[1]


@torch.no_grad()
def loss_landscape(model: nn.Module, loss_fn: nn.Module, inputs: torch.Tensor, targets: torch.Tensor,
                   resolution: int = 21, span: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """alphas (r,), betas (r,) in [-span, span], and the loss (r, r) on that grid, rows along beta."""
    if not 3 <= resolution <= 101:
        raise ValueError(f"the landscape's resolution must be between 3 and 101 points, not {resolution}.")
    d1, d2 = random_directions(model, seed)
    base = {name: p.detach() for name, p in model.named_parameters()}
    alphas = np.linspace(-span, span, resolution)
    losses = np.empty((resolution, resolution))
    for j, b in enumerate(alphas):
        for i, a in enumerate(alphas):
            moved = {name: base[name] + float(a) * d1[name] + float(b) * d2[name] for name in base}
            out = functional_call(model, moved, (inputs,)).squeeze(1)
            losses[j, i] = float(loss_fn(out, targets))
    return alphas, alphas.copy(), losses
