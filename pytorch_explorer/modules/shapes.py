"""Does this layer list fit together, and is it small enough? Answered on the "meta" device first.

``trace_shapes(layers, input_shape)`` builds the model on ``torch.device("meta")`` (tensors with a
shape and no data: a Linear(784, 10**6) costs nothing there), counts its parameters, and passes a
meta input through it layer by layer. Each layer's input is checked before it is called, so that a
mismatch says which layer (index and type), which shapes, and what to change, usually with a fix
(a corrected layer list the page offers as a button). Only a model that passes is built for real.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import torch

from pytorch_explorer.core.errors import BudgetError, ExplorerError, Said, Term
from pytorch_explorer.modules.layers import LayerSpec, build_model, check_count, make_spec, parameter_formula

MAX_PARAMETERS = 20_000_000  # 80 MB of float32 weights
MAX_ACTIVATION = 16_000_000  # elements in the input or in any layer's output (64 MB of float32)
MAX_MACS = 2_000_000_000  # multiply-adds of one forward pass (about a second on a small CPU)
MAX_DIMS = 5


class ArchitectureError(ExplorerError, ValueError):
    """A layer cannot take the shape it is given. `index` is the layer's (a template may say it: {index});
    `fix`, when there is an obvious one, is the corrected layer list, and `fix_label` says what it changes (a Said,
    for the fix button in the learner's language)."""

    def __init__(self, template: str, index: int | None = None, fix: list[LayerSpec] | None = None,
                 fix_label: Said | None = None, **values: object) -> None:
        super().__init__(template, **values, **({} if index is None else {"index": index}))
        self.index, self.fix, self.fix_label = index, fix, fix_label
        self.traced: list[LayerShape] = []  # the layers before it, which fit (set by trace_shapes)


class ModelTooLargeError(BudgetError, ValueError):
    """The model or its activations would be too big to build here; refused before allocating anything."""


@dataclass(frozen=True)
class LayerShape:
    """One layer of a traced model: what goes in, what comes out, its parameters and multiply-adds."""

    index: int
    call: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    parameters: int
    macs: int = 0
    buffers: tuple[str, ...] = field(default=())

    def row(self) -> dict[str, object]:
        return {"#": self.index, "layer": self.call, "input shape": shape_text(self.input_shape),
                "output shape": shape_text(self.output_shape), "parameters": self.parameters}


def shape_text(shape: tuple[int, ...] | torch.Size) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def megabytes(elements: int) -> float:
    """What that many float32 numbers take, in MB."""
    return elements * 4 / 1e6


def parse_input_shape(text: str) -> tuple[int, ...]:
    """ "4, 1, 28, 28" (or "(4, 1, 28, 28)", "4x784") -> (4, 1, 28, 28): whole numbers >= 1, at most
    MAX_DIMS of them, at most MAX_ACTIVATION elements in all."""
    cleaned = str(text).strip().strip("()[]").strip()
    parts = [p for p in re.split(r"\s*[,x×\s]\s*", cleaned) if p]
    if not parts:
        raise ArchitectureError("The input shape is empty: write the batch size and the sizes after it, e.g. 4, 784.")
    if len(parts) > MAX_DIMS or not all(re.fullmatch(r"\d{1,9}", p) for p in parts):
        raise ArchitectureError("{text!r} is not an input shape: write up to {most} whole numbers separated by "
                                "commas, batch first, e.g. 4, 784 or 4, 1, 28, 28.", text=str(text)[:40],
                                most=MAX_DIMS)
    shape = tuple(int(p) for p in parts)
    if min(shape) < 1:
        raise ArchitectureError("Every size of the input shape must be at least 1, not {shape}.",
                                shape=shape_text(shape))
    if math.prod(shape) > MAX_ACTIVATION:
        raise ModelTooLargeError("An input of shape {shape} holds {n:,} numbers ({mb:,.1f} MB as float32); this "
                                 "page takes up to {most:,}. Use a smaller batch or smaller images.",
                                 shape=shape_text(shape), n=math.prod(shape), mb=megabytes(math.prod(shape)),
                                 most=MAX_ACTIVATION)
    return shape


# ---------------------------------------------------------------- each layer's expectations
def _make_label(index: int, fixed: LayerSpec) -> Said:
    """The fix button's words for a layer replaced by `fixed`."""
    return Said("Make layer {index} {call}", index=index, call=fixed.call())


def _replace(layers: list[LayerSpec], index: int, *new: LayerSpec) -> list[LayerSpec]:
    return [*layers[:index], *new, *layers[index + 1:]]


def check_layer_input(layers: list[LayerSpec], index: int, shape: tuple[int, ...], training: bool) -> None:
    """Raise an ArchitectureError (naming the layer, the shapes, what to change) if layer `index` cannot
    take an input of this shape. Rules of the layers with expectations; activations take anything."""
    spec = layers[index]
    args, ndim, got, call = spec.arguments(), len(shape), shape_text(shape), spec.call()
    if spec.kind == "Linear":
        want = args["in_features"]
        if shape[-1] == want:
            return
        if ndim > 2:
            flat = math.prod(shape[1:])
            fixed = spec.with_value("in", flat)
            fix = _replace(layers, index, make_spec("Flatten", (), index), fixed)
            where = Term("(feature maps from the layers before)" if index else "(an image, not a row of numbers)")
            flattened = shape_text((shape[0], flat))
            if flat == want:
                raise ArchitectureError(
                    "Layer {index} ({call}) gets an input of shape {got}, but a Linear layer works on the last "
                    "dimension, which is {last}, and it expects in_features = {want}. The input still has {ndim} "
                    "dimensions {where}: put a Flatten() before layer {index} (it makes {flattened}).",
                    index=index, fix=fix, fix_label=Said("Insert Flatten() before layer {index}", index=index),
                    call=call, got=got, last=shape[-1], want=want, ndim=ndim, where=where, flattened=flattened)
            raise ArchitectureError(
                "Layer {index} ({call}) gets an input of shape {got}, but a Linear layer works on the last "
                "dimension, which is {last}, and it expects in_features = {want}. The input still has {ndim} "
                "dimensions {where}: put a Flatten() before layer {index} (it makes {flattened}) and set "
                "in_features to {flat}.", index=index, fix=fix,
                fix_label=Said("Insert Flatten() before layer {index} and make it {call}", index=index,
                               call=fixed.call()), call=call, got=got,
                last=shape[-1], want=want, ndim=ndim, where=where, flattened=flattened, flat=flat)
        fixed = spec.with_value("in", shape[-1])
        raise ArchitectureError(
            "Layer {index} ({call}) gets an input of shape {got}: {last} features, but it expects in_features = "
            "{want}. Set in_features to {last} (or make the layer before give {want}).",
            index=index, fix=_replace(layers, index, fixed), fix_label=_make_label(index, fixed),
            call=call, got=got, last=shape[-1], want=want)
    if spec.kind in ("Conv2d", "MaxPool2d"):
        if ndim not in (3, 4):
            raise ArchitectureError(
                "Layer {index} ({call}) needs images, (N, C, H, W) or (C, H, W), but gets {got} ({ndim}-D). For a "
                "784-number digit use the input shape 4, 1, 28, 28 (one channel of 28 × 28), and keep Flatten() and "
                "Linear layers after the convolutions.", index=index, call=call, got=got, ndim=ndim)
        if spec.kind == "Conv2d" and shape[-3] != args["in_channels"]:
            fixed = spec.with_value("in", shape[-3])
            raise ArchitectureError(
                "Layer {index} ({call}) gets {got}: {channels} channels (dimension {dim}), but in_channels is "
                "{want}. Set in_channels to {channels} (the channels the layer before makes).",
                index=index, fix=_replace(layers, index, fixed), fix_label=_make_label(index, fixed),
                call=call, got=got, channels=shape[-3], dim=ndim - 3, want=args["in_channels"])
        pad = args.get("padding") or 0
        height, width, kernel = shape[-2] + 2 * pad, shape[-1] + 2 * pad, args["kernel_size"]
        if kernel > min(height, width):
            fixed = spec.with_value("kernel", min(height, width))
            fix, fix_label = _replace(layers, index, fixed), _make_label(index, fixed)
            if pad:
                raise ArchitectureError(
                    "Layer {index} ({call}) gets images of {h} × {w} ({height} × {width} with padding), smaller "
                    "than its {kernel} × {kernel} kernel. Use a kernel of at most {most}, remove a pooling layer "
                    "before it, or use a bigger input.", index=index, fix=fix, fix_label=fix_label, call=call,
                    h=shape[-2], w=shape[-1], height=height, width=width, kernel=kernel, most=min(height, width))
            raise ArchitectureError(
                "Layer {index} ({call}) gets images of {h} × {w}, smaller than its {kernel} × {kernel} kernel. Use a "
                "kernel of at most {most}, remove a pooling layer before it, or use a bigger input.", index=index,
                fix=fix, fix_label=fix_label, call=call, h=shape[-2], w=shape[-1], kernel=kernel,
                most=min(height, width))
    if spec.kind.startswith("BatchNorm"):
        want_dims, other = ((2, 3), "BatchNorm2d") if spec.kind == "BatchNorm1d" else ((4,), "BatchNorm1d")
        if ndim not in want_dims:
            if ndim >= 2 and (other == "BatchNorm2d") == (ndim == 4):
                fixed = make_spec(other, [shape[1]], index)
                fix, fix_label = _replace(layers, index, fixed), _make_label(index, fixed)
                if spec.kind == "BatchNorm1d":
                    raise ArchitectureError(
                        "Layer {index} ({call}) gets {got} ({ndim}-D), but BatchNorm1d takes (N, C) or (N, C, L). For "
                        "this input use {use}.", index=index, fix=fix, fix_label=fix_label, call=call, got=got,
                        ndim=ndim, use=fixed.call())
                raise ArchitectureError(
                    "Layer {index} ({call}) gets {got} ({ndim}-D), but BatchNorm2d takes (N, C, H, W). For this input "
                    "use {use}.", index=index, fix=fix, fix_label=fix_label, call=call, got=got, ndim=ndim,
                    use=fixed.call())
            raise ArchitectureError("Layer {index} ({call}) gets {got} ({ndim}-D): it needs a batch dimension first, "
                                    "e.g. 4, 784.", index=index, call=call, got=got, ndim=ndim)
        if shape[1] != args["num_features"]:
            fixed = spec.with_value("in", shape[1])
            raise ArchitectureError(
                "Layer {index} ({call}) gets {got}: {features} features/channels (dimension 1), but num_features is "
                "{want}. Set num_features to {features}.", index=index, fix=_replace(layers, index, fixed),
                fix_label=_make_label(index, fixed), call=call, got=got, features=shape[1],
                want=args["num_features"])
        if training and math.prod(shape) // shape[1] < 2:
            raise ArchitectureError(
                "Layer {index} ({call}) gets {got}: one value per channel. In train() BatchNorm normalises with the "
                "batch's mean and variance, which needs at least 2 values: use a batch of 2 or more (the first size "
                "of the input shape).", index=index, call=call, got=got)
    if spec.kind == "Flatten" and ndim < 2:
        raise ArchitectureError("Layer {index} ({call}) gets {got}: Flatten keeps dimension 0 (the batch) and joins "
                                "the rest, so it needs at least 2 dimensions. Put the batch size first, e.g. 4, 784.",
                                index=index, call=call, got=got)


def _macs(spec: LayerSpec, output: torch.Tensor) -> int:
    args = spec.arguments()
    if spec.kind == "Linear":
        return output.numel() * int(args["in_features"])  # type: ignore[arg-type]
    if spec.kind == "Conv2d":
        return output.numel() * int(args["in_channels"]) * int(args["kernel_size"]) ** 2  # type: ignore[arg-type]
    return output.numel()


# ---------------------------------------------------------------- the whole model, on meta
def check_parameters(layers: list[LayerSpec]) -> list[int]:
    """Each layer's parameter count; refuses a model over MAX_PARAMETERS. Counted by hand first (Python's
    integers cannot overflow), then on the meta device, where the model is built without memory."""
    counts = [parameter_formula(spec)[1] for spec in layers]
    if sum(counts) <= MAX_PARAMETERS:
        with torch.device("meta"):
            counts = [sum(p.numel() for p in layer.parameters()) for layer in build_model(layers)]
    total = sum(counts)
    if total > MAX_PARAMETERS:
        big = max(range(len(layers)), key=counts.__getitem__)
        raise ModelTooLargeError(
            "This model would have {n:,} parameters ({mb:,.1f} MB as float32); this page builds models of up to "
            "{most:,}. Layer {index} ({call}) alone has {alone:,}: make it smaller.", n=total, mb=megabytes(total),
            most=MAX_PARAMETERS, index=big, call=layers[big].call(), alone=counts[big])
    return counts


def trace_shapes(layers: list[LayerSpec], input_shape: tuple[int, ...], training: bool = True) -> list[LayerShape]:
    """Every layer's input and output shape, worked out on the meta device. Raises ArchitectureError
    (a layer cannot take its input) or ModelTooLargeError (parameters, activations or work over budget)."""
    check_count(layers)
    counts = check_parameters(layers)
    with torch.device("meta"):
        model = build_model(layers)
    model.train(training)
    x = torch.empty(input_shape, device="meta")
    shapes, total_macs = [], 0
    for index, (spec, layer) in enumerate(zip(layers, model, strict=True)):
        try:
            check_layer_input(layers, index, tuple(x.shape), training)
            y = layer(x)
        except ArchitectureError as exc:
            exc.traced = shapes
            raise
        except (RuntimeError, ValueError, IndexError) as exc:  # a case the rules above do not foresee
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            error = ArchitectureError("Layer {index} ({call}) cannot take an input of shape {got}: {reason}",
                                      index=index, call=spec.call(), got=shape_text(x.shape), reason=reason)
            error.traced = shapes
            raise error from exc
        if y.numel() > MAX_ACTIVATION:
            raise ModelTooLargeError(
                "Layer {index} ({call}) would output {shape}: {n:,} numbers ({mb:,.1f} MB as float32), more than the "
                "{most:,} this page allows. Use a smaller batch or input, fewer channels, or a stride/pooling to "
                "shrink the maps.", index=index, call=spec.call(), shape=shape_text(y.shape), n=y.numel(),
                mb=megabytes(y.numel()), most=MAX_ACTIVATION)
        total_macs += _macs(spec, y)
        if total_macs > MAX_MACS:
            raise ModelTooLargeError(
                "One forward pass would take over {most:,} multiply-adds (layer {index}, {call}, passes the limit): "
                "too slow to run here. Use a smaller batch or input, or smaller layers.", most=MAX_MACS, index=index,
                call=spec.call())
        buffers = tuple(name for name, _ in layer.named_buffers())
        shapes.append(LayerShape(index, spec.call(), tuple(x.shape), tuple(y.shape), counts[index], _macs(spec, y),
                                 buffers))
        x = y
    return shapes


def insert_layer(layers: list[LayerSpec], position: int, kind: str, input_shape: tuple[int, ...]) -> list[LayerSpec]:
    """The layer list with a new `kind` layer at `position` (0 = first), its sizes taken from the shape that
    arrives there when the layers before fit (a Linear gets in_features = out_features = the incoming size)."""
    position = max(0, min(int(position), len(layers)))
    shape: tuple[int, ...] | None = input_shape
    if position:
        try:
            shape = trace_shapes(layers[:position], input_shape)[-1].output_shape
        except ExplorerError:
            shape = None
    last = shape[-1] if shape else 10
    second = shape[1] if shape and len(shape) >= 2 else 10
    channels = shape[-3] if shape and len(shape) >= 3 else 1
    values = {"Linear": [last, last], "Conv2d": [channels, 8, 3, 1, 1], "MaxPool2d": [2],
              "BatchNorm1d": [second], "BatchNorm2d": [second]}.get(kind, [])
    return check_count([*layers[:position], make_spec(kind, values, position), *layers[position:]])
