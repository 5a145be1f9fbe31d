"""Folders and CSVs a user points the trainer at: links out of the folder are not followed, and sizes are
checked before anything is read."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits.data import load_digits, load_pixel_csv, load_png_folder, make_png_folder
from pytorch_explorer.digits.data import pixel_csv, png_folder


@pytest.fixture
def secret(tmp_path):
    """A digit-shaped PNG outside the user's folder, standing for a file the server must not read."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Image.fromarray(np.full((28, 28), 255, np.uint8)).save(outside / "secret.png")
    return outside


def test_an_image_linked_out_of_the_folder_is_skipped_and_named(tmp_path, secret, bounded):
    root = make_png_folder(tmp_path / "digits", 5)
    images = root / "Train" / "Images" / "train"
    (images / "3.png").unlink()
    os.symlink(secret / "secret.png", images / "3.png")
    os.symlink(secret, images / "sub")
    csv = root / "Train" / "train.csv"
    csv.write_text(csv.read_text() + "sub/secret.png,1\n")
    with bounded("png folder with links out"):
        data = load_png_folder(root)
    assert len(data) == 4 and "3.png" not in data.filenames and "sub/secret.png" not in data.filenames
    linked = [p for p in data.problems if "outside the images folder" in p]
    assert len(linked) == 2 and not any(str(secret) in p for p in linked)


def test_a_link_inside_the_folder_is_fine(tmp_path):
    root = make_png_folder(tmp_path / "digits", 3)
    images = root / "Train" / "Images" / "train"
    os.symlink(images / "0.png", images / "again.png")
    csv = root / "Train" / "train.csv"
    csv.write_text(csv.read_text() + "again.png,7\n")
    assert len(load_png_folder(root)) == 4


def test_an_images_folder_that_is_a_link_out_is_refused(tmp_path, secret):
    root = make_png_folder(tmp_path / "digits", 2)
    images = root / "Train" / "Images" / "train"
    for f in images.iterdir():
        f.unlink()
    images.rmdir()
    os.symlink(secret, images)
    with pytest.raises(DataError, match="link to a place outside") as caught:
        load_digits(f"folder:{root}")
    assert str(secret) not in str(caught.value)


def test_a_huge_image_in_a_folder_is_refused_before_decoding(tmp_path, bounded, monkeypatch):
    root = make_png_folder(tmp_path / "digits", 2)
    Image.new("L", (3000, 2000)).save(root / "Train" / "Images" / "train" / "0.png")  # 6 M pixels, a few KB
    with bounded("6 Mpixel PNG in a folder"):
        data = load_png_folder(root, resize=True)
    assert len(data) == 1 and any("more than the 4,000,000" in p for p in data.problems)
    monkeypatch.setattr(png_folder, "MAX_IMAGE_BYTES", 100)
    with pytest.raises(DataError, match="more than the 0 MB"):
        load_png_folder(tmp_path / "digits", on_error="stop")


def test_a_listing_too_long_is_refused_before_decoding(tmp_path, monkeypatch):
    root = make_png_folder(tmp_path / "digits", 3)
    monkeypatch.setattr(png_folder, "MAX_IMAGES", 2)
    with pytest.raises(DataError, match="lists 3 images"):
        load_png_folder(root)
    monkeypatch.setattr(png_folder, "MAX_CSV_BYTES", 10)
    with pytest.raises(DataError, match="Split the folder"):
        load_png_folder(root)


def test_a_pixel_csv_too_big_is_refused_unread(tmp_path, monkeypatch, bounded):
    path = tmp_path / "pixels.csv"
    with path.open("wb") as f:  # a sparse file: 10 GB on paper, nothing on disk
        f.truncate(10 * 1024**3)
    with bounded("10 GB pixel CSV"), pytest.raises(DataError, match="up to 400 MB"):
        load_pixel_csv(path)
    assert pixel_csv.MAX_CSV_BYTES == 400 << 20
