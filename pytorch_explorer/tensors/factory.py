"""Named tensors made from a recipe (`TensorSpec`): a literal, zeros, ones, arange, linspace, eye,
rand, randn, randint or full, with a shape, dtype, device, seed and requires_grad.

`build(spec)` makes the tensor (random ones from their own seeded generator, so the server's
global random state is never touched) and `creation_code(spec)` is the PyTorch line that makes
the same tensor (`torch.manual_seed(0)` then `torch.randn(2, 3)` gives the same numbers).
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass, field

import torch

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.tensors.expressions import evaluate
from pytorch_explorer.tensors.guards import MAX_ELEMENTS

KINDS = ("literal", "zeros", "ones", "full", "arange", "linspace", "eye", "rand", "randn", "randint")
DTYPES = ("float32", "float64", "float16", "bfloat16", "int32", "int64", "bool")
RANDOM_KINDS = ("rand", "randn", "randint")
RESERVED_NAMES = {"torch", "F", "np", "numpy"}


class SpecError(ExplorerError, ValueError):
    """The recipe cannot make a tensor; the message says what to change."""


@dataclass
class TensorSpec:
    name: str
    kind: str = "randn"
    shape: tuple[int, ...] = (2, 3)
    dtype: str = "float32"
    device: str = "cpu"
    seed: int = 0
    literal: str = "[[1, 2], [3, 4]]"
    fill_value: float = 0.0
    start: float = 0.0
    end: float = 10.0
    step: float = 1.0
    steps: int = 5
    low: int = 0
    high: int = 10
    requires_grad: bool = False
    source: str = ""  # for a saved result: the expression that made it
    extra: dict = field(default_factory=dict)


def check_name(name: str, existing: set[str] | None = None) -> str:
    """A tensor name must be a Python identifier a learner can type in an expression."""
    name = (name or "").strip()
    if not name.isidentifier() or keyword.iskeyword(name):
        raise SpecError("{name!r} cannot be a tensor name: use letters, digits and _, starting with a letter (e.g. x2).",
                        name=name)
    if name.startswith("_") or name in RESERVED_NAMES:
        raise SpecError("{name!r} is reserved: choose another name (e.g. x, w, batch).", name=name)
    if existing is not None and name in existing:
        raise SpecError("There is already a tensor called {name!r}: choose another name or delete it first.", name=name)
    return name


def parse_shape(text: str) -> tuple[int, ...]:
    """'2, 3' or '(2, 3)' or '[4]' -> (2, 3); '' -> () (a single number)."""
    cleaned = text.strip().strip("()[]").replace("x", ",").replace("×", ",")
    if not cleaned:
        return ()
    try:
        shape = tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise SpecError("The shape {text!r} should be whole numbers separated by commas, like 2, 3.", text=text) from None
    if any(n < 0 for n in shape):
        raise SpecError("The shape {text!r} has a negative size.", text=text)
    return shape


def _dtype(spec: TensorSpec) -> torch.dtype:
    if spec.dtype not in DTYPES:
        raise SpecError("Unknown dtype {dtype!r}: choose one of {choices}.", dtype=spec.dtype, choices=", ".join(DTYPES))
    return getattr(torch, spec.dtype)


def build(spec: TensorSpec) -> torch.Tensor:
    """Make the tensor a recipe describes, or raise SpecError saying what to change."""
    check_name(spec.name)
    dtype = _dtype(spec)
    floating = dtype.is_floating_point
    if spec.requires_grad and not floating:
        raise SpecError("Only floating-point tensors can require gradients: choose float32 or float64.")
    if spec.kind in ("rand", "randn") and not floating:
        raise SpecError("torch.{kind} makes floating-point numbers: choose a float dtype, or use randint.", kind=spec.kind)
    numel = math.prod(spec.shape) * (spec.shape[0] if spec.kind == "eye" and len(spec.shape) == 1 else 1)
    if spec.kind not in ("literal", "arange", "linspace") and numel > MAX_ELEMENTS:
        raise SpecError("{n:,} elements is more than a tensor may hold here ({most:,}): choose a smaller shape.",
                        n=numel, most=MAX_ELEMENTS)
    g = torch.Generator().manual_seed(int(spec.seed))
    size = tuple(spec.shape)
    if spec.kind == "literal":
        try:
            t = evaluate(f"torch.tensor({spec.literal})", {})
        except ValueError as exc:
            raise SpecError("The literal {literal!r} is not a list of numbers: {reason}", literal=spec.literal,
                            reason=exc) from None
        t = t.to(dtype)
    elif spec.kind == "zeros":
        t = torch.zeros(size, dtype=dtype)
    elif spec.kind == "ones":
        t = torch.ones(size, dtype=dtype)
    elif spec.kind == "full":
        t = torch.full(size, spec.fill_value, dtype=dtype)
    elif spec.kind == "arange":
        if spec.step == 0 or (spec.end - spec.start) / spec.step < 0:
            raise SpecError("arange needs a step that moves from start towards end (and is not 0).")
        count = math.ceil((spec.end - spec.start) / spec.step)
        if count > MAX_ELEMENTS:
            raise SpecError("arange would make {n:,} values; a tensor may hold at most {most:,} here.", n=count,
                            most=MAX_ELEMENTS)
        t = torch.arange(*_arange_args(spec), dtype=dtype)
    elif spec.kind == "linspace":
        if not 0 <= spec.steps <= MAX_ELEMENTS:
            raise SpecError("linspace needs between 0 and {most:,} steps.", most=MAX_ELEMENTS)
        t = torch.linspace(spec.start, spec.end, int(spec.steps), dtype=dtype)
    elif spec.kind == "eye":
        if len(size) not in (1, 2):
            raise SpecError("eye takes a shape of one or two numbers: n, or n, m.")
        t = torch.eye(*size, dtype=dtype)
    elif spec.kind == "rand":
        t = torch.rand(size, generator=g, dtype=dtype)
    elif spec.kind == "randn":
        t = torch.randn(size, generator=g, dtype=dtype)
    elif spec.kind == "randint":
        if spec.low >= spec.high:
            raise SpecError("randint needs low < high (high is excluded).")
        t = torch.randint(int(spec.low), int(spec.high), size, generator=g, dtype=dtype)
    else:
        raise SpecError("Unknown way to make a tensor: {kind!r}; choose one of {choices}.", kind=spec.kind,
                        choices=", ".join(KINDS))
    if spec.device != "cpu":
        from pytorch_explorer.core.devices import resolve_device

        t = t.to(resolve_device(spec.device))
    if spec.requires_grad:
        t.requires_grad_(True)
    return t


def _arange_args(spec: TensorSpec) -> tuple:
    whole = all(float(v).is_integer() for v in (spec.start, spec.end, spec.step))
    values = (spec.start, spec.end, spec.step)
    return tuple(int(v) for v in values) if whole else values


def _size_code(shape: tuple[int, ...]) -> str:
    return ", ".join(str(n) for n in shape) if shape else "()"


def creation_code(spec: TensorSpec) -> str:
    """The PyTorch line(s) that make the same tensor."""
    if spec.source:
        return f"{spec.name} = {spec.source}"
    dtype = "" if spec.dtype == "float32" and spec.kind not in ("literal", "arange", "randint") else f", dtype=torch.{spec.dtype}"
    size = _size_code(tuple(spec.shape))
    if spec.kind == "literal":
        call = f"torch.tensor({spec.literal}{dtype})"
    elif spec.kind in ("zeros", "ones", "rand", "randn"):
        call = f"torch.{spec.kind}({size}{dtype})"
    elif spec.kind == "full":
        call = f"torch.full(({size}{',' if len(spec.shape) == 1 else ''}), {spec.fill_value!r}{dtype})"
    elif spec.kind == "arange":
        call = f"torch.arange({', '.join(repr(v) for v in _arange_args(spec))}{dtype})"
    elif spec.kind == "linspace":
        call = f"torch.linspace({spec.start!r}, {spec.end!r}, {int(spec.steps)}{dtype})"
    elif spec.kind == "eye":
        call = f"torch.eye({size}{dtype})"
    elif spec.kind == "randint":
        call = f"torch.randint({spec.low}, {spec.high}, ({size}{',' if len(spec.shape) == 1 else ''}){dtype})"
    else:
        call = f"# unknown kind {spec.kind}"
    lines = []
    if spec.kind in RANDOM_KINDS:
        lines.append(f"torch.manual_seed({int(spec.seed)})")
    if spec.device != "cpu":
        call += f".to({spec.device!r})"
    if spec.requires_grad:
        call += ".requires_grad_()"
    lines.append(f"{spec.name} = {call}")
    return "\n".join(lines)


def state_code(specs: list[TensorSpec], last_expression: str | None = None) -> str:
    """A script that rebuilds every named tensor, then runs the last operation."""
    lines = ["import torch", "import torch.nn.functional as F", ""]
    lines += [creation_code(spec) for spec in specs]
    if last_expression:
        lines += ["", f"result = {last_expression}", "print(result)"]
    return "\n".join(lines)
