"""A session that ends gives its memory back: its tensors are dropped when it disconnects (not minutes later,
when Streamlit gets round to forgetting it), and the freed heap returns to the OS."""

from __future__ import annotations

import time

import pytest
import torch
from conftest import ROOT, expect_no_exception, open_page, streamlit_server, wait_idle, warm_up
from streamlit.testing.v1 import AppTest

from pytorch_explorer.core.memory import release_freed_memory, rss_bytes
from ui.memory import release


def test_release_empties_what_was_registered_and_gives_memory_back():
    tensors = {"big": torch.ones(20_000_000)}  # 80 MB
    result = {"value": torch.ones(5)}
    held = {id(tensors): tensors, id(result): result}
    before = rss_bytes()
    release(held)
    assert tensors == {} and result == {} and held == {}
    assert rss_bytes() < before - 60 * 1024**2  # the 80 MB left the process, not only Python's reach
    assert release_freed_memory() >= 0


def test_a_session_whose_tensors_were_released_gets_them_made_again():
    at = AppTest.from_file(str(ROOT / "pages/tensor_playground.py")).run(timeout=60)
    a = at.session_state.tp_tensors["a"].clone()
    at.session_state.tp_tensors.clear()  # what release() does when the session disconnects
    at.run(timeout=60)
    assert not at.exception
    assert torch.equal(at.session_state.tp_tensors["a"], a)  # seeded recipe: the same values
    assert any("made again from their recipes" in i.value for i in at.info)


def server_rss_mb(proc) -> float:
    with open(f"/proc/{proc.pid}/statm") as f:
        return int(f.read().split()[1]) * 4096 / 1024**2


@pytest.mark.browser
def test_closing_the_tab_gives_the_servers_memory_back(browser, tmp_path):
    with streamlit_server(tmp_path / "streamlit.log") as (url, proc):
        warm_up(browser, url)
        warm = browser.new_page()
        open_page(warm, url, "tensors")
        warm.close()
        time.sleep(2)
        baseline = server_rss_mb(proc)
        page = browser.new_page()
        open_page(page, url, "tensors?tp_new_shape=5000,2000")  # 10 M float32 elements: 40 MB
        page.get_by_text("Create a tensor").click()
        page.get_by_role("button", name="Create", exact=True).click()
        wait_idle(page, 120)
        expect_no_exception(page)
        holding = server_rss_mb(proc)
        assert holding > baseline + 30, (baseline, holding)  # the session holds its tensor
        page.close()  # the session disconnects: its tensors are dropped and the heap trimmed
        deadline = time.time() + 30
        while server_rss_mb(proc) > baseline + 20 and time.time() < deadline:
            time.sleep(0.5)
        assert server_rss_mb(proc) < baseline + 20, (baseline, holding, server_rss_mb(proc))
