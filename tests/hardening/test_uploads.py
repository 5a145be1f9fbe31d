"""Hostile uploads: checkpoints, images and IDX files are sized from what they declare, before unpacking."""

from __future__ import annotations

import gzip
import io
import math
import struct
import zipfile
import zlib

import pytest
import torch

from pytorch_explorer.core.errors import CheckpointError, DataError
from pytorch_explorer.digits.data.mnist import MAX_IDX_BYTES, read_idx
from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp, load_checkpoint, save_checkpoint
from pytorch_explorer.digits.preprocess import ImageError, load_image_bytes


def checkpoint(**changes) -> dict:
    torch.manual_seed(0)
    trained = TrainedModel(build_mlp(MLPConfig(hidden=16)), MLPConfig(hidden=16), {"lr": 0.1, "val_fraction": 0.3},
                           {"val_acc": 0.9, "epoch_seconds": [1.0], "samples_per_s": 100.0})
    payload = torch.load(io.BytesIO(save_checkpoint(trained)), weights_only=True)
    payload.update(changes)
    return payload


def saved(payload: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def test_a_deflated_checkpoint_is_refused_unread(bounded):
    stored = saved(checkpoint())
    deflated = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(stored)) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info.filename, src.read(info))
    with bounded("deflated checkpoint"), pytest.raises(CheckpointError, match="compressed"):
        load_checkpoint(deflated.getvalue())


def test_a_checkpoint_declaring_a_huge_model_is_refused_before_building_it(bounded):
    big = MLPConfig(hidden=8192, depth=3)
    state = {k: torch.zeros(1).expand(v.shape) for k, v in
             torch.nn.Sequential(*[torch.nn.Linear(1, 1)]).state_dict().items()}  # stride-0 views
    payload = checkpoint(config={"hidden": big.hidden, "depth": big.depth, "activation": "relu"}, state_dict=state)
    with bounded("141M-parameter declared model", mb=50), pytest.raises(CheckpointError, match="parameters"):
        load_checkpoint(saved(payload))


def test_stride_zero_weights_are_refused(bounded):
    payload = checkpoint()
    payload["state_dict"] = {k: torch.zeros(1).expand(v.shape) for k, v in payload["state_dict"].items()}
    with bounded("stride-0 weights"), pytest.raises(CheckpointError, match="more values than it stores"):
        load_checkpoint(saved(payload))


@pytest.mark.parametrize(("changes", "words"), [
    ({"hyperparameters": 5}, "hyperparameters must be a dictionary"),
    ({"metrics": 5}, "metrics must be a dictionary"),
    ({"metrics": {"epoch_seconds": ["x"]}}, "epoch_seconds"),
    ({"metrics": {"samples_per_s": math.nan}}, "samples_per_s"),
    ({"metrics": {"val_acc": "high"}}, "val_acc"),
    ({"metrics": {"val_acc": 1.5}}, "val_acc"),
    ({"hyperparameters": {"val_fraction": "abc"}}, "validation fraction"),
    ({"hyperparameters": {"val_fraction": 1.5}}, "validation fraction"),
    ({"hyperparameters": {"val_fraction": 0.9999}}, "validation fraction"),
    ({"name": "x" * 10_000}, "name"),
    ({"source": 5}, "source"),
    ({"config": 5}, "config"),
])
def test_crafted_metadata_is_refused_in_words(changes, words, bounded):
    with bounded(f"metadata {list(changes)[0]}"), pytest.raises(CheckpointError, match=words):
        load_checkpoint(saved(checkpoint(**changes)))


def test_nan_weights_are_refused():
    payload = checkpoint()
    key = next(iter(payload["state_dict"]))
    payload["state_dict"][key] = torch.full_like(payload["state_dict"][key], math.nan)
    with pytest.raises(CheckpointError, match="nan or inf"):
        load_checkpoint(saved(payload))


def test_a_good_checkpoint_still_loads():
    assert load_checkpoint(saved(checkpoint())).metrics["val_acc"] == 0.9


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header declaring width x height RGB, with one tiny (broken) data chunk."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("size", "words"), [((6300, 6300), "MB"), ((40_000_000, 1), "too thin"),
                                             ((100_000, 100_000), "too large|megapixels|MB")])
def test_a_huge_png_is_refused_before_decoding(size, words, bounded):
    with bounded(f"png {size[0]}x{size[1]}", mb=50), pytest.raises(ImageError, match=words):
        load_image_bytes(png_claiming(*size), "big.png")


def test_an_oversized_file_is_refused_unread():
    with pytest.raises(ImageError, match="MB"):
        load_image_bytes(b"\0" * (51 << 20), "huge.bin")


def test_a_gzip_idx_bomb_is_refused_while_unpacking(tmp_path, bounded):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    header = b"\0\0\x08\x03" + struct.pack(">III", 60_000_000, 28, 28)
    with gzip.open(path, "wb", compresslevel=9) as out:
        out.write(header)
        block = b"\0" * (1 << 20)
        for _ in range((MAX_IDX_BYTES >> 20) + 4):
            out.write(block)
    assert path.stat().st_size < 2 << 20
    with bounded("gzip IDX bomb", mb=MAX_IDX_BYTES / 2**20 * 2.5), pytest.raises(DataError, match="unpacks to more"):
        read_idx(path)


def test_a_sparse_huge_idx_file_is_refused_unread(tmp_path, bounded):
    path = tmp_path / "train-images-idx3-ubyte"
    with path.open("wb") as out:
        out.write(b"\0\0\x08\x03")
        out.truncate(64 << 30)  # sparse: no disk used
    with bounded("sparse 64 GiB IDX", mb=20), pytest.raises(DataError, match="MB"):
        read_idx(path)
