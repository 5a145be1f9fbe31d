"""My digits on disk: the learner's own labelled drawings, kept in the article's folder layout.

    <run store root>/<workspace>/my_digits/
        Train/train.csv                 filename,label (one row a digit, oldest first)
        Train/Images/train/<name>.png   28x28 greyscale PNG, white ink on black (MNIST's way)

The layout is the one the data loaders read (`folder:PATH`), so the folder is also a data source.
Every file is written whole or not at all (a temporary file, then `os.replace`): a digit's PNG
first, then the new train.csv; a kill between the two leaves an unlisted PNG, never a listed one
that is missing. Changes are serialised by a lock per folder (Streamlit's sessions are threads of one
process; two browsers of one workspace can add at the same moment). At most MAX_DIGITS digits.
"""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits.data import DigitDataset
from pytorch_explorer.i18n import translate
from pytorch_explorer.runs import check_workspace_id
from pytorch_explorer.runs.files import atomic_write

MAX_DIGITS = 2_000
FOLDER = "my_digits"
CSV_HEADER = ("filename", "label")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.png")  # the names this store writes
CAP_NOTE = f"at most {MAX_DIGITS:,} digits"


def cap_note(lang: str = "en") -> str:
    """CAP_NOTE in `lang` ("at most 2,000 digits")."""
    return translate("at most {n} digits", lang).format(n=f"{MAX_DIGITS:,}")

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class MyDigitsError(ExplorerError, ValueError):
    """Something the learner can fix: a full store, a label that is not a digit, an image that is not 28x28."""


@dataclass(frozen=True)
class Entry:
    """One of my digits: its file name (in Train/Images/train/) and its label."""

    filename: str
    label: int


def png_of(image: np.ndarray) -> bytes:
    """A uint8 28x28 digit as greyscale PNG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def check_digit(image: np.ndarray, label: object) -> tuple[np.ndarray, int]:
    """(uint8 28x28 image, label 0-9), or a MyDigitsError that says what is wrong."""
    if isinstance(label, bool) or not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise MyDigitsError("A label is a digit 0-9, not {label!r}: choose the digit you drew.", label=str(label)[:20])
    x = np.asarray(image)
    if x.shape != (28, 28):
        raise MyDigitsError("A digit to keep is a 28x28 image (the model's input), not {shape}.", shape=x.shape)
    if x.dtype != np.uint8:
        x = np.clip(np.rint(x.astype(np.float64) * (255.0 if x.max(initial=0) <= 1.0 else 1.0)), 0, 255).astype(np.uint8)
    return x, int(label)


class MyDigits:
    """A folder of my digits (see the module doc): list, add, delete, load them as a dataset."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.csv_path = self.root / "Train" / "train.csv"
        self.images_dir = self.root / "Train" / "Images" / "train"
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(str(self.root.resolve()), threading.Lock())
        self._cache: tuple[tuple[int, int], tuple[np.ndarray, np.ndarray, list[str]]] | None = None

    @classmethod
    def for_workspace(cls, store_root: str | Path, workspace: str) -> MyDigits:
        """The workspace's folder beside its runs: <store root>/<workspace>/my_digits (the id is checked)."""
        return cls(Path(store_root) / check_workspace_id(workspace) / FOLDER)

    # ------------------------------------------------------------------ reading
    def entries(self) -> list[Entry]:
        """The listed digits, oldest first (rows this store would not have written are left out)."""
        try:
            text = self.csv_path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return []
        found, seen = [], set()
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error:  # not a listing this store wrote: nothing is listed
            return []
        for row in rows:
            if len(row) != 2 or tuple(row) == CSV_HEADER:
                continue
            name, label = row[0].strip(), row[1].strip()
            if NAME.fullmatch(name) and len(label) == 1 and label.isdigit() and name not in seen:
                seen.add(name)
                found.append(Entry(name, int(label)))
        return found[:MAX_DIGITS]

    def __len__(self) -> int:
        return len(self.entries())

    @property
    def room(self) -> int:
        """How many more digits fit under MAX_DIGITS."""
        return max(0, MAX_DIGITS - len(self))

    def image(self, filename: str) -> np.ndarray | None:
        """One digit as uint8 28x28, or None when its file is missing or unreadable."""
        if not NAME.fullmatch(filename):
            return None
        try:
            with Image.open(self.images_dir / filename) as img:
                if img.format != "PNG" or img.size != (28, 28):
                    return None
                return np.asarray(img.convert("L"), dtype=np.uint8).copy()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            return None

    def _stamp(self) -> tuple[int, int]:
        try:
            st = self.csv_path.stat()
            return st.st_mtime_ns, st.st_size
        except OSError:
            return 0, 0

    def load(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """All my digits: uint8 (N, 28, 28), int64 labels (N,), file names; unreadable files left out.
        Read again only when train.csv changed (this object keeps the last reading)."""
        stamp = self._stamp()
        if self._cache is not None and self._cache[0] == stamp:
            return self._cache[1]
        images, labels, names = [], [], []
        for entry in self.entries():
            image = self.image(entry.filename)
            if image is not None:
                images.append(image)
                labels.append(entry.label)
                names.append(entry.filename)
        result = (np.stack(images) if images else np.zeros((0, 28, 28), np.uint8),
                  np.asarray(labels, dtype=np.int64), names)
        self._cache = (stamp, result)
        return result

    def as_dataset(self) -> DigitDataset:
        """My digits as a DigitDataset (source: this folder, as the data loaders name it)."""
        images, labels, names = self.load()
        return DigitDataset(images, labels, source=f"folder:{self.root}", filenames=names)

    def counts(self) -> np.ndarray:
        """How many of my digits carry each label (10,)."""
        return np.bincount([e.label for e in self.entries()], minlength=10)

    # ------------------------------------------------------------------ changing
    def _write_listing(self, entries: list[Entry]) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        writer.writerows((e.filename, e.label) for e in entries)
        atomic_write(self.csv_path, out.getvalue().encode("utf-8"))

    def add(self, image: np.ndarray, label: int) -> str:
        """Keep one digit (uint8 28x28, white on black) with its label; returns its file name."""
        return self.add_many([image], [label])[0]

    def add_many(self, images: list[np.ndarray] | np.ndarray, labels: list[int] | np.ndarray) -> list[str]:
        """Keep several digits at once (one listing write); a MyDigitsError, and nothing kept, if they do
        not all fit under MAX_DIGITS or one of them is not a 28x28 digit with a label 0-9."""
        checked = [check_digit(image, label) for image, label in zip(images, labels, strict=True)]
        with self._lock:
            entries = self.entries()
            if len(entries) + len(checked) > MAX_DIGITS:
                raise MyDigitsError(
                    "My digits hold at most {most:,} digits; there are {n:,}, so {more:,} more do not fit. Delete some "
                    "(or export them as a zip first) to make room.", most=MAX_DIGITS, n=len(entries), more=len(checked))
            names = []
            for image, label in checked:
                name = f"{label}_{secrets.token_hex(6)}.png"
                atomic_write(self.images_dir / name, png_of(image))
                names.append(name)
            self._write_listing(entries + [Entry(n, lab) for n, (_, lab) in zip(names, checked, strict=True)])
        return names

    def delete(self, filename: str) -> bool:
        """Forget one digit (its row, then its file); False when it was not there."""
        with self._lock:
            entries = self.entries()
            kept = [e for e in entries if e.filename != filename]
            if len(kept) == len(entries):
                return False
            self._write_listing(kept)
            if NAME.fullmatch(filename):
                (self.images_dir / filename).unlink(missing_ok=True)
        return True

    def clear(self) -> int:
        """Forget every digit; returns how many there were."""
        with self._lock:
            entries = self.entries()
            self._write_listing([])
            for e in entries:
                (self.images_dir / e.filename).unlink(missing_ok=True)
        return len(entries)

    def unlisted_files(self) -> list[str]:
        """PNG files in the images folder that the listing does not name (a write cut short)."""
        if not self.images_dir.is_dir():
            return []
        listed = {e.filename for e in self.entries()}
        return sorted(n for n in os.listdir(self.images_dir) if n.endswith(".png") and n not in listed)


__all__ = ["CAP_NOTE", "cap_note", "Entry", "FOLDER", "MAX_DIGITS", "MyDigits", "MyDigitsError", "check_digit", "png_of"]
