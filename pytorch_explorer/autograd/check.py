"""A gradient check without autograd: central finite differences, next to what autograd said.

For each input element, (f(x + eps) - f(x - eps)) / (2 eps) estimates d out.sum() / dx, in float64,
by running the graph's program again with no_grad. Where the two disagree, either autograd was told
something the function does not do (`.detach()`) or the function is not smooth there. Where either
side holds inf or nan (float32 overflowed, 0/0, ...), the two cannot be compared, and the result
says so instead of disagreeing. An input the output does not use has no gradient from autograd
(None, as PyTorch leaves its .grad), and finite differences should find 0 for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch

from pytorch_explorer.autograd.graph import AutogradGraph, GraphError
from pytorch_explorer.core.errors import BudgetError

MAX_FD_ELEMENTS = 400      # finite differences cost two evaluations per element
MAX_CHECK_SECONDS = 5.0    # all the evaluations of one check together (measured on the first one)


class CheckTooCostlyError(GraphError, BudgetError):
    """The check would take too long: 2 evaluations per element, each as slow as the first one."""


@dataclass
class FiniteDifferenceResult:
    """A leaf's gradient from autograd next to a central finite-difference estimate."""

    name: str
    analytic: torch.Tensor | None      # None: the output does not use this input (its .grad stays None)
    numeric: torch.Tensor
    max_abs_diff: float
    tolerance: float
    forward_finite: bool = True        # False: the output itself (in the inputs' dtype) holds inf or nan

    @property
    def finite(self) -> bool:
        """The output and both sides hold only finite numbers, so the two can be compared."""
        sides = [self.numeric] if self.analytic is None else [self.analytic, self.numeric]
        return self.forward_finite and all(bool(torch.isfinite(t).all()) for t in sides)

    @property
    def ok(self) -> bool:
        return self.finite and self.max_abs_diff <= self.tolerance


def finite_difference_check(graph: AutogradGraph, eps: float = 1e-6) -> list[FiniteDifferenceResult]:
    """Compare autograd's gradient of out.sum() with (f(x + eps) - f(x - eps)) / (2 eps), in float64.

    Runs on fresh copies of the inputs, so gradients accumulated by graph.backward() do not count.
    """
    inputs, program = graph.inputs, graph.program
    names = [n for n, t in inputs.items() if t.requires_grad]
    total = sum(inputs[n].numel() for n in names)
    if total > MAX_FD_ELEMENTS:
        raise GraphError(
            "Finite differences need two evaluations per input element; these inputs have {n} "
            "(the limit is {most}). Use smaller inputs to check.", n=total, most=MAX_FD_ELEMENTS,
        )
    fresh = {n: t.detach().clone().requires_grad_(t.requires_grad) for n, t in inputs.items()}
    out = program(dict(fresh))
    if not isinstance(out, torch.Tensor) or not out.requires_grad:
        raise GraphError("Nothing to check: the output has no gradient with respect to the inputs.")
    forward_finite = not out.is_floating_point() or bool(torch.isfinite(out).all())
    analytic = torch.autograd.grad(out.sum(), [fresh[n] for n in names], allow_unused=True)
    base = {n: (t.detach().double() if t.is_floating_point() else t.detach().clone()) for n, t in inputs.items()}

    def f(values: dict[str, torch.Tensor]) -> float:
        with torch.no_grad():
            return float(torch.as_tensor(program(dict(values))).double().sum())

    started = time.monotonic()
    f(base)  # one evaluation, timed: the check needs 2 per element
    projected = (time.monotonic() - started) * 2 * total
    if projected > MAX_CHECK_SECONDS:
        raise CheckTooCostlyError(
            "That would take too long: checking needs {n} evaluations of this expression, about {seconds:.0f} s "
            "here (the limit is {limit:g} s). Use fewer input elements or a cheaper expression to check.",
            n=2 * total, seconds=projected, limit=MAX_CHECK_SECONDS,
        )
    deadline = started + 2 * MAX_CHECK_SECONDS  # a second wall: evaluations slower than the first one

    results = []
    for name, grad in zip(names, analytic, strict=True):
        grad = None if grad is None else grad.detach()
        numeric = torch.zeros_like(base[name])
        flat = numeric.view(-1)
        for i in range(base[name].numel()):
            if time.monotonic() > deadline:
                raise CheckTooCostlyError("That would take too long: the check ran past {seconds:g} s and was "
                                          "stopped. Use fewer input elements or a cheaper expression.",
                                          seconds=2 * MAX_CHECK_SECONDS)
            plus, minus = base[name].clone(), base[name].clone()
            plus.view(-1)[i] += eps
            minus.view(-1)[i] -= eps
            flat[i] = (f({**base, name: plus}) - f({**base, name: minus})) / (2 * eps)
        as_used = torch.zeros_like(numeric) if grad is None else grad.double()   # no path: a change does nothing
        diff = float((as_used - numeric).abs().max()) if numeric.numel() else 0.0
        atol, rtol = (1e-7, 1e-6) if fresh[name].dtype == torch.float64 else (1e-5, 1e-4)
        tolerance = atol + rtol * (float(numeric.abs().max()) if numeric.numel() else 0.0)
        results.append(FiniteDifferenceResult(name, None if grad is None else grad.clone(), numeric, diff, tolerance,
                                              forward_finite))
    return results


def explore_and_check(expression: str, specs: Any, passes: int = 1) -> list[FiniteDifferenceResult]:
    """Trace the expression, run backward, and compare with finite differences: the page's whole check
    in one call (what `core.bounded.check` runs first in a worker, under the time and memory budget)."""
    from pytorch_explorer.autograd.presets import explore

    graph, _ = explore(expression, specs, passes=passes)
    return finite_difference_check(graph)
