"""A small, safe expression language over named tensors (an interpreter, never `eval`).

`evaluate("a @ b.t() + 1", {"a": a, "b": b})` parses the text with `ast.parse(mode="eval")` and
walks the tree itself. The language has:

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

Resources are capped before anything big is allocated: every tensor-producing step is first run
on PyTorch's "meta" device (shapes only, no data) and refused when its result would hold more
than `MAX_ELEMENTS` elements, or when one expression would create more than
`MAX_TOTAL_ELEMENTS` in all; matrix products and decompositions are refused above
`MAX_FLOPS`; Python integers are capped (`**` exponent, shifts, size), and so are lists,
strings, the source length and its nesting. Every refusal raises `UnsafeExpressionError`
(a ValueError) naming the offending part; an error that PyTorch raises for a legal expression
(shapes that do not match, ...) becomes `ExpressionError` with PyTorch's message.

Tensors are used as they are (never copied), so autograd graphs are kept, and in-place methods
(`a.add_(1)`) do change the named tensors.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any

import torch

from pytorch_explorer.core.errors import ExplorerError

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_CONSTANTS",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_METHODS",
    "ExpressionError",
    "UnsafeExpressionError",
    "evaluate",
]

MAX_SOURCE_CHARS = 2_000
MAX_NODES = 1_000
MAX_DEPTH = 100
MAX_STRING_CHARS = 200
MAX_ELEMENTS = 10_000_000  # in any one tensor, created or resulting
MAX_TOTAL_ELEMENTS = 50_000_000  # in all tensors one expression creates
MAX_SEQUENCE_ITEMS = 1_000_000  # in a Python list/tuple (nested lists count their leaves)
MAX_PIECES = 10_000  # tensors returned by split/unbind/chunk-like calls
MAX_TOLIST = 1_000_000  # elements turned into Python numbers by .tolist()
MAX_EXPONENT = 1_000  # |exponent| of ** between Python numbers
MAX_INT_BITS = 1_024  # size of any Python integer
MAX_FLOPS = 4_000_000_000  # multiply-adds of one matrix product or decomposition


class ExpressionError(ExplorerError, ValueError):
    """A legal expression that could not be computed (PyTorch's reason is in the message)."""


class UnsafeExpressionError(ExpressionError):
    """The expression is outside the language or over a size cap; the message names the part."""


# ------------------------------------------------------------------ what an expression can use
def _resolve(path: str) -> Any:
    """The object at a dotted path below torch (`torch.linalg.norm`)."""
    obj: Any = torch
    for part in path.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


_CREATION = {
    "tensor", "as_tensor", "zeros", "ones", "full", "arange", "linspace", "logspace", "eye",
    "zeros_like", "ones_like", "full_like", "rand", "randn", "randint", "rand_like", "randn_like",
    "randint_like", "randperm", "tril_indices", "triu_indices", "normal", "bernoulli", "poisson",
    "multinomial", "complex", "polar", "diag", "diagflat", "diag_embed", "meshgrid",
    "cartesian_prod", "combinations", "vander", "block_diag", "scalar_tensor",
}
_POINTWISE = {
    "abs", "absolute", "acos", "arccos", "acosh", "arccosh", "add", "addcdiv", "addcmul", "angle",
    "asin", "arcsin", "asinh", "arcsinh", "atan", "arctan", "atanh", "arctanh", "atan2", "arctan2",
    "bitwise_not", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
    "bitwise_right_shift", "ceil", "clamp", "clip", "clamp_min", "clamp_max", "conj", "copysign",
    "cos", "cosh", "deg2rad", "div", "divide", "digamma", "erf", "erfc", "erfinv", "exp", "exp2",
    "expm1", "float_power", "floor", "floor_divide", "fmod", "frac", "frexp", "hypot", "i0", "lerp",
    "lgamma", "log", "log10", "log1p", "log2", "logaddexp", "logaddexp2", "logical_and",
    "logical_not", "logical_or", "logical_xor", "logit", "mul", "multiply", "nan_to_num", "neg",
    "negative", "nextafter", "positive", "pow", "rad2deg", "real", "imag", "reciprocal",
    "remainder", "round", "rsqrt", "sigmoid", "sign", "sgn", "signbit", "sin", "sinc", "sinh",
    "sqrt", "square", "sub", "subtract", "tan", "tanh", "true_divide", "trunc", "fix", "xlogy",
    "heaviside", "gcd", "lcm", "ldexp", "relu", "softmax", "log_softmax", "isfinite", "isinf",
    "isnan", "isneginf", "isposinf", "isreal", "where", "polygamma", "mvlgamma", "igamma",
    "igammac",
}
_REDUCTIONS = {
    "sum", "mean", "prod", "std", "var", "std_mean", "var_mean", "max", "min", "amax", "amin",
    "aminmax", "argmax", "argmin", "median", "nanmedian", "mode", "norm", "logsumexp", "all",
    "any", "count_nonzero", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "nansum",
    "nanmean", "quantile", "nanquantile", "unique", "unique_consecutive", "bincount", "histc",
    "dist", "diff", "trace", "kthvalue", "topk", "sort", "argsort", "msort", "cov", "corrcoef",
}
_COMPARISON = {
    "eq", "ne", "gt", "ge", "lt", "le", "greater", "less", "greater_equal", "less_equal",
    "not_equal", "equal", "allclose", "isclose", "maximum", "minimum", "fmax", "fmin", "isin",
    "searchsorted", "bucketize",
}
_LINALG_TORCH = {
    "matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "cross", "det", "inverse",
    "logdet", "slogdet", "matrix_power", "matrix_exp", "pinverse", "tensordot", "einsum", "kron",
    "cdist", "tril", "triu", "addmm", "addmv", "addr", "qr", "svd", "cholesky", "lu_solve",
}
_SHAPE = {
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
    "swapdims", "permute", "movedim", "moveaxis", "t", "cat", "concat", "concatenate", "stack",
    "hstack", "vstack", "dstack", "column_stack", "row_stack", "split", "chunk", "tensor_split",
    "hsplit", "vsplit", "dsplit", "unbind", "flip", "fliplr", "flipud", "roll", "rot90", "gather",
    "scatter", "scatter_add", "index_select", "masked_select", "masked_fill", "take",
    "take_along_dim", "narrow", "select", "nonzero", "argwhere", "repeat_interleave", "tile",
    "broadcast_to", "broadcast_tensors", "atleast_1d", "atleast_2d", "atleast_3d", "ravel",
    "clone", "diagonal", "index_add", "index_copy", "index_fill", "detach", "numel",
    "is_tensor", "is_floating_point", "is_complex", "is_nonzero", "result_type", "promote_types",
    "can_cast", "broadcast_shapes", "squeeze_copy", "view_as_real", "view_as_complex",
}
_LINALG = {
    "norm", "vector_norm", "matrix_norm", "det", "slogdet", "inv", "pinv", "solve", "lstsq", "eig",
    "eigh", "eigvals", "eigvalsh", "svd", "svdvals", "qr", "cholesky", "matrix_rank",
    "matrix_power", "matrix_exp", "cross", "cond", "multi_dot", "vecdot", "diagonal", "lu",
    "lu_factor", "inv_ex", "solve_triangular", "vander", "tensorinv", "tensorsolve", "householder_product",
}
_SPECIAL = {
    "expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "entr", "xlogy", "xlog1py",
    "softmax", "log_softmax", "ndtr", "ndtri", "sinc", "logsumexp", "i0", "i0e", "i1", "i1e",
    "log1p", "expm1", "exp2", "round", "bessel_j0", "bessel_j1",
}
_FUNCTIONAL = {
    "sigmoid", "relu", "tanh", "softmax", "log_softmax", "softmin", "cross_entropy", "mse_loss",
    "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "nll_loss", "kl_div", "linear", "gelu", "leaky_relu",
    "elu", "selu", "celu", "silu", "mish", "softplus", "softsign", "hardtanh", "relu6",
    "logsigmoid", "hardsigmoid", "hardswish", "tanhshrink", "normalize", "one_hot", "dropout",
    "pad", "cosine_similarity", "pairwise_distance", "embedding", "threshold", "glu",
    "layer_norm", "gumbel_softmax",
}

def _existing(prefix: str, names: set[str]) -> set[str]:
    """`prefix.name` for each name this PyTorch version has (a few are newer or older)."""
    module = _resolve(prefix) if prefix != "torch" else torch
    return {f"{prefix}.{n}" for n in names if callable(getattr(module, n, None))}


ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    _existing("torch", _CREATION | _POINTWISE | _REDUCTIONS | _COMPARISON | _LINALG_TORCH | _SHAPE)
    | _existing("torch.linalg", _LINALG)
    | _existing("torch.special", _SPECIAL)
    | _existing("torch.nn.functional", _FUNCTIONAL)
)
"""Dotted names of the functions an expression may call."""

_TORCH_NAMESPACES = {"torch", "torch.linalg", "torch.special", "torch.nn", "torch.nn.functional"}

_DTYPES = (
    "float32 float64 float16 bfloat16 int8 int16 int32 int64 uint8 bool complex64 complex128 "
    "float double half long int short cfloat cdouble"
).split()
ALLOWED_CONSTANTS: dict[str, Any] = {f"torch.{n}": getattr(torch, n) for n in _DTYPES} | {
    "torch.pi": math.pi, "torch.e": math.e, "torch.inf": math.inf, "torch.nan": math.nan,
}
"""Dotted names usable as values: dtypes and a few numbers."""

_DENIED_METHODS = {
    "storage", "untyped_storage", "share_memory_", "pin_memory", "resize_", "resize_as_", "set_",
    "apply_", "map_", "map2_", "register_hook", "backward", "numpy", "as_strided", "as_strided_", "record_stream", "to_sparse", "module_load", "new_empty",
}
_EXTRA_METHODS = {
    "view", "view_as", "reshape_as", "expand", "expand_as", "repeat", "contiguous", "clone",
    "detach", "item", "tolist", "size", "dim", "ndimension", "numel", "nelement", "stride",
    "storage_offset", "is_contiguous", "element_size", "is_floating_point", "is_complex", "to",
    "cpu", "cuda", "float", "double", "half", "bfloat16", "int", "long", "bool", "short", "byte",
    "char", "type_as", "new_zeros", "new_ones", "new_full", "new_tensor", "requires_grad_",
    "retain_grad", "masked_fill", "masked_fill_", "index_fill", "fill_", "zero_", "add_", "sub_",
    "mul_", "div_", "pow_", "clamp_", "abs_", "neg_", "exp_", "log_", "sqrt_", "relu_",
    "sigmoid_", "tanh_", "copy_", "t_", "transpose_", "squeeze_", "unsqueeze_", "uniform_",
    "normal_", "random_", "fill_diagonal_", "unfold", "softmax", "log_softmax", "relu", "sigmoid",
    "tanh", "sum_to_size", "is_shared", "equal", "allclose", "data_ptr",
}
ALLOWED_METHODS: frozenset[str] = frozenset(
    (_EXTRA_METHODS | {n for n in _CREATION | _POINTWISE | _REDUCTIONS | _COMPARISON | _LINALG_TORCH | _SHAPE
                       if callable(getattr(torch.Tensor, n, None))}) - _DENIED_METHODS
)
"""Tensor methods an expression may call (`a.sum(dim=0)`)."""

ALLOWED_ATTRIBUTES: frozenset[str] = frozenset({
    "shape", "dtype", "device", "T", "mT", "H", "mH", "ndim", "requires_grad", "is_leaf", "grad",
    "data", "real", "imag", "is_cuda", "nbytes", "itemsize", "layout",
})
"""Tensor properties an expression may read (`a.shape`, `a.T`)."""

_RESULT_FIELDS = {
    "values", "indices", "Q", "R", "U", "S", "V", "Vh", "L", "LU", "pivots", "P", "eigenvalues",
    "eigenvectors", "sign", "logabsdet", "solution", "residuals", "rank", "singular_values",
    "mantissa", "exponent", "min", "max", "mean", "std", "var", "inverse", "info", "hist",
    "bin_edges",
}

# Calls whose size a meta-device dry run cannot predict; each is bounded by its input or by a rule.
_DATA_DEPENDENT = {
    "nonzero", "argwhere", "unique", "unique_consecutive", "masked_select", "bincount",
    "repeat_interleave", "one_hot", "getitem", "where", "histc", "combinations", "multinomial",
    "eig", "eigvals", "lstsq", "matrix_rank", "is_nonzero", "equal", "allclose", "item", "tolist",
    "is_shared", "data_ptr", "lu_solve", "tensorinv", "tensorsolve", "bernoulli", "poisson", "cov", "corrcoef",
}
# Size-preserving conversions: no dry run needed (and `.to("cuda")` must not run on meta).
_NO_DRY_RUN = {
    "to", "cpu", "cuda", "float", "double", "half", "bfloat16", "int", "long", "bool", "short",
    "byte", "char", "type_as", "detach", "contiguous", "clone", "requires_grad_", "retain_grad",
    "size", "dim", "ndimension", "numel", "nelement", "stride", "storage_offset", "is_contiguous",
    "element_size", "is_floating_point", "is_complex", "is_tensor", "result_type", "promote_types",
    "can_cast", "broadcast_shapes", "tensor", "as_tensor", "scalar_tensor",
}
_MATMUL_LIKE = {"matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "addmm", "addmv", "linear", "cdist"}
_CUBIC = {
    "det", "inverse", "logdet", "slogdet", "matrix_exp", "pinverse", "qr", "svd", "cholesky", "inv",
    "pinv", "solve", "lstsq", "eig", "eigh", "eigvals", "eigvalsh", "svdvals", "matrix_rank",
    "cond", "lu", "lu_factor", "inv_ex", "solve_triangular", "matrix_power", "tensorinv",
    "tensorsolve", "householder_product", "lu_solve",
}
# Decompositions about ten times the work of an inverse of the same size (measured: svd and eig).
_HEAVY = {
    "svd", "svdvals", "pinv", "pinverse", "matrix_rank", "cond", "lstsq", "eig", "eigvals", "eigh",
    "eigvalsh", "matrix_exp", "norm", "matrix_norm",
}
_PIECES = {"split", "chunk", "tensor_split", "hsplit", "vsplit", "dsplit", "unbind"}
# Functions that take device=: their dry run creates nothing real.
_DEVICE_KW = {
    "zeros", "ones", "full", "arange", "linspace", "logspace", "eye", "zeros_like", "ones_like",
    "full_like", "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm",
    "tril_indices", "triu_indices", "scalar_tensor",
}
_OP_SYMBOLS = {
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
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.MatMult: operator.matmul, ast.BitAnd: operator.and_, ast.BitOr: operator.or_,
    ast.BitXor: operator.xor, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}
_BINOP_NAMES = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floor_divide",
    ast.Mod: "remainder", ast.Pow: "pow", ast.MatMult: "matmul", ast.BitAnd: "bitwise_and",
    ast.BitOr: "bitwise_or", ast.BitXor: "bitwise_xor", ast.LShift: "bitwise_left_shift",
    ast.RShift: "bitwise_right_shift",
}
_UNARYOPS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a), ast.NotIn: lambda a, b: not operator.contains(b, a),
}
_NUMBER = (bool, int, float, complex)
_SEQUENCE = (list, tuple, str)


def evaluate(source: str, names: Mapping[str, Any] | None = None) -> Any:
    """Evaluate one expression of the language described in this module's docstring.

    `names` maps the names an expression may use to their values (usually tensors). Raises
    UnsafeExpressionError for anything outside the language or over a cap, ExpressionError when
    PyTorch rejects a legal expression.
    """
    if not isinstance(source, str):
        raise UnsafeExpressionError("The expression must be text.")
    if len(source) > MAX_SOURCE_CHARS:
        raise UnsafeExpressionError(
            f"The expression is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}."
        )
    if not source.strip():
        raise UnsafeExpressionError("The expression is empty: type something like `a @ b.t() + 1`.")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        where = f" (column {exc.offset})" if exc.offset else ""
        raise UnsafeExpressionError(f"This is not a valid expression{where}: {exc.msg}.") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise UnsafeExpressionError(f"This expression cannot be read: {exc}.") from None
    _check_tree(tree)
    return _Interpreter(dict(names or {})).run(tree)


def _check_tree(tree: ast.AST) -> None:
    """Refuse unknown node types, too many nodes, too deep nesting: before running anything."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise UnsafeExpressionError(f"The expression has more than {MAX_NODES} parts; make it shorter.")
        if depth > MAX_DEPTH:
            raise UnsafeExpressionError(f"The expression is nested more than {MAX_DEPTH} levels deep.")
        if not isinstance(node, _ALLOWED_NODES):
            what = _NODE_NAMES.get(type(node), type(node).__name__)
            raise UnsafeExpressionError(f"{what} is not allowed here{_snippet(node)}.")
        if isinstance(node, ast.Constant):
            _check_constant(node)
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise UnsafeExpressionError(f"Attribute names starting with '_' are not allowed: `{node.attr}`.")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise UnsafeExpressionError(f"Names starting with '__' are not allowed: `{node.id}`.")
        if isinstance(node, ast.keyword) and node.arg is None:
            raise UnsafeExpressionError(f"**-unpacking is not allowed{_snippet(node.value)}.")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_constant(node: ast.Constant) -> None:
    value = node.value
    if value is None or value is Ellipsis or isinstance(value, (bool, float, complex)):
        return
    if isinstance(value, int):
        _check_int(value, "this number")
        return
    if isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise UnsafeExpressionError(f"Strings longer than {MAX_STRING_CHARS} characters are not allowed.")
        return
    raise UnsafeExpressionError(f"{type(value).__name__} literals are not allowed: {value!r:.40}.")


def _check_int(value: int, what: str) -> int:
    if value.bit_length() > MAX_INT_BITS:
        raise UnsafeExpressionError(f"{what} has more than {MAX_INT_BITS} bits; that is too large to compute with.")
    return value


def _snippet(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # noqa: BLE001 - only used for messages
        return ""
    return f": `{text if len(text) <= limit else text[: limit - 3] + '...'}`"


def _first_line(exc: BaseException) -> str:
    text = str(exc).split("\nException raised from")[0].strip()
    return text.splitlines()[0] if text else type(exc).__name__


# ------------------------------------------------------------------ size estimates
def _tensors_in(value: Any) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors_in(item)]
    return []


def _leaf_count(value: Any, memo: dict[int, int]) -> int:
    """Python items in a (nested) list (a tensor counts as one); shared sublists are walked once."""
    if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        key = id(value)
        if key not in memo:
            memo[key] = 0  # no cycles are possible, but be safe
            total = 0
            for item in value:
                total += _leaf_count(item, memo)
                if total > MAX_ELEMENTS * 10:
                    break
            memo[key] = total
        return memo[key]
    return 1


def _check_sequence(value: Any, node: ast.AST) -> Any:
    """Refuse lists whose nested items (shared sublists counted each time) exceed the cap."""
    if _leaf_count(value, {}) > MAX_SEQUENCE_ITEMS:
        raise UnsafeExpressionError(
            f"That list holds more than {MAX_SEQUENCE_ITEMS:,} items in all{_snippet(node)}."
        )
    return value


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return torch.empty_like(value, device="meta")
    if isinstance(value, list):
        return [_to_meta(v) for v in value]
    if isinstance(value, tuple) and not isinstance(value, torch.Size):
        return tuple(_to_meta(v) for v in value)
    return value


def _arg(args: tuple, kwargs: dict, position: int, name: str, default: Any = None) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _numel_of(value: Any) -> int:
    return sum(t.numel() for t in _tensors_in(value))


class _Where:
    """The source of the node being evaluated, rendered only when a message needs it."""

    def __init__(self, node: ast.AST):
        self.node = node

    def __str__(self) -> str:
        return _snippet(self.node)

    def __format__(self, spec: str) -> str:
        return str(self)


def _is_torch_root(path: str | None, names: Mapping[str, Any]) -> bool:
    if path is None:
        return False
    root = path.split(".")[0]
    return root == "torch" or (root == "F" and "F" not in names)


class _Interpreter:
    def __init__(self, names: dict[str, Any]):
        self.names = names
        self.created = 0

    def run(self, tree: ast.Expression) -> Any:
        value = self.eval(tree.body)
        if callable(value) and not isinstance(value, torch.Tensor):
            raise UnsafeExpressionError("A function is not a value: call it, e.g. `a.sum()`.")
        return value

    # -------------------------------------------------------------- dispatch
    def eval(self, node: ast.AST) -> Any:
        method = getattr(self, f"eval_{type(node).__name__}", None)
        if method is None:  # _check_tree already refused it; kept as a second wall
            raise UnsafeExpressionError(f"{type(node).__name__} is not allowed here{_snippet(node)}.")
        return method(node)

    def eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def eval_Name(self, node: ast.Name) -> Any:
        if node.id == "torch" or (node.id == "F" and "F" not in self.names):
            raise UnsafeExpressionError(
                f"`{node.id}` is a module, not a value: use one of its functions, e.g. `torch.zeros(2, 3)`."
            )
        if node.id in self.names:
            value = self.names[node.id]
            if callable(value) and not isinstance(value, torch.Tensor):
                raise UnsafeExpressionError(f"`{node.id}` is not a tensor or a number, so it cannot be used here.")
            return value
        known = ", ".join(sorted(self.names)) or "none"
        raise UnsafeExpressionError(f"Unknown name `{node.id}` (the names you can use: torch, {known}).")

    def eval_List(self, node: ast.List) -> list:
        return _check_sequence([self.eval(item) for item in node.elts], node)

    def eval_Tuple(self, node: ast.Tuple) -> tuple:
        return _check_sequence(tuple(self.eval(item) for item in node.elts), node)

    def eval_Slice(self, node: ast.Slice) -> slice:
        parts = [None if p is None else self.eval(p) for p in (node.lower, node.upper, node.step)]
        return slice(*parts)

    def eval_IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self._truth(self.eval(node.test), node.test) else self.eval(node.orelse)

    def eval_BoolOp(self, node: ast.BoolOp) -> Any:
        value = self.eval(node.values[0])
        for item in node.values[1:]:
            truth = self._truth(value, node)
            if (isinstance(node.op, ast.And) and not truth) or (isinstance(node.op, ast.Or) and truth):
                return value
            value = self.eval(item)
        return value

    def _truth(self, value: Any, node: ast.AST) -> bool:
        try:
            return bool(value)
        except Exception as exc:  # noqa: BLE001 - e.g. "Boolean value of Tensor ... is ambiguous"
            raise ExpressionError(f"Cannot use this as true/false{_snippet(node)}: {_first_line(exc)}") from None

    def eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not self._truth(value, node.operand)
        fn = _UNARYOPS[type(node.op)]
        if isinstance(value, _NUMBER):
            return self._python_math(fn, node, value)
        self._require_operand(value, node)
        return self._call(type(node.op).__name__.lower(), fn, (value,), {}, node, dry_run=False)

    def eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        fn = _BINOPS[type(node.op)]
        if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
            self._require_operand(left, node)
            self._require_operand(right, node)
            return self._call(_BINOP_NAMES[type(node.op)], fn, (left, right), {}, node)
        if isinstance(left, _NUMBER) and isinstance(right, _NUMBER):
            return self._number_binop(node, fn, left, right)
        if isinstance(left, _SEQUENCE) or isinstance(right, _SEQUENCE):
            return self._sequence_binop(node, fn, left, right)
        raise UnsafeExpressionError(
            f"`{_OP_SYMBOLS.get(type(node.op), '?')}` cannot combine {type(left).__name__} and "
            f"{type(right).__name__}{_snippet(node)}."
        )

    def eval_Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator)
            fn = _CMPOPS[type(op)]
            if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
                result = self._call(type(op).__name__.lower(), fn, (left, right), {}, node)
            else:
                result = self._python_math(fn, node, left, right)
            if len(node.ops) > 1 and not self._truth(result, node):
                return result
            left = right
        return result

    def eval_Subscript(self, node: ast.Subscript) -> Any:
        value = self.eval(node.value)
        index = self.eval(node.slice)
        if isinstance(value, torch.Tensor):
            return self._call("getitem", operator.getitem, (value, index), {}, node)
        if isinstance(value, (list, tuple, str)):
            if not isinstance(index, (int, slice)):
                raise UnsafeExpressionError(
                    f"A {type(value).__name__} can only be indexed by a number or a slice{_snippet(node)}."
                )
            return self._python_math(operator.getitem, node, value, index)
        raise UnsafeExpressionError(f"A {type(value).__name__} cannot be indexed{_snippet(node)}.")

    def eval_Attribute(self, node: ast.Attribute) -> Any:
        path = _dotted(node)
        if _is_torch_root(path, self.names):
            return self._torch_value(_canonical(path), node)
        return self._attribute_of(self.eval(node.value), node.attr, node)

    def eval_Call(self, node: ast.Call) -> Any:
        func = node.func
        if not isinstance(func, ast.Attribute):
            raise UnsafeExpressionError(
                f"Only torch functions and tensor methods can be called{_snippet(func)}; e.g. `torch.sum(a)` or `a.sum()`."
            )
        path = _dotted(func)
        if _is_torch_root(path, self.names):
            full = _canonical(path)
            if full not in ALLOWED_FUNCTIONS:
                if full in ALLOWED_CONSTANTS:
                    raise UnsafeExpressionError(f"`{path}` is a value, not a function.")
                raise UnsafeExpressionError(
                    f"`{path}` is not one of the functions allowed here (tensor maths from torch, "
                    "torch.linalg, torch.special and torch.nn.functional)."
                )
            args, kwargs = self._arguments(node)
            name = full.rsplit(".", 1)[1]
            return self._call(name, _resolve(full), args, kwargs, node,
                              creation=full == f"torch.{name}" and name in _DEVICE_KW)
        receiver = self.eval(func.value)
        if not isinstance(receiver, torch.Tensor):
            raise UnsafeExpressionError(
                f"Only tensor methods can be called; `{func.attr}` is called on a {type(receiver).__name__}{_snippet(func)}."
            )
        if func.attr not in ALLOWED_METHODS:
            raise UnsafeExpressionError(f"The tensor method `{func.attr}` is not allowed here{_snippet(func)}.")
        method = getattr(receiver, func.attr, None)
        if method is None or not callable(method):
            raise UnsafeExpressionError(f"Tensors have no method `{func.attr}`.")
        args, kwargs = self._arguments(node)
        return self._call(func.attr, method, args, kwargs, node, receiver=receiver)

    def _arguments(self, node: ast.Call) -> tuple[tuple, dict]:
        args = tuple(self.eval(a) for a in node.args)
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
        if "out" in kwargs:
            raise UnsafeExpressionError("`out=` is not supported here: use the returned value instead.")
        return args, kwargs

    # -------------------------------------------------------------- values
    def _torch_value(self, path: str, node: ast.AST) -> Any:
        if path in ALLOWED_CONSTANTS:
            return ALLOWED_CONSTANTS[path]
        if path in ALLOWED_FUNCTIONS:
            raise UnsafeExpressionError(f"`{path}` is a function, not a value: call it, e.g. `{path}(a)`.")
        if path in _TORCH_NAMESPACES:
            raise UnsafeExpressionError(f"`{path}` is a module, not a value: use one of its functions.")
        raise UnsafeExpressionError(f"`{path}` is not allowed here.")

    def _attribute_of(self, value: Any, attr: str, node: ast.AST) -> Any:
        if isinstance(value, torch.Tensor):
            if attr in ALLOWED_ATTRIBUTES:
                return getattr(value, attr)
            if attr in ALLOWED_METHODS:
                raise UnsafeExpressionError(f"`{attr}` is a method: call it, e.g. `{ast.unparse(node)}()`.")
            raise UnsafeExpressionError(f"The tensor attribute `{attr}` is not allowed here{_snippet(node)}.")
        if (isinstance(value, tuple) and type(value).__module__ == "torch.return_types"
                and attr in _RESULT_FIELDS and attr in getattr(type(value), "__match_args__", ())):
            return getattr(value, attr)
        raise UnsafeExpressionError(f"`.{attr}` cannot be read from a {type(value).__name__}{_snippet(node)}.")

    def _require_operand(self, value: Any, node: ast.AST) -> None:
        if not isinstance(value, (torch.Tensor, *_NUMBER, list, tuple)):
            raise UnsafeExpressionError(f"A {type(value).__name__} cannot be used in arithmetic{_snippet(node)}.")

    # -------------------------------------------------------------- Python numbers and sequences
    def _number_binop(self, node: ast.BinOp, fn: Callable, left: Any, right: Any) -> Any:
        if isinstance(node.op, ast.Pow) and (isinstance(right, complex) or abs(right) > MAX_EXPONENT):
            raise UnsafeExpressionError(
                f"The exponent of ** must be a real number at most {MAX_EXPONENT} in size{_snippet(node)}."
            )
        if isinstance(node.op, (ast.LShift, ast.RShift)) and isinstance(right, int) and right > MAX_INT_BITS:
            raise UnsafeExpressionError(f"Shifts by more than {MAX_INT_BITS} bits are not allowed{_snippet(node)}.")
        return self._python_math(fn, node, left, right)

    def _sequence_binop(self, node: ast.BinOp, fn: Callable, left: Any, right: Any) -> Any:
        if isinstance(node.op, ast.Mult) and (isinstance(left, int) or isinstance(right, int)):
            seq, times = (left, right) if isinstance(left, _SEQUENCE) else (right, left)
            size = len(seq) * max(times, 0)
        elif isinstance(node.op, ast.Add) and type(left) is type(right):
            size = len(left) + len(right)
        else:
            raise UnsafeExpressionError(
                f"`{_OP_SYMBOLS.get(type(node.op), '?')}` cannot combine {type(left).__name__} and "
                f"{type(right).__name__}{_snippet(node)}."
            )
        limit = MAX_STRING_CHARS * 10 if isinstance(left, str) or isinstance(right, str) else MAX_SEQUENCE_ITEMS
        if size > limit:
            raise UnsafeExpressionError(
                f"That would make a sequence of {size:,} items; the limit is {limit:,}{_snippet(node)}."
            )
        return _check_sequence(self._python_math(fn, node, left, right), node)

    def _python_math(self, fn: Callable, node: ast.AST, *operands: Any) -> Any:
        try:
            result = fn(*operands)
        except Exception as exc:  # noqa: BLE001 - ZeroDivisionError, OverflowError, TypeError, IndexError ...
            raise ExpressionError(f"{_first_line(exc)}{_snippet(node)}") from None
        if isinstance(result, int) and not isinstance(result, bool):
            _check_int(result, "The result")
        return result

    # -------------------------------------------------------------- guarded tensor calls
    def _call(self, name: str, fn: Callable, args: tuple, kwargs: dict, node: ast.AST, *,
              receiver: torch.Tensor | None = None, creation: bool = False, dry_run: bool = True) -> Any:
        """Check sizes (rules, then a meta-device dry run), run `fn`, check and count the result."""
        where = _Where(node)
        memo: dict[int, int] = {}
        for value in (*args, *kwargs.values()):
            if isinstance(value, (list, tuple)) and _leaf_count(value, memo) > MAX_SEQUENCE_ITEMS:
                raise UnsafeExpressionError(
                    f"A list argument is too large (over {MAX_SEQUENCE_ITEMS:,} items){where}."
                )
            if isinstance(value, (list, tuple)) and len(_tensors_in(value)) > MAX_PIECES:
                raise UnsafeExpressionError(f"A list argument holds more than {MAX_PIECES:,} tensors{where}.")
        inputs = ((receiver,) if receiver is not None else ()) + args
        self._check_before(name, inputs, kwargs, where)
        if dry_run and name not in _NO_DRY_RUN:
            out = self._dry_run(name, fn, args, kwargs, where, receiver=receiver, creation=creation)
            if out is not None:
                self._check_work(name, inputs, out, where)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - PyTorch's own error, e.g. shapes that do not match
            raise ExpressionError(f"{_first_line(exc)}{where}") from None
        if callable(result) and not isinstance(result, torch.Tensor):
            raise UnsafeExpressionError(f"This returns a function, which is not a value{where}.")
        self._count(result, where)
        return result

    def _count(self, result: Any, where: _Where) -> None:
        tensors = _tensors_in(result)
        if len(tensors) > MAX_PIECES:
            raise UnsafeExpressionError(f"That returns {len(tensors):,} tensors; the limit is {MAX_PIECES:,}{where}.")
        for t in tensors:
            self._check_numel(t.numel(), where)
            if t.device.type == "meta":
                raise ExpressionError(f"Tensors on the meta device have a shape but no values: use 'cpu'{where}.")
        self.created += sum(t.numel() for t in tensors)

    def _check_numel(self, numel: int, where: _Where) -> None:
        if numel > MAX_ELEMENTS:
            raise UnsafeExpressionError(
                f"That would make a tensor of {numel:,} elements; the limit is {MAX_ELEMENTS:,}{where}."
            )
        if self.created + numel > MAX_TOTAL_ELEMENTS:
            raise UnsafeExpressionError(
                f"This expression would create more than {MAX_TOTAL_ELEMENTS:,} elements in all{where}."
            )

    def _dry_run(self, name: str, fn: Callable, args: tuple, kwargs: dict, where: _Where, *,
                 receiver: torch.Tensor | None, creation: bool) -> Any:
        """Run the step on the meta device (shapes only) and check the size of what it returns."""
        meta_args, meta_kwargs = _to_meta(args), {k: _to_meta(v) for k, v in kwargs.items()}
        if name == "getitem":
            meta_args = (meta_args[0], _meta_index(args[1]))
        if creation:
            meta_kwargs["device"] = "meta"
        try:
            with torch.no_grad():
                if receiver is not None:
                    out = getattr(_to_meta(receiver), name)(*meta_args, **meta_kwargs)
                else:
                    out = fn(*meta_args, **meta_kwargs)
        except Exception as exc:  # noqa: BLE001
            if name in _DATA_DEPENDENT:
                return None  # bounded by its input, or checked by _check_before
            if isinstance(exc, NotImplementedError):
                raise UnsafeExpressionError(f"The size of this result cannot be checked in advance{where}.") from None
            if creation:
                raise ExpressionError(f"{_first_line(exc)}{where}") from None
            return None  # a real error (shapes that do not match): the real call says it in PyTorch's words
        pieces = _tensors_in(out)
        if len(pieces) > MAX_PIECES:
            raise UnsafeExpressionError(f"That returns {len(pieces):,} tensors; the limit is {MAX_PIECES:,}{where}.")
        for t in pieces:
            self._check_numel(t.numel(), where)
        return out

    def _check_work(self, name: str, inputs: tuple, out: Any, where: _Where) -> None:
        """Multiply-adds of products, from the shapes the dry run found."""
        tensors = [t for t in inputs if isinstance(t, torch.Tensor)]
        if name in _MATMUL_LIKE and len(tensors) >= 2 and isinstance(out, torch.Tensor):
            a = tensors[0] if name in ("linear", "cdist") else tensors[-2]
            inner = a.shape[-1] if a.dim() else 1
            self._check_flops(max(out.numel(), 1) * inner, where)
        elif name == "tensordot" and len(tensors) >= 2 and isinstance(out, torch.Tensor):
            contracted = math.isqrt(tensors[0].numel() * tensors[1].numel() // max(out.numel(), 1))
            self._check_flops(max(out.numel(), 1) * contracted, where)

    def _check_before(self, name: str, inputs: tuple, kwargs: dict, where: _Where) -> None:
        """Caps a meta dry run cannot see: decompositions, data-dependent sizes, piece counts."""
        tensors = [t for t in inputs if isinstance(t, torch.Tensor)]
        first = tensors[0] if tensors else None
        if first is None:
            return
        if name in _PIECES:
            self._check_pieces(name, first, inputs[1:], kwargs, where)
        elif name == "tolist" and first.numel() > MAX_TOLIST:
            raise UnsafeExpressionError(f".tolist() is limited to {MAX_TOLIST:,} elements{where}.")
        elif name == "einsum":
            self._check_einsum(inputs, where)
        elif name in _CUBIC and first.dim() >= 2:
            flops = first.numel() * max(first.shape[-1], first.shape[-2]) * (10 if name in _HEAVY else 1)
            if name == "matrix_power":
                power = _arg(inputs, kwargs, 1, "n", 1)
                flops *= max(1, abs(power).bit_length()) if isinstance(power, int) else 1
            self._check_flops(flops, where)
        elif name in ("norm", "matrix_norm") and first.dim() >= 2:
            order = kwargs.get("ord", kwargs.get("p", inputs[1] if len(inputs) > 1 else None))
            if order in (2, -2, "nuc"):
                self._check_flops(first.numel() * max(first.shape[-1], first.shape[-2]) * 10, where)
        elif name == "bincount":
            minlength = _arg(inputs, kwargs, 2, "minlength", 0)
            top = _max_int(first) + 1
            self._check_numel(max(minlength if isinstance(minlength, int) else 0, top), where)
        elif name == "one_hot":
            classes = _arg(inputs, kwargs, 1, "num_classes", -1)
            if not isinstance(classes, int) or classes < 0:
                classes = _max_int(first) + 1
            self._check_numel(first.numel() * classes, where)
        elif name == "repeat_interleave":
            repeats = _arg(inputs, kwargs, 1, "repeats", None)
            if repeats is None:  # torch.repeat_interleave(counts)
                total = int(first.sum()) if first.numel() and not first.is_floating_point() else 0
            elif isinstance(repeats, torch.Tensor):
                total = first.numel() * max(_max_int(repeats), 0)
            elif isinstance(repeats, int):
                total = first.numel() * repeats
            else:
                total = 0
            self._check_numel(total, where)
        elif name == "combinations":
            r = _arg(inputs, kwargs, 1, "r", 2)
            if isinstance(r, int) and r >= 0:
                n = first.numel()
                self._check_numel(r * math.comb(n + r, r), where)
                self._check_numel(n ** min(r, 3), where)  # torch builds it from a meshgrid
        elif name in ("cov", "corrcoef"):  # (variables, observations) -> (variables, variables)
            rows = first.shape[0] if first.dim() == 2 else 1
            self._check_numel(rows * rows, where)
            self._check_flops(rows * first.numel(), where)
        elif name == "multinomial":
            samples = _arg(inputs, kwargs, 1, "num_samples", 1)
            if isinstance(samples, int):
                self._check_numel(samples * max(1, math.prod(first.shape[:-1])), where)

    def _check_pieces(self, name: str, first: torch.Tensor, rest: tuple, kwargs: dict, where: _Where) -> None:
        dim = _arg(rest, kwargs, 0 if name == "unbind" else 1, "dim", 0)
        if not isinstance(dim, int) or first.dim() == 0 or not -first.dim() <= dim < first.dim():
            return
        length = first.shape[dim]
        if name == "unbind":
            count = length
        elif name == "split":
            size = _arg(rest, kwargs, 0, "split_size_or_sections", kwargs.get("split_size", 1))
            if isinstance(size, (list, tuple)):
                count = len(size)
            else:
                count = length // max(size, 1) + 1 if isinstance(size, int) else 0
        else:
            sections = rest[0] if rest else kwargs.get("chunks", kwargs.get("sections", kwargs.get("indices", 1)))
            count = len(sections) + 1 if isinstance(sections, (list, tuple)) else (sections if isinstance(sections, int) else 0)
        if count > MAX_PIECES:
            raise UnsafeExpressionError(f"That would split into {count:,} tensors; the limit is {MAX_PIECES:,}{where}.")

    def _check_einsum(self, inputs: tuple, where: _Where) -> None:
        if not inputs or not isinstance(inputs[0], str):
            return
        equation = inputs[0].replace(" ", "")
        operands = list(inputs[1:])
        if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
            operands = list(operands[0])
        sizes: dict[str, int] = {}
        ellipsis = 1
        for spec, t in zip(equation.split("->")[0].split(","), operands, strict=False):
            if not isinstance(t, torch.Tensor):
                continue
            letters = spec.replace("...", "")
            extra = t.dim() - len(letters)
            shape = list(t.shape)
            if "..." in spec and extra > 0:
                start = spec.index("...")
                ellipsis = max(ellipsis, math.prod(shape[start:start + extra]))
                shape = shape[:start] + shape[start + extra:]
            for letter, size in zip(letters, shape, strict=False):
                sizes[letter] = max(sizes.get(letter, 1), int(size))
        self._check_flops(math.prod(sizes.values()) * ellipsis, where)

    def _check_flops(self, flops: int, where: _Where) -> None:
        if flops > MAX_FLOPS:
            raise UnsafeExpressionError(
                f"That needs about {flops:,} multiply-adds; the limit is {MAX_FLOPS:,}: use smaller tensors{where}."
            )


def _max_int(t: torch.Tensor) -> int:
    """The largest value of an integer tensor (0 for empty or floating tensors)."""
    if not t.numel() or t.is_floating_point() or t.is_complex():
        return 0
    return int(t.max())


def _meta_index(index: Any) -> Any:
    """Index for the dry run: boolean masks become the integer indices they select (same shape)."""
    parts = index if isinstance(index, tuple) else (index,)
    out: list[Any] = []
    for part in parts:
        if isinstance(part, list) and part and all(isinstance(p, bool) for p in part):
            part = torch.tensor(part)
        if isinstance(part, torch.Tensor) and part.dtype == torch.bool and part.dim() > 0:
            out.extend(_to_meta(p) for p in part.nonzero(as_tuple=True))
        else:
            out.append(_to_meta(part))
    return tuple(out) if isinstance(index, tuple) or len(out) != 1 else out[0]


def _dotted(node: ast.AST) -> str | None:
    """`torch.linalg.norm` for an Attribute chain ending in a Name; None for anything else."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _canonical(path: str) -> str:
    return "torch.nn.functional" + path[1:] if path == "F" or path.startswith("F.") else path


