"""What one step of an expression costs, estimated from shapes before it runs, and the time budget.

Every operation an expression can reach (each allowed torch function, tensor method, operator and
catalogue entry) belongs to one cost class below; `tests/tensors/test_cost.py` enumerates them and
fails for a name without one. `step_ns(name, inputs, kwargs)` estimates a step's time in
nanoseconds on the reference machine (2 cores) from the shapes alone, never allocating anything;
the torch backend (`guards.Budget`) and the numpy twin refuse a step over `MAX_STEP_NS`, an
expression whose steps add up to more than `MAX_TOTAL_NS`, and stop between steps once
`MAX_SECONDS` of wall-clock time have passed (a second wall behind the estimates).
Each refusal is a `TooCostlyError`: "that would take too long / too much memory".

Measured on the reference machine (2 threads): a float32 matmul ~0.05 ns a multiply-add (float64
0.13, int64 0.16, bfloat16 0.75, float16 1.3), an elementwise op ~1-6 ns an element (special functions 15-320), sorting ~6 ns an element per log2(n), cdist with p other than
2 ~5 ns a term, numpy's float16 matmul ~4 ns a multiply-add (it has no BLAS for float16).
"""

from __future__ import annotations

import math
from typing import Any

from pytorch_explorer.core.errors import BudgetError
from pytorch_explorer.tensors.language import UnsafeExpressionError

MAX_STEP_NS = 2e9        # one step: about 2 s on the reference machine
MAX_TOTAL_NS = 6e9       # one expression, all its steps
MAX_SECONDS = 8.0        # wall clock, checked between steps
MAX_INTERMEDIATE = 50_000_000  # elements an op builds inside itself (mvlgamma's x.shape + (p,))


class TooCostlyError(UnsafeExpressionError, BudgetError):
    """That would take too long or too much memory; the message says which part and the limit."""


# ----------------------------------------------------------------------------- the cost classes
FREE = frozenset("""
size dim ndimension numel nelement stride storage_offset is_contiguous element_size is_floating_point is_complex
is_tensor result_type promote_types can_cast broadcast_shapes data_ptr is_shared requires_grad_ retain_grad detach
T mT
""".split())
"""Metadata: no elements are touched."""

LINEAR = frozenset("""
abs abs_ absolute acos acosh add add_ addcdiv addcmul addr all allclose amax amin aminmax angle any arange
arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin argwhere as_tensor asin asinh atan atan2
atanh atleast_1d atleast_2d atleast_3d bernoulli bfloat16 binary_cross_entropy
binary_cross_entropy_with_logits bincount bitwise_and bitwise_left_shift bitwise_not bitwise_or
bitwise_right_shift bitwise_xor block_diag bool broadcast_tensors broadcast_to byte cartesian_prod cat ceil
celu char chunk clamp clamp_ clamp_max clamp_min clip clone column_stack complex concat concatenate conj
contiguous copy_ copysign corrcoef cos cosh cosine_similarity count_nonzero cov cpu cross cross_entropy cuda
cummax cummin cumprod cumsum deg2rad diag diag_embed diagflat diagonal dist div div_ divide double dropout
dsplit dstack elu embedding entr eq equal erf erfc exp exp2 exp_ expand expand_as expit expm1 eye fill_
fill_diagonal_ fix flatten flip fliplr flipud float float_power floor floor_divide fmax fmin fmod frac frexp
full full_like gather ge gelu ger glu greater greater_equal gt gumbel_softmax half hardsigmoid hardswish
hardtanh heaviside hsplit hstack huber_loss hypot imag index_add index_copy index_fill index_select int
is_nonzero isclose isfinite isinf isnan isneginf isposinf isreal item kl_div kron l1_loss layer_norm ldexp le
leaky_relu lerp less less_equal linspace log log10 log1p log2 log_ log_softmax logaddexp logaddexp2
logcumsumexp logical_and logical_not logical_or logical_xor logit logsigmoid logspace logsumexp long lt
masked_fill masked_fill_ masked_select max maximum mean meshgrid min minimum mish moveaxis movedim mse_loss
mul mul_ multinomial multiply nan_to_num nanmean nansum narrow ndtr ne neg neg_ negative new_full new_ones
new_tensor new_zeros nextafter nll_loss nonzero normal normal_ normalize not_equal one_hot ones ones_like
outer pad pairwise_distance permute poisson polar positive pow pow_ prod rad2deg rand rand_like randint
randint_like randn randn_like random_ ravel real reciprocal relu relu6 relu_ remainder repeat
repeat_interleave reshape reshape_as roll rot90 round row_stack rsqrt scalar_tensor scatter scatter_add select
selu sgn short sigmoid sigmoid_ sign signbit silu sin sinc sinh smooth_l1_loss softmax softmin softplus
softsign split sqrt sqrt_ square squeeze squeeze_ squeeze_copy stack std std_mean sub sub_ subtract sum
sum_to_size swapaxes swapdims t t_ take take_along_dim tan tanh tanh_ tanhshrink tensor tensor_split threshold
tile to tolist trace transpose transpose_ tril tril_indices triu triu_indices true_divide trunc type_as unbind
unflatten unfold uniform_ unsqueeze unsqueeze_ vander var var_mean vecdot vector_norm view view_as
view_as_complex view_as_real vsplit vstack where xlog1py xlogy zero_ zeros zeros_like
usub uadd invert noteq lte gte is isnot in notin getitem
""".split())
"""A few nanoseconds per element read or written (sizes checked by the meta-device dry run)."""

SLOW_ELEMENTWISE = frozenset("""
polygamma igamma igammac digamma lgamma gammaln erfinv ndtri i0 i0e i1 i1e bessel_j0 bessel_j1 gcd lcm
""".split())
"""Elementwise, but series or loops per element: 15-100 ns an element (polygamma up to ~320)."""

SORTING = frozenset("""
sort argsort msort topk kthvalue median nanmedian quantile nanquantile unique unique_consecutive mode searchsorted
bucketize isin randperm
""".split())
"""n log n."""

PRODUCTS = frozenset("matmul mm bmm mv dot vdot inner addmm addmv linear tensordot einsum multi_dot cdist".split())
"""Multiply-adds (`guards.Budget` also caps them at MAX_FLOPS)."""

CUBIC = frozenset("""
det inverse logdet slogdet matrix_exp pinverse qr svd cholesky inv pinv solve lstsq eig eigh eigvals eigvalsh svdvals
matrix_rank cond lu lu_factor inv_ex solve_triangular matrix_power tensorinv tensorsolve householder_product lu_solve
norm matrix_norm
""".split())
"""Decompositions: n^3 per matrix (ten times that for svd-like ones)."""

LOOPS = frozenset("diff mvlgamma combinations histc".split())
"""Ops whose cost grows with an argument, not only with their tensors: each has its own rule here."""

COST_CLASSES: dict[str, frozenset[str]] = {
    "free": FREE, "linear": LINEAR, "slow elementwise": SLOW_ELEMENTWISE, "sorting": SORTING,
    "products": PRODUCTS, "cubic": CUBIC, "loops": LOOPS,
}


def cost_class(name: str) -> str | None:
    """The cost class of an operation's short name (`sum`, `matmul`), None for an unknown one."""
    return next((label for label, names in COST_CLASSES.items() if name in names), None)


# ----------------------------------------------------------------------------- estimates
def arrays_in(value: Any) -> list[Any]:
    """Tensors or numpy arrays in a value (nested lists and tuples included), by their shape."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type):
        return [value]
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in arrays_in(item)]
    return []


def numel(array: Any) -> int:
    return math.prod(int(s) for s in array.shape)


def _arg(args: tuple, kwargs: dict, position: int, name: str, default: Any = None) -> Any:
    if name in kwargs:
        return kwargs[name]
    return args[position] if len(args) > position else default


def _per_mac(dtype: str, numpy: bool) -> float:
    """ns a multiply-add: BLAS for float32 (float64, complex) only; half and integers run plain loops."""
    if "float16" in dtype:
        return 4.0 if numpy else 1.5
    if "int" in dtype or "bool" in dtype:
        return 1.0 if numpy else 0.3
    if "float32" in dtype:
        return 0.05
    return 0.15


def _is_half(array: Any) -> bool:
    return "float16" in str(array.dtype) or "bfloat16" in str(array.dtype)


def product_macs(name: str, arrays: list[Any], args: tuple, kwargs: dict) -> float:
    """Multiply-adds of a product, from its operands' shapes alone (an upper bound)."""
    if name == "multi_dot":
        shapes = [tuple(a.shape) if len(a.shape) == 2 else ((1, a.shape[0]) if i == 0 else (a.shape[0], 1))
                  for i, a in enumerate(arrays) if len(a.shape) in (1, 2)]
        if not shapes:
            return 0.0
        rows, total = shapes[0][0], 0.0
        for (inner, cols) in (s for s in shapes[1:]):
            total += rows * inner * cols
        return total
    if len(arrays) < 2:
        return float(sum(numel(a) for a in arrays))
    a, b = (arrays[0], arrays[1]) if name in ("linear", "cdist", "tensordot") else (arrays[-2], arrays[-1])
    if name == "linear":  # x @ w.T
        return float(numel(a) * (b.shape[0] if len(b.shape) == 2 else 1))
    if name == "cdist":  # (.., P, M) x (.., R, M)
        return float(numel(a) * (b.shape[-2] if len(b.shape) >= 2 else 1))
    if name == "tensordot":
        return float(max(numel(a), numel(b)) * max(max(a.shape, default=1), max(b.shape, default=1)))
    if name == "einsum":
        return float(einsum_macs(args))
    cols = b.shape[-1] if len(b.shape) >= 2 else 1
    rows = a.shape[-2] if len(a.shape) >= 2 else 1
    return float(max(numel(a) * cols, numel(b) * rows))


def einsum_macs(inputs: tuple) -> int:
    """The product of every index's size in an einsum: its multiply-adds (0 if the call is not one)."""
    if not inputs or not isinstance(inputs[0], str):
        return 0
    equation = inputs[0].replace(" ", "")
    operands = list(inputs[1:])
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = list(operands[0])
    sizes: dict[str, int] = {}
    ellipsis = 1
    for spec, t in zip(equation.split("->")[0].split(","), operands, strict=False):
        if not (hasattr(t, "shape") and hasattr(t, "dtype")):
            continue
        letters = spec.replace("...", "")
        shape = [int(s) for s in t.shape]
        extra = len(shape) - len(letters)
        if "..." in spec and extra > 0:
            start = spec.index("...")
            ellipsis = max(ellipsis, math.prod(shape[start:start + extra]))
            shape = shape[:start] + shape[start + extra:]
        for letter, size in zip(letters, shape, strict=False):
            sizes[letter] = max(sizes.get(letter, 1), size)
    return math.prod(sizes.values()) * ellipsis


def step_ns(name: str, inputs: tuple, kwargs: dict, *, numpy: bool = False) -> float:
    """Estimated time of one step, in nanoseconds on the reference machine, from shapes only."""
    arrays = arrays_in(inputs) + arrays_in(tuple(kwargs.values()))
    elements = float(sum(numel(a) for a in arrays))
    label = cost_class(name)
    if label == "free":
        return 0.0
    if label == "slow elementwise":
        return (400.0 if name == "polygamma" else 100.0) * elements
    if label == "sorting":
        return 6.0 * elements * math.log2(max(elements, 2.0))
    if label == "products":
        macs = product_macs(name, arrays, inputs, kwargs)
        per_mac = 0.05
        if name == "cdist":
            p = _arg(inputs, kwargs, 2, "p", 2.0)
            per_mac = 0.05 if p == 2 else (1.0 if p in (0, 1, math.inf) else 5.0)
        else:
            per_mac = max((_per_mac(str(a.dtype), numpy) for a in arrays), default=0.05)
        return per_mac * macs
    if label == "cubic":
        first = arrays[0] if arrays else None
        if first is None or len(first.shape) < 2:
            return elements
        n = max(first.shape[-1], first.shape[-2])
        per = 0.5 if numpy and _is_half(first) else 0.05
        return per * 10 * numel(first) * n
    if label == "loops":
        return _loop_ns(name, arrays, inputs, kwargs)
    return 2.0 * elements  # linear (and an unknown name, which the language refuses anyway)


def _loop_ns(name: str, arrays: list[Any], inputs: tuple, kwargs: dict) -> float:
    first = numel(arrays[0]) if arrays else 0
    if name == "diff":  # n passes over a shrinking tensor, each a new tensor
        n = _arg(inputs, kwargs, 1, "n", 1)
        n = n if isinstance(n, int) and n > 0 else 1
        return float(min(n, 10**12)) * (2.0 * first + 500.0)
    if name == "mvlgamma":  # builds x.shape + (p,), then a sum over p
        p = _arg(inputs, kwargs, 1, "p", 1)
        p = p if isinstance(p, int) and p > 0 else 1
        return 20.0 * first * p
    if name == "histc":
        bins = _arg(inputs, kwargs, 1, "bins", 100)
        return 2.0 * (first + (bins if isinstance(bins, int) else 0))
    if name == "combinations":
        return 2.0 * first
    return 2.0 * first


def loop_elements(name: str, inputs: tuple, kwargs: dict) -> int:
    """Elements an op builds inside itself that the dry run does not show (mvlgamma: x.shape + (p,))."""
    arrays = arrays_in(inputs)
    first = numel(arrays[0]) if arrays else 0
    if name == "mvlgamma":
        p = _arg(inputs, kwargs, 1, "p", 1)
        return first * p if isinstance(p, int) and p > 0 else first
    if name == "histc":
        bins = _arg(inputs, kwargs, 1, "bins", 100)
        return bins if isinstance(bins, int) else 0
    return 0


def too_long(what: str, ns: float, limit_ns: float, where: str = "") -> TooCostlyError:
    """The refusal of a step or an expression estimated at `ns` (`what`: code, or a `Term` to translate)."""
    return TooCostlyError(
        "That would take too long: {what} needs about {seconds:.3g} s of computing here, and the limit "
        "is {limit:.3g} s{where}. Use smaller tensors or arguments.",
        what=what, seconds=ns / 1e9, limit=limit_ns / 1e9, where=where,
    )


def log_comb(n: int, r: int) -> float:
    """log(C(n, r)) without computing the (possibly huge) integer: math.comb(2e6, 1e6) never returns."""
    if r < 0 or r > n:
        return -math.inf
    return math.lgamma(n + 1) - math.lgamma(r + 1) - math.lgamma(n - r + 1)
