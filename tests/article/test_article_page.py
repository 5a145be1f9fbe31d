"""The "Read the article" page: in English and in Chinese (?lang=zh), cells run by their buttons, the
defects marked with their links, and in a browser."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import expect_no_exception, open_in_app, open_page, screenshot, url_notes, wait_idle
from pytorch_explorer.article.cells import CELLS, trainer_url

PAGE = "pages/article.py"


def codes(at) -> list[str]:
    return [c.value for c in at.code]


def test_the_page_reads_in_english_and_runs_cells_by_their_buttons(one_torch_thread):
    at = open_in_app(PAGE, {}, 120)
    assert at.title[0].value.startswith("Read the article")
    assert len(at.button) >= len(CELLS) and not url_notes(at)
    for cell_id in ("tensor", "add", "matrix", "transpose", "toy_numpy"):
        at.button(key=f"ar_run_{cell_id}").click().run()
        assert not at.exception, at.exception
    shown = codes(at)
    assert "tensor([2.])" in shown and "tensor([5.])" in shown
    assert any(text.startswith("actual :") and "predicted :" in text for text in shown)
    assert any(text.startswith("tensor([[") for text in shown)  # the matrix and its transpose
    warnings = [w.value for w in at.warning]
    assert any("No `optimizer.zero_grad()`" in w for w in warnings) and any("output bias" in w for w in warnings)
    assert any("2026" in i.value and "torch.export" in i.value for i in at.info)
    links = "".join(m.value for m in at.markdown)
    assert "dt_faithful=true" in links and "digits-trainer?ws=" in links


def test_the_case_study_runs_on_its_own_folder(one_torch_thread):
    at = open_in_app(PAGE, {}, 120)
    at.button(key="ar_run_cs_paths").click().run(timeout=180)
    assert not at.exception, at.exception
    assert "(True, True)" in codes(at)
    at.button(key="ar_run_cs_show").click().run(timeout=120)
    assert not at.exception and any("img_name" in c.value for c in at.caption)


def test_the_page_reads_in_chinese_from_the_address_and_switches_back():
    at = open_in_app(PAGE, {"lang": "zh"}, 120)
    assert re.search(r"[\u4e00-\u9fff]", at.title[0].value)
    assert at.button(key="ar_run_add").label == "运行"
    at.button(key="ar_run_add").click().run()
    assert not at.exception and "tensor([5.])" in codes(at)
    assert any("缺陷" in w.value for w in at.warning)
    at.query_params["lang"] = "en"  # the address the sidebar's switch (app.py) writes for English
    at.run()
    assert at.title[0].value.startswith("Read the article") and not at.exception
    assert "tensor([5.])" in codes(at)  # the output stays across the switch


def test_a_bad_language_in_the_address_falls_back_to_english():
    at = open_in_app(PAGE, {"lang": "<b>fr`"}, 120)
    assert not at.exception and at.title[0].value.startswith("Read the article")


def test_the_trainer_link_opens_the_trainer_in_article_faithful_mode_with_the_articles_settings():
    query = dict(parse_qsl(urlsplit(trainer_url("x" * 22)).query))
    query.pop("ws")
    at = open_in_app("pages/digits_trainer.py", query, 120)
    assert at.toggle(key="dt_faithful").value is True and not url_notes(at)
    assert (at.select_slider(key="dt_hidden").value, at.slider(key="dt_epochs").value, at.number_input(key="dt_seed").value,
            at.select_slider(key="dt_lr").value, at.select_slider(key="dt_batch").value) == (500, 5, 128, 0.001, 128)


@pytest.mark.browser
def test_the_article_in_a_browser_in_both_languages(page, app_url):
    open_page(page, app_url, "article", timeout=120)
    page.get_by_role("heading", name=re.compile("Read the article")).first.wait_for(timeout=30_000)
    run = page.get_by_role("button", name=re.compile("Run")).nth(2)  # the addition's cell
    run.scroll_into_view_if_needed()
    run.click()
    wait_idle(page, 60)
    page.get_by_text("tensor([5.])").first.wait_for(timeout=30_000)
    expect_no_exception(page)
    screenshot(page, "article_en")
    open_page(page, app_url, "article?lang=zh", timeout=120)
    heading = page.locator("h1").first
    heading.wait_for(timeout=30_000)
    assert re.search(r"[\u4e00-\u9fff]", heading.inner_text())
    assert "lang=zh" in page.url
    expect_no_exception(page)
    screenshot(page, "article_zh")
