"""The article's digit folders: PNG files listed in a CSV, decoded in parallel, cached as .npz.

Layout (the "Identify the Digits" download the article uses):
    ROOT/Train/train.csv            columns filename,label
    ROOT/Train/Images/train/<filename>
    ROOT/Test.csv                   column filename (optional: unlabelled digits to predict)
    ROOT/Train/Images/test/<filename>

Pillow decodes every image (any format it reads, not only PNG); grey levels follow
dataset.grey_from_image: ITU-R 601-2 luma as the article's scipy `imread(path, flatten=True)`, with
transparent pixels composited on black. For opaque images (like the article's PNGs) that is exactly
scipy's result.

Large folders decode in a process pool, in chunks (a 28x28 PNG is mostly Python overhead in Pillow,
so threads would not help), and progress(done, total) is called after each chunk. Workers start
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
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path, PurePath, PureWindowsPath

import numpy as np
from PIL import Image, PngImagePlugin

from pytorch_explorer.core.devices import cpu_count
from pytorch_explorer.core.processes import main_module_hidden, worker_context
from pytorch_explorer.core.errors import DataError, Said, Term
from pytorch_explorer.digits.data.bundled import load_bundled
from pytorch_explorer.digits.data.dataset import (SIDE, DigitDataset, Progress, cache_file, check_on_error, file_stamp,
                                             grey_from_image, problem_of, problems_array, problems_from, read_cache,
                                             resize_to_28, settle_problems, write_cache)

LAYOUT = ("the article's layout: ROOT/Train/train.csv (columns filename,label) with the images in "
          "ROOT/Train/Images/train/, and optionally ROOT/Test.csv (column filename) with ROOT/Train/Images/test/")
PARALLEL_MIN = 4000  # fewer images decode faster in this process than a pool starts
CACHE_VERSION = 2  # 2: problems kept as templates and values
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# sized before reading (one user's folder may not exhaust the server): a 28x28 digit PNG is about 300 bytes
MAX_IMAGE_BYTES = 4 << 20
MAX_IMAGE_PIXELS = 4_000_000  # e.g. a 2000x2000 photo of a digit, scaled down with resize; a PNG bomb is refused
MAX_CSV_BYTES = 64 << 20  # train.csv of 70,000 rows is about 1 MB
MAX_IMAGES = 300_000  # MNIST has 70,000


# ------------------------------------------------------------------ a worker's job
def read_file(path: str) -> bytes:
    """A whole file by plain system calls: a digit PNG is a few hundred bytes, and open()'s file object
    costs a fifth of what Pillow then spends decoding it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        if (size := os.fstat(fd).st_size) > MAX_IMAGE_BYTES:
            raise DataError("{path} is {size} KB, more than the {most} MB an image may be", path=path,
                            size=size >> 10, most=MAX_IMAGE_BYTES >> 20)
        blocks = []
        while block := os.read(fd, 1 << 16):
            blocks.append(block)
        return b"".join(blocks)
    finally:
        os.close(fd)


def open_image(data: bytes) -> Image.Image:
    """Pillow's PNG reader straight away when the bytes are a PNG (skipping Image.open's format probe, a
    sixth of a 28x28 digit's decoding time), else Image.open for whatever format they are."""
    if data.startswith(PNG_SIGNATURE):
        return PngImagePlugin.PngImageFile(io.BytesIO(data))
    return Image.open(io.BytesIO(data))


def decode_digit(path: str, resize: bool) -> np.ndarray:
    """One image file as 28x28 uint8 grey (grey_from_image); a DataError naming the file when it cannot be."""
    try:
        data = read_file(path)
    except FileNotFoundError:
        raise DataError("{path} is missing", path=path) from None
    except OSError as exc:
        raise DataError("{path} could not be read ({reason})", path=path, reason=str(exc.strerror or exc)) from None
    try:
        with open_image(data) as img:
            size = img.size
            too_large = size[0] * size[1] > MAX_IMAGE_PIXELS
            grey = grey_from_image(img) if not too_large and (size == (SIDE, SIDE) or resize) else None
    except (OSError, SyntaxError, EOFError, ValueError, Image.DecompressionBombError) as exc:
        raise DataError("{path} could not be decoded as an image ({reason})", path=path, reason=str(exc)) from None
    if too_large:
        raise DataError("{path} could not be decoded as an image ({width}x{height} pixels is more than the {most:,} "
                        "an image may have)", path=path, width=size[0], height=size[1], most=MAX_IMAGE_PIXELS)
    if grey is None:
        raise DataError("{path} is {width}x{height} pixels, not 28x28: pass resize=True (tick 'resize') to scale it to "
                        "28x28", path=path, width=size[0], height=size[1])
    return grey if size == (SIDE, SIDE) else resize_to_28(grey)


def decode_chunk(paths: list[str], resize: bool) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Images (bad ones left black) and (index, problem) for the ones that failed."""
    images = np.zeros((len(paths), SIDE, SIDE), np.uint8)
    problems = []
    for i, path in enumerate(paths):
        try:
            images[i] = decode_digit(path, resize)
        except ValueError as exc:
            problems.append((i, problem_of(exc)))
    return images, problems


def read_digit(path: Path | str, resize: bool = False) -> np.ndarray:
    """One image file as a 28x28 uint8 digit (the folder loader's decoding), or a DataError."""
    try:
        return decode_digit(str(path), resize)
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(str(exc)) from None


# ------------------------------------------------------------------ many images
def decode_files(paths: list[str], resize: bool, progress: Progress | None = None, *, workers: int | None = None,
                 chunk: int | None = None, meanwhile: Callable[[], object] | None = None
                 ) -> tuple[np.ndarray, dict[int, str]]:
    """All images, decoded in a process pool when there are many (in this process when few), in chunks
    (about 40 for a progress bar, at least 500 images each so that sending them costs little).

    meanwhile: work for this process while the pool decodes (the folder's stamp: 49,000 stat calls)."""
    workers = (cpu_count() if len(paths) >= PARALLEL_MIN else 1) if workers is None else workers
    chunk = chunk or int(np.clip(len(paths) // 40, 500, 2500))
    starts = range(0, len(paths), chunk)
    images = np.zeros((len(paths), SIDE, SIDE), np.uint8)
    problems: dict[int, str] = {}
    done = 0

    def collect(start: int, result: tuple[np.ndarray, list[tuple[int, str]]]) -> None:
        nonlocal done
        block, failed = result
        images[start:start + len(block)] = block
        problems.update((start + i, message) for i, message in failed)
        done += len(block)
        if progress:
            progress(done, len(paths))

    if workers > 1 and len(starts) > 1:
        try:
            with ProcessPoolExecutor(min(workers, len(starts)), mp_context=pool_context()) as pool:
                with main_module_hidden():  # the workers start at the first submit (see core.processes)
                    futures = {pool.submit(decode_chunk, paths[s:s + chunk], resize): s for s in starts}
                if meanwhile:
                    meanwhile()
                for future in as_completed(futures):
                    collect(futures[future], future.result())
            return images, problems
        except (OSError, BrokenProcessPool, NotImplementedError):
            problems.clear()  # no working process pool here (a sandbox, say): start again in this process
            done = 0
    if meanwhile:
        meanwhile()
    for s in starts:
        collect(s, decode_chunk(paths[s:s + chunk], resize))
    return images, problems


def pool_context():
    """How to start the workers: fork (instant) in a single-threaded Linux process; forkserver where
    other threads run (Streamlit's server: forking a threaded process is unsafe); spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and threading.active_count() == 1 and "fork" in methods:
        return multiprocessing.get_context("fork")
    return worker_context()


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
        raise DataError("{root} does not exist. Expected {layout}.", root=root, layout=Term(LAYOUT))
    if not root.is_dir():
        raise DataError("{root} is a file, not a folder. Expected {layout}.", root=root, layout=Term(LAYOUT))
    if root.name.lower() == "train" and (root / "train.csv").is_file():
        root = root.parent  # the user picked ROOT/Train itself
    train = child(root, "Train")
    train_csv = child(train, "train.csv")
    if not train_csv.is_file():
        if not any(root.iterdir()):
            raise DataError("{root} is empty. Expected {layout}.", root=root, layout=Term(LAYOUT))
        raise DataError("{path} is missing. Expected {layout}.", path=train_csv, layout=Term(LAYOUT))
    train_dir = child(child(train, "Images"), "train")
    if not train_dir.is_dir():
        raise DataError("{path} is missing: the images train.csv lists go there. Expected {layout}.", path=train_dir,
                        layout=Term(LAYOUT))
    test_csv, test_dir = child(root, "Test.csv"), child(child(train, "Images"), "test")
    inside(root, train_csv, train_dir, test_csv, test_dir)
    return train_csv, train_dir, test_csv, test_dir


def inside(root: Path, *parts: Path) -> None:
    """A DataError if a part of the layout is a link to somewhere outside the folder (saying nothing of where)."""
    real_root = root.resolve()
    for part in parts:
        if part.exists() and not part.resolve().is_relative_to(real_root):
            raise DataError("{part} is a link to a place outside {root}: copy the files into the folder instead of "
                            "linking to them.", part=part.relative_to(root), root=root.name)


def escaping(folder: Path, names: list[str]) -> set[str]:
    """The names among `names` whose file, links followed, lies outside `folder`. Only links and names with a
    sub-folder are resolved (a scandir says which entries are links without a system call each)."""
    if not folder.is_dir():
        return set()
    real_root = os.path.realpath(folder)
    with os.scandir(folder) as entries:
        links = {entry.name for entry in entries if entry.is_symlink()}
    out = set()
    for name in names:
        if name in links or "/" in name or "\\" in name:
            real = os.path.realpath(os.path.join(folder, name))
            if not real.startswith(real_root + os.sep):
                out.add(name)
    return out


def read_listing(csv_path: Path, labelled: bool) -> tuple[list[tuple[str, int, int]], list[tuple[int, str]]]:
    """(filename, label, line) for each good row of train.csv / Test.csv, and (line, problem) for the bad ones."""
    import pandas as pd

    needed = ["filename", "label"] if labelled else ["filename"]
    if (size := csv_path.stat().st_size) > MAX_CSV_BYTES:
        raise DataError("{path} is {size} MB: a listing of up to {images:,} images is at most {most} MB. Split the "
                        "folder.", path=csv_path, size=size >> 20, images=MAX_IMAGES, most=MAX_CSV_BYTES >> 20)
    try:
        table = pd.read_csv(csv_path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError("{path} is empty: expected a header row {header} and then one row per image.", path=csv_path,
                        header=",".join(needed)) from None
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError("{path} could not be read as CSV ({error}).", path=csv_path, error=str(exc)) from None
    columns = {str(c).strip().lower(): c for c in table.columns}
    if missing := [c for c in needed if c not in columns]:
        found, header = ", ".join(map(str, table.columns)), ",".join(needed)
        if len(missing) > 1:
            raise DataError("{path} has no filename or label column (its columns: {found}); expected a header row "
                            "{header}.", path=csv_path, found=found, header=header)
        raise DataError("{path} has no {column} column (its columns: {found}); expected a header row {header}.",
                        path=csv_path, column=missing[0], found=found, header=header)
    if table.empty:
        if labelled:
            raise DataError("{path} lists no images: add rows such as 0.png,4 under the header filename,label.",
                            path=csv_path)
        raise DataError("{path} lists no images: add rows such as 0.png under the header filename.", path=csv_path)
    if len(table) > MAX_IMAGES:
        raise DataError("{path} lists {n:,} images; this app loads up to {most:,} from one folder. Split it into "
                        "several folders.", path=csv_path, n=len(table), most=MAX_IMAGES)
    names = table[columns["filename"]].str.strip().tolist()
    labels = table[columns["label"]].str.strip().tolist() if labelled else [""] * len(names)
    rows, problems = [], []
    for row, (name, text) in enumerate(zip(names, labels, strict=True)):
        line = row + 2
        if not name:
            problems.append((line, Said("{path}, line {line} (row {row}): no filename", path=str(csv_path), line=line,
                                        row=row + 1)))
        elif outside(name):
            problems.append((line, Said("{path}, line {line} (row {row}): the filename {name!r} points outside the "
                                        "images folder", path=str(csv_path), line=line, row=row + 1, name=name)))
        elif labelled and (label := digit(text)) is None:
            problems.append((line, Said("{path}, line {line} (row {row}): label {label!r} is not a digit 0-9",
                                        path=str(csv_path), line=line, row=row + 1, label=text)))
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
    cached = cache_file("folder", root, resize)
    stamp = folder_stamp(*paths) if cached.is_file() else None  # no cache yet: stamp while decoding, below
    if stamp is not None and (arrays := read_cache(cached, stamp)) is not None:
        dataset = DigitDataset(
            arrays["images"], arrays["labels"], source, arrays["filenames"].tolist(),
            arrays["test_images"] if arrays["has_test"] else None,
            arrays["test_filenames"].tolist() if arrays["has_test"] else None, problems_from(arrays["problems"]))
        if progress:
            count = len(dataset) + len(dataset.test_filenames or [])
            progress(count, count)
    else:
        stamps = [stamp] if stamp is not None else []  # else taken while the workers decode
        dataset = decode_folder(*paths, source=source, resize=resize, progress=progress, workers=workers,
                                meanwhile=None if stamps else lambda: stamps.append(folder_stamp(*paths)))
        test_names = dataset.test_filenames or []
        write_cache(cached, stamps[0], images=dataset.images, labels=dataset.labels,
                    filenames=np.array(dataset.filenames, dtype=str),
                    test_images=dataset.test_images if dataset.test_images is not None
                    else np.zeros((0, SIDE, SIDE), np.uint8),
                    test_filenames=np.array(test_names, dtype=str), has_test=np.array(dataset.test_images is not None),
                    problems=problems_array(dataset.problems))
    return settle_problems(dataset, on_error)


def decode_folder(train_csv: Path, train_dir: Path, test_csv: Path, test_dir: Path, *, source: str,
                  resize: bool, progress: Progress | None, workers: int | None,
                  meanwhile: Callable[[], object] | None = None) -> DigitDataset:
    """Read the CSVs, decode every image they list (train then test), and drop the rows that failed."""
    rows, listing_problems = read_listing(train_csv, labelled=True)
    problems = [(0, line, message) for line, message in listing_problems]
    test_rows: list[tuple[str, int, int]] | None = None
    if test_csv.is_file():
        test_rows, test_problems = read_listing(test_csv, labelled=False)
        problems += [(1, line, message) for line, message in test_problems]
        if not test_dir.is_dir():
            problems.append((1, 0, Said("{folder} is missing, so the {n} images {listing} lists were not loaded",
                                        folder=str(test_dir), n=len(test_rows), listing=str(test_csv))))
            test_rows = []
    rows, test_rows = inside_only(rows, train_dir, problems, train_csv, 0), \
        None if test_rows is None else inside_only(test_rows, test_dir, problems, test_csv, 1)
    files = ([os.path.join(train_dir, name) for name, _, _ in rows]  # os.path: 10x faster than Path here
             + [os.path.join(test_dir, name) for name, _, _ in test_rows or []])
    images, failed = decode_files(files, resize, progress, workers=workers, meanwhile=meanwhile)
    for i, message in failed.items():
        group, csv_path, (_, _, line) = (0, train_csv, rows[i]) if i < len(rows) else \
            (1, test_csv, test_rows[i - len(rows)])
        problems.append((group, line, Said("{problem} ({listing} line {line})", problem=message,
                                           listing=csv_path.name, line=line)))
    keep = np.ones(len(files), dtype=bool)
    keep[list(failed)] = False
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


def inside_only(rows: list[tuple[str, int, int]], folder: Path, problems: list, csv_path: Path,
                group: int) -> list[tuple[str, int, int]]:
    """The rows whose image lies inside `folder`; the others become problems (a link out of the folder)."""
    out = escaping(folder, [name for name, _, _ in rows])
    if not out:
        return rows
    problems += [(group, line, Said("{listing} line {line}: {name!r} is a link to a place outside the images folder, "
                                    "so it was not read", listing=csv_path.name, line=line, name=name))
                 for name, _, line in rows if name in out]
    return [row for row in rows if row[0] not in out]


# ------------------------------------------------------------------ for tests and the benchmark
def make_png_folder(root: Path, n: int, *, seed: int = 0, test_n: int = 0, mode: str = "L") -> Path:
    """Write the article's layout under root: n digits (the bundled ones, shuffled by seed, cycling) as PNGs
    with Train/train.csv, plus test_n unlabelled ones listed in Test.csv. mode: "L", "RGB" or "RGBA" (opaque)."""

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
    workers = cpu_count() if len(files) >= PARALLEL_MIN else 1
    return {"serial_pillow_s": serial, "parallel_cold_s": cold, "cached_s": cached,
            "n_images": len(dataset) + len(dataset.test_filenames or []), "workers": workers}
