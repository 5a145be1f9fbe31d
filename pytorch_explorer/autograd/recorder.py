"""The forward pass, watched: every torch call an expression makes, and a readable line for each.

A `Recorder` is a `TorchFunctionMode`: while it is active, every torch function and tensor method
goes through `__torch_function__`, which runs it and keeps a `Call` (what ran, on what, giving
what, and the value and grad_fn of each output at that moment). The graph module asks it two
questions: which call made this tensor, and which call made this grad_fn. `format_call` writes a
call back as code (`x * w`, `torch.sigmoid(t1)`, `F.cross_entropy(t1, target)`).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch
from torch.overrides import TorchFunctionMode


@dataclass
class Call:
    """One torch operation seen during the forward pass: what ran, on what, giving what."""

    func: object
    args: tuple
    kwargs: dict
    outputs: list[torch.Tensor]
    values: list[torch.Tensor]   # the outputs' values when the call returned (before any in-place change)
    grad_fns: list[object]       # and their grad_fn at that moment (an in-place op replaces it later)

    @property
    def name(self) -> str:
        name = getattr(self.func, "__name__", str(self.func))
        if name == "__get__":  # a tensor property such as x.T
            return getattr(getattr(self.func, "__self__", None), "__name__", "attribute")
        return name

    @property
    def tensor_inputs(self) -> list[torch.Tensor]:
        return tensors_in((self.args, list(self.kwargs.values())))


class Recorder(TorchFunctionMode):
    """Keeps every torch call made while it is active, and which call made each tensor and grad_fn."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []
        self._tensor_made_by: dict[int, tuple[Call, torch.Tensor]] = {}      # id(tensor) -> (call, value)
        self._fn_made_by: dict[object, tuple[Call, torch.Tensor, torch.Tensor]] = {}   # grad_fn -> (call, tensor, value)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        outputs = [t for t in tensors_in(result) if not t.is_meta]   # skip the evaluator's size dry runs
        if outputs:
            call = Call(func, tuple(args), dict(kwargs), outputs,
                        [t.detach().clone() for t in outputs], [t.grad_fn for t in outputs])
            self.calls.append(call)
            inputs = {id(t) for t in call.tensor_inputs}
            for t, value, grad_fn in zip(outputs, call.values, call.grad_fns, strict=True):
                if id(t) not in inputs:                 # x.float() may return x itself: that made nothing
                    self._tensor_made_by.setdefault(id(t), (call, value))
                if grad_fn is not None:
                    self._fn_made_by.setdefault(grad_fn, (call, t, value))
        return result

    def call_that_made(self, t: torch.Tensor) -> tuple[Call, torch.Tensor] | None:
        """The first call that returned `t` (not merely passed it through), with `t`'s value then."""
        return self._tensor_made_by.get(id(t))

    def call_that_made_fn(self, fn: object) -> tuple[Call, torch.Tensor, torch.Tensor] | None:
        """The call whose output got `fn` as grad_fn, that output and its value then (None: made inside a call)."""
        return self._fn_made_by.get(fn)


def tensors_in(value: object) -> list[torch.Tensor]:
    """The tensors in a value, looking inside lists and tuples."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in tensors_in(item)]
    return []


# ----------------------------------------------------------------------------- a call as code
BINARY = {
    "add": "+", "__add__": "+", "sub": "-", "__sub__": "-", "mul": "*", "__mul__": "*",
    "div": "/", "__truediv__": "/", "true_divide": "/", "matmul": "@", "__matmul__": "@",
    "pow": "**", "__pow__": "**", "gt": ">", "__gt__": ">", "lt": "<", "__lt__": "<",
    "ge": ">=", "__ge__": ">=", "le": "<=", "__le__": "<=", "eq": "==", "__eq__": "==",
    "ne": "!=", "__ne__": "!=", "__and__": "&", "__or__": "|",
}
REFLECTED = {"__radd__": "+", "__rsub__": "-", "__rmul__": "*", "__rtruediv__": "/", "__rpow__": "**",
             "__rmatmul__": "@"}


def format_call(call: Call, name_of: dict[int, str]) -> str:
    """A readable line for one recorded call, e.g. `x * w`, `torch.sigmoid(t1)`, `t2.sum(dim=1)`.

    `name_of` maps id(tensor) to the name the graph gave it; other tensors show as `tensor`.
    """

    def arg(value: object) -> str:
        if isinstance(value, torch.Tensor):
            return name_of.get(id(value), "tensor")
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, slice):
            parts = ["" if p is None else arg(p) for p in (value.start, value.stop, value.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
        if value is Ellipsis:
            return "..."
        if isinstance(value, list):
            return "[" + ", ".join(arg(v) for v in value) + "]"
        if isinstance(value, tuple):
            return "(" + ", ".join(arg(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        return repr(value)

    name, args, kwargs = call.name, call.args, without_defaults(call.func, call.kwargs)
    qualname = getattr(call.func, "__qualname__", "")
    module = getattr(call.func, "__module__", None) or ""
    is_method = qualname.startswith(("TensorBase.", "Tensor.", "_TensorBase."))
    if is_method and not kwargs and len(args) == 2 and name in BINARY:
        return f"{arg(args[0])} {BINARY[name]} {arg(args[1])}"
    if is_method and not kwargs and len(args) == 2 and name in REFLECTED:
        return f"{arg(args[1])} {REFLECTED[name]} {arg(args[0])}"
    if is_method and name in ("neg", "__neg__") and len(args) == 1:
        return f"-{arg(args[0])}"
    if name == "__getitem__" and len(args) == 2:
        index = args[1]
        inner = ", ".join(arg(i) for i in index) if isinstance(index, tuple) else arg(index)
        return f"{arg(args[0])}[{inner}]"
    rest = [arg(a) for a in args] + [f"{k}={arg(v)}" for k, v in kwargs.items()]
    if qualname.endswith("__get__") and args:
        return f"{arg(args[0])}.{name}"
    if is_method and args:
        return f"{rest[0]}.{name}({', '.join(rest[1:])})"
    if module.startswith("torch.nn.functional") or module == "torch._C._nn":
        return f"F.{name}({', '.join(rest)})"
    return f"torch.{name}({', '.join(rest)})"


def without_defaults(func: object, kwargs: dict) -> dict:
    """Drop keyword arguments equal to their defaults (F.cross_entropy passes all of them on)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return kwargs
    kept = {}
    for key, value in kwargs.items():
        default = params[key].default if key in params else inspect.Parameter.empty
        same = False
        if default is not inspect.Parameter.empty and not isinstance(value, torch.Tensor):
            try:
                same = value is default or bool(value == default)
            except (TypeError, ValueError, RuntimeError):
                same = False
        if not same:
            kept[key] = value
    return kept
