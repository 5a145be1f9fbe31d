"""Hostile expressions: each refused fast, in words ("too long / too much memory"), allocating nothing big."""

from __future__ import annotations

import pytest
import torch

from pytorch_explorer.autograd.check import CheckTooCostlyError, finite_difference_check
from pytorch_explorer.autograd.presets import InputSpec, explore, make_input
from pytorch_explorer.core.errors import BudgetError, ExplorerError
from pytorch_explorer.tensors.expressions import evaluate
from pytorch_explorer.tensors.numpy_twin import NO_TWIN, run_with_twin

REFUSED = [  # issue 18's reproduced cases, then the same kinds beyond them
    "torch.combinations(torch.ones(10**6), 10**6)",
    "torch.diff(torch.ones(10**6), n=10**6)",
    "torch.linalg.multi_dot([torch.ones(3000, 3000)] * 100)",
    "torch.cdist(torch.rand(2000, 1000), torch.rand(2000, 1000), p=3)",
    "torch.normal(0.0, 1.0, size=(30000, 30000))",
    "torch.mvlgamma(torch.full((10**4,), 1e6), 10**5)",
    "torch.ones(1587, 1587, dtype=torch.float16) @ torch.ones(1587, 1587, dtype=torch.float16)",
    "torch.diff(torch.ones(10), n=10**9)",
    "torch.combinations(torch.arange(3000), 3)",
    "torch.histc(torch.ones(3), bins=10**9)",
    "torch.cdist(torch.rand(3000, 300), torch.rand(3000, 300), p=0.5)",
    "torch.rand(3000, 3000).sort().values.sort().values.sort().values.sort().values",
    "torch.polygamma(3, torch.rand(10**7) + 1) + torch.special.i0(torch.rand(10**7))",
    "torch.randn(30000, 30000)",
    "torch.ones(10**12)",
    "torch.linalg.svd(torch.rand(2000, 2000))",
    "torch.einsum('ij,jk,kl->il', torch.rand(2000, 2000), torch.rand(2000, 2000), torch.rand(2000, 2000))",
]


@pytest.mark.parametrize("source", REFUSED)
def test_a_costly_expression_is_refused_in_words(source, bounded):
    with bounded(source[:60]), pytest.raises(ExplorerError) as caught:
        evaluate(source)
    message = str(caught.value)
    assert "too long" in message or "too much memory" in message or "limit" in message, message
    assert "Traceback" not in message


def test_the_reproduced_cases_are_budget_errors(bounded):
    for source in REFUSED[:7]:
        with bounded(source[:60]), pytest.raises(BudgetError):
            evaluate(source)


def test_the_size_check_never_allocates(bounded):
    with bounded("normal 30000^2 (meta only)", mb=50), pytest.raises(BudgetError, match="too much memory"):
        evaluate("torch.normal(0.0, 1.0, size=(30000, 30000))")


def test_small_versions_still_work():
    assert evaluate("torch.diff(torch.ones(100), n=3)").shape == (97,)
    assert evaluate("torch.combinations(torch.arange(5), 2)").shape == (10, 2)
    assert evaluate("torch.cdist(torch.rand(20, 10), torch.rand(30, 10), p=3)").shape == (20, 30)
    assert evaluate("torch.linalg.multi_dot([torch.ones(30, 30)] * 10)").shape == (30, 30)
    assert evaluate("torch.normal(0.0, 1.0, size=(3, 3))").shape == (3, 3)
    assert evaluate("torch.mvlgamma(torch.full((10,), 5.0), 3)").shape == (10,)


def test_the_numpy_twin_of_a_float16_matmul_is_skipped_not_run(bounded):
    a = torch.rand(900, 900).half()  # torch does it (~1 s); numpy's float16 matmul has no BLAS (~3 s)
    with bounded("float16 900x900 matmul + twin", seconds=4.0):
        _, twin, verdict = run_with_twin("a @ a", {"a": a})
    assert verdict.kind == NO_TWIN and "too long" in twin.reason


def test_the_autograd_input_box_checks_size_before_making_it(bounded):
    with bounded("autograd input randn(30000, 30000)", mb=50), pytest.raises(BudgetError, match="1000"):
        make_input(InputSpec("x", "torch.randn(30000, 30000)", True))


def test_the_gradient_check_refuses_what_would_take_too_long(bounded, monkeypatch):
    """The check times one evaluation and projects the 2 x 400 it needs; the budget is lowered here so
    that the refusal does not depend on how fast this machine is today."""
    from pytorch_explorer.autograd import check

    monkeypatch.setattr(check, "MAX_CHECK_SECONDS", 0.05)
    expression = "torch.linalg.matrix_exp(torch.outer(x, x)[:200, :200] + torch.rand(200, 200)).sum()"
    graph, _ = explore(expression, [InputSpec("x", "torch.rand(400)", True)])
    with bounded("gradient check, 400 elements, costly"), pytest.raises(CheckTooCostlyError, match="too long"):
        finite_difference_check(graph)
