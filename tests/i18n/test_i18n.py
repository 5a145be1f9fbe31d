"""English and Chinese: the language a URL asks for, and a Chinese entry for every text a page translates."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT
from visible import untranslated
import pytest
from hypothesis import given
from hypothesis import strategies as st

import app
from pytorch_explorer.i18n import catalogue, conflicts, language, missing, placeholders, translate

SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py"))]


def translated_literals(path: Path) -> list[str]:
    """The string literals a file passes to tr(...) (implicit concatenations joined, as Python does)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr":
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append(first.value)
    return out


def test_a_url_says_english_or_chinese_and_nothing_else():
    assert language("zh") == language("zh-CN") == language("中文") == language(" ZH ") == "zh"
    assert language("en") == language(None) == language("") == language("klingon") == "en"


@given(st.text(max_size=20))
def test_any_value_in_the_url_is_a_language_the_app_has(value):
    assert language(value) in ("en", "zh")


def test_every_text_the_app_translates_has_a_chinese_entry_with_the_same_placeholders():
    texts = [t for path in SOURCES for t in translated_literals(path)]
    texts += [text for _, title, _, _, blurb in app.PAGES for text in (title, blurb)]
    assert len(texts) > 30
    assert missing(texts, "zh") == []
    table = catalogue("zh")
    for text in texts:
        assert placeholders(table[text]) == placeholders(text), text


def test_no_two_catalogue_files_translate_one_text_differently():
    assert conflicts("zh") == []


def test_the_chinese_catalogue_is_chinese():
    table = catalogue("zh")
    wordy = {en: zh for en, zh in table.items() if re.search(r"[A-Za-z]{3,}", re.sub(r"\{[^}]*\}|MB|KB|GB", "", en))}
    assert [en for en, zh in wordy.items() if not any("\u4e00" <= ch <= "\u9fff" for ch in zh)] == []
    assert translate("Optimizers", "zh") == "优化器" and translate("Optimizers", "en") == "Optimizers"
    assert translate("a text nobody translated", "zh") == "a text nobody translated"


def test_the_home_page_and_navigation_in_chinese():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "从这里开始"
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels[0] == "**1. 阅读原文**: " + translate(app.PAGES[0][4], "zh")
    assert at.session_state["lang"] == "zh"
    assert untranslated(at) == []
    en = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30).run()
    assert en.subheader[0].value == "Start here"


@pytest.mark.browser
def test_every_page_renders_in_chinese_in_the_browser(page, app_url):
    """Every page of the navigation, opened at ?lang=zh: no exception, Chinese in its title and navigation."""
    from conftest import expect_no_exception, open_page

    for url_path in ["", *[url for _, _, url, _, _ in app.PAGES]]:
        open_page(page, app_url, f"{url_path}?lang=zh", timeout=120)
        expect_no_exception(page)
        title = page.locator("h1").first.inner_text()
        if url_path:  # the home page's title is the product's name
            assert re.search(r"[\u4e00-\u9fff]", title), (url_path, title)
        assert page.get_by_text("首页").count() >= 1, url_path  # the navigation, in Chinese
