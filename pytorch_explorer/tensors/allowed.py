"""What an expression may use: torch functions, tensor methods and properties, dtypes and constants.

Allow-lists, not deny-lists: a name that is not here cannot be reached. A function or a module is
never a value (`torch.nn`, `a.sum` without the call are refused), so nothing callable reaches an
expression's results.
"""

from __future__ import annotations

import math
from typing import Any

import torch


def resolve(path: str) -> Any:
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
    module = resolve(prefix) if prefix != "torch" else torch
    return {f"{prefix}.{n}" for n in names if callable(getattr(module, n, None))}


ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    _existing("torch", _CREATION | _POINTWISE | _REDUCTIONS | _COMPARISON | _LINALG_TORCH | _SHAPE)
    | _existing("torch.linalg", _LINALG)
    | _existing("torch.special", _SPECIAL)
    | _existing("torch.nn.functional", _FUNCTIONAL)
)
"""Dotted names of the functions an expression may call."""

TORCH_NAMESPACES = {"torch", "torch.linalg", "torch.special", "torch.nn", "torch.nn.functional"}

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

RESULT_FIELDS = {  # named fields of torch.return_types results (`torch.max(a, dim=1).values`)
    "values", "indices", "Q", "R", "U", "S", "V", "Vh", "L", "LU", "pivots", "P", "eigenvalues",
    "eigenvectors", "sign", "logabsdet", "solution", "residuals", "rank", "singular_values",
    "mantissa", "exponent", "min", "max", "mean", "std", "var", "inverse", "info", "hist",
    "bin_edges",
}


__all__ = [
    "ALLOWED_ATTRIBUTES", "ALLOWED_CONSTANTS", "ALLOWED_FUNCTIONS", "ALLOWED_METHODS", "RESULT_FIELDS",
    "TORCH_NAMESPACES", "resolve",
]
