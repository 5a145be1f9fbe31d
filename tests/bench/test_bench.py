"""`bench --quick --json` with tiny sizes: the JSON has every figure and the values are sane (no timing limits)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pytorch_explorer.bench.digits import cpu_model, synthetic_digits
from pytorch_explorer.core.devices import cpu_count
from pytorch_explorer.cli import main


@pytest.fixture(scope="module")
def bench_json() -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["bench", "--quick", "--json", "--n", "800", "--png-count", "40", "--hidden", "64"])
    assert code == 0
    lines = out.getvalue().strip().splitlines()
    assert any(line.startswith("speedup (trainer / article):") for line in lines)
    assert any(line.startswith("one 5-epoch run of this trainer over 560 digits: training ") for line in lines)
    return json.loads(lines[-1])


def test_bench_json_has_the_required_keys(bench_json):
    assert {"device", "article_samples_per_s", "trainer_samples_per_s", "speedup"} <= set(bench_json)
    assert bench_json["device"] == "cpu"
    assert bench_json["n_samples"] == 800 and bench_json["hidden"] == 64 and bench_json["source"] == "synthetic:800"


def test_bench_figures_are_sane(bench_json):
    r = bench_json
    for key in ("article_samples_per_s", "trainer_samples_per_s", "trainer_eager_samples_per_s",
                "trainer_bf16_samples_per_s", "speedup_bf16", "matmul_gflops", "trainer_gflops",
                "latency_ms_median", "preprocess_ms_median"):
        assert math.isfinite(r[key]) and r[key] > 0, key
    assert math.isfinite(r["speedup"]) and r["speedup"] > 0
    low, high = r["speedup_quartiles"]
    assert low <= r["speedup"] <= high
    assert all(r["chunks"][name] >= 1 for name in ("article", "trainer", "trainer_eager", "trainer_bf16"))
    assert r["article_status"] == "done"
    assert r["trainer_gflops"] == pytest.approx(r["trainer_samples_per_s"] * r["flops_per_sample"] / 1e9)
    assert 0 < r["fraction_of_matmul"] == pytest.approx(r["trainer_gflops"] / r["matmul_gflops"])
    assert r["article_steps_per_epoch"] == 800 // 128 and r["trainer_steps_per_epoch"] == math.ceil(560 / 128)
    assert r["latency_ms_median"] >= r["preprocess_ms_median"]
    assert r["threads"] >= 1 and r["cores"] == cpu_count() and r["cpu"]
    assert 0 <= r["article_val_acc"] <= 1 and 0 <= r["trainer_val_acc"] <= 1
    assert r["five_epochs_n_train"] == 560 and 0 < r["five_epochs_train_s"] < r["five_epochs_elapsed_s"]
    assert r["five_epochs_samples_per_s"] == pytest.approx(5 * 560 / r["five_epochs_train_s"])
    assert 0 <= r["five_epochs_val_acc"] <= 1


def test_bench_png_timings(bench_json):
    png = bench_json["png"]
    assert png["n_images"] == 40
    assert png["serial_pillow_s"] > 0 and png["parallel_cold_s"] > 0 and png["cached_s"] > 0


def test_no_png_skips_the_folder_timing(capsys):
    assert main(["bench", "--quick", "--json", "--n", "300", "--no-png", "--hidden", "16"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["png"] is None and result["trainer_samples_per_s"] > 0


def test_bad_flags_are_one_line_errors(capsys):
    assert main(["bench", "--quick", "--repeats", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --repeats must be at least 1")


def test_synthetic_digits_have_mnists_shape_and_are_learnable():
    data = synthetic_digits(500, seed=1)
    assert data.images.shape == (500, 28, 28) and data.images.dtype == np.uint8
    assert data.labels.dtype == np.int64 and set(np.unique(data.labels)) <= set(range(10))
    assert np.array_equal(synthetic_digits(500, seed=1).images, data.images)
    means = np.stack([data.images[data.labels == k].mean(0) for k in range(10)])
    assert np.abs(means[0] - means[1]).mean() > 10  # the classes differ


def test_cpu_model_is_the_model_name_in_proc_cpuinfo():
    from pathlib import Path

    info = Path("/proc/cpuinfo")
    if not info.exists():
        pytest.skip("no /proc/cpuinfo here")
    names = [line.split(":", 1)[1].strip() for line in info.read_text().splitlines() if line.startswith("model name")]
    assert cpu_model() == names[0]


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")
def test_bench_on_a_gpu_names_the_card_and_times_the_graph(capsys):
    assert main(["bench", "--quick", "--json", "--device", "cuda", "--n", "2000", "--no-png"]) == 0
    r = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert r["device"].startswith("cuda") and r["gpu"]
    assert "CUDA graph (" in r["fast_path"] and "failed" not in r["fast_path"]
    assert r["trainer_samples_per_s"] > 0 and r["article_samples_per_s"] > 0 and math.isfinite(r["speedup"])


def test_bench_archs_compares_the_architectures_on_the_same_data(capsys):
    assert main(["bench", "archs", "--archs", "mlp,lenet", "--epochs", "1", "--batch-size", "256",
                 "--source", "csv:" + str(tiny_csv()), "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    rows = json.loads(lines[-1])["archs"]
    assert [r["arch"] for r in rows] == ["mlp", "lenet"]
    assert rows[1]["parameters"] == 61_706 and rows[0]["parameters"] == 397_510
    for r in rows:
        assert r["n_train"] == 140 and r["epochs"] == 1 and 0 <= r["val_acc"] <= 1 and r["status"] == "done"
        assert r["samples_per_s"] > 0 and r["gflops"] == pytest.approx(r["samples_per_s"] * r["flops_per_sample"] / 1e9)
    assert lines[1].strip().startswith("lenet: val acc")


def test_bench_archs_refuses_an_unknown_arch(capsys):
    assert main(["bench", "archs", "--archs", "mlp,vgg"]) == 2
    assert "--archs takes names from mlp, lenet, cnn" in capsys.readouterr().err


def test_bench_takes_an_arch(capsys):
    assert main(["bench", "--quick", "--json", "--n", "300", "--no-png", "--arch", "lenet", "--repeats", "1",
                 "--threads", "1"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert result["arch"] == "lenet" and result["parameters"] == 61_706
    assert result["flops_per_sample"] == 2_263_920 and "lenet (61,706 parameters)" in out[1]


def tiny_csv():
    """200 bundled digits as a CSV under the data folder (label,pixel0..pixel783)."""
    from pytorch_explorer.digits.data import data_dir, load_bundled

    path = data_dir() / "bench-archs.csv"
    if not path.exists():
        data = load_bundled()
        rows = np.column_stack([data.labels[:200], data.images[:200].reshape(200, -1)])
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savetxt(path, rows, fmt="%d", delimiter=",")
    return path


def test_bench_playground_times_frames_and_restores_the_threads(capsys):
    import torch

    before = torch.get_num_threads()
    assert main(["bench", "playground", "--layers", "3-2", "--problem", "xor", "--frames", "3", "--json"]) == 0
    assert torch.get_num_threads() == before
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["layers"] == "3-2" and result["frames"] == 3 and result["threads"] == 1
    assert result["train_ms"] >= 100 and result["epochs_per_frame"] >= 1 and result["json_kb"] > 10
    assert result["frames_per_s"] == pytest.approx(1000 / result["frame_ms"])
    assert result["frame_ms"] >= result["train_ms"]
