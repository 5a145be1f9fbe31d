"""The surfaces: their minima are where the maths says, their two spellings agree, typed formulas are checked."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.optim.surfaces import SURFACES, custom_surface, grid, surface_named
from pytorch_explorer.tensors.expressions import evaluate

MINIMUM_VALUE = {"quadratic": 0.0, "rosenbrock": 0.0, "saddle": -1.0, "beale": 0.0, "himmelblau": 0.0}


def gradient_and_hessian(surface, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    point = torch.tensor([x, y], dtype=torch.float64)
    f = lambda p: surface.loss(p[0], p[1])  # noqa: E731
    return (torch.autograd.functional.jacobian(f, point).numpy(),
            torch.autograd.functional.hessian(f, point).numpy())


@pytest.mark.parametrize("name", list(SURFACES))
def test_each_minimum_is_a_minimum(name):
    surface = SURFACES[name]
    assert surface.minima
    for x, y in surface.minima:
        assert surface.contains(x, y)
        value = surface.loss(torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).item()
        assert value == pytest.approx(MINIMUM_VALUE[name], abs=1e-9)  # the minimum value
        g, h = gradient_and_hessian(surface, x, y)
        assert np.abs(g).max() < 1e-4  # a critical point (the Himmelblau minima are given to 6 decimals)
        assert np.linalg.eigvalsh(h).min() > 0  # curving up in every direction: a minimum


@pytest.mark.parametrize("name", list(SURFACES))
def test_no_point_of_the_grid_is_lower_than_the_minimum(name):
    surface = SURFACES[name]
    _, _, z = grid(surface, 301)
    assert np.nanmin(z) >= MINIMUM_VALUE[name] - 1e-12
    assert np.isfinite(z).all()


def test_the_saddle_point_is_a_saddle():
    g, h = gradient_and_hessian(SURFACES["saddle"], 0.0, 0.0)
    assert np.abs(g).max() == 0
    eigenvalues = np.linalg.eigvalsh(h)
    assert eigenvalues.min() < 0 < eigenvalues.max()


def test_the_quadratic_bowl_is_ill_conditioned():
    _, h = gradient_and_hessian(SURFACES["quadratic"], 1.0, -1.0)
    eigenvalues = np.linalg.eigvalsh(h)
    assert eigenvalues == pytest.approx([0.2, 6.0])  # condition number 30


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(list(SURFACES)), st.floats(-4, 4), st.floats(-4, 4))
def test_the_function_and_the_shown_formula_agree(name, x, y):
    surface = SURFACES[name]
    tx, ty = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    assert evaluate(surface.source, {"x": tx, "y": ty}).item() == pytest.approx(surface.loss(tx, ty).item(), rel=1e-12)


def test_start_points_are_inside_the_region_and_names_are_checked():
    for surface in SURFACES.values():
        assert surface.contains(*surface.start)
    assert surface_named(" Rosenbrock ").name == "rosenbrock"
    with pytest.raises(OptimError, match="Unknown surface 'booth'"):
        surface_named("booth")


def test_a_typed_formula_works_like_a_built_in():
    surface = custom_surface("(1 - x)**2 + 100 * (y - x**2)**2", (-1.0, 1.0))
    tx, ty = torch.tensor(0.3, dtype=torch.float64), torch.tensor(-0.2, dtype=torch.float64)
    assert surface.loss(tx, ty).item() == pytest.approx(SURFACES["rosenbrock"].loss(tx, ty).item())
    xs, ys, z = grid(surface, 50)
    assert z.shape == (50, 50) and np.isfinite(z).all()


@pytest.mark.parametrize("formula, message", [
    ("", "Type a formula"),
    ("x" + " + x" * 200, "characters long"),
    ("__import__('os').system('echo hi')", "not allowed"),
    ("x.__class__", "not allowed"),
    ("open('/etc/passwd')", "Only torch functions"),
    ("x +", "not a valid expression"),
    ("x * z", "Unknown name `z`"),
    ("torch.ones(3) * x", "one real number"),
    ("3.0", "one real number"),
    ("x > y", "one real number"),
    ("x * 1j", "one real number"),
    ("1 / x + y", "must be finite"),
    ("torch.sqrt(x) + y", "gradient of the formula"),  # at x = 0: sqrt is finite, its slope is not
    ("torch.ones(200, 200).sum() * x", "too much memory"),
    ("x.sum(dim=0) * 3", "number by number"),
])
def test_bad_formulas_are_refused_with_a_clear_message(formula, message):
    with pytest.raises(OptimError, match=message):
        custom_surface(formula, (0.0, 1.0))


def test_a_formula_undefined_somewhere_leaves_holes_in_the_drawing_not_errors():
    _, _, z = grid(custom_surface("torch.log(x) + y**2", (1.0, 1.0)), 40)
    assert np.isnan(z).any() and np.isfinite(z).any()
    assert math.isnan(z[0, 0])  # x = -4: log of a negative number
