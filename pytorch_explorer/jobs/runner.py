"""JobRunner: training runs as jobs in worker processes, admitted by a scheduler, recorded in the run store.

The web server holds one runner (`shared_runner()`); pages submit runs and then only read the store.

    runner = JobRunner(store)                     # max_cpu_jobs: the cores (core.devices.cpu_count())
    run_id = runner.submit(workspace, TrainConfig(epochs=5), name="wide net")
    runner.queue_position(run_id)                 # None once it trains; 2: two runs ahead of it
    runner.queue_note(run_id)                     # "queued: 2 runs ahead of yours"
    runner.stop(workspace, run_id)                # the worker ends it within POLL_S (+ one step event)
    runner.wait(run_id, timeout=60)               # -> the final status (tests, the CLI, the load benchmark)
    runner.shutdown()                             # queued runs and running ones end as "interrupted"

Admission: two lanes. The CPU lane runs at most `max_cpu_jobs` jobs at once (default: one a core); the
rest wait in submission order. The cores but one (left to the server) are shared out between the CPU
jobs that run: each gets (cores - 1) // running torch threads, at least one (one job alone gets them all;
a second job arriving halves them), which its worker applies between steps with torch.set_num_threads in
its own process, never in the server. More threads than free cores is what collapses torch's speed (its
threads wait for each other at every operation), so a job never gets more than its share. Workers run
at a lower priority (nice), so the server answers first.
`threads_per_job` fixes the count instead. The accelerator lane (device "cuda", "mps", or "auto" where one exists) runs
`max_gpu_jobs` at once, beside the CPU jobs. Each job is its own process (forkserver where the OS has
it, with torch preloaded; else spawn), lowered in priority so that the server keeps answering.

A stop is a request in the store, which the worker reads between events; a worker that has not ended
STOP_GRACE_S after the request is killed and the run keeps its last checkpoint. A worker that dies on
its own makes its run "failed"; if the whole server dies, the next RunStore() marks its runs "interrupted".
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess

from pytorch_explorer.core.processes import main_module_hidden, worker_context
from pytorch_explorer.core.devices import cpu_count, mps_available
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits.training import TrainConfig
from pytorch_explorer.jobs.worker import NICE, run_job
from pytorch_explorer.runs.store import RunStore

STOP_GRACE_S = 3.0  # a worker still alive this long after a stop request is killed
LANES = ("cpu", "gpu")


@dataclass
class Job:
    run_id: str
    workspace: str
    lane: str
    submitted: float = field(default_factory=time.monotonic)
    process: BaseProcess | None = None
    stop_status: str = ""  # "stopped"/"interrupted" once asked
    stop_asked: float = 0.0
    threads: Any = None  # a shared int (multiprocessing RawValue): the torch threads the worker should use now


def lane_of(config: TrainConfig) -> str:
    """"gpu" for a run on an accelerator (cuda, mps, or auto where one exists), else "cpu"."""
    device = config.device.strip().lower()
    if device == "auto":
        import torch

        return "gpu" if torch.cuda.is_available() or mps_available() else "cpu"
    return "cpu" if device == "cpu" else "gpu"


class JobRunner:
    """Training jobs in worker processes (see the module docstring)."""

    def __init__(self, store: RunStore, max_cpu_jobs: int | None = None, threads_per_job: int | None = None,
                 max_gpu_jobs: int = 1, nice: int = NICE, poll_s: float = 0.05,
                 context: BaseContext | None = None) -> None:
        cores = cpu_count()
        self.store = store
        self.cores = cores
        self.max_cpu_jobs = max(1, max_cpu_jobs or max(1, cores // (threads_per_job or 1)))
        self.threads_per_job = threads_per_job  # None: share the cores out between the running CPU jobs
        self.max_gpu_jobs = max(1, max_gpu_jobs)
        self.nice = nice
        self.poll_s = poll_s
        self._context = context or worker_context()  # how workers start (forkserver, else spawn)
        self._queues: dict[str, deque[Job]] = {lane: deque() for lane in LANES}
        self._running: dict[str, Job] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._loop, name="pte-job-scheduler", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ what pages call
    def submit(self, workspace: str, config: TrainConfig, name: str | None = None, kind: str = "digits") -> str:
        """Queue a run; returns its id. It starts as soon as its lane has room (maybe at once)."""
        if self._closed:
            raise ExplorerError("The job runner has shut down: restart the app to train again.")
        name = name or f"{config.label} {config.hidden} hidden, {config.epochs} epochs"
        run_id = self.store.create_run(workspace, kind, name, config.as_dict(), source=config.source)
        with self._lock:
            self._queues[lane_of(config)].append(Job(run_id, workspace, lane_of(config)))
        self._wake.set()
        return run_id

    def stop(self, workspace: str, run_id: str, status: str = "stopped") -> None:
        """Stop a run: a queued one ends at once; a running one at its worker's next look (within a second)."""
        self.store.request_stop(workspace, run_id, status)
        with self._lock:
            for queue in self._queues.values():
                for job in list(queue):
                    if job.run_id == run_id:
                        queue.remove(job)
                        self.store.finish(run_id, status, "Stopped before it started.")
            job = self._running.get(run_id)
            if job is not None and not job.stop_status:
                job.stop_status, job.stop_asked = status, time.monotonic()
        self._wake.set()

    @property
    def closed(self) -> bool:
        return self._closed

    def status(self, workspace: str, run_id: str) -> str:
        """The run's status in the store: queued, running, done, stopped, diverged, failed, interrupted."""
        return self.store.get(workspace, run_id).status

    def queue_position(self, run_id: str) -> int | None:
        """How many runs are ahead of this one in its lane's queue; None if it is not queued here."""
        with self._lock:
            for queue in self._queues.values():
                ids = [job.run_id for job in queue]
                if run_id in ids:
                    return ids.index(run_id)
        return None

    def queue_note(self, run_id: str) -> str:
        """"queued: 2 runs ahead of yours" (or "next to start"), or "" when the run is not queued."""
        ahead = self.queue_position(run_id)
        if ahead is None:
            return ""
        if ahead == 0:
            return "queued: next to start"
        return f"queued: {ahead} run{'s' if ahead > 1 else ''} ahead of yours"

    def running(self) -> list[str]:
        """The ids of the runs training now."""
        with self._lock:
            return list(self._running)

    def wait(self, run_id: str, timeout: float | None = None) -> str:
        """Block until the run has ended (or `timeout` seconds passed); returns its status then."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            status = self.store.run(run_id).status
            with self._lock:
                mine = run_id in self._running or self.queue_position(run_id) is not None
            if status not in ("queued", "running") and not mine:
                return status
            if deadline is not None and time.monotonic() > deadline:
                return status
            time.sleep(0.05)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop admitting; queued runs and running ones end as "interrupted" (running ones keep a checkpoint)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for queue in self._queues.values():
                while queue:
                    job = queue.popleft()
                    self.store.finish(job.run_id, "interrupted", "The server shut down before this run started.")
            for job in self._running.values():
                self.store.request_stop(job.workspace, job.run_id, "interrupted")
                job.stop_status, job.stop_asked = "interrupted", time.monotonic()
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.05)
        with self._lock:
            for job in list(self._running.values()):
                self._kill(job)
        self._wake.set()
        self._thread.join(timeout=2.0)

    # ------------------------------------------------------------------ the scheduler thread
    def _loop(self) -> None:
        while not self._closed:
            try:
                self._reap()
                self._enforce_stops()
                self._admit()
            except Exception:  # noqa: BLE001  (a store hiccup must not kill the scheduler)
                time.sleep(self.poll_s)
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _capacity(self, lane: str) -> int:
        return self.max_cpu_jobs if lane == "cpu" else self.max_gpu_jobs

    def _admit(self) -> None:
        with self._lock:
            for lane, queue in self._queues.items():
                busy = sum(1 for job in self._running.values() if job.lane == lane)
                while queue and busy < self._capacity(lane) and not self._closed:
                    job = queue.popleft()
                    job.threads = self._context.RawValue("i", 1)
                    job.process = self._context.Process(target=run_job, name=f"pte-job-{job.run_id}", daemon=True,
                                                        args=(str(self.store.root), job.run_id, job.threads, self.nice))
                    self._running[job.run_id] = job
                    self._share_cores()
                    with main_module_hidden():  # the worker must not re-run a page script (see core.processes)
                        job.process.start()
                    busy += 1

    def threads_now(self) -> int:
        """The torch threads each running CPU job gets now (threads_per_job, or the cores shared out)."""
        with self._lock:
            if self.threads_per_job:
                return self.threads_per_job
            cpu_jobs = sum(1 for job in self._running.values() if job.lane == "cpu")
            return max(1, (self.cores - 1) // max(1, cpu_jobs))  # one core left for the server's own threads

    def _share_cores(self) -> None:
        """Tell every running job its thread count (a job on an accelerator needs one for its Python loop)."""
        threads = self.threads_now()
        for job in self._running.values():
            if job.threads is not None:
                job.threads.value = threads if job.lane == "cpu" else 1

    def _reap(self) -> None:
        with self._lock:
            for job in list(self._running.values()):
                assert job.process is not None
                if job.process.is_alive():
                    continue
                job.process.join()
                del self._running[job.run_id]
                self._share_cores()
                if self.store.run(job.run_id).active:  # the worker died without recording an end
                    message = (f"Stopped; {kept(self.store, job.run_id)}." if job.stop_status else
                               f"The worker process ended unexpectedly (exit code {job.process.exitcode}); "
                               f"{kept(self.store, job.run_id)}.")
                    self.store.finish(job.run_id, job.stop_status or "failed", message)

    def _enforce_stops(self) -> None:
        with self._lock:
            for job in list(self._running.values()):
                if job.stop_status and time.monotonic() - job.stop_asked > STOP_GRACE_S:
                    self._kill(job)

    def _kill(self, job: Job) -> None:
        """End a worker that did not stop when asked; its run keeps the last checkpoint it wrote."""
        assert job.process is not None
        job.process.kill()
        job.process.join(timeout=5.0)
        self._running.pop(job.run_id, None)
        self._share_cores()
        if self.store.run(job.run_id).active:
            self.store.finish(job.run_id, job.stop_status or "failed", f"Stopped; {kept(self.store, job.run_id)}.")


def kept(store: RunStore, run_id: str) -> str:
    """What a cut-off run keeps: "its checkpoint of epoch 3 is kept" or "it had no checkpoint yet"."""
    epoch = store.run(run_id).checkpoint_epoch
    return f"its checkpoint of epoch {epoch} is kept" if epoch else "it had no checkpoint yet"


_SHARED: JobRunner | None = None
_SHARED_LOCK = threading.Lock()


def shared_runner(store: RunStore | None = None) -> JobRunner:
    """The process-wide runner (on the default store unless one is given the first time); shut down at exit."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None or _SHARED.closed:
            _SHARED = JobRunner(store if store is not None else RunStore())
            atexit.register(_SHARED.shutdown)
        return _SHARED
