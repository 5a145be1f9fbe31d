"""The "csv:PATH" source: a CSV of pixels, label,pixel0..pixel783 per row (Kaggle's train.csv).

The header row may be left out; with it, pixel columns are matched by name in any order. Rows with a
label that is not 0-9 or a pixel that is not 0-255 are problems naming the line; the parsed arrays are
cached as .npz.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pytorch_explorer.core.errors import DataError, Said
from pytorch_explorer.digits.data.dataset import (SIDE, DigitDataset, Progress, cache_file, file_stamp, problems_array,
                                             problems_from, read_cache, settle_problems, write_cache)

MAX_CSV_BYTES = 400 << 20  # sized before reading: pandas holds several times a file's size while parsing
CACHE_VERSION = 2  # 2: problems kept as templates and values


def load_pixel_csv(path: Path | str, *, on_error: str = "skip", progress: Progress | None = None) -> DigitDataset:
    """label,pixel0..pixel783 per row (Kaggle's train.csv), with or without the header row; cached as .npz."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError("{path} does not exist: expected a CSV with rows label,pixel0,...,pixel783.", path=path)
    if (size := path.stat().st_size) > MAX_CSV_BYTES:
        raise DataError("{path} is {size} MB: this app reads pixel CSVs of up to {most} MB (all 70,000 MNIST digits "
                        "take about 130 MB). Split it, or use idx: or folder: data.", path=path, size=size >> 20,
                        most=MAX_CSV_BYTES >> 20)
    cached, stamp = cache_file("csv", path), f"v{CACHE_VERSION}:{file_stamp(path)}"
    if (arrays := read_cache(cached, stamp)) is None:
        images, labels, problems = parse_pixel_csv(path)
        write_cache(cached, stamp, images=images, labels=labels, problems=problems_array(problems))
    else:
        images, labels, problems = arrays["images"], arrays["labels"], problems_from(arrays["problems"])
    if progress:
        progress(len(labels), len(labels))
    return settle_problems(DigitDataset(images, labels, f"csv:{path}", problems=problems), on_error)


def parse_pixel_csv(path: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Images, labels and one problem (Said) per bad row, its line named; a DataError if the file's shape is wrong."""
    import pandas as pd

    with path.open(encoding="utf-8", errors="replace") as stream:
        first = stream.readline().strip().split(",")
    if first == [""]:
        raise DataError("{path} is empty: expected rows label,pixel0,...,pixel783.", path=path)
    has_header = not is_number(first[0])
    try:
        try:
            table = pd.read_csv(path, header=0 if has_header else None, skipinitialspace=True, dtype=np.float32)
        except ValueError:  # some cell is not a number: read text, and find it below
            table = pd.read_csv(path, header=0 if has_header else None, skipinitialspace=True, dtype=str)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError("{path} could not be read as CSV: {error}", path=path, error=str(exc)) from exc
    if has_header:
        table.columns = [str(c).strip().lower() for c in table.columns]
        if "label" not in table.columns:
            raise DataError("{path} has no 'label' column: the header must read label,pixel0,...,pixel783.", path=path)
        pixels = [c for c in table.columns if c != "label"]
        if sorted(pixels) == sorted(f"pixel{i}" for i in range(784)):
            pixels = [f"pixel{i}" for i in range(784)]  # columns in any order, by name
        table = table[["label", *pixels]]
    if table.shape[1] != 785:
        raise DataError("{path} has {n} columns; expected 785: label then 784 pixels (28x28).", path=path,
                        n=table.shape[1])
    numbers = table.to_numpy(np.float32) if (table.dtypes == np.float32).all() \
        else table.apply(pd.to_numeric, errors="coerce").to_numpy(np.float32)
    first_line = 2 if has_header else 1
    labels, pixels = numbers[:, 0], numbers[:, 1:]
    ok_label = np.isfinite(labels) & (labels == np.round(labels)) & (labels >= 0) & (labels <= 9)
    ok_pixels = np.isfinite(pixels).all(1) & (pixels >= 0).all(1) & (pixels <= 255).all(1)
    problems: list[str] = []
    for row in np.flatnonzero(~(ok_label & ok_pixels)).tolist():
        line = row + first_line
        if not ok_label[row]:
            problems.append(Said("{path}, line {line} (row {row}): label {label!r} is not a digit 0-9", path=str(path),
                                 line=line, row=row + 1, label=cell_text(table.iat[row, 0])))
        else:
            col = int(np.flatnonzero(~(np.isfinite(pixels[row]) & (pixels[row] >= 0) & (pixels[row] <= 255)))[0])
            problems.append(Said("{path}, line {line} (row {row}): pixel{column} is {value!r}, not a number 0-255",
                                 path=str(path), line=line, row=row + 1, column=col,
                                 value=cell_text(table.iat[row, col + 1])))
    keep = ok_label & ok_pixels
    images = pixels[keep].round().astype(np.uint8).reshape(-1, SIDE, SIDE)
    return images, labels[keep].astype(np.int64), problems


def cell_text(value: object) -> str:
    """A cell as the file shows it: 12, not 12.0."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def is_number(text: str) -> bool:
    """Whether a header cell reads as a number (so the first row is data, not a header)."""
    try:
        float(text)
    except ValueError:
        return False
    return True
