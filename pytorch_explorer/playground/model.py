"""The playground's network (an ``nn.Sequential``), its L1/L2 penalty, and what every unit computes.

    model = build_model(n_inputs=2, layers=(4, 2), activation="tanh", generator=torch.Generator().manual_seed(0))
    outputs = unit_outputs(model, inputs)   # [inputs, hidden 1, ..., output]: one (n, units) tensor a column

The weights start from Xavier-uniform draws of the generator (biases 0), so the same seed gives the same
network without touching torch's global random state.
"""

from __future__ import annotations

import torch
from torch import nn

MODULES = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


def build_model(n_inputs: int, layers: tuple[int, ...], activation: str, generator: torch.Generator) -> nn.Sequential:
    """Linear, activation, ..., Linear(last, 1): the hidden layers' activation after every Linear but the last."""
    modules: list[nn.Module] = []
    width = n_inputs
    for units in layers:
        modules += [nn.Linear(width, units), MODULES[activation]()]
        width = units
    modules.append(nn.Linear(width, 1))
    model = nn.Sequential(*modules)
    for layer in linear_layers(model):
        nn.init.xavier_uniform_(layer.weight, generator=generator)
        nn.init.zeros_(layer.bias)
    return model


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)]


def regularization_term(model: nn.Sequential, kind: str, rate: float) -> torch.Tensor:
    """rate * sum|w| (L1) or rate * sum w^2 (L2) over every weight (biases are not penalised); 0 for none."""
    weights = [layer.weight for layer in linear_layers(model)]
    if kind == "none" or rate == 0:
        return torch.zeros(())
    if kind == "L1":
        return rate * sum(w.abs().sum() for w in weights)
    return rate * sum((w * w).sum() for w in weights)


@torch.no_grad()
def unit_outputs(model: nn.Sequential, inputs: torch.Tensor, classification: bool = True) -> list[torch.Tensor]:
    """[inputs, each hidden layer after its activation, the output]: what every node of the picture computes.

    The output is P(class 1) = sigmoid(logit) for a classification, the prediction itself for a regression."""
    outputs, h = [inputs], inputs
    modules = list(model)
    for i in range(0, len(modules) - 1, 2):
        h = modules[i + 1](modules[i](h))
        outputs.append(h)
    out = modules[-1](h)
    outputs.append(torch.sigmoid(out) if classification else out)
    return outputs
