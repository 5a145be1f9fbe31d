"""Speed figures, measured in one process: `python -m pytorch_explorer bench` (see docs/benchmarks.md).

1. Training throughput (samples/s of training time, evaluation excluded) on the same data and
   model: the article's loop as written (numpy batches, `torch.from_numpy` per batch, no
   `zero_grad`, the loss read every step) against this project's trainer (data on the device as
   one tensor, batches as slices, fused optimizer, loss read every `log_every` steps; on CUDA a
   CUDA-graph step), plus the trainer with its fast path off (eager). The loops run interleaved,
   a chunk of each in turn, so that load from other processes hits them alike; figures are medians.
2. The CPU's (or GPU's) matmul rate on the first layer's shape, and the fraction of it the trainer
   achieves (its flops per sample x samples/s).
3. Loading the article's PNG folder (generated from the bundled digits): the article's serial
   Pillow loop vs this project's loader, cold (parallel decode) and cached (.npz).
4. One whole 5-epoch run of the trainer (the article's epoch count), timed end to end.
5. Single-digit prediction latency on CPU: preprocess_digit (a 280x280 RGBA drawing, as the probe
   page's canvas gives) + predict_proba, median of many.

`BenchConfig.arch` picks the model of 1., 4. and 5. (the article's MLP by default, "lenet" or "cnn" with
the CNN's default options); the matmul rate of 2. stays the MLP's first layer. `compare_archs` trains
each architecture in turn on the same data, same settings, and reports validation accuracy, training
time, samples/s, parameters and FLOPs (`python -m pytorch_explorer bench archs`).

Without a data source the digits are synthetic, of MNIST's shape: uint8 (N, 28, 28) made from ten
random class templates plus noise (learnable, so the loops do real work), N = 49,000 as in the
article's train.csv.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.core.devices import cpu_count, resolve_device
from pytorch_explorer.digits.models import ModelConfig, model_cost
from pytorch_explorer.digits.training import (
    FINAL_KINDS, TrainConfig, Trainer, flops_per_sample, train_digits, train_to_completion,
)

ARTICLE_TRAIN_ROWS = 49_000  # rows of the article's Train/train.csv


@dataclass(frozen=True)
class BenchConfig:
    device: str = "cpu"
    n: int = ARTICLE_TRAIN_ROWS  # synthetic digits (ignored when source is given)
    source: str | None = None  # a data spec (bundled, mnist, folder:PATH, ...) instead of synthetic digits
    epochs: int = 1
    repeats: int = 2  # interleaved passes over the data
    batch_size: int = 128
    hidden: int = 500
    arch: str = "mlp"  # "lenet" or "cnn" (its default options): the model the trainer's figures are of
    log_every: int | None = None  # steps per chunk / loss reading; None: 10 on CPU, 100 on an accelerator
    threads: int | None = None  # torch CPU threads; None: on CPU the fastest of 1, 2, 4, ... cores (measured)
    png_count: int = ARTICLE_TRAIN_ROWS
    png: bool = True
    latency_runs: int = 200
    seed: int = 128


QUICK = BenchConfig(n=2_000, repeats=1, png_count=200, latency_runs=20, log_every=5)


def synthetic_digits(n: int, seed: int = 0) -> DigitDataset:
    """n uint8 28x28 'digits': one random blurred template per class, plus noise and a random shift."""
    rng = np.random.default_rng(seed)
    templates = rng.random((10, 28, 28)) ** 3 * 255
    templates[:, :4], templates[:, -4:], templates[:, :, :4], templates[:, :, -4:] = 0, 0, 0, 0
    labels = rng.integers(0, 10, n)
    images = templates[labels] * rng.uniform(0.6, 1.0, (n, 1, 1)) + rng.normal(0, 40, (n, 28, 28))
    shifts = rng.integers(-2, 3, (n, 2))
    for dy in range(-2, 3):  # a shift per digit, in 25 vectorised groups
        for dx in range(-2, 3):
            pick = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
            images[pick] = np.roll(images[pick], (dy, dx), axis=(1, 2))
    return DigitDataset(images.clip(0, 255).astype(np.uint8), labels.astype(np.int64), f"synthetic:{n}")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


def matmul_rate(device: torch.device, batch_size: int = 128, hidden: int = 500, seconds: float = 0.5) -> float:
    """GFLOP/s of (batch, 784) @ (784, hidden) matmuls on the device: the trainer's dominant shape."""
    x = torch.rand(batch_size, 28 * 28, device=device)
    w = torch.rand(28 * 28, hidden, device=device)
    for _ in range(10):
        x @ w
    best = 0.0
    for _ in range(5):
        count, start = 0, time.perf_counter()
        while True:
            for _ in range(20):
                x @ w
            count += 20
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 5:
                break
        best = max(best, 2 * batch_size * 28 * 28 * hidden * count / elapsed / 1e9)
    return best


def step_seconds(hidden: int, batch_size: int, steps: int = 10, arch: str = "mlp") -> float:
    """Best-of-3 seconds per training step (Adam, the bench's model) at torch's current thread count, on CPU."""
    from pytorch_explorer.digits.models import build_model

    model = build_model(ModelConfig(hidden=hidden, arch=arch))
    optimizer = torch.optim.Adam(model.parameters(), fused=True)
    x, y = torch.rand(batch_size, 28 * 28), torch.randint(0, 10, (batch_size,))
    best = float("inf")
    for _ in range(4):
        start = time.perf_counter()
        for _ in range(steps):
            optimizer.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def fastest_threads(hidden: int, batch_size: int, cores: int | None = None,
                    arch: str = "mlp") -> tuple[int, dict[int, float]]:
    """Try 1, 2, 4, ... up to the usable cores and keep the thread count with the fastest training step.

    On a machine other processes share, OpenMP threads that wait for a descheduled sibling can make
    2 threads many times slower than 1, so the count is measured, not assumed.
    """
    cores = cores or cpu_count()
    candidates = sorted({1, cores} | {2 ** k for k in range(1, 8) if 2 ** k < cores})
    before = torch.get_num_threads()
    timings = {}
    try:
        for threads in candidates:
            torch.set_num_threads(threads)
            timings[threads] = step_seconds(hidden, batch_size, arch=arch)
    finally:
        torch.set_num_threads(before)
    return min(timings, key=timings.get), timings


def counters(trainer: Trainer) -> tuple[int, float]:
    """(samples trained, seconds of training time) of a run so far."""
    return (trainer.log.samples_seen, trainer.log.train_seconds) if trainer.log is not None else (0, 0.0)


def interleaved_rates(configs: dict[str, TrainConfig], data: DigitDataset) -> tuple[dict[str, list[float]], dict]:
    """Run the loops side by side, one chunk (log_every steps) of each in turn, and record each chunk's
    samples/s of training time (evaluation excluded). Interleaving exposes every loop to the same load
    from other processes; a loop's first chunk (warm-up) is dropped. Returns the rates and the results."""
    trainers = {name: train_digits(config, data) for name, config in configs.items()}
    rates: dict[str, list[float]] = {name: [] for name in configs}
    live = dict(trainers)
    while live:
        for name, trainer in list(live.items()):
            samples, seconds = counters(trainer)
            try:
                event = next(trainer)
            except StopIteration:
                del live[name]
                continue
            if event.kind in FINAL_KINDS:
                del live[name]
            now_samples, now_seconds = counters(trainer)
            done, took = now_samples - samples, now_seconds - seconds
            if done and took > 0:
                rates[name].append(done / took)
    return {name: values[1:] or values for name, values in rates.items()}, \
        {name: trainer.result() for name, trainer in trainers.items()}


def trainer_config(bench: BenchConfig, device: str) -> TrainConfig:
    """This trainer's settings for a bench run: the bench's model, batch, epochs and seed, torch's current threads."""
    return TrainConfig(hidden=bench.hidden, arch=bench.arch, batch_size=bench.batch_size, epochs=bench.epochs,
                       seed=bench.seed,
                       device=device, log_every=bench.log_every or (10 if device == "cpu" else 100),
                       threads=torch.get_num_threads())


def time_training(data: DigitDataset, bench: BenchConfig, device: str) -> dict[str, Any]:
    """samples/s of the article's loop, the trainer and the eager trainer, interleaved chunk by chunk.

    Each figure is the median of its chunks' rates over `repeats` passes; the speedup is the median of
    the trainer/article ratios of chunks run back to back (robust to load that drifts during the run).
    """
    base = trainer_config(bench, device)
    loops = {
        "article": replace(base, article_faithful=True),
        "trainer": base,
        "trainer_eager": replace(base, fast=False),
        "trainer_bf16": replace(base, precision="bf16"),  # opt-in mixed precision, reported apart
    }
    warm = DigitDataset(data.images[:1024], data.labels[:1024], data.source)
    for config in loops.values():  # first calls allocate and initialise kernels: keep them out of the timing
        train_to_completion(replace(config, epochs=1), warm)
    rates: dict[str, list[float]] = {name: [] for name in loops}
    ratios: list[float] = []
    bf16_ratios: list[float] = []
    results: dict[str, Any] = {}
    for _ in range(bench.repeats):
        chunk_rates, results = interleaved_rates(loops, data)
        for name, values in chunk_rates.items():
            rates[name] += values
        ratios += [t / a for t, a in zip(chunk_rates["trainer"], chunk_rates["article"], strict=False)]
        bf16_ratios += [t / a for t, a in zip(chunk_rates["trainer_bf16"], chunk_rates["article"], strict=False)]
    median = {name: statistics.median(values) for name, values in rates.items()}
    quartiles = statistics.quantiles(ratios, n=4) if len(ratios) >= 2 else [ratios[0]] * 3
    return {
        "article_samples_per_s": median["article"],
        "trainer_samples_per_s": median["trainer"],
        "trainer_eager_samples_per_s": median["trainer_eager"],
        "trainer_bf16_samples_per_s": median["trainer_bf16"],
        "speedup": statistics.median(ratios),
        "speedup_quartiles": [quartiles[0], quartiles[2]],
        "speedup_bf16": statistics.median(bf16_ratios),
        "trainer_bf16_val_acc": results["trainer_bf16"].metrics["val_acc"],
        "chunks": {name: len(values) for name, values in rates.items()},
        "article_status": results["article"].metrics["status"],
        "article_val_acc": results["article"].metrics["val_acc"],
        "trainer_val_acc": results["trainer"].metrics["val_acc"],
        "trainer_eager_val_acc": results["trainer_eager"].metrics["val_acc"],
        "fast_path": results["trainer"].metrics["fast_path"],
        "article_steps_per_epoch": results["article"].metrics["total_steps"] // bench.epochs,
        "trainer_steps_per_epoch": results["trainer"].metrics["total_steps"] // bench.epochs,
        "model": results["trainer"],
    }


def five_epochs(data: DigitDataset, bench: BenchConfig, device: str) -> dict[str, Any]:
    """One whole run of this trainer as a user starts it: 5 epochs (the article's count) over the data's 70 %.

    train_s is the training time alone; elapsed_s adds moving the data to the device and measuring both
    accuracies after every epoch.
    """
    trained = train_to_completion(replace(trainer_config(bench, device), epochs=5), data)
    m = trained.metrics
    return {"five_epochs_train_s": m["train_seconds"], "five_epochs_elapsed_s": m["elapsed_s"],
            "five_epochs_n_train": m["n_train"], "five_epochs_val_acc": m["val_acc"],
            "five_epochs_samples_per_s": m["samples_per_s"]}


def png_loading(count: int) -> dict[str, Any]:
    """Generate `count` PNG digits in the article's layout (in a temp folder) and time loading them."""
    from pytorch_explorer.digits.data import make_png_folder, time_png_loading

    with tempfile.TemporaryDirectory(prefix="pte-bench-png-") as tmp:
        start = time.perf_counter()
        root = make_png_folder(Path(tmp) / "digits", count)
        made = time.perf_counter() - start
        timings = dict(time_png_loading(root))
    timings["generate_s"] = made
    return timings


def prediction_latency(trained, runs: int = 200) -> dict[str, float]:
    """Median ms of preprocess_digit on a 280x280 RGBA drawing + predict_proba, on CPU."""
    from PIL import Image

    from pytorch_explorer.digits.data import load_bundled
    from pytorch_explorer.digits.preprocess import preprocess_digit

    digit = load_bundled().images[0]
    grey = np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))
    drawing = np.zeros((280, 280, 4), dtype=np.uint8)  # white strokes on transparent, like the canvas
    drawing[..., :3] = 255
    drawing[..., 3] = grey
    trained.model.to("cpu")
    times, pre = [], []
    for i in range(runs + 5):
        start = time.perf_counter()
        final = preprocess_digit(drawing).final
        mid = time.perf_counter()
        trained.predict_proba(torch.from_numpy(final)[None])
        end = time.perf_counter()
        if i >= 5:  # the first calls warm up
            times.append(end - start)
            pre.append(mid - start)
    return {"latency_ms_median": statistics.median(times) * 1e3,
            "preprocess_ms_median": statistics.median(pre) * 1e3, "latency_runs": runs}


def run_bench(bench: BenchConfig = BenchConfig()) -> dict[str, Any]:
    """Every figure above as one dict (JSON-ready)."""
    device = resolve_device(bench.device)
    probe: dict[int, float] = {}
    if bench.threads:
        threads = bench.threads
    elif device.type == "cpu":
        threads, probe = fastest_threads(bench.hidden, bench.batch_size, arch=bench.arch)
    else:
        threads = cpu_count()
    torch.set_num_threads(threads)
    data = load_digits(bench.source) if bench.source else synthetic_digits(bench.n, bench.seed)
    result: dict[str, Any] = {
        "device": str(device), "cpu": cpu_model(), "cores": cpu_count(), "threads": torch.get_num_threads(),
        "torch": torch.__version__, "source": data.source, "n_samples": len(data), "epochs": bench.epochs,
        "batch_size": bench.batch_size, "hidden": bench.hidden, "repeats": bench.repeats, "arch": bench.arch,
        "parameters": model_cost(ModelConfig(hidden=bench.hidden, arch=bench.arch)).parameters,
        "thread_probe_ms_per_step": {str(k): v * 1e3 for k, v in probe.items()},
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }
    if device.type == "cuda":
        result["gpu"] = torch.cuda.get_device_name(device)
    training = time_training(data, bench, str(device))
    trained = training.pop("model")
    result.update(training)
    result.update(five_epochs(data, bench, str(device)))
    rate = matmul_rate(device, bench.batch_size, bench.hidden)
    flops = flops_per_sample(ModelConfig(hidden=bench.hidden, arch=bench.arch))
    result["matmul_gflops"] = rate
    result["flops_per_sample"] = flops
    result["trainer_gflops"] = result["trainer_samples_per_s"] * flops / 1e9
    result["article_gflops"] = result["article_samples_per_s"] * flops / 1e9
    result["fraction_of_matmul"] = result["trainer_gflops"] / rate if rate else float("nan")
    result["png"] = png_loading(bench.png_count) if bench.png else None
    result.update(prediction_latency(trained, bench.latency_runs))
    return result


def compare_archs(archs: list[str], source: str = "bundled", epochs: int = 5, batch_size: int = 128, seed: int = 128,
                  device: str = "cpu", threads: int = 0) -> list[dict[str, Any]]:
    """Train each architecture (its default options) on the same data with the same settings, one after the
    other, and report what each reached and how fast: val_acc, train_s (training time, evaluation excluded),
    elapsed_s, samples_per_s, parameters, flops_per_sample (training) and the achieved GFLOP/s."""
    data = load_digits(source)
    rows = []
    for arch in archs:
        config = TrainConfig(arch=arch, epochs=epochs, batch_size=batch_size, seed=seed, device=device,
                             threads=threads)
        train_to_completion(replace(config, epochs=1), DigitDataset(data.images[:512], data.labels[:512],
                                                                    data.source))  # warm-up, not timed
        trained = train_to_completion(config, data)
        m, cost = trained.metrics, model_cost(config.model_config())
        rows.append({"arch": arch, "source": data.source, "n_train": m["n_train"], "epochs": epochs,
                     "val_acc": m["val_acc"], "train_acc": m["train_acc"], "train_s": m["train_seconds"],
                     "elapsed_s": m["elapsed_s"], "samples_per_s": m["samples_per_s"],
                     "parameters": cost.parameters, "flops_per_sample": cost.training_flops,
                     "gflops": m["samples_per_s"] * cost.training_flops / 1e9, "threads": m["threads"],
                     "device": m["device"], "fast_path": m["fast_path"], "status": m["status"]})
    return rows
