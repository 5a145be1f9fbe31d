"""The run store: every training run a learner starts, kept on disk so that it survives page switches,
reloads and server restarts.

- store: RunStore, SQLite (standard library, WAL mode) plus one checkpoint file a run, under
  `data_dir()/runs` ($PTE_DATA_DIR/runs); RunRecord, one run as stored; STATUSES.
- workspaces: random workspace ids (`new_workspace_id`), checked strictly when they come from a URL
  (`check_workspace_id`, `is_workspace_id`); WorkspaceError, RunNotFound.
- transfer: export a run (JSON, CSV of metrics, the .pt bytes), load its model, import a .pt file.
- files: atomic file writes and the owner locks that tell a dead server's runs from live ones.

Using it:

    store = RunStore()                                  # runs left queued/running by a dead server -> "interrupted"
    workspace = new_workspace_id()
    for run in store.list_runs(workspace, kind="digits"):
        print(run.name, run.status, run.val_acc)
    steps = store.metrics(workspace, run_id, "step", after_step=last_seen)   # poll a live run's curve
    store.rename(workspace, run_id, "wide net"); store.delete(workspace, run_id)

To wipe every run: stop the app and delete `data/runs/` (or `$PTE_DATA_DIR/runs/`). Runs are written by
the job runner (pytorch_explorer.jobs); pages only read them, rename, delete, export and import.
"""

from pytorch_explorer.runs.store import ACTIVE_STATUSES, STATUSES, RunRecord, RunStore, clean_name
from pytorch_explorer.runs.transfer import export_csv, export_json, import_checkpoint, load_run_model
from pytorch_explorer.runs.workspaces import (RunNotFound, WorkspaceError, check_run_id, check_workspace_id,
                                              is_workspace_id, new_run_id, new_workspace_id)

__all__ = ["ACTIVE_STATUSES", "STATUSES", "RunNotFound", "RunRecord", "RunStore", "WorkspaceError", "check_run_id",
           "check_workspace_id", "clean_name", "export_csv", "export_json", "import_checkpoint", "is_workspace_id",
           "load_run_model", "new_run_id", "new_workspace_id"]
