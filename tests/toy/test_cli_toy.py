"""`python -m pytorch_explorer toy train|speed`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from pytorch_explorer.cli import main
from pytorch_explorer.toy.settings import IMPLEMENTATIONS, ToySettings
from pytorch_explorer.toy.training import train_to_end


def _last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def test_train_json_with_the_article_settings(capsys):
    code = main(["toy", "train", "--impl", "numpy", "--epochs", "5000", "--lr", "0.1", "--hidden", "3",
                 "--seed", "0", "--json"])
    assert code == 0
    result = _last_json(capsys.readouterr().out)
    assert {"impl", "final_loss", "predictions", "epochs"} <= set(result)
    assert result["impl"] == "numpy" and result["epochs"] == 5000 and len(result["predictions"]) == 3
    assert all(abs(p - t) < 0.1 for p, t in zip(result["predictions"], [1, 1, 0], strict=True))
    expected = train_to_end("numpy", ToySettings())
    assert result["final_loss"] == pytest.approx(expected.final_loss)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_every_implementation_from_the_command_line(impl, capsys):
    args = ["toy", "train", "--impl", impl, "--epochs", "200", "--hidden", "4", "--seed", "2", "--json"]
    assert main(args) == 0
    result = _last_json(capsys.readouterr().out)
    expected = train_to_end(impl, ToySettings(epochs=200, hidden=4, seed=2))
    assert result["impl"] == impl and result["epochs"] == 200 and result["hidden"] == 4
    assert result["predictions"] == pytest.approx(expected.predictions.ravel().tolist())


def test_train_prints_progress_and_a_table_without_json(capsys):
    assert main(["toy", "train", "--impl", "torch-article", "--epochs", "100", "--activation", "tanh",
                 "--init", "normal", "--own-init"]) == 0
    out = capsys.readouterr().out
    assert "epoch     100" in out and "as the article wrote it" in out and "predicted" in out
    assert not out.strip().splitlines()[-1].startswith("{")


@pytest.mark.parametrize("args, message", [
    (["--impl", "keras"], "unknown implementation 'keras'"),
    (["--epochs", "0"], "epochs must be"),
    (["--lr", "-0.5"], "learning rate"),
    (["--hidden", "0"], "hidden units"),
])
def test_bad_arguments_exit_2_with_one_line(args, message, capsys):
    assert main(["toy", "train", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_speed_json(capsys):
    assert main(["toy", "speed", "--tiny-epochs", "5", "--large-epochs", "1", "--json"]) == 0
    rows = _last_json(capsys.readouterr().out)["rows"]
    assert {(r["problem"], r["library"], r["device"]) for r in rows} >= {
        ("tiny", "numpy", "cpu"), ("tiny", "torch", "cpu"), ("large", "numpy", "cpu"), ("large", "torch", "cpu")}
    assert all(r["ms_per_epoch"] > 0 for r in rows)
    assert main(["toy", "speed", "--tiny-epochs", "0"]) == 2


def test_the_real_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "pytorch_explorer", "toy", "train", "--impl", "nn", "--epochs", "50", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = _last_json(done.stdout)
    assert result["impl"] == "nn" and result["epochs"] == 50 and len(result["predictions"]) == 3
