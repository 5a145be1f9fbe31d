"""digits.mine: my digits on disk (add, delete, reopen, the cap) and as a zip (export, import, hostile zips)."""

from __future__ import annotations

import io
import threading
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pytorch_explorer.digits import mine
from pytorch_explorer.digits.data import load_bundled, load_png_folder
from pytorch_explorer.digits.mine import archive
from pytorch_explorer.digits.mine import store as store_module
from pytorch_explorer.runs import WorkspaceError, new_workspace_id


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    data = load_bundled()
    return data.images[:12], data.labels[:12]


def png(image: np.ndarray | Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    (image if isinstance(image, Image.Image) else Image.fromarray(image)).save(buffer, fmt)
    return buffer.getvalue()


def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- the store
def test_add_delete_and_reopen(tmp_path, digits):
    images, labels = digits
    ws = new_workspace_id()
    kept = mine.MyDigits.for_workspace(tmp_path, ws)
    assert kept.root == tmp_path / ws / "my_digits" and len(kept) == 0 and kept.load()[0].shape == (0, 28, 28)
    names = [kept.add(image, int(label)) for image, label in zip(images[:5], labels[:5], strict=True)]
    assert len(set(names)) == 5 and all(n.startswith(f"{labels[i]}_") for i, n in enumerate(names))
    # the article's layout on disk: train.csv (filename,label) and 28x28 greyscale PNGs
    lines = (kept.root / "Train" / "train.csv").read_text().splitlines()
    assert lines[0] == "filename,label" and lines[1] == f"{names[0]},{labels[0]}"
    with Image.open(kept.root / "Train" / "Images" / "train" / names[0]) as img:
        assert (img.format, img.mode, img.size) == ("PNG", "L", (28, 28))
    assert kept.delete(names[1]) and not kept.delete(names[1]) and not kept.delete("../../etc/passwd")
    assert not (kept.images_dir / names[1]).exists()

    reopened = mine.MyDigits.for_workspace(tmp_path, ws)  # a reload, a restart: a new object on the same folder
    got, got_labels, got_names = reopened.load()
    assert got_names == [names[0], *names[2:]]
    np.testing.assert_array_equal(got, images[[0, 2, 3, 4]])
    np.testing.assert_array_equal(got_labels, labels[[0, 2, 3, 4]])
    assert reopened.counts().sum() == 4 and reopened.room == mine.MAX_DIGITS - 4
    # the folder is a data source in the article's layout
    as_source = load_png_folder(reopened.root)
    np.testing.assert_array_equal(as_source.images, got)
    np.testing.assert_array_equal(as_source.labels, got_labels)
    assert reopened.clear() == 4 and len(reopened) == 0 and reopened.unlisted_files() == []


def test_workspace_ids_are_checked(tmp_path):
    for bad in ("../elsewhere", "", "a" * 22 + "/..", "/tmp"):
        with pytest.raises(WorkspaceError):
            mine.MyDigits.for_workspace(tmp_path, bad)


def test_bad_digits_are_refused_with_a_reason(tmp_path, digits):
    kept = mine.MyDigits(tmp_path / "m")
    with pytest.raises(mine.MyDigitsError, match="label is a digit 0-9"):
        kept.add(digits[0][0], 10)
    with pytest.raises(mine.MyDigitsError, match="label is a digit 0-9"):
        kept.add(digits[0][0], True)
    with pytest.raises(mine.MyDigitsError, match="28x28"):
        kept.add(np.zeros((20, 20), np.uint8), 3)
    floats = digits[0][0] / 255.0  # a float image in [0, 1] is kept as the same uint8 digit
    kept.add(floats, 4)
    np.testing.assert_array_equal(kept.load()[0][0], digits[0][0])


def test_the_cap_refuses_what_does_not_fit_and_keeps_nothing_of_it(tmp_path, digits, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_DIGITS", 3)
    kept = mine.MyDigits(tmp_path / "m")
    kept.add_many(digits[0][:2], digits[1][:2])
    with pytest.raises(mine.MyDigitsError, match="do not fit"):
        kept.add_many(digits[0][2:4], digits[1][2:4])
    assert len(kept) == 2 and len(list(kept.images_dir.iterdir())) == 2
    kept.add(digits[0][2], int(digits[1][2]))
    assert kept.room == 0


def test_rows_it_did_not_write_are_ignored(tmp_path, digits):
    kept = mine.MyDigits(tmp_path / "m")
    name = kept.add(digits[0][0], 5)
    with open(kept.csv_path, "a") as handle:
        handle.write("../../secret.png,3\nok.png,x\nmissing.png,4\n")
    assert [e.filename for e in kept.entries()] == [name, "missing.png"]
    assert kept.load()[2] == [name]  # the missing file is left out of the data


def test_sessions_adding_at_once_lose_nothing(tmp_path, digits):
    kept = [mine.MyDigits(tmp_path / "m") for _ in range(4)]  # four sessions, one folder
    threads = [threading.Thread(target=lambda k=k: [k.add(digits[0][i], 1) for i in range(5)]) for k in kept]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(kept[0]) == 20 and kept[0].unlisted_files() == []


# ----------------------------------------------------------------------------- zips
def test_export_then_import_gives_the_same_digits(tmp_path, digits):
    source = mine.MyDigits(tmp_path / "a")
    source.add_many(digits[0], digits[1])
    data = mine.export_zip(source)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    assert "Train/train.csv" in names and sum(n.startswith("Train/Images/train/") for n in names) == 12
    target = mine.MyDigits(tmp_path / "b")
    report = mine.import_zip(target, data, "my_digits.zip")
    assert (report.added, report.duplicates, report.problems) == (12, 0, [])
    np.testing.assert_array_equal(target.load()[0], digits[0])
    np.testing.assert_array_equal(target.load()[1], digits[1])
    again = mine.import_zip(target, data)
    assert (again.added, again.duplicates) == (0, 12) and len(target) == 12
    assert "12 already in my digits" in again.summary


def test_a_zip_of_the_folder_itself_imports_too(tmp_path, digits):
    """Zipping the my_digits folder puts one folder around Train/; Windows zips use backslashes, any case."""
    files = {"my_digits/Train/train.csv": b"filename,label\na.png,3\nB.PNG,4\n",
             "my_digits/Train/Images/train/a.png": png(digits[0][0]),
             "my_digits/Train/Images/train/B.PNG": png(digits[0][1])}
    images, labels, problems = mine.read_zip(zip_of(files))
    assert problems == [] and list(labels) == [3, 4]
    np.testing.assert_array_equal(images, digits[0][:2])


def test_larger_and_coloured_pngs_become_28x28_grey(tmp_path, digits):
    big = Image.fromarray(digits[0][0]).resize((56, 56)).convert("RGB")
    images, _, problems = mine.read_zip(zip_of({"Train/train.csv": b"filename,label\nbig.png,5\n",
                                                "Train/Images/train/big.png": png(big)}))
    assert problems == [] and images.shape == (1, 28, 28)


def test_hostile_and_broken_entries_are_listed_and_skipped(tmp_path, digits):
    good = png(digits[0][0])
    bomb = b"\0" * (archive.MAX_IMAGE_BYTES * 40)  # deflates to a few KB, unpacks to 10 MB
    rows = ["filename,label", "good.png,7", "../evil.png,1", "/etc/passwd.png,1", "..\\..\\win.png,1",
            "sub/dir.png,1", "photo.jpg,2", "fake.png,2", "bomb.png,3", "missing.png,4", "good2.png,12",
            "cut.png,5", "onlyname"]
    files = {"Train/train.csv": "\n".join(rows).encode(), "Train/Images/train/good.png": good,
             "Train/Images/train/../evil.png": good, "Train/Images/train/photo.jpg": png(digits[0][1], "JPEG"),
             "Train/Images/train/fake.png": png(digits[0][1], "JPEG"), "Train/Images/train/bomb.png": bomb,
             "Train/Images/train/good2.png": good, "Train/Images/train/cut.png": good[:60]}
    kept = mine.MyDigits(tmp_path / "m")
    report = mine.import_zip(kept, zip_of(files), "hostile.zip")
    assert report.added == 1 and len(kept) == 1 and kept.entries()[0].label == 7
    text = "\n".join(report.problems)
    for expected in ("'../evil.png' points outside", "'/etc/passwd.png' points outside", "'..\\\\..\\\\win.png' points",
                     "'sub/dir.png' points outside", "photo.jpg is not a .png file", "fake.png is not a PNG file",
                     "bomb.png is over 256 KB", "missing.png is not in the zip", "label '12' is not a digit",
                     "cut.png could not be decoded", "line 13: expected filename,label"):
        assert expected in text, expected
    assert len(report.problems) == 11
    assert not any(p.name == "evil.png" for p in tmp_path.rglob("*"))  # nothing written by the zip's names


@pytest.mark.parametrize("data, message", [
    (b"not a zip at all", "is not a zip file"),
    (zip_of({"readme.txt": b"hello"}), "has no Train/train.csv"),
    (zip_of({"Train/train.csv": b"\0" * (2 << 20)}), "is damaged, encrypted or over 1 MB"),
])
def test_zips_that_cannot_be_used_say_why(data, message):
    with pytest.raises(mine.ArchiveError, match=message):
        mine.read_zip(data)


def test_size_and_entry_caps(monkeypatch, digits):
    monkeypatch.setattr(archive, "MAX_ZIP_BYTES", 1000)
    with pytest.raises(mine.ArchiveError, match="may be up to"):
        mine.read_zip(b"x" * 1001)
    monkeypatch.setattr(archive, "MAX_ZIP_BYTES", 20 << 20)
    monkeypatch.setattr(archive, "MAX_ENTRIES", 3)
    with pytest.raises(mine.ArchiveError, match="holds 4 entries"):
        mine.read_zip(zip_of({f"{i}.png": b"" for i in range(4)}))


def test_an_import_over_the_cap_keeps_what_fits(tmp_path, digits, monkeypatch):
    monkeypatch.setattr(store_module, "MAX_DIGITS", 5)
    source = mine.MyDigits(tmp_path / "a")
    source.add_many(digits[0][:5], digits[1][:5])
    target = mine.MyDigits(tmp_path / "b")
    target.add_many(digits[0][6:9], digits[1][6:9])
    report = mine.import_zip(target, mine.export_zip(source))
    assert report.added == 2 and len(target) == 5 and "3 digits did not fit" in report.problems[0]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(min_size=1, max_size=30), st.binary(max_size=300), max_size=5),
       st.text(max_size=300))
def test_no_zip_makes_a_traceback(files, listing):
    """Whatever a zip holds, reading it gives digits and problems, or an ArchiveError: nothing else."""
    files = {name: data for name, data in files.items() if "\0" not in name}
    files["x/Train/train.csv"] = listing.encode("utf-8", errors="replace")
    try:
        images, labels, problems = mine.read_zip(zip_of(files))
    except mine.ArchiveError:
        return
    assert images.shape[1:] == (28, 28) and len(images) == len(labels)
