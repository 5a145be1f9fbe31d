"""`python -m pytorch_explorer digits predict`: labels images like the page; bad images fail alone."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from pytorch_explorer.cli import main
from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.digits.models import save_checkpoint
from pytorch_explorer.digits.preprocess import preprocess_digit
from pytorch_explorer.digits.probe import predict
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from conftest import ROOT


@pytest.fixture(scope="module")
def trained():
    return train_to_completion(TrainConfig(epochs=2, hidden=64, device="cpu"))


@pytest.fixture(scope="module")
def files(trained, tmp_path_factory):
    """A saved model, three real validation digits as a photo would give them, and two bad files."""
    folder = tmp_path_factory.mktemp("predict")
    model = folder / "model.pt"
    save_checkpoint(trained, model)
    digits = load_bundled()
    paths = []
    for i, (fmt, index) in enumerate([("png", 4990), ("jpg", 4991), ("bmp", 4992)]):
        big = Image.fromarray(255 - digits.images[index]).resize((280, 280), Image.Resampling.BILINEAR)
        path = folder / f"digit{i}.{fmt}"
        big.convert("RGB").save(path)
        paths.append(str(path))
    (folder / "notes.png").write_bytes(b"not a picture at all")
    blank = folder / "blank.png"
    Image.new("L", (100, 100), 255).save(blank)
    return str(model), paths, str(folder / "notes.png"), str(blank)


def expected(trained, path):
    return predict(trained, preprocess_digit(Image.open(path)).final)


def test_json_lines_one_per_image(trained, files, capsys):
    model, paths, _, _ = files
    assert main(["digits", "predict", "--model", model, *paths, "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for line, path in zip(lines, paths, strict=True):
        record = json.loads(line)
        assert set(record) == {"file", "label", "probabilities"}
        assert record["file"] == path
        p = expected(trained, path)
        assert record["label"] == int(p.argmax())
        assert len(record["probabilities"]) == 10
        np.testing.assert_allclose(record["probabilities"], p, atol=1e-5)


def test_plain_output(trained, files, capsys):
    model, paths, _, _ = files
    assert main(["digits", "predict", "--model", model, paths[0]]) == 0
    file, label, probabilities = capsys.readouterr().out.strip().split("\t")
    p = expected(trained, paths[0])
    assert file == paths[0] and int(label) == int(p.argmax())
    np.testing.assert_allclose([float(v) for v in probabilities.split()], p, atol=1e-4)


def test_bad_images_get_one_line_each_and_the_rest_are_still_predicted(files, capsys):
    model, paths, notes, blank = files
    missing = str(ROOT / "no-such-digit.png")
    code = main(["digits", "predict", "--model", model, notes, paths[0], missing, blank, paths[1], "--json"])
    assert code == 2
    out, err = capsys.readouterr()
    assert [json.loads(line)["file"] for line in out.strip().splitlines()] == [paths[0], paths[1]]
    errors = err.strip().splitlines()
    assert len(errors) == 3
    assert errors[0].startswith("error: ") and notes in errors[0] and "not an image" in errors[0]
    assert missing in errors[1] and "no such file" in errors[1]
    assert blank in errors[2] and "no digit" in errors[2]
    assert "Traceback" not in err


def test_a_bad_model_file_is_one_error_line(files, tmp_path, capsys):
    _, paths, notes, _ = files
    assert main(["digits", "predict", "--model", notes, paths[0]]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert main(["digits", "predict", "--model", str(tmp_path / "none.pt"), paths[0]]) == 2
    assert "no such file" in capsys.readouterr().err


def test_as_a_real_command(files):
    model, paths, notes, _ = files
    done = subprocess.run([sys.executable, "-m", "pytorch_explorer", "digits", "predict", "--model", model,
                           paths[2], notes, "--json"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert json.loads(done.stdout.strip())["file"] == paths[2]
    assert done.stderr.strip().startswith("error: ") and "Traceback" not in done.stderr
