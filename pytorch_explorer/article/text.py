"""The article's text in English (``en.md``, written for this app) and Chinese (``zh.md``, the original),
parsed into sections, and the page's own words in both languages.

The Markdown files mark what is not prose on lines of their own: ``[[cell:ID]]`` (a runnable cell),
``[[page:ID]]`` (a link to the page that explores the section), ``[[trainer]]`` (links to the digit
trainer with the article's settings), and ``[[today]]`` / ``[[aside]]`` ... ``[[/today]]`` /
``[[/aside]]`` (a dated note on what changed since 2018 / a remark of this app's). Both files have the
same sections and the same markers in the same order (a test checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pytorch_explorer.article import LANGUAGES

HERE = Path(__file__).resolve().parent
MARKER = re.compile(r"^\[\[(cell|page):([a-z_]+)\]\]$|^\[\[(trainer)\]\]$")
NOTES = ("today", "aside")


@dataclass(frozen=True)
class Block:
    kind: str  # "text", "cell", "page", "trainer", "today", "aside"
    value: str = ""  # Markdown, or the cell's / page's id


@dataclass
class Section:
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Article:
    title: str
    sections: list[Section]

    def markers(self) -> list[tuple[str, str]]:
        """Every block that is not prose, in order: what both languages must share."""
        return [(b.kind, b.value if b.kind in ("cell", "page") else "") for s in self.sections for b in s.blocks
                if b.kind != "text"]


def parse(source: str) -> Article:
    """An Article from the Markdown described in the module docstring."""
    title, sections, lines, note = "", [], [], ""

    def flush(kind: str = "text") -> None:
        text = "\n".join(lines).strip()
        if text and sections:
            sections[-1].blocks.append(Block(kind, text))
        lines.clear()

    for line in source.splitlines():
        stripped = line.strip()
        if note:
            if stripped == f"[[/{note}]]":
                flush(note)
                note = ""
            else:
                lines.append(line)
        elif line.startswith("# "):
            title = line[2:].strip()
        elif line.startswith("## "):
            flush()
            sections.append(Section(line[3:].strip()))
        elif stripped.startswith("[[") and stripped[2:-2] in NOTES:
            flush()
            note = stripped[2:-2]
        elif match := MARKER.match(stripped):
            flush()
            kind, value, trainer = match.groups()
            sections[-1].blocks.append(Block(kind or trainer, value or ""))
        else:
            lines.append(line)
    flush()
    if note:
        raise ValueError(f"[[{note}]] is never closed")
    return Article(title, sections)


@cache
def article(lang: str) -> Article:
    """The article in "en" or "zh" (parsed once)."""
    if lang not in LANGUAGES:
        raise ValueError(f"the article is in {' and '.join(LANGUAGES)}, not {lang!r}")
    return parse((HERE / f"{lang}.md").read_text(encoding="utf-8"))


UI = {
    "en": {
        "code": "PyTorch code of the cells you ran (today's versions)", "intro": (
            "The article this app grows from (*An Introduction to PyTorch*, Analytics Vidhya, 2018, read here in "
            "its Chinese translation), section by section. Every snippet is a cell you can run: where today's "
            "libraries no longer run the 2018 code, the cell shows the smallest change that does, as a diff. "
            "Defects in the article's code are marked where they stand."),
        "contents": "Contents", "run": "Run", "output": "Output", "no_output": "(no output)",
        "as_written": "Runs as written today.", "diff": "The article's code against today's: `-` the article's "
                      "lines, `+` what runs here.", "today_code": "Today's code, to copy",
        "article_output": "What the article printed (PyTorch 0.3, 2018)", "variables": "Variables after this cell",
        "defect": "Defect", "see_it": "See it happen", "left_out": "lines left out", "running": "Running",
        "folder": "Writing the article's data folder (5,000 PNG digits, once)...", "image": "The image ",
        "trainer_faithful": "Train the article's network as written (article-faithful mode: no zero_grad)",
        "trainer_fixed": "The same settings with the loop done right", "changes": "What changed",
    },
    "zh": {
        "code": "你运行过的单元格的 PyTorch 代码(今天的版本)", "intro": (
            "本应用所依据的文章(*An Introduction to PyTorch*,Analytics Vidhya,2018 年;这里是它的中文译文),"
            "逐节呈现。每段代码都是可以运行的单元格:如果今天的库已无法运行 2018 年的代码,单元格会以 diff "
            "的形式给出能运行的最小改动。文章代码中的缺陷在出现的位置都有标记。"),
        "contents": "目录", "run": "运行", "output": "输出", "no_output": "(无输出)",
        "as_written": "原样即可运行。", "diff": "原文代码与今天代码的对比:`-` 为原文,`+` 为这里运行的代码。",
        "today_code": "今天的代码(可复制)", "article_output": "原文的输出(PyTorch 0.3,2018 年)",
        "variables": "运行后的变量", "defect": "缺陷", "see_it": "亲眼看看", "left_out": "行已省略",
        "running": "正在运行", "folder": "正在生成原文的数据文件夹(5,000 张 PNG 数字,只需一次)……",
        "image": "图片 ", "trainer_faithful": "按原文代码训练文章的网络(忠实模式:没有 zero_grad)",
        "trainer_fixed": "同样的设置,循环写对", "changes": "改动",
    },
}
PAGE_LABELS = {
    "en": {"tensors": "Try 200+ operations in the Tensor playground", "autograd": "Watch the recorder in the Autograd explorer",
           "optim": "Race torch.optim's optimizers", "nn": "Build a model layer by layer in nn modules",
           "toy": "Train both networks side by side, with their bugs and fixes, in Toy networks",
           "data": "Dataset, Sampler and DataLoader on the digits: Data loading"},
    "zh": {"tensors": "在张量游乐场中试用 200 多种运算", "autograd": "在 Autograd 探索页中观察记录器",
           "optim": "比较 torch.optim 的各种优化器", "nn": "在 nn 模块页中逐层搭建模型",
           "toy": "在玩具网络页中并排训练两个网络,查看错误与修正",
           "data": "在数据加载页中查看数字上的 Dataset、Sampler 和 DataLoader"},
}
