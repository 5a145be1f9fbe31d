"""`python -m pytorch_explorer digits baseline --model logreg|knn|mlp --source SRC [--seed N] [--json]`.

Fits one scikit-learn baseline on the torch runs' split (first 70 % train, last 30 % validate) and prints
its validation accuracy and fit time; with --json, one JSON object: model, estimator, source, train_size,
val_size, val_acc, fit_seconds, predict_seconds, seed, params, notes (and run_id with --workspace, which
keeps the fit as a "baseline" run of that workspace, shown on the Runs page).
"""

from __future__ import annotations

import argparse
import json
import warnings

from pytorch_explorer.cli.args import whole_number
from pytorch_explorer.compare.baselines import BASELINES, MAX_SEED


seed_arg = whole_number(0, MAX_SEED)  # --seed: scikit-learn's random_state, 0 to 2**32 - 1


def fraction_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a number") from None
    if not 0.01 <= value <= 0.99:
        raise argparse.ArgumentTypeError(f"the validation fraction must be between 0.01 and 0.99, not {text[:40]}")
    return value


def run_baseline(args: argparse.Namespace) -> int:
    """The handler: load, split, fit, report (and keep it as a run with --workspace)."""
    from sklearn.exceptions import ConvergenceWarning

    from pytorch_explorer.compare.baselines import fit_baseline, split_digits
    from pytorch_explorer.digits.data import load_digits

    split = split_digits(load_digits(args.source), args.val_fraction)
    with warnings.catch_warnings():  # a command-line process: the notes say it in words instead
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = fit_baseline(args.model, split, seed=args.seed)
    summary = result.summary()
    if args.workspace:
        from pytorch_explorer.compare.runs import record_baseline
        from pytorch_explorer.runs import RunStore, check_workspace_id

        store = RunStore()
        try:
            summary["run_id"] = record_baseline(store, check_workspace_id(args.workspace), result)
        finally:
            store.close()
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"{result.title} ({summary['estimator']}) on {result.source}: {result.train_size} training digits, "
          f"{result.val_size} validation digits")
    print(f"val_acc {result.val_acc:.4f}  fit {result.fit_seconds:.2f} s  predict {result.predict_seconds:.2f} s")
    for note in result.notes:
        print(note)
    print("parameters: " + ", ".join(f"{k}={v}" for k, v in summary["params"].items()))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `baseline` to the digits actions."""
    parser = subparsers.add_parser(
        "baseline", help="fit a scikit-learn baseline (logreg, knn, mlp) on the digit split",
        description="Fit logistic regression, k-nearest neighbours or scikit-learn's MLPClassifier on the same "
                    "split as the torch runs (first 70%% train, last 30%% validate); print accuracy and fit time.")
    parser.add_argument("--model", required=True, choices=list(BASELINES), help="which baseline")
    parser.add_argument("--source", default="bundled",
                        help="bundled, mnist, folder:PATH, idx:PATH or csv:PATH (default bundled)")
    parser.add_argument("--seed", type=seed_arg, default=0, help="random_state of the MLP (default 0)")
    parser.add_argument("--val-fraction", type=fraction_arg, default=0.3, help="default 0.3, the article's")
    parser.add_argument("--workspace", default=None, metavar="WS",
                        help="keep the fit as a run of this workspace (the ws in the app's address)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run_baseline)
