"""The numpy twin of a PyTorch expression: the same computation done with numpy, its code, a verdict.

`run_with_twin("torch.softmax(a, dim=1)", {"a": tensor})` runs the expression with the safe
evaluator, then walks the same tree again (`language.Walker`) with the numpy backend below, on
numpy copies of the tensors taken before the run. Each torch function or tensor method becomes
its twin from the catalogue (`catalogue.OPS`): a plain Python function on numpy values, and the
numpy code shown, e.g. `np.sum({input}, axis={dim})` filled in with the code of the arguments.
The result is the numpy value and the numpy code (`np.exp(a) / ...`), or the reason there is no
twin.

`compare(torch_value, numpy_value)` gives the verdict: equal, close within tolerance (with the
largest difference), or differs (with the largest difference, or the shapes that differ).
"""

from __future__ import annotations

import ast
import copy
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import torch

from pytorch_explorer.tensors.allowed import ALLOWED_CONSTANTS
from pytorch_explorer.tensors.catalogue import OPS, REQUIRED, Op, Twin
from pytorch_explorer.tensors.cost import MAX_SECONDS, MAX_STEP_NS, MAX_TOTAL_NS, step_ns
from pytorch_explorer.tensors.expressions import MAX_ELEMENTS, ExpressionError, UnsafeExpressionError, evaluate
from pytorch_explorer.tensors.language import BINARY_OPERATORS, COMPARISONS, UNARY_OPERATORS, Walker
from pytorch_explorer.tensors.ops import FLOAT_DEFAULT_NOTE, NoTwin

__all__ = [
    "CLOSE", "DIFFERS", "EQUAL", "NO_TWIN", "ExpressionError", "NoTwin", "NumpySide", "UnsafeExpressionError",
    "Verdict", "compare", "numpy_side", "run_with_twin", "to_numpy",
]

EQUAL, CLOSE, DIFFERS, NO_TWIN = "equal", "close", "differs", "no numpy equivalent"

NUMPY_DTYPES: dict[torch.dtype, Any] = {
    torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
    torch.bfloat16: np.float32, torch.int8: np.int8, torch.int16: np.int16, torch.int32: np.int32,
    torch.int64: np.int64, torch.uint8: np.uint8, torch.bool: np.bool_,
    torch.complex64: np.complex64, torch.complex128: np.complex128,
}
# Tensor properties and their numpy spelling.
_ATTRIBUTE_TWINS = {
    "T": Twin(lambda self: self.T, "{self}.T"),
    "mT": Twin(lambda self: np.swapaxes(self, -1, -2), "np.swapaxes({self}, -1, -2)"),
    "shape": Twin(lambda self: self.shape, "{self}.shape"),
    "ndim": Twin(lambda self: self.ndim, "{self}.ndim"),
    "dtype": Twin(lambda self: self.dtype, "{self}.dtype"),
    "real": Twin(lambda self: self.real, "{self}.real"),
    "imag": Twin(lambda self: self.imag, "{self}.imag"),
    "data": Twin(lambda self: self, "{self}"),
    "H": Twin(lambda self: self.conj().T, "{self}.conj().T"),
    "mH": Twin(lambda self: np.swapaxes(self.conj(), -1, -2), "np.swapaxes({self}.conj(), -1, -2)"),
}
# Position of each named field of torch's result tuples (values, indices), (U, S, Vh), ...
_FIELD_INDEX = {
    "values": 0, "indices": 1, "Q": 0, "R": 1, "U": 0, "S": 1, "Vh": 2, "L": 0, "eigenvalues": 0,
    "eigenvectors": 1, "sign": 0, "logabsdet": 1, "solution": 0, "mantissa": 0, "exponent": 1,
    "min": 0, "max": 1,
}


@dataclass(frozen=True)
class Verdict:
    kind: str  # EQUAL, CLOSE, DIFFERS or NO_TWIN
    message: str
    max_difference: float | None = None


@dataclass
class NumpySide:
    """The numpy side of one expression: code and value, or why there is none; notes on design."""

    code: str | None
    value: Any = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)


class Numpy(NamedTuple):
    """A value of the numpy walk: the numpy value and the numpy code that computes it."""

    value: Any
    code: ast.expr


def to_numpy(value: Any) -> Any:
    """A numpy copy of a tensor (bfloat16 becomes float32: numpy has no bfloat16); others as they are."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().resolve_conj().resolve_neg()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return np.array(t.numpy(), copy=True)
    return value


def run_with_twin(source: str, tensors: Mapping[str, Any]) -> tuple[Any, NumpySide, Verdict]:
    """Evaluate an expression safely, compute its numpy twin on the same data, and judge them.

    The data is copied to numpy first (in-place methods change the tensors), then the safe
    evaluator runs the expression (raising what it raises), and only then the twin runs.
    """
    arrays = {k: to_numpy(v) for k, v in tensors.items()}
    result = evaluate(source, tensors)
    bf16 = any(isinstance(v, torch.Tensor) and v.dtype == torch.bfloat16 for v in tensors.values())
    twin = numpy_side(source, arrays, bf16)
    if twin.code is None:
        return result, twin, Verdict(NO_TWIN, twin.reason)
    if _float32_vs_float64(result, twin.value):
        twin.notes.append(FLOAT_DEFAULT_NOTE)
    return result, twin, compare(result, twin.value)


def _float32_vs_float64(torch_value: Any, numpy_value: Any) -> bool:
    """Whether torch gives float32 (or complex64) where numpy gives float64 (complex128), anywhere in the result."""
    if isinstance(torch_value, (tuple, list)) and isinstance(numpy_value, (tuple, list)):
        return any(_float32_vs_float64(t, n) for t, n in zip(torch_value, numpy_value, strict=False))
    if not isinstance(torch_value, torch.Tensor):
        return False
    numpy_dtype = getattr(numpy_value, "dtype", None)
    return (torch_value.dtype, numpy_dtype) in ((torch.float32, np.float64), (torch.complex64, np.complex128))


def numpy_side(source: str, arrays: dict[str, Any], bfloat16_names: bool = False) -> NumpySide:
    """The numpy twin of an expression that `expressions.evaluate` has already accepted and run.

    Only call it after the evaluator ran the same source: the evaluator's caps (sizes, exponents,
    work) are what keep this walk small, since it does the same Python arithmetic and the same
    array shapes.
    """
    backend = NumpyBackend(arrays)
    try:
        value, code = Walker(backend, arrays).run(ast.parse(source.strip(), mode="eval"))
    except NoTwin as exc:
        return NumpySide(None, reason=str(exc), notes=backend.notes)
    except Exception as exc:  # noqa: BLE001 - numpy's own error: say it, do not crash the page
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return NumpySide(None, reason=f"numpy could not run its twin: {text}", notes=backend.notes)
    if isinstance(value, torch.dtype):
        value = NUMPY_DTYPES.get(value, value)
    notes = list(dict.fromkeys(backend.notes))
    if bfloat16_names:
        notes.append("numpy has no bfloat16: bfloat16 tensors were compared as float32 arrays.")
    return NumpySide(ast.unparse(code), value, notes=notes)


# ------------------------------------------------------------------ the numpy backend
class NumpyBackend:
    """Each operation done by numpy; every value is a `Numpy(value, code)` pair."""

    shows_every_branch = True  # the code shows both sides of `if`, `and`, `or`

    def __init__(self, arrays: Mapping[str, Any]):
        self.arrays = arrays
        self.notes: list[str] = []
        self.spent_ns = 0.0
        self.started = time.monotonic()

    def check_cost(self, name: str, inputs: tuple, kwargs: dict) -> None:
        """No twin rather than a twin that takes too long (numpy's float16 matmul has no BLAS: ~80x torch)."""
        if time.monotonic() - self.started > MAX_SECONDS:
            raise NoTwin(f"The numpy twin would take too long (over {MAX_SECONDS:g} s).")
        ns = step_ns(name, inputs, kwargs, numpy=True)
        self.spent_ns += ns
        if ns > MAX_STEP_NS or self.spent_ns > MAX_TOTAL_NS:
            raise NoTwin(f"The numpy twin would take too long here (about {max(ns, self.spent_ns) / 1e9:.3g} s of "
                         f"computing; the limit is {MAX_STEP_NS / 1e9:.3g} s).")

    def constant(self, node: ast.Constant) -> Numpy:
        return Numpy(node.value, ast.Constant(node.value))

    def name(self, node: ast.Name) -> Numpy:
        if node.id in self.arrays:
            return Numpy(self.arrays[node.id], ast.Name(node.id))
        raise NoTwin(f"`{node.id}` has no numpy twin.")

    def sequence(self, node: ast.List | ast.Tuple, items: list[Numpy]) -> Numpy:
        values = [i.value for i in items]
        if isinstance(node, ast.List):
            return Numpy(values, ast.List([i.code for i in items]))
        return Numpy(tuple(values), ast.Tuple([i.code for i in items]))

    def slice(self, node: ast.Slice, parts: list[Numpy | None]) -> Numpy:
        return Numpy(slice(*[None if p is None else p.value for p in parts]),
                     ast.Slice(*[None if p is None else p.code for p in parts]))

    def truth(self, node: ast.AST, value: Numpy) -> bool:
        return bool(value.value)

    def unary(self, node: ast.UnaryOp, operand: Numpy) -> Numpy:
        if isinstance(node.op, ast.Not):
            return Numpy(not operand.value, ast.UnaryOp(ast.Not(), operand.code))
        return Numpy(UNARY_OPERATORS[type(node.op)](operand.value), ast.UnaryOp(node.op, operand.code))

    def binary(self, node: ast.BinOp, left: Numpy, right: Numpy) -> Numpy:
        _check_broadcast(left.value, right.value)
        self.check_cost("matmul" if isinstance(node.op, ast.MatMult) else "add", (left.value, right.value), {})
        return Numpy(BINARY_OPERATORS[type(node.op)](left.value, right.value), ast.BinOp(left.code, node.op, right.code))

    def compare(self, node: ast.Compare, op: ast.cmpop, left: Numpy, right: Numpy) -> Numpy:
        return Numpy(COMPARISONS[type(op)](left.value, right.value), ast.Constant(None))

    def chain(self, node: ast.Compare, first: Numpy, steps: list[tuple[ast.cmpop, Numpy]], result: Numpy) -> Numpy:
        return Numpy(result.value, ast.Compare(first.code, [op for op, _ in steps], [right.code for _, right in steps]))

    def either(self, node: ast.AST, test: Numpy | None, chosen: Numpy, values: list[Numpy]) -> Numpy:
        if isinstance(node, ast.BoolOp):
            return Numpy(chosen.value, ast.BoolOp(node.op, [v.code for v in values]))
        assert test is not None
        return Numpy(chosen.value, ast.IfExp(test.code, values[0].code, values[1].code))

    def subscript(self, node: ast.Subscript, value: Numpy, index: Numpy) -> Numpy:
        i = np.asarray(index.value) if isinstance(index.value, list) else index.value
        return Numpy(value.value[i], ast.Subscript(value.code, index.code))

    def torch_value(self, node: ast.Attribute, path: str) -> Numpy:
        constant = ALLOWED_CONSTANTS.get(path)
        if isinstance(constant, torch.dtype):
            if constant == torch.bfloat16:
                self.notes.append("numpy has no bfloat16; its twin uses float32.")
            return Numpy(NUMPY_DTYPES[constant], _dtype_code(constant))
        if isinstance(constant, float):
            return Numpy(constant, ast.parse(f"np.{path.split('.')[1]}", mode="eval").body)
        raise NoTwin(f"`{path}` has no numpy twin.")

    def attribute(self, node: ast.Attribute, value: Numpy) -> Numpy:
        if isinstance(value.value, tuple) and node.attr in _FIELD_INDEX:
            i = _FIELD_INDEX[node.attr]
            if isinstance(value.code, ast.Tuple) and i < len(value.code.elts):
                return Numpy(value.value[i], value.code.elts[i])
            return Numpy(value.value[i], ast.Subscript(value.code, ast.Constant(i)))
        twin = _ATTRIBUTE_TWINS.get(node.attr)
        if twin is None:
            raise NoTwin(f"`.{node.attr}` has no numpy twin.")
        return _apply(twin, {"self": value}, {})

    def function(self, node: ast.Call, path: str, written: str) -> tuple[Op | None, str, list[Numpy]]:
        return OPS.get(path), written, []

    def method(self, node: ast.Call, receiver: Numpy) -> tuple[Op | None, str, list[Numpy]]:
        name = node.func.attr  # type: ignore[attr-defined]
        return OPS.get(f"Tensor.{name}") or OPS.get(f"torch.{name}"), f"Tensor.{name}", [receiver]

    def call(self, node: ast.Call, callee: tuple, args: list[Numpy], kwargs: dict[str, Numpy]) -> Numpy:
        op, shown, receiver = callee
        if op is None:
            raise NoTwin(f"`{shown}` is not in the catalogue, so it has no numpy twin here.")
        if op.twin is None:
            raise NoTwin(f"`{shown}`: {op.note or 'numpy has no equivalent.'}")
        if op.note and op.note != FLOAT_DEFAULT_NOTE:  # that one is said only if the result shows it
            self.notes.append(f"{op.name}: {op.note}")
        self.check_cost(op.name.rsplit(".", 1)[-1], tuple(a.value for a in [*receiver, *args]),
                        {k: v.value for k, v in kwargs.items()})
        bound = _bind(op, [*receiver, *args], kwargs)
        return _apply(_choose(op, bound), bound, op.defaults())


def _bind(op: Op, args: list[Numpy], kwargs: dict[str, Numpy]) -> dict[str, Any]:
    """Match call arguments to the catalogue signature: {param: Numpy}, varargs as one tuple."""
    bound: dict[str, Any] = {}
    positional = [p for p in op.params if not p.keyword_only]
    rest = list(args)
    for param in positional:
        if not rest:
            break
        if param.varargs:
            if len(rest) == 1 and isinstance(rest[0].value, (list, tuple)) and param.kind in ("shape", "dims"):
                bound[param.name] = rest[0]
            else:
                bound[param.name] = Numpy(tuple(r.value for r in rest), [r.code for r in rest])  # type: ignore[arg-type]
            rest = []
            break
        if (param.kind in ("shape", "dims") and param is positional[-1] and len(rest) > 1
                and all(isinstance(r.value, int) for r in rest)):  # a.reshape(3, 2), a.permute(1, 0)
            bound[param.name] = Numpy(tuple(r.value for r in rest), ast.Tuple([r.code for r in rest]))
            rest = []
            break
        bound[param.name] = rest.pop(0)
    if rest:
        raise NoTwin(f"`{op.name}`: the numpy twin does not take that many arguments.")
    names = {p.name for p in op.params}
    for key, value in kwargs.items():
        if key not in names:
            raise NoTwin(f"`{op.name}`: the numpy twin does not handle the argument `{key}`.")
        bound[key] = value
    for param in op.params:
        if param.name not in bound and param.default is REQUIRED:
            raise NoTwin(f"`{op.name}` needs `{param.name}`.")
    return bound


def _choose(op: Op, bound: dict[str, Numpy]) -> Twin:
    """The op's first twin whose `when` accepts the given arguments."""
    given = {name: arg.value for name, arg in bound.items()}
    for twin in op.twin or ():
        if twin.when is None or twin.when(given):
            return twin
    raise NoTwin(f"`{op.name}` has no numpy twin for these arguments.")


def _apply(twin: Twin, bound: dict[str, Numpy], defaults: dict[str, Any]) -> Numpy:
    """Run the twin's function on the given values, and fill its code with the given code."""
    result = twin.fn(**{name: _numpy_dtype(arg.value) for name, arg in bound.items()})
    for array in (result if isinstance(result, (tuple, list)) else [result]):
        if isinstance(array, np.ndarray) and array.size > MAX_ELEMENTS:
            raise NoTwin("The numpy twin would be too large.")
    return Numpy(result, fill_code(twin.code, {name: arg.code for name, arg in bound.items()}, defaults))


def fill_code(text: str, given: dict[str, ast.expr | list[ast.expr]], defaults: dict[str, Any]) -> ast.expr:
    """The twin's code with `{name}` replaced by the code given for it.

    A keyword argument (or trailing positional one) whose parameter the call did not give is
    left out, so numpy uses its own default: `np.sum({input}, axis={dim})` is `np.sum(a)` for
    `torch.sum(a)`. Elsewhere, and for `{name:keep}`, the catalogue's default is written.
    """
    source = text
    for name in given:
        source = source.replace("{" + name + "}", f"__p_{name}").replace("{" + name + ":keep}", f"__p_{name}")
    for name in defaults:
        source = source.replace("{" + name + ":keep}", f"__k_{name}").replace("{" + name + "}", f"__u_{name}")
    if "{" in source:
        raise NoTwin(f"The numpy twin needs `{source[source.index('{') + 1: source.index('}')]}`.")
    tree = ast.parse(source, mode="eval")
    codes: dict[str, Any] = {f"__p_{k}": v for k, v in given.items()}
    for k, v in defaults.items():
        codes[f"__u_{k}"] = codes[f"__k_{k}"] = _dtype_code(v) if isinstance(v, torch.dtype) else ast.Constant(v)
    return _FillIn(codes).visit(tree).body


class _FillIn(ast.NodeTransformer):
    """Drop unbound keyword and trailing arguments, put each argument's code in its place."""

    def __init__(self, codes: dict[str, Any]):
        self.codes = codes

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.codes:
            code = self.codes[node.id]
            return ast.Tuple(list(code)) if isinstance(code, list) else copy.deepcopy(code)
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        node.keywords = [k for k in node.keywords if not _is_unbound(k.value)]
        while node.args and _is_unbound(node.args[-1]):
            node.args.pop()
        self.generic_visit(node)
        args: list[ast.expr] = []
        for arg in node.args:  # `*{operands}` spreads the argument codes: np.einsum('ij', a, b)
            if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Tuple):
                args.extend(arg.value.elts)
            else:
                args.append(arg)
        node.args = args
        return node


def _is_unbound(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id.startswith("__u_")


def _numpy_dtype(value: Any) -> Any:
    return NUMPY_DTYPES.get(value, value) if isinstance(value, torch.dtype) else value


def _dtype_code(dtype: torch.dtype) -> ast.expr:
    return ast.parse(f"np.{np.dtype(NUMPY_DTYPES[dtype]).name if dtype != torch.bool else 'bool_'}", mode="eval").body


def _check_broadcast(left: Any, right: Any) -> None:
    shapes = [np.shape(v) for v in (left, right) if isinstance(v, np.ndarray)]
    if len(shapes) == 2:
        try:
            out = np.broadcast_shapes(*shapes)
        except ValueError:
            return  # numpy raises its own error
        if math.prod(out) > MAX_ELEMENTS:
            raise NoTwin("The numpy twin would be too large.")


# ------------------------------------------------------------------ verdicts
def _tolerance(*dtypes: Any) -> tuple[float, float]:
    """rtol, atol for comparing values of these dtypes (the loosest one wins)."""
    rtol, atol = 1e-9, 1e-12
    for dtype in dtypes:
        name = str(dtype)
        if "float16" in name or "bfloat16" in name:
            rtol, atol = max(rtol, 1e-2), max(atol, 1e-3)
        elif "float32" in name or "complex64" in name:
            rtol, atol = max(rtol, 1e-4), max(atol, 1e-5)
        elif "float" in name or "complex" in name:
            rtol, atol = max(rtol, 1e-7), max(atol, 1e-9)
    return rtol, atol


def compare(torch_value: Any, numpy_value: Any) -> Verdict:
    """Equal, close (within a tolerance that fits the dtypes) or differs, with the largest difference."""
    if isinstance(torch_value, (tuple, list)) and not isinstance(torch_value, torch.Size):
        if not isinstance(numpy_value, (tuple, list)) or len(numpy_value) != len(torch_value):
            return Verdict(DIFFERS, f"torch gives {len(torch_value)} results, numpy "
                                    f"{len(numpy_value) if isinstance(numpy_value, (tuple, list)) else 1}.")
        verdicts = [compare(t, n) for t, n in zip(torch_value, numpy_value, strict=True)]
        worst = max(verdicts, key=lambda v: [EQUAL, CLOSE, DIFFERS].index(v.kind) if v.kind != NO_TWIN else 3)
        diffs = [v.max_difference for v in verdicts if v.max_difference is not None]
        return Verdict(worst.kind, worst.message, max(diffs) if diffs else None)
    if isinstance(torch_value, torch.dtype):
        same = NUMPY_DTYPES.get(torch_value) == np.dtype(numpy_value).type if _is_dtype(numpy_value) else False
        return Verdict(EQUAL if same else DIFFERS, f"torch {torch_value} vs numpy {numpy_value}")
    t = to_numpy(torch_value)
    try:
        n = np.asarray(numpy_value)
        t = np.asarray(t)
    except Exception:  # noqa: BLE001 - not array-like
        return Verdict(EQUAL if torch_value == numpy_value else DIFFERS, f"torch {torch_value!r} vs numpy {numpy_value!r}")
    if t.dtype == object or n.dtype == object:
        return Verdict(EQUAL if str(t) == str(n) else DIFFERS, "compared as text")
    if t.shape != n.shape:
        return Verdict(DIFFERS, f"the shapes differ: torch {tuple(t.shape)} vs numpy {tuple(n.shape)}.")
    dtype_note = "" if t.dtype == n.dtype else f" (dtypes: torch {_torch_dtype_name(torch_value, t)}, numpy {n.dtype})"
    if t.size == 0:
        return Verdict(EQUAL, f"both empty{dtype_note}.", 0.0)
    if t.dtype == np.bool_ or n.dtype == np.bool_:
        t, n = t.astype(np.int64), n.astype(np.int64)
    t_num = t.astype(np.complex128) if np.iscomplexobj(t) or np.iscomplexobj(n) else t.astype(np.float64)
    n_num = n.astype(t_num.dtype)
    both_nan = np.isnan(t_num) & np.isnan(n_num)
    same_inf = np.isinf(t_num) & np.isinf(n_num) & (t_num == n_num)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.where(both_nan | same_inf, 0.0, np.abs(t_num - n_num))
    diff = np.where(np.isnan(diff), np.inf, diff)
    max_diff = float(np.max(diff))
    if max_diff == 0.0:
        return Verdict(EQUAL, f"the values are identical{dtype_note}.", 0.0)
    rtol, atol = _tolerance(t.dtype, n.dtype)
    if np.all(diff <= atol + rtol * np.abs(np.where(both_nan | same_inf, 0, n_num))):
        return Verdict(CLOSE, f"largest difference {max_diff:.3g}, within rtol={rtol:g}, atol={atol:g}{dtype_note}.",
                       max_diff)
    return Verdict(DIFFERS, f"largest difference {max_diff:.4g}{dtype_note}.", max_diff)


def _is_dtype(value: Any) -> bool:
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def _torch_dtype_name(torch_value: Any, fallback: np.ndarray) -> str:
    if isinstance(torch_value, torch.Tensor):
        return str(torch_value.dtype).replace("torch.", "")
    return str(fallback.dtype)
