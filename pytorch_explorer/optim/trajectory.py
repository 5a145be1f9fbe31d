"""Real torch.optim optimizers stepping a 2-element parameter over a surface, one event per step.

`trajectory(surface, spec, start, steps)` is a generator: it yields a `StepEvent` for the start
(step 0) and after every step (the point, its loss, the lr that step used, and a snapshot of
`optimizer.state`). The step is PyTorch's five lines:

    opt.zero_grad(); loss = f(p); loss.backward(); opt.step(); sched.step()

with p a float64 tensor [x, y] (requires_grad). When a step gives a point or loss that is not finite,
or a point far outside the plotted region, the event says so (`diverged`, a sentence) and the
generator stops: the path is cut there. `race` runs several optimizers in lockstep and `Path`
collects one optimizer's events for the figures, the tables and the command line. The sentences a
learner reads (why a path diverged, how each ended) come in `lang` (English by default, as the command
line prints them); a refusal (the race's settings, a formula failing on the way) is an OptimError, which
the page shows in the learner's language.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from pytorch_explorer.i18n import translate
from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.optim.optimizers import OptimizerSpec, make_optimizer, state_snapshot
from pytorch_explorer.optim.schedulers import SchedulerSpec, make_scheduler, step_scheduler
from pytorch_explorer.optim.surfaces import Surface
from pytorch_explorer.tensors.language import ExpressionError

MAX_STEPS = 5_000
ESCAPE_MARGIN = 1.0  # a point more than one region-width outside the plotted region has left it


@dataclass(frozen=True)
class StepEvent:
    """Where one optimizer is after `step` steps. lr: the lr step `step` used (step 0: the lr the first step will use).
    diverged: None, or the sentence saying how this step diverged (the path ends before this point)."""

    step: int
    x: float
    y: float
    loss: float
    lr: float
    state: dict[str, Any] = field(default_factory=dict)
    diverged: str | None = None


def check_race(surface: Surface, start: Sequence[float], steps: int) -> tuple[float, float]:
    """The start point as two floats, after checking it and the number of steps."""
    if not 1 <= int(steps) <= MAX_STEPS:
        raise OptimError("Steps must be between 1 and {most:,}; got {steps}.", most=MAX_STEPS, steps=steps)
    if len(start) != 2:
        raise OptimError("The start point needs two numbers, x and y; got {n}.", n=len(start))
    x, y = (float(v) for v in start)
    if not (math.isfinite(x) and math.isfinite(y) and surface.contains(x, y)):
        (x0, x1), (y0, y1) = surface.x_range, surface.y_range
        raise OptimError("The start point ({x:g}, {y:g}) is outside the plotted region of this surface, x in "
                         "[{x0:g}, {x1:g}] and y in [{y0:g}, {y1:g}]: choose a point inside it.", x=x, y=y, x0=x0,
                         x1=x1, y0=y0, y1=y1)
    return x, y


def divergence(surface: Surface, step: int, x: float, y: float, loss: float, lang: str = "en") -> str | None:
    """Why the point reached at `step` ends the path, in words (in `lang`), or None when it is fine."""
    if not (math.isfinite(x) and math.isfinite(y)):
        return translate("diverged at step {step}: the parameters became {x}, {y} (not finite). Each step overshot "
                         "further than the last until the numbers overflowed: the learning rate is too high for this "
                         "surface.", lang).format(step=step, x=f"{x:g}", y=f"{y:g}")
    if not math.isfinite(loss):
        return translate("diverged at step {step}: the loss became {loss} at ({x}, {y}). The steps grew until the "
                         "loss overflowed (or the formula is undefined there): lower the learning rate.",
                         lang).format(step=step, loss=f"{loss:g}", x=f"{x:.4g}", y=f"{y:.4g}")
    if not surface.contains(x, y, ESCAPE_MARGIN):
        return translate("diverged at step {step}: the point jumped to ({x}, {y}), far outside the plotted region "
                         "(loss {loss}). A step this long means the learning rate is too high for the slope here, so "
                         "each step overshoots; lower it.", lang).format(step=step, x=f"{x:.4g}", y=f"{y:.4g}",
                                                                          loss=f"{loss:.4g}")
    return None


def trajectory(surface: Surface, spec: OptimizerSpec, start: Sequence[float], steps: int,
               scheduler: SchedulerSpec | None = None, lang: str = "en") -> Iterator[StepEvent]:
    """Step one real torch.optim optimizer `steps` times from `start`, yielding an event per point
    (a divergence said in `lang`)."""
    x0, y0 = check_race(surface, start, steps)
    scheduler = scheduler or SchedulerSpec()
    p = torch.tensor([x0, y0], dtype=torch.float64, requires_grad=True)
    opt = make_optimizer(spec, [p])
    sched = make_scheduler(scheduler, opt, steps)
    lr = opt.param_groups[0]["lr"]
    for step in range(steps + 1):
        opt.zero_grad()
        try:
            loss = surface.loss(p[0], p[1])
        except (ExpressionError, RuntimeError, ValueError) as exc:
            raise OptimError("The formula failed at step {step}, at ({x}, {y}): {error}", step=step,
                             x=f"{p[0].item():.4g}", y=f"{p[1].item():.4g}", error=exc) from exc
        x, y = p.detach().tolist()
        value = float(loss.detach())
        problem = divergence(surface, step, x, y, value, lang)
        yield StepEvent(step, x, y, value, lr, state_snapshot(opt.state.get(p, {})), problem)
        if problem or step == steps:
            return
        loss.backward()
        lr = opt.param_groups[0]["lr"]  # the lr this step uses
        opt.step()
        step_scheduler(sched, value)


@dataclass
class Path:
    """One optimizer's run, collected from its events: the points up to where it diverged (if it did)."""

    spec: OptimizerSpec
    key: str = ""  # the racer it is on the page ("momentum"), for its colour
    points: list[tuple[float, float]] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    states: list[dict[str, Any]] = field(default_factory=list)
    diverged_at: int | None = None
    message: str | None = None

    def add(self, event: StepEvent) -> None:
        if event.diverged:  # the path is cut: the bad point is described, never drawn
            self.diverged_at, self.message = event.step, event.diverged
            self.lrs.append(event.lr)
            return
        self.points.append((event.x, event.y))
        self.losses.append(event.loss)
        self.lrs.append(event.lr)
        self.states.append(event.state)

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def steps_taken(self) -> int:
        return len(self.points) - 1

    @property
    def final_loss(self) -> float:
        return self.losses[-1]

    def at(self, step: int) -> int:
        """The index of the point shown at `step` (the last one when the path ended earlier)."""
        return max(0, min(step, len(self.points) - 1))

    def as_dict(self) -> dict[str, Any]:
        return {"optimizer": self.spec.name, "label": self.title, "lr": self.spec.lr, "path": [list(p) for p in self.points],
                "losses": self.losses, "lrs": self.lrs, "final_loss": self.final_loss,
                "diverged": self.diverged_at is not None, "diverged_at": self.diverged_at, "message": self.message}


def run(surface: Surface, spec: OptimizerSpec, start: Sequence[float], steps: int,
        scheduler: SchedulerSpec | None = None, key: str = "") -> Path:
    """A whole trajectory as a Path (for the command line and tests)."""
    path = Path(spec, key)
    for event in trajectory(surface, spec, start, steps, scheduler):
        path.add(event)
    return path


@dataclass(frozen=True)
class RaceEvent:
    """One step of a race: each optimizer still running's event (those already diverged are left out)."""

    step: int
    steps: int
    events: dict[str, StepEvent]


def race(surface: Surface, specs: dict[str, OptimizerSpec], start: Sequence[float], steps: int,
         scheduler: SchedulerSpec | None = None, lang: str = "en") -> Iterator[RaceEvent]:
    """Several optimizers from the same start, stepped in lockstep: one RaceEvent per step (its words in `lang`)."""
    check_race(surface, start, steps)
    if not specs:
        raise OptimError("Choose at least one optimizer to race.")
    running = {key: trajectory(surface, spec, start, steps, scheduler, lang) for key, spec in specs.items()}
    for step in range(steps + 1):
        events = {}
        for key, gen in list(running.items()):
            event = next(gen, None)
            if event is None:
                del running[key]
                continue
            events[key] = event
            if event.diverged:
                del running[key]
        yield RaceEvent(step, steps, events)
        if not running:
            return


def new_paths(specs: dict[str, OptimizerSpec]) -> dict[str, Path]:
    """Empty paths to collect a race into (`record`)."""
    return {key: Path(spec, key) for key, spec in specs.items()}


def record(paths: dict[str, Path], event: RaceEvent) -> None:
    for key, step_event in event.events.items():
        paths[key].add(step_event)


def nearest_minimum(surface: Surface, point: tuple[float, float]) -> tuple[tuple[float, float], float] | None:
    """The surface's known minimum closest to `point`, and the distance to it (None when none is known)."""
    if not surface.minima:
        return None
    best = min(surface.minima, key=lambda m: math.dist(m, point))
    return best, math.dist(best, point)


def summary_rows(surface: Surface, paths: dict[str, Path], lang: str = "en") -> list[dict[str, Any]]:
    """One row per optimizer: where it ended, its loss, how far from a minimum, and how it ended.
    The keys stay English (they are the data); the optimizer's name and how it ended are in `lang`."""
    rows = []
    for path in paths.values():
        x, y = path.points[-1]
        near = nearest_minimum(surface, (x, y))
        if path.diverged_at is not None:
            ended = translate("diverged at step {step}", lang).format(step=path.diverged_at)
        else:
            ended = translate("{n} steps", lang).format(n=path.steps_taken)
        rows.append({"optimizer": translate(path.title, lang), "lr": path.spec.lr, "x": x, "y": y, "loss": path.final_loss,
                     "distance to nearest minimum": None if near is None else near[1], "ended": ended})
    return rows


def state_rows(paths: dict[str, Path], step: int, lang: str = "en") -> list[dict[str, Any]]:
    """What each optimizer keeps in optimizer.state after `step` steps (or at its last point); the keys stay
    English (the state's keys are torch's), the optimizer's name is in `lang`."""
    rows = []
    for path in paths.values():
        i = path.at(step)
        row: dict[str, Any] = {"optimizer": translate(path.title, lang), "step shown": i, "x": path.points[i][0],
                               "y": path.points[i][1], "loss": path.losses[i], "lr": path.lrs[i]}
        for key, value in path.states[i].items():
            row[key] = format_state(value)
        rows.append(row)
    return rows


def format_state(value: Any) -> str:
    """A state entry as short text: a float, a list of floats, or None."""
    if value is None:
        return "None"
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
