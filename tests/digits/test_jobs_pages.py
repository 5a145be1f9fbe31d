"""The digits pages on the run store and the job runner (AppTest, the whole app): a run trains on while the
learner is on another page and the trainer re-attaches to it; a new session with the same ?ws= sees the runs
and their models on both pages; another workspace sees none of them."""

from __future__ import annotations

import time

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from pytorch_explorer.runs import new_workspace_id
from ui.workspace import run_store

TRAINER, PROBE = "pages/digits_trainer.py", "pages/digits_probe.py"


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


def app(workspace: str, page: str) -> AppTest:
    """A new browser session on `page` with `?ws=workspace` in its address."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["ws"] = workspace
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def watched_id(at: AppTest) -> str | None:
    return at.session_state["dt_curves"].run_id if "dt_curves" in at.session_state else None


def status(workspace: str, run_id: str) -> str:
    return run_store().get(workspace, run_id).status


def wait_until(predicate, timeout: float = 120.0, what=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out {what()}"
        time.sleep(0.1)


def train(at: AppTest, epochs: int, hidden: int) -> str:
    at.slider(key="dt_epochs").set_value(epochs)
    at.select_slider(key="dt_hidden").set_value(hidden)
    at.button(key="dt_train").click().run()
    assert not at.exception, at.exception
    return watched_id(at)


def test_a_run_trains_on_while_the_learner_is_elsewhere_and_the_page_reattaches():
    workspace = new_workspace_id()
    at = app(workspace, TRAINER)
    run_id = train(at, epochs=30, hidden=1000)  # long enough to be still training after the page switches (a
    # 64-unit MLP finishes 30 epochs of the bundled digits in a few seconds on a quiet machine)
    wait_until(lambda: run_store().get(workspace, run_id).steps > 0)
    at.switch_page(PROBE).run()  # the learner looks at another page: nothing of the trainer page runs
    steps_then = run_store().get(workspace, run_id).steps
    wait_until(lambda: run_store().get(workspace, run_id).steps > steps_then)  # ... and the run goes on
    assert status(workspace, run_id) == "running"

    at.switch_page(TRAINER).run()  # back: the same run, live
    assert watched_id(at) == run_id and not at.button(key="dt_stop").disabled
    assert any("fixed loop on cpu: epoch" in str(p.proto.text) for p in at.get("progress"))

    reloaded = app(workspace, TRAINER)  # a reload (a new session, the same ?ws=) re-attaches to the active run
    assert watched_id(reloaded) == run_id and reloaded.button(key="dt_train").disabled
    assert len(reloaded.session_state["dt_curves"].steps) > 0  # its curve so far, read from the store
    reloaded.button(key="dt_stop").click().run()
    wait_until(lambda: status(workspace, run_id) == "stopped", timeout=5, what=lambda: (status(workspace, run_id), reloaded.exception, [e.value for e in reloaded.error]))


def test_runs_and_models_belong_to_their_workspace():
    workspace = new_workspace_id()
    at = app(workspace, TRAINER)
    run_id = train(at, epochs=1, hidden=16)
    wait_until(lambda: status(workspace, run_id) == "done")
    at.run()
    assert list(at.dataframe[0].value["name"]) == ["run 1 (fixed)"]
    assert list(at.dataframe[0].value["status"]) == ["done"]

    again = app(workspace, PROBE)  # a new session with the same ?ws=: the run's model is there to probe
    assert again.selectbox(key="probe_model_name").options == ["run 1 (fixed)"]
    assert len(again.tabs) >= 5 and "`run 1 (fixed)`" in again.caption[0].value  # the probe page's tabs (it grows them)
    again.switch_page(TRAINER).run()
    assert list(again.dataframe[0].value["name"]) == ["run 1 (fixed)"] and watched_id(again) == run_id
    assert any("`run 1 (fixed)` finished" in s.value for s in again.success)

    stranger = app(new_workspace_id(), PROBE)  # another browser: none of it
    assert "no digit model" in stranger.info[0].value and not stranger.tabs
    stranger.switch_page(TRAINER).run()
    assert not stranger.dataframe and watched_id(stranger) is None


def test_a_model_made_on_the_probe_page_is_on_the_trainer_page_too():
    workspace = new_workspace_id()
    at = app(workspace, PROBE)
    at.button(key="probe_train_now").click().run(timeout=180)
    assert not at.exception and at.selectbox(key="probe_model_name").value == "quick (fixed)"
    trainer = app(workspace, TRAINER)
    assert list(trainer.dataframe[0].value["how"]) == ["one click on the probe page"]
    assert watched_id(trainer) is None  # not a job: the live panel does not show it as a run of this page
    assert any("Current model: `quick (fixed)`" in m.value for m in trainer.markdown)
