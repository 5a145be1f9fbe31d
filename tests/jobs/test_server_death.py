"""A server killed with kill -9 while its job trains: the worker notices within a second or so, ends the
run "interrupted" with its partial model as checkpoint, and the store opens cleanly afterwards."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from pytorch_explorer.runs import RunStore, load_run_model

ROOT = Path(__file__).resolve().parents[2]
SERVER = textwrap.dedent("""
    import sys, time
    from pytorch_explorer.digits.training import TrainConfig
    from pytorch_explorer.jobs import JobRunner
    from pytorch_explorer.runs import RunStore, new_workspace_id

    if __name__ == "__main__":
        store = RunStore(sys.argv[1])
        runner = JobRunner(store, max_cpu_jobs=1)
        workspace = new_workspace_id()
        run_id = runner.submit(workspace, TrainConfig(hidden=64, epochs=1000, device="cpu", log_every=5))
        while not store.get(workspace, run_id).checkpoint_epoch:
            time.sleep(0.02)
        print(workspace, run_id, flush=True)
        time.sleep(120)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_killed_server_leaves_its_run_interrupted_with_a_checkpoint(tmp_path):
    root = tmp_path / "runs"
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    server = subprocess.Popen([sys.executable, str(script), str(root)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        workspace, run_id = server.stdout.readline().split()
        os.kill(server.pid, signal.SIGKILL)
    finally:
        server.kill()
        server.wait(timeout=10)
    store = RunStore(root)
    deadline = time.monotonic() + 10
    while store.get(workspace, run_id).active:
        assert time.monotonic() < deadline, "the orphaned worker kept training"
        time.sleep(0.05)
    run = store.get(workspace, run_id)
    assert run.status == "interrupted" and "server" in run.message
    assert load_run_model(store, workspace, run_id).config.hidden == 64
    with sqlite3.connect(store.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
