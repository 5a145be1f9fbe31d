"""The operation catalogue: more than 200 torch functions and tensor methods, as data, and its search.

Each entry (`Op`, see `ops`) has a name (`torch.sum`, `Tensor.view`, `torch.linalg.inv`, `F.relu`
is `torch.nn.functional.relu`), a group, a typed signature, a one-line description and its numpy
twin: a plain function plus the numpy code shown (`np.sum({input}, axis={dim})`), or None with a
note saying why there is none. The entries themselves are in `op_table`.

`Op.expression(values)` writes the PyTorch call for chosen parameter values, e.g.
`torch.sum(a, dim=1)`: the page runs it with the safe evaluator and numpy_twin judges it.
"""

from __future__ import annotations

from typing import Any

import torch

from pytorch_explorer.i18n import DEFAULT, translate
from pytorch_explorer.tensors.op_table import CATALOGUE, GROUPS
from pytorch_explorer.tensors.ops import EQUAL_OR_CLOSE, REQUIRED, Op, Param, Twin, parse_signature

__all__ = [
    "CATALOGUE", "EQUAL_OR_CLOSE", "GROUPS", "OPS", "REQUIRED", "Op", "Param", "ParamError", "Twin", "example_call",
    "example_inputs", "example_tensor", "param_text", "parse_signature", "parse_value", "search",
]

OPS: dict[str, Op] = {op.name: op for op in CATALOGUE}


def search(query: str = "", group: str | None = None, lang: str = DEFAULT) -> list[Op]:
    """Catalogue entries whose name, description or group contains every word of the query; in another
    language, the description and group in that language count too (a learner types 平方根 or sqrt)."""
    words = query.lower().split()
    found = []
    for op in CATALOGUE:
        if group and op.group != group:
            continue
        text = f"{op.name} {op.description} {op.group}"
        if lang != DEFAULT:
            text += f" {translate(op.description, lang)} {translate(op.group, lang)}"
        text = text.lower()
        if all(w in text for w in words):
            found.append(op)
    return found


def example_tensor(domain: str, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
    """Random data an op accepts: "float", "positive", "unit" (|x| < 1), "above1", "prob" (0..1),
    "int", "nonzero_int", "small_int", "bool", "index" (0..2), "sorted", "square" (invertible),
    "small_square", "spd" (symmetric positive definite), "special" (with nan and inf)."""
    g = generator if generator is not None else torch.Generator().manual_seed(0)
    if domain == "float":
        return torch.randn(shape, generator=g)
    if domain == "positive":
        return torch.rand(shape, generator=g) * 2 + 0.1
    if domain == "unit":
        return torch.rand(shape, generator=g) * 1.8 - 0.9
    if domain == "above1":
        return torch.rand(shape, generator=g) * 3 + 1.0
    if domain == "prob":
        return torch.rand(shape, generator=g) * 0.9 + 0.05
    if domain == "int":
        return torch.randint(-9, 10, shape, generator=g)
    if domain == "nonzero_int":
        t = torch.randint(1, 10, shape, generator=g)
        return torch.where(torch.rand(shape, generator=g) < 0.5, -t, t)
    if domain == "small_int":
        return torch.randint(0, 4, shape, generator=g)
    if domain == "bool":
        return torch.rand(shape, generator=g) < 0.5
    if domain == "index":
        return torch.randint(0, 3, shape, generator=g)
    if domain == "sorted":
        return torch.sort(torch.randn(shape, generator=g)).values
    if domain in ("square", "small_square"):
        n = shape[-1]
        scale = 0.3 if domain == "small_square" else 1.0
        return torch.randn(shape, generator=g) * scale + (n * torch.eye(n) if domain == "square" else 0)
    if domain == "spd":
        a = torch.randn(shape, generator=g)
        return a @ a.mT + shape[-1] * torch.eye(shape[-1])
    if domain == "special":
        t = torch.randn(shape, generator=g)
        flat = t.view(-1)
        flat[0], flat[1 % flat.numel()], flat[2 % flat.numel()] = float("nan"), float("inf"), float("-inf")
        return t
    raise ValueError(f"unknown domain {domain!r}")


def example_inputs(op: Op, seed: int = 0) -> dict[str, Any]:
    """Tensors for each tensor parameter of op (named after the parameter; lists for list params)."""
    g = torch.Generator().manual_seed(seed)
    inputs: dict[str, Any] = {}
    for param in op.tensor_params:
        domain, shape = op.inputs[param.name]
        if param.kind == "tensors":
            inputs[param.name] = [example_tensor(domain, shape, g) for _ in range(2)]
        else:
            inputs[param.name] = example_tensor(domain, shape, g)
    return inputs


def example_call(op: Op, seed: int = 0) -> tuple[str, dict[str, torch.Tensor]]:
    """An expression for op on example data, and the named tensors it uses (x0, x1, ...)."""
    names: dict[str, torch.Tensor] = {}
    values: dict[str, Any] = {}
    for param, value in example_inputs(op, seed).items():
        if isinstance(value, list):
            values[param] = []
            for t in value:
                name = f"x{len(names)}"
                names[name] = t
                values[param].append(name)
        else:
            name = f"x{len(names)}"
            names[name] = value
            values[param] = name
    return op.expression(values), names


class ParamError(ValueError):
    """A widget's text is not a valid value for its parameter."""


def param_text(op: Op, param: Param) -> str:
    """The text a text widget starts with for this parameter ('' for None)."""
    value = op.start_value(param)
    if value is None:
        return ""
    if isinstance(value, (tuple, list)):
        return ", ".join(str(v) for v in value)
    return str(value)


def parse_value(param: Param, raw: Any) -> Any:
    """The value of a parameter from its widget: text is parsed by kind ('1' -> 1, '2, 3' -> (2, 3))."""
    if not isinstance(raw, str) or param.kind in ("literal", "str", "choice"):
        return raw
    text = raw.strip()
    optional = param.kind.endswith("?")
    kind = param.kind.rstrip("?")
    if optional and text in ("", "None", "none"):
        return None
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "number":
            return float(text) if any(c in text for c in ".eEn") else int(text)
        if kind in ("shape", "dims"):
            parts = [p for p in text.strip("()[] ").replace(" ", "").split(",") if p]
            return tuple(int(p) for p in parts)
    except ValueError:
        example = {"int": "2", "float": "0.5", "number": "3 or 0.5", "shape": "2, 3", "dims": "0, 1"}.get(kind, "")
        raise ParamError(f"{param.name}: {text!r} is not a valid {kind} (for example {example}).") from None
    return raw
