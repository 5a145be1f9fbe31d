"""The choices kept in the URL, page by page (issue 17): in Chinese their options show in Chinese, the URL holds the
option itself, and a link shared before, which carried the English label, still opens the same choice."""

from __future__ import annotations

import pytest
from conftest import open_in_app
from test_zh_digits_compare import with_model

from pytorch_explorer.i18n import catalogue

NOTE = "Some settings in this page's address were not used:"
KINDS = ("selectbox", "radio", "multiselect", "select_slider")

# (page, key, what an old link says: the English label, the option it stands for, its label in Chinese, in English)
CASES = [
    ("pages/playground.py", "pg_problem", "Spiral", "spiral", "螺旋", "Spiral"),
    ("pages/toy_networks.py", "toy_init", "normal (torch.randn)", "normal", "标准正态分布（torch.randn）",
     "normal (torch.randn)"),
    ("pages/optimizers.py", "op_surface", "Rosenbrock: (1 − x)² + 100·(y − x²)²", "rosenbrock",
     "Rosenbrock 函数：(1 − x)² + 100·(y − x²)²", "Rosenbrock: (1 − x)² + 100·(y − x²)²"),
    ("pages/data_loading.py", "dl_sampler", "WeightedRandomSampler (balances the classes)", "weighted",
     "WeightedRandomSampler（平衡各类别）", "WeightedRandomSampler (balances the classes)"),
    ("pages/digits_trainer.py", "dt_optimizer", "SGD with momentum", "sgd", "带动量的 SGD", "SGD with momentum"),
    ("pages/digits_compare.py", "dc_model", "k-nearest neighbours", "knn", "k 近邻", "k-nearest neighbours"),
    ("pages/autograd_explorer.py", "ag_preset", "A neuron: sigmoid(w@x + b)", "neuron", "一个神经元：sigmoid(w@x + b)",
     "A neuron: sigmoid(w@x + b)"),
    ("pages/tensor_playground.py", "tp_view_expr", "x.clone()   (clone: always a copy)", "x.clone()",
     "x.clone()   (clone：总是副本)", "x.clone()   (clone: always a copy)"),
    ("pages/nn_modules.py", "nn_preset", "A small CNN", "A small CNN", catalogue("zh")["A small CNN"], "A small CNN"),
]
# The probe page draws these once its workspace holds a model and its digit is a validation one: (key, old, option, zh, en)
PROBE = {"probe_source": "Pick from the validation set"}
PROBE_CASES = [
    ("probe_pick_class", "a random 6", 6, "随机一个 6", "a random 6"),
    ("probe_saliency_class", "digit 3", 3, "数字 3", "digit 3"),
]


def control(at, key: str):
    """The choice control with this key, whichever kind it is."""
    for kind in KINDS:
        try:
            return getattr(at, kind)(key=key)
        except KeyError:
            continue
    raise KeyError(key)


def notes(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith((NOTE, catalogue("zh")[NOTE]))]


@pytest.mark.parametrize("page, key, old, option, zh, en", CASES, ids=[c[1] for c in CASES])
def test_an_old_link_opens_its_choice_in_chinese_and_the_url_keeps_the_option(page, key, old, option, zh, en):
    opened_in_both_languages(open_in_app(page, {"lang": "zh", key: old}, timeout=180), key, option, zh, en)


@pytest.mark.parametrize("key, old, option, zh, en", PROBE_CASES, ids=[c[0] for c in PROBE_CASES])
def test_an_old_link_opens_a_probe_choice_in_chinese_and_the_url_keeps_the_option(key, old, option, zh, en):
    at = open_in_app("pages/digits_probe.py", {"lang": "zh", "ws": with_model(), **PROBE, key: old}, timeout=180)
    opened_in_both_languages(at, key, option, zh, en)


def opened_in_both_languages(at, key: str, option, zh: str, en: str) -> None:
    """The control shows the option the old link named, labelled in Chinese, then in English; the URL holds the option
    itself; the page has no note about the address."""
    shown = control(at, key)
    assert shown.value == option and zh in shown.options and shown.format_func(option) == zh
    assert at.query_params[key] == str(option) and not notes(at)
    at.session_state["lang"] = "en"  # what the sidebar's English / 中文 control writes
    at.run(timeout=180)
    assert not at.exception, at.exception
    shown = control(at, key)
    assert shown.value == option and shown.format_func(option) == en and en in shown.options
    assert at.query_params[key] == str(option) and not notes(at)
