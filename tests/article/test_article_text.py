"""The article's text, its language switch and its defects list: complete, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pytorch_explorer.article import LANGUAGES, language
from pytorch_explorer.article.cells import CELLS
from pytorch_explorer.article.defects import DEFECTS, defects_of
from pytorch_explorer.article.text import UI, article, parse

SOURCE = Path(__file__).resolve().parents[3] / "shared" / "seed" / "article-zh.txt"
NOTES_DEFECTS = {  # NOTES.md, "Defects in the article's code", each item
    "no_zero_grad", "with_replacement", "steps_from_whole_csv", "preproc_max", "eval", "ix", "variable",
    "loss_data_0", "imread", "output_bias_skipped", "bias_sums", "hidden_bias_wrong_error", "prints_in_loop",
}
REMOVED_APIS = {"variable": "Variable", "eval": "eval(", "ix": ".ix[", "loss_data_0": "loss.data[0]",
                "imread": "imread", "pylab": "pylab"}  # gone from the code that runs today


def test_language_reads_the_lang_query_value_with_a_safe_default():
    assert [language(v) for v in ("zh", "ZH ", "zh-CN", "中文", "en", ["en", "zh"])] == ["zh"] * 4 + ["en", "zh"]
    assert [language(v) for v in (None, "", "fr", "<b>", 3, [], "z" * 10_000)] == ["en"] * 7


@given(st.one_of(st.text(), st.none(), st.integers(), st.lists(st.text())))
def test_language_is_always_one_the_page_has(value):
    assert language(value) in LANGUAGES


def test_both_languages_have_the_same_sections_and_every_cell_once():
    en, zh = article("en"), article("zh")
    assert len(en.sections) == len(zh.sections) == 10
    assert en.markers() == zh.markers()
    cells = [value for kind, value in en.markers() if kind == "cell"]
    assert sorted(cells) == sorted(CELLS) and len(cells) == len(set(cells))
    assert {value for kind, value in en.markers() if kind == "page"} == {"tensors", "autograd", "optim", "nn", "toy", "data"}
    assert [kind for kind, _ in en.markers()].count("today") == 2 and "2026" in str(en.sections[8].blocks)
    assert re.search(r"[\u4e00-\u9fff]", zh.title) and not re.search(r"[\u4e00-\u9fff]", en.title)


def test_the_english_renders_every_paragraph_the_chinese_has():
    for en, zh in zip(article("en").sections, article("zh").sections, strict=True):
        en_text = [b.value for b in en.blocks if b.kind == "text"]
        zh_text = [b.value for b in zh.blocks if b.kind == "text"]
        assert [len(t.split("\n\n")) for t in en_text] == [len(t.split("\n\n")) for t in zh_text], en.title


def test_the_chinese_is_the_articles_own_text():
    if not SOURCE.is_file():  # the seed is beside the checkout in this workplace; the package keeps its own copy
        return
    zh = (Path(__file__).resolve().parents[2] / "pytorch_explorer" / "article" / "zh.md").read_text(encoding="utf-8")
    prose = [line.strip() for line in SOURCE.read_text(encoding="utf-8").splitlines()
             if re.search(r"[\u4e00-\u9fff]", line) and not line.startswith(("#", "x,", "img"))]
    missing = [line for line in prose if line not in zh]
    assert not missing, missing[:3]


def test_parse_refuses_an_unclosed_note_and_reads_markers():
    text = parse("# T\n## S\nhello\n\n[[cell:add]]\n[[today]]\nnew\n[[/today]]\n[[trainer]]")
    assert text.title == "T" and [(b.kind, b.value) for b in text.sections[0].blocks] == [
        ("text", "hello"), ("cell", "add"), ("today", "new"), ("trainer", "")]
    try:
        parse("# T\n## S\n[[aside]]\nnever closed")
    except ValueError as exc:
        assert "never closed" in str(exc)
    else:
        raise AssertionError("an unclosed note was accepted")


def test_the_defects_cover_notes_and_stand_where_they_are_marked():
    assert NOTES_DEFECTS <= {d.id for d in DEFECTS}
    for defect in DEFECTS:
        assert defect.cells and defect.title and defect.causes and re.search(r"[\u4e00-\u9fff]", defect.zh)
        for cell_id in defect.cells:
            assert defect.line in CELLS[cell_id].original, (defect.id, cell_id)
            assert defect in defects_of(cell_id)
        if defect.id in REMOVED_APIS:  # obsolete APIs: the code that runs today no longer has them
            for cell_id in defect.cells:
                code = "\n".join(line.split("#")[0] for line in CELLS[cell_id].code().splitlines())  # comments aside
                assert REMOVED_APIS[defect.id] not in code, (defect.id, cell_id)
    assert {d.see for d in DEFECTS} == {"", "toy", "trainer", "autograd"}


def test_the_page_words_exist_in_both_languages():
    assert UI["en"].keys() == UI["zh"].keys()
