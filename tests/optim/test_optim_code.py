"""The code the page shows runs and reproduces the package's paths, for every surface, scheduler and a formula."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

from pytorch_explorer.optim.code import race_code
from pytorch_explorer.optim.optimizers import OptimizerSpec, racer_spec
from pytorch_explorer.optim.schedulers import SchedulerSpec
from pytorch_explorer.optim.surfaces import SURFACES, custom_surface
from pytorch_explorer.optim.trajectory import run


def run_shown_code(code: str) -> tuple[dict, str]:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<shown code>", "exec"), namespace)  # noqa: S102 - tests run the page's code
    return namespace["paths"], out.getvalue()


def check_reproduces(surface, specs, start, steps, scheduler=None):
    code = race_code(surface, specs, start, steps, scheduler)
    for fragment in ("opt.zero_grad()", "loss = f(p[0], p[1])", "loss.backward()", "opt.step()"):
        assert fragment in code
    shown, printed = run_shown_code(code)
    for spec in specs:
        path = run(surface, spec, start, steps, scheduler)
        got = shown[spec.title][: len(path.points)]
        np.testing.assert_allclose(np.array(got), np.array(path.points), rtol=0, atol=1e-12, err_msg=spec.title)
        if path.diverged_at is None:
            assert len(shown[spec.title]) == steps + 1
    return code, printed


@pytest.mark.parametrize("name", list(SURFACES))
def test_every_surface_with_every_racer(name):
    surface = SURFACES[name]
    specs = [racer_spec(r, surface.suggested_lr(r), weight_decay=0.01 if r == "adamw" else 0.0)
             for r in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")]
    code, printed = check_reproduces(surface, specs, surface.start, 25)
    assert "'SGD + momentum': lambda params: torch.optim.SGD(params, lr=" in code
    assert "SGD + momentum: after 25 steps" in printed


@pytest.mark.parametrize("scheduler", [SchedulerSpec("steplr", step_size=7, gamma=0.3), SchedulerSpec("cosine"),
                                       SchedulerSpec("onecycle"), SchedulerSpec("plateau", patience=2)])
def test_with_each_scheduler(scheduler):
    code, _ = check_reproduces(SURFACES["himmelblau"], [OptimizerSpec("adam", 0.1), OptimizerSpec("sgd", 0.002)],
                               (1.0, -1.0), 30, scheduler)
    assert "sched = torch.optim.lr_scheduler." in code
    assert ("sched.step(loss.item())" if scheduler.kind == "plateau" else "sched.step()") in code


def test_a_typed_formula_and_a_diverging_lr():
    surface = custom_surface("torch.sin(3*x) * torch.cos(3*y) + 0.1*(x**2 + y**2)", (1.0, 1.0))
    _, printed = check_reproduces(surface, [OptimizerSpec("sgd", 0.05, momentum=0.5), OptimizerSpec("rmsprop", 0.01)],
                                  (1.0, 1.0), 40)
    assert "RMSprop: after 40 steps" in printed
    code, printed = check_reproduces(SURFACES["rosenbrock"], [OptimizerSpec("sgd", 0.05)], (-1.5, 2.5), 40)
    assert "SGD: diverged at step" in printed
