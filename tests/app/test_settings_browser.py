"""Settings in the browser (issue 12): a control keeps its value across a page switch and a reload, because
it lives in the URL, and a hostile address is shown back as a note, never a traceback."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlparse

import pytest
from conftest import expect_no_exception, open_page, screenshot, wait_idle

NOTE = "Some settings in this page's address were not used"


def _toy_page_ready(page) -> None:
    page.get_by_text("PyTorch code of the versions chosen above").wait_for(timeout=120_000)  # its last element
    wait_idle(page, timeout=120)


def _slider(page, key: str):
    return page.locator(f'.st-key-{key} input[type="range"]')


def _epochs(page) -> str:
    return _slider(page, "toy_epochs").input_value()


def _go_by_sidebar(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
    wait_idle(page, timeout=120)


@pytest.mark.browser
def test_toy_epochs_survive_a_page_switch_and_a_reload(page, app_url):
    open_page(page, app_url, "toy-networks", timeout=120)
    _toy_page_ready(page)
    assert _epochs(page) == "5000"
    _slider(page, "toy_epochs").focus()
    page.keyboard.press("End")  # the slider's maximum, 20000 epochs
    wait_idle(page)
    assert _epochs(page) == "20000"
    assert parse_qs(urlparse(page.url).query).get("toy_epochs") == ["20000"]
    assert page.get_by_text(NOTE).count() == 0  # the page's own change is not a value it "could not use"

    _go_by_sidebar(page, "Autograd explorer")
    page.get_by_role("heading", name="Autograd explorer").first.wait_for(timeout=60_000)
    assert "toy_epochs" not in page.url
    _go_by_sidebar(page, "Toy networks")
    _toy_page_ready(page)
    assert _epochs(page) == "20000", "the page switch lost the setting"
    assert parse_qs(urlparse(page.url).query).get("toy_epochs") == ["20000"]

    page.reload()
    _toy_page_ready(page)
    expect_no_exception(page)
    assert _epochs(page) == "20000", "the reload lost the setting"
    assert page.get_by_text(NOTE).count() == 0
    page.locator(".st-key-toy_epochs").scroll_into_view_if_needed()
    screenshot(page, "settings-toy-epochs-after-reload")


@pytest.mark.browser
def test_a_hostile_address_gives_the_defaults_and_a_note(page, app_url):
    hostile = {"toy_epochs": "lots", "toy_hidden": "999999", "toy_lr": "1e999", "toy_init": "A" * 10_000,
               "<img src=x onerror=alert(1)>": "**bold** [link](http://evil.example)", "toy_same_init": "maybe"}
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in hostile.items())
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_page(page, app_url, f"toy-networks?{query}", timeout=120)
    _toy_page_ready(page)
    expect_no_exception(page)
    note = page.locator('[data-testid="stAlert"]').filter(has_text=NOTE)
    assert note.count() == 1 and note.first.is_visible()
    text = note.first.inner_text()
    assert "toy_epochs" in text and "lots" in text and "not a setting of this page" in text
    assert "A" * 81 not in text  # a 10 kB value is shortened
    assert note.first.locator("img, a").count() == 0 and not dialogs  # Markdown/HTML is shown as code, not run
    assert _epochs(page) == "5000"
    assert _slider(page, "toy_hidden").input_value() in ("3", "16")  # the default, or the maximum
    note.first.scroll_into_view_if_needed()
    screenshot(page, "settings-hostile-address")
