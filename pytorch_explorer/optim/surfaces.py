"""The 2-D loss surfaces the optimizers race on, and a surface the learner types.

Each built-in `Surface` has its formula twice: as a Python function of two tensors (fast, used for
the steps) and as text in the safe expression language (shown to the learner and put in the code the
page shows; a test checks that the two agree). A typed surface has only the text: it is computed by
`pytorch_explorer.tensors.expressions.evaluate`, never by `eval`, and `custom_surface` refuses a
formula that does not give one finite number with a gradient, saying why (an OptimError, which the page
shows in the learner's language). A surface's `title` and `about` are English; the page translates them
(they are keys of the Chinese catalogue).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.tensors.expressions import evaluate
from pytorch_explorer.tensors.language import ExpressionError

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
MAX_FORMULA_CHARS = 300
CUSTOM = "custom"
CUSTOM_RANGE = (-4.0, 4.0)
GRID_POINTS = 120  # per side of the grid the contour is drawn from
MAX_FORMULA_ELEMENTS = 20_000  # a typed formula may not make bigger tensors (the grid is 120 x 120), which keeps
#                                 every step of it cheap: a race runs it hundreds of times


@dataclass(frozen=True)
class Surface:
    """A loss f(x, y) over a plotted region, with its minima (where the maths puts them)."""

    name: str
    title: str
    source: str  # the formula in x and y, valid in the expression language and in Python
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]  # where the race starts unless the learner picks another point
    minima: tuple[tuple[float, float], ...]  # global minima (empty when unknown, as for a typed formula)
    about: str
    lrs: Mapping[str, float] = field(default_factory=dict)  # a learning rate that suits each racer here
    function: LossFunction | None = field(default=None, compare=False, repr=False)

    def loss(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """f(x, y) on tensors (elementwise), through the function or, for a typed formula, the evaluator."""
        if self.function is not None:
            return self.function(x, y)
        return evaluate(self.source, {"x": x, "y": y}, max_elements=MAX_FORMULA_ELEMENTS)

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Is (x, y) inside the plotted region, widened by `margin` times its width on every side?"""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
        return x0 - dx <= x <= x1 + dx and y0 - dy <= y <= y1 + dy

    def suggested_lr(self, racer: str) -> float:
        return float(self.lrs.get(racer, self.lrs.get("default", 0.01)))


def _quadratic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.1 * x**2 + 3 * y**2


def _rosenbrock(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _saddle(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return x**2 - y**2 + y**4 / 4


def _beale(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _himmelblau(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2


SGD_LIKE = ("sgd", "momentum", "nesterov")
ADAPTIVE = ("adagrad", "rmsprop", "adam", "adamw")


def _lrs(sgd: float, momentum: float, adagrad: float, rmsprop: float, adam: float) -> dict[str, float]:
    return {"sgd": sgd, "momentum": momentum, "nesterov": momentum, "adagrad": adagrad,
            "rmsprop": rmsprop, "adam": adam, "adamw": adam, "default": adam}


SURFACES: dict[str, Surface] = {s.name: s for s in [
    Surface(
        "quadratic", "Ill-conditioned bowl: 0.1·x² + 3·y²", "0.1 * x**2 + 3 * y**2", (-4.0, 4.0), (-2.0, 2.0),
        (-3.5, 1.5), ((0.0, 0.0),),
        "A bowl 30 times more curved across (y) than along (x): the curvatures are 0.2 and 6. Plain SGD must keep "
        "lr below 2/6 ≈ 0.33 or each step overshoots across the valley further than the last (try 0.5), and near "
        "that limit it zig-zags across while crawling along; momentum and the adaptive optimizers (which scale "
        "each coordinate) do better.",
        _lrs(0.3, 0.02, 0.5, 0.05, 0.05), _quadratic),
    Surface(
        "rosenbrock", "Rosenbrock: (1 − x)² + 100·(y − x²)²", "(1 - x)**2 + 100 * (y - x**2)**2",
        (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), ((1.0, 1.0),),
        "A long, curved, flat-bottomed valley with the minimum at (1, 1). Finding the valley is easy; "
        "following its bend to the minimum is hard, so this is the classic test of an optimizer.",
        _lrs(0.002, 0.001, 0.5, 0.02, 0.1), _rosenbrock),
    Surface(
        "saddle", "Saddle: x² − y² + y⁴/4", "x**2 - y**2 + y**4 / 4", (-2.5, 2.5), (-2.5, 2.5), (-2.0, 0.01),
        ((0.0, math.sqrt(2.0)), (0.0, -math.sqrt(2.0))),
        "A saddle point at (0, 0): it is a minimum along x and a maximum along y, and the gradient there is "
        "zero. Started near the ridge (y close to 0), plain SGD slows down at the saddle before it slides off "
        "to one of the two minima at (0, ±√2); momentum and Adam leave it sooner. Started exactly on y = 0, "
        "SGD never leaves.",
        _lrs(0.02, 0.005, 0.2, 0.01, 0.02), _saddle),
    Surface(
        "beale", "Beale", "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        (-4.5, 4.5), (-4.5, 4.5), (1.0, 1.5), ((3.0, 0.5),),
        "Flat in the middle and very steep at the corners (values over 100,000), with the minimum at "
        "(3, 0.5) in a narrow curved valley: gradients range over many orders of magnitude, which plain SGD "
        "handles badly and adaptive optimizers well.",
        _lrs(0.01, 0.002, 0.5, 0.1, 0.1), _beale),
    Surface(
        "himmelblau", "Himmelblau: (x² + y − 11)² + (x + y² − 7)²", "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        (-5.0, 5.0), (-5.0, 5.0), (-0.5, -0.5),
        ((3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)),
        "Four minima, all with f = 0. Which one an optimizer reaches depends on where it starts and on how "
        "it moves: optimizers started at the same point can end in different valleys.",
        _lrs(0.002, 0.0005, 0.2, 0.01, 0.02), _himmelblau),
]}


def custom_surface(source: str, start: tuple[float, float] = (-2.0, 2.0),
                   region: tuple[float, float] = CUSTOM_RANGE, lang: str = "en") -> Surface:
    """A surface from a formula the learner typed, in x and y, checked before any race uses it.

    Refused (OptimError, with what to do): an empty or over-long formula, text outside the expression
    language, a formula that does not work elementwise on a grid, or that does not give one finite number
    with a gradient at the start point. `lang` is no longer read (the page shows the refusal with
    `exc.message(lang)`); it goes once the page stops passing it.
    """
    source = " ".join((source or "").split())
    if not source:
        raise OptimError("Type a formula in x and y, for example `x**2 + 3*y**2` or `torch.sin(x) * y**2`.")
    if len(source) > MAX_FORMULA_CHARS:
        raise OptimError("That formula is {n} characters long; keep it under {most}.", n=len(source),
                         most=MAX_FORMULA_CHARS)
    surface = Surface(CUSTOM, f"Your formula: {source}", source, region, region, start, (), "The formula you typed.",
                      {"default": 0.05, "sgd": 0.01, "momentum": 0.01, "nesterov": 0.01, "adagrad": 0.5})
    check_formula(surface, start)
    grid(surface)  # it must also draw: number by number over the plane, not a sum over it
    return surface


def check_formula(surface: Surface, start: tuple[float, float]) -> None:
    """Refuse a surface that does not give one finite loss with a finite gradient at `start`, saying why."""
    x = torch.tensor(float(start[0]), dtype=torch.float64, requires_grad=True)
    y = torch.tensor(float(start[1]), dtype=torch.float64, requires_grad=True)
    try:
        value = surface.loss(x, y)
    except (ExpressionError, RuntimeError, TypeError, ValueError) as exc:
        raise OptimError("The formula could not be computed: {error}", error=exc) from exc
    if isinstance(value, torch.Tensor) and (value.numel() != 1 or not value.dtype.is_floating_point):
        raise OptimError("The formula must give one real number for each (x, y); it gave a tensor of shape {shape}. "
                         "Use x and y as numbers, for example `x**2 + y**2`, not a sum over a tensor.",
                         shape=list(value.shape))
    if not isinstance(value, torch.Tensor):
        raise OptimError("The formula must give one real number for each (x, y); it gave {what}. Use x and y as "
                         "numbers, for example `x**2 + y**2`, not a sum over a tensor.", what=type(value).__name__)
    if not bool(torch.isfinite(value).all()):
        raise OptimError("The formula gives {value} at the start point {start}: the loss must be finite there. "
                         "Choose another start point or change the formula.", value=value.item(), start=start)
    if not value.requires_grad:
        raise OptimError("The formula does not depend on x or y, so there is no gradient to follow: use x and y in it.")
    gx, gy = torch.autograd.grad(value.reshape(()), (x, y), allow_unused=True)
    grads = [0.0 if g is None else float(g) for g in (gx, gy)]
    if not all(math.isfinite(g) for g in grads):
        raise OptimError("The gradient of the formula at the start point {start} is not finite ({grads}): choose "
                         "another start point or change the formula.", start=start, grads=grads)


def surface_named(name: str) -> Surface:
    """A built-in surface by name, or an OptimError listing the names there are."""
    try:
        return SURFACES[name.strip().lower()]
    except KeyError:
        raise OptimError("Unknown surface {name!r}: choose one of {choices} (or a formula of your own).", name=name,
                         choices=", ".join(SURFACES)) from None


def grid(surface: Surface, points: int = GRID_POINTS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """xs, ys and f over the plotted region (f[i, j] at ys[i], xs[j]); values that are not finite are nan.
    A formula that cannot be drawn is refused, saying why."""
    xs = np.linspace(*surface.x_range, points)
    ys = np.linspace(*surface.y_range, points)
    gx = torch.tensor(xs, dtype=torch.float64)[None, :].expand(points, points)
    gy = torch.tensor(ys, dtype=torch.float64)[:, None].expand(points, points)
    with torch.no_grad():
        try:
            values = surface.loss(gx, gy)
        except (ExpressionError, RuntimeError, TypeError, ValueError) as exc:
            raise OptimError("The formula could not be drawn over the plane: {error}", error=exc) from exc
    if not isinstance(values, torch.Tensor) or values.numel() not in (1, points * points):
        raise OptimError("The formula must work number by number (elementwise) in x and y, so that it can be drawn "
                         "over the plane: avoid sums or means over x or y.")
    z = values.to(torch.float64).expand(points, points).numpy().copy()
    z[~np.isfinite(z)] = np.nan
    return xs, ys, z
