"""Training as jobs in worker processes: a run trains to done and leaves a checkpoint that loads, stop acts
within a second, the queue holds what the cores cannot take, threads are set per job, never here."""

from __future__ import annotations

import os
import signal
import time

import pytest
import torch

from pytorch_explorer.core.devices import cpu_count, mps_available
from pytorch_explorer.digits.training import TrainConfig
from pytorch_explorer.jobs import JobRunner, lane_of
from pytorch_explorer.runs import RunNotFound, load_run_model, new_workspace_id

TINY = TrainConfig(hidden=16, epochs=2, device="cpu")
LONG = TrainConfig(hidden=64, epochs=1000, device="cpu", log_every=5)  # trains until stopped


@pytest.fixture
def runner(store):
    r = JobRunner(store, max_cpu_jobs=2)
    yield r
    r.shutdown(timeout=3)


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_trains_to_done_and_leaves_a_checkpoint_that_loads(store, runner):
    threads_here = torch.get_num_threads()
    workspace = new_workspace_id()
    run_id = runner.submit(workspace, TINY, name="tiny")
    assert runner.wait(run_id, timeout=60) == "done"
    run = store.get(workspace, run_id)
    assert (run.name, run.status, run.epoch, run.checkpoint_epoch, run.device) == ("tiny", "done", 2, 2, "cpu")
    assert run.steps == run.total_steps == 2 * 28 and run.progress == 1.0
    assert run.summary["status"] == "done" and run.summary["val_acc"] == run.val_acc > 0.3
    assert run.summary["threads"] == max(1, cpu_count() - 1)  # alone: every core but the server's, in its process
    assert torch.get_num_threads() == threads_here  # the job's threads were set in its own process only
    steps, epochs = store.metrics(workspace, run_id), store.metrics(workspace, run_id, "epoch")
    assert [e["epoch"] for e in epochs] == [1, 2] and steps[-1]["step"] == 56 and len(steps) >= 6
    model = load_run_model(store, workspace, run_id)
    assert model.config.hidden == 16 and model.name == "tiny"
    assert runner.status(workspace, run_id) == "done"
    with pytest.raises(RunNotFound):
        runner.status(new_workspace_id(), run_id)


def test_stop_acts_within_a_second_and_keeps_the_partial_model(store, runner):
    workspace = new_workspace_id()
    run_id = runner.submit(workspace, LONG)
    wait_for(lambda: store.get(workspace, run_id).checkpoint_epoch)  # it is training (an epoch is done)
    beside = runner.submit(workspace, TINY)  # a second job shares the cores with the first
    assert runner.wait(beside, timeout=60) == "done"
    assert store.get(workspace, beside).summary["threads"] == max(1, (cpu_count() - 1) // 2)
    assert runner.threads_now() == max(1, cpu_count() - 1)  # alone again
    asked = time.monotonic()
    runner.stop(workspace, run_id)
    wait_for(lambda: not store.get(workspace, run_id).active, timeout=5)
    assert time.monotonic() - asked < 1.0
    run = store.get(workspace, run_id)
    assert run.status == "stopped" and run.message.startswith("Stopped at step")
    assert load_run_model(store, workspace, run_id).metrics["status"] == "stopped"
    assert run.steps < run.total_steps


def test_with_one_cpu_slot_the_second_job_waits_with_its_position_then_runs(store):
    runner = JobRunner(store, max_cpu_jobs=1)
    try:
        workspace = new_workspace_id()
        first = runner.submit(workspace, LONG, name="first")
        second = runner.submit(workspace, TINY, name="second")
        third = runner.submit(workspace, TINY, name="third")
        wait_for(lambda: store.get(workspace, first).status == "running")
        assert runner.running() == [first] and store.get(workspace, second).status == "queued"
        assert runner.threads_now() == max(1, cpu_count() - 1)  # one job at a time: every core but the server's
        assert (runner.queue_position(second), runner.queue_note(second)) == (0, "queued: next to start")
        assert (runner.queue_position(third), runner.queue_note(third)) == (1, "queued: 1 run ahead of yours")
        runner.stop(workspace, third)  # a queued run stops at once and leaves the queue
        assert store.get(workspace, third).status == "stopped" and runner.queue_position(third) is None
        time.sleep(0.3)
        assert store.get(workspace, second).status == "queued"  # still waiting: the slot is taken
        runner.stop(workspace, first)
        assert runner.wait(second, timeout=60) == "done"
        assert runner.queue_position(second) is None and runner.queue_note(second) == ""
        assert store.get(workspace, first).status == "stopped"
        assert store.get(workspace, second).started >= store.get(workspace, first).finished - 0.1
    finally:
        runner.shutdown(timeout=3)


def test_shutdown_interrupts_running_and_queued_jobs(store):
    runner = JobRunner(store, max_cpu_jobs=1)
    workspace = new_workspace_id()
    running = runner.submit(workspace, LONG)
    queued = runner.submit(workspace, TINY)
    wait_for(lambda: store.get(workspace, running).checkpoint_epoch)
    runner.shutdown(timeout=5)
    assert store.get(workspace, running).status == "interrupted"
    assert store.get(workspace, queued).status == "interrupted"
    assert load_run_model(store, workspace, running).config.hidden == 64
    with pytest.raises(Exception, match="shut down"):
        runner.submit(workspace, TINY)


def test_a_worker_that_dies_makes_its_run_failed_not_forever_running(store, runner):
    workspace = new_workspace_id()
    run_id = runner.submit(workspace, LONG)
    wait_for(lambda: store.get(workspace, run_id).status == "running")
    os.kill(store.run(run_id).pid, signal.SIGKILL)
    assert runner.wait(run_id, timeout=10) == "failed"
    assert "ended unexpectedly" in store.get(workspace, run_id).message


def test_a_failing_run_says_why(store, runner):
    workspace = new_workspace_id()
    run_id = runner.submit(workspace, TrainConfig(hidden=16, epochs=1, device="cpu", source="csv:no/such/file.csv"))
    assert runner.wait(run_id, timeout=60) == "failed"
    assert "no/such/file.csv" in store.get(workspace, run_id).message


def test_lanes():
    assert lane_of(TrainConfig(device="cpu")) == "cpu"
    assert lane_of(TrainConfig(device="cuda")) == "gpu" and lane_of(TrainConfig(device="mps")) == "gpu"
    accelerator = torch.cuda.is_available() or mps_available()
    assert lane_of(TrainConfig(device="auto")) == ("gpu" if accelerator else "cpu")
