"""The article's digit folders: PNG files listed in a CSV, decoded in parallel, cached as .npz.

Layout (the "Identify the Digits" download the article uses):
    ROOT/Train/train.csv            columns filename,label
    ROOT/Train/Images/train/<filename>
    ROOT/Test.csv                   column filename (optional: unlabelled digits to predict)
    ROOT/Train/Images/test/<filename>

Grayscale as the article's scipy `imread(path, flatten=True)`: ITU-R 601-2 luma (Pillow's
convert("L")). Transparent pixels are background: images with an alpha channel are composited on
black (MNIST's background) first, so a white digit on a transparent canvas stays a white digit.
For opaque images (alpha 255 everywhere, like the article's PNGs) that is exactly scipy's result.

Decoding runs in a process pool, in chunks (a 28x28 PNG is mostly Python overhead in Pillow, so
threads would not help), and calls progress(done, total) after each chunk. Plain 8-bit PNGs take a
fast path (zlib + numpy, a batch at a time); every other image goes through Pillow. Workers start
by fork in a single-threaded Linux process, else by forkserver/spawn, which (as for any
multiprocessing code) re-import the main script: keep a script's work under `if __name__ == "__main__":`.

The result is cached in data_dir()/cache, keyed by the folder's path; a changed CSV or image file
(size, mtime, count) rebuilds it. Nothing is written into the folder itself.
"""

from __future__ import annotations

import hashlib
import io
import multiprocessing
import os
import struct
import sys
import threading
import time
import zlib
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path, PurePath, PureWindowsPath

import numpy as np

from pytorch_explorer.digits.data import (SIDE, DigitDataset, Progress, cache_file, check_on_error, file_stamp,
                                   load_bundled, read_cache, settle_problems, write_cache)
from pytorch_explorer.core.errors import DataError

LAYOUT = ("the article's layout: ROOT/Train/train.csv (columns filename,label) with the images in "
          "ROOT/Train/Images/train/, and optionally ROOT/Test.csv (column filename) with ROOT/Train/Images/test/")
PARALLEL_MIN = 4000  # fewer images decode faster in this process than a pool starts
CACHE_VERSION = 1


# ------------------------------------------------------------------ grey levels
def gray_from_channels(pixels: np.ndarray) -> np.ndarray:
    """(..., C) uint8 grey, grey+alpha, RGB or RGBA as grey: ITU-R 601-2 luma exactly as Pillow's
    convert("L") computes it (scipy's flatten), times alpha / 255, i.e. composited on black."""
    values = pixels.astype(np.int32)
    gray = values[..., 0]
    if pixels.shape[-1] >= 3:
        gray = (values[..., 0] * 19595 + values[..., 1] * 38470 + values[..., 2] * 7471 + 0x8000) >> 16
    if pixels.shape[-1] in (2, 4):
        gray = (gray * values[..., -1] + 127) // 255
    return gray.astype(np.uint8)


def pillow_gray(img) -> np.ndarray:
    """Any Pillow image as a 2-D uint8 grey array (16-bit grey scaled to 8 bits)."""
    if img.mode == "L":
        return np.asarray(img)
    if img.mode.startswith("I;16") or img.mode in ("I", "F"):
        values = np.asarray(img, dtype=np.float64)
        if img.mode.startswith("I;16") or values.max(initial=0) > 255:
            values = values / 257.0  # 16-bit grey: 65535 is white
        return values.round().clip(0, 255).astype(np.uint8)
    if "A" in img.getbands() or "transparency" in img.info:
        return gray_from_channels(np.asarray(img.convert("RGBA")))
    return np.asarray(img.convert("L"))


def pillow_digit(data: bytes, path: str, resize: bool) -> np.ndarray:
    """Any image file Pillow reads, as 28x28 grey; ValueError naming the file when it cannot be."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
            gray = pillow_gray(img) if size == (SIDE, SIDE) or resize else None
    except (OSError, SyntaxError, EOFError, ValueError, Image.DecompressionBombError) as exc:
        raise ValueError(f"{path} could not be decoded as an image ({exc})") from None
    if gray is None:
        raise ValueError(f"{path} is {size[0]}x{size[1]} pixels, not 28x28: "
                         "pass resize=True (tick 'resize') to scale it to 28x28")
    if size != (SIDE, SIDE):
        gray = np.asarray(Image.fromarray(gray).resize((SIDE, SIDE), Image.Resampling.LANCZOS))
    return gray


# ------------------------------------------------------------------ a fast path for plain PNGs
# A 28x28 PNG is a few hundred bytes: Pillow spends most of its time in Python bookkeeping around
# them. Plain 8-bit, non-interlaced ones (almost all digit PNGs) are inflated here with zlib and
# their scanline filters undone for a whole batch at once with numpy; anything else goes to Pillow.
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # colour type -> bytes per pixel: grey, grey+alpha, RGB, RGBA


def png_scanlines(data: bytes) -> tuple[int, bytes] | None:
    """(bytes per pixel, inflated filtered scanlines) of a plain 28x28 8-bit PNG, else None."""
    if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR" or len(data) < 33:
        return None
    width, height, depth, colour, _, _, interlace = struct.unpack_from(">IIBBBBB", data, 16)
    bpp = PNG_CHANNELS.get(colour)
    if (width, height, depth, interlace) != (SIDE, SIDE, 8, 0) or bpp is None:
        return None
    position, compressed = 33, []
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        if kind == b"IDAT":
            compressed.append(data[position + 8:position + 8 + length])
        elif kind == b"IEND":
            break
        elif kind == b"tRNS":
            return None  # a transparent colour key: Pillow's job
        position += 12 + length
    try:
        scanlines = zlib.decompress(b"".join(compressed))
    except zlib.error:
        return None  # damaged: Pillow will say what is wrong
    return (bpp, scanlines) if len(scanlines) == SIDE * (1 + SIDE * bpp) else None


def average(left: np.ndarray, up: np.ndarray, up_left: np.ndarray) -> np.ndarray:
    return (left + up) >> 1


def paeth(left: np.ndarray, up: np.ndarray, up_left: np.ndarray) -> np.ndarray:
    """The neighbour closest to left + up - up_left (PNG's Paeth predictor)."""
    guess = left + up - up_left
    to_left, to_up, to_up_left = np.abs(guess - left), np.abs(guess - up), np.abs(guess - up_left)
    return np.where((to_left <= to_up) & (to_left <= to_up_left), left, np.where(to_up <= to_up_left, up, up_left))


def undo_left_to_right(line: np.ndarray, above: np.ndarray, bpp: int, predictor) -> np.ndarray:
    """Filters that predict from the already-decoded left pixel go pixel by pixel (for all images at once)."""
    out = line.copy()
    zero = np.zeros((len(line), bpp), line.dtype)
    for x in range(0, line.shape[1], bpp):
        left = out[:, x - bpp:x] if x else zero
        up_left = above[:, x - bpp:x] if x else zero
        out[:, x:x + bpp] = (line[:, x:x + bpp] + predictor(left, above[:, x:x + bpp], up_left)) & 255
    return out


def unfilter(raw: np.ndarray, bpp: int) -> tuple[np.ndarray, np.ndarray]:
    """Undo PNG's scanline filters for a batch of images: raw (N, H, 1 + W*bpp), each line led by its
    filter type (0 none, 1 sub, 2 up, 3 average, 4 paeth) -> (N, H, W*bpp) uint8, and which images
    used an unknown filter type."""
    kinds, lines = raw[:, :, 0], raw[:, :, 1:].astype(np.int32)
    n, height, width = lines.shape
    above = np.zeros((n, width), np.int32)
    for y in range(height):
        line, kind = lines[:, y], kinds[:, y]  # line is a view: writing it writes lines
        if (rows := np.flatnonzero(kind == 1)).size:  # sub: running sum along the line, per channel
            line[rows] = np.cumsum(line[rows].reshape(len(rows), -1, bpp), axis=1).reshape(len(rows), width) & 255
        if (rows := np.flatnonzero(kind == 2)).size:
            line[rows] = (line[rows] + above[rows]) & 255
        for code, predictor in ((3, average), (4, paeth)):
            if (rows := np.flatnonzero(kind == code)).size:
                line[rows] = undo_left_to_right(line[rows], above[rows], bpp, predictor)
        above = line
    return lines.astype(np.uint8), (kinds > 4).any(axis=1)


# ------------------------------------------------------------------ a worker's job
def read_start(path: str, size: int = 1 << 16) -> bytes:
    """The first `size` bytes of a file (all of a digit PNG) in one system call: open() and its buffered
    layers cost twice as much here. A short or cut read simply fails the fast path (zlib needs the
    whole stream), and Pillow then reads the file again."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        return os.read(fd, size)
    finally:
        os.close(fd)


def decode_chunk(paths: list[str], resize: bool) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Images (bad ones left black) and (index, problem) for the ones that failed."""
    images = np.zeros((len(paths), SIDE, SIDE), np.uint8)
    problems = []
    plain: dict[int, list[tuple[int, bytes]]] = {}  # bytes per pixel -> (index, scanlines)
    for i, path in enumerate(paths):
        try:
            data = read_start(path)
        except FileNotFoundError:
            problems.append((i, f"{path} is missing"))
            continue
        except OSError as exc:
            problems.append((i, f"{path} could not be read ({exc.strerror or exc})"))
            continue
        if (found := png_scanlines(data)) is not None:
            plain.setdefault(found[0], []).append((i, found[1]))
            continue
        try:
            images[i] = pillow_digit(Path(path).read_bytes(), path, resize)
        except ValueError as exc:
            problems.append((i, str(exc)))
        except OSError as exc:
            problems.append((i, f"{path} could not be read ({exc.strerror or exc})"))
    for bpp, batch in plain.items():
        index = np.array([i for i, _ in batch])
        raw = np.frombuffer(b"".join(lines for _, lines in batch), np.uint8).reshape(len(batch), SIDE, -1)
        pixels, unknown = unfilter(raw, bpp)
        images[index] = gray_from_channels(pixels.reshape(len(batch), SIDE, SIDE, bpp))
        for i in index[unknown]:
            images[i] = 0
            problems.append((int(i), f"{paths[i]} could not be decoded as an image (unknown PNG filter type)"))
    return images, sorted(problems)


def read_digit(path: Path | str, resize: bool = False) -> np.ndarray:
    """One image file as a 28x28 uint8 digit (the folder loader's decoding), or a DataError."""
    images, problems = decode_chunk([str(path)], resize)
    if problems:
        raise DataError(problems[0][1])
    return images[0]


# ------------------------------------------------------------------ many images
def worker_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def decode_files(paths: list[str], resize: bool, progress: Progress | None = None, *, done: int = 0,
                 total: int | None = None, workers: int | None = None,
                 chunk: int | None = None) -> tuple[np.ndarray, dict[int, str]]:
    """All images, decoded in a process pool when there are many (in this process when few), in chunks
    (about 40 for a progress bar, at least 500 images each, as the fast path works a batch at a time)."""
    total = len(paths) if total is None else total
    workers = (worker_count() if len(paths) >= PARALLEL_MIN else 1) if workers is None else workers
    chunk = chunk or int(np.clip(len(paths) // 40, 500, 2500))
    starts = range(0, len(paths), chunk)
    images = np.zeros((len(paths), SIDE, SIDE), np.uint8)
    problems: dict[int, str] = {}
    first_done = done

    def collect(start: int, result: tuple[np.ndarray, list[tuple[int, str]]]) -> None:
        nonlocal done
        block, failed = result
        images[start:start + len(block)] = block
        problems.update((start + i, message) for i, message in failed)
        done += len(block)
        if progress:
            progress(done, total)

    if workers > 1 and len(starts) > 1:
        try:
            with ProcessPoolExecutor(min(workers, len(starts)), mp_context=pool_context()) as pool:
                futures = {pool.submit(decode_chunk, paths[s:s + chunk], resize): s for s in starts}
                for future in as_completed(futures):
                    collect(futures[future], future.result())
            return images, problems
        except (OSError, BrokenProcessPool, NotImplementedError):
            problems.clear()  # no working process pool here (a sandbox, say): start again in this process
            done = first_done
    for s in starts:
        collect(s, decode_chunk(paths[s:s + chunk], resize))
    return images, problems


def pool_context():
    """How to start the workers: fork (instant) in a single-threaded Linux process; forkserver where
    other threads run (Streamlit's server: forking a threaded process is unsafe); spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


# ------------------------------------------------------------------ the folder
def child(folder: Path, name: str) -> Path:
    """folder/name, matched without regard to case when the exact spelling is not there (train vs Train)."""
    exact = folder / name
    if exact.exists() or not folder.is_dir():
        return exact
    return next((p for p in folder.iterdir() if p.name.lower() == name.lower()), exact)


def folder_paths(root: Path) -> tuple[Path, Path, Path, Path]:
    """train.csv, its images folder, Test.csv and its images folder; a DataError naming what is missing."""
    if not root.exists():
        raise DataError(f"{root} does not exist. Expected {LAYOUT}.")
    if not root.is_dir():
        raise DataError(f"{root} is a file, not a folder. Expected {LAYOUT}.")
    if root.name.lower() == "train" and (root / "train.csv").is_file():
        root = root.parent  # the user picked ROOT/Train itself
    train = child(root, "Train")
    train_csv = child(train, "train.csv")
    if not train_csv.is_file():
        what = f"{root} is empty" if not any(root.iterdir()) else f"{train_csv} is missing"
        raise DataError(f"{what}. Expected {LAYOUT}.")
    train_dir = child(child(train, "Images"), "train")
    if not train_dir.is_dir():
        raise DataError(f"{train_dir} is missing: the images train.csv lists go there. Expected {LAYOUT}.")
    return train_csv, train_dir, child(root, "Test.csv"), child(child(train, "Images"), "test")


def read_listing(csv_path: Path, labelled: bool) -> tuple[list[tuple[str, int, int]], list[tuple[int, str]]]:
    """(filename, label, line) for each good row of train.csv / Test.csv, and (line, problem) for the bad ones."""
    import pandas as pd

    needed = ["filename", "label"] if labelled else ["filename"]
    try:
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(f"{csv_path} is empty: expected a header row {','.join(needed)} "
                        "and then one row per image.") from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{csv_path} could not be read as CSV ({exc}).") from None
    columns = {str(c).strip().lower(): c for c in table.columns}
    if missing := [c for c in needed if c not in columns]:
        raise DataError(f"{csv_path} has no {' or '.join(missing)} column (its columns: "
                        f"{', '.join(map(str, table.columns))}); expected a header row {','.join(needed)}.")
    if table.empty:
        raise DataError(f"{csv_path} lists no images: add rows such as 0.png{',4' if labelled else ''} "
                        f"under the header {','.join(needed)}.")
    names = table[columns["filename"]].str.strip().tolist()
    labels = table[columns["label"]].str.strip().tolist() if labelled else [""] * len(names)
    rows, problems = [], []
    for row, (name, text) in enumerate(zip(names, labels, strict=True)):
        line = row + 2
        if not name:
            problems.append((line, f"{csv_path}, line {line} (row {row + 1}): no filename"))
        elif outside(name):
            problems.append((line, f"{csv_path}, line {line} (row {row + 1}): the filename {name!r} "
                                   "points outside the images folder"))
        elif labelled and (label := digit(text)) is None:
            problems.append((line, f"{csv_path}, line {line} (row {row + 1}): label {text!r} is not a digit 0-9"))
        else:
            rows.append((name, label if labelled else -1, line))
    return rows, problems


def outside(name: str) -> bool:
    """An absolute filename or one with a .. part would read a file outside the images folder."""
    if ".." not in name and not name.startswith(("/", "\\")) and ":" not in name:
        return False  # the usual case, decided without building a path
    return PurePath(name).is_absolute() or PureWindowsPath(name).is_absolute() or ".." in PureWindowsPath(name).parts


def digit(text: str) -> int | None:
    """A label 0-9 ("3", or "3.0" as pandas writes it), else None."""
    if len(text) == 1 and "0" <= text <= "9":
        return int(text)
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value.is_integer() and 0 <= value <= 9 else None


def folder_stamp(train_csv: Path, train_dir: Path, test_csv: Path, test_dir: Path) -> str:
    """Changes when either CSV or any image file changes (size, mtime), or files come or go."""
    digest = hashlib.sha1(file_stamp(train_csv, test_csv).encode())
    for folder in (train_dir, test_dir):
        if folder.is_dir():
            with os.scandir(folder) as entries:
                files = [(entry.name, entry.stat()) for entry in entries]
            sizes = sum(stat.st_size for _, stat in files)
            times = [stat.st_mtime_ns for _, stat in files]
            digest.update(f"{folder.name}:{len(files)}:{sizes}:{sum(times)}:{max(times, default=0)}:".encode())
            digest.update("/".join(sorted(name for name, _ in files)).encode())
    return f"v{CACHE_VERSION}:{digest.hexdigest()}"


def load_png_folder(path: Path | str, *, on_error: str = "skip", resize: bool = False,
                    progress: Progress | None = None, workers: int | None = None) -> DigitDataset:
    """The article's folder as a DigitDataset (cached; see the module docstring). workers=None: automatic."""
    check_on_error(on_error)
    root = Path(path).expanduser()
    paths = folder_paths(root)
    source = f"folder:{root}"
    cached, stamp = cache_file("folder", root, resize), folder_stamp(*paths)
    if (arrays := read_cache(cached, stamp)) is not None:
        dataset = DigitDataset(
            arrays["images"], arrays["labels"], source, arrays["filenames"].tolist(),
            arrays["test_images"] if arrays["has_test"] else None,
            arrays["test_filenames"].tolist() if arrays["has_test"] else None, arrays["problems"].tolist())
        if progress:
            count = len(dataset) + len(dataset.test_filenames or [])
            progress(count, count)
    else:
        dataset = decode_folder(*paths, source=source, resize=resize, progress=progress, workers=workers)
        test_names = dataset.test_filenames or []
        write_cache(cached, stamp, images=dataset.images, labels=dataset.labels,
                    filenames=np.array(dataset.filenames, dtype=str),
                    test_images=dataset.test_images if dataset.test_images is not None
                    else np.zeros((0, SIDE, SIDE), np.uint8),
                    test_filenames=np.array(test_names, dtype=str), has_test=np.array(dataset.test_images is not None),
                    problems=np.array(dataset.problems, dtype=str))
    return settle_problems(dataset, on_error)


def decode_folder(train_csv: Path, train_dir: Path, test_csv: Path, test_dir: Path, *, source: str,
                  resize: bool, progress: Progress | None, workers: int | None) -> DigitDataset:
    """Read the CSVs, decode every image they list (train then test), and drop the rows that failed."""
    rows, listing_problems = read_listing(train_csv, labelled=True)
    problems = [(0, line, message) for line, message in listing_problems]
    test_rows: list[tuple[str, int, int]] | None = None
    if test_csv.is_file():
        test_rows, test_problems = read_listing(test_csv, labelled=False)
        problems += [(1, line, message) for line, message in test_problems]
        if not test_dir.is_dir():
            problems.append((1, 0, f"{test_dir} is missing, so the {len(test_rows)} images {test_csv} lists "
                                   "were not loaded"))
            test_rows = []
    files = [str(train_dir / name) for name, _, _ in rows] + [str(test_dir / name) for name, _, _ in test_rows or []]
    images, failed = decode_files(files, resize, progress, workers=workers)
    for i, message in failed.items():
        group, csv_path, (_, _, line) = (0, train_csv, rows[i]) if i < len(rows) else \
            (1, test_csv, test_rows[i - len(rows)])
        problems.append((group, line, f"{message} ({csv_path.name} line {line})"))
    keep = np.array([i not in failed for i in range(len(files))], dtype=bool)
    train_keep, test_keep = keep[:len(rows)], keep[len(rows):]
    return DigitDataset(
        images=images[:len(rows)][train_keep],
        labels=np.array([label for _, label, _ in rows], dtype=np.int64)[train_keep],
        source=source,
        filenames=[name for (name, _, _), ok in zip(rows, train_keep, strict=True) if ok],
        test_images=None if test_rows is None else images[len(rows):][test_keep],
        test_filenames=None if test_rows is None else
        [name for (name, _, _), ok in zip(test_rows, test_keep, strict=True) if ok],
        problems=[message for *_, message in sorted(problems)])


# ------------------------------------------------------------------ for tests and the benchmark
def make_png_folder(root: Path, n: int, *, seed: int = 0, test_n: int = 0, mode: str = "L") -> Path:
    """Write the article's layout under root: n digits (the bundled ones, shuffled by seed, cycling) as PNGs
    with Train/train.csv, plus test_n unlabelled ones listed in Test.csv. mode: "L", "RGB" or "RGBA" (opaque)."""
    from PIL import Image

    if mode not in ("L", "RGB", "RGBA"):
        raise ValueError(f'mode must be "L", "RGB" or "RGBA", not {mode!r}')
    root = Path(root)
    digits = load_bundled()
    order = np.random.default_rng(seed).permutation(len(digits))
    folders = {"train": root / "Train" / "Images" / "train", "test": root / "Train" / "Images" / "test"}
    for kind, folder in folders.items():
        if kind == "train" or test_n:
            folder.mkdir(parents=True, exist_ok=True)
    train_lines, test_lines = ["filename,label"], ["filename"]
    for i in range(n + test_n):
        k = order[i % len(order)]
        name = f"{i}.png"
        image = Image.fromarray(digits.images[k])
        (image if mode == "L" else image.convert(mode)).save(folders["train" if i < n else "test"] / name)
        if i < n:
            train_lines.append(f"{name},{digits.labels[k]}")
        else:
            test_lines.append(name)
    (root / "Train" / "train.csv").write_text("\n".join(train_lines) + "\n")
    if test_n:
        (root / "Test.csv").write_text("\n".join(test_lines) + "\n")
    return root


def time_png_loading(root: Path) -> dict:
    """Seconds to load root's images: the article's plain serial Pillow loop, this loader with no cache, cached."""
    import pandas as pd
    from PIL import Image

    root = Path(root)
    train_csv, train_dir, test_csv, test_dir = folder_paths(root)
    files = [os.path.join(train_dir, name) for name in pd.read_csv(train_csv)["filename"]]
    if test_csv.is_file():
        files += [os.path.join(test_dir, name) for name in pd.read_csv(test_csv)["filename"]]
    start = time.perf_counter()
    temp = []  # the article's loop, with Pillow in place of scipy.misc.imread(path, flatten=True)
    for path in files:
        img = Image.open(path).convert("L")
        temp.append(np.asarray(img, dtype=np.float32))
    np.stack(temp)
    serial = time.perf_counter() - start
    cache_file("folder", root, False).unlink(missing_ok=True)
    start = time.perf_counter()
    load_png_folder(root)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    dataset = load_png_folder(root)
    cached = time.perf_counter() - start
    workers = worker_count() if len(files) >= PARALLEL_MIN else 1
    return {"serial_pillow_s": serial, "parallel_cold_s": cold, "cached_s": cached,
            "n_images": len(dataset) + len(dataset.test_filenames or []), "workers": workers}
