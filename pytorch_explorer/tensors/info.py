"""Describing tensors: their metadata, their values, how two shapes broadcast, views vs copies.

- `describe(t)`: shape, dtype, device, strides, contiguity, requires_grad, ... as a dataclass.
- `values_frame(t)` / `summary(t)`: a small tensor as a table, a large one as statistics.
- `slice_2d(t, leading)`: one 2-D slice of a tensor with 3 or more dims, to look at its values.
- `broadcast(shape_a, shape_b)`: how the shapes line up (from the right) and the result shape,
  or exactly which dims clash.
- `shares_storage(a, b)` and `view_or_copy(...)`: whether a result is a view of its input, and
  what an in-place op on one does to the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import torch

from pytorch_explorer.tensors.expressions import evaluate

SMALL_TABLE = 400  # elements shown as a table


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: str
    device: str
    strides: tuple[int, ...]
    contiguous: bool
    requires_grad: bool
    numel: int
    storage_offset: int
    is_leaf: bool
    grad_fn: str | None
    nbytes: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "shape": str(self.shape), "dtype": self.dtype, "device": self.device, "strides": str(self.strides),
            "contiguous": self.contiguous, "requires_grad": self.requires_grad, "elements": self.numel,
            "storage offset": self.storage_offset, "grad_fn": self.grad_fn or "-", "bytes": self.nbytes,
        }


def describe(t: torch.Tensor) -> TensorInfo:
    return TensorInfo(
        shape=tuple(t.shape), dtype=str(t.dtype).replace("torch.", ""), device=str(t.device),
        strides=tuple(t.stride()), contiguous=t.is_contiguous(), requires_grad=t.requires_grad,
        numel=t.numel(), storage_offset=t.storage_offset(), is_leaf=t.is_leaf,
        grad_fn=type(t.grad_fn).__name__ if t.grad_fn is not None else None,
        nbytes=t.numel() * t.element_size(),
    )


def _plain(t: torch.Tensor) -> torch.Tensor:
    t = t.detach().cpu()
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()
    return t.resolve_conj().resolve_neg()


def values_frame(t: torch.Tensor) -> pd.DataFrame | None:
    """A table of the values for 0-, 1- or 2-D tensors up to SMALL_TABLE elements; else None."""
    if t.dim() > 2 or t.numel() > SMALL_TABLE or t.is_complex():
        return None
    data = _plain(t).numpy()
    if t.dim() == 0:
        return pd.DataFrame({"value": [data.item()]})
    if t.dim() == 1:
        return pd.DataFrame([data], index=["[ ]"], columns=[str(i) for i in range(len(data))])
    return pd.DataFrame(data, index=[f"[{i}]" for i in range(data.shape[0])],
                        columns=[str(j) for j in range(data.shape[1])])


def slice_2d(t: torch.Tensor, leading: tuple[int, ...]) -> torch.Tensor:
    """The 2-D slice `t[i, j, ...]` of a tensor with 3 or more dims, one index per leading dim.

    A 2x3x4x5 tensor has leading dims (2, 3): `slice_2d(t, (1, 2))` is `t[1, 2]`, a 4x5 matrix.
    """
    if t.dim() < 3:
        raise ValueError(f"Slices are for tensors of 3 or more dims; this one has {t.dim()}.")
    sizes = tuple(t.shape[:-2])
    if len(leading) != len(sizes) or any(not 0 <= i < n for i, n in zip(leading, sizes, strict=True)):
        raise ValueError(f"Give one index per leading dim, each in range: the leading sizes are {sizes}.")
    return t[tuple(leading)]


def slice_text(name: str, leading: tuple[int, ...]) -> str:
    """`x[1, 2]`, `x[1, 2, :, :]` written the short way, for captions."""
    return f"{name}[{', '.join(str(i) for i in leading)}]"


def summary(t: torch.Tensor) -> dict[str, Any]:
    """Statistics of a (large) tensor: min, max, mean, std, and how many are zero or NaN."""
    x = _plain(t)
    if x.numel() == 0:
        return {"elements": 0}
    if x.dtype == torch.bool:
        return {"elements": x.numel(), "true": int(x.sum()), "false": int((~x).sum())}
    if x.is_complex():
        x = x.abs()
    f = x.double()
    finite = f[torch.isfinite(f)]
    stats = {"elements": x.numel(), "min": float(f.min()), "max": float(f.max()), "mean": float(f.mean()),
             "std": float(f.std()) if x.numel() > 1 else 0.0, "zeros": int((f == 0).sum()),
             "NaN": int(torch.isnan(f).sum())}
    if finite.numel() != f.numel():
        stats["mean of finite"] = float(finite.mean()) if finite.numel() else float("nan")
    return stats


def value_text(value: Any, limit: int = 2_000) -> str:
    """Text of any result (tensor, tuple, number), cut to a readable length."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."


# ---------------------------------------------------------------- broadcasting
@dataclass(frozen=True)
class Broadcast:
    shape_a: tuple[int, ...]
    shape_b: tuple[int, ...]
    result: tuple[int, ...] | None  # None: they do not broadcast
    steps: list[str]  # one line per dim, from the right
    reason: str  # why they broadcast or not

    def table(self) -> pd.DataFrame:
        """Rows a, b, result; one column per dim, right-aligned as the rule aligns them."""
        n = max(len(self.shape_a), len(self.shape_b))
        cols = [f"dim {i - n}" for i in range(n)]

        def row(shape: tuple[int, ...] | None) -> list[str]:
            if shape is None:
                return ["✗"] * n
            return [""] * (n - len(shape)) + [str(s) for s in shape]

        return pd.DataFrame([row(self.shape_a), row(self.shape_b), row(self.result)],
                            index=["a", "b", "result"], columns=cols)


def broadcast(shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> Broadcast:
    """Align two shapes from the right; sizes must be equal or 1 (missing dims count as 1)."""
    a, b = tuple(shape_a), tuple(shape_b)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    steps, result, clashes = [], [], []
    for i in reversed(range(n)):
        dim = i - n
        x, y = pa[i], pb[i]
        missing_a, missing_b = i < n - len(a), i < n - len(b)
        if x == y:
            steps.append(f"dim {dim}: {x} and {y} are equal → {x}")
            result.append(x)
        elif x == 1 or y == 1:
            big = y if x == 1 else x
            who = "a" if x == 1 else "b"
            how = "has no such dim (counts as 1)" if (missing_a if who == "a" else missing_b) else "is 1"
            steps.append(f"dim {dim}: {who} {how}, so it is repeated {big} times → {big}")
            result.append(big)
        else:
            steps.append(f"dim {dim}: {x} vs {y}: neither is 1, so they cannot be lined up ✗")
            clashes.append(f"dim {dim} ({x} vs {y})")
            result.append(-1)
    if clashes:
        reason = (f"{a} and {b} do not broadcast: at {', '.join(clashes)} the sizes differ and neither is 1. "
                  "Sizes must be equal, or one of them 1 (a missing leading dim counts as 1).")
        return Broadcast(a, b, None, steps, reason)
    out = tuple(reversed(result))
    return Broadcast(a, b, out, steps, f"{a} and {b} broadcast to {out}.")


# ---------------------------------------------------------------- views and copies
VIEW_EXAMPLES = {
    "x.t()": "transpose: a view with swapped strides",
    "x.T": "the .T property: a view",
    "x.view(-1)": "view: same storage, new shape (needs a contiguous tensor)",
    "x.reshape(-1)": "reshape: a view when possible, else a copy",
    "x[0]": "basic indexing: a view",
    "x[:, 1:]": "slicing: a view with a storage offset",
    "x[:, ::2]": "slicing with a step: a view with a bigger stride",
    "x.unsqueeze(0)": "unsqueeze: a view",
    "x.permute(1, 0)": "permute: a view",
    "x.flatten()": "flatten: a view when possible",
    "x.detach()": "detach: shares the data, leaves the graph",
    "x.t().contiguous()": "contiguous after transpose: a copy",
    "x.contiguous()": "contiguous on a contiguous tensor: the same tensor",
    "x.clone()": "clone: always a copy",
    "x[x > 0]": "boolean-mask indexing: a copy",
    "x[[0, 0]]": "integer-list indexing: a copy",
    "x.float()": "dtype conversion: the same tensor if already float32, else a copy",
    "x * 1": "arithmetic: a new tensor",
}
IN_PLACE_EXAMPLES = ("add_(1)", "mul_(10)", "zero_()", "fill_(7)", "neg_()")


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether two tensors use the same memory block (a view and its base do)."""
    if a.numel() == 0 or b.numel() == 0 or a.device != b.device:
        return False
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


@dataclass(frozen=True)
class ViewReport:
    expression: str
    same_object: bool
    shares_storage: bool
    base: TensorInfo
    result: TensorInfo
    explanation: str
    in_place: str
    target: str
    base_before: torch.Tensor
    base_after: torch.Tensor
    result_before: torch.Tensor
    result_after: torch.Tensor
    other_changed: bool


def view_or_copy(x: torch.Tensor, expression: str, in_place: str = "add_(1)", target: str = "result") -> ViewReport:
    """Run `expression` on a copy of x (named x), then the in-place op on `target` ("result" or "x").

    Reports whether the result shares x's storage and whether the in-place op on one changed
    the other. The caller's tensor is never changed.
    """
    if in_place not in IN_PLACE_EXAMPLES:
        raise ValueError(f"Choose an in-place op from {', '.join(IN_PLACE_EXAMPLES)}.")
    base = x.detach().clone()
    result = evaluate(expression, {"x": base})
    if not isinstance(result, torch.Tensor):
        raise ValueError(f"{expression} gives a {type(result).__name__}, not a tensor.")
    same = result is base
    shared = shares_storage(result, base)
    base_before, result_before = base.clone(), result.clone()
    changed, other = (result, base) if target == "result" else (base, result)
    other_before = other.clone()
    try:
        evaluate(f"t.{in_place}", {"t": changed})
    except ValueError as exc:
        raise ValueError(f"{target}.{in_place} did not work: {exc}") from None
    other_changed = other.shape != other_before.shape or not torch.equal(other, other_before)
    if same:
        explanation = f"`{expression}` returned x itself: the very same tensor object, so of course they change together."
    elif shared:
        explanation = (f"`{expression}` is a view: it shares x's storage (same memory), with its own shape, "
                       "strides and offset. Writing through one is seen through the other.")
    else:
        explanation = (f"`{expression}` made a copy: new storage. Changing one leaves the other alone.")
    return ViewReport(expression, same, shared, describe(base_before), describe(result), explanation, in_place, target,
                      base_before, base.clone(), result_before, result.clone(), other_changed)
