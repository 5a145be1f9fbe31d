"""The run store: a round trip, workspaces that never see each other, hostile ids, interrupted runs."""

from __future__ import annotations

import math
import sqlite3

import pytest

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.runs import (RunNotFound, RunStore, WorkspaceError, check_workspace_id, is_workspace_id,
                                   new_workspace_id)


def add_finished_run(store: RunStore, workspace: str, name: str = "run", source: str = "bundled",
                     kind: str = "digits") -> str:
    run_id = store.create_run(workspace, kind, name, {"hidden": 16, "epochs": 2, "source": source}, source=source)
    store.claim(run_id, pid=1234)
    steps = [{"kind": "step", "step": s, "epoch": 1, "loss": 2.0 / s, "accuracy": 0.1 * s} for s in (1, 2, 3)]
    store.record(run_id, steps, steps=3, total_steps=6, epoch=1, loss=2 / 3, device="cpu")
    store.record(run_id, [{"kind": "epoch", "step": 3, "epoch": 1, "loss": 0.9, "train_acc": 0.5, "val_acc": 0.4,
                           "seconds": 0.25}], train_acc=0.5, val_acc=0.4, samples_per_s=1000.0, train_seconds=0.25)
    store.write_checkpoint(run_id, b"weights of epoch 1", epoch=1)
    store.finish(run_id, "done", summary={"val_acc": 0.4, "loss_history": [2.0, 1.0, 0.67], "nan": float("nan")})
    return run_id


def test_a_run_round_trips_through_a_reopened_store(tmp_path, store):
    workspace = new_workspace_id()
    run_id = add_finished_run(store, workspace, name="  my   first\nrun ")
    store.close()
    again = RunStore(tmp_path / "runs")
    run = again.get(workspace, run_id)
    assert (run.name, run.kind, run.source, run.status, run.device) == ("my first run", "digits", "bundled", "done", "cpu")
    assert run.config == {"hidden": 16, "epochs": 2, "source": "bundled"}
    assert (run.steps, run.total_steps, run.epoch, run.progress) == (3, 6, 1, 0.5)
    assert (run.train_acc, run.val_acc, run.samples_per_s, run.train_seconds) == (0.5, 0.4, 1000.0, 0.25)
    assert run.created <= run.started <= run.finished and not run.active
    assert run.summary["loss_history"] == [2.0, 1.0, 0.67] and math.isnan(run.summary["nan"])
    assert run.checkpoint is not None and run.checkpoint.read_bytes() == b"weights of epoch 1"
    assert run.checkpoint_epoch == 1 and again.checkpoint_bytes(workspace, run_id) == b"weights of epoch 1"
    assert [m["step"] for m in again.metrics(workspace, run_id)] == [1, 2, 3]
    assert [m["step"] for m in again.metrics(workspace, run_id, after_step=1)] == [2, 3]
    assert again.metrics(workspace, run_id, "epoch")[0]["val_acc"] == 0.4
    assert again.interrupted == []
    again.close()


def test_list_filters_by_kind_and_source_newest_first(store):
    workspace = new_workspace_id()
    first = add_finished_run(store, workspace, "a", source="bundled")
    second = add_finished_run(store, workspace, "b", source="mnist")
    toy = add_finished_run(store, workspace, "c", kind="toy")
    assert [r.id for r in store.list_runs(workspace)] == [toy, second, first]
    assert [r.id for r in store.list_runs(workspace, kind="digits")] == [second, first]
    assert [r.id for r in store.list_runs(workspace, kind="digits", source="mnist")] == [second]
    assert store.list_runs(workspace, source="csv:x.csv") == []


def test_rename_and_delete_which_removes_the_files(store):
    workspace = new_workspace_id()
    run_id = add_finished_run(store, workspace)
    assert store.rename(workspace, run_id, "wide net").name == "wide net"
    with pytest.raises(ExplorerError, match="needs a name"):
        store.rename(workspace, run_id, "   ")
    folder = store.get(workspace, run_id).checkpoint.parent
    assert folder.is_dir()
    store.delete(workspace, run_id)
    assert not folder.exists() and store.list_runs(workspace) == []
    with pytest.raises(RunNotFound):
        store.get(workspace, run_id)
    with sqlite3.connect(store.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM metrics WHERE run_id = ?", (run_id,)).fetchone()[0] == 0


def test_an_active_run_cannot_be_deleted(store):
    workspace = new_workspace_id()
    run_id = store.create_run(workspace, "digits", "live", {})
    with pytest.raises(ExplorerError, match="stop it before deleting"):
        store.delete(workspace, run_id)


def test_a_second_workspace_sees_none_of_the_firsts_runs(store):
    mine, theirs = new_workspace_id(), new_workspace_id()
    assert mine != theirs
    run_id = add_finished_run(store, mine)
    assert store.list_runs(theirs) == [] and len(store.list_runs(mine)) == 1
    for call in (lambda: store.get(theirs, run_id), lambda: store.rename(theirs, run_id, "mine now"),
                 lambda: store.delete(theirs, run_id), lambda: store.checkpoint_bytes(theirs, run_id),
                 lambda: store.metrics(theirs, run_id), lambda: store.request_stop(theirs, run_id)):
        with pytest.raises(RunNotFound):
            call()
    assert store.get(mine, run_id).name == "run"  # untouched


HOSTILE = ["", "../../etc/passwd", "..", "a" * 21, "a" * 23, "a" * 21 + "/", "' OR '1'='1' --aaaaaaaaa",
           "%2e%2e%2faaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaa\n", "ééééééééééééééééééééééé"[:22], None, 12345,
           ["aaaaaaaaaaaaaaaaaaaaaa"], "aaaaaaaaaaaaaaaaaaaa\x00a"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_workspace_ids_are_rejected_before_any_lookup(store, hostile):
    assert not is_workspace_id(hostile)
    with pytest.raises(WorkspaceError):
        check_workspace_id(hostile)
    with pytest.raises(WorkspaceError):
        store.list_runs(hostile)
    with pytest.raises(WorkspaceError):
        store.create_run(hostile, "digits", "x", {})


@pytest.mark.parametrize("hostile", ["", "../x", "0123456789abcdeg", "0123456789ABCDEF", "1 OR 1=1", None])
def test_hostile_run_ids_name_no_run(store, hostile):
    with pytest.raises(RunNotFound):
        store.get(new_workspace_id(), hostile)


def test_new_workspace_ids_are_random_and_valid():
    ids = {new_workspace_id() for _ in range(100)}
    assert len(ids) == 100 and all(check_workspace_id(i) == i for i in ids)


def test_runs_of_a_dead_owner_become_interrupted_and_keep_their_checkpoint(tmp_path):
    root = tmp_path / "runs"
    server = RunStore(root)
    workspace = new_workspace_id()
    queued = server.create_run(workspace, "digits", "waiting", {})
    running = server.create_run(workspace, "digits", "training", {})
    server.claim(running, pid=1)
    server.write_checkpoint(running, b"epoch 2", epoch=2)
    done = add_finished_run(server, workspace)
    (root / workspace / running / ".checkpoint.pt.999-dead.tmp").write_bytes(b"half")

    while_alive = RunStore(root)  # the owner still holds its lock: nothing is touched
    assert while_alive.interrupted == [] and while_alive.get(workspace, running).status == "running"
    while_alive.close()

    server.close()  # the "server" goes away: its lock is free
    restarted = RunStore(root)
    assert sorted(restarted.interrupted) == sorted([queued, running])
    cut = restarted.get(workspace, running)
    assert cut.status == "interrupted" and "epoch 2 is kept" in cut.message
    assert cut.checkpoint.read_bytes() == b"epoch 2" and cut.finished is not None
    assert restarted.get(workspace, queued).status == "interrupted"
    assert "no checkpoint" in restarted.get(workspace, queued).message
    assert restarted.get(workspace, done).status == "done"
    assert not list((root / workspace / running).glob("*.tmp"))
    restarted.close()
