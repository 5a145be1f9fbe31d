"""Trajectories of real torch.optim optimizers against updates written out by hand, and divergence."""

from __future__ import annotations

import math

import pytest
import torch

from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.optim.optimizers import OptimizerSpec, racer_spec
from pytorch_explorer.optim.surfaces import SURFACES, custom_surface
from pytorch_explorer.optim.trajectory import StepEvent, divergence, race, run, state_rows, trajectory


def rosenbrock_grad(x: float, y: float) -> tuple[float, float]:
    """∂f/∂x and ∂f/∂y of (1 − x)² + 100(y − x²)², by hand."""
    return -2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)


def quadratic_grad(x: float, y: float) -> tuple[float, float]:
    """0.1x² + 3y² → (0.2x, 6y)."""
    return 0.2 * x, 6 * y


@pytest.mark.parametrize("surface, grad", [("rosenbrock", rosenbrock_grad), ("quadratic", quadratic_grad)])
def test_sgd_is_p_minus_lr_times_the_gradient(surface, grad):
    lr, x, y = 0.001, -1.2, 1.0
    path = run(SURFACES[surface], OptimizerSpec("sgd", lr), (x, y), 5)
    expected = [(x, y)]
    for _ in range(5):
        gx, gy = grad(x, y)
        x, y = x - lr * gx, y - lr * gy
        expected.append((x, y))
    assert len(path.points) == 6
    for got, want in zip(path.points, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-6)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_with_momentum_keeps_a_velocity(nesterov):
    lr, mu, x, y = 0.001, 0.9, -1.2, 1.0
    path = run(SURFACES["rosenbrock"], OptimizerSpec("sgd", lr, momentum=mu, nesterov=nesterov), (x, y), 6)
    vx = vy = None
    for k in range(1, 7):
        gx, gy = rosenbrock_grad(x, y)
        vx, vy = (gx, gy) if vx is None else (mu * vx + gx, mu * vy + gy)  # torch: the first buffer is g itself
        dx, dy = (gx + mu * vx, gy + mu * vy) if nesterov else (vx, vy)
        x, y = x - lr * dx, y - lr * dy
        assert path.points[k] == pytest.approx((x, y), abs=1e-6), k
        assert path.states[k]["momentum_buffer"] == pytest.approx([vx, vy], abs=1e-6), k


def test_adam_state_and_step_by_hand():
    lr, b1, b2, eps, x, y = 0.1, 0.9, 0.999, 1e-8, 1.0, 1.5
    path = run(SURFACES["beale"], OptimizerSpec("adam", lr, betas=(b1, b2)), (x, y), 3)
    m = [0.0, 0.0]
    v = [0.0, 0.0]
    for t in range(1, 4):
        px = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        SURFACES["beale"].loss(px[0], px[1]).backward()
        g = px.grad.tolist()
        m = [b1 * mi + (1 - b1) * gi for mi, gi in zip(m, g, strict=True)]
        v = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(v, g, strict=True)]
        step = [lr * (mi / (1 - b1**t)) / (math.sqrt(vi / (1 - b2**t)) + eps) for mi, vi in zip(m, v, strict=True)]
        x, y = x - step[0], y - step[1]
        assert path.points[t] == pytest.approx((x, y), abs=1e-6)
        assert path.states[t]["exp_avg"] == pytest.approx(m, abs=1e-9)
        assert path.states[t]["exp_avg_sq"] == pytest.approx(v, abs=1e-9)
        assert path.states[t]["step"] == t


def test_each_optimizer_keeps_its_own_state():
    surface = SURFACES["himmelblau"]
    expected = {"sgd": set(), "momentum": {"momentum_buffer"}, "nesterov": {"momentum_buffer"},
                "adagrad": {"step", "sum"}, "rmsprop": {"step", "square_avg"},
                "adam": {"step", "exp_avg", "exp_avg_sq"}, "adamw": {"step", "exp_avg", "exp_avg_sq"}}
    for racer, keys in expected.items():
        path = run(surface, racer_spec(racer, surface.suggested_lr(racer)), surface.start, 2)
        # nothing before the first step, but Adagrad, which builds its state (zeros) with the optimizer
        assert path.states[0] == ({"step": 0.0, "sum": [0.0, 0.0]} if racer == "adagrad" else {}), racer
        assert set(path.states[2]) == keys, racer


def test_the_generator_yields_the_start_then_one_event_per_step():
    surface = SURFACES["quadratic"]
    events = list(trajectory(surface, OptimizerSpec("sgd", 0.1), (1.0, 1.0), 4))
    assert [e.step for e in events] == [0, 1, 2, 3, 4]
    assert all(isinstance(e, StepEvent) and e.diverged is None for e in events)
    assert (events[0].x, events[0].y, events[0].loss) == (1.0, 1.0, pytest.approx(3.1))
    assert events[1].y == pytest.approx(1 - 0.1 * 6)


def test_a_learning_rate_too_high_diverges_and_the_path_is_cut_there():
    # quadratic, SGD: y ← (1 − 6·lr)·y; lr = 0.5 multiplies y by −2 each step, so it leaves the region
    surface = SURFACES["quadratic"]
    path = run(surface, OptimizerSpec("sgd", 0.5), (0.0, 1.0), 100)
    ys = [1.0 * (-2.0) ** k for k in range(10)]
    k = next(i for i, y in enumerate(ys) if not surface.contains(0.0, y, 1.0))  # first y beyond |y| <= 6
    assert path.diverged_at == k == 3
    assert len(path.points) == k and [p[1] for p in path.points] == pytest.approx(ys[:k])
    assert path.message.startswith(f"diverged at step {k}:") and "learning rate" in path.message
    assert all(math.isfinite(v) for p in path.points for v in p) and all(math.isfinite(v) for v in path.losses)
    assert path.as_dict()["diverged"] is True


def test_overflow_to_inf_and_nan_are_divergence_too():
    surface = custom_surface("torch.exp(x**2) + y**2", (1.0, 0.0))
    assert "not finite" in divergence(surface, 4, math.inf, 0.0, 1.0)
    assert "the loss became nan" in divergence(surface, 4, 0.5, 0.0, math.nan)
    log = custom_surface("torch.log(x) + y**2", (1.0, 0.5))
    path = run(log, OptimizerSpec("sgd", 3.0), (1.0, 0.5), 20)  # x: 1 → 1 − 3·(1/x) = −2: log of a negative
    assert path.diverged_at == 1 and "the loss became nan" in path.message
    assert path.points == [(1.0, 0.5)]


def test_a_race_steps_everyone_in_lockstep_and_drops_who_diverged():
    surface = SURFACES["quadratic"]
    specs = {"sgd": OptimizerSpec("sgd", 0.5), "adam": OptimizerSpec("adam", 0.05)}
    events = list(race(surface, specs, (0.0, 1.0), 10))
    assert [e.step for e in events] == list(range(11))
    assert set(events[3].events) == {"sgd", "adam"} and events[3].events["sgd"].diverged
    assert set(events[4].events) == {"adam"}


def test_bad_start_points_and_steps_are_refused():
    surface = SURFACES["rosenbrock"]
    with pytest.raises(OptimError, match="outside the plotted region"):
        run(surface, OptimizerSpec("sgd", 0.001), (5.0, 0.0), 3)
    with pytest.raises(OptimError, match="Steps must be"):
        run(surface, OptimizerSpec("sgd", 0.001), (0.0, 0.0), 0)
    with pytest.raises(OptimError, match="at least one optimizer"):
        list(race(surface, {}, (0.0, 0.0), 3))


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "lbfgs2", "lr": 0.1}, "Unknown optimizer"),
    ({"name": "sgd", "lr": 0.0}, "learning rate"),
    ({"name": "sgd", "lr": math.nan}, "learning rate"),
    ({"name": "sgd", "lr": 0.1, "momentum": 1.0}, "Momentum"),
    ({"name": "sgd", "lr": 0.1, "nesterov": True}, "Nesterov"),
    ({"name": "adam", "lr": 0.1, "betas": (0.9, 1.0)}, "beta"),
    ({"name": "adamw", "lr": 0.1, "weight_decay": -1.0}, "Weight decay"),
])
def test_bad_optimizer_settings_say_what_to_do(kwargs, message):
    with pytest.raises(OptimError, match=message):
        OptimizerSpec(**kwargs)


def test_adamw_says_its_weight_decay_and_equals_adam_without_it():
    assert OptimizerSpec("adamw", 0.1).kwargs()["weight_decay"] == 0.0  # torch's own default would be 0.01
    surface = SURFACES["himmelblau"]
    adam = run(surface, OptimizerSpec("adam", 0.1), surface.start, 20)
    adamw = run(surface, OptimizerSpec("adamw", 0.1), surface.start, 20)
    assert adam.points == adamw.points
    decayed = run(surface, OptimizerSpec("adamw", 0.1, weight_decay=0.5), surface.start, 20)
    assert decayed.points[-1] != adam.points[-1]


def test_state_rows_show_the_chosen_step():
    surface = SURFACES["quadratic"]
    specs = {"momentum": racer_spec("momentum", 0.02), "adagrad": racer_spec("adagrad", 0.5)}
    from pytorch_explorer.optim.trajectory import new_paths, record

    paths = new_paths(specs)
    for event in race(surface, specs, surface.start, 5):
        record(paths, event)
    rows = state_rows(paths, 1)
    assert rows[0]["optimizer"] == "SGD + momentum" and rows[0]["step shown"] == 1
    g = [0.2 * -3.5, 6 * 1.5]
    assert rows[0]["momentum_buffer"] == "[" + ", ".join(f"{v:.4g}" for v in g) + "]"
    assert rows[1]["sum"] == "[" + ", ".join(f"{v * v:.4g}" for v in g) + "]"
    assert state_rows(paths, 99)[0]["step shown"] == 5  # past the end: the last point
