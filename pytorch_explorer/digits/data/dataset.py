"""What every digit loader shares: the DigitDataset it returns, where data lives, the .npz cache,
the bad-data policy (skip or stop), the train/validation split, and image files as 28x28 grey.

The loaders (bundled, pixel_csv, png_folder, mnist) import this module; data.load_digits picks
one of them from a source spec. Nothing here imports a loader.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from pytorch_explorer.core.errors import DataError, ExplorerError, Said, Term
from pytorch_explorer.core.paths import data_dir

SIDE = 28  # MNIST digits are 28 x 28 pixels
Progress = Callable[[int, int], None]  # progress(done, total)


@dataclass
class DigitDataset:
    """Labelled digits (and, for the article's layout, its unlabelled test images)."""

    images: np.ndarray  # uint8, (N, 28, 28)
    labels: np.ndarray  # int64, (N,)
    source: str
    filenames: list[str] | None = None
    test_images: np.ndarray | None = None
    test_filenames: list[str] | None = None
    problems: list[str] = field(default_factory=list)  # skipped rows and files (Said), for the page to report

    def __len__(self) -> int:
        return len(self.labels)


def cache_dir() -> Path:
    """data_dir()/cache, created on first use: the only place a loader writes to."""
    path = data_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def split_index(n: int, val_fraction: float = 0.3) -> int:
    """The article's split: the first (1 - val_fraction) of the rows train, the rest validate."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"the validation fraction must be between 0 and 1, not {val_fraction}")
    cut = int(n * (1.0 - val_fraction))
    if cut < 1 or cut >= n:
        raise DataError("{n} digits are too few to split {train:.0%} / {val:.0%}.", n=n, train=1 - val_fraction,
                        val=val_fraction)
    return cut


# ------------------------------------------------------------------ bad data: skip or stop
def check_on_error(on_error: str) -> str:
    """on_error itself if it is "skip" or "stop", else a ValueError."""
    if on_error not in ("skip", "stop"):
        raise ValueError(f'on_error must be "skip" or "stop", not {on_error!r}')
    return on_error


def settle_problems(dataset: DigitDataset, on_error: str) -> DigitDataset:
    """Apply the user's choice: "stop" turns the first problem into a DataError; an empty load always does."""
    if dataset.problems and on_error == "stop":
        if len(dataset.problems) > 1:
            raise DataError("{problem} ({more} more problems after it). Fix it, or choose to skip bad rows and files.",
                            problem=dataset.problems[0], more=len(dataset.problems) - 1)
        raise DataError("{problem}. Fix it, or choose to skip bad rows and files.", problem=dataset.problems[0])
    if len(dataset) == 0:
        if dataset.problems:
            raise DataError("No usable digits in {source}. The first problem: {problem}", source=dataset.source,
                            problem=dataset.problems[0])
        raise DataError("No usable digits in {source}.", source=dataset.source)
    return dataset


def problem_of(error: ValueError) -> str:
    """A file's problem in words: a DataError as Said (its template and values, so a page can say it in
    Chinese), any other error's words as they are."""
    return Said(error.template, **error.values) if isinstance(error, ExplorerError) else str(error)


# ------------------------------------------------------------------ pixels
def grey_from_image(img: Image.Image) -> np.ndarray:
    """Any Pillow image as a 2-D uint8 grey array, the one greyscale rule of the digit loaders.

    Colour becomes ITU-R 601-2 luma (Pillow's convert("L"), as scipy's imread(flatten=True) in the
    article); transparent pixels are background, so an alpha channel is composited on black
    (MNIST's background): a white digit on a transparent canvas stays a white digit. 16-bit grey
    is scaled to 8 bits (65535 is white).
    """
    if img.mode == "L":
        return np.asarray(img)
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        if img.mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values / 257.0
        return values.round().clip(0, 255).astype(np.uint8)
    if "A" in img.getbands() or "transparency" in img.info:
        rgba = img.convert("RGBA")
        luma = np.asarray(rgba.convert("L"), dtype=np.uint32)
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.uint32)
        return ((luma * alpha + 127) // 255).astype(np.uint8)
    return np.asarray(img.convert("L"))


def resize_to_28(grey: np.ndarray) -> np.ndarray:
    """One (H, W) uint8 image scaled to 28x28 with Pillow's Lanczos filter."""
    return np.asarray(Image.fromarray(grey).resize((SIDE, SIDE), Image.Resampling.LANCZOS))


def fit_to_28(images: np.ndarray, resize: bool, where: str) -> np.ndarray:
    """(N, H, W) uint8 digits as (N, 28, 28): unchanged, resized with Pillow, or a DataError."""
    height, width = images.shape[1:]
    if (height, width) == (SIDE, SIDE):
        return images
    if not resize:
        raise DataError("{where} holds {width}x{height} images, not 28x28: pass resize=True (tick 'resize') to scale "
                        "them to 28x28.", where=where, width=width, height=height)
    if not len(images):
        return np.zeros((0, SIDE, SIDE), np.uint8)
    return np.stack([resize_to_28(im) for im in images]).astype(np.uint8)


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
    """Save arrays with the source's stamp (written to a temporary file, then renamed into place)."""
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, stamp=np.array(stamp), **arrays)
    os.replace(tmp, cached)


def problems_array(problems: list[str]) -> np.ndarray:
    """Problems as the cache keeps them: each its template and values in JSON, so that a load from the cache
    still says them in Chinese (see problems_from)."""
    return np.array([json.dumps(_said_record(p)) for p in problems], dtype=str)


def problems_from(array: np.ndarray) -> list[str]:
    """The problems problems_array kept, as Said again."""
    return [_said_of_record(json.loads(text)) for text in array.tolist()]


def _said_record(value: object) -> object:
    """A problem, or one of its values, as JSON data: a Said as its template and values, a Term tagged as one;
    numbers and text as they are, anything else (a Path) as its text."""
    if isinstance(value, Said):
        return {"said": [value.template, {k: _said_record(v) for k, v in value.values.items()}]}
    if isinstance(value, Term):
        return {"term": str(value)}
    if isinstance(value, np.integer):
        return int(value)
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _said_of_record(record: object) -> object:
    if isinstance(record, dict) and "said" in record:
        template, values = record["said"]
        return Said(template, **{k: _said_of_record(v) for k, v in values.items()})
    return Term(record["term"]) if isinstance(record, dict) and "term" in record else record


def file_stamp(*paths: Path) -> str:
    """Size and modification time of each file (a changed file gets a new stamp)."""
    return ";".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" if p.exists() else f"{p.name}:-"
                    for p in paths)
