"""The article's PNG folders (png_folder): Pillow decoding, grey levels, the process pool, the cache,
and every kind of bad row or file reported with its file and line.

Every folder is generated in tmp_path from the bundled digits.
"""

from __future__ import annotations

import os
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pytorch_explorer.digits import data

from pytorch_explorer.digits.data import dataset

from pytorch_explorer.digits.data import png_folder
from pytorch_explorer.digits.data.bundled import load_bundled
from pytorch_explorer.digits.data import DataError, load_digits
from pytorch_explorer.digits.data.dataset import grey_from_image
from pytorch_explorer.digits.data.png_folder import load_png_folder, make_png_folder


def first_digits(n: int, seed: int = 0):
    """The digits make_png_folder writes: the bundled ones in the seed's order."""
    digits = load_bundled()
    order = np.random.default_rng(seed).permutation(len(digits))[:n]
    return digits.images[order], digits.labels[order]


def files_under(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


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


def png_with_filter_types(filters: list[int]) -> bytes:
    """A black 28x28 grey PNG whose scanlines carry the given filter types (5 and up are invalid):
    written chunk by chunk, as no encoder writes a broken file on purpose."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    lines = b"".join(bytes([filters[y % len(filters)]]) + bytes(28) for y in range(28))
    header = struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(lines))
            + chunk(b"IEND", b""))


def luma_601(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601-2 luma in 16-bit fixed point, rounded: what scipy's flatten and Pillow's "L" compute."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(np.uint8)


def test_grey_from_rgb_is_itu_601_luma_to_the_bit():
    rgb = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    np.testing.assert_array_equal(grey_from_image(Image.fromarray(rgb)), luma_601(rgb))


@pytest.mark.parametrize("mode", ["RGBA", "LA", "PA"])
def test_alpha_composites_the_grey_on_black_to_the_bit(mode):
    rng = np.random.default_rng(len(mode))
    rgba = rng.integers(0, 256, (32, 32, 4), dtype=np.uint8)
    rgba[:8, :, 3], rgba[8:16, :, 3] = 0, 255  # fully transparent and opaque rows as well as partial ones
    image = Image.fromarray(rgba)
    if mode == "LA":
        image = image.convert("LA")
    elif mode == "PA":
        image = image.convert("RGB").quantize(64).convert("PA")
        image.putalpha(Image.fromarray(rgba[..., 3]))
    colours = np.asarray(image.convert("RGBA"))
    expected = (luma_601(colours).astype(int) * colours[..., 3] + 127) // 255
    grey = grey_from_image(image)
    assert grey.dtype == np.uint8 and grey.shape == (32, 32)
    np.testing.assert_array_equal(grey, expected)
    assert not grey[:8].any()  # transparent is black, whatever colour is under it


def test_a_palette_png_with_a_transparent_colour_is_composited_too(tmp_path):
    ink = first_digits(1)[0][0]
    image = Image.fromarray(ink).convert("P")
    background = int(np.asarray(image)[0, 0])  # the corner pixel's palette index
    path = tmp_path / "p.png"
    image.save(path, transparency=background)
    with Image.open(path) as reread:
        assert "transparency" in reread.info
    grey = png_folder.read_digit(path)
    assert (grey[np.asarray(image) == background] == 0).all()
    np.testing.assert_allclose(grey.astype(int), ink.astype(int), atol=1)


def test_an_unknown_png_filter_type_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "odd.png"
    path.write_bytes(png_with_filter_types([0, 5]))
    good = make_png_folder(tmp_path / "good", 3) / "Train/Images/train/0.png"
    images, problems = png_folder.decode_files([str(good), str(path)], False)
    assert list(problems) == [1] and "odd.png could not be decoded" in problems[1]
    np.testing.assert_array_equal(images[0], first_digits(1)[0][0])
    assert not images[1].any()  # a failed image is left black
    with pytest.raises(DataError, match="odd.png"):
        png_folder.read_digit(path)
    (tmp_path / "plain.png").write_bytes(png_with_filter_types([0]))  # the writer itself is sound
    assert not png_folder.read_digit(tmp_path / "plain.png").any()


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
    assert cached.is_file() and cached.parent == dataset.cache_dir()

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
    assert data.make_png_folder is png_folder.make_png_folder
