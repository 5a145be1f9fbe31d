"""`python -m pytorch_explorer optim run|surfaces`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from pytorch_explorer.cli import main
from pytorch_explorer.optim.optimizers import OptimizerSpec
from pytorch_explorer.optim.surfaces import SURFACES
from pytorch_explorer.optim.trajectory import run


def _last_json(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "beale", "saddle", "quadratic"])
def test_run_json_shape(surface, capsys):
    assert main(["optim", "run", "--surface", surface, "--optimizer", "adam", "--lr", "0.05", "--steps", "30",
                 "--start", "1,1", "--json"]) == 0
    result = _last_json(capsys.readouterr().out)
    assert {"path", "losses", "final_loss", "optimizer", "surface", "lr", "diverged"} <= set(result)
    assert result["optimizer"] == "adam" and result["surface"] == surface and result["lr"] == 0.05
    assert result["diverged"] is False and len(result["path"]) == 31 and len(result["losses"]) == 31
    assert result["path"][0] == [1.0, 1.0] and result["final_loss"] == result["losses"][-1]
    expected = run(SURFACES[surface], OptimizerSpec("adam", 0.05), (1.0, 1.0), 30)
    assert result["path"] == [list(p) for p in expected.points]


def test_sgd_with_nesterov_momentum_and_a_negative_start(capsys):
    args = ["optim", "run", "--surface", "rosenbrock", "--optimizer", "sgd", "--lr", "0.001", "--steps", "10",
            "--start", "-1.5,2", "--momentum", "0.9", "--nesterov", "--json"]
    assert main(args) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["path"][0] == [-1.5, 2.0] and len(result["path"]) == 11
    assert result["settings"] == {"lr": 0.001, "momentum": 0.9, "nesterov": True}
    expected = run(SURFACES["rosenbrock"], OptimizerSpec("sgd", 0.001, momentum=0.9, nesterov=True), (-1.5, 2.0), 10)
    assert result["final_loss"] == pytest.approx(expected.final_loss)


def test_a_diverging_run_is_cut_and_says_where(capsys):
    assert main(["optim", "run", "--surface", "quadratic", "--optimizer", "sgd", "--lr", "0.5", "--steps", "50",
                 "--start", "0,1", "--json"]) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["diverged"] is True and result["diverged_at"] == 3 and len(result["path"]) == 3
    assert result["message"].startswith("diverged at step 3")
    assert main(["optim", "run", "--surface", "quadratic", "--lr", "0.5", "--start", "0,1"]) == 0
    assert "diverged at step 3" in capsys.readouterr().out


def test_schedulers_and_a_typed_formula(capsys):
    assert main(["optim", "run", "--surface", "custom", "--formula", "x**2 + 3*y**2", "--optimizer", "rmsprop",
                 "--lr", "0.05", "--steps", "20", "--start", "1,-1", "--scheduler", "cosine", "--json"]) == 0
    result = _last_json(capsys.readouterr().out)
    assert result["surface"] == "custom" and result["formula"] == "x**2 + 3*y**2" and result["scheduler"] == "cosine"
    assert result["lrs"][1] == 0.05 and result["lrs"][-1] < 0.001 and len(result["path"]) == 21


def test_defaults_and_the_table(capsys):
    assert main(["optim", "run"]) == 0
    out = capsys.readouterr().out
    assert "step    200" in out and "nearest minimum (1.0, 1.0)" in out
    assert main(["optim", "surfaces", "--json"]) == 0
    names = [s["name"] for s in _last_json(capsys.readouterr().out)["surfaces"]]
    assert names == list(SURFACES)


@pytest.mark.parametrize("args, message", [
    (["--surface", "booth"], "Unknown surface 'booth'"),
    (["--optimizer", "lbfgs2"], "Unknown optimizer 'lbfgs2'"),
    (["--lr", "abc"], "--lr must be a number"),
    (["--lr", "-1"], "learning rate must be"),
    (["--lr", "nan"], "--lr must be a finite number"),
    (["--steps", "0"], "Steps must be"),
    (["--steps", "2.5"], "whole number"),
    (["--start", "1"], "--start takes two numbers"),
    (["--start", "9,9"], "outside the plotted region"),
    (["--momentum", "1.5"], "Momentum must be"),
    (["--nesterov"], "Nesterov"),
    (["--scheduler", "warmup"], "Unknown scheduler"),
    (["--surface", "custom"], "needs --formula"),
    (["--surface", "custom", "--formula", "__import__('os')"], "not allowed"),
    (["--surface", "custom", "--formula", "torch.ones(3) * x"], "one real number"),
])
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(["optim", "run", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_the_real_entry_point():
    done = subprocess.run(
        [sys.executable, "-m", "pytorch_explorer", "optim", "run", "--surface", "himmelblau", "--optimizer", "sgd",
         "--lr", "0.01", "--steps", "5", "--start", "-1,-2", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = _last_json(done.stdout)
    assert result["path"][0] == [-1.0, -2.0] and len(result["path"]) == 6
    bad = subprocess.run([sys.executable, "-m", "pytorch_explorer", "optim", "run", "--optimizer", "nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
