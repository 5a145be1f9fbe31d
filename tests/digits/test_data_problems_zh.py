"""The bad rows and files the digit loaders and the my-digits import skip are said in the learner's language:
each problem is a Said (its English text unchanged), in Chinese with its file names, lines and cell text as
they are, also when the load comes from the cache and when "stop" turns the first problem into a DataError."""

from __future__ import annotations

import io
import re
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from pytorch_explorer.core.errors import Said, message
from pytorch_explorer.digits import mine
from pytorch_explorer.digits.data import DataError, load_bundled, load_digits, png_folder
from pytorch_explorer.digits.data.dataset import problems_array, problems_from
from pytorch_explorer.digits.data.png_folder import make_png_folder

CJK = re.compile(r"[\u4e00-\u9fff]")


def said_in_chinese(problem: str) -> str:
    assert isinstance(problem, Said), problem
    words = message(problem, "zh")
    assert CJK.search(words) and message(problem) == problem, words
    return words


def test_a_pixel_csv_says_its_bad_rows_in_chinese_also_from_the_cache(tmp_path, monkeypatch):
    rows = [",".join(["label", *(f"pixel{i}" for i in range(784))])]
    rows += [",".join([label, *["0"] * 784]) for label in ("3", "12", "4")]
    path = tmp_path / "pixels.csv"
    path.write_text("\n".join(rows) + "\n")
    first = load_digits(f"csv:{path}").problems
    assert first == [f"{path}, line 3 (row 2): label '12' is not a digit 0-9"]
    assert said_in_chinese(first[0]) == f"{path}，第 3 行（数据第 2 行）：标签 '12' 不是 0-9 中的数字"
    monkeypatch.setattr("pytorch_explorer.digits.data.pixel_csv.parse_pixel_csv", None)  # only the cache can answer
    again = load_digits(f"csv:{path}").problems
    assert again == first and said_in_chinese(again[0]) == said_in_chinese(first[0])
    with pytest.raises(DataError) as stopped:
        load_digits(f"csv:{path}", on_error="stop")
    assert stopped.value.message("zh").startswith(f"{path}，第 3 行（数据第 2 行）：标签 '12'")


def test_a_png_folders_bad_rows_and_files_are_said_in_chinese_also_from_the_cache(tmp_path, monkeypatch):
    root = make_png_folder(tmp_path, 4)
    (root / "Train/Images/train/garbage.png").write_bytes(b"not a png at all")
    with (root / "Train/train.csv").open("a") as csv:
        csv.write("1.png,seven\ngone.png,3\ngarbage.png,4\n")
    first = load_digits(f"folder:{root}").problems
    assert len(first) == 3
    words = [said_in_chinese(p) for p in first]
    assert "第 6 行（数据第 5 行）：标签 'seven' 不是 0-9 中的数字" in words[0]
    assert words[1].startswith("缺少 ") and words[1].endswith("gone.png（train.csv 第 7 行）")  # a Said in a Said
    assert "garbage.png 解码为图像（" in words[2]
    monkeypatch.setattr(png_folder, "decode_folder", None)  # only the cache can answer
    again = load_digits(f"folder:{root}").problems
    assert again == first and [said_in_chinese(p) for p in again] == words


def test_the_cache_keeps_each_problems_template_and_values():
    problems = [Said("{problem} ({listing} line {line})", problem=Said("{path} is missing", path="a.png"),
                     listing="train.csv", line=np.int64(7)), "words of another library"]
    back = problems_from(problems_array(problems))
    assert back == problems and back[0].values["problem"].template == "{path} is missing"
    assert back[0].values["line"] == 7 and not isinstance(back[1], Said)


def test_a_single_image_that_cannot_be_read_is_a_data_error_in_chinese(tmp_path):
    path = tmp_path / "big.png"
    Image.fromarray(np.zeros((56, 40), np.uint8)).save(path)
    with pytest.raises(DataError, match="is 40x56 pixels, not 28x28") as refused:
        png_folder.read_digit(path)
    assert refused.value.message("zh") == (f"{path} 有 40x56 像素，不是 28x28：请传入 resize=True（勾选 'resize'），"
                                           "把它缩放到 28x28")


def test_an_idx_label_that_is_not_a_digit_is_said_in_chinese(tmp_path):
    def write_idx(path, array):
        path.write_bytes(bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
                         + array.astype(">u1").tobytes())

    write_idx(tmp_path / "train-images-idx3-ubyte", load_bundled().images[:3])
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 11, 2]))
    problems = load_digits(f"idx:{tmp_path}").problems
    assert said_in_chinese(problems[0]) == f"{tmp_path / 'train-labels-idx1-ubyte'}：标签 11（第 1 个数字）不是 0-9 中的数字"


def test_a_my_digits_zips_skipped_rows_are_said_in_chinese(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("Train/train.csv", "filename,label\nphoto.jpg,2\nfake.png,3\nmissing.png,4\nx.png,12\n")
        z.writestr("Train/Images/train/fake.png", b"GIF89a not a png")
    report = mine.import_zip(mine.MyDigits(tmp_path / "m"), buffer.getvalue())
    assert [said_in_chinese(p) for p in report.problems] == [
        "train.csv 第 2 行：photo.jpg 不是 .png 文件（只接受 PNG）",
        "train.csv 第 3 行：fake.png 不是 PNG 文件",
        "train.csv 第 4 行：missing.png 不在这个 zip 文件的 Train/Images/train/ 中",
        "train.csv 第 5 行：标签 '12' 不是 0-9 中的数字"]
    assert report.problems[1] == "train.csv line 3: fake.png is not a PNG file"
