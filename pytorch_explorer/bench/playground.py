"""Frames per second of the Toy playground's live panel, package side.

Per frame: the training slice the page runs while playing, plus `playground.live.Frame` (what the page
draws: the gradient magnitudes and what went wrong in words, every unit over the plane, the network picture with
its node heatmaps, the output over the plane, the loss curves), its figures serialised to JSON as
st.plotly_chart does. The browser's own drawing is not in it: the playground's browser test prints the redraws
a second a real browser shows (docs/benchmarks.md).
"""

from __future__ import annotations

import statistics
import time

import torch

from pytorch_explorer.core.threads import SERVER_THREADS
from pytorch_explorer.playground.config import PlaygroundConfig, parse_layers
from pytorch_explorer.playground.live import FRAME_SECONDS, SLICE_SECONDS, Frame
from pytorch_explorer.playground.trainer import PlaygroundTrainer


def redraw(trainer: PlaygroundTrainer, heatmaps: bool) -> int:
    """Everything the live panel builds for one frame; returns the bytes of JSON it sends."""
    shown = Frame(trainer, heatmaps=heatmaps)
    return sum(len(f.to_json()) for f in (shown.network, shown.output, shown.losses))


def playground_frames(layers: str = "8-8-8-8", problem: str = "spiral", batch_size: int = 10, frames: int = 30,
                      heatmaps: bool = True, threads: int = SERVER_THREADS) -> dict:
    """Time `frames` frames of a network training on a problem; the medians, in a dict for --json."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        trainer = PlaygroundTrainer(PlaygroundConfig(problem=problem, layers=parse_layers(layers),
                                                     batch_size=batch_size))
        redraw(trainer, heatmaps)  # warm-up
        train_s, draw_s, epochs, sent = [], [], [], 0
        for _ in range(frames):
            t0 = time.perf_counter()
            epochs.append(trainer.train_for(SLICE_SECONDS))
            t1 = time.perf_counter()
            sent = redraw(trainer, heatmaps)
            train_s.append(t1 - t0)
            draw_s.append(time.perf_counter() - t1)
    finally:
        torch.set_num_threads(before)
    frame = statistics.median(t + d for t, d in zip(train_s, draw_s, strict=True))
    return {"layers": layers, "problem": problem, "batch_size": batch_size, "heatmaps": heatmaps, "threads": threads,
            "frames": frames, "train_ms": 1e3 * statistics.median(train_s),
            "epochs_per_frame": statistics.median(epochs), "epochs_per_s": sum(epochs) / sum(train_s),
            "redraw_ms": 1e3 * statistics.median(draw_s), "redraw_ms_p90": 1e3 * sorted(draw_s)[int(0.9 * frames)],
            "json_kb": sent / 1e3, "frame_ms": 1e3 * frame, "frames_per_s": 1 / frame,
            "frames_per_s_at_period": 1 / max(frame, FRAME_SECONDS)}


def report(r: dict) -> list[str]:
    return [f"network {r['layers']} on {r['problem']}, batch {r['batch_size']}, {r['threads']} torch thread(s), "
            f"heatmaps {'on' if r['heatmaps'] else 'off'}, {r['frames']} frames",
            f"  train slice: median {r['train_ms']:.0f} ms, {r['epochs_per_frame']} epochs a frame "
            f"({r['epochs_per_s']:.1f} epochs/s)",
            f"  redraw (figures + JSON, {r['json_kb']:.0f} kB): median {r['redraw_ms']:.0f} ms, "
            f"p90 {r['redraw_ms_p90']:.0f} ms",
            f"  frame: median {r['frame_ms']:.0f} ms -> {r['frames_per_s']:.1f} frames/s back to back; at the page's "
            f"{FRAME_SECONDS:g} s period: {r['frames_per_s_at_period']:.1f} frames/s"]
