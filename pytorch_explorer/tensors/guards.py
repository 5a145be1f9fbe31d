"""Size caps for the torch backend: each tensor-producing step is sized before it allocates.

`Budget.call(name, fn, args, kwargs, node)` first applies the rules a dry run cannot see
(decompositions, data-dependent sizes, piece counts), then runs the step on PyTorch's "meta"
device (shapes only, no data) and refuses it when its result would hold more than
`MAX_ELEMENTS` elements, or when one expression would create more than `MAX_TOTAL_ELEMENTS` in
all; matrix products and decompositions are refused above `MAX_FLOPS`. Only then does the real
call run. Every refusal is an UnsafeExpressionError naming the offending part.
"""

from __future__ import annotations

import ast
import math
import time
from collections.abc import Callable
from typing import Any

import torch

from pytorch_explorer.core.errors import Term
from pytorch_explorer.tensors.cost import (
    MAX_INTERMEDIATE,
    MAX_SECONDS,
    MAX_STEP_NS,
    MAX_TOTAL_NS,
    TooCostlyError,
    einsum_macs,
    log_comb,
    loop_elements,
    step_ns,
    too_long,
)
from pytorch_explorer.tensors.language import ExpressionError, UnsafeExpressionError, first_line, snippet

MAX_ELEMENTS = 10_000_000  # the one size limit of the playground: elements in any tensor made or computed
MAX_TOTAL_ELEMENTS = 50_000_000  # in all tensors one expression creates
MAX_SEQUENCE_ITEMS = 1_000_000  # in a Python list/tuple (nested lists count their leaves)
MAX_PIECES = 10_000  # tensors returned by split/unbind/chunk-like calls
MAX_TOLIST = 1_000_000  # elements turned into Python numbers by .tolist()
MAX_FLOPS = 4_000_000_000  # multiply-adds of one matrix product or decomposition

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
TAKES_DEVICE = {
    "zeros", "ones", "full", "arange", "linspace", "logspace", "eye", "zeros_like", "ones_like",
    "full_like", "rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm",
    "tril_indices", "triu_indices", "scalar_tensor",
}


def tensors_in(value: Any) -> list[torch.Tensor]:
    """Every tensor in a value (nested lists, tuples and dicts included)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in tensors_in(item)]
    return []


def leaf_count(value: Any, memo: dict[int, int]) -> int:
    """Python items in a (nested) list (a tensor counts as one); shared sublists are walked once."""
    if isinstance(value, (list, tuple)) and not isinstance(value, torch.Size):
        key = id(value)
        if key not in memo:
            memo[key] = 0  # no cycles are possible, but be safe
            total = 0
            for item in value:
                total += leaf_count(item, memo)
                if total > MAX_ELEMENTS * 10:
                    break
            memo[key] = total
        return memo[key]
    return 1


def check_sequence(value: Any, node: ast.AST) -> Any:
    """Refuse lists whose nested items (shared sublists counted each time) exceed the cap."""
    if leaf_count(value, {}) > MAX_SEQUENCE_ITEMS:
        raise UnsafeExpressionError("That list holds more than {most:,} items in all{where}.", most=MAX_SEQUENCE_ITEMS,
                                    where=snippet(node))
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


class _Where:
    """The source of the node being evaluated, rendered only when a message needs it."""

    def __init__(self, node: ast.AST):
        self.node = node

    def __str__(self) -> str:
        return snippet(self.node)

    def __format__(self, spec: str) -> str:
        return str(self)


class Budget:
    """The elements one expression has created so far, and the checks before each tensor step."""

    def __init__(self, max_elements: int = MAX_ELEMENTS) -> None:
        self.created = 0
        self.max_elements = max_elements
        self.spent_ns = 0.0  # estimated, see cost.step_ns
        self.started = time.monotonic()

    def check_clock(self, where: object = "") -> None:
        """Refuse to go on once the expression has run for MAX_SECONDS (checked between steps)."""
        if time.monotonic() - self.started > MAX_SECONDS:
            raise TooCostlyError("That would take too long: this expression has run for over {seconds:g} s, "
                                 "the limit here{where}. Use smaller tensors or fewer steps.", seconds=MAX_SECONDS,
                                 where=where)

    def check_cost(self, name: str, inputs: tuple, kwargs: dict, where: object = "") -> None:
        """Refuse a step whose estimated time (cost.step_ns) or hidden intermediate is over its limit."""
        hidden = loop_elements(name, inputs, kwargs)
        if hidden > MAX_INTERMEDIATE:
            raise TooCostlyError("That would take too much memory: `{name}` builds {n:,} elements inside "
                                 "itself; the limit is {most:,}{where}.", name=name, n=hidden, most=MAX_INTERMEDIATE,
                                 where=where)
        ns = step_ns(name, inputs, kwargs)
        if ns > MAX_STEP_NS:
            raise too_long(f"`{name}`", ns, MAX_STEP_NS, str(where))
        self.spent_ns += ns
        if self.spent_ns > MAX_TOTAL_NS:
            raise too_long(Term("this expression"), self.spent_ns, MAX_TOTAL_NS, str(where))

    def call(self, name: str, fn: Callable, args: tuple, kwargs: dict, node: ast.AST, *,
             receiver: torch.Tensor | None = None, creation: bool = False, dry_run: bool = True) -> Any:
        """Check sizes (rules, then a meta-device dry run), run `fn`, check and count the result."""
        where = _Where(node)
        self.check_clock(where)
        memo: dict[int, int] = {}
        for value in (*args, *kwargs.values()):
            if isinstance(value, (list, tuple)) and leaf_count(value, memo) > MAX_SEQUENCE_ITEMS:
                raise UnsafeExpressionError("A list argument is too large (over {most:,} items){where}.",
                                            most=MAX_SEQUENCE_ITEMS, where=where)
            if isinstance(value, (list, tuple)) and len(tensors_in(value)) > MAX_PIECES:
                raise UnsafeExpressionError("A list argument holds more than {most:,} tensors{where}.", most=MAX_PIECES,
                                            where=where)
        inputs = ((receiver,) if receiver is not None else ()) + args
        self._check_before(name, inputs, kwargs, where)
        self.check_cost(name, inputs, kwargs, where)  # before the dry run too: meta runs diff's n passes
        if dry_run and name not in _NO_DRY_RUN:
            out = self._dry_run(name, fn, args, kwargs, where, receiver=receiver, creation=creation)
            if out is not None:
                self._check_work(name, inputs, out, where)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - PyTorch's own error, e.g. shapes that do not match
            raise ExpressionError("{reason}{where}", reason=first_line(exc), where=where) from None
        self.check_clock(where)
        if callable(result) and not isinstance(result, torch.Tensor):
            raise UnsafeExpressionError("This returns a function, which is not a value{where}.", where=where)
        self._count(result, where)
        return result

    def _count(self, result: Any, where: _Where) -> None:
        tensors = tensors_in(result)
        if len(tensors) > MAX_PIECES:
            raise UnsafeExpressionError("That returns {n:,} tensors; the limit is {most:,}{where}.", n=len(tensors),
                                        most=MAX_PIECES, where=where)
        for t in tensors:
            self._check_numel(t.numel(), where)
            if t.device.type == "meta":
                raise ExpressionError("Tensors on the meta device have a shape but no values: use 'cpu'{where}.",
                                      where=where)
        self.created += sum(t.numel() for t in tensors)

    def _check_numel(self, numel: int, where: _Where) -> None:
        if numel > self.max_elements:
            raise TooCostlyError(
                "That would make a tensor of {n:,} elements (too much memory); the limit is {most:,}{where}.",
                n=numel, most=self.max_elements, where=where,
            )
        if self.created + numel > MAX_TOTAL_ELEMENTS:
            raise TooCostlyError(
                "This expression would create more than {most:,} elements in all (too much memory){where}.",
                most=MAX_TOTAL_ELEMENTS, where=where,
            )

    def _dry_run(self, name: str, fn: Callable, args: tuple, kwargs: dict, where: _Where, *,
                 receiver: torch.Tensor | None, creation: bool) -> Any:
        """Run the step on the meta device (shapes only) and check the size of what it returns."""
        meta_args, meta_kwargs = _to_meta(args), {k: _to_meta(v) for k, v in kwargs.items()}
        if name == "getitem":
            meta_args = (meta_args[0], _meta_index(args[1]))
        # a call without tensors (torch.normal(0., 1., size=...)) would allocate for real: on meta too
        tensorless = receiver is None and not tensors_in((args, kwargs))
        if creation or tensorless:
            meta_kwargs["device"] = "meta"
        try:
            with torch.no_grad():
                if receiver is not None:
                    out = getattr(_to_meta(receiver), name)(*meta_args, **meta_kwargs)
                else:
                    out = fn(*meta_args, **meta_kwargs)
        except Exception as exc:  # noqa: BLE001
            if tensorless and not creation and isinstance(exc, TypeError):
                return None  # it takes no device=: nothing of its size is known, cost.step_ns bounds it
            if name in _DATA_DEPENDENT:
                return None  # bounded by its input, or checked by _check_before
            if isinstance(exc, NotImplementedError):
                raise UnsafeExpressionError("The size of this result cannot be checked in advance{where}.",
                                            where=where) from None
            if creation:
                raise ExpressionError("{reason}{where}", reason=first_line(exc), where=where) from None
            return None  # a real error (shapes that do not match): the real call says it in PyTorch's words
        pieces = tensors_in(out)
        if len(pieces) > MAX_PIECES:
            raise UnsafeExpressionError("That returns {n:,} tensors; the limit is {most:,}{where}.", n=len(pieces),
                                        most=MAX_PIECES, where=where)
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
            raise UnsafeExpressionError(".tolist() is limited to {most:,} elements{where}.", most=MAX_TOLIST,
                                        where=where)
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
                log_size = math.log(max(r, 1)) + log_comb(n + r, r)  # never the huge integer itself
                self._check_numel(r * math.comb(n + r, r) if log_size < 60 else 2**90, where)
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
            raise UnsafeExpressionError("That would split into {n:,} tensors; the limit is {most:,}{where}.", n=count,
                                        most=MAX_PIECES, where=where)

    def _check_einsum(self, inputs: tuple, where: _Where) -> None:
        self._check_flops(einsum_macs(inputs), where)

    def _check_flops(self, flops: int, where: _Where) -> None:
        if flops > MAX_FLOPS:
            raise UnsafeExpressionError(
                "That needs about {n:,} multiply-adds; the limit is {most:,}: use smaller tensors{where}.",
                n=flops, most=MAX_FLOPS, where=where,
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

