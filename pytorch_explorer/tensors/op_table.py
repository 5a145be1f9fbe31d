"""The catalogue's data: more than 200 torch functions and tensor methods, each with its numpy twin.  One `_op(...)` line per entry: signature, group, description, numpy twin (a function plus the code shown, see `ops.Twin`) or None, and a `note` saying why there is none or where the twin differs by design (std's Bessel correction, median's middle value, numpy's float64 default, ...). `expect` is the verdict a test must see on random inputs; `inputs` and `example` give test data. """

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from pytorch_explorer.tensors.guards import MAX_ELEMENTS
from pytorch_explorer.tensors.ops import FLOAT_DEFAULT_NOTE, NoTwin, Op, Twin, given, given_array, make_op

GROUPS = (
    "pointwise", "reductions", "linear algebra", "shape and indexing", "comparison", "creation",
    "random", "neural network",
)
CATALOGUE: list[Op] = []


def _op(*args: Any, **kwargs: Any) -> None:
    CATALOGUE.append(make_op(*args, **kwargs))


def _numpy(name: str, *params: str) -> Twin:
    """The twin that is numpy's function of the same name on the same arguments: np.abs({input})."""
    fn = getattr(np, name)
    return Twin(lambda **args: fn(*(args[p] for p in params)), f"np.{name}({', '.join('{%s}' % p for p in params)})")


# ---------------------------------------------------------------- pointwise, one tensor
_UNARY = [
    ("abs", "Absolute value |x|.", _numpy("abs", "input"), "float"),
    ("neg", "Negative -x.", _numpy("negative", "input"), "float"),
    ("sign", "Sign: -1, 0 or 1.", _numpy("sign", "input"), "float"),
    ("sqrt", "Square root.", _numpy("sqrt", "input"), "positive"),
    ("rsqrt", "Reciprocal square root 1/sqrt(x).", Twin(lambda input: 1 / np.sqrt(input), "1 / np.sqrt({input})"), "positive"),
    ("square", "x squared.", _numpy("square", "input"), "float"),
    ("exp", "e to the x.", _numpy("exp", "input"), "float"),
    ("exp2", "2 to the x.", _numpy("exp2", "input"), "float"),
    ("expm1", "exp(x) - 1, accurate near 0.", _numpy("expm1", "input"), "float"),
    ("log", "Natural logarithm.", _numpy("log", "input"), "positive"),
    ("log2", "Base-2 logarithm.", _numpy("log2", "input"), "positive"),
    ("log10", "Base-10 logarithm.", _numpy("log10", "input"), "positive"),
    ("log1p", "log(1 + x), accurate near 0.", _numpy("log1p", "input"), "positive"),
    ("sin", "Sine (radians).", _numpy("sin", "input"), "float"),
    ("cos", "Cosine (radians).", _numpy("cos", "input"), "float"),
    ("tan", "Tangent (radians).", _numpy("tan", "input"), "unit"),
    ("asin", "Inverse sine.", _numpy("arcsin", "input"), "unit"),
    ("acos", "Inverse cosine.", _numpy("arccos", "input"), "unit"),
    ("atan", "Inverse tangent.", _numpy("arctan", "input"), "float"),
    ("sinh", "Hyperbolic sine.", _numpy("sinh", "input"), "float"),
    ("cosh", "Hyperbolic cosine.", _numpy("cosh", "input"), "float"),
    ("tanh", "Hyperbolic tangent, squashes to (-1, 1).", _numpy("tanh", "input"), "float"),
    ("asinh", "Inverse hyperbolic sine.", _numpy("arcsinh", "input"), "float"),
    ("acosh", "Inverse hyperbolic cosine (x >= 1).", _numpy("arccosh", "input"), "above1"),
    ("atanh", "Inverse hyperbolic tangent (|x| < 1).", _numpy("arctanh", "input"), "unit"),
    ("ceil", "Round up to a whole number.", _numpy("ceil", "input"), "float"),
    ("floor", "Round down to a whole number.", _numpy("floor", "input"), "float"),
    ("trunc", "Round towards zero.", _numpy("trunc", "input"), "float"),
    ("frac", "Fractional part x - trunc(x).", Twin(lambda input: input - np.trunc(input), "{input} - np.trunc({input})"), "float"),
    ("reciprocal", "1 / x.", _numpy("reciprocal", "input"), "positive"),
    ("sigmoid", "Logistic sigmoid 1 / (1 + e^-x).", Twin(lambda input: 1 / (1 + np.exp(-input)), "1 / (1 + np.exp(-{input}))"), "float"),
    ("relu", "max(x, 0).", Twin(lambda input: np.maximum(input, 0), "np.maximum({input}, 0)"), "float"),
    ("deg2rad", "Degrees to radians.", _numpy("deg2rad", "input"), "float"),
    ("rad2deg", "Radians to degrees.", _numpy("rad2deg", "input"), "float"),
    ("sinc", "Normalised sinc sin(pi x) / (pi x).", _numpy("sinc", "input"), "float"),
    ("signbit", "True where the sign bit is set.", _numpy("signbit", "input"), "float"),
    ("logit", "Inverse sigmoid log(p / (1 - p)).", Twin(lambda input: np.log(input / (1 - input)), "np.log({input} / (1 - {input}))"), "prob"),
    ("i0", "Modified Bessel function of order 0.", _numpy("i0", "input"), "float"),
    ("positive", "+x (returns the input).", _numpy("positive", "input"), "float"),
    ("angle", "Angle of a complex number (0 or pi for reals).", _numpy("angle", "input"), "float"),
    ("conj", "Complex conjugate (a view for complex tensors).", _numpy("conj", "input"), "float"),
    ("nan_to_num", "Replace NaN with 0 and infinities with the largest finite values.", _numpy("nan_to_num", "input"), "float"),
    ("bitwise_not", "Bitwise NOT of integers (~x).", _numpy("invert", "input"), "int"),
    ("logical_not", "Logical NOT (nonzero is true).", _numpy("logical_not", "input"), "bool"),
    ("fix", "Round towards zero (alias of trunc).", _numpy("fix", "input"), "float"),
]
for _name, _desc, _twin, _domain in _UNARY:
    _op(f"torch.{_name}(input: Tensor)", "pointwise", _desc, _twin, inputs={"input": _domain})
_op("torch.round(input: Tensor, decimals: int = 0)", "pointwise", "Round to the nearest (halves to even).",
    Twin(lambda input, decimals=0: np.round(input, decimals=decimals), "np.round({input}, decimals={decimals})"))
_op("torch.erf(input: Tensor)", "pointwise", "Error function.", None,
    "numpy has no erf; scipy.special.erf (or math.erf per number) computes it.")
_op("torch.lgamma(input: Tensor)", "pointwise", "log |Gamma(x)|.", None,
    "numpy has no gamma functions; scipy.special.gammaln computes it.", inputs={"input": "positive"})
_op("torch.digamma(input: Tensor)", "pointwise", "Derivative of lgamma.", None,
    "numpy has no digamma; scipy.special.digamma computes it.", inputs={"input": "positive"})
_op("torch.clamp(input: Tensor, min: float | None = None, max: float | None = None)", "pointwise",
    "Clip values into [min, max].",
    Twin(lambda input, min=None, max=None: np.clip(input, min, max), "np.clip({input}, {min:keep}, {max:keep})"),
    example={"min": -0.5, "max": 0.5})
_op("torch.clip(input: Tensor, min: float | None = None, max: float | None = None)", "pointwise",
    "Alias of clamp.",
    Twin(lambda input, min=None, max=None: np.clip(input, min, max), "np.clip({input}, {min:keep}, {max:keep})"),
    example={"min": -0.5, "max": 0.5})

# ---------------------------------------------------------------- pointwise, two tensors
_BINARY = [
    ("sub", "input - other.", _numpy("subtract", "input", "other"), "float"),
    ("mul", "Elementwise product (not matrix product).", _numpy("multiply", "input", "other"), "float"),
    ("true_divide", "input / other, always a float result.", _numpy("true_divide", "input", "other"), "positive"),
    ("floor_divide", "Floor of input / other (like Python's //).", _numpy("floor_divide", "input", "other"), "nonzero_int"),
    ("remainder", "Remainder with the sign of the divisor (Python's %).", _numpy("remainder", "input", "other"), "nonzero_int"),
    ("fmod", "Remainder with the sign of the dividend (C's fmod).", _numpy("fmod", "input", "other"), "nonzero_int"),
    ("float_power", "input ** other in float64.", _numpy("float_power", "input", "other"), "positive"),
    ("atan2", "Angle of the point (other, input).", _numpy("arctan2", "input", "other"), "float"),
    ("hypot", "sqrt(input^2 + other^2).", _numpy("hypot", "input", "other"), "float"),
    ("copysign", "|input| with the sign of other.", _numpy("copysign", "input", "other"), "float"),
    ("logaddexp", "log(e^input + e^other).", _numpy("logaddexp", "input", "other"), "float"),
    ("logaddexp2", "log2(2^input + 2^other).", _numpy("logaddexp2", "input", "other"), "float"),
    ("nextafter", "Next float after input towards other.", _numpy("nextafter", "input", "other"), "float"),
    ("gcd", "Greatest common divisor.", _numpy("gcd", "input", "other"), "int"),
    ("lcm", "Least common multiple.", _numpy("lcm", "input", "other"), "int"),
    ("bitwise_and", "Bitwise AND (&).", _numpy("bitwise_and", "input", "other"), "int"),
    ("bitwise_or", "Bitwise OR (|).", _numpy("bitwise_or", "input", "other"), "int"),
    ("bitwise_xor", "Bitwise XOR (^).", _numpy("bitwise_xor", "input", "other"), "int"),
    ("logical_and", "Logical AND.", _numpy("logical_and", "input", "other"), "bool"),
    ("logical_or", "Logical OR.", _numpy("logical_or", "input", "other"), "bool"),
    ("logical_xor", "Logical XOR.", _numpy("logical_xor", "input", "other"), "bool"),
    ("heaviside", "Step function: 0, other (at 0), or 1.", _numpy("heaviside", "input", "other"), "float"),
]
for _name, _desc, _twin, _domain in _BINARY:
    _op(f"torch.{_name}(input: Tensor, other: Tensor)", "pointwise", _desc, _twin,
        inputs={"input": _domain, "other": "nonzero_int" if _domain == "nonzero_int" else _domain})
_op("torch.add(input: Tensor, other: Tensor, alpha: number = 1)", "pointwise", "input + alpha * other.",
    (Twin(lambda input, other, alpha=1: input + alpha * other, "{input} + {alpha} * {other}", when=given("alpha")), Twin(lambda input, other, alpha=1: np.add(input, other), "np.add({input}, {other})")))
_op("torch.div(input: Tensor, other: Tensor, rounding_mode: Literal[None, 'trunc', 'floor'] = None)", "pointwise",
    "input / other; rounding_mode='floor' is //, 'trunc' rounds towards zero.",
    (Twin(lambda input, other, rounding_mode=None: np.floor_divide(input, other), "np.floor_divide({input}, {other})", when=given("rounding_mode", "floor")), Twin(lambda input, other, rounding_mode=None: np.trunc(input / other), "np.trunc({input} / {other})", when=given("rounding_mode", "trunc")), Twin(lambda input, other, rounding_mode=None: np.true_divide(input, other), "np.true_divide({input}, {other})")),
    "With integer tensors, '/' gives floats in both; 'trunc' and 'floor' differ for negative results "
    "(-7 // 2 is -4, trunc(-7 / 2) is -3).", inputs={"input": "int", "other": "nonzero_int"})
_op("torch.pow(input: Tensor, exponent: Tensor)", "pointwise", "input ** exponent, elementwise.",
    Twin(lambda input, exponent: np.power(input, exponent), "np.power({input}, {exponent})"),
    inputs={"input": "positive", "exponent": "float"})
_op("torch.ldexp(input: Tensor, other: Tensor)", "pointwise", "input * 2 ** other.",
    Twin(lambda input, other: input * 2.0 ** other, "{input} * 2.0 ** {other}"),
    inputs={"input": "float", "other": "int"})
_op("torch.bitwise_left_shift(input: Tensor, other: Tensor)", "pointwise", "input << other.",
    Twin(lambda input, other: np.left_shift(input, other), "np.left_shift({input}, {other})"),
    inputs={"input": "int", "other": "small_int"})
_op("torch.bitwise_right_shift(input: Tensor, other: Tensor)", "pointwise", "input >> other.",
    Twin(lambda input, other: np.right_shift(input, other), "np.right_shift({input}, {other})"),
    inputs={"input": "int", "other": "small_int"})
_op("torch.xlogy(input: Tensor, other: Tensor)", "pointwise", "input * log(other), 0 where input is 0.", None,
    "numpy has no xlogy; scipy.special.xlogy computes it.", inputs={"other": "positive"})
_op("torch.lerp(input: Tensor, end: Tensor, weight: float)", "pointwise",
    "Linear interpolation input + weight * (end - input).",
    Twin(lambda input, end, weight: input + weight * (end - input), "{input} + {weight} * ({end} - {input})"),
    example={"weight": 0.5})
_op("torch.addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: number = 1)", "pointwise",
    "input + value * tensor1 * tensor2.",
    Twin(lambda input, tensor1, tensor2, value=1: input + value * tensor1 * tensor2, "{input} + {value} * {tensor1} * {tensor2}"))
_op("torch.addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, value: number = 1)", "pointwise",
    "input + value * tensor1 / tensor2.",
    Twin(lambda input, tensor1, tensor2, value=1: input + value * tensor1 / tensor2, "{input} + {value} * {tensor1} / {tensor2}"),
    inputs={"tensor2": "positive"})
_op("torch.where(condition: Tensor, input: Tensor, other: Tensor)", "pointwise",
    "Pick input where condition is true, else other.",
    Twin(lambda condition, input, other: np.where(condition, input, other), "np.where({condition}, {input}, {other})"),
    inputs={"condition": "bool"})
_op("torch.complex(real: Tensor, imag: Tensor)", "pointwise", "Complex tensor real + i * imag.",
    Twin(lambda real, imag: real + 1j * imag, "{real} + 1j * {imag}"))
_op("torch.polar(abs: Tensor, angle: Tensor)", "pointwise", "Complex tensor abs * e^(i angle).",
    Twin(lambda abs, angle: abs * np.exp(1j * angle), "{abs} * np.exp(1j * {angle})"), inputs={"abs": "positive"})

# ---------------------------------------------------------------- reductions
_AXIS = "axis={dim}, keepdims={keepdim}"
_op("torch.sum(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Sum of all elements, or along dim.",
    Twin(lambda input, dim=None, keepdim=False: np.sum(input, axis=dim, keepdims=keepdim), "np.sum({input}, axis={dim}, keepdims={keepdim})"),
    example={"dim": 1})
_op("torch.mean(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Mean of all elements, or along dim (floating tensors only).",
    Twin(lambda input, dim=None, keepdim=False: np.mean(input, axis=dim, keepdims=keepdim),
    "np.mean({input}, axis={dim}, keepdims={keepdim})"),
    "PyTorch refuses the mean of an integer tensor; numpy returns a float64.")
_op("torch.prod(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Product of all elements, or along dim.",
    Twin(lambda input, dim=None, keepdim=False: np.prod(input, axis=dim, keepdims=keepdim),
    "np.prod({input}, axis={dim}, keepdims={keepdim})"))
_op("torch.nansum(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Sum, treating NaN as 0.",
    Twin(lambda input, dim=None, keepdim=False: np.nansum(input, axis=dim, keepdims=keepdim),
    "np.nansum({input}, axis={dim}, keepdims={keepdim})"))
_op("torch.nanmean(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Mean of the non-NaN elements.",
    Twin(lambda input, dim=None, keepdim=False: np.nanmean(input, axis=dim, keepdims=keepdim),
    "np.nanmean({input}, axis={dim}, keepdims={keepdim})"))
_STD_NOTE = ("PyTorch divides by N - 1 by default (Bessel's correction, correction=1); numpy divides by N "
             "(ddof=0). np.{0}(x, ddof=1) matches torch.{0}(x); torch.{0}(x, correction=0) matches np.{0}(x).")
for _name, _spread in (("std", np.std), ("var", np.var)):
    _op(f"torch.{_name}(input: Tensor, dim: int | None = None, correction: int = 1, keepdim: bool = False)", "reductions",
        "Standard deviation." if _name == "std" else "Variance.",
        Twin(lambda input, dim=None, correction=0, keepdim=False, spread=_spread:  # numpy's ddof=0 when not given
             spread(input, axis=dim, ddof=correction, keepdims=keepdim),
             f"np.{_name}({{input}}, axis={{dim}}, ddof={{correction}}, keepdims={{keepdim}})"), _STD_NOTE.format(_name),
        expect="differs")
_op("torch.std_mean(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Standard deviation and mean together.",
    Twin(lambda input, dim=None, keepdim=False: (np.std(input, axis=dim, keepdims=keepdim), np.mean(input, axis=dim, keepdims=keepdim)), "(np.std({input}, axis={dim}, keepdims={keepdim}), np.mean({input}, axis={dim}, keepdims={keepdim}))"),
    _STD_NOTE.format("std"), expect="differs")
_op("torch.var_mean(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Variance and mean together.",
    Twin(lambda input, dim=None, keepdim=False: (np.var(input, axis=dim, keepdims=keepdim), np.mean(input, axis=dim, keepdims=keepdim)), "(np.var({input}, axis={dim}, keepdims={keepdim}), np.mean({input}, axis={dim}, keepdims={keepdim}))"),
    _STD_NOTE.format("var"), expect="differs")
def _extreme_twins(name: str) -> tuple[Twin, ...]:
    """torch.max / torch.min: elementwise with a tensor, (values, indices) with a dim, else over all."""
    extreme, index, elementwise = getattr(np, name), getattr(np, f"arg{name}"), getattr(np, f"{name}imum")
    return (
        Twin(lambda input, dim=None, keepdim=False: elementwise(input, dim), f"np.{name}imum({{input}}, {{dim}})",
             when=given_array("dim")),
        Twin(lambda input, dim=None, keepdim=False: (extreme(input, axis=dim, keepdims=keepdim),
                                                     index(input, axis=dim, keepdims=keepdim)),
             f"(np.{name}({{input}}, {_AXIS}), np.arg{name}({{input}}, {_AXIS}))", when=given("dim")),
        Twin(lambda input, dim=None, keepdim=False: extreme(input), f"np.{name}({{input}})"),
    )


def _reduction(name: str) -> Twin:
    """np.<name>(input, axis=dim, keepdims=keepdim), numpy's reductions spelled like torch's."""
    fn = getattr(np, name)
    return Twin(lambda input, dim=None, keepdim=False: fn(input, axis=dim, keepdims=keepdim), f"np.{name}({{input}}, {_AXIS})")


for _name, _arg in (("max", "argmax"), ("min", "argmin")):
    _op(f"torch.{_name}(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
        f"The {_name}imum; with dim, the (values, indices) along it; with a tensor, elementwise.", _extreme_twins(_name),
        f"With dim, torch.{_name} returns a pair (values, indices): np.{_name} and np.{_arg}.", example={"dim": 1})
    _op(f"torch.a{_name}(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
        f"The {_name}imum values (no indices), over dim or everything.", _reduction(f"a{_name}"),
        example={"dim": 0})
    _op(f"torch.{_arg}(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
        f"Index of the {_name}imum (of the flattened tensor without dim).", _reduction(_arg),
        example={"dim": 1})
_op("torch.aminmax(input: Tensor)", "reductions", "Minimum and maximum together.",
    Twin(lambda input: (np.min(input), np.max(input)), "(np.min({input}), np.max({input}))"))
_MEDIAN_NOTE = ("For an even count, torch.median returns the lower of the two middle values; np.median "
                "returns their average (torch.quantile(x, 0.5) matches numpy).")
_op("torch.median(input: Tensor)", "reductions", "The middle value (the lower middle one for an even count).",
    Twin(lambda input: np.median(input), "np.median({input})"), _MEDIAN_NOTE, expect="differs")
_op("torch.nanmedian(input: Tensor)", "reductions", "Median ignoring NaN (lower middle for an even count).",
    Twin(lambda input: np.nanmedian(input), "np.nanmedian({input})"), _MEDIAN_NOTE, expect="differs")
_op("torch.mode(input: Tensor, dim: int = -1)", "reductions", "Most frequent value along dim, with its index.",
    None, "numpy has no mode; scipy.stats.mode computes it.", inputs={"input": "int"})
_op("torch.logsumexp(input: Tensor, dim: int, keepdim: bool = False)", "reductions",
    "log(sum(exp(x))) along dim, computed stably.",
    Twin(lambda input, dim, keepdim=False: np.log(np.sum(np.exp(input), axis=dim, keepdims=keepdim)), "np.log(np.sum(np.exp({input}), axis={dim}, keepdims={keepdim}))"),
    example={"dim": 1})
_op("torch.all(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "True if every element is true.",
    Twin(lambda input, dim=None, keepdim=False: np.all(input, axis=dim, keepdims=keepdim), "np.all({input}, axis={dim}, keepdims={keepdim})"),
    inputs={"input": "bool"})
_op("torch.any(input: Tensor, dim: int | None = None, keepdim: bool = False)", "reductions",
    "True if any element is true.",
    Twin(lambda input, dim=None, keepdim=False: np.any(input, axis=dim, keepdims=keepdim), "np.any({input}, axis={dim}, keepdims={keepdim})"),
    inputs={"input": "bool"})
_op("torch.count_nonzero(input: Tensor, dim: int | None = None)", "reductions", "How many elements are not zero.",
    Twin(lambda input, dim=None: np.count_nonzero(input, axis=dim), "np.count_nonzero({input}, axis={dim})"),
    inputs={"input": "int"})
_op("torch.cumsum(input: Tensor, dim: int)", "reductions", "Running sum along dim.",
    Twin(lambda input, dim: np.cumsum(input, axis=dim), "np.cumsum({input}, axis={dim})"),
    example={"dim": 1})
_op("torch.cumprod(input: Tensor, dim: int)", "reductions", "Running product along dim.",
    Twin(lambda input, dim: np.cumprod(input, axis=dim), "np.cumprod({input}, axis={dim})"), example={"dim": 1})
_op("torch.cummax(input: Tensor, dim: int)", "reductions", "Running maximum along dim, with indices.",
    None, "numpy's np.maximum.accumulate gives the values but not the indices.", example={"dim": 1})
_op("torch.cummin(input: Tensor, dim: int)", "reductions", "Running minimum along dim, with indices.",
    None, "numpy's np.minimum.accumulate gives the values but not the indices.", example={"dim": 1})
_op("torch.logcumsumexp(input: Tensor, dim: int)", "reductions", "Running log-sum-exp along dim.",
    Twin(lambda input, dim: np.logaddexp.accumulate(input, axis=dim), "np.logaddexp.accumulate({input}, axis={dim})"),
    example={"dim": 1})
_op("torch.quantile(input: Tensor, q: float, dim: int | None = None, keepdim: bool = False)", "reductions",
    "The q-th quantile (linear interpolation).",
    Twin(lambda input, q, dim=None, keepdim=False: np.quantile(input, q, axis=dim, keepdims=keepdim), "np.quantile({input}, {q}, axis={dim}, keepdims={keepdim})"),
    example={"q": 0.25})
_op("torch.nanquantile(input: Tensor, q: float, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Quantile ignoring NaN.",
    Twin(lambda input, q, dim=None, keepdim=False: np.nanquantile(input, q, axis=dim, keepdims=keepdim), "np.nanquantile({input}, {q}, axis={dim}, keepdims={keepdim})"),
    example={"q": 0.75})
_op("torch.norm(input: Tensor, p: float | None = None, dim: int | None = None, keepdim: bool = False)", "reductions",
    "Norm (Frobenius / 2-norm of all elements by default).",
    (Twin(lambda input, p=None, dim=None, keepdim=False: np.linalg.norm(input, ord=p, axis=dim, keepdims=keepdim), "np.linalg.norm({input}, ord={p}, axis={dim}, keepdims={keepdim})", when=given("dim")), Twin(lambda input, p=None, dim=None, keepdim=False: np.linalg.norm(input.ravel(), ord=p), "np.linalg.norm({input}.ravel(), ord={p})", when=given("p")), Twin(lambda input, p=None, dim=None, keepdim=False: np.linalg.norm(input), "np.linalg.norm({input})")))
_op("torch.dist(input: Tensor, other: Tensor, p: float = 2.0)", "reductions", "p-norm of input - other.",
    Twin(lambda input, other, p=2.0: np.linalg.norm((input - other).ravel(), ord=p), "np.linalg.norm(({input} - {other}).ravel(), ord={p})"))
_op("torch.diff(input: Tensor, n: int = 1, dim: int = -1)", "reductions", "Differences of neighbours along dim.",
    Twin(lambda input, n=1, dim=-1: np.diff(input, n=n, axis=dim), "np.diff({input}, n={n}, axis={dim})"))
_op("torch.unique(input: Tensor, sorted: bool = True)", "reductions", "The distinct values, sorted.",
    Twin(lambda input, sorted=True: np.unique(input), "np.unique({input})"), inputs={"input": "int"})
_op("torch.unique_consecutive(input: Tensor)", "reductions", "Drop repeats that follow each other (flattened).",
    Twin(lambda input: input.ravel()[np.concatenate(([True], np.diff(input.ravel()) != 0))], "{input}.ravel()[np.concatenate(([True], np.diff({input}.ravel()) != 0))]"),
    inputs={"input": ("small_int", (12,))})
_op("torch.bincount(input: Tensor, minlength: int = 0)", "reductions", "How often each value 0, 1, 2, ... occurs.",
    Twin(lambda input, minlength=0: np.bincount(input, minlength=minlength), "np.bincount({input}, minlength={minlength})"),
    inputs={"input": ("index", (10,))})
_op("torch.histc(input: Tensor, bins: int = 100)", "reductions", "Histogram with equal bins between min and max.",
    Twin(lambda input, bins=100: np.histogram(input, bins=bins)[0], "np.histogram({input}, bins={bins:keep})[0]"),
    "histc returns float counts; np.histogram returns integer counts.",
    example={"bins": 5})
_op("torch.kthvalue(input: Tensor, k: int)", "reductions", "k-th smallest along the last dim, with its index.",
    Twin(lambda input, k: (np.sort(input, axis=-1)[..., k - 1], np.argsort(input, axis=-1)[..., k - 1]), "(np.sort({input}, axis=-1)[..., {k} - 1], np.argsort({input}, axis=-1)[..., {k} - 1])"),
    example={"k": 2})
_op("torch.topk(input: Tensor, k: int)", "reductions", "The k largest along the last dim, with indices.",
    Twin(lambda input, k: (np.flip(np.sort(input, axis=-1), axis=-1)[..., :k], np.flip(np.argsort(input, axis=-1), axis=-1)[..., :k]), "(np.flip(np.sort({input}, axis=-1), axis=-1)[..., :{k}], np.flip(np.argsort({input}, axis=-1), axis=-1)[..., :{k}])"),
    example={"k": 2})
_op("torch.sort(input: Tensor, dim: int = -1, descending: bool = False)", "reductions",
    "Sorted values along dim, with the indices that sort.",
    (Twin(lambda input, dim=-1, descending=False: (np.flip(np.sort(input, axis=dim), axis=dim), np.flip(np.argsort(input, axis=dim), axis=dim)), "(np.flip(np.sort({input}, axis={dim}), axis={dim}), np.flip(np.argsort({input}, axis={dim}), axis={dim}))", when=given("descending", True)), Twin(lambda input, dim=-1, descending=False: (np.sort(input, axis=dim), np.argsort(input, axis=dim)), "(np.sort({input}, axis={dim}), np.argsort({input}, axis={dim}))")))
_op("torch.argsort(input: Tensor, dim: int = -1, descending: bool = False)", "reductions",
    "Indices that sort along dim.",
    (Twin(lambda input, dim=-1, descending=False: np.flip(np.argsort(input, axis=dim), axis=dim), "np.flip(np.argsort({input}, axis={dim}), axis={dim})", when=given("descending", True)), Twin(lambda input, dim=-1, descending=False: np.argsort(input, axis=dim), "np.argsort({input}, axis={dim})")))
_op("torch.msort(input: Tensor)", "reductions", "Sort along the first dim.",
    Twin(lambda input: np.sort(input, axis=0), "np.sort({input}, axis=0)"))
_op("torch.trace(input: Tensor)", "reductions", "Sum of the main diagonal.",
    Twin(lambda input: np.trace(input), "np.trace({input})"))
_op("torch.cov(input: Tensor)", "reductions", "Covariance matrix of the rows (variables) over the columns.",
    Twin(lambda input: np.cov(input), "np.cov({input})"))
_op("torch.corrcoef(input: Tensor)", "reductions", "Correlation coefficients of the rows.",
    Twin(lambda input: np.corrcoef(input), "np.corrcoef({input})"))

# ---------------------------------------------------------------- comparison
for _name, _np_name, _desc in [
    ("eq", "equal", "=="), ("ne", "not_equal", "!="), ("gt", "greater", ">"), ("ge", "greater_equal", ">="),
    ("lt", "less", "<"), ("le", "less_equal", "<="), ("greater", "greater", "> (alias of gt)"),
    ("less", "less", "< (alias of lt)"), ("greater_equal", "greater_equal", ">= (alias of ge)"),
    ("less_equal", "less_equal", "<= (alias of le)"), ("not_equal", "not_equal", "!= (alias of ne)"),
    ("maximum", "maximum", "elementwise maximum (NaN wins)"), ("minimum", "minimum", "elementwise minimum (NaN wins)"),
    ("fmax", "fmax", "elementwise maximum ignoring NaN"), ("fmin", "fmin", "elementwise minimum ignoring NaN"),
]:
    _op(f"torch.{_name}(input: Tensor, other: Tensor)", "comparison", f"Elementwise {_desc}.",
        _numpy(_np_name, "input", "other"), inputs={"input": "small_int", "other": "small_int"})
_op("torch.equal(input: Tensor, other: Tensor)", "comparison", "True if same shape and all values equal.",
    Twin(lambda input, other: np.array_equal(input, other), "np.array_equal({input}, {other})"),
    inputs={"input": "small_int", "other": "small_int"})
_op("torch.allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08)", "comparison",
    "True if all values are close.",
    Twin(lambda input, other, rtol=1e-05, atol=1e-08: np.allclose(input, other, rtol=rtol, atol=atol),
    "np.allclose({input}, {other}, rtol={rtol}, atol={atol})"))
_op("torch.isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08)", "comparison",
    "Elementwise closeness.",
    Twin(lambda input, other, rtol=1e-05, atol=1e-08: np.isclose(input, other, rtol=rtol, atol=atol),
    "np.isclose({input}, {other}, rtol={rtol}, atol={atol})"))
for _name, _desc in [("isnan", "is NaN"), ("isinf", "is infinite"), ("isfinite", "is finite"),
                     ("isposinf", "is +inf"), ("isneginf", "is -inf"), ("isreal", "has no imaginary part")]:
    _op(f"torch.{_name}(input: Tensor)", "comparison", f"True where the element {_desc}.", _numpy(_name, "input"),
        inputs={"input": "special"})
_op("torch.isin(elements: Tensor, test_elements: Tensor)", "comparison", "True where an element is in test_elements.",
    Twin(lambda elements, test_elements: np.isin(elements, test_elements), "np.isin({elements}, {test_elements})"),
    inputs={"elements": "small_int", "test_elements": ("small_int", (3,))})
_op("torch.searchsorted(sorted_sequence: Tensor, input: Tensor)", "comparison",
    "Where to insert each value to keep the sequence sorted.",
    Twin(lambda sorted_sequence, input: np.searchsorted(sorted_sequence, input),
    "np.searchsorted({sorted_sequence}, {input})"),
    inputs={"sorted_sequence": ("sorted", (6,))})
_op("torch.bucketize(input: Tensor, boundaries: Tensor, right: bool = False)", "comparison",
    "Bucket index of each value given sorted boundaries.",
    (Twin(lambda input, boundaries, right=False: np.searchsorted(boundaries, input, side='right'), "np.searchsorted({boundaries}, {input}, side='right')", when=given("right", True)), Twin(lambda input, boundaries, right=False: np.searchsorted(boundaries, input), "np.searchsorted({boundaries}, {input})")),
    "bucketize(right=False) is searchsorted(side='left'): note the argument order is swapped.",
    inputs={"boundaries": ("sorted", (5,))})

# ---------------------------------------------------------------- linear algebra
_MATRIX = ("float", (3, 4))
_SQUARE = ("square", (4, 4))
_SPD = ("spd", (4, 4))
_op("torch.matmul(input: Tensor, other: Tensor)", "linear algebra", "Matrix product (the @ operator), batched.",
    Twin(lambda input, other: np.matmul(input, other), "np.matmul({input}, {other})"),
    inputs={"input": _MATRIX, "other": ("float", (4, 2))})
_op("torch.mm(input: Tensor, mat2: Tensor)", "linear algebra", "Matrix product of two 2-D tensors.",
    Twin(lambda input, mat2: input @ mat2, "{input} @ {mat2}"), inputs={"input": _MATRIX, "mat2": ("float", (4, 2))})
_op("torch.bmm(input: Tensor, mat2: Tensor)", "linear algebra", "Batched matrix product (b, n, m) @ (b, m, p).",
    Twin(lambda input, mat2: np.matmul(input, mat2), "np.matmul({input}, {mat2})"), inputs={"input": ("float", (2, 3, 4)),
    "mat2": ("float", (2, 4, 2))})
_op("torch.mv(input: Tensor, vec: Tensor)", "linear algebra", "Matrix times vector.",
    Twin(lambda input, vec: input @ vec, "{input} @ {vec}"),
    inputs={"input": _MATRIX, "vec": ("float", (4,))})
_op("torch.dot(input: Tensor, other: Tensor)", "linear algebra", "Dot product of two 1-D tensors.",
    Twin(lambda input, other: np.dot(input, other), "np.dot({input}, {other})"), inputs={"input": ("float", (4,)),
    "other": ("float", (4,))})
_op("torch.vdot(input: Tensor, other: Tensor)", "linear algebra", "Dot product, conjugating the first.",
    Twin(lambda input, other: np.vdot(input, other), "np.vdot({input}, {other})"), inputs={"input": ("float", (4,)),
    "other": ("float", (4,))})
_op("torch.inner(input: Tensor, other: Tensor)", "linear algebra", "Inner product over the last dim.",
    Twin(lambda input, other: np.inner(input, other), "np.inner({input}, {other})"),
    inputs={"input": _MATRIX, "other": ("float", (2, 4))})
_op("torch.outer(input: Tensor, vec2: Tensor)", "linear algebra", "Outer product of two vectors.",
    Twin(lambda input, vec2: np.outer(input, vec2), "np.outer({input}, {vec2})"), inputs={"input": ("float", (3,)),
    "vec2": ("float", (4,))})
_op("torch.kron(input: Tensor, other: Tensor)", "linear algebra", "Kronecker product.",
    Twin(lambda input, other: np.kron(input, other), "np.kron({input}, {other})"),
    inputs={"input": ("float", (2, 2)), "other": ("float", (2, 3))})
_op("torch.tensordot(a: Tensor, b: Tensor, dims: int = 2)", "linear algebra", "Sum over the last dims of a and first of b.",
    Twin(lambda a, b, dims=2: np.tensordot(a, b, axes=dims), "np.tensordot({a}, {b}, axes={dims})"),
    inputs={"a": _MATRIX, "b": ("float", (4, 2))}, example={"dims": 1})
_op("torch.einsum(equation: str, *operands: Tensor)", "linear algebra", "Einstein summation: 'ij,jk->ik' is a @ b.",
    Twin(lambda equation, operands: np.einsum(equation, *operands, optimize=True), "np.einsum({equation}, *{operands}, optimize=True)"),
    inputs={"operands": _MATRIX}, example={"equation": "ij,kj->ik"})
def _cdist(x1: np.ndarray, x2: np.ndarray, p: float = 2.0) -> np.ndarray:
    """Every row of x1 minus every row of x2, then the p-norm of each difference."""
    differences = np.broadcast_shapes(x1[:, None, :].shape, x2[None, :, :].shape)
    if math.prod(differences) > MAX_ELEMENTS:  # torch never holds this array; numpy would
        raise NoTwin("The numpy twin would be too large.")
    return np.linalg.norm(x1[:, None, :] - x2[None, :, :], ord=p, axis=-1)


_op("torch.cdist(x1: Tensor, x2: Tensor, p: float = 2.0)", "linear algebra", "Distances between every row pair.",
    Twin(_cdist, "np.linalg.norm({x1}[:, None, :] - {x2}[None, :, :], ord={p}, axis=-1)"),
    inputs={"x1": _MATRIX, "x2": ("float", (2, 4))})
_op("torch.tril(input: Tensor, diagonal: int = 0)", "linear algebra", "Lower triangle (zeros above).",
    Twin(lambda input, diagonal=0: np.tril(input, k=diagonal), "np.tril({input}, k={diagonal})"))
_op("torch.triu(input: Tensor, diagonal: int = 0)", "linear algebra", "Upper triangle (zeros below).",
    Twin(lambda input, diagonal=0: np.triu(input, k=diagonal), "np.triu({input}, k={diagonal})"))
_op("torch.diag(input: Tensor, diagonal: int = 0)", "linear algebra",
    "1-D: a diagonal matrix; 2-D: the diagonal.",
    Twin(lambda input, diagonal=0: np.diag(input, k=diagonal), "np.diag({input}, k={diagonal})"))
_op("torch.addmm(input: Tensor, mat1: Tensor, mat2: Tensor, beta: number = 1, alpha: number = 1)", "linear algebra",
    "beta * input + alpha * (mat1 @ mat2).",
    (Twin(lambda input, mat1, mat2, beta=1, alpha=1: beta * input + alpha * (mat1 @ mat2), "{beta} * {input} + {alpha} * ({mat1} @ {mat2})", when=given("beta")), Twin(lambda input, mat1, mat2, beta=1, alpha=1: input + alpha * (mat1 @ mat2), "{input} + {alpha} * ({mat1} @ {mat2})", when=given("alpha")), Twin(lambda input, mat1, mat2, beta=1, alpha=1: input + mat1 @ mat2, "{input} + {mat1} @ {mat2}")),
    inputs={"input": ("float", (3, 2)), "mat1": _MATRIX, "mat2": ("float", (4, 2))})
_op("torch.det(input: Tensor)", "linear algebra", "Determinant of a square matrix.",
    Twin(lambda input: np.linalg.det(input), "np.linalg.det({input})"),
    inputs={"input": _SQUARE})
_op("torch.logdet(input: Tensor)", "linear algebra", "log of the determinant.",
    Twin(lambda input: np.log(np.linalg.det(input)), "np.log(np.linalg.det({input}))"),
    inputs={"input": _SPD})
_op("torch.inverse(input: Tensor)", "linear algebra", "Matrix inverse.",
    Twin(lambda input: np.linalg.inv(input), "np.linalg.inv({input})"),
    inputs={"input": _SQUARE})
_op("torch.pinverse(input: Tensor)", "linear algebra", "Moore-Penrose pseudo-inverse.",
    Twin(lambda input: np.linalg.pinv(input), "np.linalg.pinv({input})"))
_op("torch.matrix_power(input: Tensor, n: int)", "linear algebra", "Matrix to an integer power.",
    Twin(lambda input, n: np.linalg.matrix_power(input, n), "np.linalg.matrix_power({input}, {n})"),
    inputs={"input": ("small_square", (3, 3))}, example={"n": 3})
_op("torch.matrix_exp(input: Tensor)", "linear algebra", "Matrix exponential.", None,
    "numpy has no matrix exponential; scipy.linalg.expm computes it.", inputs={"input": ("small_square", (3, 3))})
_LA = "torch.linalg"
_op(f"{_LA}.norm(A: Tensor, ord: float | None = None, dim: int | None = None, keepdim: bool = False)", "linear algebra",
    "Vector or matrix norm (Frobenius for a matrix by default).",
    Twin(lambda A, ord=None, dim=None, keepdim=False: np.linalg.norm(A, ord=ord, axis=dim, keepdims=keepdim),
    "np.linalg.norm({A}, ord={ord}, axis={dim}, keepdims={keepdim})"))
_op(f"{_LA}.vector_norm(x: Tensor, ord: float = 2, dim: int | None = None, keepdim: bool = False)", "linear algebra",
    "Vector p-norm of all elements, or along dim.",
    (Twin(lambda x, ord=2, dim=None, keepdim=False: np.linalg.norm(x, ord=ord, axis=dim, keepdims=keepdim), "np.linalg.norm({x}, ord={ord}, axis={dim}, keepdims={keepdim})", when=given("dim")), Twin(lambda x, ord=2, dim=None, keepdim=False: np.linalg.norm(x.ravel(), ord=ord), "np.linalg.norm({x}.ravel(), ord={ord})")))
_op(f"{_LA}.matrix_norm(A: Tensor, ord: Literal['fro', 'nuc'] = 'fro')", "linear algebra",
    "Matrix norm: Frobenius or nuclear.",
    Twin(lambda A, ord='fro': np.linalg.norm(A, ord=ord), "np.linalg.norm({A}, ord={ord})"))
_op(f"{_LA}.det(A: Tensor)", "linear algebra", "Determinant.",
    Twin(lambda A: np.linalg.det(A), "np.linalg.det({A})"), inputs={"A": _SQUARE})
_op(f"{_LA}.slogdet(A: Tensor)", "linear algebra", "Sign and log |det|, stable for big matrices.",
    Twin(lambda A: np.linalg.slogdet(A), "np.linalg.slogdet({A})"), inputs={"A": _SQUARE})
_op(f"{_LA}.inv(A: Tensor)", "linear algebra", "Matrix inverse.",
    Twin(lambda A: np.linalg.inv(A), "np.linalg.inv({A})"), inputs={"A": _SQUARE})
_op(f"{_LA}.pinv(A: Tensor)", "linear algebra", "Pseudo-inverse.",
    Twin(lambda A: np.linalg.pinv(A), "np.linalg.pinv({A})"))
_op(f"{_LA}.solve(A: Tensor, B: Tensor)", "linear algebra", "Solve A X = B.",
    Twin(lambda A, B: np.linalg.solve(A, B), "np.linalg.solve({A}, {B})"),
    inputs={"A": _SQUARE, "B": ("float", (4, 2))})
_op(f"{_LA}.lstsq(A: Tensor, B: Tensor)", "linear algebra", "Least-squares solution of A X = B (.solution).",
    Twin(lambda A, B: (np.linalg.lstsq(A, B, rcond=None)[0],), "(np.linalg.lstsq({A}, {B}, rcond=None)[0],)"),
    call="torch.linalg.lstsq({args}).solution",
    inputs={"A": ("float", (5, 3)), "B": ("float", (5, 2))})
_op(f"{_LA}.eigh(A: Tensor)", "linear algebra", "Eigenvalues (ascending) of a symmetric matrix (.eigenvalues).",
    Twin(lambda A: np.linalg.eigh(A), "np.linalg.eigh({A})"),
    call="torch.linalg.eigh({args}).eigenvalues", inputs={"A": _SPD})
_op(f"{_LA}.eigvalsh(A: Tensor)", "linear algebra", "Eigenvalues of a symmetric matrix, ascending.",
    Twin(lambda A: np.linalg.eigvalsh(A), "np.linalg.eigvalsh({A})"), inputs={"A": _SPD})
_op(f"{_LA}.eig(A: Tensor)", "linear algebra", "Eigenvalues and eigenvectors (complex).", None,
    "np.linalg.eig computes them too, but the order of the eigenvalues (and the scaling of the eigenvectors) "
    "is not fixed, so they cannot be compared element by element.", inputs={"A": _SQUARE})
_op(f"{_LA}.eigvals(A: Tensor)", "linear algebra", "Eigenvalues (complex).", None,
    "np.linalg.eigvals computes them, in an order that can differ from PyTorch's.", inputs={"A": _SQUARE})
_op(f"{_LA}.svd(A: Tensor, full_matrices: bool = True)", "linear algebra", "Singular value decomposition (.S).",
    Twin(lambda A, full_matrices=True: np.linalg.svd(A, full_matrices=full_matrices), "np.linalg.svd({A}, full_matrices={full_matrices})"),
    call="torch.linalg.svd({args}).S")
_op(f"{_LA}.svdvals(A: Tensor)", "linear algebra", "Singular values, descending.",
    Twin(lambda A: np.linalg.svd(A, compute_uv=False), "np.linalg.svd({A}, compute_uv=False)"))
_op(f"{_LA}.qr(A: Tensor)", "linear algebra", "QR decomposition (.R); Q and R can differ from numpy's by signs.",
    Twin(lambda A: np.linalg.qr(A), "np.linalg.qr({A})"),
    call="torch.abs(torch.linalg.qr({args}).R)", inputs={"A": ("float", (4, 3))})
_op(f"{_LA}.cholesky(A: Tensor)", "linear algebra", "Lower-triangular L with L @ L.T == A.",
    Twin(lambda A: np.linalg.cholesky(A), "np.linalg.cholesky({A})"), inputs={"A": _SPD})
_op(f"{_LA}.matrix_rank(A: Tensor)", "linear algebra", "Numerical rank.",
    Twin(lambda A: np.linalg.matrix_rank(A), "np.linalg.matrix_rank({A})"))
_op(f"{_LA}.matrix_power(A: Tensor, n: int)", "linear algebra", "Matrix to an integer power.",
    Twin(lambda A, n: np.linalg.matrix_power(A, n), "np.linalg.matrix_power({A}, {n})"),
    inputs={"A": ("small_square", (3, 3))}, example={"n": 2})
_op(f"{_LA}.matrix_exp(A: Tensor)", "linear algebra", "Matrix exponential.", None,
    "numpy has no matrix exponential; scipy.linalg.expm computes it.", inputs={"A": ("small_square", (3, 3))})
_op(f"{_LA}.cond(A: Tensor)", "linear algebra", "Condition number (2-norm).",
    Twin(lambda A: np.linalg.cond(A), "np.linalg.cond({A})"),
    inputs={"A": _SQUARE})
_op(f"{_LA}.multi_dot(tensors: list[Tensor])", "linear algebra", "Product of several matrices, best order.",
    Twin(lambda tensors: np.linalg.multi_dot(tensors), "np.linalg.multi_dot({tensors})"),
    inputs={"tensors": ("square", (4, 4))})
_op(f"{_LA}.vecdot(x: Tensor, y: Tensor, dim: int = -1)", "linear algebra", "Dot products along dim.",
    Twin(lambda x, y, dim=-1: np.sum(x * y, axis=dim), "np.sum({x} * {y}, axis={dim:keep})"))
_op(f"{_LA}.cross(input: Tensor, other: Tensor, dim: int = -1)", "linear algebra", "Cross product of 3-vectors.",
    Twin(lambda input, other, dim=-1: np.cross(input, other, axis=dim), "np.cross({input}, {other}, axis={dim})"), inputs={"input": ("float", (4, 3)),
    "other": ("float", (4, 3))})
_op(f"{_LA}.diagonal(A: Tensor, offset: int = 0)", "linear algebra", "Diagonals of the last two dims.",
    Twin(lambda A, offset=0: np.diagonal(A, offset=offset, axis1=-2, axis2=-1),
    "np.diagonal({A}, offset={offset}, axis1=-2, axis2=-1)"))
_op(f"{_LA}.vander(x: Tensor)", "linear algebra", "Vandermonde matrix with increasing powers.",
    Twin(lambda x: np.vander(x, increasing=True), "np.vander({x}, increasing=True)"),
    "torch.linalg.vander has increasing powers; np.vander defaults to decreasing.",
    inputs={"x": ("float", (4,))})

# ---------------------------------------------------------------- shape and indexing
_SH = "shape and indexing"
_op("torch.reshape(input: Tensor, shape: shape)", _SH, "Same elements, new shape (a view when possible).",
    Twin(lambda input, shape: np.reshape(input, shape), "np.reshape({input}, {shape})"), example={"shape": (4, 3)})
_op("Tensor.view(self: Tensor, *shape: int)", _SH, "New shape sharing the same storage (contiguous tensors).",
    Twin(lambda self, shape: np.reshape(self, shape), "np.reshape({self}, {shape})"), example={"shape": (2, 6)})
_op("Tensor.view_as(self: Tensor, other: Tensor)", _SH, "View with the shape of other.",
    Twin(lambda self, other: np.reshape(self, other.shape), "np.reshape({self}, {other}.shape)"),
    inputs={"other": ("float", (4, 3))})
_op("Tensor.reshape_as(self: Tensor, other: Tensor)", _SH, "Reshape to the shape of other.",
    Twin(lambda self, other: np.reshape(self, other.shape), "np.reshape({self}, {other}.shape)"),
    inputs={"other": ("float", (2, 6))})
_op("torch.flatten(input: Tensor)", _SH, "All elements in one dimension.",
    Twin(lambda input: np.ravel(input), "np.ravel({input})"))
_op("torch.ravel(input: Tensor)", _SH, "Flatten (a view when possible).",
    Twin(lambda input: np.ravel(input), "np.ravel({input})"))
_op("torch.unflatten(input: Tensor, dim: int, sizes: dims)", _SH, "Split one dim into several.",
    Twin(lambda input, dim, sizes: np.reshape(input, (input.shape[0],) + tuple(sizes)), "np.reshape({input}, ({input}.shape[0],) + tuple({sizes}))"),
    example={"dim": 1, "sizes": (2, 2)})
_op("torch.squeeze(input: Tensor, dim: int | None = None)", _SH, "Remove dims of size 1.",
    Twin(lambda input, dim=None: np.squeeze(input, axis=dim), "np.squeeze({input}, axis={dim})"),
    "torch.squeeze(x, dim) leaves a dim that is not 1 alone; np.squeeze raises.",
    inputs={"input": ("float", (3, 1, 4))})
_op("torch.unsqueeze(input: Tensor, dim: int)", _SH, "Insert a dim of size 1.",
    Twin(lambda input, dim: np.expand_dims(input, dim), "np.expand_dims({input}, {dim})"),
    example={"dim": 0})
_op("torch.transpose(input: Tensor, dim0: int, dim1: int)", _SH, "Swap two dims (a view).",
    Twin(lambda input, dim0, dim1: np.swapaxes(input, dim0, dim1), "np.swapaxes({input}, {dim0}, {dim1})"),
    example={"dim0": 0, "dim1": 1})
_op("torch.swapaxes(input: Tensor, axis0: int, axis1: int)", _SH, "Alias of transpose (numpy's name).",
    Twin(lambda input, axis0, axis1: np.swapaxes(input, axis0, axis1), "np.swapaxes({input}, {axis0}, {axis1})"),
    example={"axis0": 0, "axis1": 1})
_op("torch.swapdims(input: Tensor, dim0: int, dim1: int)", _SH, "Alias of transpose.",
    Twin(lambda input, dim0, dim1: np.swapaxes(input, dim0, dim1), "np.swapaxes({input}, {dim0}, {dim1})"),
    example={"dim0": 0, "dim1": 1})
_op("torch.t(input: Tensor)", _SH, "Transpose a 2-D tensor (a view).",
    Twin(lambda input: np.transpose(input), "np.transpose({input})"))
_op("Tensor.t(self: Tensor)", _SH, "Transpose of a 2-D tensor x.t() (a view).", Twin(lambda self: self.T, "{self}.T"))
_op("Tensor.T(self: Tensor)", _SH, "Transpose property x.T (reverses all dims).",
    Twin(lambda self: self.T, "{self}.T"), call="{self}.T")
_op("Tensor.mT(self: Tensor)", _SH, "Transpose of the last two dims x.mT.",
    Twin(lambda self: np.swapaxes(self, -1, -2), "np.swapaxes({self}, -1, -2)"),
    call="{self}.mT")
_op("torch.permute(input: Tensor, dims: dims)", _SH, "Reorder the dims (a view).",
    Twin(lambda input, dims: np.transpose(input, dims), "np.transpose({input}, {dims})"),
    example={"dims": (1, 0)})
_op("torch.movedim(input: Tensor, source: int, destination: int)", _SH, "Move one dim to another position.",
    Twin(lambda input, source, destination: np.moveaxis(input, source, destination), "np.moveaxis({input}, {source}, {destination})"),
    example={"source": 0, "destination": 1})
_op("torch.moveaxis(input: Tensor, source: int, destination: int)", _SH, "Alias of movedim (numpy's name).",
    Twin(lambda input, source, destination: np.moveaxis(input, source, destination), "np.moveaxis({input}, {source}, {destination})"),
    example={"source": 0, "destination": 1})
_op("torch.cat(tensors: list[Tensor], dim: int = 0)", _SH, "Join tensors along an existing dim.",
    Twin(lambda tensors, dim=0: np.concatenate(tensors, axis=dim), "np.concatenate({tensors}, axis={dim})"))
_op("torch.concat(tensors: list[Tensor], dim: int = 0)", _SH, "Alias of cat.",
    Twin(lambda tensors, dim=0: np.concatenate(tensors, axis=dim), "np.concatenate({tensors}, axis={dim})"))
_op("torch.concatenate(tensors: list[Tensor], axis: int = 0)", _SH, "Alias of cat (numpy's name).",
    Twin(lambda tensors, axis=0: np.concatenate(tensors, axis=axis), "np.concatenate({tensors}, axis={axis})"))
_op("torch.stack(tensors: list[Tensor], dim: int = 0)", _SH, "Join tensors along a new dim.",
    Twin(lambda tensors, dim=0: np.stack(tensors, axis=dim), "np.stack({tensors}, axis={dim})"))
for _name in ("hstack", "vstack", "dstack", "column_stack"):
    _op(f"torch.{_name}(tensors: list[Tensor])", _SH, f"Stack tensors like np.{_name}.", _numpy(_name, "tensors"))
_op("torch.row_stack(tensors: list[Tensor])", _SH, "Alias of vstack.",
    Twin(lambda tensors: np.vstack(tensors), "np.vstack({tensors})"))
_op("torch.split(tensor: Tensor, split_size_or_sections: int, dim: int = 0)", _SH,
    "Pieces of split_size along dim (the last may be smaller).",
    Twin(lambda tensor, split_size_or_sections, dim=0: np.split(tensor, np.arange(split_size_or_sections, tensor.shape[dim], split_size_or_sections), axis=dim), "np.split({tensor}, np.arange({split_size_or_sections}, {tensor}.shape[{dim}], {split_size_or_sections}), axis={dim})"),
    "torch.split takes the size of each piece; np.split takes the number of pieces (or where to cut).",
    example={"split_size_or_sections": 2})
_op("torch.chunk(input: Tensor, chunks: int, dim: int = 0)", _SH, "At most `chunks` pieces along dim.",
    Twin(lambda input, chunks, dim=0: np.array_split(input, chunks, axis=dim),
    "np.array_split({input}, {chunks}, axis={dim})"),
    "torch.chunk makes pieces of ceil(n / chunks) and may return fewer; np.array_split returns exactly that many.",
    example={"chunks": 2})
_op("torch.tensor_split(input: Tensor, sections: int, dim: int = 0)", _SH, "Exactly `sections` nearly equal pieces.",
    Twin(lambda input, sections, dim=0: np.array_split(input, sections, axis=dim), "np.array_split({input}, {sections}, axis={dim})"),
    example={"sections": 2})
_op("torch.hsplit(input: Tensor, sections: int)", _SH, "Split along columns.",
    Twin(lambda input, sections: np.hsplit(input, sections), "np.hsplit({input}, {sections})"),
    example={"sections": 2})
_op("torch.vsplit(input: Tensor, sections: int)", _SH, "Split along rows.",
    Twin(lambda input, sections: np.vsplit(input, sections), "np.vsplit({input}, {sections})"),
    example={"sections": 3})
_op("torch.unbind(input: Tensor, dim: int = 0)", _SH, "Tuple of the slices along dim.",
    Twin(lambda input, dim=0: tuple(np.moveaxis(input, dim, 0)), "tuple(np.moveaxis({input}, {dim}, 0))"))
_op("torch.flip(input: Tensor, dims: dims)", _SH, "Reverse the order along dims (a copy).",
    Twin(lambda input, dims: np.flip(input, axis=dims), "np.flip({input}, axis={dims})"),
    "torch.flip copies; np.flip returns a view.", example={"dims": (0,)})
_op("torch.fliplr(input: Tensor)", _SH, "Reverse left-right.",
    Twin(lambda input: np.fliplr(input), "np.fliplr({input})"))
_op("torch.flipud(input: Tensor)", _SH, "Reverse up-down.", Twin(lambda input: np.flipud(input), "np.flipud({input})"))
_op("torch.roll(input: Tensor, shifts: int, dims: int | None = None)", _SH, "Shift elements cyclically.",
    Twin(lambda input, shifts, dims=None: np.roll(input, shifts, axis=dims), "np.roll({input}, {shifts}, axis={dims})"),
    example={"shifts": 1})
_op("torch.rot90(input: Tensor, k: int = 1, dims: dims = (0, 1))", _SH, "Rotate by 90 degrees k times.",
    Twin(lambda input, k=1, dims=(0, 1): np.rot90(input, k, axes=dims), "np.rot90({input}, {k}, axes={dims})"))
_op("torch.gather(input: Tensor, dim: int, index: Tensor)", _SH, "Pick values along dim at the given indices.",
    Twin(lambda input, dim, index: np.take_along_axis(input, index, axis=dim), "np.take_along_axis({input}, {index}, axis={dim})"),
    inputs={"index": "index"}, example={"dim": 1})
_op("torch.take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None)", _SH,
    "Like gather; numpy's take_along_axis.",
    Twin(lambda input, indices, dim=-1: np.take_along_axis(input, indices, axis=dim),
    "np.take_along_axis({input}, {indices}, axis={dim})"),
    inputs={"indices": "index"}, example={"dim": 1})
_op("torch.index_select(input: Tensor, dim: int, index: Tensor)", _SH, "Rows (or columns) at the given indices.",
    Twin(lambda input, dim, index: np.take(input, index, axis=dim), "np.take({input}, {index}, axis={dim})"),
    inputs={"index": ("index", (2,))}, example={"dim": 0})
_op("torch.masked_select(input: Tensor, mask: Tensor)", _SH, "1-D tensor of the elements where mask is true.",
    Twin(lambda input, mask: input[mask], "{input}[{mask}]"), inputs={"mask": "bool"})
_op("torch.masked_fill(input: Tensor, mask: Tensor, value: float)", _SH, "Set value where mask is true.",
    Twin(lambda input, mask, value: np.where(mask, value, input), "np.where({mask}, {value}, {input})"),
    inputs={"mask": "bool"}, example={"value": 0.0})
_op("torch.take(input: Tensor, index: Tensor)", _SH, "Elements of the flattened input at the indices.",
    Twin(lambda input, index: np.take(input, index), "np.take({input}, {index})"), inputs={"index": ("index", (5,))})
_op("torch.narrow(input: Tensor, dim: int, start: int, length: int)", _SH, "A slice along dim (a view).",
    Twin(lambda input, dim, start, length: np.take(input, np.arange(start, start + length), axis=dim), "np.take({input}, np.arange({start}, {start} + {length}), axis={dim})"),
    example={"dim": 1, "start": 1, "length": 2})
_op("torch.select(input: Tensor, dim: int, index: int)", _SH, "One slice along dim (drops that dim).",
    Twin(lambda input, dim, index: np.take(input, index, axis=dim), "np.take({input}, {index}, axis={dim})"),
    example={"dim": 0, "index": 1})
_op("torch.nonzero(input: Tensor)", _SH, "Indices of the nonzero elements, one row each.",
    Twin(lambda input: np.argwhere(input), "np.argwhere({input})"),
    "np.nonzero returns one array per dim instead: np.argwhere is the twin of torch.nonzero.",
    inputs={"input": "small_int"})
_op("torch.argwhere(input: Tensor)", _SH, "Indices of the nonzero elements.",
    Twin(lambda input: np.argwhere(input), "np.argwhere({input})"),
    inputs={"input": "small_int"})
_op("torch.repeat_interleave(input: Tensor, repeats: int, dim: int | None = None)", _SH,
    "Repeat each element (np.repeat).",
    Twin(lambda input, repeats, dim=None: np.repeat(input, repeats, axis=dim), "np.repeat({input}, {repeats}, axis={dim})"),
    example={"repeats": 2})
_op("torch.tile(input: Tensor, dims: dims)", _SH, "Repeat the whole tensor (np.tile).",
    Twin(lambda input, dims: np.tile(input, dims), "np.tile({input}, {dims})"),
    example={"dims": (2, 1)})
_op("Tensor.repeat(self: Tensor, *sizes: int)", _SH, "Repeat the whole tensor along each dim (like np.tile).",
    Twin(lambda self, sizes: np.tile(self, sizes), "np.tile({self}, {sizes})"),
    "Tensor.repeat is np.tile, not np.repeat (that is repeat_interleave).",
    example={"sizes": (2, 1)})
_op("Tensor.expand(self: Tensor, *sizes: int)", _SH, "Broadcast dims of size 1 without copying (a view).",
    Twin(lambda self, sizes: np.broadcast_to(self, sizes), "np.broadcast_to({self}, {sizes})"),
    inputs={"self": ("float", (1, 4))}, example={"sizes": (3, 4)})
_op("Tensor.expand_as(self: Tensor, other: Tensor)", _SH, "Expand to the shape of other.",
    Twin(lambda self, other: np.broadcast_to(self, other.shape), "np.broadcast_to({self}, {other}.shape)"),
    inputs={"self": ("float", (1, 4))})
_op("torch.broadcast_to(input: Tensor, size: shape)", _SH, "Broadcast to a shape (a view).",
    Twin(lambda input, size: np.broadcast_to(input, size), "np.broadcast_to({input}, {size})"),
    inputs={"input": ("float", (1, 4))}, example={"size": (3, 4)})
_op("torch.broadcast_tensors(*tensors: Tensor)", _SH, "Broadcast several tensors to one shape.",
    Twin(lambda tensors: tuple(np.broadcast_arrays(*tensors)), "tuple(np.broadcast_arrays(*{tensors}))"),
    inputs={"tensors": ("float", (1, 4))})
for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    _op(f"torch.{_name}(input: Tensor)", _SH, f"View with at least {_name[-2]} dims.", _numpy(_name, "input"))
_op("torch.diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1)", _SH, "A diagonal (a view).",
    Twin(lambda input, offset=0, dim1=0, dim2=1: np.diagonal(input, offset, dim1, dim2), "np.diagonal({input}, {offset}, {dim1}, {dim2})"),
    "np.diagonal returns a read-only view.")
_op("torch.diag_embed(input: Tensor)", _SH, "Put the last dim on the diagonal of new matrices.",
    Twin(lambda input: np.eye(input.shape[-1], dtype=input.dtype) * input[..., None, :], "np.eye({input}.shape[-1], dtype={input}.dtype) * {input}[..., None, :]"))
_op("torch.diagflat(input: Tensor)", _SH, "Diagonal matrix of the flattened input.",
    Twin(lambda input: np.diagflat(input), "np.diagflat({input})"))
_op("torch.clone(input: Tensor)", _SH, "A copy with its own storage.",
    Twin(lambda input: np.copy(input), "np.copy({input})"))
_op("Tensor.contiguous(self: Tensor)", _SH, "Itself if contiguous, else a contiguous copy.",
    Twin(lambda self: np.ascontiguousarray(self), "np.ascontiguousarray({self})"))
_op("Tensor.detach(self: Tensor)", _SH, "Same data, cut from the autograd graph.", Twin(lambda self: self, "{self}"))
_op("torch.numel(input: Tensor)", _SH, "Number of elements.", Twin(lambda input: np.size(input), "np.size({input})"))
_op("Tensor.dim(self: Tensor)", _SH, "Number of dims.", Twin(lambda self: self.ndim, "{self}.ndim"))
_op("Tensor.size(self: Tensor, dim: int | None = None)", _SH, "The shape, or the size of one dim.",
    (Twin(lambda self, dim=None: self.shape[dim], "{self}.shape[{dim}]", when=given("dim")), Twin(lambda self, dim=None: self.shape, "{self}.shape")))
_op("Tensor.stride(self: Tensor)", _SH, "Steps (in elements) to move one index in each dim.",
    Twin(lambda self: self.strides, "{self}.strides"),
    "numpy's strides count bytes, PyTorch's count elements (divide by itemsize).",
    expect="differs")
_op("Tensor.item(self: Tensor)", _SH, "The Python number in a one-element tensor.",
    Twin(lambda self: self.item(), "{self}.item()"),
    inputs={"self": ("float", (1,))})
_op("Tensor.tolist(self: Tensor)", _SH, "Nested Python lists.", Twin(lambda self: self.tolist(), "{self}.tolist()"))
_op("Tensor.index_fill(self: Tensor, dim: int, index: Tensor, value: float)", _SH,
    "Copy with value written at the given indices along dim.", None,
    "numpy writes in place: y = x.copy(); y[:, index] = value.", inputs={"index": ("index", (2,))},
    example={"dim": 1, "value": -1.0})
_op("torch.scatter(input: Tensor, dim: int, index: Tensor, src: Tensor)", _SH, "Write src into input at index along dim.",
    None, "numpy's np.put_along_axis writes in place and returns nothing.", inputs={"index": "index"},
    example={"dim": 1})
_op("torch.scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor)", _SH, "Add src into input at index.",
    None, "numpy's np.add.at does it in place.", inputs={"index": "index"}, example={"dim": 1})

# ---------------------------------------------------------------- dtype and device
def _astype(dtype_name: str) -> Twin:
    dtype = getattr(np, dtype_name)
    return Twin(lambda self: self.astype(dtype), f"{{self}}.astype(np.{dtype_name})")


for _method, _np_name in (("float", "float32"), ("double", "float64"), ("half", "float16"), ("int", "int32"),
                     ("long", "int64"), ("bool", "bool_")):
    _op(f"Tensor.{_method}(self: Tensor)", _SH, f"Copy converted to torch.{_np_name.rstrip('_')}.",
        _astype(_np_name), "Converting floats to integers truncates towards zero in both."
        if _method in ("int", "long") else "")
_op("Tensor.to(self: Tensor, dtype: dtype)", _SH, "Convert to a dtype (or a device: x.to('cuda')).",
    Twin(lambda self, dtype: self.astype(dtype), "{self}.astype({dtype})"), example={"dtype": torch.float64})
_op("Tensor.type_as(self: Tensor, other: Tensor)", _SH, "Convert to the dtype of other.",
    Twin(lambda self, other: self.astype(other.dtype), "{self}.astype({other}.dtype)"), inputs={"other": "int"})

# ---------------------------------------------------------------- creation
_FLOAT_NOTE = FLOAT_DEFAULT_NOTE  # shown only when the result's dtypes do differ (numpy_twin.run_with_twin)
_op("torch.zeros(*size: int, dtype: dtype | None = None)", "creation", "Tensor of zeros.",
    (Twin(lambda size, dtype=None: np.zeros(size, dtype=dtype), "np.zeros({size}, dtype={dtype})", when=given("dtype")), Twin(lambda size, dtype=None: np.zeros(size), "np.zeros({size})")), _FLOAT_NOTE, example={"size": (2, 3)})
_op("torch.ones(*size: int, dtype: dtype | None = None)", "creation", "Tensor of ones.",
    (Twin(lambda size, dtype=None: np.ones(size, dtype=dtype), "np.ones({size}, dtype={dtype})", when=given("dtype")), Twin(lambda size, dtype=None: np.ones(size), "np.ones({size})")), _FLOAT_NOTE, example={"size": (2, 3)})
_op("torch.full(size: shape, fill_value: float)", "creation", "Tensor filled with one value.",
    Twin(lambda size, fill_value: np.full(size, fill_value), "np.full({size}, {fill_value})"), _FLOAT_NOTE, example={"size": (2, 3),
    "fill_value": 7.0})
_op("torch.arange(start: number, end: number | None = None, step: number = 1)", "creation",
    "Evenly spaced values in [start, end); with one number n, the values 0, 1, ..., n - 1.",
    (Twin(lambda start, end=None, step=1: np.arange(start, end, step), "np.arange({start}, {end}, {step})", when=given("end")),
     Twin(lambda start, end=None, step=1: np.arange(start), "np.arange({start})")),
    example={"start": 0, "end": 10, "step": 2})
_op("torch.linspace(start: float, end: float, steps: int)", "creation", "`steps` values from start to end inclusive.",
    Twin(lambda start, end, steps: np.linspace(start, end, steps), "np.linspace({start}, {end}, {steps})"),
    _FLOAT_NOTE, example={"start": 0.0, "end": 1.0, "steps": 5})
_op("torch.logspace(start: float, end: float, steps: int, base: float = 10.0)", "creation",
    "`steps` values from base^start to base^end.",
    Twin(lambda start, end, steps, base=10.0: np.logspace(start, end, steps, base=base), "np.logspace({start}, {end}, {steps}, base={base})"),
    _FLOAT_NOTE,
    example={"start": 0.0, "end": 2.0, "steps": 5})
_op("torch.eye(n: int, m: int | None = None)", "creation", "Identity matrix (ones on the diagonal).",
    Twin(lambda n, m=None: np.eye(n, m), "np.eye({n}, {m})"), _FLOAT_NOTE, example={"n": 3})
_op("torch.zeros_like(input: Tensor)", "creation", "Zeros with the shape and dtype of input.",
    Twin(lambda input: np.zeros_like(input), "np.zeros_like({input})"))
_op("torch.ones_like(input: Tensor)", "creation", "Ones with the shape and dtype of input.",
    Twin(lambda input: np.ones_like(input), "np.ones_like({input})"))
_op("torch.full_like(input: Tensor, fill_value: float)", "creation", "One value, shape and dtype of input.",
    Twin(lambda input, fill_value: np.full_like(input, fill_value), "np.full_like({input}, {fill_value})"),
    example={"fill_value": 2.5})
_op("torch.tensor(data: literal)", "creation", "A new tensor from (nested) Python lists.",
    Twin(lambda data: np.array(data), "np.array({data})"),
    _FLOAT_NOTE, example={"data": "[[1.5, 2.0], [3.0, 4.1]]"})
_op("torch.as_tensor(data: Tensor)", "creation", "A tensor sharing memory with data when it can.",
    Twin(lambda data: np.asarray(data), "np.asarray({data})"))
_op("torch.tril_indices(row: int, col: int, offset: int = 0)", "creation", "Indices of the lower triangle (2 x N).",
    Twin(lambda row, col, offset=0: np.stack(np.tril_indices(row, offset, col)), "np.stack(np.tril_indices({row}, {offset}, {col}))"),
    example={"row": 3, "col": 3})
_op("torch.triu_indices(row: int, col: int, offset: int = 0)", "creation", "Indices of the upper triangle (2 x N).",
    Twin(lambda row, col, offset=0: np.stack(np.triu_indices(row, offset, col)), "np.stack(np.triu_indices({row}, {offset}, {col}))"),
    example={"row": 3, "col": 3})
_op("torch.vander(x: Tensor, N: int | None = None)", "creation", "Vandermonde matrix (decreasing powers).",
    Twin(lambda x, N=None: np.vander(x, N), "np.vander({x}, {N})"), inputs={"x": ("float", (4,))})
_op("torch.meshgrid(*tensors: Tensor, indexing: Literal['ij', 'xy'] = 'ij')", "creation",
    "Coordinate grids from 1-D tensors.",
    (Twin(lambda tensors, indexing='ij': tuple(np.meshgrid(*tensors, indexing=indexing)), "tuple(np.meshgrid(*{tensors}, indexing={indexing}))", when=given("indexing")), Twin(lambda tensors, indexing='ij': tuple(np.meshgrid(*tensors)), "tuple(np.meshgrid(*{tensors}))")),
    "numpy's meshgrid defaults to indexing='xy' (first two dims swapped); PyTorch's to 'ij'.", expect="differs",
    call="torch.meshgrid({args})", inputs={"tensors": ("float", (3,))}, example={"indexing": "ij"})
_op("torch.cartesian_prod(*tensors: Tensor)", "creation", "All combinations of elements (rows).",
    Twin(lambda tensors: np.stack(np.meshgrid(*tensors, indexing='ij'), axis=-1).reshape(-1, len(tensors)), "np.stack(np.meshgrid(*{tensors}, indexing='ij'), axis=-1).reshape(-1, len({tensors}))"),
    inputs={"tensors": ("float", (3,))})
_op("torch.combinations(input: Tensor, r: int = 2)", "creation", "All r-element combinations (rows).", None,
    "numpy has no combinations; itertools.combinations does it.", inputs={"input": ("float", (4,))})
_op("torch.block_diag(*tensors: Tensor)", "creation", "Block-diagonal matrix from matrices.", None,
    "numpy has no block_diag; scipy.linalg.block_diag does it.", inputs={"tensors": ("float", (2, 2))})

# ---------------------------------------------------------------- random
_RANDOM_NOTE = ("Random: numpy's generator is not PyTorch's, so the same seed gives different numbers; "
                "compare distributions (mean, std), not values.")
for _sig, _desc, _example in [
    ("torch.rand(*size: int)", "Uniform on [0, 1).", {"size": (2, 3)}),
    ("torch.randn(*size: int)", "Standard normal (mean 0, std 1).", {"size": (2, 3)}),
    ("torch.randint(low: int, high: int, size: shape)", "Integers in [low, high).", {"low": 0, "high": 10, "size": (2, 3)}),
    ("torch.randperm(n: int)", "A random permutation of 0 .. n-1.", {"n": 6}),
    ("torch.rand_like(input: Tensor)", "Uniform, shaped like input.", {}),
    ("torch.randn_like(input: Tensor)", "Normal, shaped like input.", {}),
    ("torch.randint_like(input: Tensor, high: int)", "Integers in [0, high), shaped like input.", {"high": 10}),
    ("torch.normal(mean: float, std: float, size: shape)", "Normal with the given mean and std.",
     {"mean": 0.0, "std": 1.0, "size": (2, 3)}),
    ("torch.bernoulli(input: Tensor)", "1 with probability input, else 0.", {}),
    ("torch.multinomial(input: Tensor, num_samples: int, replacement: bool = False)",
     "Sample indices with probabilities proportional to the rows of input.", {"num_samples": 2}),
    ("torch.poisson(input: Tensor)", "Poisson counts with rates input.", {}),
    ("F.dropout(input: Tensor, p: float = 0.5)", "Zero elements with probability p, scale the rest by 1/(1-p).", {}),
    ("Tensor.uniform_(self: Tensor, low: float, high: float)", "Fill in place from U(low, high).",
     {"low": 0.0, "high": 1.0}),
    ("Tensor.normal_(self: Tensor, mean: float = 0.0, std: float = 1.0)", "Fill in place from N(mean, std).", {}),
]:
    _op(_sig, "random", _desc, None, _RANDOM_NOTE, example=_example, inputs={"input": "prob"})

# ---------------------------------------------------------------- neural network (torch.nn.functional)
_NN = "neural network"
_SOFTMAX = Twin(lambda input, dim: np.exp(input) / np.sum(np.exp(input), axis=dim, keepdims=True),
                "np.exp({input}) / np.sum(np.exp({input}), axis={dim}, keepdims=True)")
_LOG_SOFTMAX = Twin(lambda input, dim: input - np.log(np.sum(np.exp(input), axis=dim, keepdims=True)),
                    "{input} - np.log(np.sum(np.exp({input}), axis={dim}, keepdims=True))")
_op("torch.softmax(input: Tensor, dim: int)", _NN, "exp(x) / sum(exp(x)) along dim: probabilities.", _SOFTMAX,
    example={"dim": 1})
_op("torch.log_softmax(input: Tensor, dim: int)", _NN, "log of softmax, computed stably.", _LOG_SOFTMAX,
    example={"dim": 1})
_op("F.softmax(input: Tensor, dim: int)", _NN, "Softmax along dim.", _SOFTMAX, example={"dim": 1})
_op("F.log_softmax(input: Tensor, dim: int)", _NN, "Log-softmax along dim.", _LOG_SOFTMAX, example={"dim": 1})
_op("F.softmin(input: Tensor, dim: int)", _NN, "Softmax of -x.",
    Twin(lambda input, dim: np.exp(-input) / np.sum(np.exp(-input), axis=dim, keepdims=True), "np.exp(-{input}) / np.sum(np.exp(-{input}), axis={dim}, keepdims=True)"),
    example={"dim": 1})
_op("F.relu(input: Tensor)", _NN, "max(x, 0).", Twin(lambda input: np.maximum(input, 0), "np.maximum({input}, 0)"))
_op("F.relu6(input: Tensor)", _NN, "min(max(x, 0), 6).",
    Twin(lambda input: np.clip(input, 0, 6), "np.clip({input}, 0, 6)"))
_op("F.sigmoid(input: Tensor)", _NN, "1 / (1 + e^-x).",
    Twin(lambda input: 1 / (1 + np.exp(-input)), "1 / (1 + np.exp(-{input}))"))
_op("F.tanh(input: Tensor)", _NN, "tanh(x).", Twin(lambda input: np.tanh(input), "np.tanh({input})"))
_op("F.leaky_relu(input: Tensor, negative_slope: float = 0.01)", _NN, "x if x > 0 else slope * x.",
    Twin(lambda input, negative_slope=0.01: np.where(input > 0, input, negative_slope * input),
    "np.where({input} > 0, {input}, {negative_slope} * {input})"))
_op("F.elu(input: Tensor, alpha: float = 1.0)", _NN, "x if x > 0 else alpha * (e^x - 1).",
    Twin(lambda input, alpha=1.0: np.where(input > 0, input, alpha * np.expm1(input)),
    "np.where({input} > 0, {input}, {alpha} * np.expm1({input}))"))
_op("F.selu(input: Tensor)", _NN, "Scaled ELU with fixed constants.",
    Twin(lambda input: 1.0507009873554805 * np.where(input > 0, input, 1.6732632423543772 * np.expm1(input)),
    "1.0507009873554805 * np.where({input} > 0, {input}, 1.6732632423543772 * np.expm1({input}))"))
_op("F.gelu(input: Tensor, approximate: Literal['none', 'tanh'] = 'none')", _NN, "x * Phi(x), Phi the normal CDF.",
    (Twin(lambda input, approximate='none': 0.5 * input * (1 + np.tanh(np.sqrt(2 / np.pi) * (input + 0.044715 * input ** 3))), "0.5 * {input} * (1 + np.tanh(np.sqrt(2 / np.pi) * ({input} + 0.044715 * {input} ** 3)))", when=given("approximate", "tanh")),),
    "The exact GELU needs erf, which numpy lacks; the tanh approximation has a numpy twin.",
    example={"approximate": "tanh"})
_op("F.silu(input: Tensor)", _NN, "x * sigmoid(x) (swish).",
    Twin(lambda input: input / (1 + np.exp(-input)), "{input} / (1 + np.exp(-{input}))"))
_op("F.mish(input: Tensor)", _NN, "x * tanh(softplus(x)).",
    Twin(lambda input: input * np.tanh(np.log1p(np.exp(input))), "{input} * np.tanh(np.log1p(np.exp({input})))"))
_op("F.softplus(input: Tensor, beta: float = 1.0)", _NN, "Smooth relu log(1 + e^(beta x)) / beta.",
    Twin(lambda input, beta=1.0: np.log1p(np.exp(beta * input)) / beta, "np.log1p(np.exp({beta} * {input})) / {beta}"))
_op("F.softsign(input: Tensor)", _NN, "x / (1 + |x|).",
    Twin(lambda input: input / (1 + np.abs(input)), "{input} / (1 + np.abs({input}))"))
_op("F.hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0)", _NN, "Clip to [min_val, max_val].",
    Twin(lambda input, min_val=-1.0, max_val=1.0: np.clip(input, min_val, max_val),
    "np.clip({input}, {min_val:keep}, {max_val:keep})"))
_op("F.logsigmoid(input: Tensor)", _NN, "log(sigmoid(x)), stable.",
    Twin(lambda input: -np.logaddexp(0, -input), "-np.logaddexp(0, -{input})"))
_op("F.hardsigmoid(input: Tensor)", _NN, "Piecewise-linear sigmoid.",
    Twin(lambda input: np.clip(input / 6 + 0.5, 0, 1), "np.clip({input} / 6 + 0.5, 0, 1)"))
_op("F.hardswish(input: Tensor)", _NN, "x * hardsigmoid(x).",
    Twin(lambda input: input * np.clip(input + 3, 0, 6) / 6, "{input} * np.clip({input} + 3, 0, 6) / 6"))
_op("F.tanhshrink(input: Tensor)", _NN, "x - tanh(x).",
    Twin(lambda input: input - np.tanh(input), "{input} - np.tanh({input})"))
_op("F.threshold(input: Tensor, threshold: float, value: float)", _NN, "x if x > threshold else value.",
    Twin(lambda input, threshold, value: np.where(input > threshold, input, value), "np.where({input} > {threshold}, {input}, {value})"),
    example={"threshold": 0.0, "value": -1.0})
_op("F.glu(input: Tensor, dim: int = -1)", _NN, "First half times sigmoid of the second half.",
    Twin(lambda input, dim=-1: np.split(input, 2, axis=dim)[0] / (1 + np.exp(-np.split(input, 2, axis=dim)[1])),
    "np.split({input}, 2, axis={dim:keep})[0] / (1 + np.exp(-np.split({input}, 2, axis={dim:keep})[1]))"))
_op("F.normalize(input: Tensor, p: float = 2.0, dim: int = 1)", _NN, "Divide by the p-norm along dim.",
    Twin(lambda input, p=2.0, dim=1: input / np.maximum(np.linalg.norm(input, ord=p, axis=dim, keepdims=True), 1e-12), "{input} / np.maximum(np.linalg.norm({input}, ord={p}, axis={dim:keep}, keepdims=True), 1e-12)"))
_op("F.cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1)", _NN, "Cosine of the angle between rows.",
    Twin(lambda x1, x2, dim=1: np.sum(x1 * x2, axis=dim) / (np.linalg.norm(x1, axis=dim) * np.linalg.norm(x2, axis=dim)),
    "np.sum({x1} * {x2}, axis={dim:keep}) / (np.linalg.norm({x1}, axis={dim:keep}) * np.linalg.norm({x2}, axis={dim:keep}))"))
_op("F.pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0)", _NN, "p-norm of x1 - x2 (+ a tiny eps) per row.",
    Twin(lambda x1, x2, p=2.0: np.linalg.norm(x1 - x2 + 1e-6, ord=p, axis=-1),
    "np.linalg.norm({x1} - {x2} + 1e-6, ord={p}, axis=-1)"))
def _loss(elementwise: Callable[[Any, Any], Any], code: str) -> tuple[Twin, ...]:
    """A loss from its elementwise part: reduction='sum', 'none', or the mean (the default)."""
    return (
        Twin(lambda input, target, reduction="mean": np.sum(elementwise(input, target)), f"np.sum({code})",
             when=given("reduction", "sum")),
        Twin(lambda input, target, reduction="mean": elementwise(input, target), code, when=given("reduction", "none")),
        Twin(lambda input, target, reduction="mean": np.mean(elementwise(input, target)), f"np.mean({code})"),
    )


_op("F.mse_loss(input: Tensor, target: Tensor, reduction: Literal['mean', 'sum', 'none'] = 'mean')", _NN,
    "Mean squared error.", _loss(lambda input, target: (input - target) ** 2, "({input} - {target}) ** 2"))
_op("F.l1_loss(input: Tensor, target: Tensor, reduction: Literal['mean', 'sum', 'none'] = 'mean')", _NN,
    "Mean absolute error.", _loss(lambda input, target: np.abs(input - target), "np.abs({input} - {target})"))
_op("F.smooth_l1_loss(input: Tensor, target: Tensor, beta: float = 1.0)", _NN, "Squared near 0, absolute further out.",
    Twin(lambda input, target, beta=1.0: np.mean(np.where(np.abs(input - target) < beta, 0.5 * (input - target) ** 2 / beta, np.abs(input - target) - 0.5 * beta)),
    "np.mean(np.where(np.abs({input} - {target}) < {beta}, 0.5 * ({input} - {target}) ** 2 / {beta}, np.abs({input} - {target}) - 0.5 * {beta}))"))
_op("F.huber_loss(input: Tensor, target: Tensor, delta: float = 1.0)", _NN, "Huber loss.",
    Twin(lambda input, target, delta=1.0: np.mean(np.where(np.abs(input - target) < delta, 0.5 * (input - target) ** 2, delta * (np.abs(input - target) - 0.5 * delta))),
    "np.mean(np.where(np.abs({input} - {target}) < {delta}, 0.5 * ({input} - {target}) ** 2, {delta} * (np.abs({input} - {target}) - 0.5 * {delta})))"))
_op("F.binary_cross_entropy(input: Tensor, target: Tensor)", _NN, "BCE of probabilities against targets in [0, 1].",
    Twin(lambda input, target: -np.mean(target * np.log(input) + (1 - target) * np.log(1 - input)),
    "-np.mean({target} * np.log({input}) + (1 - {target}) * np.log(1 - {input}))"),
    inputs={"input": "prob", "target": "prob"})
_op("F.binary_cross_entropy_with_logits(input: Tensor, target: Tensor)", _NN, "BCE on logits (sigmoid inside, stable).",
    Twin(lambda input, target: np.mean(np.maximum(input, 0) - input * target + np.log1p(np.exp(-np.abs(input)))),
    "np.mean(np.maximum({input}, 0) - {input} * {target} + np.log1p(np.exp(-np.abs({input}))))"),
    inputs={"target": "prob"})
_op("F.cross_entropy(input: Tensor, target: Tensor)", _NN, "Log-softmax + negative log-likelihood of class indices.",
    Twin(lambda input, target: -np.mean(np.take_along_axis(input - np.log(np.sum(np.exp(input), axis=1, keepdims=True)), target[:, None], axis=1)), "-np.mean(np.take_along_axis({input} - np.log(np.sum(np.exp({input}), axis=1, keepdims=True)), {target}[:, None], axis=1))"),
    inputs={"target": ("index", (3,))})
_op("F.nll_loss(input: Tensor, target: Tensor)", _NN, "Negative log-likelihood of class indices (input: log-probs).",
    Twin(lambda input, target: -np.mean(np.take_along_axis(input, target[:, None], axis=1)), "-np.mean(np.take_along_axis({input}, {target}[:, None], axis=1))"),
    inputs={"target": ("index", (3,))})
_op("F.kl_div(input: Tensor, target: Tensor)", _NN, "KL divergence; input holds log-probabilities.",
    Twin(lambda input, target: np.mean(target * (np.log(target) - input)), "np.mean({target} * (np.log({target}) - {input}))"),
    inputs={"target": "prob"})
_op("F.linear(input: Tensor, weight: Tensor, bias: Tensor | None = None)", _NN, "input @ weight.T + bias (a layer).",
    (Twin(lambda input, weight, bias=None: input @ weight.T + bias, "{input} @ {weight}.T + {bias}", when=given("bias")), Twin(lambda input, weight, bias=None: input @ weight.T, "{input} @ {weight}.T")),
    inputs={"weight": ("float", (2, 4)), "bias": ("float", (2,))})
_op("F.one_hot(input: Tensor, num_classes: int = -1)", _NN, "Class indices to one-hot rows.",
    (Twin(lambda input, num_classes=-1: (input[..., None] == np.arange(num_classes)).astype(np.int64), "({input}[..., None] == np.arange({num_classes})).astype(np.int64)", when=given("num_classes")), Twin(lambda input, num_classes=-1: (input[..., None] == np.arange(np.max(input) + 1)).astype(np.int64), "({input}[..., None] == np.arange(np.max({input}) + 1)).astype(np.int64)")), inputs={"input": ("index", (5,))})
_op("F.embedding(input: Tensor, weight: Tensor)", _NN, "Rows of weight at the indices (a lookup table).",
    Twin(lambda input, weight: weight[input], "{weight}[{input}]"), inputs={"input": ("index", (5,)),
    "weight": ("float", (3, 4))})
_op("F.pad(input: Tensor, pad: dims, value: float = 0.0)", _NN, "Pad the last dims (last dim first in pad).", None,
    "np.pad lists pads per axis from the first axis; F.pad lists them from the last axis: reverse the pairs.",
    example={"pad": (1, 1)})
_op("F.layer_norm(input: Tensor, normalized_shape: dims)", _NN, "Normalise over the last dims (mean 0, var 1).",
    Twin(lambda input, normalized_shape: (input - np.mean(input, axis=-1, keepdims=True)) / np.sqrt(np.var(input, axis=-1, keepdims=True) + 1e-05),
    "({input} - np.mean({input}, axis=-1, keepdims=True)) / np.sqrt(np.var({input}, axis=-1, keepdims=True) + 1e-05)"),
    "The twin normalises the last dim only (normalized_shape of one dim).", example={"normalized_shape": (4,)})

