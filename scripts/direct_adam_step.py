"""What calling fused Adam's kernel directly saves: this trainer's step with `optimizer.step()` vs DirectFusedAdam.

Both run the same model (784-500-10), the same fused Adam and the same batches (128 rows gathered
with index_select from 34,300 synthetic digits), interleaved 10 steps at a time so that load from
other processes hits both alike. Prints ms per step for each (medians) and the median saving.

    python scripts/direct_adam_step.py [--rounds 40] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytorch_explorer.bench.digits import synthetic_digits  # noqa: E402
from pytorch_explorer.digits.models import MLPConfig, build_mlp  # noqa: E402
from pytorch_explorer.digits.training.fast_path import EagerStep, make_optimizer  # noqa: E402
from pytorch_explorer.digits.training.loop import as_inputs, train_step  # noqa: E402
from pytorch_explorer.digits.training import TrainConfig  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = synthetic_digits(34_300)
    x = as_inputs(data.images, torch.device("cpu"))
    y = torch.from_numpy(data.labels)
    steps = {}
    for direct in (False, True):
        torch.manual_seed(0)
        model = build_mlp(MLPConfig())
        optimizer = make_optimizer(TrainConfig(), model.parameters(), torch.device("cpu"))
        steps["direct" if direct else "step()"] = EagerStep(train_step, model, optimizer, direct=direct)
    order = torch.randperm(len(y))
    times: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(args.rounds + 2):
        for name, step in steps.items():
            start = time.perf_counter()
            for i in range(10):
                idx = order[((r * 10 + i) * 128) % 34_000:][:128]
                step(x.index_select(0, idx), y.index_select(0, idx))
            if r >= 2:  # two warm-up rounds
                times[name].append((time.perf_counter() - start) / 10 * 1e3)
    result = {f"ms_per_step_{name}": statistics.median(t) for name, t in times.items()}
    result["saving_ms"] = statistics.median(a - b for a, b in zip(times["step()"], times["direct"], strict=True))
    result["saving_fraction"] = result["saving_ms"] / result["ms_per_step_step()"]
    result["threads"] = torch.get_num_threads()
    print(f"fused Adam via optimizer.step(): {result['ms_per_step_step()']:.3f} ms/step; called directly: "
          f"{result['ms_per_step_direct']:.3f} ms/step; saving {result['saving_ms']:.3f} ms "
          f"({result['saving_fraction']:.0%}), {result['threads']} threads")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
