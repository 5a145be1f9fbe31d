"""Writing your own ``nn.Module``: the article's toy network (4 inputs, 3 hidden sigmoid units, 1 sigmoid
output) as a class, beside its ``nn.Sequential`` twin, and a check that the two compute the same thing.

A subclass names its layers as attributes in ``__init__`` (``self.hidden = nn.Linear(...)``): assigning a
Module to an attribute registers it, so its parameters appear in ``parameters()`` under that name
(``hidden.weight``). ``forward`` is ordinary Python: any computation, any control flow.
``nn.Sequential`` numbers its layers instead (``0.weight``), and can only call them one after another.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from pytorch_explorer.modules.shapes import shape_text
from pytorch_explorer.toy.autograd_nn import build_toy_mlp, load_weights
from pytorch_explorer.toy.settings import ARTICLE_X, initial_weights


class ToyNet(nn.Module):
    """The article's network: input -> hidden (sigmoid) -> output (sigmoid)."""

    def __init__(self, n_in: int = 4, hidden: int = 3, n_out: int = 1) -> None:
        super().__init__()  # sets up the registries of parameters, buffers and submodules
        self.hidden = nn.Linear(n_in, hidden)  # registered as "hidden": hidden.weight, hidden.bias
        self.output = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.sigmoid(self.hidden(x))
        return torch.sigmoid(self.output(h))


CLASS_SOURCE = inspect.getsource(ToyNet)
SEQUENTIAL_SOURCE = """twin = nn.Sequential(
    nn.Linear(4, hidden), nn.Sigmoid(),   # 0.weight, 0.bias
    nn.Linear(hidden, 1), nn.Sigmoid(),   # 2.weight, 2.bias
)"""
# The class's parameter names and the Sequential's (layers 1 and 3 are the sigmoids: no parameters)
NAME_MAP = {"hidden.weight": "0.weight", "hidden.bias": "0.bias", "output.weight": "2.weight", "output.bias": "2.bias"}


@dataclass
class TwinCheck:
    """The class and its Sequential twin with the same weights, on the article's X."""

    module: ToyNet
    sequential: nn.Sequential
    module_output: torch.Tensor
    sequential_output: torch.Tensor

    @property
    def max_difference(self) -> float:
        return float((self.module_output - self.sequential_output).abs().max())

    def parameter_rows(self) -> list[dict[str, Any]]:
        """named_parameters() of both, side by side."""
        seq = dict(self.sequential.named_parameters())
        return [{"ToyNet name": name, "nn.Sequential name": NAME_MAP[name], "shape": shape_text(p.shape),
                 "count": p.numel(), "same values": bool(torch.equal(p, seq[NAME_MAP[name]]))}
                for name, p in self.module.named_parameters()]


@torch.no_grad()
def twin_check(hidden: int = 3, seed: int = 0) -> TwinCheck:
    """Both models with the toy page's initial weights for (hidden, seed): numpy's uniform [0, 1) draw, the
    same numbers as the Toy networks page uses; the class gets them through load_state_dict."""
    sequential = load_weights(build_toy_mlp(hidden, "sigmoid").double(), initial_weights(hidden, seed))
    module = ToyNet(4, hidden, 1).double()
    module.load_state_dict({name: sequential.state_dict()[twin] for name, twin in NAME_MAP.items()})
    x = torch.tensor(ARTICLE_X, dtype=torch.float64)
    return TwinCheck(module, sequential, module(x), sequential(x))
