"""The expression language, read once: parsing, the checks on its shape, and the one tree walker.

`parse(source)` turns text into a Python `ast` tree (`ast.parse(mode="eval")`, never `eval`) and
refuses whatever is not in the language before anything runs: unknown node types (lambdas,
comprehensions, f-strings, ...), `_private` attributes, `__dunder__` names, `**`-unpacking,
literals other than numbers and short strings, too long, too big or too deeply nested text.

`Walker(backend, names).run(tree)` walks that tree. It knows the language (names, the `torch`
and `F` roots, dotted paths, `and`/`or`/`if` and comparison chains, calls) and leaves what each
operation does to a `Backend`:

- the torch backend (`expressions.TorchBackend`) computes with PyTorch, with every size cap;
- the numpy backend (`numpy_twin.NumpyBackend`) computes the same expression with numpy and
  writes the numpy code as it goes.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from pytorch_explorer.core.errors import ExplorerError, Term

MAX_SOURCE_CHARS = 2_000
MAX_NODES = 1_000
MAX_DEPTH = 100
MAX_STRING_CHARS = 200
MAX_INT_BITS = 1_024  # size of any Python integer


class ExpressionError(ExplorerError, ValueError):
    """A legal expression that could not be computed (PyTorch's reason is in the message).

    `hint`, when given, is a learner's hint more precise than `hints.hint_for` finds in the message
    (a `hints.Hint`, so that it can be shown in Chinese too).
    """

    def __init__(self, template: object = "", *args: Any, hint: str | None = None, **values: Any):
        super().__init__(template, *args, **values)
        self.hint = hint


class UnsafeExpressionError(ExpressionError):
    """The expression is outside the language or over a size cap; the message names the part."""


BINARY_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.MatMult: operator.matmul, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
UNARY_OPERATORS: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert,
}
COMPARISONS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a), ast.NotIn: lambda a, b: not operator.contains(b, a),
}
OPERATOR_SYMBOLS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
    ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>",
}

_NODE_NAMES = {
    ast.Lambda: "lambda", ast.ListComp: "list comprehension", ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension", ast.GeneratorExp: "generator expression",
    ast.NamedExpr: "the := operator", ast.JoinedStr: "f-string", ast.FormattedValue: "f-string",
    ast.Dict: "dict literal", ast.Set: "set literal", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Starred: "*-unpacking",
}
_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.List, ast.Tuple, ast.BinOp, ast.UnaryOp,
    ast.Compare, ast.BoolOp, ast.IfExp, ast.Subscript, ast.Slice, ast.Attribute, ast.Call,
    ast.keyword, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)


# ------------------------------------------------------------------ reading the text
def parse(source: str) -> ast.Expression:
    """The checked tree of one expression; UnsafeExpressionError for anything outside the language."""
    if not isinstance(source, str):
        raise UnsafeExpressionError("The expression must be text.")
    if len(source) > MAX_SOURCE_CHARS:
        raise UnsafeExpressionError("The expression is {n:,} characters long; the limit is {most:,}.",
                                    n=len(source), most=MAX_SOURCE_CHARS)
    if not source.strip():
        raise UnsafeExpressionError("The expression is empty: type something like `a @ b.t() + 1`.")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        if exc.offset:
            raise UnsafeExpressionError("This is not a valid expression (column {column}): {reason}.",
                                        column=exc.offset, reason=exc.msg) from None
        raise UnsafeExpressionError("This is not a valid expression: {reason}.", reason=exc.msg) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise UnsafeExpressionError("This expression cannot be read: {reason}.", reason=exc) from None
    _check_tree(tree)
    return tree


def _check_tree(tree: ast.AST) -> None:
    """Refuse unknown node types, too many nodes, too deep nesting: before running anything."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise UnsafeExpressionError("The expression has more than {most} parts; make it shorter.", most=MAX_NODES)
        if depth > MAX_DEPTH:
            raise UnsafeExpressionError("The expression is nested more than {most} levels deep.", most=MAX_DEPTH)
        if not isinstance(node, _ALLOWED_NODES):
            what = Term(_NODE_NAMES[type(node)]) if type(node) in _NODE_NAMES else type(node).__name__
            raise UnsafeExpressionError("{what} is not allowed here{where}.", what=what, where=snippet(node))
        if isinstance(node, ast.Constant):
            _check_constant(node)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise UnsafeExpressionError("Attribute names starting with '_' are not allowed: `{name}`.", name=node.attr)
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise UnsafeExpressionError("Names starting with '__' are not allowed: `{name}`.", name=node.id)
        if isinstance(node, ast.keyword) and node.arg is None:
            raise UnsafeExpressionError("**-unpacking is not allowed{where}.", where=snippet(node.value))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_constant(node: ast.Constant) -> None:
    value = node.value
    if value is None or value is Ellipsis or isinstance(value, (bool, float, complex)):
        return
    if isinstance(value, int):
        check_int(value, "this number")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise UnsafeExpressionError("Strings longer than {most} characters are not allowed.", most=MAX_STRING_CHARS)
        return
    raise UnsafeExpressionError("{kind} literals are not allowed: {value!r:.40}.", kind=type(value).__name__, value=value)


def check_int(value: int, what: str) -> int:
    """Refuse Python integers too large to compute with (`what`: the app's words for the number, translated)."""
    if value.bit_length() > MAX_INT_BITS:
        raise UnsafeExpressionError("{what} has more than {most} bits; that is too large to compute with.",
                                    what=Term(what), most=MAX_INT_BITS)
    return value


def snippet(node: ast.AST, limit: int = 60) -> str:
    """`: \\`source of node\\`` for messages (shortened), or '' if it cannot be written."""
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - only used for messages
        return ""
    return f": `{text if len(text) <= limit else text[: limit - 3] + '...'}`"


def first_line(exc: BaseException) -> str:
    """The first line of an error message, without PyTorch's C++ stack."""
    text = str(exc).split("\nException raised from")[0].strip()
    return text.splitlines()[0] if text else type(exc).__name__


def dotted(node: ast.AST) -> str | None:
    """`torch.linalg.norm` for an Attribute chain ending in a Name; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def canonical(path: str) -> str:
    """`F.relu` -> `torch.nn.functional.relu`; other paths as they are."""
    return "torch.nn.functional" + path[1:] if path == "F" or path.startswith("F.") else path


# ------------------------------------------------------------------ the walker
class Backend(Protocol):
    """What an operation means. Values are the backend's own (tensors, or numpy values with code)."""

    shows_every_branch: bool  # evaluate both sides of `if`/`and`/`or` (to write their code)

    def constant(self, node: ast.Constant) -> Any: ...
    def name(self, node: ast.Name) -> Any: ...
    def sequence(self, node: ast.List | ast.Tuple, items: list[Any]) -> Any: ...
    def slice(self, node: ast.Slice, parts: list[Any]) -> Any: ...
    def truth(self, node: ast.AST, value: Any) -> bool: ...
    def unary(self, node: ast.UnaryOp, value: Any) -> Any: ...
    def binary(self, node: ast.BinOp, left: Any, right: Any) -> Any: ...
    def compare(self, node: ast.Compare, op: ast.cmpop, left: Any, right: Any) -> Any: ...
    def chain(self, node: ast.Compare, first: Any, steps: list[tuple[ast.cmpop, Any]], result: Any) -> Any: ...
    def either(self, node: ast.AST, test: Any, chosen: Any, values: list[Any]) -> Any: ...
    def subscript(self, node: ast.Subscript, value: Any, index: Any) -> Any: ...
    def torch_value(self, node: ast.Attribute, path: str) -> Any: ...
    def attribute(self, node: ast.Attribute, value: Any) -> Any: ...
    def function(self, node: ast.Call, path: str, written: str) -> Any: ...
    def method(self, node: ast.Call, receiver: Any) -> Any: ...
    def call(self, node: ast.Call, callee: Any, args: list[Any], kwargs: dict[str, Any]) -> Any: ...


class Walker:
    """Walks a checked expression tree, asking a backend what each operation means."""

    def __init__(self, backend: Backend, names: Mapping[str, Any]):
        self.backend = backend
        self.names = names

    def run(self, tree: ast.Expression) -> Any:
        return self.walk(tree.body)

    def is_torch_root(self, path: str | None) -> bool:
        """`torch...` always, `F...` unless the names define their own `F`."""
        if path is None:
            return False
        root = path.split(".")[0]
        return root == "torch" or (root == "F" and "F" not in self.names)

    def walk(self, node: ast.AST) -> Any:
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:  # parse() already refused it; kept as a second wall
            raise UnsafeExpressionError("{what} is not allowed here{where}.", what=type(node).__name__, where=snippet(node))
        return method(node)

    def eval_Constant(self, node: ast.Constant) -> Any:
        return self.backend.constant(node)

    def eval_Name(self, node: ast.Name) -> Any:
        if self.is_torch_root(node.id):
            raise UnsafeExpressionError(
                "`{name}` is a module, not a value: use one of its functions, e.g. `torch.zeros(2, 3)`.", name=node.id
            )
        return self.backend.name(node)

    def eval_List(self, node: ast.List) -> Any:
        return self.backend.sequence(node, [self.walk(item) for item in node.elts])

    eval_Tuple = eval_List

    def eval_Slice(self, node: ast.Slice) -> Any:
        return self.backend.slice(node, [None if p is None else self.walk(p) for p in (node.lower, node.upper, node.step)])

    def eval_IfExp(self, node: ast.IfExp) -> Any:
        test = self.walk(node.test)
        if self.backend.shows_every_branch:
            body, orelse = self.walk(node.body), self.walk(node.orelse)
            return self.backend.either(node, test, body if self.backend.truth(node.test, test) else orelse, [body, orelse])
        return self.walk(node.body) if self.backend.truth(node.test, test) else self.walk(node.orelse)

    def eval_BoolOp(self, node: ast.BoolOp) -> Any:
        """`a and b` is a if a is false, else b; `a or b` is a if a is true, else b."""
        stop_when = isinstance(node.op, ast.Or)
        if self.backend.shows_every_branch:
            values = [self.walk(v) for v in node.values]
            chosen = next((v for v in values[:-1] if self.backend.truth(node, v) == stop_when), values[-1])
            return self.backend.either(node, None, chosen, values)
        value = self.walk(node.values[0])
        for item in node.values[1:]:
            if self.backend.truth(node, value) == stop_when:
                return value
            value = self.walk(item)
        return value

    def eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        return self.backend.unary(node, self.walk(node.operand))

    def eval_BinOp(self, node: ast.BinOp) -> Any:
        return self.backend.binary(node, self.walk(node.left), self.walk(node.right))

    def eval_Compare(self, node: ast.Compare) -> Any:
        """`a < b < c` is `a < b and b < c`, stopping at the first false step."""
        first = left = self.walk(node.left)
        steps: list[tuple[ast.cmpop, Any]] = []
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.walk(comparator)
            steps.append((op, right))
            result = self.backend.compare(node, op, left, right)
            if len(node.ops) > 1 and not self.backend.truth(node, result):
                break
            left = right
        return self.backend.chain(node, first, steps, result)

    def eval_Subscript(self, node: ast.Subscript) -> Any:
        value = self.walk(node.value)
        return self.backend.subscript(node, value, self.walk(node.slice))

    def eval_Attribute(self, node: ast.Attribute) -> Any:
        path = dotted(node)
        if self.is_torch_root(path):
            return self.backend.torch_value(node, canonical(path))
        return self.backend.attribute(node, self.walk(node.value))

    def eval_Call(self, node: ast.Call) -> Any:
        func = node.func
        if not isinstance(func, ast.Attribute):
            raise UnsafeExpressionError(
                "Only torch functions and tensor methods can be called{where}; e.g. `torch.sum(a)` or `a.sum()`.",
                where=snippet(func),
            )
        path = dotted(func)
        if self.is_torch_root(path):
            callee = self.backend.function(node, canonical(path), path)
        else:
            callee = self.backend.method(node, self.walk(func.value))
        args = [self.walk(a) for a in node.args]
        kwargs = {k.arg: self.walk(k.value) for k in node.keywords}
        if "out" in kwargs:
            raise UnsafeExpressionError("`out=` is not supported here: use the returned value instead.")
        return self.backend.call(node, callee, args, kwargs)
