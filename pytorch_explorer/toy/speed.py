"""numpy against PyTorch, time per epoch, on the article's tiny problem and on a larger one.

Both libraries run the same hand-written back-propagation (implementations 1 and 3 of
`pytorch_explorer.toy.backprop`), in float32, so the comparison is of the libraries, not of the maths.
PyTorch runs on every device this machine has (`devices.available_devices`). On a GPU the data
and weights live on the device and the clock waits for the GPU (`torch.cuda.synchronize`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import torch

from pytorch_explorer.core.devices import available_devices, resolve_device
from pytorch_explorer.i18n import translate
from pytorch_explorer.toy.backprop import apply_updates, numpy_backprop, torch_fixed_backprop
from pytorch_explorer.toy.settings import article_data, parameter_shapes

# name: (samples, features, hidden units)
PROBLEMS = {"tiny": (3, 4, 3), "large": (10_000, 64, 256)}
PROBLEM_TITLES = {"tiny": "the article's 3 x 4, 3 hidden", "large": "synthetic 10,000 x 64, 256 hidden"}


@dataclass(frozen=True)
class SpeedRow:
    problem: str
    library: str  # "numpy" or "torch"
    device: str  # "cpu", "cuda:0", "mps"
    epochs: int
    ms_per_epoch: float

    def as_dict(self) -> dict:
        return asdict(self)


def problem_name(problem: str, lang: str = "en") -> str:
    """A problem's key ("tiny", "large", as the speed table holds it) as a learner reads it in `lang`."""
    return {"tiny": translate("tiny", lang), "large": translate("large", lang)}.get(problem, problem)


def make_problem(problem: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """X, y and initial weights (float32) for "tiny" (the article's) or "large" (synthetic)."""
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}, not {problem!r}")
    samples, features, hidden = PROBLEMS[problem]
    rng = np.random.default_rng(seed)
    if problem == "tiny":
        X, y = article_data("float32")
    else:
        X = rng.standard_normal((samples, features)).astype(np.float32)
        y = (X @ rng.standard_normal(features) > 0).astype(np.float32)[:, None]
    scale = 1.0 if problem == "tiny" else 0.1
    shapes = parameter_shapes(features, hidden)
    weights = {name: (rng.standard_normal(shape) * scale).astype(np.float32) for name, shape in shapes.items()}
    return X, y, weights


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_per_epoch(problem: str, library: str, device: str = "cpu", epochs: int = 20,
                   lr: float = 1e-4, warmup: int = 3) -> float:
    """Seconds per epoch of hand-written backprop (forward, backward, update), after `warmup` epochs."""
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, not {epochs}")
    X, y, weights = make_problem(problem)
    if library == "numpy":
        p = {name: w.copy() for name, w in weights.items()}

        def epoch() -> None:
            _, updates = numpy_backprop(X, y, p)
            apply_updates(p, updates, lr)

        def sync() -> None:
            return None
    elif library == "torch":
        dev = resolve_device(device)
        Xt, yt = torch.from_numpy(X).to(dev), torch.from_numpy(y).to(dev)
        pt = {name: torch.from_numpy(w).to(dev) for name, w in weights.items()}

        def epoch() -> None:
            _, updates = torch_fixed_backprop(Xt, yt, pt)
            apply_updates(pt, updates, lr)

        def sync() -> None:
            _sync(dev)
    else:
        raise ValueError(f"library must be 'numpy' or 'torch', not {library!r}")
    with np.errstate(over="ignore"):
        for _ in range(warmup):
            epoch()
        sync()
        start = time.perf_counter()
        for _ in range(epochs):
            epoch()
        sync()
        return (time.perf_counter() - start) / epochs


def speed_table(epochs: dict[str, int] | None = None, devices: list[str] | None = None) -> list[SpeedRow]:
    """Time numpy (CPU) and torch (each device) on both problems. epochs: per problem."""
    epochs = {"tiny": 500, "large": 10, **(epochs or {})}
    devices = devices if devices is not None else [d.name for d in available_devices()]
    rows = []
    for problem in PROBLEMS:
        n = int(epochs[problem])
        rows.append(SpeedRow(problem, "numpy", "cpu", n, 1000 * time_per_epoch(problem, "numpy", "cpu", n)))
        for device in devices:
            rows.append(SpeedRow(problem, "torch", device, n, 1000 * time_per_epoch(problem, "torch", device, n)))
    return rows


def _ms(value: float) -> str:
    return f"{value * 1000:.0f} µs" if value < 1 else f"{value:.1f} ms"


def speed_note(rows: list[SpeedRow], lang: str = "en") -> str:
    """An honest reading of measured rows, in `lang`: where each library wins, and when a GPU helps."""
    if not rows:
        return translate("Nothing measured yet.", lang)
    by = {(r.problem, r.library, r.device): r.ms_per_epoch for r in rows}
    notes = []
    for problem in PROBLEMS:
        numpy_ms = by.get((problem, "numpy", "cpu"))
        torch_cpu = by.get((problem, "torch", "cpu"))
        if numpy_ms is None or torch_cpu is None:
            continue
        faster = "numpy" if numpy_ms < torch_cpu else "torch"
        ratio = max(numpy_ms, torch_cpu) / min(numpy_ms, torch_cpu)
        verdict = (translate("about the same", lang) if ratio < 1.15 else
                   translate("{faster} is {ratio}x faster", lang).format(faster=faster, ratio=f"{ratio:.1f}"))
        line = translate("**{title}**: numpy {numpy}, torch on the CPU {torch} per epoch: {verdict}.", lang).format(
            title=translate(PROBLEM_TITLES[problem], lang), numpy=_ms(numpy_ms), torch=_ms(torch_cpu), verdict=verdict)
        gpus = {d: v for (p, lib, d), v in by.items() if p == problem and lib == "torch" and d != "cpu"}
        for device, value in gpus.items():
            helps = value < min(numpy_ms, torch_cpu)
            line += (translate(" On {device}: {time} (faster than the CPU).", lang) if helps else
                     translate(" On {device}: {time} (slower than the CPU).", lang)).format(device=device, time=_ms(value))
        notes.append(line)
    notes.append(translate(
        "Why: on the tiny problem an epoch is a dozen operations on a few numbers, so the time is the "
        "cost of *calling* each operation (Python, dispatch, and on a GPU a kernel launch and a wait), not "
        "arithmetic; a GPU cannot help there. On the large problem most of the time is matrix products "
        "big enough to keep many cores busy: that is where a GPU pays off.", lang
    ))
    if not any(r.device != "cpu" for r in rows):
        notes.append(translate("No GPU on this machine, so only the CPU was measured.", lang))
    return "\n\n".join(notes)
