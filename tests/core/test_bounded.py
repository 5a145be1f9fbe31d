"""The hard budget: a call that overruns its time or memory is stopped in its worker, never in the server."""

import resource
import time

import pytest
import torch

from pytorch_explorer.core.bounded import BoundedRunner, BudgetExceeded, portable
from pytorch_explorer.core.errors import BudgetError


@pytest.fixture(scope="module")
def runner():
    r = BoundedRunner(seconds=2.0, memory_bytes=300 * 1024**2, workers=1)
    yield r
    r.shutdown()


def test_a_call_that_fits_returns_and_its_worker_is_kept(runner):
    runner.check(torch.ones, 1000)
    first = runner._idle[0].process.pid  # noqa: SLF001 - white-box: the worker is reused, not restarted
    runner.check(torch.ones, 1000)
    assert runner._idle[0].process.pid == first  # noqa: SLF001


def test_an_error_inside_the_budget_is_left_to_the_real_call(runner):
    runner.check(int, "not a number")  # raises ValueError in the worker: not the budget's business


def test_too_long_is_stopped_and_the_worker_replaced(runner):
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="too long"):
        runner.check(time.sleep, 30)
    assert time.monotonic() - started < 15  # killed at the 2 s budget, not after 30 s
    runner.check(torch.ones, 10)  # a fresh worker serves the next call


def test_too_much_memory_is_refused_without_touching_the_server(runner):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(BudgetExceeded, match="too much memory"):
        runner.check(torch.ones, 400_000_000)  # 1.6 GB against a 300 MB budget
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000  # the server's own peak did not take the 1.6 GB
    runner.check(torch.ones, 10)


def test_what_cannot_cross_to_the_worker_is_refused_clearly(runner):
    with pytest.raises(BudgetError, match="cannot be checked"):
        runner.check(lambda: None)


def test_portable_keeps_leaves_that_require_grad():
    x = torch.ones(3, requires_grad=True)
    y = x * 2  # not a leaf: cannot be pickled as it is
    out = portable({"x": x, "y": y, "n": [torch.arange(3)]})
    assert out["x"].requires_grad and out["x"].is_leaf
    assert out["y"].requires_grad and out["y"].is_leaf
    assert torch.equal(out["n"][0], torch.arange(3))
