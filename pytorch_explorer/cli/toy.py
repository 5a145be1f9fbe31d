"""Command-line actions for the toy commands (see pytorch_explorer.cli).

    python -m pytorch_explorer toy train --impl numpy|torch-article|torch-fixed|autograd|nn \
        --epochs N --lr F --hidden N --seed N [--init uniform|normal] [--activation ...] [--json]
    python -m pytorch_explorer toy speed [--tiny-epochs N] [--large-epochs N] [--json]

With --json the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys

from pytorch_explorer.toy.settings import (
    ACTIVATIONS,
    ARTICLE_Y,
    DTYPES,
    IMPLEMENTATION_TITLES,
    IMPLEMENTATIONS,
    INITS,
    LOSS_NAME,
    OPTIMIZERS,
    ToySettings,
    ToySettingsError,
    check_implementation,
)
from pytorch_explorer.cli.digits import seed_arg
from pytorch_explorer.toy.training import ToyResult, train


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this module's actions to the given subparsers (each sets func=handler)."""
    defaults = ToySettings()
    train_parser = subparsers.add_parser(
        "train", help="train one of the five toy implementations on the article's X, y",
        description="Train the article's 4-hidden-1 network one of five ways and print its predictions.",
    )
    train_parser.add_argument("--impl", default="numpy", metavar="|".join(IMPLEMENTATIONS),
                              help="which implementation (default numpy)")
    train_parser.add_argument("--epochs", type=int, default=defaults.epochs, help=f"default {defaults.epochs}")
    train_parser.add_argument("--lr", type=float, default=defaults.lr, help=f"learning rate, default {defaults.lr}")
    train_parser.add_argument("--hidden", type=int, default=defaults.hidden, help=f"hidden units, default {defaults.hidden}")
    train_parser.add_argument("--seed", type=seed_arg, default=defaults.seed, help=f"default {defaults.seed}")
    train_parser.add_argument("--init", default=defaults.init, choices=INITS,
                              help="initial weights: uniform [0, 1) as numpy's code, normal as torch.randn")
    train_parser.add_argument("--activation", default=defaults.activation, choices=ACTIVATIONS,
                              help="hidden-layer activation (the output is always a sigmoid)")
    train_parser.add_argument("--optimizer", default=defaults.optimizer, choices=OPTIMIZERS, help="for --impl nn")
    train_parser.add_argument("--dtype", default=defaults.dtype, choices=DTYPES)
    train_parser.add_argument("--own-init", action="store_true",
                              help="let the implementation draw its own weights (torch.randn, nn.Linear's default) "
                                   "instead of the shared ones")
    train_parser.add_argument("--json", action="store_true", help="end with one JSON object")
    train_parser.set_defaults(func=_train)

    speed_parser = subparsers.add_parser(
        "speed", help="time numpy vs torch per epoch, tiny and large problem, on every device",
    )
    speed_parser.add_argument("--tiny-epochs", type=int, default=500, help="epochs timed on the tiny problem")
    speed_parser.add_argument("--large-epochs", type=int, default=10, help="epochs timed on 10,000 x 64, 256 hidden")
    speed_parser.add_argument("--json", action="store_true", help="end with one JSON object")
    speed_parser.set_defaults(func=_speed)


def flat_predictions_warning(predictions: list[float], lr: float) -> str | None:
    """A warning when every prediction is the same (the net stopped learning: often a too-large lr)."""
    if len(predictions) > 1 and max(predictions) - min(predictions) < 1e-3:
        return (f"warning: every prediction is {predictions[0]:.4f}: the network learned nothing (its units "
                f"saturated or died). The learning rate {lr:g} is probably too large: try 0.1 to 1.")
    return None


def _train(args: argparse.Namespace) -> int:
    impl = check_implementation(args.impl)
    settings = ToySettings(
        epochs=args.epochs, lr=args.lr, hidden=args.hidden, seed=args.seed, init=args.init,
        activation=args.activation, optimizer=args.optimizer, dtype=args.dtype, same_init=not args.own_init,
    )
    result = ToyResult.start(impl, settings)
    for event in train(impl, settings, result.initial, every=max(1, settings.epochs // 10)):
        result.add(event)
        if not args.json:
            print(f"epoch {event.epoch:>7}  loss {event.loss:.6f}")
    predictions = [float(v) for v in result.predictions.ravel()]
    if flat_warning := flat_predictions_warning(predictions, settings.lr):
        print(flat_warning, file=sys.stderr)
    if args.json:
        print(json.dumps({
            "impl": impl, "final_loss": result.final_loss, "loss": LOSS_NAME, "predictions": predictions,
            "y": [row[0] for row in ARTICLE_Y], "epochs": result.epochs, "lr": settings.lr,
            "hidden": settings.hidden, "seed": settings.seed, "init": settings.init,
            "activation": settings.activation, "optimizer": settings.optimizer, "dtype": settings.dtype,
            "same_init": settings.same_init,
        }))
    else:
        print(f"{IMPLEMENTATION_TITLES[impl]}: final loss ({LOSS_NAME}) {result.final_loss:.6f}")
        print("   y   predicted")
        for target, predicted in zip(ARTICLE_Y, predictions, strict=True):
            print(f"{target[0]:>4}   {predicted:.4f}")
    return 0


def _speed(args: argparse.Namespace) -> int:
    from pytorch_explorer.toy.speed import speed_note, speed_table

    if args.tiny_epochs < 1 or args.large_epochs < 1:
        raise ToySettingsError("--tiny-epochs and --large-epochs must be at least 1.")
    rows = speed_table({"tiny": args.tiny_epochs, "large": args.large_epochs})
    if args.json:
        print(json.dumps({"rows": [r.as_dict() for r in rows]}))
    else:
        for r in rows:
            print(f"{r.problem:6} {r.library:6} {r.device:8} {r.ms_per_epoch:10.4f} ms/epoch  ({r.epochs} epochs)")
        print(speed_note(rows).replace("*", ""))
    return 0
