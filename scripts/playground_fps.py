"""Frames per second of the Toy playground's live panel, package side: per frame, the training slice the page
runs while playing plus everything it builds to redraw (node grids, the network picture with its node
heatmaps, the output over the plane, the loss curves, the gradient magnitudes), serialised to JSON as
st.plotly_chart does. The browser's own drawing is not in it (tests/playground's browser test prints that).

    python scripts/playground_fps.py                      # 4 hidden layers of 8, node heatmaps on
    python scripts/playground_fps.py --layers 4-2 --no-heatmaps --frames 20
    python scripts/playground_fps.py --threads 2          # torch's thread pool as it was before the server used 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from pytorch_explorer.core.threads import SERVER_THREADS  # noqa: E402
from pytorch_explorer.playground import figures  # noqa: E402
from pytorch_explorer.playground.config import PlaygroundConfig, parse_layers  # noqa: E402
from pytorch_explorer.playground.trainer import PlaygroundTrainer, diagnosis  # noqa: E402

SLICE_SECONDS = 0.12  # pages/playground.py trains this long a frame
FRAME_SECONDS = 0.1   # and asks for a frame this often (st.fragment(run_every=...))
GRID_RESOLUTION = 40  # ui/playground.py draws every node and the output from one grid this fine


def redraw(trainer: PlaygroundTrainer, heatmaps: bool) -> int:
    """Everything the live panel builds for one frame; returns the bytes sent."""
    magnitudes = trainer.gradient_magnitudes()
    diagnosis(trainer, magnitudes)
    xs, grids = trainer.node_grids(GRID_RESOLUTION)
    network = figures.network_figure(grids if heatmaps else None, trainer.weights(), trainer.config.features)
    output = figures.output_figure(xs, grids[-1][0], trainer.X_train, trainer.y_train, None, None)
    losses = figures.loss_figure(trainer.train_losses, trainer.test_losses)
    return sum(len(f.to_json()) for f in (network, output, losses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", default="8-8-8-8")
    parser.add_argument("--problem", default="spiral")
    parser.add_argument("--batch-size", type=int, default=10)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--no-heatmaps", action="store_true")
    parser.add_argument("--threads", type=int, default=SERVER_THREADS,
                        help=f"torch threads (default {SERVER_THREADS}, as the app's server uses)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    trainer = PlaygroundTrainer(PlaygroundConfig(problem=args.problem, layers=parse_layers(args.layers),
                                                 batch_size=args.batch_size))
    redraw(trainer, not args.no_heatmaps)  # warm-up
    train_s, draw_s, epochs, sent = [], [], [], 0
    for _ in range(args.frames):
        t0 = time.perf_counter()
        epochs.append(trainer.train_for(SLICE_SECONDS))
        t1 = time.perf_counter()
        sent = redraw(trainer, not args.no_heatmaps)
        t2 = time.perf_counter()
        train_s.append(t1 - t0)
        draw_s.append(t2 - t1)
    frame = statistics.median(t + d for t, d in zip(train_s, draw_s, strict=True))
    draw = statistics.median(draw_s)
    print(f"network {args.layers} on {args.problem}, batch {args.batch_size}, {args.threads} torch thread(s), heatmaps "
          f"{'off' if args.no_heatmaps else 'on'}, {args.frames} frames")
    print(f"  train slice: median {statistics.median(train_s) * 1e3:.0f} ms, "
          f"{statistics.median(epochs)} epochs a frame ({sum(epochs) / sum(train_s):.1f} epochs/s)")
    print(f"  redraw (figures + JSON, {sent / 1e3:.0f} kB): median {draw * 1e3:.0f} ms, p90 "
          f"{sorted(draw_s)[int(0.9 * len(draw_s))] * 1e3:.0f} ms")
    print(f"  frame: median {frame * 1e3:.0f} ms -> {1 / frame:.1f} frames/s back to back; at the page's "
          f"{FRAME_SECONDS:g} s period: {1 / max(frame, FRAME_SECONDS):.1f} frames/s")


if __name__ == "__main__":
    main()
