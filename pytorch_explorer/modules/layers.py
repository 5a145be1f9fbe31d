"""The layers a learner may stack, as plain data, and the one place they become torch.nn modules.

A model is a list of ``LayerSpec`` (a layer's type and its argument values, in torch's order). It
travels in three forms, each checked on the way in:

- table rows (``to_rows`` / ``from_rows``): one row a layer, the columns of the page's editor;
- a compact string (``format_spec`` / ``parse_spec``) such as ``Linear(784,500);ReLU();Linear(500,10)``,
  kept in the page's URL. It is parsed with a regular expression into names from the catalogue and
  plain numbers: nothing in it is ever evaluated;
- ``build_model``: the ``nn.Sequential`` itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

from pytorch_explorer.core.errors import ExplorerError

MAX_LAYERS = 32
MAX_SPEC_CHARS = 2000
MAX_ARGUMENT = 100_000_000  # any size argument; the parameter budget (shapes.py) is the real limit
COLUMNS = ("in", "out", "kernel", "stride", "padding", "p")  # the editor's argument columns, after "layer"
COLUMN_HELP = {
    "in": "Linear: in_features; Conv2d: in_channels; BatchNorm: num_features",
    "out": "Linear: out_features; Conv2d: out_channels",
    "kernel": "Conv2d, MaxPool2d: kernel_size",
    "stride": "Conv2d (default 1), MaxPool2d (default: the kernel size)",
    "padding": "Conv2d: zeros added on each side (default 0)",
    "p": "Dropout: the probability of zeroing each element (default 0.5)",
}


class LayerSpecError(ExplorerError, ValueError):
    """A layer list that cannot be read: the message names the layer and what to write instead."""


@dataclass(frozen=True)
class Arg:
    """One constructor argument: torch's keyword, the editor column holding it, its type and range."""

    name: str
    column: str
    kind: type = int
    low: float = 1
    high: float = MAX_ARGUMENT
    default: float | None = None  # None: required
    optional: bool = False  # may be left out even without a default (MaxPool2d's stride: the kernel size)

    def check(self, value: Any, kind: str, index: int) -> int | float | None:
        """The value as an int or float in range, or None for an optional one left out (a refusal names the
        layer: its index in the model and its type)."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if self.default is not None:
                return self.default
            if self.optional:
                return None
            raise LayerSpecError("Layer {index} ({kind}) needs {arg} (the {column!r} column): fill it in.",
                                 index=index, kind=kind, arg=self.name, column=self.column)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LayerSpecError("Layer {index} ({kind}): {arg} must be a number, not {value!r}.", index=index,
                                 kind=kind, arg=self.name, value=value)
        if self.kind is int:
            if not (math.isfinite(value) and float(value).is_integer()):
                raise LayerSpecError("Layer {index} ({kind}): {arg} must be a whole number, not {value}.",
                                     index=index, kind=kind, arg=self.name, value=value)
            value = int(value)
        elif not math.isfinite(value):
            raise LayerSpecError("Layer {index} ({kind}): {arg} must be a finite number, not {value}.", index=index,
                                 kind=kind, arg=self.name, value=value)
        if not self.low <= value <= self.high:
            raise LayerSpecError("Layer {index} ({kind}): {arg} must be between {low:g} and {high:,}, not {value}.",
                                 index=index, kind=kind, arg=self.name, low=self.low, high=int(self.high), value=value)
        return self.kind(value)


@dataclass(frozen=True)
class LayerKind:
    """A layer type of the catalogue: its arguments in torch's order, and how to build it."""

    name: str
    args: tuple[Arg, ...]
    make: Callable[..., nn.Module]
    what: str  # one line for a learner


def _maxpool(kernel_size: int, stride: int | None = None) -> nn.Module:
    return nn.MaxPool2d(kernel_size, stride)


CATALOGUE: dict[str, LayerKind] = {kind.name: kind for kind in [
    LayerKind("Linear", (Arg("in_features", "in"), Arg("out_features", "out")), nn.Linear,
              "y = x Wᵀ + b on the last dimension: in_features numbers in, out_features out."),
    LayerKind("Conv2d", (Arg("in_channels", "in"), Arg("out_channels", "out"), Arg("kernel_size", "kernel", high=1000),
                         Arg("stride", "stride", high=1000, default=1), Arg("padding", "padding", low=0, high=1000, default=0)),
              nn.Conv2d, "slides out_channels filters of kernel_size × kernel_size over (channels, height, width)."),
    LayerKind("MaxPool2d", (Arg("kernel_size", "kernel", high=1000), Arg("stride", "stride", high=1000, optional=True)),
              _maxpool, "keeps the largest value of each kernel_size × kernel_size window."),
    LayerKind("ReLU", (), nn.ReLU, "max(0, x), element by element."),
    LayerKind("Tanh", (), nn.Tanh, "tanh(x), element by element: outputs in (-1, 1)."),
    LayerKind("Sigmoid", (), nn.Sigmoid, "1 / (1 + e^-x), element by element: outputs in (0, 1)."),
    LayerKind("GELU", (), nn.GELU, "x · Φ(x), a smooth ReLU (used in transformers)."),
    LayerKind("Dropout", (Arg("p", "p", kind=float, low=0.0, high=1.0, default=0.5),), nn.Dropout,
              "in train() zeroes each element with probability p and scales the rest by 1/(1-p); in eval() does nothing."),
    LayerKind("BatchNorm1d", (Arg("num_features", "in"),), nn.BatchNorm1d,
              "normalises each feature of (N, C) or (N, C, L) with batch statistics in train(), running ones in eval()."),
    LayerKind("BatchNorm2d", (Arg("num_features", "in"),), nn.BatchNorm2d,
              "normalises each channel of (N, C, H, W) with batch statistics in train(), running ones in eval()."),
    LayerKind("Flatten", (), nn.Flatten, "(N, C, H, W) → (N, C·H·W): everything after the batch dimension in one row."),
]}
LAYER_TYPES = tuple(CATALOGUE)
_CANONICAL = {name.lower(): name for name in CATALOGUE}


@dataclass(frozen=True)
class LayerSpec:
    """One layer as plain data: its type and every argument's value (defaults filled in, None: left out)."""

    kind: str
    values: tuple[int | float | None, ...] = ()

    @property
    def layer_kind(self) -> LayerKind:
        return CATALOGUE[self.kind]

    def arguments(self) -> dict[str, int | float | None]:
        return {arg.name: value for arg, value in zip(self.layer_kind.args, self.values, strict=True)}

    def shown_values(self) -> tuple[int | float, ...]:
        """The values as written in code: trailing defaults and left-out optionals dropped."""
        shown = list(self.values)
        for arg in reversed(self.layer_kind.args):
            if shown and (shown[-1] is None or shown[-1] == arg.default):
                shown.pop()
            else:
                break
        if None in shown:  # cannot happen with the catalogue (only a trailing argument is optional)
            raise LayerSpecError("{kind}: an argument left out before one given.", kind=self.kind)
        return tuple(shown)  # type: ignore[arg-type]

    def call(self) -> str:
        """As written in Python: ``Linear(784, 500)``, ``Dropout(p=0.5)`` keeps its keyword."""
        values = self.shown_values()
        if self.kind == "Dropout":
            return f"Dropout(p={values[0] if values else 0.5})"
        return f"{self.kind}({', '.join(str(v) for v in values)})"

    def with_value(self, column: str, value: int | float) -> LayerSpec:
        """The same layer with the argument of one editor column changed."""
        args = self.layer_kind.args
        values = tuple(value if arg.column == column else v for arg, v in zip(args, self.values, strict=True))
        return LayerSpec(self.kind, values)


def make_spec(kind: str, values: Iterable[Any] = (), index: int = 0) -> LayerSpec:
    """A checked LayerSpec from a type name (any case) and its positional values (defaults may be left out);
    `index`, the layer's place in the model, names it in a refusal."""
    name = _CANONICAL.get(str(kind).strip().lower())
    if name is None:
        raise LayerSpecError("Layer {index}: {kind!r} is not a layer this page knows. Choose one of {choices}.",
                             index=index, kind=str(kind)[:40], choices=", ".join(LAYER_TYPES))
    args, values = CATALOGUE[name].args, list(values)
    if len(values) > len(args):
        if not args:
            raise LayerSpecError("Layer {index}: {kind} takes no arguments; {n} values were given.", index=index,
                                 kind=name, n=len(values))
        raise LayerSpecError("Layer {index}: {kind} takes {takes}; {n} values were given.", index=index, kind=name,
                             takes=", ".join(a.name for a in args), n=len(values))
    values += [None] * (len(args) - len(values))
    return LayerSpec(name, tuple(arg.check(v, name, index) for arg, v in zip(args, values, strict=True)))


def build_layer(spec: LayerSpec) -> nn.Module:
    values = spec.values
    if spec.kind == "MaxPool2d":
        return _maxpool(*values)  # type: ignore[arg-type]
    return spec.layer_kind.make(*values)


def build_model(layers: Iterable[LayerSpec]) -> nn.Sequential:
    """The nn.Sequential of these layers (on the current default device: wrap in ``torch.device("meta")``
    to build it without memory). Check its size with shapes.trace_shapes first."""
    return nn.Sequential(*(build_layer(spec) for spec in layers))


def parameter_formula(spec: LayerSpec) -> tuple[str, int]:
    """How a layer's parameters are counted by hand, and the count: Linear(784, 500) has
    784 × 500 weights + 500 biases = 392,500."""
    a = spec.arguments()
    if spec.kind == "Linear":
        n_in, n_out = int(a["in_features"]), int(a["out_features"])  # type: ignore[arg-type]
        count = n_in * n_out + n_out
        return f"{n_in:,} × {n_out:,} weights + {n_out:,} biases = {count:,}", count
    if spec.kind == "Conv2d":
        c_in, c_out, k = (int(a[name]) for name in ("in_channels", "out_channels", "kernel_size"))  # type: ignore[arg-type]
        count = c_out * c_in * k * k + c_out
        return f"{c_out:,} filters × {c_in:,} channels × {k} × {k} + {c_out:,} biases = {count:,}", count
    if spec.kind.startswith("BatchNorm"):
        n = int(a["num_features"])  # type: ignore[arg-type]
        return (f"{n:,} scales (weight) + {n:,} shifts (bias) = {2 * n:,}; its running_mean, running_var and "
                "num_batches_tracked are buffers, not parameters", 2 * n)
    return "no parameters", 0



def check_count(layers: list[LayerSpec]) -> list[LayerSpec]:
    if not layers:
        raise LayerSpecError("The model has no layers: add one (or pick a preset).")
    if len(layers) > MAX_LAYERS:
        raise LayerSpecError("The model has {n} layers; this page builds up to {most}. Remove some.", n=len(layers),
                             most=MAX_LAYERS)
    return layers


# ---------------------------------------------------------------- the compact string (URL)
_ITEM = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*(?:\(([^()]*)\))?\s*$")
_INT = re.compile(r"^[+-]?\d{1,12}$")
_FLOAT = re.compile(r"^[+-]?(\d{1,20}(\.\d{0,20})?|\.\d{1,20})([eE][+-]?\d{1,3})?$")


def _number(text: str, index: int) -> int | float:
    text = text.strip()
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    raise LayerSpecError("Layer {index}: {text!r} is not a number.", index=index, text=text[:30])


def _value(part: str, position: int, kind: str, index: int) -> int | float:
    """One argument: a number, or ``name=number`` as Python writes it (Dropout(p=0.3)) with the name of the
    argument at that position."""
    if "=" in part:
        key, part = (piece.strip() for piece in part.split("=", 1))
        args = CATALOGUE[_CANONICAL[kind.lower()]].args if kind.lower() in _CANONICAL else ()
        if position >= len(args) or key != args[position].name:
            raise LayerSpecError("Layer {index}: {key!r}= is not argument {n} of {kind}; write the values in order, "
                                 "e.g. Conv2d(1,6,5) or Dropout(p=0.5).", index=index, key=key[:20], n=position + 1,
                                 kind=kind)
    return _number(part, index)


def parse_spec(text: str) -> list[LayerSpec]:
    """``Linear(784,500);ReLU();Linear(500,10)`` -> LayerSpecs. Strict: only catalogue names and numbers."""
    if not isinstance(text, str) or not text.strip():
        raise LayerSpecError("The architecture is empty: write layers like Linear(784,500);ReLU().")
    if len(text) > MAX_SPEC_CHARS:
        raise LayerSpecError("The architecture text is {n:,} characters long; at most {most:,}.", n=len(text),
                             most=MAX_SPEC_CHARS)
    items = [item for item in text.split(";") if item.strip()]
    if len(items) > MAX_LAYERS:
        raise LayerSpecError("The architecture has {n} layers; this page builds up to {most}.", n=len(items),
                             most=MAX_LAYERS)
    layers = []
    for index, item in enumerate(items):
        match = _ITEM.match(item)
        if not match:
            raise LayerSpecError("Layer {index}: {item!r} is not of the form Name(number, ...), e.g. Linear(784,500) "
                                 "or ReLU().", index=index, item=item.strip()[:40])
        name, inside = match.group(1), (match.group(2) or "").strip()
        values = [_value(part, i, name, index) for i, part in enumerate(inside.split(","))] if inside else []
        layers.append(make_spec(name, values, index))
    return check_count(layers)


def format_spec(layers: Iterable[LayerSpec]) -> str:
    """The compact string of these layers (parse_spec reads it back to the same list)."""
    return ";".join(f"{s.kind}({','.join(repr(v) if isinstance(v, float) else str(v) for v in s.shown_values())})"
                    for s in layers)


# ---------------------------------------------------------------- table rows (the page's editor)
def to_rows(layers: Iterable[LayerSpec]) -> list[dict[str, Any]]:
    """One dict a layer: "layer" and each argument column (None where the layer has no such argument)."""
    rows = []
    for spec in layers:
        row: dict[str, Any] = {"layer": spec.kind, **dict.fromkeys(COLUMNS)}
        for arg, value in zip(spec.layer_kind.args, spec.values, strict=True):
            row[arg.column] = value
        rows.append(row)
    return rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("", "<NA>", "nan")


def from_rows(rows: Iterable[Mapping[str, Any]]) -> tuple[list[LayerSpec], int]:
    """Checked LayerSpecs from editor rows, and how many rows without a layer type were skipped. A column
    the layer does not use is ignored; a missing argument is an error naming the row."""
    layers, skipped = [], 0
    for row in rows:
        kind = row.get("layer")
        if _blank(kind):
            skipped += 1
            continue
        index = len(layers)
        name = _CANONICAL.get(str(kind).strip().lower())
        if name is None:
            make_spec(str(kind), (), index)  # raises, naming the choices
        values = [None if _blank(row.get(arg.column)) else _plain(row.get(arg.column)) for arg in CATALOGUE[name].args]
        layers.append(make_spec(name, values, index))
    return check_count(layers), skipped


def _plain(value: Any) -> Any:
    """numpy / pandas scalars as Python numbers."""
    return value.item() if hasattr(value, "item") else value


# ---------------------------------------------------------------- presets
@dataclass(frozen=True)
class Preset:
    title: str
    spec: str
    input_shape: str
    what: str


PRESETS: dict[str, Preset] = {p.title: p for p in [
    Preset("The article's MLP", "Linear(784,500);ReLU();Linear(500,10)", "4, 784",
           "The article's digit classifier: nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10))."),
    Preset("A small CNN", "Conv2d(1,6,5);ReLU();MaxPool2d(2);Conv2d(6,16,5);ReLU();MaxPool2d(2);Flatten();Linear(256,10)",
           "4, 1, 28, 28", "LeNet-like: two convolutions and poolings take a 28×28 digit to 16 maps of 4×4, "
           "Flatten makes them 256 numbers, a Linear layer gives 10 scores."),
    Preset("MLP with BatchNorm and Dropout", "Linear(784,256);BatchNorm1d(256);ReLU();Dropout(0.5);Linear(256,10)",
           "8, 784", "The article's MLP with the two layers that behave differently in train() and eval()."),
    Preset("A mistake: Linear after Conv2d", "Conv2d(1,6,5);ReLU();Linear(784,10)", "4, 1, 28, 28",
           "A common first CNN bug: the Linear layer gets 4-D feature maps. See the message, and apply its fix."),
]}
DEFAULT_PRESET = "The article's MLP"
