"""ui.settings.choice (issue 17): a choice control keeps its option in the URL, the same in every language, while
it shows its options translated; a link from the days of labels still opens its choice, a bad value is named."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from pytorch_explorer.i18n import catalogue
from ui.settings import MISSING, Choice, ignored

NOTE = "Some settings in this page's address were not used:"  # report_ignored's note, in English and in Chinese
NOTES = (NOTE, catalogue("zh")[NOTE])


def page():
    """Two controls made by `choice`, their labels looked up in the Chinese catalogue (the playground's problems,
    the toy page's versions), and the language as the sidebar's switch leaves it in the session."""
    import streamlit as st

    from pytorch_explorer.playground.data import PROBLEM_TITLES, PROBLEMS
    from pytorch_explorer.toy.settings import IMPLEMENTATION_TITLES, IMPLEMENTATIONS
    from ui import settings

    raw = settings.snapshot()
    settings.choice(st.selectbox, "problem", PROBLEMS, labels=PROBLEM_TITLES, key="pg_problem")
    settings.choice(st.multiselect, "versions", IMPLEMENTATIONS, default=["numpy"], labels=IMPLEMENTATION_TITLES,
                    key="toy_impls")
    settings.choice(st.radio, "kind", ["a loop", "a branch"], key="ag_dyn_kind")
    settings.report_ignored(raw, ["pg_problem", "toy_impls", "ag_dyn_kind"])


def opened(query: dict) -> AppTest:
    at = AppTest.from_function(page)
    at.query_params.update(query)
    at.run(timeout=30)
    assert not at.exception, at.exception
    return at


def notes(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith(NOTES)]


def test_the_url_holds_the_option_not_the_label_the_learner_sees():
    at = opened({"lang": "zh"})
    assert at.selectbox(key="pg_problem").value == "circles" and "pg_problem" not in at.query_params  # the default
    assert at.selectbox(key="pg_problem").options[:2] == ["圆环", "异或"]
    at.selectbox(key="pg_problem").set_value("spiral").run()
    at.multiselect(key="toy_impls").set_value(["numpy", "autograd"]).run()
    assert at.query_params["pg_problem"] == "spiral"
    assert at.query_params["toy_impls"] == ["numpy", "autograd"]  # one value a choice
    at.multiselect(key="toy_impls").set_value([]).run()
    assert at.query_params["toy_impls"] == ""  # none chosen is not the default: it stays in the address
    at.selectbox(key="pg_problem").set_value("circles").run()
    assert "pg_problem" not in at.query_params and not notes(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_link_opens_the_same_choice_in_either_language(lang):
    at = opened({"lang": lang, "pg_problem": "spiral", "toy_impls": ["nn", "numpy"], "ag_dyn_kind": "a branch"})
    assert at.selectbox(key="pg_problem").value == "spiral" and at.radio(key="ag_dyn_kind").value == "a branch"
    assert at.multiselect(key="toy_impls").value == ["nn", "numpy"]
    assert at.selectbox(key="pg_problem").format_func("spiral") == {"en": "Spiral", "zh": "螺旋"}[lang]
    assert not notes(at)


def test_a_link_that_carries_the_english_label_still_opens_its_choice():
    """Links shared before issue 17 hold what Streamlit's binding wrote: the label (in any case, as a format_func
    like str.upper wrote it). They open the choice, and the address is rewritten to the option."""
    at = opened({"lang": "zh", "pg_problem": "Regression: plane", "toy_impls": ["1. numpy, hand-written backprop",
                                                                                "5. nn.Sequential + torch.optim"]})
    assert at.selectbox(key="pg_problem").value == "plane" and at.multiselect(key="toy_impls").value == ["numpy", "nn"]
    assert at.query_params["pg_problem"] == "plane" and at.query_params["toy_impls"] == ["numpy", "nn"]
    assert not notes(at)
    assert opened({"pg_problem": "SPIRAL"}).selectbox(key="pg_problem").value == "spiral"


def test_a_value_the_control_cannot_take_is_named_and_dropped_from_the_address():
    at = opened({"pg_problem": "螺旋", "toy_impls": ["numpy", "tensorflow"], "ag_dyn_kind": ""})  # a Chinese label too
    assert at.selectbox(key="pg_problem").value == "circles" and "pg_problem" not in at.query_params
    assert at.multiselect(key="toy_impls").value == ["numpy"]  # the choices it does name are kept
    assert at.radio(key="ag_dyn_kind").value == "a loop"  # a radio cannot hold nothing
    [note] = notes(at)
    assert "`pg_problem` = `螺旋`" in note and "`toy_impls` = `numpy, tensorflow`" in note and "`ag_dyn_kind`" in note


def test_switching_the_language_keeps_the_choice_and_the_address():
    at = opened({"lang": "zh", "pg_problem": "moons"})
    at.radio(key="ag_dyn_kind").set_value("a branch").run()
    assert at.radio(key="ag_dyn_kind").options == ["循环", "分支"]
    at.session_state["lang"] = "en"  # what the sidebar's English / 中文 control writes
    at.run()
    assert at.selectbox(key="pg_problem").value == "moons" and at.selectbox(key="pg_problem").options[4] == "Two moons"
    assert at.radio(key="ag_dyn_kind").value == "a branch" and at.radio(key="ag_dyn_kind").options == ["a loop",
                                                                                                      "a branch"]
    assert (at.query_params["pg_problem"], at.query_params["ag_dyn_kind"]) == ("moons", "a branch")
    assert not notes(at)


def test_a_changed_address_wins_over_the_session_and_the_session_over_an_unchanged_one():
    """The address a session wrote is the session's own; another one (the browser's back button, a link opened in
    the same tab) is the learner's request."""
    at = opened({"pg_problem": "xor"})
    at.selectbox(key="pg_problem").set_value("gauss").run()  # the address still says xor when this rerun starts
    assert at.selectbox(key="pg_problem").value == "gauss" and at.query_params["pg_problem"] == "gauss"
    at.query_params["pg_problem"] = "spiral"
    at.run()
    assert at.selectbox(key="pg_problem").value == "spiral"


def test_a_page_switch_keeps_the_choice_and_puts_it_back_into_the_address():
    from conftest import away_and_back, open_in_app

    at = open_in_app("pages/toy_networks.py", {}, timeout=120)
    at.selectbox(key="toy_init").set_value("normal").run()
    assert at.query_params["toy_init"] == "normal"
    away_and_back(at, "pages/toy_networks.py", "pages/autograd_explorer.py", "Autograd explorer")
    assert at.selectbox(key="toy_init").value == "normal" and at.query_params["toy_init"] == "normal"
    assert not notes(at)


def test_how_a_choice_reads_the_url():
    one = Choice({"circles": "circles", "Circles": "circles", "0.5": 0.5, "50%": 0.5}, False, False, [], [], "en")
    assert [one.value([t]) for t in ("circles", "CIRCLES", " circles", "50%", "0.5")] == ["circles"] * 3 + [0.5] * 2
    assert one.value(["moons"]) is MISSING and one.value([""]) is MISSING
    assert Choice({}, False, True, [], [], "en").value([""]) is None  # a select with index=None: ?key= empties it
    many = Choice({"a": "a", "b": "b"}, True, False, [], [], "en")
    assert many.value(["b", "a"]) == ["b", "a"] and many.value([""]) == [] and many.value(["a", "z"]) is MISSING
    mine = Choice({"a": "a", "b": "b"}, False, False, written=["b"], earlier=["a"], language="en")  # a, then b
    assert mine.took(["a"], "b") and mine.took(["b"], "b") and not mine.took(["z"], "b")
    raw = {"pg_problem": ["Spiral"], "toy_impls": ["numpy", "z"]}
    assert ignored(raw, {"pg_problem": "spiral", "toy_impls": ["numpy"]},
                   choices={"pg_problem": Choice({"spiral": "spiral", "Spiral": "spiral"}, False, False, [], [], "en"),
                            "toy_impls": many}) == [
        ("toy_impls", "numpy, z", "not a value this control can take, so it was not used")]


# ---------------------------------------------------------------- in a browser
@pytest.mark.browser
def test_in_the_browser_a_choice_keeps_its_option_across_languages_page_switches_and_a_reload(page, app_url):
    """What AppTest cannot show: the address bar itself, and the sidebar's page switch (which leaves the next
    page an address without this page's settings)."""
    from urllib.parse import parse_qs, urlparse

    from conftest import expect_no_exception, open_page, wait_idle

    def query() -> dict[str, list[str]]:
        return parse_qs(urlparse(page.url).query, keep_blank_values=True)

    def shown() -> str:  # what the select of the initial weights shows
        return page.locator(".st-key-toy_init input").first.input_value()

    def ready() -> None:
        page.locator(".st-key-toy_init input").first.wait_for(timeout=120_000)
        wait_idle(page, timeout=120)
        expect_no_exception(page)

    def go(title: str) -> None:
        page.locator('[data-testid="stSidebarNav"] a').filter(has_text=title).first.click()
        wait_idle(page, timeout=120)

    open_page(page, app_url, "toy-networks?toy_init=normal%20(torch.randn)", timeout=120)  # a link of the label days
    ready()
    assert query()["toy_init"] == ["normal"] and shown() == "normal (torch.randn)"
    assert page.get_by_text(NOTE).count() == 0
    page.locator('[data-testid="stSidebar"]').get_by_text("中文", exact=True).click()
    wait_idle(page, timeout=120)
    ready()
    assert shown() == "标准正态分布（torch.randn）"  # the browser was told the new label of the same choice
    assert "1. numpy，手写反向传播" in page.locator(".st-key-toy_impls").inner_text()
    assert query()["toy_init"] == ["normal"] and query()["lang"] == ["zh"]
    page.locator(".st-key-toy_same_init label").click()  # another rerun: the choice is still the option it was
    wait_idle(page, timeout=120)
    ready()
    assert shown() == "标准正态分布（torch.randn）" and query()["toy_init"] == ["normal"]
    go("自动求导探索器")
    page.get_by_role("heading", name="自动求导探索器").first.wait_for(timeout=60_000)
    assert "toy_init" not in query() and page.get_by_text(NOTES[1]).count() == 0
    go("玩具网络")
    ready()
    assert query()["toy_init"] == ["normal"] and shown() == "标准正态分布（torch.randn）"
    page.reload()
    ready()
    assert query()["toy_init"] == ["normal"] and shown() == "标准正态分布（torch.randn）"
    assert page.get_by_text(NOTES[1]).count() == 0
