"""Paths typed into a page: only under the data folder (and $PTE_ALLOWED_DIRS); nothing else is shown."""

from __future__ import annotations

import pytest

from pytorch_explorer.core.errors import DataError
from pytorch_explorer.core.paths import data_dir
from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.digits.data.mnist import read_idx


@pytest.mark.parametrize("spec", ["idx:/root", "idx:/etc/hostname", "csv:/etc/passwd", "folder:/", "idx:../../etc"])
def test_a_path_outside_the_data_folder_is_refused_without_showing_it(spec, bounded):
    with bounded(spec), pytest.raises(DataError, match="outside the folders") as caught:
        load_digits(spec, restrict_paths=True)
    assert "PTE_ALLOWED_DIRS" in str(caught.value)


def test_a_symlink_out_of_the_data_folder_is_refused(tmp_path):
    link = data_dir() / "hardening-link"
    data_dir().mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to("/etc")
    try:
        with pytest.raises(DataError, match="outside the folders"):
            load_digits("idx:hardening-link", restrict_paths=True)
    finally:
        link.unlink()


def test_an_operator_folder_is_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("PTE_ALLOWED_DIRS", str(tmp_path))
    with pytest.raises(DataError) as caught:
        load_digits(f"idx:{tmp_path}", restrict_paths=True)  # allowed, but holds no IDX files
    assert "outside" not in str(caught.value)


def test_errors_never_show_a_files_bytes_or_a_folders_listing(tmp_path):
    secret = tmp_path / "hostname"
    secret.write_bytes(b"secret-host\n")
    (tmp_path / "private-notes.txt").write_text("x")
    with pytest.raises(DataError) as caught:
        read_idx(secret)
    assert "secret" not in str(caught.value).replace(str(tmp_path), "") and "73 65" not in str(caught.value)
    with pytest.raises(DataError) as caught:
        load_digits(f"idx:{tmp_path}")
    assert "private-notes" not in str(caught.value)
