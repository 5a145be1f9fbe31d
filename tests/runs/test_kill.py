"""kill -9 in the middle of writing: a real writer process is killed while it writes checkpoints and
metric rows, and the store opens cleanly afterwards: the run is "interrupted", its checkpoint loads, every
metrics transaction is whole, no temporary file is left."""

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

from pytorch_explorer.digits.models import load_checkpoint
from pytorch_explorer.runs import RunStore, new_workspace_id

ROOT = Path(__file__).resolve().parents[2]
ROWS_PER_WRITE = 7

WRITER = textwrap.dedent(f"""
    import os, sys
    from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp, save_checkpoint
    from pytorch_explorer.runs.store import RunStore

    store = RunStore(sys.argv[1], recover=False)
    run_id = store.create_run(sys.argv[2], "digits", "doomed", {{"hidden": 1000}})
    store.claim(run_id, os.getpid())
    model = build_mlp(MLPConfig(hidden=1000))
    step = 0
    for epoch in range(1, 100000):
        trained = TrainedModel(model, MLPConfig(hidden=1000), metrics={{"epoch": epoch}}, name=f"epoch {{epoch}}")
        data = save_checkpoint(trained)
        print("writing", epoch, flush=True)
        store.write_checkpoint(run_id, data, epoch)
        rows = [{{"kind": "step", "step": step + i, "epoch": epoch, "loss": 1.0}} for i in range(1, {ROWS_PER_WRITE + 1})]
        step += {ROWS_PER_WRITE}
        store.record(run_id, rows, steps=step, epoch=epoch)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("delay", [0.0, 0.013])
def test_a_writer_killed_mid_write_leaves_a_store_that_opens_cleanly(tmp_path, delay):
    root, workspace = tmp_path / "runs", new_workspace_id()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root), workspace], stdout=subprocess.PIPE,
                              env=env, text=True)
    try:
        for _ in range(4):  # a few full checkpoints and transactions first, then kill during the next writes
            assert writer.stdout.readline().startswith("writing"), "the writer died early"
        time.sleep(delay)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait(timeout=10)
    assert writer.returncode == -signal.SIGKILL

    with sqlite3.connect(root / "runs.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = RunStore(root)  # the writer is dead: its run is interrupted
    (run,) = store.list_runs(workspace)
    assert run.status == "interrupted" and run.id in store.interrupted
    assert run.checkpoint_epoch is not None and run.checkpoint_epoch >= 3
    trained = load_checkpoint(store.checkpoint_bytes(workspace, run.id))  # whole, whichever version it is
    assert trained.config.hidden == 1000 and trained.metrics["epoch"] >= run.checkpoint_epoch
    steps = store.metrics(workspace, run.id)
    assert len(steps) % ROWS_PER_WRITE == 0 and [m["step"] for m in steps] == list(range(1, len(steps) + 1))
    assert run.steps == len(steps)  # the progress fields and the rows were written in one transaction
    assert not list(run.checkpoint.parent.glob("*.tmp"))
    store.close()
