"""One epoch of the digits through a DataLoader vs tensors kept on the device (the Data loading page's timing).

The same measurement the page makes (pytorch_explorer.loading.timing.time_epochs): the 3,500 training digits of
the bundled sample (or a synthetic set of --rows digits), batch 128, a RandomSampler and collate_digits, each
batch moved to the device; against the trainer's fast path, a randperm and one index_select a batch. Prints
ms per epoch (best and median of --repeats) for each method, and the ratio to the device tensors.

    python scripts/dataloader_epoch.py [--repeats 7] [--workers 2] [--device cpu|cuda] [--rows N] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytorch_explorer.loading.timing import time_epochs, timing_rows  # noqa: E402


def digits(rows: int):
    """The bundled training split, or `rows` synthetic digits (the same shapes and types)."""
    if rows:
        from pytorch_explorer.bench.digits import synthetic_digits

        data = synthetic_digits(rows)
        return data.images, data.labels
    from pytorch_explorer.digits.data import load_digits
    from pytorch_explorer.loading.datasets import training_digits

    data = load_digits("bundled")
    train = training_digits(data.images, data.labels)
    return train.images, train.labels


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--workers", type=int, default=0, help="also time a DataLoader with this many workers")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rows", type=int, default=0, help="synthetic digits instead of the bundled 3,500")
    parser.add_argument("--threads", type=int, default=1, help="torch threads in this process (0: torch's default)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)  # this script's own process
    images, labels = digits(args.rows)
    events = list(time_epochs(images, labels, args.batch_size, args.workers, args.device, seed=0, repeats=args.repeats))
    rows = timing_rows(events)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"{len(labels):,} digits, batch {args.batch_size}, device {args.device}, torch threads "
          f"{torch.get_num_threads()}, {args.repeats} epochs each")
    for r in rows:
        if r["error"]:
            print(f"  {r['method']:<44} {r['error']}")
            continue
        ratio = r["x the device tensors' time"]
        print(f"  {r['method']:<44} best {r['ms per epoch (best)']:9.2f} ms  median {r['ms per epoch (median)']:9.2f} ms"
              f"  {r['samples per s']:12,.0f} samples/s  x{ratio:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
