"""The Optimizers page in Chinese (?lang=zh): every text it shows, the package's words (surfaces, update rules,
optimizer.state, schedulers, divergence, formula errors, figures), and the switch back to English keeping the
page's settings. The selects show their options in Chinese (surfaces, racers, schedulers), while the URL holds the
options themselves, so a shared link opens the same race in either language."""

from __future__ import annotations

import ast
import math
import re

import pytest
from conftest import open_in_app
from test_error_messages import PACKAGE, raised_errors
from visible import from_home, translate_literals, untranslated

from pytorch_explorer.i18n import catalogue, placeholders
from pytorch_explorer.optim import figures
from pytorch_explorer.optim.errors import OptimError
from pytorch_explorer.optim.optimizers import (NESTEROV_NEEDS_MOMENTUM, RACER_TITLES, STATE_EXPLANATIONS,
                                               UPDATE_RULES, OptimizerSpec, racer_spec)
from pytorch_explorer.optim.schedulers import SCHEDULER_ABOUT, SCHEDULER_TITLES, SchedulerSpec
from pytorch_explorer.optim.surfaces import SURFACES, custom_surface
from pytorch_explorer.optim.trajectory import Path, divergence, race, record, summary_rows

PAGE = "pages/optimizers.py"
CJK = re.compile(r"[\u4e00-\u9fff]")
NAMES = {"SGD", "Nesterov", "Adagrad", "RMSprop", "Adam", "AdamW", "StepLR", "CosineAnnealingLR", "OneCycleLR",
         "ReduceLROnPlateau"}  # class names: the same in any language, no entry


def raised_templates(folder: str) -> list[str]:
    """The templates of the errors a package folder raises (and of the Said it makes): the page shows them with
    `exc.message(lang)`, so they are words it can show a learner too."""
    return [call.args[0].value for path in sorted((PACKAGE / folder).rglob("*.py"))
            for _, _, call in raised_errors(path) if call.args and isinstance(call.args[0], ast.Constant)]


def package_templates() -> list[str]:
    """Every English text pytorch_explorer.optim passes to translate(...) as a literal, and its errors' templates."""
    return translate_literals("optim") + raised_templates("optim")


def shown_constants() -> list[str]:
    """The package's English texts the page passes through tr(): surfaces' notes, schedulers, racers, rules."""
    texts = [s.about for s in SURFACES.values()] + list(SCHEDULER_ABOUT.values()) + list(UPDATE_RULES.values())
    texts += list(STATE_EXPLANATIONS.values()) + [NESTEROV_NEEDS_MOMENTUM]
    texts += [t for t in [*RACER_TITLES.values(), *SCHEDULER_TITLES.values()] if t not in NAMES]
    return texts


def test_every_text_the_package_can_show_has_a_chinese_entry_with_the_same_placeholders():
    templates = package_templates()
    assert len(templates) >= 30  # divergence, figures, tables (translated), formula and settings errors (raised)
    texts = templates + shown_constants()
    table = catalogue("zh")
    assert [t for t in texts if t not in table] == []
    for text in texts:
        assert placeholders(table[text]) == placeholders(text), text
        assert CJK.search(table[text]), text
    assert not NAMES & set(catalogue("zh"))


def _paths(surface, specs, steps, scheduler=None, lang="en"):
    paths = {key: Path(spec, key) for key, spec in specs.items()}
    for event in race(surface, specs, surface.start, steps, scheduler, lang):
        record(paths, event)
    return paths


def test_the_figures_speak_chinese_and_english_stays_as_it_was():
    surface = SURFACES["quadratic"]
    specs = {"sgd": racer_spec("sgd", 0.5), "momentum": racer_spec("momentum", 0.02)}
    paths = _paths(surface, specs, 20, SchedulerSpec("steplr", step_size=5), "zh")
    race_fig = figures.race_figure(surface, paths, 2, lang="zh")
    names = {t.name for t in race_fig.data}
    assert {"点击从这里出发", "极小值点", "起点", "SGD", "SGD + 动量", "SGD 发散", "SGD + 动量，第 2 步"} <= names
    assert [b.label for b in race_fig.layout.updatemenus[0].buttons] == ["▶ 播放", "❚❚ 暂停"]
    assert race_fig.layout.sliders[0].currentvalue.prefix == "步数："
    [cross] = [t for t in race_fig.data if t.name == "SGD 发散"]
    assert cross.text[0].startswith("发散（第 ")
    lr, loss = figures.lr_figure(paths, 3, "zh"), figures.loss_figure(paths, 3, "zh")
    assert lr.layout.title.text == "每一步的学习率" and lr.layout.xaxis.title.text == "步数"
    assert lr.layout.yaxis.title.text == "学习率（对数坐标）" and loss.layout.title.text == "每一步的损失"
    assert loss.layout.yaxis.title.text == "f(x, y)（对数坐标）"
    assert {t.name for t in loss.data} == {"SGD", "SGD + 动量"}
    english = figures.race_figure(surface, _paths(surface, specs, 20), 2)
    assert {"click to start here", "minimum", "start point", "SGD + momentum", "SGD diverged"} <= {t.name for t in english.data}
    assert figures.lr_figure(paths).layout.title.text == "Learning rate per step"


def test_divergence_and_how_each_ended_in_chinese():
    surface = SURFACES["quadratic"]
    assert divergence(surface, 4, math.inf, 1.0, 1.0, "zh").startswith("在第 4 步发散：参数变成了 inf, 1（不是有限数）")
    assert "请调低学习率" in divergence(surface, 2, 1.0, 1.0, math.nan, "zh")
    assert "远在绘图区域之外（损失 1e+06）" in divergence(surface, 7, 900.0, 0.0, 1e6, "zh")
    assert divergence(surface, 1, 1.0, 1.0, 1.0, "zh") is None
    paths = _paths(surface, {"sgd": racer_spec("sgd", 0.5), "adam": racer_spec("adam", 0.05)}, 30, lang="zh")
    assert paths["sgd"].message.startswith("在第 3 步发散：")
    rows = {r["optimizer"]: r["ended"] for r in summary_rows(surface, paths, "zh")}
    assert rows == {"SGD": "在第 3 步发散", "Adam": "走完 30 步"}
    assert summary_rows(surface, paths)[1]["ended"] == "30 steps"  # English by default


@pytest.mark.parametrize("formula, words", [
    ("", "请输入一个含 x 和 y 的公式"),
    ("torch.ones(3) * x", "形状为 [3] 的张量"),
    ("1 / (x + 2) + y", "起点处的损失必须是有限数"),
    ("3.0", "它给出的是 float"),
    ("x" + " + x" * 200, "这个公式有 "),
    ("torch.sqrt(x) + y", "梯度不是有限数"),
    ("x +", "无法计算这个公式："),
    ("x.sum(dim=0) * 3", "不要对 x 或 y 求和或求平均"),
])
def test_a_formula_refused_in_chinese(formula, words):
    with pytest.raises(OptimError) as caught:
        custom_surface(formula, (0.0, 2.0) if "sqrt" in formula else (-2.0, 2.0))
    assert words in caught.value.message("zh") and words not in str(caught.value)  # English unless asked


def test_nesterov_without_momentum_is_refused_in_chinese():
    with pytest.raises(OptimError, match="0.9 is usual") as caught:
        racer_spec("nesterov", 0.01, momentum=0.0)
    assert caught.value.message("zh").startswith("Nesterov 动量是 SGD 的一个选项")
    with pytest.raises(OptimError, match="learning rate must be") as caught:  # a check the page cannot reach
        racer_spec("adam", -1.0)
    assert caught.value.message("zh") == "学习率必须是大于 0 且不超过 100 的数；收到的是 -1.0。"
    assert OptimizerSpec("sgd", 0.1).title == "SGD"


# ---------------------------------------------------------------- the page
def _run(at):
    at.run(timeout=120)
    assert not at.exception, at.exception
    return at


def _table(at, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def test_the_page_in_chinese_shows_no_english_left():
    at = open_in_app(PAGE, {"lang": "zh"}, timeout=120)
    assert at.title[0].value == "优化器" and not at.error
    assert untranslated(at) == []
    summary = _table(at, "结果")
    assert list(summary.columns) == ["优化器", "学习率", "x", "y", "损失", "到最近极小值点的距离", "结果"]
    assert list(summary["优化器"]) == ["SGD", "SGD + 动量", "Adam"] and (summary["结果"] == "走完 200 步").all()
    state = _table(at, "显示的步数")
    assert {"momentum_buffer", "exp_avg", "exp_avg_sq"} <= set(state.columns)
    text = " ".join(m.value for m in at.markdown)
    assert "- `exp_avg`: Adam 的一阶矩估计 m" in text and "**更新规则**" in text
    assert "- **SGD + 动量**: v ← μ·v + g；p ← p − lr·v" in text
    assert at.subheader[0].value == "第 200 步之后优化器的内部：`optimizer.state`"
    assert any(c.value.startswith("病态二次碗：") for c in at.caption)
    assert at.select_slider(key="op_lr_quadratic_momentum").label == "学习率 · SGD + 动量"
    assert at.expander[-1].label.startswith("PyTorch 代码")
    code = at.code[-1].value  # the code shown stays as Python writes it
    assert "torch.optim.SGD(params, lr=0.3)" in code and "'SGD + momentum'" in code


def test_the_main_controls_in_chinese():
    at = open_in_app(PAGE, {"lang": "zh", "op_steps": "50"}, timeout=120)
    at.select_slider(key="op_lr_quadratic_sgd").set_value(0.5)
    at.selectbox(key="op_sched").set_value("steplr")
    _run(at)
    [warning] = [w.value for w in at.warning if "SGD" in w.value]
    assert warning.startswith("**SGD**（学习率 0.5）在第 3 步发散：") and "学习率太高" in warning
    assert _table(at, "结果").set_index("优化器").loc["SGD", "结果"] == "在第 3 步发散"
    assert any(c.value.startswith("**StepLR**: 每隔 step_size 步") for c in at.caption)
    assert at.slider(key="op_step_size").label == "step_size（间隔步数）"
    assert untranslated(at) == []
    at.selectbox(key="op_sched").set_value("none")
    at.slider(key="op_step").set_value(0)
    _run(at)
    assert any(c.value.startswith("**不使用（学习率恒定）**: ") for c in at.caption)
    assert any(c.value.startswith("第 0 步时这些优化器还没有状态") for c in at.caption)
    assert untranslated(at) == []
    at.multiselect(key="op_racers").set_value(["nesterov"])
    at.slider(key="op_momentum").set_value(0.0)
    _run(at)
    assert at.error and at.error[0].value.startswith("Nesterov 动量是 SGD 的一个选项") and untranslated(at) == []
    at.multiselect(key="op_racers").set_value([])
    _run(at)
    assert at.info[0].value == "请至少选择一个参赛的优化器。" and untranslated(at) == []
    at.multiselect(key="op_racers").set_value(["adam"])
    at.selectbox(key="op_surface").set_value("custom")
    _run(at)
    assert not at.error and any("许多局部极小值" in c.value for c in at.caption) and untranslated(at) == []
    for formula, words in [("__import__('os').system('true')", "无法计算这个公式："),
                           ("torch.ones(3) * x", "一个实数")]:
        at.text_input(key="op_formula").set_value(formula)
        _run(at)
        assert at.error and words in at.error[0].value and not at.code, formula
        assert untranslated(at) == []


def through_the_home_page(query: dict):
    """The page reached from the home page, as a learner does (visible.from_home)."""
    return _run(from_home(PAGE, query, timeout=120))


def test_switching_the_language_keeps_the_pages_settings_and_results():
    at = through_the_home_page({"lang": "zh"})
    assert at.title[0].value == "优化器" and untranslated(at) == []
    at.selectbox(key="op_surface").set_value("himmelblau")
    at.multiselect(key="op_racers").set_value(["sgd", "adam"])
    at.slider(key="op_steps").set_value(60)
    _run(at)
    at.select_slider(key="op_lr_himmelblau_adam").set_value(0.1)
    _run(at)
    zh = _table(at, "结果")
    at.segmented_control(key="lang").set_value("en")
    _run(at)
    assert at.title[0].value == "Optimizers"
    assert at.selectbox(key="op_surface").value == "himmelblau" and at.slider(key="op_steps").value == 60
    assert at.multiselect(key="op_racers").value == ["sgd", "adam"]
    assert at.select_slider(key="op_lr_himmelblau_adam").value == 0.1
    en = _table(at, "ended")
    assert list(en["optimizer"]) == ["SGD", "Adam"] and (en["ended"] == "60 steps").all()
    assert list(en["loss"]) == list(zh["损失"])  # the same race, named in English
    at.segmented_control(key="lang").set_value("zh")
    _run(at)
    assert at.title[0].value == "优化器" and at.selectbox(key="op_surface").value == "himmelblau"
    assert at.multiselect(key="op_racers").options[:2] == ["SGD", "SGD + 动量"]
    assert (at.query_params["op_surface"], at.query_params["op_racers"]) == ("himmelblau", ["sgd", "adam"])
    assert untranslated(at) == []


@pytest.mark.browser
def test_optimizers_in_chinese_in_the_browser(page, app_url):
    from conftest import expect_no_exception, open_page, screenshot

    open_page(page, app_url, "optim?lang=zh&op_lr_quadratic_sgd=0.5&op_steps=50", timeout=120)
    page.get_by_text("第 50 步之后优化器的内部").wait_for(timeout=120_000)
    expect_no_exception(page)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".scatterlayer .trace").first.wait_for(timeout=60_000)
    chart.get_by_text("▶ 播放").wait_for(timeout=30_000)  # the animation's buttons are drawn after the traces
    assert chart.get_by_text("▶ 播放").count() == 1 and page.get_by_text("每一步的学习率").count() == 1
    assert page.get_by_text("在第 3 步发散").count() >= 1
    chart.scroll_into_view_if_needed()
    screenshot(page, "zh-optimizers-race")
    page.get_by_text("第 50 步之后优化器的内部").scroll_into_view_if_needed()
    screenshot(page, "zh-optimizers-state")
