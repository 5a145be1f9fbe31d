"""`python -m pytorch_explorer bench`: speed figures (see pytorch_explorer.bench.digits and docs/benchmarks.md).

    python -m pytorch_explorer bench [--device cpu|cuda] [--json] [--quick] [--no-png] [--png-count N]
        [--source SPEC] [--n N] [--epochs N] [--repeats N] [--threads N] [--arch mlp|lenet|cnn]

With --json the last line is one JSON object (device, article_samples_per_s, trainer_samples_per_s,
speedup, matmul_gflops, fraction_of_matmul, png timings, latency_ms_median, ...).

    python -m pytorch_explorer bench load --sessions N [--json] [--epochs N] [--hidden N] [--source SPEC]
        [--url http://localhost:8501] [--max-cpu-jobs N] [--threads-per-job N]

N training jobs at once through the job scheduler against one alone (pytorch_explorer.jobs.load_bench);
with --url, the app's health endpoint is polled meanwhile. `bench` without `load` is unchanged.

    python -m pytorch_explorer bench archs [--archs mlp,lenet,cnn] [--source bundled] [--epochs 5]
        [--batch-size 128] [--threads N] [--device cpu] [--json]

The architectures trained one after the other on the same data: validation accuracy, training time,
samples/s, parameters and FLOPs of each (pytorch_explorer.bench.digits.compare_archs).

    python -m pytorch_explorer bench playground [--layers 8-8-8-8] [--problem spiral] [--batch-size 10]
        [--frames 30] [--no-heatmaps] [--threads 1] [--json]

The Toy playground's live panel, package side: its training slice and redraw per frame, and the frames a
second that allows (pytorch_explorer.bench.playground).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from pytorch_explorer.core.errors import ExplorerError


def register(commands: argparse._SubParsersAction) -> None:
    """Add the top-level `bench` command."""
    bench = commands.add_parser("bench", help="samples/s of the article's loop vs this trainer, PNG loading, latency",
                                description="Measure training speed, PNG loading and prediction latency.")
    bench.add_argument("--device", default="cpu", help="cpu (default) or cuda (or auto, mps, cuda:N)")
    bench.add_argument("--json", action="store_true", help="end with one JSON object")
    bench.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test, not a measurement")
    bench.add_argument("--source", help="train on this data spec instead of synthetic MNIST-shaped digits")
    bench.add_argument("--n", type=int, help="synthetic digits (default 49,000; quick: 2,000)")
    bench.add_argument("--epochs", type=int, help="epochs per timed run (default 1)")
    bench.add_argument("--repeats", type=int, help="interleaved passes of the three loops (default 2)")
    bench.add_argument("--hidden", type=int, help="hidden units (default 500)")
    bench.add_argument("--arch", choices=("mlp", "lenet", "cnn"), help="the model (default mlp, the article's)")
    bench.add_argument("--batch-size", type=int, help="batch size (default 128)")
    bench.add_argument("--threads", type=int, help="torch CPU threads (default: the fastest of 1, 2, 4, ... cores, measured)")
    bench.add_argument("--png-count", type=int, help="PNG files to generate and load (default 49,000)")
    bench.add_argument("--no-png", action="store_true", help="skip the PNG-folder timing")
    bench.set_defaults(func=bench_command)
    subcommands = bench.add_subparsers(dest="bench_command", metavar="[load | archs | playground]")
    register_load(subcommands)
    register_archs(subcommands)
    register_playground(subcommands)


def register_playground(subcommands: argparse._SubParsersAction) -> None:
    """Add `bench playground`: the Toy playground's frames a second, package side."""
    from pytorch_explorer.cli.args import whole_number

    play = subcommands.add_parser("playground", help="the Toy playground's frames a second while training",
                                  description="Time the playground's training slice and redraw, frame by frame.")
    play.add_argument("--layers", default="8-8-8-8", help="hidden layers, e.g. 8-8-8-8 (default)")
    play.add_argument("--problem", default="spiral", help="circles, xor, gaussian, spiral (default), moons, ...")
    play.add_argument("--batch-size", type=whole_number(1, 10_000, "--batch-size"), default=10,
                      help="batch size (default 10)")
    play.add_argument("--frames", type=whole_number(2, 10_000, "--frames"), default=30,
                      help="frames to time (default 30)")
    play.add_argument("--no-heatmaps", action="store_true", help="nodes without their pictures")
    play.add_argument("--threads", type=whole_number(1, 256, "--threads"), default=1,
                      help="torch threads (default 1, as the app's server uses)")
    play.add_argument("--json", action="store_true", help="end with one JSON object")
    play.set_defaults(func=playground_command)


def playground_command(args: argparse.Namespace) -> int:
    from pytorch_explorer.bench.playground import playground_frames, report

    result = playground_frames(args.layers, args.problem, args.batch_size, args.frames, not args.no_heatmaps,
                               args.threads)
    print("\n".join(report(result)))
    if args.json:
        print(json.dumps(result))
    return 0


def register_archs(subcommands: argparse._SubParsersAction) -> None:
    """Add `bench archs`: MLP, LeNet-5 and the CNN trained on the same data, compared."""
    archs = subcommands.add_parser("archs", help="the MLP, LeNet-5 and the CNN trained alike, compared",
                                   description="Train each architecture on the same data; compare accuracy and speed.")
    archs.add_argument("--archs", default="mlp,lenet,cnn", help="comma-separated (default mlp,lenet,cnn)")
    archs.add_argument("--source", default="bundled", help="data source spec (default bundled)")
    archs.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5)")
    archs.add_argument("--batch-size", type=int, default=128, help="batch size (default 128)")
    archs.add_argument("--threads", type=int, default=0, help="torch CPU threads (default 0: torch's own choice)")
    archs.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    archs.add_argument("--json", action="store_true", help="end with one JSON object")
    archs.set_defaults(func=archs_command)


def archs_command(args: argparse.Namespace) -> int:
    from pytorch_explorer.bench.digits import compare_archs
    from pytorch_explorer.digits.models import ARCHS

    names = [a.strip() for a in args.archs.split(",") if a.strip()]
    unknown = [a for a in names if a not in ARCHS]
    if unknown or not names:
        raise ExplorerError(f"--archs takes names from {', '.join(ARCHS)}, not {args.archs!r}")
    for flag in ("epochs", "batch_size"):
        if getattr(args, flag) < 1:
            raise ExplorerError(f"--{flag.replace('_', '-')} must be at least 1, not {getattr(args, flag)}")
    rows = compare_archs(names, source=args.source, epochs=args.epochs, batch_size=args.batch_size,
                         device=args.device, threads=args.threads)
    for r in rows:
        print(f"{r['arch']:>6}: val acc {r['val_acc']:.4f}, training {r['train_s']:.1f} s "
              f"({r['elapsed_s']:.1f} s with evaluation), {r['samples_per_s']:,.0f} samples/s, "
              f"{r['parameters']:,} parameters, {r['flops_per_sample'] / 1e6:.2f} MFLOP/sample, "
              f"{r['gflops']:.2f} GFLOP/s ({r['n_train']:,} digits x {r['epochs']} epochs, {r['threads']} threads)")
    if args.json:
        print(json.dumps({"archs": rows}))
    return 0


def register_load(subcommands: argparse._SubParsersAction) -> None:
    """Add `bench load`: N concurrent training jobs through the scheduler."""
    load = subcommands.add_parser("load", help="N training jobs at once through the scheduler vs one alone",
                                  description="Drive N concurrent training jobs and compare with one alone.")
    load.add_argument("--sessions", type=int, default=4, help="concurrent training jobs (default 4)")
    load.add_argument("--json", action="store_true", help="end with one JSON object")
    load.add_argument("--epochs", type=int, default=30, help="epochs per job (default 30)")
    load.add_argument("--hidden", type=int, default=500, help="hidden units (default 500)")
    load.add_argument("--batch-size", type=int, default=128, help="batch size (default 128)")
    load.add_argument("--source", default="bundled", help="data source spec (default bundled)")
    load.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    load.add_argument("--url", help="a running app (http://localhost:8501): poll its health endpoint meanwhile")
    load.add_argument("--max-cpu-jobs", type=int, help="CPU jobs at once (default: the scheduler's, the cores)")
    load.add_argument("--threads-per-job", type=int, help="torch threads per job (default: cores / jobs at once)")
    load.add_argument("--no-alone", action="store_true", help="skip timing one job alone")
    load.set_defaults(func=load_command)


def load_command(args: argparse.Namespace) -> int:
    from pytorch_explorer.jobs.load_bench import LoadBenchConfig, report_lines as load_report_lines, run_load_bench

    for flag in ("sessions", "epochs", "hidden", "batch_size", "max_cpu_jobs", "threads_per_job"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ExplorerError(f"--{flag.replace('_', '-')} must be at least 1, not {value}")
    if args.url and not args.url.startswith(("http://", "https://")):
        raise ExplorerError(f"--url must start with http:// or https://, not {args.url!r}")
    config = LoadBenchConfig(sessions=args.sessions, epochs=args.epochs, hidden=args.hidden, batch_size=args.batch_size,
                             source=args.source, device=args.device, url=args.url, max_cpu_jobs=args.max_cpu_jobs,
                             threads_per_job=args.threads_per_job, alone=not args.no_alone)
    result = run_load_bench(config)
    for line in load_report_lines(result):
        print(line)
    if args.json:
        print(json.dumps(result))
    return 0


def bench_config(args: argparse.Namespace):
    from pytorch_explorer.bench.digits import QUICK, BenchConfig

    config = QUICK if args.quick else BenchConfig()
    overrides = {"device": args.device, "source": args.source, "png": not args.no_png}
    if args.arch:
        overrides["arch"] = args.arch
    for flag, field in (("n", "n"), ("epochs", "epochs"), ("repeats", "repeats"), ("hidden", "hidden"),
                        ("batch_size", "batch_size"), ("threads", "threads"), ("png_count", "png_count")):
        value = getattr(args, flag)
        if value is not None:
            if value < 1:
                raise ExplorerError(f"--{flag.replace('_', '-')} must be at least 1, not {value}")
            overrides[field] = value
    return replace(config, **overrides)


def model_words(r: dict) -> str:
    """"MLP 784-500-10", or "lenet (61,706 parameters)"."""
    arch = r.get("arch", "mlp")
    if arch == "mlp":
        return f"MLP 784-{r['hidden']}-10"
    return f"{arch} ({r['parameters']:,} parameters)"


def report_lines(r: dict) -> list[str]:
    """The human-readable report."""
    lines = [
        f"device {r['device']}" + (f" ({r['gpu']})" if r.get("gpu") else "")
        + f"; CPU {r['cpu']}, {r['cores']} cores, {r['threads']} torch threads; torch {r['torch']}"
        + (f"; 1-min load average {r['load_average_1min']:.2f}" if r.get("load_average_1min") is not None else ""),
        f"data: {r['source']} ({r['n_samples']:,} digits), {model_words(r)}, batch {r['batch_size']}, "
        f"{r['epochs']} epoch(s) x {r['repeats']} interleaved pass(es), medians of {r['chunks']['trainer']} chunks",
        f"article's loop as written : {r['article_samples_per_s']:>10,.0f} samples/s "
        f"(val acc {r['article_val_acc']:.3f}, {r['article_steps_per_epoch']} steps/epoch, {r['article_status']})",
        f"this trainer ({r['fast_path']}): {r['trainer_samples_per_s']:>10,.0f} samples/s "
        f"(val acc {r['trainer_val_acc']:.3f}, {r['trainer_steps_per_epoch']} steps/epoch)",
        f"this trainer, eager       : {r['trainer_eager_samples_per_s']:>10,.0f} samples/s "
        f"(val acc {r['trainer_eager_val_acc']:.3f})",
        f"this trainer, bf16 autocast (opt-in): {r['trainer_bf16_samples_per_s']:>10,.0f} samples/s "
        f"(val acc {r['trainer_bf16_val_acc']:.3f}), {r['speedup_bf16']:.2f}x the article's loop",
        f"speedup (trainer / article): {r['speedup']:.2f}x (median of back-to-back chunk ratios; "
        f"quartiles {r['speedup_quartiles'][0]:.2f}-{r['speedup_quartiles'][1]:.2f})",
        f"matmul rate {r['matmul_gflops']:.1f} GFLOP/s on ({r['batch_size']}x784)@(784x{r['hidden']}); trainer does "
        f"{r['trainer_gflops']:.1f} GFLOP/s = {r['fraction_of_matmul']:.0%} of it "
        f"({r['flops_per_sample'] / 1e6:.2f} MFLOP per sample)",
    ]
    lines.append(f"one 5-epoch run of this trainer over {r['five_epochs_n_train']:,} digits: training "
                 f"{r['five_epochs_train_s']:.2f} s, {r['five_epochs_elapsed_s']:.2f} s with the data's move and the "
                 f"accuracy after each epoch (val acc {r['five_epochs_val_acc']:.3f})")
    png = r.get("png")
    if png:
        lines.append(f"PNG folder, {png['n_images']:,} files: serial Pillow {png['serial_pillow_s']:.2f} s, "
                     f"this loader cold {png['parallel_cold_s']:.2f} s ({png.get('workers', '?')} workers), "
                     f"cached {png['cached_s']:.3f} s")
    lines.append(f"single-digit prediction (preprocess + predict_proba, CPU): median {r['latency_ms_median']:.2f} ms "
                 f"(preprocess {r['preprocess_ms_median']:.2f} ms) over {r['latency_runs']} runs")
    return lines


def bench_command(args: argparse.Namespace) -> int:
    from pytorch_explorer.bench.digits import run_bench

    result = run_bench(bench_config(args))
    for line in report_lines(result):
        print(line)
    if args.json:
        print(json.dumps(result))
    return 0
