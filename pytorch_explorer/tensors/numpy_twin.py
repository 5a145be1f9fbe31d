"""The numpy twin of a PyTorch expression: the same computation done with numpy, its code, a verdict.

`run_with_twin("torch.softmax(a, dim=1)", {"a": tensor})` runs the expression with the safe
evaluator, then walks the same expression tree again with numpy arrays (copies of the tensors'
data taken before the run), replacing each torch
function or tensor method by its twin from the catalogue (`tensor_ops.OPS`): a numpy template such
as `np.sum({input}, axis={dim}, keepdims={keepdim})`. The templates are ours, not the user's, and
are interpreted node by node here (never `eval`). The result is the numpy value and the numpy code
(`np.exp(a - ...) / ...`), or the reason there is no twin.

`compare(torch_value, numpy_value)` gives the verdict: equal, close within tolerance (with the
largest difference), or differs (with the largest difference, or the shapes that differ).
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from pytorch_explorer.tensors import expressions as safe_eval
from pytorch_explorer.tensors.expressions import MAX_ELEMENTS, ExpressionError, UnsafeExpressionError
from pytorch_explorer.tensors.catalogue import OPS, REQUIRED, Op

EQUAL, CLOSE, DIFFERS, NO_TWIN = "equal", "close", "differs", "no numpy equivalent"

NUMPY_DTYPES: dict[torch.dtype, Any] = {
    torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
    torch.bfloat16: np.float32, torch.int8: np.int8, torch.int16: np.int16, torch.int32: np.int32,
    torch.int64: np.int64, torch.uint8: np.uint8, torch.bool: np.bool_,
    torch.complex64: np.complex64, torch.complex128: np.complex128,
}
_NUMPY_DTYPE_CODE = {
    torch.float32: "np.float32", torch.float64: "np.float64", torch.float16: "np.float16",
    torch.bfloat16: "np.float32", torch.int8: "np.int8", torch.int16: "np.int16",
    torch.int32: "np.int32", torch.int64: "np.int64", torch.uint8: "np.uint8", torch.bool: "np.bool_",
    torch.complex64: "np.complex64", torch.complex128: "np.complex128",
}
# Tensor properties and their numpy spelling.
_ATTRIBUTE_TWINS = {
    "T": "{self}.T", "mT": "np.swapaxes({self}, -1, -2)", "shape": "{self}.shape",
    "ndim": "{self}.ndim", "dtype": "{self}.dtype", "real": "{self}.real", "imag": "{self}.imag",
    "data": "{self}", "H": "{self}.conj().T", "mH": "np.swapaxes({self}.conj(), -1, -2)",
}
# Position of each named field of torch's result tuples (values, indices), (U, S, Vh), ...
_FIELD_INDEX = {
    "values": 0, "indices": 1, "Q": 0, "R": 1, "U": 0, "S": 1, "Vh": 2, "L": 0, "eigenvalues": 0,
    "eigenvectors": 1, "sign": 0, "logabsdet": 1, "solution": 0, "mantissa": 0, "exponent": 1,
    "min": 0, "max": 1,
}
_TEMPLATE_BUILTINS = {"tuple": tuple, "list": list, "len": len, "slice": slice, "range": range}


class NoTwin(Exception):
    """This expression (or a part of it) has no numpy twin; the message says which part and why."""


@dataclass(frozen=True)
class Verdict:
    kind: str  # EQUAL, CLOSE, DIFFERS or NO_TWIN
    message: str
    max_difference: float | None = None


@dataclass
class Twin:
    """The numpy side of one expression: code and value, or why there is none; notes on design."""

    code: str | None
    value: Any = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ data
def to_numpy(value: Any) -> Any:
    """A numpy copy of a tensor (bfloat16 becomes float32: numpy has no bfloat16); others as they are."""
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().resolve_conj().resolve_neg()
        if t.dtype == torch.bfloat16:
            t = t.float()
        return np.array(t.numpy(), copy=True)
    return value


def _twin(source: str, arrays: dict[str, Any], bfloat16_names: bool = False) -> Twin:
    """The numpy twin of an expression that `safe_eval.evaluate` has already accepted and run.

    Only call it after the evaluator ran the same source: the evaluator's caps (sizes, exponents,
    work) are what keep this walk small, since it does the same Python arithmetic and the same
    array shapes.
    """
    tree = ast.parse(source.strip(), mode="eval")
    walker = _TwinWalker(arrays)
    try:
        value, code = walker.eval(tree.body)
    except NoTwin as exc:
        return Twin(None, reason=str(exc), notes=walker.notes)
    except Exception as exc:  # noqa: BLE001 - numpy's own error: say it, do not crash the page
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return Twin(None, reason=f"numpy could not run its twin: {text}", notes=walker.notes)
    if isinstance(value, torch.dtype):
        value = NUMPY_DTYPES.get(value, value)
    notes = list(dict.fromkeys(walker.notes))
    if bfloat16_names:
        notes.append("numpy has no bfloat16: bfloat16 tensors were compared as float32 arrays.")
    return Twin(ast.unparse(code), value, notes=notes)


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


# ------------------------------------------------------------------ the walker
class _TwinWalker:
    """Evaluates a torch expression tree with numpy, returning (value, numpy code as an AST)."""

    def __init__(self, arrays: dict[str, Any]):
        self.arrays = arrays
        self.notes: list[str] = []

    def eval(self, node: ast.AST) -> tuple[Any, ast.expr]:
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:
            raise NoTwin(f"{type(node).__name__} has no numpy twin here.")
        return method(node)

    def eval_Constant(self, node: ast.Constant) -> tuple[Any, ast.expr]:
        return node.value, ast.Constant(node.value)

    def eval_Name(self, node: ast.Name) -> tuple[Any, ast.expr]:
        if node.id in self.arrays:
            return self.arrays[node.id], ast.Name(node.id)
        raise NoTwin(f"`{node.id}` has no numpy twin.")

    def eval_List(self, node: ast.List) -> tuple[Any, ast.expr]:
        pairs = [self.eval(e) for e in node.elts]
        return [p[0] for p in pairs], ast.List([p[1] for p in pairs])

    def eval_Tuple(self, node: ast.Tuple) -> tuple[Any, ast.expr]:
        pairs = [self.eval(e) for e in node.elts]
        return tuple(p[0] for p in pairs), ast.Tuple([p[1] for p in pairs])

    def eval_Slice(self, node: ast.Slice) -> tuple[Any, ast.expr]:
        parts = [None if p is None else self.eval(p) for p in (node.lower, node.upper, node.step)]
        return slice(*[None if p is None else p[0] for p in parts]), ast.Slice(
            *[None if p is None else p[1] for p in parts])

    def eval_BinOp(self, node: ast.BinOp) -> tuple[Any, ast.expr]:
        (left, lc), (right, rc) = self.eval(node.left), self.eval(node.right)
        _check_broadcast(left, right)
        return safe_eval._BINOPS[type(node.op)](left, right), ast.BinOp(lc, node.op, rc)

    def eval_UnaryOp(self, node: ast.UnaryOp) -> tuple[Any, ast.expr]:
        value, code = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not value, ast.UnaryOp(ast.Not(), code)
        return safe_eval._UNARYOPS[type(node.op)](value), ast.UnaryOp(node.op, code)

    def eval_Compare(self, node: ast.Compare) -> tuple[Any, ast.expr]:
        left, lc = self.eval(node.left)
        codes, result = [], True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right, rc = self.eval(comparator)
            result = safe_eval._CMPOPS[type(op)](left, right)
            codes.append(rc)
            if len(node.ops) > 1 and not result:
                break
            left = right
        return result, ast.Compare(lc, node.ops[: len(codes)], codes)

    def eval_BoolOp(self, node: ast.BoolOp) -> tuple[Any, ast.expr]:
        pairs = [self.eval(v) for v in node.values]
        value = pairs[0][0]
        for v, _ in pairs[1:]:
            if (isinstance(node.op, ast.And) and not value) or (isinstance(node.op, ast.Or) and value):
                break
            value = v
        return value, ast.BoolOp(node.op, [p[1] for p in pairs])

    def eval_IfExp(self, node: ast.IfExp) -> tuple[Any, ast.expr]:
        test, tc = self.eval(node.test)
        body, bc = self.eval(node.body)
        orelse, oc = self.eval(node.orelse)
        return (body if test else orelse), ast.IfExp(tc, bc, oc)

    def eval_Subscript(self, node: ast.Subscript) -> tuple[Any, ast.expr]:
        (value, vc), (index, ic) = self.eval(node.value), self.eval(node.slice)
        if isinstance(index, list):
            index = np.asarray(index)
        return value[index], ast.Subscript(vc, ic)

    def eval_Attribute(self, node: ast.Attribute) -> tuple[Any, ast.expr]:
        path = safe_eval._dotted(node)
        if path is not None and (path.startswith("torch.") or path.startswith("F.")) and path.split(".")[0] not in self.arrays:
            constant = safe_eval.ALLOWED_CONSTANTS.get(path)
            if isinstance(constant, torch.dtype):
                if constant == torch.bfloat16:
                    self.notes.append("numpy has no bfloat16; its twin uses float32.")
                code = _NUMPY_DTYPE_CODE[constant]
                return NUMPY_DTYPES[constant], ast.parse(code, mode="eval").body
            if isinstance(constant, float):
                return constant, ast.parse(f"np.{path.split('.')[1]}", mode="eval").body
            raise NoTwin(f"`{path}` has no numpy twin.")
        value, code = self.eval(node.value)
        if isinstance(value, tuple) and node.attr in _FIELD_INDEX:
            i = _FIELD_INDEX[node.attr]
            if isinstance(code, ast.Tuple) and i < len(code.elts):
                return value[i], code.elts[i]
            return value[i], ast.Subscript(code, ast.Constant(i))
        template = _ATTRIBUTE_TWINS.get(node.attr)
        if template is None:
            raise NoTwin(f"`.{node.attr}` has no numpy twin.")
        return _Template(template).run({"self": (value, code)})

    def eval_Call(self, node: ast.Call) -> tuple[Any, ast.expr]:
        func = node.func
        if not isinstance(func, ast.Attribute):
            raise NoTwin("Only torch functions and tensor methods have numpy twins.")
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
        path = safe_eval._dotted(func)
        if path is not None and path.split(".")[0] in ("torch", "F") and path.split(".")[0] not in self.arrays:
            full = safe_eval._canonical(path)
            op = OPS.get(full)
            shown = path
        else:
            receiver = self.eval(func.value)
            op = OPS.get(f"Tensor.{func.attr}")
            if op is None:
                op = OPS.get(f"torch.{func.attr}")
            args = [receiver, *args]
            shown = f"Tensor.{func.attr}"
        if op is None:
            raise NoTwin(f"`{shown}` is not in the catalogue, so it has no numpy twin here.")
        if op.twin is None:
            raise NoTwin(f"`{shown}`: {op.note or 'numpy has no equivalent.'}")
        if op.note:
            self.notes.append(f"{op.name}: {op.note}")
        bound = _bind(op, args, kwargs)
        return _Template(_choose(op, bound), op.defaults()).run(bound)


def _bind(op: Op, args: list[tuple[Any, ast.expr]], kwargs: dict[str, tuple[Any, ast.expr]]) -> dict[str, Any]:
    """Match call arguments to the catalogue signature: {param: (value, code)}, varargs as lists."""
    bound: dict[str, Any] = {}
    positional = [p for p in op.params if not p.keyword_only]
    rest = list(args)
    for param in positional:
        if not rest:
            break
        if param.varargs:
            if len(rest) == 1 and isinstance(rest[0][0], (list, tuple)) and param.kind in ("shape", "dims"):
                bound[param.name] = rest[0]
            else:
                bound[param.name] = (tuple(r[0] for r in rest), [r[1] for r in rest])
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


def _choose(op: Op, bound: dict[str, Any]) -> str:
    """The twin template for this call: the first variant whose condition the call meets.

    Conditions: "" (always), "name" (the call gave `name`), "name:array" (gave an array for it),
    "name=text" (gave that value, e.g. "rounding_mode=floor").
    """
    if isinstance(op.twin, str):
        return op.twin
    for condition, template in op.twin or ():
        name, _, want = condition.replace(":", "=:").partition("=")
        if not name:
            return template
        if name not in bound:
            continue
        value = bound[name][0]
        if not want or (want == ":array" and isinstance(value, np.ndarray)) or (want != ":array" and str(value) == want):
            return template
    raise NoTwin(f"`{op.name}` has no numpy twin for these arguments.")


def _is_int_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind in "iu"


def _check_broadcast(left: Any, right: Any) -> None:
    shapes = [np.shape(v) for v in (left, right) if isinstance(v, np.ndarray)]
    if len(shapes) == 2:
        try:
            out = np.broadcast_shapes(*shapes)
        except ValueError:
            return  # numpy raises its own error
        if math.prod(out) > MAX_ELEMENTS:
            raise NoTwin("The numpy twin would be too large.")


# ------------------------------------------------------------------ templates
class _Template:
    """A numpy template from the catalogue, interpreted with bound (value, code) pairs (never eval).

    `{name}` is the argument the call gave for `name`. A keyword argument (or trailing positional
    one) whose placeholder the call did not give is left out, so numpy uses its own default:
    `np.sum({input}, axis={dim})` is `np.sum(a)` for `torch.sum(a)`. Elsewhere the catalogue's
    default value stands in.
    """

    def __init__(self, text: str, defaults: dict[str, Any] | None = None):
        self.text = text
        self.defaults = defaults or {}

    def run(self, bound: dict[str, Any]) -> tuple[Any, ast.expr]:
        source = self.text
        for name in bound:
            source = source.replace("{" + name + "}", f"__p_{name}")
        for name in bound:
            source = source.replace("{" + name + ":keep}", f"__p_{name}")
        for name in self.defaults:
            source = source.replace("{" + name + ":keep}", f"__k_{name}")
            source = source.replace("{" + name + "}", f"__u_{name}")
        if "{" in source:
            missing = source[source.index("{") + 1: source.index("}")]
            raise NoTwin(f"The numpy twin needs `{missing}`.")
        tree = ast.parse(source, mode="eval")
        _DropUnbound().visit(tree)
        pairs = {f"__p_{k}": v for k, v in bound.items()}
        for k, v in self.defaults.items():
            code = ast.parse(_NUMPY_DTYPE_CODE[v], mode="eval").body if isinstance(v, torch.dtype) else ast.Constant(v)
            pairs[f"__u_{k}"] = pairs[f"__k_{k}"] = (v, code)
        env = {k: (NUMPY_DTYPES.get(v[0], v[0]) if isinstance(v[0], torch.dtype) else v[0]) for k, v in pairs.items()}
        value = _TemplateEval(env).eval(tree.body)
        codes = {k: v[1] for k, v in pairs.items()}
        code = _Substitute(codes).visit(copy.deepcopy(tree)).body
        return value, code


class _DropUnbound(ast.NodeTransformer):
    """Leave out keyword (and trailing positional) arguments the call did not give."""

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        node.keywords = [k for k in node.keywords if not _is_unbound(k.value)]
        while node.args and _is_unbound(node.args[-1]):
            node.args.pop()
        return node


def _is_unbound(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id.startswith("__u_")


class _Substitute(ast.NodeTransformer):
    def __init__(self, codes: dict[str, Any]):
        self.codes = codes

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in self.codes:
            code = self.codes[node.id]
            return ast.Tuple(list(code)) if isinstance(code, list) else copy.deepcopy(code)
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        self.generic_visit(node)
        args: list[ast.expr] = []
        for arg in node.args:  # `*{operands}` spreads the argument codes: np.einsum('ij', a, b)
            if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Tuple):
                args.extend(arg.value.elts)
            else:
                args.append(arg)
        node.args = args
        return node


class _TemplateEval:
    """Interpreter for the catalogue's own numpy templates: np.*, operators, attributes, indexing."""

    def __init__(self, env: dict[str, Any]):
        self.env = env

    def eval(self, node: ast.AST) -> Any:  # noqa: C901 - one branch per node type
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return self.env[node.id]
            if node.id == "np":
                return np
            if node.id in _TEMPLATE_BUILTINS:
                return _TEMPLATE_BUILTINS[node.id]
            raise NoTwin(f"Unknown name in a numpy template: {node.id}")
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("_"):
                raise NoTwin("Private attributes are not used in templates.")
            return getattr(self.eval(node.value), node.attr)
        if isinstance(node, ast.Tuple):
            return tuple(self._spread(node.elts))
        if isinstance(node, ast.List):
            return list(self._spread(node.elts))
        if isinstance(node, ast.BinOp):
            left, right = self.eval(node.left), self.eval(node.right)
            _check_broadcast(left, right)
            return safe_eval._BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            value = self.eval(node.operand)
            return (not value) if isinstance(node.op, ast.Not) else safe_eval._UNARYOPS[type(node.op)](value)
        if isinstance(node, ast.Compare):
            left = self.eval(node.left)
            result: Any = True
            for op, comparator in zip(node.ops, node.comparators, strict=True):
                right = self.eval(comparator)
                result = safe_eval._CMPOPS[type(op)](left, right)
                left = right
            return result
        if isinstance(node, ast.Subscript):
            return self.eval(node.value)[self.eval(node.slice)]
        if isinstance(node, ast.Slice):
            return slice(*[None if p is None else self.eval(p) for p in (node.lower, node.upper, node.step)])
        if isinstance(node, ast.IfExp):
            return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)
        if isinstance(node, ast.Call):
            fn = self.eval(node.func)
            args = self._spread(node.args)
            kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
            result = fn(*args, **kwargs)
            for array in (result if isinstance(result, (tuple, list)) else [result]):
                if isinstance(array, np.ndarray) and array.size > MAX_ELEMENTS:
                    raise NoTwin("The numpy twin would be too large.")
            return result
        raise NoTwin(f"{type(node).__name__} is not used in numpy templates.")

    def _spread(self, nodes: list[ast.expr]) -> list[Any]:
        out: list[Any] = []
        for n in nodes:
            if isinstance(n, ast.Starred):
                out.extend(self.eval(n.value))
            else:
                out.append(self.eval(n))
        return out


def run_with_twin(source: str, tensors: Mapping[str, Any]) -> tuple[Any, Twin, Verdict]:
    """Evaluate an expression safely, compute its numpy twin on the same data, and judge them.

    The data is copied to numpy first (in-place methods change the tensors), then the safe
    evaluator runs the expression (raising what it raises), and only then the twin runs.
    """
    arrays = {k: to_numpy(v) for k, v in tensors.items()}
    result = safe_eval.evaluate(source, tensors)
    bf16 = any(isinstance(v, torch.Tensor) and v.dtype == torch.bfloat16 for v in tensors.values())
    twin = _twin(source, arrays, bf16)
    if twin.code is None:
        return result, twin, Verdict(NO_TWIN, twin.reason)
    return result, twin, compare(result, twin.value)


__all__ = [
    "CLOSE", "DIFFERS", "EQUAL", "NO_TWIN", "ExpressionError", "NoTwin", "Twin", "UnsafeExpressionError",
    "Verdict", "compare", "run_with_twin", "to_numpy",
]
