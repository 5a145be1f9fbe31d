"""The gradient check (toy.gradcheck): hand-written gradients against autograd's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.toy.gradcheck import gradient_check, hand_gradients
from pytorch_explorer.toy.settings import (
    ACTIVATIONS,
    INITS,
    PARAMETERS,
    ToySettings,
    ToySettingsError,
    article_data,
    initial_weights,
)

ARTICLE = ToySettings()


def test_hand_written_gradients_equal_autograd_and_the_article_does_not():
    check = gradient_check(ARTICLE)
    for impl in ("numpy", "torch-fixed"):
        assert max(check.max_abs_diff(impl).values()) < 1e-6, impl
    article = check.max_abs_diff("torch-article")
    assert article["bh"] > 1e-3 and article["bout"] > 1e-3
    # against the network it really computes (no bout) its weight gradients are right, its bias ones wrong
    computed = check.max_abs_diff("torch-article", against_no_bout=True)
    assert computed["wh"] < 1e-6 and computed["wout"] < 1e-6
    assert computed["bh"] > 1e-3 and computed["bout"] > 1e-3
    # its bh "gradient" is one scalar for every hidden unit: minus the summed output error
    bh = check.hand["torch-article"]["bh"]
    assert np.ptp(bh) == 0 and bh[0, 0] == pytest.approx(check.hand["torch-article"]["bout"][0, 0])
    assert [row["parameter"] for row in check.table()] == list(PARAMETERS)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), hidden=st.integers(1, 8), activation=st.sampled_from(ACTIVATIONS),
       init=st.sampled_from(INITS))
def test_gradients_match_autograd_for_any_weights(seed, hidden, activation, init):
    check = gradient_check(ToySettings(seed=seed, hidden=hidden, activation=activation, init=init))
    for impl in ("numpy", "torch-fixed"):
        assert max(check.max_abs_diff(impl).values()) < 1e-6


def test_hand_gradients_only_for_hand_written_versions():
    with pytest.raises(ToySettingsError, match="no hand-written gradients"):
        hand_gradients("nn", *article_data(), initial_weights())


def test_the_worst_correct_difference_and_the_articles_bias_rows():
    check = gradient_check(ToySettings(hidden=4, seed=3))
    assert check.worst_correct() == max(max(check.max_abs_diff(impl).values()) for impl in ("numpy", "torch-fixed"))
    assert check.worst_correct() < 1e-6
    rows = check.article_bias_rows()
    assert [r["parameter"] for r in rows] == ["bh[0]", "bh[1]", "bh[2]", "bh[3]", "bout[0]"]
    assert len({r["article's hand-written"] for r in rows}) == 1  # one scalar, minus the summed output error
    assert rows[-1]["autograd (no bout, as computed)"] == 0.0  # the network it computes has no bout
    for r in rows:
        assert r["difference (vs no bout)"] == r["article's hand-written"] - r["autograd (no bout, as computed)"]
