"""Training as server-side jobs: runs train in worker processes, outside the web server, and report
into the run store (pytorch_explorer.runs), which pages poll.

- runner: JobRunner (submit, stop, status, queue_position/queue_note, wait, shutdown), its scheduler
  (CPU runs capped at what the cores allow, each with its own torch thread count; an accelerator lane
  beside it), and `shared_runner()`, the one runner a server process holds (st.cache_resource).
- worker: `run_job`, the body of a worker process: the digit Trainer, its events written to the store,
  a checkpoint every epoch, stop requests read between events.
- load_bench: `python -m pytorch_explorer bench load --sessions N`: N jobs at once against one alone.

    runner = shared_runner()
    run_id = runner.submit(workspace, TrainConfig(epochs=5, hidden=128), name="my run")
    runner.queue_note(run_id)              # "queued: 2 runs ahead of yours" or ""
    record = runner.store.get(workspace, run_id)      # status, steps, epoch, val_acc, ... (poll it)
    runner.stop(workspace, run_id)

A run keeps training when no page watches it; when the server stops, its runs end "interrupted" with
their last checkpoint.
"""

from pytorch_explorer.jobs.runner import STOP_GRACE_S, JobRunner, lane_of, shared_runner
from pytorch_explorer.jobs.worker import POLL_S, run_job, train_run

__all__ = ["POLL_S", "STOP_GRACE_S", "JobRunner", "lane_of", "run_job", "shared_runner", "train_run"]
