"""The real model, looked at the ways PyTorch offers: ``print(model)``, ``named_parameters()``,
``state_dict()`` (parameters and buffers) and a forward hook on every layer recording the shapes.

The initial weights come from a ``torch.Generator`` (never the global seed): each Linear and Conv2d
weight and bias is drawn from U(-1/√fan_in, 1/√fan_in), the distribution PyTorch's own default
initialisation uses, so a seed gives the same model here and in the code the page shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from pytorch_explorer.modules.layers import LayerSpec, build_model, parameter_formula
from pytorch_explorer.modules.shapes import shape_text, trace_shapes


@torch.no_grad()
def init_parameters(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """Redraw every Linear / Conv2d weight and bias from U(-1/√fan_in, 1/√fan_in), in layer order."""
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            bound = 1 / math.sqrt(layer.weight[0].numel())  # fan_in: the inputs of one output unit
            layer.weight.uniform_(-bound, bound, generator=generator)
            if layer.bias is not None:
                layer.bias.uniform_(-bound, bound, generator=generator)
    return model


def seeded_model_and_input(layers: list[LayerSpec], input_shape: tuple[int, ...],
                           seed: int) -> tuple[nn.Sequential, torch.Tensor]:
    """The model (weights from the seed) and an input of standard-normal numbers drawn after them.
    Check the size with shapes.trace_shapes first: this allocates."""
    generator = torch.Generator().manual_seed(int(seed))
    model = init_parameters(build_model(layers), generator)
    return model, torch.randn(input_shape, generator=generator)  # type: ignore[return-value]


def first_values(tensor: torch.Tensor, n: int = 4) -> str:
    values = tensor.detach().flatten()[:n].tolist()
    text = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in values)
    return f"[{text}{', ...' if tensor.numel() > n else ''}]"


def parameter_rows(model: nn.Module) -> list[dict[str, Any]]:
    """``named_parameters()``: each parameter's name, shape and number of values."""
    return [{"name": name, "shape": shape_text(p.shape), "count": p.numel(), "requires_grad": p.requires_grad}
            for name, p in model.named_parameters()]


def state_rows(model: nn.Module) -> list[dict[str, Any]]:
    """``state_dict()``: every key, whether it is a parameter (learned, in parameters()) or a buffer
    (state that is saved but not learned: BatchNorm's running statistics), its shape and first values."""
    parameters = {name for name, _ in model.named_parameters()}
    return [{"key": key, "kind": "parameter" if key in parameters else "buffer", "shape": shape_text(t.shape),
             "dtype": str(t.dtype).removeprefix("torch."), "first values": first_values(t)}
            for key, t in model.state_dict().items()]


@dataclass
class ModelReport:
    """What the page shows about one model and one input."""

    printed: str  # print(model)
    parameters: list[dict[str, Any]]
    total: int
    trainable: int
    state: list[dict[str, Any]]  # of the freshly built model, before the forward pass
    shapes: list[dict[str, Any]]  # recorded by the forward hooks
    input_shape: tuple[int, ...]
    output: torch.Tensor
    training: bool
    buffers: list[str] = field(default_factory=list)


def record_shapes(model: nn.Sequential, x: torch.Tensor) -> tuple[list[dict[str, Any]], torch.Tensor]:
    """Run the model once with a forward hook on each layer; each hook writes down the shapes it sees."""
    seen: list[dict[str, Any]] = []

    def hook(layer: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        seen.append({"layer": layer.__class__.__name__, "input shape": shape_text(inputs[0].shape),
                     "output shape": shape_text(output.shape),
                     "parameters": sum(p.numel() for p in layer.parameters())})

    handles = [layer.register_forward_hook(hook) for layer in model]
    try:
        with torch.no_grad():
            output = model(x)
    finally:
        for handle in handles:  # hooks stay on a module until removed
            handle.remove()
    return [{"#": i, **row} for i, row in enumerate(seen)], output


def inspect_model(layers: list[LayerSpec], input_shape: tuple[int, ...], seed: int = 0,
                  training: bool = True) -> ModelReport:
    """Check the size and shapes on meta (raises a learner's message), then build the model for real and
    look at it: printed, parameters, state_dict, and one forward pass with hooks in train() or eval()."""
    trace_shapes(layers, input_shape, training)
    model, x = seeded_model_and_input(layers, input_shape, seed)
    parameters, state = parameter_rows(model), state_rows(model)
    model.train(training)
    shapes, output = record_shapes(model, x)
    for row, spec in zip(shapes, layers, strict=True):
        row["layer"] = spec.call()
    return ModelReport(
        printed=str(model), parameters=parameters, total=sum(r["count"] for r in parameters),
        trainable=sum(r["count"] for r in parameters if r["requires_grad"]), state=state, shapes=shapes,
        input_shape=tuple(input_shape), output=output, training=training,
        buffers=[r["key"] for r in state if r["kind"] == "buffer"])


def layer_rows(layers: list[LayerSpec]) -> list[dict[str, Any]]:
    """One row a layer: what it is and its parameters counted by hand."""
    rows = []
    for index, spec in enumerate(layers):
        formula, count = parameter_formula(spec)
        rows.append({"#": index, "layer": spec.call(), "parameters": count, "counted by hand": formula})
    return rows
