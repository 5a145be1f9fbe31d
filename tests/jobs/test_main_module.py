"""Workers start without the parent's __main__: under Streamlit that is the page script (under AppTest a
temporary file that is gone), which a spawned worker would otherwise import and run again."""

from __future__ import annotations

import multiprocessing
import sys
import types

from pytorch_explorer.core.processes import main_module_hidden
from pytorch_explorer.digits.training import TrainConfig
from pytorch_explorer.jobs import JobRunner
from pytorch_explorer.runs import RunStore, new_workspace_id


def test_a_job_trains_while_main_is_a_page_script_that_is_gone(tmp_path, monkeypatch):
    page = types.ModuleType("__main__")
    page.__file__ = str(tmp_path / "gone" / "page_script.py")  # what AppTest leaves behind
    monkeypatch.setitem(sys.modules, "__main__", page)
    store = RunStore(tmp_path / "runs")
    runner = JobRunner(store, max_cpu_jobs=1, context=multiprocessing.get_context("spawn"))  # spawn: every child
    # would import __main__
    try:
        workspace = new_workspace_id()
        run_id = runner.submit(workspace, TrainConfig(hidden=16, epochs=1, device="cpu"))
        assert runner.wait(run_id, timeout=120) == "done", store.get(workspace, run_id).message
    finally:
        runner.shutdown(timeout=3)
        store.close()
    assert sys.modules["__main__"] is page  # put back afterwards


def test_main_is_put_back_even_when_starting_fails():
    before = sys.modules["__main__"]
    try:
        with main_module_hidden():
            assert sys.modules["__main__"] is not before and not hasattr(sys.modules["__main__"], "__file__")
            raise OSError("no processes here")
    except OSError:
        pass
    assert sys.modules["__main__"] is before
