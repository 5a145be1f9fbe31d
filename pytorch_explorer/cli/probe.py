"""`python -m pytorch_explorer digits predict --model PATH IMAGE... [--json]`: label digit images.

Each image goes through the same preprocessing as the probe page (preprocess.preprocess_digit),
then the model. Per image, one line: the file, the predicted label, and the 10 probabilities; with
--json, one JSON object per line: {"file": ..., "label": ..., "probabilities": [...10]}.

An image that cannot be used (unreadable, damaged, blank) gets one line on stderr naming it and
the reason; the other images are still predicted, and the exit status is then 2. A model file that
cannot be loaded stops the command with status 2 (cli.main prints its error).
"""

from __future__ import annotations

import argparse
import json
import sys

from pytorch_explorer.core.errors import ExplorerError

EXIT_BAD_IMAGE = 2


def predict_files(args: argparse.Namespace) -> int:
    """The handler: load the model once, then predict every image in order."""
    from pytorch_explorer.digits.models import load_checkpoint
    from pytorch_explorer.digits.preprocess import load_image_file, preprocess_digit
    from pytorch_explorer.digits.probe import predict

    trained = load_checkpoint(args.model)
    failures = 0
    for path in args.images:
        try:
            digit = preprocess_digit(load_image_file(path), name=path).final
        except ExplorerError as exc:
            failures += 1
            message = str(exc) if path in str(exc) else f"{path}: {exc}"
            print(f"error: {message}", file=sys.stderr)
            continue
        probabilities = [round(float(p), 6) for p in predict(trained, digit)]
        label = max(range(10), key=probabilities.__getitem__)
        if args.json:
            print(json.dumps({"file": path, "label": label, "probabilities": probabilities}), flush=True)
        else:
            print(f"{path}\t{label}\t" + " ".join(f"{p:.4f}" for p in probabilities), flush=True)
    return EXIT_BAD_IMAGE if failures else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `predict` to the digits actions."""
    parser = subparsers.add_parser(
        "predict", help="predict the digit in image files with a saved model",
        description="Predict the digit in each image (PNG, JPEG, BMP, GIF, WebP; any size, dark on light or "
                    "light on dark), preprocessed like MNIST exactly as the probe page does.",
    )
    parser.add_argument("--model", required=True, metavar="PATH",
                        help="a model saved by `digits train --save PATH` or the trainer page")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files")
    parser.add_argument("--json", action="store_true",
                        help='one JSON object per line: {"file", "label", "probabilities"}')
    parser.set_defaults(func=predict_files)
