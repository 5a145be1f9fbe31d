"""The entry point: navigation, the home page, and every page rendering without an exception."""

import pytest
from playwright.sync_api import expect
from conftest import ROOT, expect_no_exception, open_page, screenshot
from streamlit.testing.v1 import AppTest

import app


def test_home_lists_every_page_and_the_devices():
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=30)
    assert not at.exception
    assert at.title[0].value == "PyTorch Explorer"
    text = " ".join(m.value for m in at.markdown)
    import torch

    assert torch.__version__ in text
    devices = at.table[0].value
    assert "cpu" in list(devices["device"])


def test_home_offers_a_learning_path_in_the_articles_order():
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=30)
    labels = [link.proto.label for link in at.get("page_link")]
    assert labels == [f"**{n}. {title}**: {blurb}" for n, (_, title, _, _, blurb) in enumerate(app.PAGES, start=1)]
    assert at.subheader[0].value == "Start here"


def test_every_page_file_exists():

    for path, *_ in app.PAGES:
        assert (ROOT / path).is_file(), path


@pytest.mark.browser
def test_every_page_renders_in_the_browser(page, app_url):
    open_page(page, app_url)
    expect(page.get_by_role("heading", name="PyTorch Explorer").first).to_be_visible()
    expect_no_exception(page)
    screenshot(page, "home")
    for _, title, url_path, _, _ in app.PAGES:
        open_page(page, app_url, url_path, timeout=120)
        expect(page.get_by_role("heading", name=title).first).to_be_visible()
        expect_no_exception(page)
        screenshot(page, url_path)


def test_every_browser_gets_a_workspace_in_the_url_and_keeps_a_valid_one():
    from pytorch_explorer.runs import is_workspace_id, new_workspace_id

    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=30)
    assert is_workspace_id(at.query_params["ws"])
    mine = new_workspace_id()
    at = AppTest.from_file(str(ROOT / "app.py"))
    at.query_params["ws"] = mine
    at.run(timeout=30)
    assert at.session_state["workspace"] == mine and not at.warning


def test_a_hostile_workspace_id_opens_a_new_workspace_with_a_note():
    at = AppTest.from_file(str(ROOT / "app.py"))
    at.query_params["ws"] = "../../etc/passwd"
    at.run(timeout=30)
    assert not at.exception and at.session_state["workspace"] != "../../etc/passwd"
    assert "not a valid workspace id" in at.warning[0].value


def test_home_names_the_article_with_a_link():
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=30)
    assert any("[*An Introduction to PyTorch*](https://" in m.value for m in at.markdown)
    readme = (ROOT / "README.md").read_text()
    assert "An Introduction to PyTorch" in readme and "](https://" in readme.split("## Run the app")[0]
