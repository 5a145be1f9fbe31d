"""Probing any digit model, convolutional or not: which layers it has, what its conv layers see.

The views here work for every architecture the trainer makes (the MLP, LeNet, a small CNN) and for
any `nn.Module` that reads the flattened (N, 784) digit: they look at the model through
`model.modules()` and forward hooks, never through its Python attribute names.

- `conv_layers` / `is_convolutional`: the `nn.Conv2d` layers, in the order `modules()` gives them;
- `feature_maps`: each conv layer's output (its feature maps) for one digit, caught by forward hooks
  while the model runs once;
- `first_conv_filters`: the first conv layer's kernels (what each of its channels looks for);
- `dense_hidden_layers`: the inputs of every `nn.Linear` after the first one, in the order the
  model calls them: for the MLP its hidden activations, for a CNN its fully connected hidden layers;
- `pixel_weights_apply`: whether the first layer is a Linear(784, k) whose rows are 28x28 pictures;
- `layer_summary`: the model's layers in one line ("784 -> conv 6@5x5 -> conv 16@5x5 -> 120 -> 10").

Hooks are always removed (even when the forward pass raises), and the model's train/eval mode is
put back as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from pytorch_explorer.i18n import translate

INPUT_PIXELS = 28 * 28


@dataclass
class FeatureMaps:
    """One conv layer's output for one digit."""

    name: str  # the layer's name in model.named_modules() ("" for the model itself)
    index: int  # 0 for the first conv layer, 1 for the second, ...
    maps: np.ndarray  # float (channels, height, width)
    kernel: tuple[int, int]
    in_channels: int

    @property
    def title(self) -> str:
        return self.title_in("en")

    def title_in(self, lang: str = "en") -> str:
        """The layer in one line ("conv layer 1: 1 -> 6 channels, 5x5 kernels, maps of 28x28"), in `lang`."""
        c, h, w = self.maps.shape
        return translate("conv layer {n}: {inputs} -> {channels} channels, {kh}x{kw} kernels, maps of {h}x{w}",
                         lang).format(n=self.index + 1, inputs=self.in_channels, channels=c, kh=self.kernel[0],
                                      kw=self.kernel[1], h=h, w=w)


def conv_layers(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    """(name, layer) of every nn.Conv2d in the model, in model.modules() order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def is_convolutional(model: nn.Module) -> bool:
    """Whether the model has at least one nn.Conv2d."""
    return any(isinstance(m, nn.Conv2d) for m in model.modules())


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


def as_inputs(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """One uint8 28x28 image (or a float one in [0, 1]) -> float (1, 784) on the device."""
    x = np.asarray(image)
    if x.shape[-2:] != (28, 28):
        raise ValueError(f"expected a 28x28 image, got shape {x.shape}")
    t = torch.from_numpy(np.ascontiguousarray(x)).reshape(-1, INPUT_PIXELS)
    return (t.float() / 255.0 if t.dtype == torch.uint8 else t.float()).to(device)


@contextmanager
def evaluating(model: nn.Module) -> Iterator[nn.Module]:
    """The model in eval mode for the block, its mode put back afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def feature_maps(model: nn.Module, image: np.ndarray) -> list[FeatureMaps]:
    """Each conv layer's output for one image (empty for a model without conv layers).

    A forward hook on every nn.Conv2d catches its output while the model runs once; the maps are
    the conv's own output (before any activation or pooling that follows it).
    """
    layers = conv_layers(model)
    if not layers:
        return []
    caught: dict[str, torch.Tensor] = {}

    def catch(name: str):
        def hook(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            caught.setdefault(name, output.detach())  # the first call (a layer reused later keeps its first map)
        return hook

    handles = [layer.register_forward_hook(catch(name)) for name, layer in layers]
    try:
        with evaluating(model), torch.no_grad():
            model(as_inputs(image, model_device(model)))
    finally:
        for handle in handles:
            handle.remove()
    found = []
    for i, (name, layer) in enumerate(layers):
        if name in caught:
            maps = caught[name][0].float().cpu().numpy()
            found.append(FeatureMaps(name, i, maps, tuple(layer.kernel_size), layer.in_channels))
    return found


def first_conv_filters(model: nn.Module) -> np.ndarray | None:
    """The first conv layer's kernels as float (out_channels, in_channels, kh, kw); None without one."""
    layers = conv_layers(model)
    if not layers:
        return None
    return layers[0][1].weight.detach().float().cpu().numpy()


def linear_layers(model: nn.Module) -> list[nn.Linear]:
    """Every nn.Linear of the model, in model.modules() order."""
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


def dense_hidden_layers(model: nn.Module, image: np.ndarray) -> list[np.ndarray]:
    """The input of every nn.Linear the model calls after its first one, as (units,) arrays.

    For the MLP these are its hidden layers' activations (what each Linear after the first reads);
    for a CNN, its fully connected hidden layers (the first Linear reads the flattened conv maps, the
    way the MLP's first reads the pixels). A model with a single Linear has none: an empty list.
    """
    seen: list[torch.Tensor] = []

    def hook(_module: nn.Module, inputs: tuple) -> None:
        seen.append(inputs[0].detach())

    handles = [layer.register_forward_pre_hook(hook) for layer in linear_layers(model)]
    try:
        with evaluating(model), torch.no_grad():
            model(as_inputs(image, model_device(model)))
    finally:
        for handle in handles:
            handle.remove()
    return [x.reshape(x.shape[0], -1)[0].float().cpu().numpy() for x in seen[1:]]


def output_layer(model: nn.Module) -> nn.Linear | None:
    """The last nn.Linear with 10 outputs (the layer that writes the logits), or None."""
    found = [m for m in linear_layers(model) if m.out_features == 10]
    return found[-1] if found else None


def pixel_weights_apply(model: nn.Module) -> bool:
    """Whether the model's first layer is a Linear(784, k) with no conv layer: then each of its rows is
    a 28x28 picture of what a unit looks for (for a CNN, the first layer's weights are its filters)."""
    linears = linear_layers(model)
    return not is_convolutional(model) and bool(linears) and linears[0].in_features == INPUT_PIXELS


def layer_summary(model: nn.Module) -> str:
    """The model's weighted layers in one line, e.g. "784 -> conv 6@5x5 -> conv 16@5x5 -> 120 -> 84 -> 10"."""
    parts = ["784"]
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            parts.append(f"conv {m.out_channels}@{m.kernel_size[0]}x{m.kernel_size[1]}")
        elif isinstance(m, nn.Linear):
            parts.append(str(m.out_features))
    return " -> ".join(parts)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = [
    "FeatureMaps", "as_inputs", "conv_layers", "dense_hidden_layers", "evaluating", "feature_maps",
    "first_conv_filters", "is_convolutional", "layer_summary", "linear_layers", "model_device", "output_layer",
    "parameter_count", "pixel_weights_apply",
]
