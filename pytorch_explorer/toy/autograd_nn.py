"""Implementations 4 and 5: the same network as PyTorch would have you write it.

4. ``autograd``: the forward pass by hand with torch operations, the gradients from
   ``loss.backward()``, a manual update under ``torch.no_grad()``.
5. ``nn``: ``nn.Sequential`` + ``torch.optim`` (SGD or Adam), the idiomatic version.

Both descend :func:`half_sse`, the loss the article's hand-written updates descend, so with SGD
and the same initial weights they follow the hand-written versions' path exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from pytorch_explorer.toy.settings import ToyWeights

TORCH_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
}
NN_ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}


def half_sse(y: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """0.5 * sum((y - output)**2): the loss the article's hand-written updates descend."""
    return 0.5 * ((y - output) ** 2).sum()


# ---------------------------------------------------------------- 4: autograd
def autograd_forward(X: torch.Tensor, p: dict[str, torch.Tensor], activation: str = "sigmoid",
                     output_bias: bool = True) -> torch.Tensor:
    """The network's forward pass with torch operations autograd can record."""
    hidden = TORCH_ACTIVATIONS[activation](X @ p["wh"] + p["bh"])
    logits = hidden @ p["wout"]
    if output_bias:
        logits = logits + p["bout"]
    return torch.sigmoid(logits)


def sgd_by_hand(params: Iterable[torch.Tensor], lr: float) -> None:
    """The manual update of implementation 4: p -= lr * p.grad, then clear the gradient."""
    with torch.no_grad():  # the update itself must not be recorded
        for p in params:
            p -= lr * p.grad
            p.grad.zero_()  # gradients add up unless cleared


# ---------------------------------------------------------------- 5: nn + optim
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
    """The model's Linear layers as wh, bh, wout, bout (the transpose of nn.Linear's (out, in))."""
    return ToyWeights.from_arrays({
        "wh": model[0].weight.detach().T, "bh": model[0].bias.detach()[None, :],
        "wout": model[2].weight.detach().T, "bout": model[2].bias.detach()[None, :],
    })


def make_optimizer(name: str, parameters: Iterable[torch.Tensor], lr: float) -> torch.optim.Optimizer:
    """torch.optim.Adam for "adam", else torch.optim.SGD (the toy network's and the playground's)."""
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr)
    return torch.optim.SGD(parameters, lr=lr)
