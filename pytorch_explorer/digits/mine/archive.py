"""My digits as a zip in the article's layout, out and back in.

    Train/train.csv                 filename,label
    Train/Images/train/<name>.png   28x28 greyscale PNGs

`export_zip` writes that; `read_zip` reads such a zip from anywhere (a zip of the folder itself, with
one folder around `Train/`, is fine) and refuses what could hurt: an archive over MAX_ZIP_BYTES or
with more than MAX_ENTRIES entries, an entry that declares (or turns out) larger than MAX_IMAGE_BYTES
(a zip bomb), a filename that is absolute or climbs out with `..`, a file that is not a PNG, a
picture over MAX_SIDE pixels a side. Nothing is ever extracted by the archive's names: the digits are
decoded in memory and kept under names the store makes. Each bad row or file is listed and skipped;
the rest are imported. Problems are words for the page, never a traceback.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from pytorch_explorer.core.errors import DataError, ExplorerError, Said, Term
from pytorch_explorer.digits.data.dataset import grey_from_image, problem_of, resize_to_28
from pytorch_explorer.digits.data.png_folder import outside
from pytorch_explorer.digits.mine.store import MAX_DIGITS, MyDigits, png_of
from pytorch_explorer.i18n import language, translate

MAX_ZIP_BYTES = 20 << 20  # the upload itself
MAX_ENTRIES = 2 * MAX_DIGITS + 50  # the listing, the PNGs, some folders
MAX_CSV_BYTES = 1 << 20
MAX_IMAGE_BYTES = 256 << 10  # a 28x28 PNG is under 1 KB
MAX_SIDE = 1024  # pictures larger than 28x28 are scaled down to it; larger than this are refused
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SHOWN_PROBLEMS = 50


class ArchiveError(ExplorerError, ValueError):
    """The whole zip cannot be used (not a zip, too large, no train.csv): the message says what to do."""


@dataclass
class ImportReport:
    """What an import did: how many digits it added, and each row or file it skipped and why."""

    added: int = 0
    duplicates: int = 0  # digits (same pixels, same label) already in my digits
    problems: list[str] = field(default_factory=list)  # each a Said: a page says it in the learner's language

    @property
    def summary(self) -> str:
        return self.summary_in("en")

    def summary_in(self, lang: str = "en") -> str:
        """What the import did, in one sentence, in `lang`."""
        words = translate("Added 1 digit" if self.added == 1 else "Added {n} digits", lang).format(n=self.added)
        if self.duplicates:
            words += translate("; {n} already in my digits were left out", lang).format(n=self.duplicates)
        if self.problems:
            words += translate("; {n} skipped (listed below)", lang).format(n=len(self.problems))
        return words + ("。" if language(lang) == "zh" else ".")  # a sentence's full stop in Chinese is 。


def export_zip(digits: MyDigits) -> bytes:
    """My digits as a zip in the article's layout (deflated; a few hundred bytes a digit)."""
    images, labels, names = digits.load()
    buffer = io.BytesIO()
    listing = io.StringIO()
    writer = csv.writer(listing, lineterminator="\n")
    writer.writerow(("filename", "label"))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for image, label, name in zip(images, labels, names, strict=True):
            archive.writestr(f"Train/Images/train/{name}", png_of(image))
            writer.writerow((name, int(label)))
        archive.writestr("Train/train.csv", listing.getvalue())
    return buffer.getvalue()


def bounded_read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """An entry's bytes, or None when it declares or unpacks to more than `limit` (sizes can lie)."""
    if info.file_size > limit:
        return None
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None


def find_listing(archive: zipfile.ZipFile) -> tuple[zipfile.ZipInfo, str]:
    """The archive's Train/train.csv and the folder it sits in ("" or "some_folder/")."""
    candidates = [i for i in archive.infolist()
                  if not i.is_dir() and i.filename.replace("\\", "/").lower().endswith("train/train.csv")]
    candidates = [i for i in candidates if not outside(i.filename)]
    if not candidates:
        raise ArchiveError("The zip has no Train/train.csv: a my-digits zip holds Train/train.csv (columns "
                           "filename,label) and the PNGs in Train/Images/train/, as 'Export my digits' writes it.")
    best = min(candidates, key=lambda i: len(i.filename))
    name = best.filename.replace("\\", "/")
    return best, name[: len(name) - len("train/train.csv")]


def decode_png(data: bytes, shown: str, line: int) -> np.ndarray:
    """PNG bytes (of the file `shown`, listed on train.csv's `line`) as a uint8 28x28 digit (scaled when
    larger), or a DataError saying why not."""
    if not data.startswith(PNG_SIGNATURE):
        raise DataError("train.csv line {line}: {filename} is not a PNG file", line=line, filename=shown)
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            if max(img.size) > MAX_SIDE:
                raise DataError("train.csv line {line}: {filename} is {width}x{height} pixels; the limit is {most} a "
                                "side", line=line, filename=shown, width=img.size[0], height=img.size[1], most=MAX_SIDE)
            grey = grey_from_image(img)
    except (OSError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise DataError("train.csv line {line}: {filename} could not be decoded as a PNG ({error})", line=line,
                        filename=shown, error=str(exc)[:80]) from None
    return grey if grey.shape == (28, 28) else resize_to_28(grey)


def read_zip(data: bytes, name: str = Term("the zip")) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The digits of a my-digits zip: uint8 (N, 28, 28), labels (N,), and the problems (skipped rows and
    files, each a Said). An ArchiveError when the zip as a whole cannot be used."""
    if len(data) > MAX_ZIP_BYTES:
        raise ArchiveError("{name} is {size} MB; a my-digits zip may be up to {most} MB ({digits:,} digits take well "
                           "under 2 MB).", name=name, size=len(data) >> 20, most=MAX_ZIP_BYTES >> 20, digits=MAX_DIGITS)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise ArchiveError("{name} is not a zip file (or it is damaged). Export my digits to see the layout.",
                           name=name) from None
    with archive:
        if len(infos) > MAX_ENTRIES:
            raise ArchiveError("{name} holds {n:,} entries; a my-digits zip holds at most {most:,} ({digits:,} digits "
                               "and their listing).", name=name, n=len(infos), most=MAX_ENTRIES, digits=MAX_DIGITS)
        listing, prefix = find_listing(archive)
        try:
            raw = bounded_read(archive, listing, MAX_CSV_BYTES)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            raw = None
        if raw is None:
            raise ArchiveError("{listing} in {name} is damaged, encrypted or over {most} MB; export my digits again.",
                               listing=listing.filename, name=name, most=MAX_CSV_BYTES >> 20)
        by_name = {i.filename.replace("\\", "/"): i for i in infos if not i.is_dir()}
        try:
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"), newline="")))
        except csv.Error as exc:
            raise ArchiveError("{listing} in {name} is not a CSV file ({error}); expected a header row filename,label "
                               "and one row a digit.", listing=listing.filename, name=name, error=str(exc)) from None
        return read_rows(archive, rows, by_name, f"{prefix}Train/Images/train/")


def read_rows(archive: zipfile.ZipFile, rows: list[list[str]], by_name: dict[str, zipfile.ZipInfo],
              folder: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each listed image, decoded; (images, labels, problems)."""
    images, labels, problems = [], [], []
    lowered = {k.lower(): v for k, v in by_name.items()}
    header = [c.strip().lower() for c in rows[0]] if rows else []
    start = 1 if "filename" in header else 0
    col_name, col_label = (header.index("filename"), header.index("label")) if start and "label" in header else (0, 1)
    for line, row in enumerate(rows[start:], start=start + 1):
        if len(row) <= max(col_name, col_label):
            problems.append(Said("train.csv line {line}: expected filename,label", line=line))
            continue
        filename, text = row[col_name].strip(), row[col_label].strip()
        shown = filename[:60]
        if not filename or outside(filename) or "/" in filename.replace("\\", "/"):
            problems.append(Said("train.csv line {line}: the filename {filename!r} points outside Train/Images/train/",
                                 line=line, filename=shown))
            continue
        if not (len(text) == 1 and text.isdigit()):
            problems.append(Said("train.csv line {line}: the label {label!r} is not a digit 0-9", line=line,
                                 label=text[:20]))
            continue
        if PurePosixPath(filename).suffix.lower() != ".png":
            problems.append(Said("train.csv line {line}: {filename} is not a .png file (PNG only)", line=line,
                                 filename=shown))
            continue
        info = by_name.get(folder + filename) or lowered.get((folder + filename).lower())
        if info is None:
            problems.append(Said("train.csv line {line}: {filename} is not in the zip's Train/Images/train/",
                                 line=line, filename=shown))
            continue
        try:
            data = bounded_read(archive, info, MAX_IMAGE_BYTES)
            if data is None:
                raise DataError("train.csv line {line}: {filename} is over {most} KB (a digit PNG is under 1 KB)",
                                line=line, filename=shown, most=MAX_IMAGE_BYTES >> 10)
            images.append(decode_png(data, shown, line))
            labels.append(int(text))
        except DataError as exc:
            problems.append(problem_of(exc))
        except ValueError as exc:  # Pillow's own words
            problems.append(Said("train.csv line {line}: {reason}", line=line, reason=str(exc)))
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError):
            problems.append(Said("train.csv line {line}: {filename} is damaged or encrypted in the zip", line=line,
                                 filename=shown))
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.uint8)
    return stacked, np.asarray(labels, dtype=np.int64), problems


def fingerprint(image: np.ndarray, label: int) -> str:
    return hashlib.sha1(np.ascontiguousarray(image, dtype=np.uint8).tobytes() + bytes([int(label)])).hexdigest()


def import_zip(digits: MyDigits, data: bytes, name: str = Term("the zip")) -> ImportReport:
    """Add the digits of a my-digits zip (see read_zip), leaving out those already kept and those over the cap."""
    images, labels, problems = read_zip(data, name)
    report = ImportReport(problems=problems)
    have = {fingerprint(i, lab) for i, lab in zip(*digits.load()[:2], strict=True)}
    fresh_images, fresh_labels = [], []
    for image, label in zip(images, labels, strict=True):
        key = fingerprint(image, label)
        if key in have:
            report.duplicates += 1
            continue
        have.add(key)
        fresh_images.append(image)
        fresh_labels.append(int(label))
    room = digits.room
    if len(fresh_images) > room:
        report.problems.append(Said("{n} digits did not fit: my digits hold at most {most:,}; delete some to make "
                                    "room", n=len(fresh_images) - room, most=MAX_DIGITS))
        fresh_images, fresh_labels = fresh_images[:room], fresh_labels[:room]
    if fresh_images:
        digits.add_many(fresh_images, fresh_labels)
    report.added = len(fresh_images)
    return report


__all__ = ["ArchiveError", "ImportReport", "MAX_IMAGE_BYTES", "MAX_ZIP_BYTES", "export_zip", "import_zip", "read_zip"]
