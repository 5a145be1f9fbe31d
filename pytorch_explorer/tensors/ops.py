"""One catalogue entry (`Op`): a torch function or tensor method, its parameters and its numpy twin.

An entry is written as a typed Python signature, `torch.sum(input: Tensor, dim: int | None = None)`,
read with Python's own parser into `Param`s; each annotation says which widget fills the parameter.
`Op.expression(values)` writes the PyTorch call for chosen values (`torch.sum(a, dim=1)`).

Its numpy twin (`Twin`) is a plain Python function of numpy values, named like the parameters,
and the numpy code shown to the learner, e.g.
`Twin(lambda input, dim=None: np.sum(input, axis=dim), "np.sum({input}, axis={dim})")`.
The function's defaults are the ones its numpy code has when a parameter is not given (the code
leaves out a keyword the call did not give; `{dim:keep}` shows the default instead). An entry
may have several twins, the first whose `when` accepts the call's arguments is used.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

EQUAL_OR_CLOSE = ("equal", "close")
FLOAT_DEFAULT_NOTE = "numpy's default float is float64, PyTorch's is float32: here torch gives float32 and numpy float64."
"""The note of ops whose numpy twin makes float64 where PyTorch makes float32; shown only when it does."""


class NoTwin(Exception):
    """This expression (or a part of it) has no numpy twin; the message says which part and why."""


class _Required:
    """A singleton: copies (Streamlit copies widget options) are the same object."""

    def __repr__(self) -> str:
        return "REQUIRED"

    def __copy__(self) -> _Required:
        return self

    def __deepcopy__(self, memo: dict) -> _Required:
        return self

    def __reduce__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()
"""Default of a parameter the call must give."""

# Widget kinds, from a parameter's annotation in the signature.
_KINDS = {
    "Tensor": "tensor", "Tensor | None": "tensor?", "list[Tensor]": "tensors", "int": "int",
    "int | None": "int?", "float": "float", "float | None": "float?", "number": "number", "number | None": "number?",
    "bool": "bool", "str": "str", "dtype": "dtype", "dtype | None": "dtype?", "shape": "shape",
    "dims": "dims", "dims | None": "dims?", "literal": "literal",
}


@dataclass(frozen=True)
class Twin:
    """A numpy twin: `fn(**arguments)` computes it, `code` (with `{param}` holes) shows it."""

    fn: Callable[..., Any]
    code: str
    when: Callable[[dict[str, Any]], bool] | None = None  # given arguments -> does this twin apply?


def given(name: str, value: Any = None) -> Callable[[dict[str, Any]], bool]:
    """A `when` test: the call gave `name` (equal to `value`, compared as text, if one is named)."""
    if value is None:
        return lambda arguments: name in arguments
    return lambda arguments: name in arguments and str(arguments[name]) == str(value)


def given_array(name: str) -> Callable[[dict[str, Any]], bool]:
    """A `when` test: the call gave an array (not a number) for `name`."""
    return lambda arguments: isinstance(arguments.get(name), np.ndarray)


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # tensor(s), int, float, number, bool, str, dtype, shape, dims, choice, literal (`?`: may be None)
    default: Any = REQUIRED
    choices: tuple = ()
    varargs: bool = False
    keyword_only: bool = False

    @property
    def is_tensor(self) -> bool:
        return self.kind in ("tensor", "tensor?", "tensors")


@dataclass(frozen=True)
class Op:
    name: str
    group: str
    signature: str
    description: str
    twin: tuple[Twin, ...] | None  # None: no numpy twin, and `note` says why
    note: str = ""  # why there is no twin, or where the twin differs by design
    params: tuple[Param, ...] = ()
    call: str = ""  # torch expression template when the call is not the plain signature
    inputs: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)  # test data per tensor param
    example: dict[str, Any] = field(default_factory=dict)  # starting values of the other params
    expect: tuple[str, ...] = EQUAL_OR_CLOSE

    @property
    def tensor_params(self) -> list[Param]:
        return [p for p in self.params if p.is_tensor]

    @property
    def is_method(self) -> bool:
        return self.name.startswith("Tensor.")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if p.default is not REQUIRED}

    def start_value(self, param: Param) -> Any:
        """The value a widget starts at: the example, else the default."""
        if param.name in self.example:
            return self.example[param.name]
        return None if param.default is REQUIRED else param.default

    def expression(self, values: dict[str, Any]) -> str:
        """The PyTorch code for these parameter values (tensors are given by their names, as str).

        Parameters equal to their default are left out; the required ones are positional, the
        optional ones (and any `dim`) keywords: `torch.sum(a, dim=1)`, `torch.transpose(a, 0, 1)`.
        """
        parts: list[str] = []
        keyword = False
        receiver = ""
        for i, param in enumerate(self.params):
            value = values.get(param.name, self.start_value(param))
            if self.is_method and i == 0:
                receiver = str(value)
                continue
            if param.default is not REQUIRED and _same(value, param.default):
                keyword = True
                continue
            text = _code(value, param)
            if param.varargs:
                items = list(value) if isinstance(value, (list, tuple)) else [value]
                parts.extend(_code(v, param) if param.kind in ("tensors",) else repr(v) for v in items)
            elif keyword or param.keyword_only or (param.default is not REQUIRED and i > 0) or param.name == "dim":
                keyword = True
                parts.append(f"{param.name}={text}")
            else:
                parts.append(text)
        args = ", ".join(parts)
        if self.call:
            return self.call.format(args=args, **{p.name: _code(values.get(p.name, self.start_value(p)), p)
                                                  for p in self.params})
        if self.is_method:
            return f"{receiver}.{self.name.split('.', 1)[1]}({args})"
        short = self.name.replace("torch.nn.functional.", "F.")
        return f"{short}({args})"


def _same(value: Any, default: Any) -> bool:
    try:
        return type(value) is type(default) and value == default or (value is None and default is None)
    except Exception:  # noqa: BLE001 - tensors and the like
        return False


def _code(value: Any, param: Param) -> str:
    if param.kind in ("tensor", "tensor?", "literal"):
        return "None" if value is None else str(value)
    if param.kind == "tensors":
        return "[" + ", ".join(str(v) for v in value) + "]" if isinstance(value, (list, tuple)) else str(value)
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, list):
        return repr(tuple(value))
    return repr(value)


def parse_signature(signature: str) -> tuple[str, tuple[Param, ...]]:
    """`torch.sum(input: Tensor, dim: int | None = None)` -> name and parameters (our own text)."""
    name, _, rest = signature.partition("(")
    tree = ast.parse(f"def f({rest[:-1]}): pass").body[0]
    assert isinstance(tree, ast.FunctionDef)
    a = tree.args
    params: list[Param] = []
    positional = a.posonlyargs + a.args
    defaults = [REQUIRED] * (len(positional) - len(a.defaults)) + [ast.literal_eval(_dtype_free(d)) for d in a.defaults]
    for arg, default in zip(positional, defaults, strict=True):
        params.append(_param(arg, default, signature))
    if a.vararg is not None:
        params.append(_param(a.vararg, REQUIRED, signature, varargs=True))
    for arg, default in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        value = REQUIRED if default is None else ast.literal_eval(_dtype_free(default))
        params.append(_param(arg, value, signature, keyword_only=True))
    return name.strip(), tuple(params)


def _dtype_free(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "torch":
        return ast.Constant(f"torch.{node.attr}")
    return node


def _param(arg: ast.arg, default: Any, signature: str, **flags: bool) -> Param:
    annotation = ast.unparse(arg.annotation) if arg.annotation is not None else "Tensor"
    if isinstance(default, str) and default.startswith("torch."):
        default = getattr(torch, default[6:])
    if annotation.startswith("Literal["):
        choices = ast.literal_eval(annotation[len("Literal"):].replace("[", "(", 1)[:-1] + ",)")
        return Param(arg.arg, "choice", default, tuple(choices), **flags)
    if annotation not in _KINDS:
        raise ValueError(f"unknown annotation {annotation!r} in {signature}")
    kind = _KINDS[annotation]
    if flags.get("varargs") and kind == "tensor":
        kind = "tensors"
    if flags.get("varargs") and kind == "int":
        kind = "shape"
    return Param(arg.arg, kind, default, **flags)

def make_op(signature: str, group: str, description: str, twin: Twin | tuple[Twin, ...] | None, note: str = "", *,
            call: str = "", inputs: dict[str, Any] | None = None, example: dict[str, Any] | None = None,
            expect: tuple[str, ...] | str = EQUAL_OR_CLOSE) -> Op:
    """An entry from its signature text; `inputs` gives the test data of tensor params ("float", (3, 4))."""
    name, params = parse_signature(signature)
    if name.startswith("F."):
        name = "torch.nn.functional." + name[2:]
    spec: dict[str, tuple[str, tuple[int, ...]]] = {}
    for p in params:
        if p.is_tensor:
            given_input = (inputs or {}).get(p.name, "float")
            spec[p.name] = (given_input, (3, 4)) if isinstance(given_input, str) else given_input
    twins = (twin,) if isinstance(twin, Twin) else twin
    return Op(name, group, signature.replace("torch.nn.functional.", "F."), description, twins, note,
              params, call, spec, example or {}, (expect,) if isinstance(expect, str) else expect)
