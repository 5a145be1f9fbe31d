"""`digits train` and `digits submit` on the command line."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from pytorch_explorer.cli import main
from pytorch_explorer.cli.digits import predict_labels, submit
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.models import load_checkpoint
from pytorch_explorer.digits.training import TrainConfig

SMALL = ["--epochs", "1", "--hidden", "32", "--batch-size", "64"]


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread):
    """Results, not speed: see conftest.one_torch_thread."""


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.pt"
    assert main(["digits", "train", *SMALL, "--save", str(path)]) == 0
    return path


def test_train_json_ends_with_the_summary_and_saves_a_loadable_model(capsys, tmp_path):
    path = tmp_path / "m.pt"
    assert main(["digits", "train", *SMALL, "--seed", "5", "--json", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    summary = last_json(out)
    assert {"source", "n_train", "n_val", "device", "epochs", "train_acc", "val_acc", "epoch_seconds",
            "samples_per_s"} <= set(summary)
    assert summary["source"] == "bundled" and summary["n_train"] == 3500 and summary["n_val"] == 1500
    assert summary["device"] == "cpu" and summary["epochs"] == 1 and len(summary["epoch_seconds"]) == 1
    assert 0.5 < summary["val_acc"] <= 1 and summary["samples_per_s"] > 0
    assert summary["status"] == "done" and summary["article_faithful"] is False
    assert "epoch 1/1" in out and f"saved the model to {path}" in out
    trained = load_checkpoint(path)
    assert trained.config.hidden == 32 and trained.hyperparameters["seed"] == 5
    assert trained.metrics["val_acc"] == summary["val_acc"] and trained.source == "bundled"


def test_article_faithful_flag_runs_the_articles_loop(capsys):
    assert main(["digits", "train", *SMALL, "--article-faithful", "--json", "--val-fraction", "0.2"]) == 0
    summary = last_json(capsys.readouterr().out)
    assert summary["article_faithful"] is True
    assert summary["steps"] == int(5000 / 64)  # the article's step count: the whole dataset / batch size
    assert summary["n_train"] == 4000 and summary["n_val"] == 1000


def test_a_divergent_run_exits_non_zero_with_one_line(capsys):
    code = main(["digits", "train", "--epochs", "1", "--optimizer", "sgd", "--lr", "50", "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert last_json(captured.out)["status"] == "diverged"
    assert captured.err.strip().startswith("error: The loss reached") and "learning rate" in captured.err


@pytest.mark.parametrize("args, message", [
    (["--device", "cuda"], "CUDA"),
    (["--source", "folder:/no/such/folder"], "does not exist"),
    (["--source", "nonsense"], "Unknown data source"),
    (["--hidden", "0"], "hidden units"),
    (["--lr", "-1"], "learning rate"),
])
def test_errors_exit_2_with_one_line(capsys, args, message):
    if args[:2] == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert main(["digits", "train", *SMALL, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1


def test_the_module_runs_as_a_command():
    """One real subprocess: `python -m pytorch_explorer digits train ...` exits 2 with one line on an error."""
    done = subprocess.run([sys.executable, "-m", "pytorch_explorer", "digits", "train", "--source", "idx:/nowhere"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr


# ----------------------------------------------------------------------------- submit
def test_submit_writes_the_articles_format_for_the_test_images(saved_model, tmp_path):
    bundled = load_digits("bundled")
    trained = load_checkpoint(saved_model)
    names = [f"{i}.png" for i in range(49000, 49050)]
    dataset = DigitDataset(bundled.images[:10], bundled.labels[:10], "folder:x",
                           test_images=bundled.images[4000:4050], test_filenames=names)
    out = tmp_path / "submission.csv"
    assert submit(trained, dataset, out) == 50
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["filename", "label"]
    assert [r[0] for r in rows[1:]] == names
    labels = np.array([int(r[1]) for r in rows[1:]])
    assert np.array_equal(labels, predict_labels(trained, bundled.images[4000:4050]))
    assert (labels == bundled.labels[4000:4050]).mean() > 0.7  # the model really read the digits


def test_submit_without_test_images_is_a_data_error(saved_model, tmp_path):
    dataset = DigitDataset(np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.int64), "folder:x")
    with pytest.raises(DataError, match="Test.csv"):
        submit(load_checkpoint(saved_model), dataset, tmp_path / "s.csv")


def test_submit_command_on_a_png_folder(saved_model, tmp_path, capsys):
    from pytorch_explorer.digits.data import make_png_folder

    root = make_png_folder(tmp_path / "digits", 60, test_n=25)
    out = tmp_path / "submission.csv"
    code = main(["digits", "submit", "--model", str(saved_model), "--source", f"folder:{root}", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    assert "wrote 25 predictions" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open()))
    expected = list(csv.DictReader((root / "Test.csv").open()))
    assert [r["filename"] for r in rows] == [r["filename"] for r in expected]
    assert all(r["label"] in list("0123456789") for r in rows)


def test_submit_errors(saved_model, tmp_path, capsys):
    assert main(["digits", "submit", "--model", str(saved_model), "--source", "bundled"]) == 2
    assert "folder:PATH" in capsys.readouterr().err
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    assert main(["digits", "submit", "--model", str(bad), "--source", f"folder:{tmp_path}"]) == 2
    assert "not a PyTorch Explorer model file" in capsys.readouterr().err


def test_the_flags_make_the_train_config():
    from pytorch_explorer.cli import build_parser
    from pytorch_explorer.cli.digits import config_from_args

    args = build_parser().parse_args(["digits", "train", "--optimizer", "sgd", "--lr", "0.05", "--depth", "2",
                                      "--activation", "tanh", "--eager", "--momentum", "0.5"])
    config = config_from_args(args)
    assert config == TrainConfig(optimizer="sgd", lr=0.05, depth=2, activation="tanh", fast=False, momentum=0.5)


# ----------------------------------------------------------------------------- the architectures (issue 16)
@pytest.mark.parametrize(("flags", "arch", "parameters"), [
    ([], "mlp", 784 * 32 + 32 + 32 * 10 + 10),
    (["--arch", "lenet"], "lenet", 61_706),
    (["--arch", "cnn", "--channels", "4", "--kernel-size", "3", "--conv-layers", "1", "--dropout", "0",
      "--no-batch-norm"], "cnn", (1 * 4 * 9 + 4) + 4 * 14 * 14 * 10 + 10),
])
def test_train_json_says_the_arch_and_its_parameters(capsys, tmp_path, flags, arch, parameters):
    path = tmp_path / f"{arch}.pt"
    assert main(["digits", "train", *SMALL, "--val-fraction", "0.9", *flags, "--json", "--save", str(path)]) == 0
    out = capsys.readouterr().out
    summary = last_json(out)
    assert summary["arch"] == arch and summary["parameters"] == parameters
    assert summary["flops_per_sample"] > 0 and summary["hyperparameters"]["arch"] == arch
    assert f"{parameters:,} parameters" in out
    trained = load_checkpoint(path)
    assert trained.config.arch == arch and sum(p.numel() for p in trained.model.parameters()) == parameters


def test_bad_cnn_flags_are_one_line_errors(capsys):
    assert main(["digits", "train", "--arch", "cnn", "--channels", "0"]) == 2
    assert "channels must be between 1 and 128" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["digits", "train", "--arch", "resnet"])
    with pytest.raises(SystemExit):
        main(["digits", "train", "--kernel-size", "4"])
