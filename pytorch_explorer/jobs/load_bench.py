"""The load benchmark: N training sessions at once through the scheduler, against one session alone.

    python -m pytorch_explorer bench load --sessions 4 [--epochs 30] [--hidden 500] [--url http://localhost:8501]

Each session is one digit-training job (the bundled digits by default), submitted at the same moment
to a JobRunner with the default admission (CPU jobs capped at the cores, their threads split between
them) on a temporary run store. A session's figures come from the store, as a page would read them:

- per job: the trainer's samples/s (training time only), its queueing, its wall time from submit to end;
- total: all jobs' samples / the wall time from the first submit to the last end (start-up, data loading,
  per-epoch evaluation and checkpoints included), and the same for one job alone: `fair_share` is the
  ratio, N sessions' total throughput as a fraction of one session's (the issue asks for at least 0.8).

With `url`, a thread polls URL/_stcore/health (a running Streamlit server) every 0.2 s while the jobs
train and reports the median and worst response times.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

from pytorch_explorer.core.devices import cpu_count
from pytorch_explorer.digits.training import TrainConfig
from pytorch_explorer.jobs.runner import JobRunner
from pytorch_explorer.runs.store import RunStore
from pytorch_explorer.runs.workspaces import new_workspace_id


@dataclass(frozen=True)
class LoadBenchConfig:
    sessions: int = 4
    epochs: int = 30
    hidden: int = 500
    batch_size: int = 128
    source: str = "bundled"
    device: str = "cpu"
    url: str | None = None  # a running app: poll its health endpoint during the load
    max_cpu_jobs: int | None = None  # None: the runner's default (the cores)
    threads_per_job: int | None = None  # None: the runner's default (the cores shared out between running jobs)
    alone: bool = True  # also time one job alone (the baseline)

    def train_config(self) -> TrainConfig:
        return TrainConfig(source=self.source, hidden=self.hidden, batch_size=self.batch_size, epochs=self.epochs,
                           device=self.device)


class HealthProbe:
    """Polls URL/_stcore/health from a thread; `stop()` returns the response times in ms (failures: None)."""

    def __init__(self, url: str, every_s: float = 0.2) -> None:
        self.url = url.rstrip("/") + "/_stcore/health"
        self.every_s = every_s
        self.times_ms: list[float | None] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="pte-health-probe", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:  # noqa: S310  (http(s) URL the user gave)
                    response.read()
                self.times_ms.append((time.perf_counter() - started) * 1000)
            except OSError:
                self.times_ms.append(None)
            self._done.wait(self.every_s)

    def stop(self) -> dict[str, Any]:
        self._done.set()
        self._thread.join(timeout=35)
        answered = sorted(t for t in self.times_ms if t is not None)
        return {"url": self.url, "polls": len(self.times_ms), "failures": len(self.times_ms) - len(answered),
                "median_ms": statistics.median(answered) if answered else None,
                "p95_ms": answered[int(0.95 * (len(answered) - 1))] if answered else None,
                "worst_ms": answered[-1] if answered else None}


def measure(runner: JobRunner, config: TrainConfig, sessions: int) -> dict[str, Any]:
    """Submit `sessions` identical jobs at once, wait for all; per-job and total figures."""
    store = runner.store
    workspaces = [new_workspace_id() for _ in range(sessions)]
    started = time.time()
    runs = [(ws, runner.submit(ws, config, name=f"session {i + 1}")) for i, ws in enumerate(workspaces)]
    statuses = [runner.wait(run_id) for _, run_id in runs]
    records = [store.get(ws, run_id) for ws, run_id in runs]
    ended = max(r.finished or time.time() for r in records)
    wall = ended - started
    jobs = [{"status": status, "samples": int(r.summary.get("samples_seen", 0)),
             "train_samples_per_s": float(r.summary.get("samples_per_s", 0.0)),
             "queued_s": (r.started or r.created) - r.created, "wall_s": (r.finished or ended) - r.created,
             "val_acc": r.val_acc, "threads_at_start": r.summary.get("threads")}
            for status, r in zip(statuses, records, strict=True)]
    total = sum(j["samples"] for j in jobs)
    return {"sessions": sessions, "wall_s": wall, "total_samples": total, "total_samples_per_s": total / wall,
            "per_job_samples_per_s": [j["samples"] / j["wall_s"] for j in jobs],
            "per_job_train_samples_per_s": [j["train_samples_per_s"] for j in jobs],
            "all_done": all(s == "done" for s in statuses), "jobs": jobs}


def run_load_bench(config: LoadBenchConfig) -> dict[str, Any]:
    """One job alone, then `sessions` at once, on a temporary store; see the module docstring."""
    if config.sessions < 1:
        raise ValueError(f"sessions must be at least 1, not {config.sessions}")
    train = config.train_config()
    with tempfile.TemporaryDirectory(prefix="pte-load-bench-") as folder:
        store = RunStore(folder)
        runner = JobRunner(store, max_cpu_jobs=config.max_cpu_jobs, threads_per_job=config.threads_per_job)
        try:
            measure(runner, TrainConfig(source=config.source, hidden=16, epochs=1, device=config.device), 1)  # warm-up
            alone = measure(runner, train, 1) if config.alone else None
            probe = HealthProbe(config.url) if config.url else None
            loaded = measure(runner, train, config.sessions)
            health = probe.stop() if probe is not None else None
        finally:
            runner.shutdown()
            store.close()
    fair = loaded["total_samples_per_s"] / alone["total_samples_per_s"] if alone else None
    return {"config": asdict(config), "cores": cpu_count(), "max_cpu_jobs": runner.max_cpu_jobs,
            "threads_per_job": runner.threads_per_job, "alone": alone, "loaded": loaded, "fair_share": fair,
            "health": health}


def report_lines(result: dict[str, Any]) -> list[str]:
    """The human-readable report of run_load_bench."""
    c, loaded, alone = result["config"], result["loaded"], result["alone"]
    lines = [f"{c['sessions']} session(s) training MLP 784-{c['hidden']}-10 on {c['source']}, {c['epochs']} epochs, "
             f"batch {c['batch_size']}, {c['device']}; {result['cores']} cores: at most {result['max_cpu_jobs']} "
             f"CPU job(s) at once, " + (f"{result['threads_per_job']} torch thread(s) each" if result["threads_per_job"]
                                         else "the cores shared out between them")]
    if alone:
        lines.append(f"one job alone     : {alone['total_samples_per_s']:>9,.0f} samples/s over {alone['wall_s']:.1f} s "
                     f"(trainer's own rate {alone['per_job_train_samples_per_s'][0]:,.0f})")
    per_job = loaded["per_job_samples_per_s"]
    lines.append(f"{c['sessions']} jobs at once   : {loaded['total_samples_per_s']:>9,.0f} samples/s in total over "
                 f"{loaded['wall_s']:.1f} s; per job {min(per_job):,.0f}-{max(per_job):,.0f} samples/s "
                 f"(trainer's own rate median {statistics.median(loaded['per_job_train_samples_per_s']):,.0f}); "
                 f"longest queue {max(j['queued_s'] for j in loaded['jobs']):.1f} s"
                 + ("" if loaded["all_done"] else "; NOT ALL DONE"))
    if result["fair_share"] is not None:
        lines.append(f"total throughput with {c['sessions']} sessions = {result['fair_share']:.0%} of one session alone")
    health = result["health"]
    if health:
        median = f"{health['median_ms']:.0f}" if health["median_ms"] is not None else "-"
        worst = f"{health['worst_ms']:.0f}" if health["worst_ms"] is not None else "-"
        lines.append(f"{health['url']}: median {median} ms, worst {worst} ms over {health['polls']} polls "
                     f"({health['failures']} failed)")
    return lines
