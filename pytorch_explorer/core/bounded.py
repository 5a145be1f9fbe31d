"""The hard budget behind what a learner types: a call runs first in a worker process that cannot
exceed a time and memory budget, and only a call seen to fit runs in the server.

The tensor playground and the autograd explorer evaluate expressions a learner writes. The cost
estimates (`tensors/cost.py`) refuse before anything runs what they can see is too big; this module is
the stop behind them, for whatever an estimate gets wrong:

    check(run_with_twin, source, tensors)     # returns when it fits; raises BudgetError when it does not
    value, twin, verdict = run_with_twin(source, tensors)   # then the real call, in the server

`check` sends the call to a worker process (one of at most `WORKERS`, started once with torch imported
and reused) whose address space is capped with `RLIMIT_AS` at what it held after start plus
`MEMORY_BYTES`, and which runs torch on one thread at a lower priority. A call still running after
`SECONDS` is killed with its worker (a new one replaces it); one whose allocation fails, or whose worker
dies, is refused as too much memory. Whatever the call returns or raises inside the budget is dropped:
the real call then runs in the server, because its result may hold what a process boundary cannot carry
(an autograd graph), and an error it raises is the learner's to see, from the real call.

The price is running an accepted expression twice; the expressions of a lesson take milliseconds.
Where the OS has no `RLIMIT_AS` (macOS, Windows) only the time limit holds.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from pytorch_explorer.core.errors import BudgetError
from pytorch_explorer.core.memory import address_space_bytes
from pytorch_explorer.core.processes import main_module_hidden

SECONDS = 10.0  # one call's wall-clock budget in the worker
MEMORY_BYTES = 2 * 1024**3  # what one call may allocate, above the worker's footprint after start
WORKERS = 2  # calls checked at once (more sessions wait their turn)
START_TIMEOUT_S = 120.0  # importing torch in a new worker on a busy machine; not part of any budget
NICE = 5
MEMORY_WORDS = ("can't allocate memory", "not enough memory", "out of memory", "cannot allocate memory")


class BudgetExceeded(BudgetError):
    """The call did not fit in the time or memory one request may use."""


def _limit_memory(budget: int) -> bool:
    """Cap this process's address space at its size now plus `budget`; False where the OS cannot."""
    try:
        import resource
    except ImportError:
        return False
    now = address_space_bytes()
    if not now:
        return False
    limit = now + budget
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return True


def _is_memory_error(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or any(word in str(exc).lower() for word in MEMORY_WORDS)


def serve(conn: Connection, memory_bytes: int) -> None:
    """The worker's body: import torch, cap memory, then run calls until the pipe closes."""
    import torch

    torch.set_num_threads(1)  # this process's own setting, never the server's
    try:
        os.nice(NICE)
    except OSError:
        pass
    capped = _limit_memory(memory_bytes)
    conn.send(("ready", capped))
    while True:
        try:
            fn, args, kwargs = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        try:
            fn(*args, **kwargs)
            outcome = "done"
        except BaseException as exc:  # noqa: BLE001 - the real call in the server will raise it properly
            outcome = "memory" if _is_memory_error(exc) else "done"
        try:
            conn.send((outcome, None))
        except (OSError, ValueError):
            return


class Worker:
    """One worker process and its end of the pipe."""

    def __init__(self, memory_bytes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        with main_module_hidden():  # under Streamlit __main__ is the page script: the worker needs none of it
            self.process: BaseProcess = ctx.Process(target=serve, args=(child, memory_bytes), daemon=True,
                                                    name="pte-bounded")
            self.process.start()
        child.close()
        self.ready = False
        self.capped = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_TIMEOUT_S):
            self.kill()
            raise BudgetError("The checking process did not start in time; the server is very busy. Try again.")
        _, self.capped = self.conn.recv()
        self.ready = True

    def call(self, payload: bytes, seconds: float) -> str:
        """"done", "memory" or "time"."""
        self.wait_ready()
        try:
            self.conn.send_bytes(payload)
            if not self.conn.poll(seconds):
                return "time"
            outcome, _ = self.conn.recv()
            return outcome
        except (EOFError, OSError):  # the worker died: the kernel or its allocator gave up on its memory
            return "memory"

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


def portable(value: Any) -> Any:
    """`value` made fit to cross to the worker: tensors detached (a leaf that requires grad stays one),
    containers and dataclasses copied with their insides made portable."""
    import torch

    if isinstance(value, torch.Tensor):
        out = value.detach()
        return out.requires_grad_(True) if value.requires_grad and out.is_floating_point() else out
    if isinstance(value, dict):
        return {k: portable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(portable(v) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        try:
            return replace(value, **{f.name: portable(getattr(value, f.name)) for f in fields(value) if f.init})
        except (TypeError, ValueError):
            return value
    return value


class BoundedRunner:
    """At most `workers` worker processes, each running one call at a time under the budget."""

    def __init__(self, seconds: float = SECONDS, memory_bytes: int = MEMORY_BYTES, workers: int = WORKERS) -> None:
        self.seconds, self.memory_bytes = seconds, memory_bytes
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._idle: list[Worker] = []

    def warm(self) -> None:
        """Start one worker now (in the background), so that the first check does not wait for torch."""
        with self._lock:
            if not self._idle:
                self._idle.append(Worker(self.memory_bytes))

    def _take(self) -> Worker:
        with self._lock:
            return self._idle.pop() if self._idle else Worker(self.memory_bytes)

    def check(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run fn(*args, **kwargs) in a worker; return if it ended inside the budget (whatever it returned
        or raised), raise BudgetExceeded if it ran out of time or memory."""
        try:
            payload = pickle.dumps((fn, portable(args), portable(kwargs)))
        except (pickle.PicklingError, TypeError, AttributeError, RuntimeError) as exc:
            raise BudgetError("This cannot be checked against the time and memory budget ({reason}).",
                              reason=exc) from exc
        with self._slots:
            worker = self._take()
            outcome = "memory"
            try:
                outcome = worker.call(payload, self.seconds)
            finally:
                if outcome == "done":
                    with self._lock:
                        self._idle.append(worker)
                else:
                    worker.kill()  # out of time (still running) or out of memory: a fresh worker next time
        if outcome == "time":
            raise BudgetExceeded(
                "That would take too long: it was still running after {seconds:g} s, so it was stopped. "
                "Try smaller tensors or fewer steps.", seconds=self.seconds,
            )
        if outcome == "memory":
            raise BudgetExceeded(
                "That would take too much memory: it needed more than {gb:.1f} GB, so it was stopped. "
                "Try smaller tensors.", gb=self.memory_bytes / 1024**3,
            )

    def shutdown(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_shared: BoundedRunner | None = None
_shared_lock = threading.Lock()


def shared_bounded() -> BoundedRunner:
    """The one BoundedRunner of this process (the web server's, shared by every session)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = BoundedRunner()
            atexit.register(_shared.shutdown)
        return _shared


def check(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """`shared_bounded().check(...)`: see the module docstring."""
    shared_bounded().check(fn, *args, **kwargs)
