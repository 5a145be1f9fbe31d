"""`python -m pytorch_explorer ...`: the package on the command line, for scripting and benchmarks.

    python -m pytorch_explorer devices [--json]
    python -m pytorch_explorer digits train|submit|predict ...
    python -m pytorch_explorer digits baseline --model logreg|knn|mlp ...
    python -m pytorch_explorer toy train ...
    python -m pytorch_explorer optim run|surfaces ...
    python -m pytorch_explorer bench ...

Each command family lives in its own module (digits, probe, baseline, toy, optim, bench) with a
`register(subparsers)` function; a command's handler takes the parsed args and returns an exit code.
Errors a user can fix exit with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pytorch_explorer.core.errors import ExplorerError


def _devices(args: argparse.Namespace) -> int:
    import torch

    from pytorch_explorer.core.devices import available_devices

    found = [{"name": d.name, "kind": d.kind, "description": d.description} for d in available_devices()]
    if args.json:
        print(json.dumps({"torch": torch.__version__, "devices": found}))
    else:
        print(f"torch {torch.__version__}")
        for d in found:
            print(f"{d['name']:8} {d['description']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from pytorch_explorer.cli import bench as cli_bench
    from pytorch_explorer.cli import digits as cli_digits
    from pytorch_explorer.cli import probe as cli_probe
    from pytorch_explorer.cli import toy as cli_toy

    parser = argparse.ArgumentParser(prog="python -m pytorch_explorer", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    devices = commands.add_parser("devices", help="torch version and the devices it sees")
    devices.add_argument("--json", action="store_true", help="one JSON object")
    devices.set_defaults(func=_devices)

    digits = commands.add_parser("digits", help="train, submit and predict with the digit MLP")
    digit_commands = digits.add_subparsers(dest="digits_command", required=True, metavar="ACTION")
    cli_digits.register(digit_commands)
    cli_probe.register(digit_commands)
    from pytorch_explorer.cli import baseline as cli_baseline

    cli_baseline.register(digit_commands)

    toy = commands.add_parser("toy", help="the article's 4-3-1 toy networks")
    cli_toy.register(toy.add_subparsers(dest="toy_command", required=True, metavar="ACTION"))
    from pytorch_explorer.cli import optim as cli_optim

    optim = commands.add_parser("optim", help="torch.optim optimizers on 2-D loss surfaces")
    cli_optim.register(optim.add_subparsers(dest="optim_command", required=True, metavar="ACTION"))

    cli_bench.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
