"""Streamlit glue for the Data loading page: its controls and the views of one epoch and of the timings.

The numbers come from `pytorch_explorer.loading` (tested there); these functions lay them out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pytorch_explorer.core.devices import device_choices, resolve_device
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.loading import coverage as cov
from pytorch_explorer.loading import figures
from pytorch_explorer.loading import timing
from pytorch_explorer.loading.datasets import DigitsDataset, TrainingDigits, describe_batch
from pytorch_explorer.loading.samplers import (MAX_BATCH_SIZE, SAMPLER_TITLES, SAMPLERS, SamplerSpec, epoch_indices,
                                              steps_per_epoch)
from pytorch_explorer.loading.settings import KEEP_CHOICES, LoaderSettings
from ui.settings import KEEP


def keep_label(keep: float) -> str:
    return "all (balanced)" if keep >= 1.0 else f"{keep:.0%}"


SETTING_KEYS = ["dl_sampler", "dl_batch_size", "dl_drop_last", "dl_workers", "dl_collate", "dl_seed", "dl_keep",
                "dl_subset", "dl_repeats", "dl_device"]
URL_LABELS = {"dl_sampler": SAMPLER_TITLES.get, "dl_keep": keep_label}


@st.cache_resource(show_spinner="Loading the bundled digits...")
def bundled_digits() -> DigitDataset:
    """The 5,000 bundled MNIST digits, loaded once per server and shared read-only by every session."""
    return load_digits("bundled")


# ---------------------------------------------------------------- controls
def loader_controls() -> LoaderSettings:
    """The sampler, DataLoader and data controls, as LoaderSettings (the article's batch and seed by default)."""
    c1, c2, c3, c4 = st.columns(4)
    sampler = c1.selectbox("Sampler", SAMPLERS, index=SAMPLERS.index("random"), format_func=SAMPLER_TITLES.get,
                           key="dl_sampler", **KEEP)
    subset = c1.slider("Subset: share of the indices", 0.1, 1.0, 0.5, step=0.1, key="dl_subset", **KEEP,
                       disabled=sampler != "subset", help="SubsetRandomSampler shuffles the first this share.")
    batch_size = c2.number_input("Batch size", 1, MAX_BATCH_SIZE, 128, key="dl_batch_size", **KEEP,
                                 help="The article used 128.")
    drop_last = c2.checkbox("drop_last", key="dl_drop_last", **KEEP, disabled=sampler == "article",
                            help="Drop the last batch when it is smaller than the batch size.")
    workers = c3.slider("num_workers", 0, timing.worker_limit(), 0, key="dl_workers", **KEEP,
                        help="Worker processes that fetch samples (capped: this server has few cores). "
                             "They change how fast batches come, not which indices they hold.")
    collate = c3.checkbox("Custom collate_fn", value=True, key="dl_collate", **KEEP,
                          help="collate_digits: flatten to 784 and scale to [0, 1] once per batch. "
                               "Off: PyTorch's default collate, which only stacks.")
    seed = c4.number_input("Seed", 0, 2**31 - 1, 128, key="dl_seed", **KEEP, help="The article's seed is 128.")
    keep = c4.select_slider("Digits 5 to 9 kept", KEEP_CHOICES, value=1.0, format_func=keep_label, key="dl_keep",
                            **KEEP, help="Below 100%: an imbalanced training set (try WeightedRandomSampler).")
    return LoaderSettings(sampler=sampler, batch_size=int(batch_size), drop_last=bool(drop_last) and
                          sampler != "article", num_workers=int(workers), custom_collate=bool(collate), seed=int(seed),
                          keep=float(keep), subset_fraction=round(float(subset), 2))


# ---------------------------------------------------------------- one epoch
def show_epoch(data: TrainingDigits, settings: LoaderSettings) -> None:
    """Draw one epoch with these settings and show which indices it drew, how often, and the classes."""
    spec = settings.spec(data.csv_rows)
    batches = epoch_indices(spec, data.labels, settings.batch_size, settings.seed, settings.drop_last)
    expected = cov.expected_unseen_fraction(spec, data.labels, settings.batch_size, settings.drop_last)
    coverage = cov.coverage_stats(batches, len(data), expected)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Batches", f"{coverage.batches:,}", help=f"of {settings.batch_size:,} samples (the last may be smaller)")
    m2.metric("Indices drawn", f"{coverage.draws:,}", help=f"from {len(data):,} training digits")
    m3.metric("Never drawn", f"{coverage.unseen_fraction:.1%}", help="of the training set, this epoch",
              delta=f"expected {expected:.1%}", delta_color="off",
              delta_arrow="off")
    m4.metric("Drawn again", f"{coverage.repeated_draws:,}", help="draws of a sample already drawn this epoch")
    st.markdown(coverage_sentence(spec, coverage, len(data), settings.batch_size))
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.draws_figure(batches, len(data), coverage.counts), key="dl_draws_chart")
    right.plotly_chart(figures.seen_histogram_figure(coverage), key="dl_seen_chart")
    counts = cov.class_counts_per_batch(batches, data.labels)
    shares = cov.dataset_shares(data.labels)
    st.plotly_chart(figures.class_balance_figure(counts, shares), key="dl_balance_chart")
    st.markdown(balance_sentence(settings, cov.balance_summary(batches, data.labels)))
    if settings.sampler == "article":
        article_comparison(data, settings, coverage)
    st.markdown("**What one batch holds** after the collate_fn (the first batch of this epoch)")
    rows = describe_batch(DigitsDataset(data.images, data.labels), [int(i) for i in batches[0]],
                          settings.custom_collate)
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="dl_batch_table")


def coverage_sentence(spec: SamplerSpec, coverage: cov.Coverage, n: int, batch_size: int) -> str:
    seen = f"**{coverage.unseen:,} of {n:,}** training digits ({coverage.unseen_fraction:.1%}) were never drawn"
    if spec.with_replacement:
        return (f"Each of the {coverage.draws:,} draws picks an index on its own, with replacement: {seen}, and "
                f"{coverage.repeated_draws:,} draws repeated a digit already drawn. Theory: a digit escapes one "
                f"uniform draw with probability 1 − 1/n, so all {coverage.draws:,} with (1 − 1/{n:,})^{coverage.draws:,}"
                f" = **{(1 - 1 / n) ** coverage.draws:.1%}** (about e^−{coverage.draws / n:.2f}; e^−1 ≈ 36.8% "
                "when there are as many draws as digits).")
    if coverage.unseen == 0:
        return f"A permutation: every one of the {n:,} training digits was drawn exactly once."
    return (f"Without replacement no digit is drawn twice, but {seen}: "
            + ("the subset leaves them out." if spec.kind == "subset" else
               f"drop_last dropped the last {coverage.unseen:,} indices ({n:,} is not a multiple of {batch_size:,})."))


def balance_sentence(settings: LoaderSettings, summary: dict[str, float]) -> str:
    text = (f"Digits in the data: from {summary['data_min']:.1%} (rarest) to {summary['data_max']:.1%} "
            f"(commonest); in this epoch's draws: from {summary['drawn_min']:.1%} to {summary['drawn_max']:.1%}.")
    if settings.keep < 1.0 and settings.sampler != "weighted":
        text += " The data are imbalanced, and so is every batch: try **WeightedRandomSampler**."
    if settings.sampler == "weighted":
        text += (" WeightedRandomSampler weighs each sample 1 / (its class's count), so each digit is drawn about "
                 "10% of the time" + (", however rare it is in the data." if settings.keep < 1.0 else
                                      ". Make the data imbalanced (Digits 5 to 9 kept) to see it balance them."))
    return text


def article_comparison(data: TrainingDigits, settings: LoaderSettings, article: cov.Coverage) -> None:
    """The article's batches against the same epoch done right (RandomSampler, steps from the split)."""
    right_spec = SamplerSpec("random")
    right = cov.coverage_stats(epoch_indices(right_spec, data.labels, settings.batch_size, settings.seed), len(data))
    right_steps = steps_per_epoch(right_spec, len(data), settings.batch_size, False)
    st.warning(
        "**The article's batches, as written.** `batch_mask = rng.choice(dataset_length, batch_size)` draws each "
        "index with replacement, so some digits come twice and others never; and `total_batch = "
        f"int(train.shape[0] / batch_size)` counts steps over the whole CSV ({data.csv_rows:,} rows), not the "
        f"{len(data):,} training rows: {article.batches} steps where {len(data):,} / {settings.batch_size} needs "
        f"{right_steps}. **Done right:** `DataLoader(dataset, batch_size, shuffle=True)`: a new permutation each "
        "epoch, every training digit once, and as many steps as the training split needs (see the code below).")
    st.dataframe(pd.DataFrame([
        {"loop": "the article (rng.choice)", "steps": article.batches, "indices drawn": article.draws,
         "never drawn": f"{article.unseen_fraction:.1%}", "expected never drawn": f"{article.expected_unseen:.1%}",
         "drawn again": article.repeated_draws},
        {"loop": "done right (RandomSampler)", "steps": right.batches, "indices drawn": right.draws,
         "never drawn": f"{right.unseen_fraction:.1%}", "expected never drawn": "0.0%", "drawn again": right.repeated_draws},
    ]), hide_index=True, key="dl_article_table")


# ---------------------------------------------------------------- timing
def timing_controls() -> tuple[int, str]:
    c1, c2 = st.columns(2)
    repeats = c1.number_input("Epochs timed per method", 1, 20, 3, key="dl_repeats", **KEEP)
    device = c2.selectbox("Device", device_choices(), key="dl_device", **KEEP,
                          help="auto: a GPU where there is one, else the CPU.")
    return int(repeats), device


def run_timing(data: TrainingDigits, settings: LoaderSettings, repeats: int, device: str, slot: Any) -> list[dict]:
    """Time the epochs live (a line per finished epoch in `slot`); returns the table's rows."""
    events: list[timing.TimingEvent] = []
    for event in timing.time_epochs(data.images, data.labels, settings.batch_size, settings.num_workers,
                                    resolve_device(device), settings.seed, repeats):
        events.append(event)
        done = "could not run" if event.error else f"{event.seconds * 1000:.1f} ms"
        slot.caption(f"{event.title}: epoch {event.epoch} of {repeats}: {done}")
    slot.empty()
    return timing.timing_rows(events)


def show_timing(rows: list[dict]) -> None:
    table = pd.DataFrame(rows).drop(columns=["key", "error"])
    st.dataframe(table, hide_index=True, key="dl_timing_table", column_config={
        "ms per epoch (best)": st.column_config.NumberColumn(format="%.2f"),
        "ms per epoch (median)": st.column_config.NumberColumn(format="%.2f"),
        "samples per s": st.column_config.NumberColumn(format="%.0f"),
        "x the device tensors' time": st.column_config.NumberColumn(format="%.1f")})
    st.plotly_chart(figures.timing_figure(rows), key="dl_timing_chart")
    for row in rows:
        if row["error"]:
            st.error(row["error"])
    st.markdown(timing.timing_note([r for r in rows if not r["error"]]))
