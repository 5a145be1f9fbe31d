"""On a CUDA GPU: this trainer's CUDA-graph step against torch.compile(mode="reduce-overhead"), batch 128.

Issue 7 asks for whichever of the two measures faster. This times both on the same synthetic digits
and model (784-500-10, fused capturable Adam for the graph, fused Adam for compile) and prints one
JSON line. A measurement script for a GPU session (scripts/gpu_check.sh runs it), not part of the
app; without CUDA it says so and exits 0.

    python scripts/compile_vs_graph.py [--steps 2000] [--batch-size 128]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pytorch_explorer.bench.digits import synthetic_digits  # noqa: E402
from pytorch_explorer.digits.models import MLPConfig, build_mlp  # noqa: E402
from pytorch_explorer.digits.training.fast_path import CudaGraphStep, EagerStep, make_optimizer  # noqa: E402
from pytorch_explorer.digits.training.loop import as_inputs, train_step  # noqa: E402
from pytorch_explorer.digits.training import TrainConfig  # noqa: E402


def timed(step, x, y, batch: int, steps: int) -> float:
    """samples/s over `steps` steps (after 20 warm-up steps), the loss summed on the device as the trainer does."""
    n = len(y)
    order = torch.randperm(n, device=x.device)
    total = torch.zeros((), device=x.device)
    for i in range(20):
        idx = order[(i * batch) % (n - batch):][:batch]
        total += step(x.index_select(0, idx), y.index_select(0, idx))[0]
    torch.cuda.synchronize()
    start = time.perf_counter()
    for i in range(steps):
        idx = order[(i * batch) % (n - batch):][:batch]
        total += step(x.index_select(0, idx), y.index_select(0, idx))[0]
    torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"skipped": "no CUDA GPU"}))
        return 0
    device = torch.device("cuda")
    data = synthetic_digits(49_000)
    x = as_inputs(data.images, device)
    y = torch.from_numpy(data.labels).to(device)
    loss_fn = torch.nn.CrossEntropyLoss()
    result: dict = {"gpu": torch.cuda.get_device_name(device), "torch": torch.__version__, "batch_size": args.batch_size}

    def fresh():
        torch.manual_seed(0)
        return build_mlp(MLPConfig()).to(device)

    model = fresh()
    optimizer = make_optimizer(TrainConfig(), model.parameters(), device)
    result["eager_fused"] = timed(EagerStep(train_step, model, optimizer, direct=True), x, y, args.batch_size, args.steps)
    model = fresh()
    optimizer = make_optimizer(TrainConfig(), model.parameters(), device, capturable=True)
    graph = CudaGraphStep(train_step, model, optimizer, args.batch_size, device)
    result["cuda_graph"] = timed(graph, x, y, args.batch_size, args.steps)
    result["cuda_graph_path"] = graph.description

    model = fresh()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)

    @torch.compile(mode="reduce-overhead")
    def compiled_step(xb, yb):
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss.backward()
        return loss.detach(), (logits.detach().argmax(dim=1) == yb).sum()

    def compile_step(xb, yb):
        optimizer.zero_grad(set_to_none=False)
        out = compiled_step(xb, yb)
        optimizer.step()
        return out

    try:
        start = time.perf_counter()
        compile_step(x[:args.batch_size], y[:args.batch_size])
        result["compile_first_call_s"] = time.perf_counter() - start
        result["torch_compile_reduce_overhead"] = timed(compile_step, x, y, args.batch_size, args.steps)
    except Exception as exc:  # noqa: BLE001 - report, do not hide
        result["torch_compile_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    rates = {k: v for k, v in result.items() if k in ("eager_fused", "cuda_graph", "torch_compile_reduce_overhead")}
    result["fastest"] = max(rates, key=rates.get)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
