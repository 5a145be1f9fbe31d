"""The hard budget behind the estimates: the pages check what a learner typed in a worker process first,
so that whatever an estimate gets wrong is stopped there (killed after its time, or refused its memory),
with the same words, and the server never runs it."""

from __future__ import annotations

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

import pytorch_explorer.core.bounded as bounded_module
from pytorch_explorer.core.bounded import BoundedRunner


@pytest.fixture
def tight_budget(monkeypatch):
    """The pages' shared checker swapped for one whose budget nothing fits: 1 ms, or 1 MB."""
    runners = []

    def use(seconds: float = 10.0, memory_bytes: int = 2 * 1024**3) -> None:
        runner = BoundedRunner(seconds=seconds, memory_bytes=memory_bytes, workers=1)
        runner.warm()
        runners.append(runner)
        monkeypatch.setattr(bounded_module, "_shared", runner)

    yield use
    for runner in runners:
        runner.shutdown()


def errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


@pytest.mark.parametrize(("budget", "words"), [({"seconds": 0.001}, "too long"),
                                               ({"memory_bytes": 1024**2}, "too much memory")])
def test_the_tensor_playground_checks_an_expression_before_running_it(tight_budget, budget, words):
    tight_budget(**budget)
    at = AppTest.from_file(str(ROOT / "pages/tensor_playground.py")).run(timeout=60)
    at.text_input(key="tp_expr").set_value("torch.ones(1000, 1000).sum()")
    at.button(key="tp_eval").click().run(timeout=60)
    assert not at.exception
    assert words in errors(at)
    assert "Last result" in [h.value for h in at.subheader]  # the refusal is the outcome: no old result shown


def test_the_autograd_explorer_checks_an_expression_and_remembers_the_refusal(tight_budget):
    tight_budget(seconds=0.001)
    at = AppTest.from_file(str(ROOT / "pages/autograd_explorer.py")).run(timeout=60)
    assert not at.exception
    assert "too long" in errors(at)
    calls = []
    original = BoundedRunner.check
    BoundedRunner.check = lambda self, *a, **k: calls.append(a) or original(self, *a, **k)
    try:
        at.run(timeout=60)  # a rerun with the same input: the refusal is remembered, not checked again
    finally:
        BoundedRunner.check = original
    assert "too long" in errors(at) and not calls


def test_an_expression_that_fits_runs_as_before(tight_budget):
    tight_budget()  # the default budget, a fresh worker
    at = AppTest.from_file(str(ROOT / "pages/tensor_playground.py")).run(timeout=60)
    at.text_input(key="tp_expr").set_value("torch.arange(6).reshape(2, 3).sum()")
    at.button(key="tp_eval").click().run(timeout=60)
    assert not at.exception and not at.error
    assert int(at.session_state["tp_result"]["value"]) == 15
