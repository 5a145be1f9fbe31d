"""The samplers' statistics against their expected values, drop_last, determinism, the article's batches."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.loading.coverage import (balance_summary, class_counts_per_batch, class_shares, coverage_stats,
                                              expected_unseen_fraction)
from pytorch_explorer.loading.samplers import (MAX_BATCH_SIZE, EmptyEpochError, SamplerSpec, article_batches,
                                              draws_per_epoch, epoch_indices, steps_per_epoch)


def labels_of(n: int) -> np.ndarray:
    return np.arange(n) % 10


def imbalanced_labels() -> np.ndarray:
    """200 of each digit 0 to 4, 20 of each digit 5 to 9."""
    return np.concatenate([np.full(200 if d < 5 else 20, d) for d in range(10)])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 400), seed=st.integers(0, 2**31), kind=st.sampled_from(
    ["sequential", "random"]))
def test_without_replacement_every_index_once(n, batch_size, seed, kind):
    batches = epoch_indices(SamplerSpec(kind), labels_of(n), batch_size, seed)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(n))
    assert len(batches) == math.ceil(n / batch_size) == steps_per_epoch(SamplerSpec(kind), n, batch_size, False)
    assert all(len(b) == batch_size for b in batches[:-1]) and 1 <= len(batches[-1]) <= batch_size


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), batch_size=st.integers(1, 300), seed=st.integers(0, 1000),
       kind=st.sampled_from(["sequential", "random", "replacement", "weighted", "subset"]))
def test_drop_last_keeps_only_full_batches(n, batch_size, seed, kind):
    spec = SamplerSpec(kind, subset_fraction=0.5)
    offered = max(1, int(n * 0.5)) if kind == "subset" else n
    if offered < batch_size:
        with pytest.raises(EmptyEpochError, match="drop_last"):
            epoch_indices(spec, labels_of(n), batch_size, seed, drop_last=True)
        return
    batches = epoch_indices(spec, labels_of(n), batch_size, seed, drop_last=True)
    assert len(batches) == offered // batch_size == steps_per_epoch(spec, n, batch_size, True)
    assert all(len(b) == batch_size for b in batches)
    assert sum(map(len, batches)) == draws_per_epoch(spec, n, batch_size, True)


def test_sequential_is_in_order_and_drop_last_cuts_the_tail():
    batches = epoch_indices(SamplerSpec("sequential"), labels_of(10), 3, seed=0, drop_last=True)
    assert [b.tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    cov = coverage_stats(batches, 10, expected_unseen_fraction(SamplerSpec("sequential"), labels_of(10), 3, True))
    assert cov.unseen == 1 and cov.expected_unseen == pytest.approx(0.1)


@pytest.mark.parametrize("kind", ["random", "replacement", "weighted", "subset", "article"])
def test_the_same_seed_draws_the_same_epoch_and_another_seed_another(kind):
    spec = SamplerSpec(kind, csv_rows=700)
    first = epoch_indices(spec, labels_of(500), 32, seed=128)
    again = epoch_indices(spec, labels_of(500), 32, seed=128)
    other = epoch_indices(spec, labels_of(500), 32, seed=129)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_drawing_touches_no_global_random_state():
    torch_before, numpy_before = torch.random.get_rng_state(), np.random.get_state()[1].copy()
    for kind in ("random", "replacement", "weighted", "subset", "article"):
        epoch_indices(SamplerSpec(kind), labels_of(100), 10, seed=1)
    assert torch.equal(torch.random.get_rng_state(), torch_before)
    assert np.array_equal(np.random.get_state()[1], numpy_before)


def test_with_replacement_an_epoch_misses_about_one_in_e():
    n = 2000
    expected = expected_unseen_fraction(SamplerSpec("replacement"), labels_of(n), 100, False)
    assert expected == pytest.approx((1 - 1 / n) ** n) and expected == pytest.approx(math.exp(-1), abs=1e-3)
    fractions = []
    for seed in range(8):
        batches = epoch_indices(SamplerSpec("replacement"), labels_of(n), 100, seed)
        cov = coverage_stats(batches, n)
        assert cov.draws == n and cov.repeated_draws == cov.unseen  # each repeat takes the place of a missed one
        fractions.append(cov.unseen_fraction)
    # one epoch's fraction has a spread of about 0.008 here; the mean of 8 about 0.003
    assert np.mean(fractions) == pytest.approx(expected, abs=0.012)
    assert all(abs(f - expected) < 0.04 for f in fractions)


def test_the_articles_batches_are_rng_choice_with_steps_from_the_whole_csv():
    n, csv_rows, batch_size = 3500, 5000, 128
    batches = article_batches(n, csv_rows, batch_size, seed=128)
    assert len(batches) == int(5000 / 128) == 39  # not the 28 that 3,500 training rows need
    rng = np.random.RandomState(128)
    assert all(np.array_equal(b, rng.choice(n, batch_size)) for b in batches)
    spec = SamplerSpec("article", csv_rows=csv_rows)
    expected = expected_unseen_fraction(spec, labels_of(n), batch_size, False)
    assert expected == pytest.approx((1 - 1 / n) ** (39 * 128))
    fractions = [coverage_stats(epoch_indices(spec, labels_of(n), batch_size, seed), n).unseen_fraction
                 for seed in range(6)]
    assert np.mean(fractions) == pytest.approx(expected, abs=0.012) and 0.2 < expected < 0.3


def test_weighted_sampler_balances_an_imbalanced_set():
    labels = imbalanced_labels()  # digits 5 to 9 are 2% each of the data
    spec = SamplerSpec("weighted")
    shares = np.mean([class_shares(epoch_indices(spec, labels, 50, seed), labels) for seed in range(6)], axis=0)
    assert np.allclose(shares, 0.1, atol=0.02)
    plain = class_shares(epoch_indices(SamplerSpec("random"), labels, 50, 0), labels)
    assert plain[5:].max() < 0.02 + 1e-9  # a plain RandomSampler keeps the imbalance
    summary = balance_summary(epoch_indices(spec, labels, 50, 0), labels)
    assert summary["data_min"] < 0.02 and summary["drawn_min"] > 0.06
    # expected never drawn: the rare digits are drawn often (few unseen), the common ones rarely
    expected = expected_unseen_fraction(spec, labels, 50, False)
    seen = [coverage_stats(epoch_indices(spec, labels, 50, s), len(labels)).unseen_fraction for s in range(6)]
    assert np.mean(seen) == pytest.approx(expected, abs=0.02)


def test_subset_sampler_draws_only_its_indices_once_each():
    spec = SamplerSpec("subset", subset_fraction=0.3)
    batches = epoch_indices(spec, labels_of(100), 7, seed=3)
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(30))
    assert expected_unseen_fraction(spec, labels_of(100), 7, False) == pytest.approx(0.7)


def test_class_counts_per_batch_add_up():
    labels = imbalanced_labels()
    batches = epoch_indices(SamplerSpec("random"), labels, 64, 0)
    counts = class_counts_per_batch(batches, labels)
    assert counts.shape == (len(batches), 10)
    assert counts.sum(axis=1).tolist() == [len(b) for b in batches]
    assert counts.sum(axis=0).tolist() == np.bincount(labels).tolist()


@pytest.mark.parametrize("bad", [0, -5, MAX_BATCH_SIZE + 1, 2.5, True])
def test_absurd_batch_sizes_are_refused(bad):
    with pytest.raises(ValueError, match="batch size"):
        epoch_indices(SamplerSpec("random"), labels_of(10), bad, 0)


def test_a_batch_bigger_than_the_data_is_one_batch_or_a_clear_empty_epoch():
    assert [len(b) for b in epoch_indices(SamplerSpec("random"), labels_of(10), 1000, 0)] == [10]
    with pytest.raises(EmptyEpochError, match="untick drop_last"):
        epoch_indices(SamplerSpec("random"), labels_of(10), 1000, 0, drop_last=True)
    with pytest.raises(EmptyEpochError, match="0 steps"):
        epoch_indices(SamplerSpec("article", csv_rows=14), labels_of(10), 1000, 0)


def test_unknown_sampler_and_bad_subset_are_refused():
    with pytest.raises(ValueError, match="unknown sampler"):
        SamplerSpec("shuffle-please")
    with pytest.raises(ValueError, match="subset"):
        SamplerSpec("subset", subset_fraction=0.0)
