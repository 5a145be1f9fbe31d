"""Command-line actions for the optim commands (see pytorch_explorer.cli).

    python -m pytorch_explorer optim run --surface rosenbrock|himmelblau|beale|saddle|quadratic|custom \
        --optimizer sgd|adagrad|rmsprop|adam|adamw|nadam|adamax --lr LR --steps N --start X,Y \
        [--momentum M] [--nesterov] [--beta1 B] [--beta2 B] [--weight-decay W] \
        [--scheduler none|steplr|cosine|onecycle|plateau] [--formula "x**2 + 3*y**2"] [--json]
    python -m pytorch_explorer optim surfaces [--json]

Values are read as text and checked here, so a bad one exits with status 2 and one line on stderr.
With --json the last line printed is one JSON object: path (the start and one [x, y] per step, cut where
it diverged), losses, lrs, final_loss, diverged, diverged_at, message, and the settings.
"""

from __future__ import annotations

import argparse
import json
import math
import re

from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.optim.optimizers import OptimizerSpec, optimizer_named
from pytorch_explorer.optim.schedulers import SCHEDULERS, SchedulerSpec
from pytorch_explorer.optim.surfaces import CUSTOM, SURFACES, custom_surface, surface_named
from pytorch_explorer.optim.trajectory import nearest_minimum, run

DEFAULT_STEPS = 200
NEGATIVE_VALUE = re.compile(r"^-(\d+\.?\d*|\.\d+)(e-?\d+)?(,\s*-?(\d+\.?\d*|\.\d+)(e-?\d+)?)?$")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this module's actions to the given subparsers (each sets func=handler)."""
    run_parser = subparsers.add_parser(
        "run", help="step one torch.optim optimizer over a 2-D loss surface",
        description="Step a real torch.optim optimizer from a start point over a 2-D loss surface and print its path.",
    )
    run_parser.add_argument("--surface", default="rosenbrock", metavar="|".join([*SURFACES, CUSTOM]),
                            help="the loss surface (custom: give --formula)")
    run_parser.add_argument("--formula", default=None, help="with --surface custom: f in x and y, e.g. 'x**2 + 3*y**2'")
    run_parser.add_argument("--optimizer", default="sgd", help="a torch.optim class in lower case: sgd, adagrad, "
                                                               "rmsprop, adam, adamw, nadam, adamax")
    run_parser.add_argument("--lr", default=None, help="learning rate (default: one that suits the surface)")
    run_parser.add_argument("--steps", default=str(DEFAULT_STEPS), help=f"optimizer steps (default {DEFAULT_STEPS})")
    run_parser.add_argument("--start", default=None, metavar="X,Y", help="start point (default: the surface's)")
    run_parser.add_argument("--momentum", default="0", help="sgd and rmsprop (default 0)")
    run_parser.add_argument("--nesterov", action="store_true", help="sgd: Nesterov momentum (needs --momentum)")
    run_parser.add_argument("--beta1", default="0.9", help="Adam family (default 0.9)")
    run_parser.add_argument("--beta2", default="0.999", help="Adam family (default 0.999)")
    run_parser.add_argument("--weight-decay", default="0", help="default 0")
    run_parser.add_argument("--scheduler", default="none", metavar="|".join(SCHEDULERS), help="lr scheduler")
    run_parser.add_argument("--json", action="store_true", help="end with one JSON object")
    run_parser.set_defaults(func=_run)
    # argparse takes "-1.5,2" for an option (its own test knows only single negative numbers); a start point may
    # begin with a minus sign, so this parser also reads "X,Y" with negative numbers as a value.
    run_parser._negative_number_matcher = NEGATIVE_VALUE  # noqa: SLF001

    surfaces_parser = subparsers.add_parser("surfaces", help="the built-in surfaces, their minima and regions")
    surfaces_parser.add_argument("--json", action="store_true", help="one JSON object")
    surfaces_parser.set_defaults(func=_surfaces)


def number(text: str, what: str) -> float:
    """A finite number from the command line, or an OptimError naming the option."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise OptimError(f"{what} must be a number; got {text!r}.") from None
    if not math.isfinite(value):
        raise OptimError(f"{what} must be a finite number; got {text!r}.")
    return value


def whole_number(text: str, what: str) -> int:
    value = number(text, what)
    if value != int(value):
        raise OptimError(f"{what} must be a whole number; got {text!r}.")
    return int(value)


def point(text: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise OptimError(f"--start takes two numbers, X,Y (for example --start -1.5,2); got {text!r}.")
    return number(parts[0], "--start's x"), number(parts[1], "--start's y")


def _run(args: argparse.Namespace) -> int:
    if args.surface.strip().lower() == CUSTOM:
        if not args.formula:
            raise OptimError("--surface custom needs --formula, for example --formula 'x**2 + 3*y**2'.")
        start = point(args.start) if args.start else (-2.0, 2.0)
        surface = custom_surface(args.formula, start)
    else:
        surface = surface_named(args.surface)
        start = point(args.start) if args.start else surface.start
    name = optimizer_named(args.optimizer)
    momentum = number(args.momentum, "--momentum")
    racer = ("nesterov" if args.nesterov else "momentum") if name == "sgd" and momentum else name
    lr = number(args.lr, "--lr") if args.lr is not None else surface.suggested_lr(racer)
    spec = OptimizerSpec(name, lr, momentum=momentum, nesterov=args.nesterov,
                         betas=(number(args.beta1, "--beta1"), number(args.beta2, "--beta2")),
                         weight_decay=number(args.weight_decay, "--weight-decay"))
    scheduler = SchedulerSpec(args.scheduler.strip().lower())
    steps = whole_number(args.steps, "--steps")
    path = run(surface, spec, start, steps, scheduler)
    if args.json:
        print(json.dumps({"surface": surface.name, "formula": surface.source, "start": list(start), "steps": steps,
                          "scheduler": scheduler.kind, "settings": spec.kwargs(),
                          **path.as_dict()}))
        return 0
    every = max(1, steps // 10)
    for i, ((x, y), loss) in enumerate(zip(path.points, path.losses, strict=True)):
        if i % every == 0 or i == len(path.points) - 1:
            print(f"step {i:>6}  x {x:>11.6f}  y {y:>11.6f}  loss {loss:.6g}  lr {path.lrs[i]:.4g}")
    if path.message:
        print(path.message)
    near = nearest_minimum(surface, path.points[-1])
    if near is not None:
        print(f"nearest minimum {near[0]} at distance {near[1]:.4g}")
    return 0


def _surfaces(args: argparse.Namespace) -> int:
    rows = [{"name": s.name, "formula": s.source, "x_range": list(s.x_range), "y_range": list(s.y_range),
             "start": list(s.start), "minima": [list(m) for m in s.minima]} for s in SURFACES.values()]
    if args.json:
        print(json.dumps({"surfaces": rows}))
    else:
        for row in rows:
            print(f"{row['name']:11} {row['formula']}   minima {row['minima']}")
    return 0
