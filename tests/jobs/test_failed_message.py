"""A job that fails with a package error keeps its message in English in the run store, as before, and the
trainer page can show it in Chinese: messages.run_message reads the translation the worker kept in the run's
summary; a message without one (a stop, another library's error) is localized as before."""

from __future__ import annotations

import re

import pytest

from pytorch_explorer.core.paths import data_dir
from pytorch_explorer.digits.training import TrainConfig
from pytorch_explorer.digits.training.messages import TRANSLATED, run_message
from pytorch_explorer.jobs import JobRunner
from pytorch_explorer.jobs.worker import train_run
from pytorch_explorer.runs import new_workspace_id

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def bad_csv():
    """A pixel CSV in the data folder (a page may read there) whose only row has the label 12."""
    path = data_dir() / "jobs-bad-labels.csv"
    path.write_text(",".join(["label", *(f"pixel{i}" for i in range(784))]) + "\n" + ",".join(["12"] + ["0"] * 784))
    yield path
    path.unlink(missing_ok=True)


def test_a_job_whose_data_fails_ends_failed_and_says_why_in_chinese(store, bad_csv):
    runner = JobRunner(store, max_cpu_jobs=1)
    try:
        workspace = new_workspace_id()
        run_id = runner.submit(workspace, TrainConfig(hidden=16, epochs=1, device="cpu", source=f"csv:{bad_csv}"))
        assert runner.wait(run_id, timeout=60) == "failed"
    finally:
        runner.shutdown(timeout=3)
    record = store.get(workspace, run_id)
    english = (f"DataError: No usable digits in csv:{bad_csv}. The first problem: {bad_csv}, line 2 (row 1): label "
               "'12' is not a digit 0-9")
    assert record.message == english == run_message(record) == run_message(record, "en")  # the store: English
    assert run_message(record, "zh") == (f"DataError: csv:{bad_csv} 中没有可用的数字。第一个问题：{bad_csv}，第 2 行"
                                         "（数据第 1 行）：标签 '12' 不是 0-9 中的数字")


def test_a_sentence_keeps_its_shape_and_other_messages_are_localized_as_before(store, bad_csv):
    workspace = new_workspace_id()
    config = TrainConfig(hidden=16, epochs=1, device="cpu", source=f"csv:{bad_csv}", on_error="stop")
    run_id = store.create_run(workspace, "digits", "stop at the first problem", config.as_dict(), source=config.source)
    assert train_run(store, run_id) == "failed"
    record = store.get(workspace, run_id)
    assert record.message.endswith("is not a digit 0-9. Fix it, or choose to skip bad rows and files.")
    assert run_message(record, "zh").endswith("标签 '12' 不是 0-9 中的数字。请修正它，或者选择跳过有问题的行和文件。")
    assert not record.message.startswith("DataError") and not run_message(record, "zh").startswith("DataError")

    stopped = store.create_run(workspace, "digits", "stopped", TrainConfig().as_dict())
    store.request_stop(workspace, stopped)
    assert train_run(store, stopped) == "stopped"
    record = store.get(workspace, stopped)
    assert TRANSLATED not in record.summary and record.message == "Stopped before it started."
    assert run_message(record, "zh") == "在开始之前就已停止。"


def test_another_librarys_error_keeps_its_own_words(store, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("CUDA error: an illegal memory access")

    monkeypatch.setattr("pytorch_explorer.jobs.worker.load_digits", broken)
    workspace = new_workspace_id()
    run_id = store.create_run(workspace, "digits", "broken", TrainConfig(device="cpu").as_dict())
    assert train_run(store, run_id) == "failed"
    record = store.get(workspace, run_id)
    assert record.message == "RuntimeError: CUDA error: an illegal memory access" == run_message(record, "zh")
    assert record.summary == {} and not CJK.search(run_message(record, "zh"))
