"""MNIST's own files (mnist): IDX files checked strictly, and the download, served by a fake urlopen
(no network), checked against MD5 sums.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.digits import data
from pytorch_explorer.digits.data import mnist as mnist_download
from pytorch_explorer.digits.data.bundled import load_bundled
from pytorch_explorer.digits.data import DataError, describe_source, load_digits


@pytest.fixture(scope="module")
def bundled():
    return load_bundled()


def write_idx(path: Path, array: np.ndarray) -> Path:
    raw = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(">u1").tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


# ------------------------------------------------------------------ IDX files
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_folder_loads_train_then_t10k(tmp_path, suffix, bundled):
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", bundled.images[:50])
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", bundled.labels[:50])
    dataset = load_digits(f"idx:{tmp_path}")
    np.testing.assert_array_equal(dataset.images, bundled.images[:50])
    assert dataset.labels.dtype == np.int64 and list(dataset.labels) == list(bundled.labels[:50])
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", bundled.images[50:60])
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", bundled.labels[50:60])
    calls = []
    dataset = load_digits(f"idx:{tmp_path}", progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(dataset.images, bundled.images[:60])
    assert calls[-1] == (60, 60)


def test_idx_path_to_the_images_file_itself_and_the_dotted_spelling(tmp_path, bundled):
    images = write_idx(tmp_path / "t10k-images.idx3-ubyte", bundled.images[:7])
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", bundled.labels[:7])
    assert list(load_digits(f"idx:{images}").labels) == list(bundled.labels[:7])


def test_idx_headers_are_checked_strictly(tmp_path, bundled):
    images = tmp_path / "train-images-idx3-ubyte"
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", bundled.labels[:5])
    images.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3I", 5, 28, 28) + bytes(5 * 784 - 1))
    with pytest.raises(DataError, match=r"header promises 5 x 28 x 28 values \(3920 bytes\) but 3919"):
        load_digits(f"idx:{tmp_path}")
    images.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DataError, match="is not an IDX file") as caught:
        load_digits(f"idx:{tmp_path}")
    assert "50 4b" not in str(caught.value)  # issue 18: a file's bytes are never echoed
    images.write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(DataError, match="ends inside its IDX header"):
        load_digits(f"idx:{tmp_path}")
    write_idx(images, bundled.images[:6])
    with pytest.raises(DataError, match="holds 6 images but .* 5 labels"):
        load_digits(f"idx:{tmp_path}")
    write_idx(images, bundled.images[:5])
    write_idx(labels, np.array([1, 2, 11, 3, 4]))
    dataset = load_digits(f"idx:{tmp_path}")
    assert list(dataset.labels) == [1, 2, 3, 4] and len(dataset.images) == 4
    np.testing.assert_array_equal(dataset.images[2], bundled.images[3])
    assert dataset.problems == [f"{labels}: label 11 (digit number 2) is not a digit 0-9"]
    with pytest.raises(DataError, match=r"label 11 \(digit number 2\) is not a digit 0-9"):
        load_digits(f"idx:{tmp_path}", on_error="stop")
    write_idx(labels, bundled.labels[:5, None])
    with pytest.raises(DataError, match="must hold N x 28 x 28 images"):
        load_digits(f"idx:{tmp_path}")
    gz = tmp_path / "gz"
    gz.mkdir()
    (gz / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    write_idx(gz / "train-labels-idx1-ubyte", bundled.labels[:5])
    with pytest.raises(DataError, match="is not a valid .gz file"):
        load_digits(f"idx:{gz}")


def test_idx_missing_files_and_sizes(tmp_path, bundled):
    with pytest.raises(DataError, match="does not exist"):
        load_digits(f"idx:{tmp_path / 'none'}")
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(DataError, match=r"has no train-images-idx3-ubyte\[\.gz\]") as caught:
        load_digits(f"idx:{tmp_path}")
    assert "readme" not in str(caught.value)  # issue 18: a folder is never listed
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(DataError, match="has no labels file beside it"):
        load_digits(f"idx:{tmp_path}")
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2, 3]))
    with pytest.raises(DataError, match="32x32 images, not 28x28: pass resize=True"):
        load_digits(f"idx:{tmp_path}")
    assert load_digits(f"idx:{tmp_path}", resize=True).images.shape == (3, 28, 28)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 4), st.integers(1, 6), st.integers(1, 6), st.binary(min_size=200, max_size=200))
def test_read_idx_round_trips_any_uint8_array(tmp_path_factory, n, rows, cols, noise):
    array = np.frombuffer(noise, np.uint8)[: n * rows * cols].reshape(n, rows, cols)
    path = write_idx(tmp_path_factory.mktemp("idx") / "a.idx3-ubyte", array)
    np.testing.assert_array_equal(data.read_idx(path), array)


# ------------------------------------------------------------------ MNIST download (a fake server)
@pytest.fixture
def fake_mnist(tmp_path, monkeypatch, bundled):
    """Small IDX .gz files in a fake mirror, with FILES pointing at their checksums; a private data dir."""
    monkeypatch.setenv("PTE_DATA_DIR", str(tmp_path / "data"))
    served = {}
    for prefix, sl in (("train", slice(0, 60)), ("t10k", slice(60, 70))):
        served[f"{prefix}-images-idx3-ubyte.gz"] = write_idx(tmp_path / "x.gz", bundled.images[sl]).read_bytes()
        served[f"{prefix}-labels-idx1-ubyte.gz"] = write_idx(tmp_path / "x.gz", bundled.labels[sl]).read_bytes()
    monkeypatch.setattr(mnist_download, "FILES", {
        name: (hashlib.md5(body).hexdigest(), len(body)) for name, body in served.items()})
    return served


def fake_urlopen(served: dict[str, bytes], log: list, *, fail_hosts=(), corrupt_hosts=()):
    def urlopen(request, timeout):
        url = request.full_url
        log.append((url, timeout))
        host, name = url.split("/")[2], url.rsplit("/", 1)[1]
        if host in fail_hosts:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        body = served[name]
        return io.BytesIO(body[:-1] + b"!" if host in corrupt_hosts else body)
    return urlopen


def test_mnist_is_not_downloaded_until_asked(fake_mnist):
    with pytest.raises(DataError, match=r"not downloaded yet.*download_mnist\(\)"):
        load_digits("mnist")


def test_download_mnist_verifies_checksums_reports_progress_then_loads(fake_mnist, bundled):
    log, calls = [], []
    folder = data.download_mnist(lambda done, total: calls.append((done, total)),
                                 urlopen=fake_urlopen(fake_mnist, log), mirrors=("https://a.example/m/",))
    assert folder == data.data_dir() / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(fake_mnist)
    assert all(timeout > 0 for _, timeout in log) and len(log) == 4
    total = sum(len(b) for b in fake_mnist.values())
    assert calls[-1] == (total, total) and calls == sorted(calls)
    dataset = load_digits("mnist")
    assert dataset.source == "mnist" and len(dataset) == 70
    np.testing.assert_array_equal(dataset.images, bundled.images[:70])
    assert "downloaded)" in describe_source("mnist")
    log.clear()
    data.download_mnist(urlopen=fake_urlopen(fake_mnist, log), mirrors=("https://a.example/m/",))
    assert log == []  # intact files are not fetched again


def test_download_mnist_tries_the_next_mirror_after_a_failure_or_a_bad_checksum(fake_mnist):
    log = []
    urlopen = fake_urlopen(fake_mnist, log, fail_hosts={"down.example"}, corrupt_hosts={"bad.example"})
    mirrors = ("https://down.example/", "https://bad.example/", "https://good.example/")
    data.download_mnist(urlopen=urlopen, mirrors=mirrors)
    assert [url.split("/")[2] for url, _ in log[:3]] == ["down.example", "bad.example", "good.example"]
    assert mnist_download.is_downloaded()


def test_download_mnist_offline_or_corrupt_is_a_clear_error_and_leaves_nothing_behind(fake_mnist):
    log = []
    with pytest.raises(DataError, match=r"Could not download train-images-idx3-ubyte\.gz.*name resolution.*offline"):
        data.download_mnist(urlopen=fake_urlopen(fake_mnist, log, fail_hosts={"a.example"}),
                            mirrors=("https://a.example/",))
    with pytest.raises(DataError, match="wrong checksum"):
        data.download_mnist(urlopen=fake_urlopen(fake_mnist, log, corrupt_hosts={"a.example"}),
                            mirrors=("https://a.example/",))
    assert list((data.data_dir() / "mnist").iterdir()) == []
    with pytest.raises(DataError, match="not downloaded yet"):
        load_digits("mnist")


def test_download_mnist_turns_a_timeout_into_a_data_error(fake_mnist):
    def silent_server(request, timeout):
        assert timeout == mnist_download.TIMEOUT_S
        raise TimeoutError("timed out")

    with pytest.raises(DataError, match="timed out"):
        data.download_mnist(urlopen=silent_server, mirrors=("https://a.example/",))


def _download_via(monkeypatch, urlopen) -> None:
    """Make the CLI's download_mnist use a fake server (the CLI imports it at call time)."""
    real = mnist_download.download_mnist
    monkeypatch.setattr(mnist_download, "download_mnist",
                        functools.partial(real, urlopen=urlopen, mirrors=("https://a.example/m/",)))


def test_digits_download_command_fetches_then_mnist_loads(fake_mnist, monkeypatch, capsys):
    from pytorch_explorer import cli

    log = []
    _download_via(monkeypatch, fake_urlopen(fake_mnist, log))
    assert cli.main(["digits", "download", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["downloaded"] is True
    assert len(log) == 4
    assert len(load_digits("mnist")) == 70


def test_digits_download_offline_is_one_line_and_exit_2(fake_mnist, monkeypatch, capsys):
    from pytorch_explorer import cli

    _download_via(monkeypatch, fake_urlopen(fake_mnist, [], fail_hosts={"a.example"}))
    assert cli.main(["digits", "download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and "offline" in err[-1].lower()
