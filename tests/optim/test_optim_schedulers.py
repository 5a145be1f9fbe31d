"""The lr curve of a race is torch's scheduler's, step for step (and the closed forms where there are some)."""

from __future__ import annotations

import math

import pytest
import torch

from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.optim.optimizers import OptimizerSpec
from pytorch_explorer.optim.schedulers import SchedulerSpec
from pytorch_explorer.optim.surfaces import SURFACES
from pytorch_explorer.optim.trajectory import run

STEPS = 60


def torch_lrs(make, steps: int, lr: float, losses: list[float] | None = None) -> list[float]:
    """What torch's scheduler gives, on a throwaway optimizer: the lr of step 1, 2, ..., steps."""
    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = make(opt)
    out = []
    for k in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step(losses[k]) if losses is not None else sched.step()
    return out


def race_lrs(spec: SchedulerSpec, lr: float = 0.1, optimizer: str = "adam", surface: str = "himmelblau"):
    path = run(SURFACES[surface], OptimizerSpec(optimizer, lr), SURFACES[surface].start, STEPS, spec)
    assert path.diverged_at is None
    assert path.lrs[0] == path.lrs[1]  # the start shows the lr the first step will use
    return path, path.lrs[1:]  # the lr each of steps 1..STEPS used


def test_without_a_scheduler_the_lr_stays():
    _, lrs = race_lrs(SchedulerSpec())
    assert lrs == [0.1] * STEPS


def test_steplr_is_a_staircase():
    _, lrs = race_lrs(SchedulerSpec("steplr", step_size=15, gamma=0.5))
    assert lrs == pytest.approx([0.1 * 0.5 ** ((k - 1) // 15) for k in range(1, STEPS + 1)], rel=1e-12)
    assert lrs == pytest.approx(torch_lrs(lambda o: torch.optim.lr_scheduler.StepLR(o, 15, 0.5), STEPS, 0.1))


def test_cosine_annealing_is_half_a_cosine_over_the_steps():
    _, lrs = race_lrs(SchedulerSpec("cosine", eta_min=0.001))
    expected = [0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * (k - 1) / STEPS)) / 2 for k in range(1, STEPS + 1)]
    assert lrs == pytest.approx(expected, rel=1e-9)
    assert lrs == pytest.approx(torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=STEPS, eta_min=0.001), STEPS, 0.1))


def test_one_cycle_warms_up_to_the_lr_then_anneals():
    _, lrs = race_lrs(SchedulerSpec("onecycle"))
    assert lrs == pytest.approx(torch_lrs(lambda o: torch.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.1, total_steps=STEPS, cycle_momentum=False), STEPS, 0.1))
    assert lrs[0] == pytest.approx(0.1 / 25)  # div_factor
    assert max(lrs) == pytest.approx(0.1, rel=1e-3) and lrs.index(max(lrs)) == pytest.approx(0.3 * STEPS, abs=1)
    assert lrs[-1] < 1e-5


def test_one_cycle_does_not_turn_plain_sgd_into_momentum():
    path, _ = race_lrs(SchedulerSpec("onecycle"), lr=0.002, optimizer="sgd")
    assert all(state == {} for state in path.states)  # no momentum_buffer ever


def test_reduce_on_plateau_follows_the_loss():
    # SGD started on the saddle's ridge (y = 0) slides to x = 0 and stops there: the loss stops improving
    spec = SchedulerSpec("plateau", factor=0.5, patience=5)
    path = run(SURFACES["saddle"], OptimizerSpec("sgd", 0.5), (-2.0, 0.0), STEPS, spec)
    lrs = path.lrs[1:]
    assert lrs == pytest.approx(torch_lrs(
        lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=5), STEPS, 0.5, path.losses))
    assert lrs[0] == 0.5 and lrs[-1] < 0.5  # it did reduce


@pytest.mark.parametrize("kwargs, message", [
    ({"kind": "exponential"}, "Unknown scheduler"),
    ({"kind": "steplr", "step_size": 0}, "step_size"),
    ({"kind": "steplr", "gamma": 1.5}, "gamma"),
    ({"kind": "plateau", "factor": 1.0}, "factor"),
    ({"kind": "plateau", "patience": -1}, "patience"),
])
def test_bad_scheduler_settings_are_refused(kwargs, message):
    with pytest.raises(OptimError, match=message):
        SchedulerSpec(**kwargs)
