"""A small, safe expression language over named tensors (an interpreter, never `eval`).

`evaluate("a @ b.t() + 1", {"a": a, "b": b})` parses the text (`language.parse`) and walks the
tree (`language.Walker`) with the torch backend defined here. The language has:

- numbers (int, float, complex), True/False/None, `...`, short strings (for arguments such as
  `reduction="sum"`, `rounding_mode="floor"` or an einsum equation), lists and tuples;
- the names given in `names`, `torch`, and `F` (short for `torch.nn.functional`, as in PyTorch
  code) unless `names` defines its own `F`;
- operators `+ - * / // % ** @ & | ^ ~ << >>`, comparisons (also `in`, `is`), `and`, `or`, `not`,
  `x if c else y`;
- indexing and slicing (`a[:, 0]`, `a[a > 0]`, `a[None, ..., ::2]`);
- calls of allow-listed functions (`ALLOWED_FUNCTIONS`: `torch.*`, `torch.linalg.*`,
  `torch.special.*`, `torch.nn.functional.*`) and tensor methods (`ALLOWED_METHODS`), with
  keyword arguments; tensor properties from `ALLOWED_ATTRIBUTES` (`a.shape`, `a.T`, `a.grad`);
  dtypes and constants from `ALLOWED_CONSTANTS` (`torch.float64`, `torch.pi`);
  the named fields of results such as `torch.max(a, dim=1).values`.

Nothing else: no imports, no other names or builtins, no attribute starting with `_`, no
lambdas, comprehensions, assignments, f-strings, `*args`/`**kwargs`, no `out=`. A function or a
module is never a value (`torch.nn`, `a.sum` without the call are refused), so nothing
callable reaches the expression's results.

Resources are capped before anything big is allocated (`guards.Budget`): every tensor-producing
step is first run on PyTorch's "meta" device (shapes only, no data) and refused when its result
would hold more than `MAX_ELEMENTS` elements, or when one expression would create more than
`MAX_TOTAL_ELEMENTS` in all; matrix products and decompositions are refused above `MAX_FLOPS`;
Python integers are capped (`**` exponent, shifts, size), and so are lists, strings, the source
length and its nesting. Every refusal raises `UnsafeExpressionError` (a ValueError) naming the
offending part; an error that PyTorch raises for a legal expression (shapes that do not match,
...) becomes `ExpressionError` with PyTorch's message.

Tensors are used as they are (never copied), so autograd graphs are kept, and in-place methods
(`a.add_(1)`) do change the named tensors.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any

import torch

from pytorch_explorer.tensors.allowed import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_CONSTANTS,
    ALLOWED_FUNCTIONS,
    ALLOWED_METHODS,
    RESULT_FIELDS,
    TORCH_NAMESPACES,
    resolve,
)
from pytorch_explorer.tensors.guards import (
    MAX_ELEMENTS,
    MAX_FLOPS,
    MAX_SEQUENCE_ITEMS,
    MAX_TOTAL_ELEMENTS,
    TAKES_DEVICE,
    Budget,
    check_sequence,
)
from pytorch_explorer.tensors.hints import flip_hint, reversed_dims
from pytorch_explorer.tensors.language import (
    BINARY_OPERATORS,
    COMPARISONS,
    MAX_INT_BITS,
    MAX_STRING_CHARS,
    OPERATOR_SYMBOLS,
    UNARY_OPERATORS,
    ExpressionError,
    UnsafeExpressionError,
    Walker,
    check_int,
    first_line,
    parse,
    snippet,
)

__all__ = [
    "ALLOWED_ATTRIBUTES", "ALLOWED_CONSTANTS", "ALLOWED_FUNCTIONS", "ALLOWED_METHODS", "MAX_ELEMENTS",
    "MAX_FLOPS", "MAX_TOTAL_ELEMENTS", "ExpressionError", "TorchBackend", "UnsafeExpressionError", "evaluate",
]

MAX_EXPONENT = 1_000  # |exponent| of ** between Python numbers

# The torch function each operator calls, named for the size rules (`a @ b` is sized like matmul).
_OPERATOR_NAMES = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floor_divide",
    ast.Mod: "remainder", ast.Pow: "pow", ast.MatMult: "matmul", ast.BitAnd: "bitwise_and",
    ast.BitOr: "bitwise_or", ast.BitXor: "bitwise_xor", ast.LShift: "bitwise_left_shift",
    ast.RShift: "bitwise_right_shift",
}
_NUMBER = (bool, int, float, complex)
_SEQUENCE = (list, tuple, str)


def evaluate(source: str, names: Mapping[str, Any] | None = None, *, max_elements: int = MAX_ELEMENTS) -> Any:
    """Evaluate one expression of the language described in this module's docstring.

    `names` maps the names an expression may use to their values (usually tensors). Raises
    UnsafeExpressionError for anything outside the language or over a cap (its subclass
    cost.TooCostlyError for "too long / too much memory"), ExpressionError when PyTorch rejects a
    legal expression. `max_elements` lowers the size cap of every tensor (checked before allocating).
    """
    tree = parse(source)
    names = dict(names or {})
    value = Walker(TorchBackend(names, max_elements), names).run(tree)
    if callable(value) and not isinstance(value, torch.Tensor):
        raise UnsafeExpressionError("A function is not a value: call it, e.g. `a.sum()`.")
    return value


class TorchBackend:
    """Each operation done by PyTorch (or Python, for numbers and lists), inside the size caps."""

    shows_every_branch = False

    def __init__(self, names: Mapping[str, Any], max_elements: int = MAX_ELEMENTS):
        self.names = names
        self.budget = Budget(max_elements)

    # -------------------------------------------------------------- values
    def constant(self, node: ast.Constant) -> Any:
        return node.value

    def name(self, node: ast.Name) -> Any:
        if node.id in self.names:
            value = self.names[node.id]
            if callable(value) and not isinstance(value, torch.Tensor):
                raise UnsafeExpressionError("`{name}` is not a tensor or a number, so it cannot be used here.",
                                            name=node.id)
            return value
        if self.names:
            raise UnsafeExpressionError("Unknown name `{name}`: it is not defined here. You can use the tensors "
                                        "{tensors}, torch and F.", name=node.id, tensors=", ".join(sorted(self.names)))
        raise UnsafeExpressionError("Unknown name `{name}`: it is not defined here. You can use only torch and F "
                                    "(no tensors are named here).", name=node.id)

    def sequence(self, node: ast.List | ast.Tuple, items: list[Any]) -> Any:
        return check_sequence(items if isinstance(node, ast.List) else tuple(items), node)

    def slice(self, node: ast.Slice, parts: list[Any]) -> slice:
        return slice(*parts)

    def torch_value(self, node: ast.Attribute, path: str) -> Any:
        if path in ALLOWED_CONSTANTS:
            return ALLOWED_CONSTANTS[path]
        if path in ALLOWED_FUNCTIONS:
            raise UnsafeExpressionError("`{path}` is a function, not a value: call it, e.g. `{path}(a)`.", path=path)
        if path in TORCH_NAMESPACES:
            raise UnsafeExpressionError("`{path}` is a module, not a value: use one of its functions.", path=path)
        raise UnsafeExpressionError("`{path}` is not allowed here.", path=path)

    def attribute(self, node: ast.Attribute, value: Any) -> Any:
        attr = node.attr
        if isinstance(value, torch.Tensor):
            if attr in ALLOWED_ATTRIBUTES:
                return getattr(value, attr)
            if attr in ALLOWED_METHODS:
                raise UnsafeExpressionError("`{attr}` is a method: call it, e.g. `{call}()`.", attr=attr,
                                            call=ast.unparse(node))
            raise UnsafeExpressionError("The tensor attribute `{attr}` is not allowed here{where}.", attr=attr,
                                        where=snippet(node))
        if (isinstance(value, tuple) and type(value).__module__ == "torch.return_types"
                and attr in RESULT_FIELDS and attr in getattr(type(value), "__match_args__", ())):
            return getattr(value, attr)
        raise UnsafeExpressionError("`.{attr}` cannot be read from a {kind}{where}.", attr=attr,
                                    kind=type(value).__name__, where=snippet(node))

    # -------------------------------------------------------------- operators
    def truth(self, node: ast.AST, value: Any) -> bool:
        try:
            return bool(value)
        except Exception as exc:  # noqa: BLE001 - e.g. "Boolean value of Tensor ... is ambiguous"
            raise ExpressionError("Cannot use this as true/false{where}: {reason}", where=snippet(node),
                                  reason=first_line(exc)) from None

    def unary(self, node: ast.UnaryOp, value: Any) -> Any:
        if isinstance(node.op, ast.Not):
            return not self.truth(node.operand, value)
        fn = UNARY_OPERATORS[type(node.op)]
        if isinstance(value, _NUMBER):
            return self._python_math(fn, node, value)
        self._require_operand(value, node)
        return self.budget.call(type(node.op).__name__.lower(), fn, (value,), {}, node, dry_run=False)

    def binary(self, node: ast.BinOp, left: Any, right: Any) -> Any:
        fn = BINARY_OPERATORS[type(node.op)]
        if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
            self._require_operand(left, node)
            self._require_operand(right, node)
            return self.budget.call(_OPERATOR_NAMES[type(node.op)], fn, (left, right), {}, node)
        if isinstance(left, _NUMBER) and isinstance(right, _NUMBER):
            return self._number_binop(node, fn, left, right)
        if isinstance(left, _SEQUENCE) or isinstance(right, _SEQUENCE):
            return self._sequence_binop(node, fn, left, right)
        raise self._cannot_combine(node, left, right)

    def compare(self, node: ast.Compare, op: ast.cmpop, left: Any, right: Any) -> Any:
        fn = COMPARISONS[type(op)]
        if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
            return self.budget.call(type(op).__name__.lower(), fn, (left, right), {}, node)
        return self._python_math(fn, node, left, right)

    def chain(self, node: ast.Compare, first: Any, steps: list[tuple[ast.cmpop, Any]], result: Any) -> Any:
        return result

    def either(self, node: ast.AST, test: Any, chosen: Any, values: list[Any]) -> Any:
        return chosen

    def subscript(self, node: ast.Subscript, value: Any, index: Any) -> Any:
        if isinstance(value, torch.Tensor):
            if dims := reversed_dims(index, value.dim()):  # numpy's a[::-1]: PyTorch's words, and torch.flip
                raise ExpressionError("step must be greater than zero{where}", where=snippet(node),
                                      hint=flip_hint(ast.unparse(node.value), dims))
            return self.budget.call("getitem", operator.getitem, (value, index), {}, node)
        if isinstance(value, (list, tuple, str)):
            if not isinstance(index, (int, slice)):
                raise UnsafeExpressionError("A {kind} can only be indexed by a number or a slice{where}.",
                                            kind=type(value).__name__, where=snippet(node))
            return self._python_math(operator.getitem, node, value, index)
        raise UnsafeExpressionError("A {kind} cannot be indexed{where}.", kind=type(value).__name__,
                                    where=snippet(node))

    # -------------------------------------------------------------- calls
    def function(self, node: ast.Call, path: str, written: str) -> tuple[str, Callable, None, bool]:
        if path not in ALLOWED_FUNCTIONS:
            if path in ALLOWED_CONSTANTS:
                raise UnsafeExpressionError("`{name}` is a value, not a function.", name=written)
            raise UnsafeExpressionError(
                "`{name}` is not one of the functions allowed here (tensor maths from torch, "
                "torch.linalg, torch.special and torch.nn.functional).", name=written
            )
        name = path.rsplit(".", 1)[1]
        return name, resolve(path), None, path == f"torch.{name}" and name in TAKES_DEVICE

    def method(self, node: ast.Call, receiver: Any) -> tuple[str, Callable, torch.Tensor, bool]:
        func = node.func
        assert isinstance(func, ast.Attribute)
        if not isinstance(receiver, torch.Tensor):
            raise UnsafeExpressionError("Only tensor methods can be called; `{name}` is called on a {kind}{where}.",
                                        name=func.attr, kind=type(receiver).__name__, where=snippet(func))
        if func.attr not in ALLOWED_METHODS:
            raise UnsafeExpressionError("The tensor method `{name}` is not allowed here{where}.", name=func.attr,
                                        where=snippet(func))
        method = getattr(receiver, func.attr, None)
        if method is None or not callable(method):
            raise UnsafeExpressionError("Tensors have no method `{name}`.", name=func.attr)
        return func.attr, method, receiver, False

    def call(self, node: ast.Call, callee: tuple, args: list[Any], kwargs: dict[str, Any]) -> Any:
        name, fn, receiver, creation = callee
        return self.budget.call(name, fn, tuple(args), kwargs, node, receiver=receiver, creation=creation)

    # -------------------------------------------------------------- Python numbers and sequences
    def _require_operand(self, value: Any, node: ast.AST) -> None:
        if not isinstance(value, (torch.Tensor, *_NUMBER, list, tuple)):
            raise UnsafeExpressionError("A {kind} cannot be used in arithmetic{where}.", kind=type(value).__name__,
                                        where=snippet(node))

    def _cannot_combine(self, node: ast.BinOp, left: Any, right: Any) -> UnsafeExpressionError:
        return UnsafeExpressionError("`{op}` cannot combine {left} and {right}{where}.",
                                     op=OPERATOR_SYMBOLS.get(type(node.op), "?"), left=type(left).__name__,
                                     right=type(right).__name__, where=snippet(node))

    def _number_binop(self, node: ast.BinOp, fn: Callable, left: Any, right: Any) -> Any:
        if isinstance(node.op, ast.Pow) and (isinstance(right, complex) or abs(right) > MAX_EXPONENT):
            raise UnsafeExpressionError("The exponent of ** must be a real number at most {most} in size{where}.",
                                        most=MAX_EXPONENT, where=snippet(node))
        if isinstance(node.op, (ast.LShift, ast.RShift)) and isinstance(right, int) and right > MAX_INT_BITS:
            raise UnsafeExpressionError("Shifts by more than {most} bits are not allowed{where}.", most=MAX_INT_BITS,
                                        where=snippet(node))
        return self._python_math(fn, node, left, right)

    def _sequence_binop(self, node: ast.BinOp, fn: Callable, left: Any, right: Any) -> Any:
        if isinstance(node.op, ast.Mult) and (isinstance(left, int) or isinstance(right, int)):
            seq, times = (left, right) if isinstance(left, _SEQUENCE) else (right, left)
            size = len(seq) * max(times, 0)
        elif isinstance(node.op, ast.Add) and type(left) is type(right):
            size = len(left) + len(right)
        else:
            raise self._cannot_combine(node, left, right)
        limit = MAX_STRING_CHARS * 10 if isinstance(left, str) or isinstance(right, str) else MAX_SEQUENCE_ITEMS
        if size > limit:
            raise UnsafeExpressionError("That would make a sequence of {n:,} items; the limit is {most:,}{where}.",
                                        n=size, most=limit, where=snippet(node))
        return check_sequence(self._python_math(fn, node, left, right), node)

    def _python_math(self, fn: Callable, node: ast.AST, *operands: Any) -> Any:
        try:
            result = fn(*operands)
        except Exception as exc:  # noqa: BLE001 - ZeroDivisionError, OverflowError, TypeError, IndexError ...
            raise ExpressionError("{reason}{where}", reason=first_line(exc), where=snippet(node)) from None
        if isinstance(result, int) and not isinstance(result, bool):
            check_int(result, "The result")
        return result
