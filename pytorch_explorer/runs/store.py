"""RunStore: every training run of every workspace, in one SQLite file plus one checkpoint file a run.

Layout under `root` (by default `data_dir()/runs`, so `$PTE_DATA_DIR/runs`):

    runs.sqlite                         the runs table and their step/epoch metrics (WAL mode)
    <workspace>/<run id>/checkpoint.pt  the run's latest checkpoint (save_checkpoint's format)
    owners/<token>.lock                 locks held by the live processes that own queued/running runs

Safety: every change is one SQLite transaction and every checkpoint is written to a temporary file and
moved into place with `os.replace`, so a process killed at any instant (kill -9) leaves the old state or
the new one. On open, runs left "queued" or "running" by a process that is no longer alive (its owner
lock is free) become "interrupted", keeping their last checkpoint.

Reading and changing runs always names the workspace (`get(workspace, run_id)`): a run of another
workspace is a RunNotFound, the same as a run that does not exist. The writer methods the job worker
uses (`claim`, `record`, `write_checkpoint`, `finish`) take the run id alone.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytorch_explorer.core.errors import ExplorerError, Term
from pytorch_explorer.core.paths import data_dir
from pytorch_explorer.runs.files import OwnerLock, atomic_write, owner_alive, remove_temporaries
from pytorch_explorer.runs.workspaces import RunNotFound, check_run_id, check_workspace_id, new_run_id

STATUSES = ("queued", "running", "done", "stopped", "diverged", "failed", "interrupted")
ACTIVE_STATUSES = ("queued", "running")
CHECKPOINT_NAME = "checkpoint.pt"
MAX_NAME = 120

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY, workspace TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '', config TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL, updated REAL NOT NULL, started REAL, finished REAL,
    steps INTEGER NOT NULL DEFAULT 0, total_steps INTEGER NOT NULL DEFAULT 0, epoch INTEGER NOT NULL DEFAULT 0,
    loss REAL, train_acc REAL, val_acc REAL, samples_per_s REAL NOT NULL DEFAULT 0,
    train_seconds REAL NOT NULL DEFAULT 0, elapsed_s REAL NOT NULL DEFAULT 0,
    checkpoint TEXT, checkpoint_epoch INTEGER, summary TEXT NOT NULL DEFAULT '{}',
    owner TEXT, pid INTEGER, stop_request TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_workspace ON runs (workspace, created);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, kind TEXT NOT NULL,
    step INTEGER NOT NULL, epoch INTEGER NOT NULL, loss REAL, accuracy REAL, train_acc REAL, val_acc REAL,
    samples_per_s REAL, elapsed_s REAL, seconds REAL,
    PRIMARY KEY (run_id, kind, step)
);
"""
METRIC_FIELDS = ("kind", "step", "epoch", "loss", "accuracy", "train_acc", "val_acc", "samples_per_s",
                 "elapsed_s", "seconds")
PROGRESS_FIELDS = ("steps", "total_steps", "epoch", "loss", "train_acc", "val_acc", "samples_per_s",
                   "train_seconds", "elapsed_s", "device")


@dataclass(frozen=True)
class RunRecord:
    """One run as the store has it now (a snapshot: read it again to see progress)."""

    id: str
    workspace: str
    kind: str  # which page made it: "digits", "toy", ...
    name: str
    source: str  # the data source spec ("bundled", "csv:...")
    config: dict[str, Any]
    status: str  # one of STATUSES
    message: str
    device: str
    created: float  # Unix times
    updated: float
    started: float | None
    finished: float | None
    steps: int
    total_steps: int
    epoch: int
    loss: float | None
    train_acc: float | None
    val_acc: float | None
    samples_per_s: float
    train_seconds: float
    elapsed_s: float
    checkpoint: Path | None  # absolute path of the latest checkpoint, None before the first epoch
    checkpoint_epoch: int | None
    summary: dict[str, Any] = field(default_factory=dict)  # the final metrics (TrainedModel.metrics)
    stop_request: str | None = None  # "stopped" or "interrupted" once a stop was asked for
    pid: int | None = None  # the worker process that trains (or trained) it

    @property
    def active(self) -> bool:
        """Queued or training now."""
        return self.status in ACTIVE_STATUSES

    @property
    def progress(self) -> float:
        return min(1.0, self.steps / self.total_steps) if self.total_steps else 0.0

    def row(self) -> dict[str, Any]:
        """A flat dict for a table of runs."""
        return {"id": self.id, "name": self.name, "kind": self.kind, "status": self.status, "source": self.source,
                "epoch": self.epoch, "steps": self.steps, "val_acc": self.val_acc, "train_acc": self.train_acc,
                "samples_per_s": round(self.samples_per_s), "seconds": round(self.train_seconds, 2),
                "device": self.device, "created": self.created}


class RunStore:
    """The runs of all workspaces (see the module docstring). Safe to share between threads."""

    def __init__(self, root: str | Path | None = None, *, recover: bool = True) -> None:
        self.root = Path(root) if root is not None else data_dir() / "runs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "runs.sqlite"
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        for statement in SCHEMA.split(";"):
            if statement.strip():
                self._db.execute(statement)
        self._owner: OwnerLock | None = None
        self.interrupted: list[str] = self.recover() if recover else []

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the database and give up this store's owner lock (its queued runs count as abandoned)."""
        with self._lock:
            if self._owner is not None:
                self._owner.release()
                self._owner = None
            self._db.close()

    @property
    def owner_token(self) -> str:
        """This process's owner token for this store, locked on first use (see files.OwnerLock)."""
        with self._lock:
            if self._owner is None:
                self._owner = OwnerLock(self.root / "owners")
            return self._owner.token

    def run_folder(self, workspace: str, run_id: str) -> Path:
        return self.root / check_workspace_id(workspace) / check_run_id(run_id)

    def _record(self, row: sqlite3.Row) -> RunRecord:
        values = {k: row[k] for k in row.keys() if k != "owner"}
        values["config"] = json.loads(values["config"])
        values["summary"] = json.loads(values["summary"])
        values["checkpoint"] = self.root / values["checkpoint"] if values["checkpoint"] else None
        return RunRecord(**values)

    def _row(self, run_id: str) -> sqlite3.Row:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (check_run_id(run_id),))
        if not rows:
            raise RunNotFound("There is no run {run_id}.", run_id=run_id)
        return rows[0]

    # ------------------------------------------------------------------ a workspace's view
    def list_runs(self, workspace: str, kind: str | None = None, source: str | None = None) -> list[RunRecord]:
        """The workspace's runs, newest first; optionally only one kind (page) and/or one data source."""
        sql, params = "SELECT * FROM runs WHERE workspace = ?", [check_workspace_id(workspace)]
        if kind is not None:
            sql, params = sql + " AND kind = ?", [*params, kind]
        if source is not None:
            sql, params = sql + " AND source = ?", [*params, source]
        return [self._record(r) for r in self._read(sql + " ORDER BY created DESC, rowid DESC", tuple(params))]

    def get(self, workspace: str, run_id: str) -> RunRecord:
        """One run of this workspace, or RunNotFound (also for another workspace's run)."""
        rows = self._read("SELECT * FROM runs WHERE workspace = ? AND id = ?",
                          (check_workspace_id(workspace), check_run_id(run_id)))
        if not rows:
            raise RunNotFound("This workspace has no run {run_id}: it was deleted, or belongs to another browser.",
                              run_id=run_id)
        return self._record(rows[0])

    def metrics(self, workspace: str, run_id: str, kind: str = "step", after_step: int = -1) -> list[dict[str, Any]]:
        """A run's "step" (or "epoch") metrics in step order; `after_step` gives only the newer ones (polling)."""
        self.get(workspace, run_id)
        rows = self._read(f"SELECT {', '.join(METRIC_FIELDS)} FROM metrics WHERE run_id = ? AND kind = ? AND step > ? "
                          "ORDER BY step", (run_id, kind, after_step))
        return [dict(r) for r in rows]

    def rename(self, workspace: str, run_id: str, name: str) -> RunRecord:
        self.get(workspace, run_id)
        name = clean_name(name)
        with self._write() as db:
            db.execute("UPDATE runs SET name = ?, updated = ? WHERE id = ?", (name, time.time(), run_id))
        return self.get(workspace, run_id)

    def delete(self, workspace: str, run_id: str) -> None:
        """Remove a run, its metrics and its files. A queued or running run must be stopped first."""
        record = self.get(workspace, run_id)
        if record.active:
            raise ExplorerError("{name} is still {status}: stop it before deleting it.", name=record.name,
                                status=Term(record.status))
        with self._write() as db:
            db.execute("DELETE FROM metrics WHERE run_id = ?", (run_id,))
            db.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        shutil.rmtree(self.run_folder(workspace, run_id), ignore_errors=True)

    def checkpoint_bytes(self, workspace: str, run_id: str) -> bytes:
        """The run's latest checkpoint file, as bytes (to download); ExplorerError if it has none yet."""
        record = self.get(workspace, run_id)
        if record.checkpoint is None or not record.checkpoint.exists():
            raise ExplorerError("{name} has no checkpoint yet (one is written at the end of each epoch).",
                                name=record.name)
        return record.checkpoint.read_bytes()

    def request_stop(self, workspace: str, run_id: str, status: str = "stopped") -> None:
        """Ask the run's worker to stop; it ends the run with `status` ("stopped" or "interrupted")."""
        if status not in ("stopped", "interrupted"):
            raise ValueError(f"a stop ends a run as 'stopped' or 'interrupted', not {status!r}")
        self.get(workspace, run_id)
        with self._write() as db:
            db.execute("UPDATE runs SET stop_request = ?, updated = ? WHERE id = ? AND status IN ('queued', 'running')",
                       (status, time.time(), run_id))

    # ------------------------------------------------------------------ writers (the runner and its workers)
    def create_run(self, workspace: str, kind: str, name: str, config: dict[str, Any], *, source: str = "",
                   status: str = "queued", owned: bool = True) -> str:
        """A new run (queued, owned by this process until a worker claims it); returns its id."""
        workspace = check_workspace_id(workspace)
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {status!r}")
        run_id, now = new_run_id(), time.time()
        owner = self.owner_token if owned and status in ACTIVE_STATUSES else None
        with self._write() as db:
            db.execute("INSERT INTO runs (id, workspace, kind, name, source, config, status, created, updated, owner)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (run_id, workspace, kind, clean_name(name), source, json.dumps(config), status, now, now, owner))
        return run_id

    def claim(self, run_id: str, pid: int, device: str = "") -> RunRecord:
        """A worker takes a queued run: it becomes "running", owned by the worker's lock."""
        token = self.owner_token
        with self._write() as db:
            db.execute("UPDATE runs SET status = 'running', owner = ?, pid = ?, device = ?, started = ?, updated = ? "
                       "WHERE id = ?", (token, pid, device, time.time(), time.time(), check_run_id(run_id)))
        return self.run(run_id)

    def record(self, run_id: str, metrics: list[dict[str, Any]], **progress: Any) -> None:
        """Add step/epoch metric rows and update the run's progress fields, in one transaction."""
        unknown = set(progress) - set(PROGRESS_FIELDS)
        if unknown:
            raise ValueError(f"not progress fields: {sorted(unknown)}")
        with self._write() as db:
            db.executemany(f"INSERT OR REPLACE INTO metrics (run_id, {', '.join(METRIC_FIELDS)}) VALUES "
                           f"(?, {', '.join('?' * len(METRIC_FIELDS))})",
                           [(run_id, *(m.get(f) for f in METRIC_FIELDS)) for m in metrics])
            sets = "".join(f", {k} = ?" for k in progress)
            db.execute(f"UPDATE runs SET updated = ?{sets} WHERE id = ?", (time.time(), *progress.values(), run_id))

    def write_checkpoint(self, run_id: str, data: bytes, epoch: int) -> Path:
        """Replace the run's checkpoint file atomically, then point the run at it."""
        row = self._row(run_id)
        path = self.run_folder(row["workspace"], run_id) / CHECKPOINT_NAME
        atomic_write(path, data)
        with self._write() as db:
            db.execute("UPDATE runs SET checkpoint = ?, checkpoint_epoch = ?, updated = ? WHERE id = ?",
                       (str(path.relative_to(self.root)), epoch, time.time(), run_id))
        return path

    def stop_request(self, run_id: str) -> str | None:
        """The status a stop asked for ("stopped", "interrupted"), or None: what a worker polls."""
        rows = self._read("SELECT stop_request FROM runs WHERE id = ?", (run_id,))
        return rows[0]["stop_request"] if rows else "stopped"  # a deleted run: stop

    def finish(self, run_id: str, status: str, message: str = "", summary: dict[str, Any] | None = None) -> None:
        """End a run: its final status, message and metrics; it no longer has an owner."""
        if status not in STATUSES or status in ACTIVE_STATUSES:
            raise ValueError(f"a run ends as one of {STATUSES[2:]}, not {status!r}")
        now = time.time()
        with self._write() as db:
            db.execute("UPDATE runs SET status = ?, message = ?, summary = ?, finished = ?, updated = ?, owner = NULL, "
                       "stop_request = NULL WHERE id = ?",
                       (status, message, json.dumps(summary or {}), now, now, check_run_id(run_id)))

    def run(self, run_id: str) -> RunRecord:
        """A run by id alone: for the runner and its workers, which know their own runs (pages use `get`)."""
        return self._record(self._row(run_id))

    def recover(self) -> list[str]:
        """Mark runs whose owning process died while they were queued or running as "interrupted"."""
        owners = self.root / "owners"
        abandoned = [r for r in self._read("SELECT id, workspace, status, owner, checkpoint_epoch FROM runs "
                                           "WHERE status IN ('queued', 'running')")
                     if not owner_alive(owners, r["owner"])]
        for r in abandoned:
            kept = (f"its checkpoint of epoch {r['checkpoint_epoch']} is kept" if r["checkpoint_epoch"]
                    else "it had no checkpoint yet")
            with self._write() as db:
                db.execute("UPDATE runs SET status = 'interrupted', message = ?, owner = NULL, stop_request = NULL, "
                           "finished = ?, updated = ? WHERE id = ? AND status IN ('queued', 'running')",
                           (f"Cut off while {r['status']} (the server or its worker stopped); {kept}.",
                            time.time(), time.time(), r["id"]))
            remove_temporaries(self.root / r["workspace"] / r["id"])
        return [r["id"] for r in abandoned]


def clean_name(name: str) -> str:
    """A run name as stored: stripped, one line, at most MAX_NAME characters; ExplorerError if empty."""
    name = " ".join(str(name).split())[:MAX_NAME]
    if not name:
        raise ExplorerError("A run needs a name: type at least one character.")
    return name
