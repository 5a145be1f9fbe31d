"""A learner's hint for PyTorch's common errors, shown under PyTorch's own message.

`hint_for(error)` reads an error (or its message) and says, in a sentence or two, what it means
and what to type instead; None when it knows no hint. It knows the errors a learner meets first:
dtypes that do not match (`torch.arange(12) @ torch.ones(12)`), matrix shapes that do not meet
(`a @ b` with two 2x3 tensors: transpose one), shapes that do not broadcast, an integer tensor
where floats are needed (`torch.arange(4).mean()`), an in-place op on a leaf that requires grad,
numpy spellings PyTorch does not have (`a[:, ::-1]`, `.astype`, `.copy()`, `keepdims=`), and a
few more (reshape sizes, dims and indices out of range, `cat`/`stack` sizes, devices).

A hint is a `Hint`: a str holding the English words (as hints always were), with the template and
values that say it in Chinese too: `hint.message("zh")`, or `hint_text(error, lang)` for a page.
An error may carry its own, more precise hint (`ExpressionError.hint`); that one wins.
`reversed_dims(index, ndim)` finds the dims a numpy-style negative-step index reverses, for the
`torch.flip` hint of the evaluator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch

from pytorch_explorer.core.errors import Said, Term

__all__ = ["DTYPE_NAMES", "Hint", "flip_hint", "hint_for", "hint_text", "reversed_dims"]


class Hint(Said):
    """A learner's hint: the English words, and the template and values to say them in another language."""


# PyTorch's C++ and Python spellings of dtypes in messages -> the torch name a learner types.
DTYPE_NAMES = {
    "long int": "int64", "long": "int64", "int": "int32", "short": "int16", "char": "int8", "byte": "uint8",
    "float": "float32", "double": "float64", "half": "float16", "c10::half": "float16", "bfloat16": "bfloat16",
    "c10::bfloat16": "bfloat16", "bool": "bool", "complexfloat": "complex64", "complexdouble": "complex128",
}
_INTEGER = {"int64", "int32", "int16", "int8", "uint8", "bool"}
_CONVERT = {"float32": ".float()", "float64": ".double()", "int64": ".long()", "int32": ".int()", "float16": ".half()"}


def dtype_name(text: str) -> str:
    """`long int` -> `int64`, `Float` -> `float32`, `torch.int64` -> `int64`; unknown text as it is."""
    key = text.strip().lower().replace("torch.", "")
    return DTYPE_NAMES.get(key, key)


def _dtypes(first: str, second: str) -> Hint:
    x, y = dtype_name(first), dtype_name(second)
    floating = y if x in _INTEGER else x
    other = x if floating == y else y
    convert = _CONVERT.get(floating, f".to(torch.{floating})")
    if other in _INTEGER and floating.startswith("float"):
        return Hint("The two tensors have different dtypes ({x} and {y}), and PyTorch does not convert them for you "
                    "here. Convert one so both are the same, e.g. `x{convert}` to make x {floating}, or make the "
                    "integer one floating from the start: `torch.arange(12.)` instead of `torch.arange(12)`.",
                    x=x, y=y, convert=convert, floating=floating)
    return Hint("The two tensors have different dtypes ({x} and {y}), and PyTorch does not convert them for you "
                "here. Convert one so both are the same, e.g. `x{convert}` to make x {floating}.",
                x=x, y=y, convert=convert, floating=floating)


def _matmul(m: re.Match) -> Hint:
    r1, c1, r2, c2 = (int(g) for g in m.groups())
    if "linear(" in m.string:
        return Hint("For A @ B, A's columns must equal B's rows: here A is {r1}x{c1} and B is {r2}x{c2}, and "
                    "{c1} ≠ {r2}. F.linear(x, W) computes x @ W.T, so W must be (out_features, in_features): its "
                    "second size must be {c1}.", r1=r1, c1=c1, r2=r2, c2=c2)
    if c1 == c2:
        return Hint("For A @ B, A's columns must equal B's rows: here A is {r1}x{c1} and B is {r2}x{c2}, and "
                    "{c1} ≠ {r2}. Transpose B: `A @ B.T` is ({r1}x{c1}) @ ({c2}x{r2}), a {r1}x{r2} result.",
                    r1=r1, c1=c1, r2=r2, c2=c2)
    if r1 == r2:
        return Hint("For A @ B, A's columns must equal B's rows: here A is {r1}x{c1} and B is {r2}x{c2}, and "
                    "{c1} ≠ {r2}. Transpose A: `A.T @ B` is ({c1}x{r1}) @ ({r2}x{c2}), a {c1}x{c2} result.",
                    r1=r1, c1=c1, r2=r2, c2=c2)
    return Hint("For A @ B, A's columns must equal B's rows: here A is {r1}x{c1} and B is {r2}x{c2}, and "
                "{c1} ≠ {r2}. Check which sizes should meet; `x.T` swaps a matrix's rows and columns.",
                r1=r1, c1=c1, r2=r2, c2=c2)


def _broadcast(m: re.Match) -> Hint:
    x, y, dim = m.groups()
    return Hint("Elementwise operations line the two shapes up from the right; at dim {dim} the sizes are {x} and "
                "{y}: neither is 1, so they cannot be stretched to match. (\"tensor a\" and \"tensor b\" are "
                "PyTorch's names for the left and right operands, not your tensors.) Make the sizes equal, or give "
                "one a size-1 dim where it should repeat: `x[:, None]` or `x.unsqueeze(1)`. The Broadcasting tab "
                "shows the rule step by step.", dim=dim, x=x, y=y)


def _needs_float(what: str, dtype: str) -> Hint:
    """`what` (code such as `mean()`, or a Term) works on floats only."""
    return Hint("{what} works on floating-point numbers only, and this tensor holds integers ({dtype}). Convert it "
                "with `x.float()`, or create it with floats: `torch.arange(4.)`, `torch.tensor([1., 2.])`.",
                what=what, dtype=dtype_name(dtype))


def _op_not_implemented(m: re.Match) -> Hint:
    kernel, dtype = m.groups()
    name = dtype_name(dtype)
    if name == "float16":
        return Hint("This operation ({kernel}) has no float16 version on this device. Compute in float32: "
                    "`x.float()`.", kernel=kernel)
    return Hint("This operation ({kernel}) works on floating-point numbers only, and this tensor holds integers "
                "({dtype}). Convert it with `x.float()`, or create it with floats: `torch.arange(4.)`, "
                "`torch.tensor([1., 2.])`.", kernel=kernel.split("_")[0], dtype=name)


_NUMPY_METHODS = {
    "astype": Hint("PyTorch converts with `.to`: `a.to(torch.float64)`, or `a.double()`, `a.float()`, `a.long()`."),
    "copy": Hint("PyTorch's copy is `a.clone()`."),
    "numpy": Hint("The playground compares with numpy for you (the numpy twin under each result)."),
    "backward": Hint("Gradients are the Autograd explorer's subject; this playground computes values only."),
}
_NUMPY_FUNCTIONS = {
    "array": Hint("PyTorch's `np.array` is `torch.tensor([...])`."),
    "asarray": Hint("PyTorch's `np.asarray` is `torch.as_tensor([...])`."),
    "newaxis": Hint("PyTorch has no `newaxis`: index with `None`, e.g. `a[:, None]`."),
    "concatenate": Hint("PyTorch's `np.concatenate` is `torch.cat([a, b], dim=0)`."),
    "expand_dims": Hint("PyTorch's `np.expand_dims` is `a.unsqueeze(dim)`."),
}

_Rule = tuple[str, Callable[[re.Match], Hint | None]]
_RULES: list[_Rule] = [
    # dtypes that do not match
    (r"expected m1 and m2 to have the same dtype, but got: (.+?) != ((?:c10::)?\w+)", lambda m: _dtypes(*m.groups())),
    (r"expected both vectors to have same dtype, but found (\w+) and (\w+)", lambda m: _dtypes(*m.groups())),
    (r"expected scalar type (\w+) but found (\w+)", lambda m: _dtypes(*m.groups())),
    (r"Expected object of scalar type (\w+) but got scalar type (\w+)", lambda m: _dtypes(*m.groups())),
    (r"result type (\w+) can't be cast to the desired output type (\w+)", lambda m: Hint(
        "An in-place operation (a name ending in `_`) keeps the tensor's dtype ({kept}), but the result is "
        "{result}. Use the out-of-place form (`i + 0.5` instead of `i.add_(0.5)`), or convert first: "
        "`i.float().add_(0.5)`.", kept=dtype_name(m.group(2)), result=dtype_name(m.group(1)))),
    (r"expected target dtype to be Long", lambda m: Hint(
        "cross_entropy's target holds class indices (int64), e.g. `torch.tensor([0, 2])`; for probabilities "
        "as targets, give floats of the same shape as the input.")),
    # matrix products whose shapes do not meet
    (r"mat1 and mat2 shapes cannot be multiplied \((\d+)x(\d+) and (\d+)x(\d+)\)", _matmul),
    (r"size mismatch, got input \((\d+)\), mat \((\d+)x(\d+)\), vec \((\d+)\)", lambda m: Hint(
        "A matrix-vector product needs the vector's length to equal the matrix's columns: {columns} ≠ {length}.",
        columns=m.group(3), length=m.group(4))),
    (r"inconsistent tensor size, expected tensor \[(\d+)\] and src \[(\d+)\]", lambda m: Hint(
        "A dot product needs two vectors of the same length; these have {a} and {b} elements.",
        a=m.group(1), b=m.group(2))),
    (r"1D tensors expected, but got (\d)D and (\d)D", lambda m: Hint(
        "torch.dot takes two 1-D vectors (numpy's np.dot also multiplies matrices): use `A @ B` or `torch.matmul` "
        "for matrices.")),
    (r"Expected size for first two dimensions of batch2 tensor to be: \[(\d+), (\d+)\] but got: \[(\d+), (\d+)\]",
     lambda m: Hint("bmm multiplies (b, n, m) by (b, m, p): the second tensor's first sizes should be [{a}, {b}], "
                    "not [{c}, {d}]. Transposing the last two dims (`x.mT`) may be what you need.",
                    a=m.group(1), b=m.group(2), c=m.group(3), d=m.group(4))),
    (r"both arguments to matmul need to be at least 1D", lambda m: Hint(
        "@ multiplies vectors and matrices; to scale by a number, use `*`: `2 * a`.")),
    # shapes that do not broadcast
    (r"The size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\) at non-singleton dimension (\d+)",
     _broadcast),
    (r"output with shape \[(.*?)\] doesn't match the broadcast shape \[(.*?)\]", lambda m: Hint(
        "An in-place operation cannot change its tensor's shape ([{shape}]), and the result would be "
        "[{result}]. Use the out-of-place form (`a + b` instead of `a.add_(b)`).", shape=m.group(1),
        result=m.group(2))),
    (r"The expanded size of the tensor \((\d+)\) must match the existing size \((\d+)\)", lambda m: Hint(
        "expand only stretches dims of size 1 (without copying); a dim of another size must stay as it is. "
        "`x.repeat(...)` copies the tensor to make it bigger.")),
    # an integer tensor where floats are needed
    (r"(\w+)\(\): could not infer output dtype\. Input dtype must be either a floating point or complex dtype\. "
     r"Got: (\w+)", lambda m: _needs_float(f"{m.group(1)}()", m.group(2))),
    (r"(std and var) only support floating point", lambda m: _needs_float(Term(m.group(1)), "long")),
    (r"(linalg\.\w+): Expected a floating point or complex tensor as input\. Got (\w+)",
     lambda m: _needs_float(m.group(1), m.group(2))),
    (r"\"(\w+)\" not implemented for '(\w+)'", _op_not_implemented),
    (r"only Tensors of floating point (?:and complex )?dtype can require gradients", lambda m: Hint(
        "Gradients need real numbers between the integers: only floating-point tensors can require grad. "
        "Make it floating first: `x.float().requires_grad_()`, or `torch.arange(4.)`.")),
    (r"expected a floating-point or complex dtype, but got dtype=torch\.(\w+)", lambda m: Hint(
        "Random normal numbers are never whole, so they cannot be {dtype}; for random integers use "
        "`torch.randint(low, high, size)`.", dtype=m.group(1))),
    (r"one_hot is only applicable to index tensor", lambda m: Hint(
        "one_hot takes class indices (int64): `F.one_hot(x.long())`.")),
    # autograd
    (r"a leaf Variable that requires grad is being used in an in-place operation", lambda m: Hint(
        "This tensor is a leaf that requires grad: autograd needs its value as it is, so in-place operations "
        "(names ending in `_`) on it are refused. Use the out-of-place form (`w + 1` instead of `w.add_(1)`), "
        "or change a copy: `w.detach().clone().add_(1)`. (Optimizers change leaves inside `torch.no_grad()`.)")),
    (r"one of the variables needed for gradient computation has been modified by an inplace operation",
     lambda m: Hint("An in-place operation overwrote a value autograd saved for backward: use the out-of-place form.")),
    # numpy spellings
    (r"step must be greater than zero", lambda m: Hint(
        "numpy allows a negative step (`a[::-1]` reads backwards); PyTorch's slicing does not. Reverse with "
        "`torch.flip(a, dims=(0,))`, naming the dims to reverse, then slice with a positive step.")),
    (r"The tensor method `(\w+)` is not allowed", lambda m: _NUMPY_METHODS.get(m.group(1))),
    (r"`torch\.(\w+)` (?:is not one of the functions allowed|is not allowed here)",
     lambda m: _NUMPY_FUNCTIONS.get(m.group(1))),
    (r"got \(.*keepdims=.*\), but expected one of", lambda m: Hint(
        "PyTorch spells numpy's `keepdims=` as `keepdim=`: `a.sum(dim=0, keepdim=True)`.")),
    (r"Boolean value of Tensor with more than one value is ambiguous", lambda m: Hint(
        "A comparison of tensors gives one true/false per element; say which you mean: `(a > 0).any()` or "
        "`(a > 0).all()`, or pick elementwise with `torch.where(a > 0, a, b)`.")),
    # sizes, dims and indices
    (r"shape '\[(.*?)\]' is invalid for input of size (\d+)", lambda m: Hint(
        "A reshape keeps every element: the new shape must hold exactly {n} of them, and [{shape}] does not. "
        "Write -1 for one size to let PyTorch work it out: `x.reshape(-1, 3)`.", n=m.group(2), shape=m.group(1))),
    (r"view size is not compatible with input tensor's size and stride", lambda m: Hint(
        "view never copies, and this tensor's memory is not laid out in the new order (after a transpose, say). "
        "Use `x.reshape(...)` (copies when it must) or `x.contiguous().view(...)`.")),
    (r"Dimension out of range \(expected to be in range of \[(-?\d+), (-?\d+)\], but got (-?\d+)\)", lambda m: Hint(
        "This tensor has {n} dims, numbered 0 to {last} (or {first} to -1 from the end); there is no dim {dim}.",
        n=int(m.group(2)) + 1, last=m.group(2), first=m.group(1), dim=m.group(3))),
    (r"index (-?\d+) is out of bounds for dimension (\d+) with size (\d+)", lambda m: Hint(
        "Indices start at 0: dim {dim} has size {size}, so its indices are 0 to {last} (or -{size} to -1 from "
        "the end).", dim=m.group(2), size=m.group(3), last=int(m.group(3)) - 1)),
    (r"stack expects each tensor to be equal size", lambda m: Hint(
        "torch.stack puts tensors of the same shape side by side along a new dim; to join along an existing dim "
        "(sizes may differ there), use `torch.cat`.")),
    (r"Sizes of tensors must match except in dimension (\d+)", lambda m: Hint(
        "torch.cat joins along dim {dim}; every other size must be the same in all the tensors.", dim=m.group(1))),
    (r"Tensors must have same number of dimensions", lambda m: Hint(
        "torch.cat needs tensors with the same number of dims: add one with `x[None]` or `x.unsqueeze(0)`.")),
    (r"expected sequence of length (\d+) at dim (\d+) \(got (\d+)\)", lambda m: Hint(
        "A tensor is a rectangular block: every row of a nested list must have the same length.")),
    (r"Expected all tensors to be on the same device", lambda m: Hint(
        "The tensors live on different devices: move one, e.g. `x.to(y.device)`.")),
]


def hint_for(error: BaseException | str) -> str | None:
    """A learner's hint for an error (or its message), or None when there is none to give.

    A `Hint` (English as a str), or an error's own hint as it was given.
    """
    own = getattr(error, "hint", None)
    if isinstance(own, str) and own:
        return own
    message = str(error)
    for pattern, make in _RULES:
        match = re.search(pattern, message)
        if match:
            return make(match) or None
    return None


def hint_text(error: BaseException | str, lang: str = "en") -> str | None:
    """`hint_for(error)` in the learner's language (a hint given as plain text is shown as it is)."""
    hint = hint_for(error)
    return hint.message(lang) if isinstance(hint, Hint) else hint


def reversed_dims(index: Any, ndim: int) -> list[int]:
    """The dims of a tensor with `ndim` dims that a numpy-style index reverses with a negative step.

    `a[:, ::-1]` on a 2-D tensor -> [1]; `a[..., ::-2]` -> [ndim - 1]; no negative step -> [].
    """
    parts = index if isinstance(index, tuple) else (index,)

    def width(part: Any) -> int:  # the dims of the tensor one part of the index uses
        if part is None or part is Ellipsis:
            return 0
        return part.dim() if isinstance(part, torch.Tensor) and part.dtype == torch.bool else 1

    found: list[int] = []
    dim = 0
    for part in parts:
        if part is Ellipsis:
            dim += max(ndim - sum(width(p) for p in parts), 0)
        elif isinstance(part, slice) and isinstance(part.step, int) and part.step < 0:
            found.append(dim)
        dim += width(part)
    return found


def flip_hint(source: str, dims: list[int]) -> Hint:
    """The torch.flip hint for a negative-step slice of `source` along `dims`."""
    dims_code = "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"
    return Hint("numpy allows a negative step, reading that dim backwards; PyTorch's slicing does not. Reverse "
                "with `torch.flip({source}, dims={dims})` (PyTorch copies where numpy makes a view), then slice "
                "that with a positive step if you need one.", source=source, dims=dims_code)
