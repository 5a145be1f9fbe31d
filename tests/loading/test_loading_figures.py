"""The pictures of an epoch, built from plain data."""

from __future__ import annotations

import numpy as np

from pytorch_explorer.loading import figures
from pytorch_explorer.loading.coverage import class_counts_per_batch, coverage_stats, dataset_shares
from pytorch_explorer.loading.samplers import SamplerSpec, epoch_indices

LABELS = np.arange(200) % 10


def test_draws_figure_has_a_dot_per_draw_and_marks_repeats_and_misses():
    batches = epoch_indices(SamplerSpec("replacement"), LABELS, 20, seed=0)
    cov = coverage_stats(batches, 200)
    fig = figures.draws_figure(batches, 200, cov.counts)
    by_name = {t.name: t for t in fig.data}
    first, again = by_name["first draw of a sample"], by_name["drawn again (already drawn this epoch)"]
    assert len(first.x) == 200 - cov.unseen and len(again.x) == cov.repeated_draws and len(first.x) + len(again.x) == 200
    assert len(set(first.x)) == len(first.x)  # each sample's first draw once
    assert len(by_name["never drawn (row 0)"].x) == cov.unseen > 0
    plain = figures.draws_figure(epoch_indices(SamplerSpec("random"), LABELS, 20, 0), 200,
                                 coverage_stats(epoch_indices(SamplerSpec("random"), LABELS, 20, 0), 200).counts)
    assert [t.name for t in plain.data] == ["first draw of a sample"]


def test_histogram_counts_every_sample_once():
    cov = coverage_stats(epoch_indices(SamplerSpec("replacement"), LABELS, 20, seed=1), 200, expected_unseen=0.37)
    fig = figures.seen_histogram_figure(cov)
    bars = fig.data[0]
    assert sum(bars.y) == 200 and list(bars.x)[0] == 0 and bars.y[0] == cov.unseen
    assert fig.data[1].y[0] == 0.37 * 200


def test_class_balance_heatmap_has_the_data_then_each_batch():
    batches = epoch_indices(SamplerSpec("random"), LABELS, 50, seed=0)
    fig = figures.class_balance_figure(class_counts_per_batch(batches, LABELS), dataset_shares(LABELS))
    z = np.asarray(fig.data[0].z)
    assert z.shape == (10, 5) and list(fig.data[0].x) == ["data", "1", "2", "3", "4"]
    assert np.allclose(z.sum(axis=0), 1.0) and np.allclose(z[:, 0], 0.1)


def test_timing_figure_one_bar_per_measured_method():
    rows = [{"method": "DataLoader", "key": "loader-0", "ms per epoch (best)": 30.0},
            {"method": "workers", "key": "loader-2", "ms per epoch (best)": None},
            {"method": "tensors", "key": "device", "ms per epoch (best)": 2.0}]
    fig = figures.timing_figure(rows)
    assert list(fig.data[0].y) == ["DataLoader", "tensors"] and list(fig.data[0].x) == [30.0, 2.0]
