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
from pytorch_explorer.i18n import translate
from ui.i18n import lang, tr
from ui.settings import KEEP, choice


def keep_label(keep: float, language: str = "en") -> str:
    """The share's label in `language` (the URL holds the share itself: ?dl_keep=0.5)."""
    return translate("all (balanced)", language) if keep >= 1.0 else f"{keep:.0%}"


SETTING_KEYS = ["dl_sampler", "dl_batch_size", "dl_drop_last", "dl_workers", "dl_collate", "dl_seed", "dl_keep",
                "dl_subset", "dl_repeats", "dl_device"]


@st.cache_resource(show_spinner=False)
def load_bundled() -> DigitDataset:
    """The 5,000 bundled MNIST digits, loaded once per server and shared read-only by every session."""
    return load_digits("bundled")


def bundled_digits() -> DigitDataset:
    """The bundled digits, with a spinner in the learner's language while they load the first time."""
    with st.spinner(tr("Loading the bundled digits...")):
        return load_bundled()


# ---------------------------------------------------------------- controls
def loader_controls() -> LoaderSettings:
    """The sampler, DataLoader and data controls, as LoaderSettings (the article's batch and seed by default)."""
    c1, c2, c3, c4 = st.columns(4)
    sampler = choice(c1.selectbox, tr("Sampler"), SAMPLERS, index=SAMPLERS.index("random"), labels=SAMPLER_TITLES,
                     key="dl_sampler")
    subset = c1.slider(tr("Subset: share of the indices"), 0.1, 1.0, 0.5, step=0.1, key="dl_subset", **KEEP,
                       disabled=sampler != "subset", help=tr("SubsetRandomSampler shuffles the first this share."))
    batch_size = c2.number_input(tr("Batch size"), 1, MAX_BATCH_SIZE, 128, key="dl_batch_size", **KEEP,
                                 help=tr("The article used 128."))
    drop_last = c2.checkbox("drop_last", key="dl_drop_last", **KEEP, disabled=sampler == "article",
                            help=tr("Drop the last batch when it is smaller than the batch size."))
    workers = c3.slider("num_workers", 0, timing.worker_limit(), 0, key="dl_workers", **KEEP,
                        help=tr("Worker processes that fetch samples (capped: this server has few cores). "
                                "They change how fast batches come, not which indices they hold."))
    collate = c3.checkbox(tr("Custom collate_fn"), value=True, key="dl_collate", **KEEP,
                          help=tr("collate_digits: flatten to 784 and scale to [0, 1] once per batch. "
                                  "Off: PyTorch's default collate, which only stacks."))
    seed = c4.number_input(tr("Seed"), 0, 2**31 - 1, 128, key="dl_seed", **KEEP, help=tr("The article's seed is 128."))
    keep = choice(c4.select_slider, tr("Digits 5 to 9 kept"), KEEP_CHOICES, value=1.0, labels=keep_label, key="dl_keep",
                  help=tr("Below 100%: an imbalanced training set (try WeightedRandomSampler)."))
    return LoaderSettings(sampler=sampler, batch_size=int(batch_size), drop_last=bool(drop_last) and
                          sampler != "article", num_workers=int(workers), custom_collate=bool(collate), seed=int(seed),
                          keep=float(keep), subset_fraction=round(float(subset), 2))


# ---------------------------------------------------------------- one epoch
def show_epoch(data: TrainingDigits, settings: LoaderSettings) -> None:
    """Draw one epoch with these settings and show which indices it drew, how often, and the classes."""
    spec, language = settings.spec(data.csv_rows), lang()
    batches = epoch_indices(spec, data.labels, settings.batch_size, settings.seed, settings.drop_last, language)
    expected = cov.expected_unseen_fraction(spec, data.labels, settings.batch_size, settings.drop_last)
    coverage = cov.coverage_stats(batches, len(data), expected)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(tr("Batches"), f"{coverage.batches:,}",
              help=tr("of {size} samples (the last may be smaller)", size=f"{settings.batch_size:,}"))
    m2.metric(tr("Indices drawn"), f"{coverage.draws:,}", help=tr("from {n} training digits", n=f"{len(data):,}"))
    m3.metric(tr("Never drawn"), f"{coverage.unseen_fraction:.1%}", help=tr("of the training set, this epoch"),
              delta=tr("expected {share}", share=f"{expected:.1%}"), delta_color="off",
              delta_arrow="off")
    m4.metric(tr("Drawn again"), f"{coverage.repeated_draws:,}", help=tr("draws of a sample already drawn this epoch"))
    st.markdown(coverage_sentence(spec, coverage, len(data), settings.batch_size))
    left, right = st.columns([3, 2])
    left.plotly_chart(figures.draws_figure(batches, len(data), coverage.counts, language), key="dl_draws_chart")
    right.plotly_chart(figures.seen_histogram_figure(coverage, language), key="dl_seen_chart")
    counts = cov.class_counts_per_batch(batches, data.labels)
    shares = cov.dataset_shares(data.labels)
    st.plotly_chart(figures.class_balance_figure(counts, shares, language), key="dl_balance_chart")
    st.markdown(balance_sentence(settings, cov.balance_summary(batches, data.labels)))
    if settings.sampler == "article":
        article_comparison(data, settings, coverage)
    st.markdown(tr("**What one batch holds** after the collate_fn (the first batch of this epoch)"))
    rows = describe_batch(DigitsDataset(data.images, data.labels), [int(i) for i in batches[0]],
                          settings.custom_collate)
    fields = {"x (images)": tr("x (images)"), "y (labels)": tr("y (labels)"), "index": tr("index")}
    table = pd.DataFrame([{**row, "field": fields.get(row["field"], row["field"])} for row in rows])
    st.dataframe(table.rename(columns={"field": tr("field"), "shape": tr("shape")}), hide_index=True,
                 key="dl_batch_table")


def coverage_sentence(spec: SamplerSpec, coverage: cov.Coverage, n: int, batch_size: int) -> str:
    """What the epoch covered, and (with replacement) what theory expects, in the learner's language."""
    values = {"unseen": f"{coverage.unseen:,}", "n": f"{n:,}", "share": f"{coverage.unseen_fraction:.1%}",
              "draws": f"{coverage.draws:,}", "repeated": f"{coverage.repeated_draws:,}",
              "theory": f"{(1 - 1 / n) ** coverage.draws:.1%}", "ratio": f"{coverage.draws / n:.2f}",
              "batch": f"{batch_size:,}"}
    if spec.with_replacement:
        return tr("Each of the {draws} draws picks an index on its own, with replacement: **{unseen} of {n}** training "
                  "digits ({share}) were never drawn, and {repeated} draws repeated a digit already drawn. Theory: a "
                  "digit escapes one uniform draw with probability 1 − 1/n, so all {draws} with (1 − 1/{n})^{draws} "
                  "= **{theory}** (about e^−{ratio}; e^−1 ≈ 36.8% when there are as many draws as digits).", **values)
    if coverage.unseen == 0:
        return tr("A permutation: every one of the {n} training digits was drawn exactly once.", **values)
    if spec.kind == "subset":
        return tr("Without replacement no digit is drawn twice, but **{unseen} of {n}** training digits ({share}) "
                  "were never drawn: the subset leaves them out.", **values)
    return tr("Without replacement no digit is drawn twice, but **{unseen} of {n}** training digits ({share}) were "
              "never drawn: drop_last dropped the last {unseen} indices ({n} is not a multiple of {batch}).", **values)


def balance_sentence(settings: LoaderSettings, summary: dict[str, float]) -> str:
    """The rarest and commonest digit's share, in the data and in this epoch's draws, and what to try."""
    text = tr("Digits in the data: from {data_min} (rarest) to {data_max} (commonest); in this epoch's draws: from "
              "{drawn_min} to {drawn_max}.", **{key: f"{value:.1%}" for key, value in summary.items()})
    if settings.keep < 1.0 and settings.sampler != "weighted":
        text += " " + tr("The data are imbalanced, and so is every batch: try **WeightedRandomSampler**.")
    if settings.sampler == "weighted" and settings.keep < 1.0:
        text += " " + tr("WeightedRandomSampler weighs each sample 1 / (its class's count), so each digit is drawn "
                         "about 10% of the time, however rare it is in the data.")
    elif settings.sampler == "weighted":
        text += " " + tr("WeightedRandomSampler weighs each sample 1 / (its class's count), so each digit is drawn "
                         "about 10% of the time. Make the data imbalanced (Digits 5 to 9 kept) to see it balance them.")
    return text


def article_comparison(data: TrainingDigits, settings: LoaderSettings, article: cov.Coverage) -> None:
    """The article's batches against the same epoch done right (RandomSampler, steps from the split)."""
    right_spec = SamplerSpec("random")
    right = cov.coverage_stats(epoch_indices(right_spec, data.labels, settings.batch_size, settings.seed,
                                             lang=lang()), len(data))
    right_steps = steps_per_epoch(right_spec, len(data), settings.batch_size, False)
    st.warning(tr(
        "**The article's batches, as written.** `batch_mask = rng.choice(dataset_length, batch_size)` draws each "
        "index with replacement, so some digits come twice and others never; and `total_batch = "
        "int(train.shape[0] / batch_size)` counts steps over the whole CSV ({rows} rows), not the {n} training "
        "rows: {steps} steps where {n} / {batch} needs {right_steps}. **Done right:** `DataLoader(dataset, "
        "batch_size, shuffle=True)`: a new permutation each epoch, every training digit once, and as many steps as "
        "the training split needs (see the code below).", rows=f"{data.csv_rows:,}", n=f"{len(data):,}",
        steps=article.batches, batch=settings.batch_size, right_steps=right_steps))
    columns = {"loop": tr("loop"), "steps": tr("steps per epoch"), "indices drawn": tr("indices drawn"),
               "never drawn": tr("never drawn"), "expected never drawn": tr("expected never drawn"),
               "drawn again": tr("drawn again")}
    st.dataframe(pd.DataFrame([
        {"loop": tr("the article (rng.choice)"), "steps": article.batches, "indices drawn": article.draws,
         "never drawn": f"{article.unseen_fraction:.1%}", "expected never drawn": f"{article.expected_unseen:.1%}",
         "drawn again": article.repeated_draws},
        {"loop": tr("done right (RandomSampler)"), "steps": right.batches, "indices drawn": right.draws,
         "never drawn": f"{right.unseen_fraction:.1%}", "expected never drawn": "0.0%", "drawn again": right.repeated_draws},
    ]).rename(columns=columns), hide_index=True, key="dl_article_table")


# ---------------------------------------------------------------- timing
def timing_controls() -> tuple[int, str]:
    c1, c2 = st.columns(2)
    repeats = c1.number_input(tr("Epochs timed per method"), 1, 20, 3, key="dl_repeats", **KEEP)
    device = c2.selectbox(tr("Device"), device_choices(), key="dl_device", **KEEP,
                          help=tr("auto: a GPU where there is one, else the CPU."))
    return int(repeats), device


def run_timing(data: TrainingDigits, settings: LoaderSettings, repeats: int, device: str, slot: Any) -> list[dict]:
    """Time the epochs live (a line per finished epoch in `slot`); returns the table's rows."""
    events: list[timing.TimingEvent] = []
    for event in timing.time_epochs(data.images, data.labels, settings.batch_size, settings.num_workers,
                                    resolve_device(device), settings.seed, repeats, lang()):
        events.append(event)
        done = tr("could not run") if event.error else f"{event.seconds * 1000:.1f} ms"
        slot.caption(tr("{method}: epoch {epoch} of {total}: {result}", method=event.title, epoch=event.epoch,
                        total=repeats, result=done))
    slot.empty()
    return timing.timing_rows(events)


def timing_caption(what: dict[str, Any]) -> str:
    """What the timing was measured on (the values kept in the session; worded when shown, in either language)."""
    return tr("Measured on {n} digits, batch size {batch}, num_workers {workers}, device {device}.", **what)


def show_timing(rows: list[dict], device: str) -> None:
    """The measured rows as a table, a chart and a note; methods named in the learner's language."""
    language = lang()
    rows = [{**row, "method": timing.method_title(row["key"], device, language)} for row in rows]
    names = {"method": tr("method"), "epochs timed": tr("epochs timed"), "ms per epoch (best)": tr("ms per epoch (best)"),
             "ms per epoch (median)": tr("ms per epoch (median)"), "samples per s": tr("samples per s"),
             "x the device tensors' time": tr("x the device tensors' time")}
    table = pd.DataFrame(rows).drop(columns=["key", "error"]).rename(columns=names)
    st.dataframe(table, hide_index=True, key="dl_timing_table", column_config={
        names["ms per epoch (best)"]: st.column_config.NumberColumn(format="%.2f"),
        names["ms per epoch (median)"]: st.column_config.NumberColumn(format="%.2f"),
        names["samples per s"]: st.column_config.NumberColumn(format="%.0f"),
        names["x the device tensors' time"]: st.column_config.NumberColumn(format="%.1f")})
    st.plotly_chart(figures.timing_figure(rows, language), key="dl_timing_chart")
    for row in rows:
        if row["error"]:
            st.error(row["error"])
    st.markdown(timing.timing_note([r for r in rows if not r["error"]], language))
