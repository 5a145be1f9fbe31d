"""Plotly pictures of one epoch (which indices each batch drew, how often each sample was seen, the classes
in each batch) and of the timings, as functions of plain data (no Streamlit here); their words in `lang`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from pytorch_explorer.i18n import translate
from pytorch_explorer.loading.coverage import Coverage

MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}


def draws_figure(batches: Sequence[np.ndarray], n: int, counts: np.ndarray | None = None,
                 lang: str = "en") -> go.Figure:
    """Batch number against the dataset index it drew: a dot per draw; red where the sample was drawn before in
    this epoch; grey ticks on row 0 for the samples never drawn."""
    counts = np.zeros(n, dtype=np.int64) if counts is None else counts
    index = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    batch = np.concatenate([np.full(len(b), i + 1) for i, b in enumerate(batches)]) if batches else index
    repeated = np.ones(len(index), dtype=bool)
    repeated[np.unique(index, return_index=True)[1]] = False  # each sample's first draw is not a repeat
    fig = go.Figure()
    for mask, name, color in ((~repeated, translate("first draw of a sample", lang), "#1f77b4"),
                              (repeated, translate("drawn again (already drawn this epoch)", lang), "#d62728")):
        if mask.any():
            fig.add_trace(go.Scatter(x=index[mask], y=batch[mask], mode="markers", name=name,
                                     marker={"size": 3, "color": color},
                                     hovertemplate=translate("index %{x}<br>batch %{y}", lang) + "<extra></extra>"))
    unseen = np.flatnonzero(counts == 0)
    if len(unseen):
        fig.add_trace(go.Scatter(x=unseen, y=np.zeros(len(unseen)), mode="markers",
                                 name=translate("never drawn (row 0)", lang),
                                 marker={"size": 4, "color": "#7f7f7f", "symbol": "line-ns-open"},
                                 hovertemplate=translate("index %{x}: never drawn", lang) + "<extra></extra>"))
    fig.update_layout(title=translate("Which indices each batch drew", lang),
                      xaxis_title=translate("dataset index", lang), yaxis_title=translate("batch", lang),
                      height=380, margin=MARGIN, legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    fig.update_xaxes(range=[-0.5, n - 0.5])
    fig.update_yaxes(autorange="reversed", rangemode="tozero")
    return fig


def seen_histogram_figure(coverage: Coverage, lang: str = "en") -> go.Figure:
    """How many samples were drawn 0, 1, 2, ... times, with the expected count never drawn marked."""
    table = coverage.times_seen_table()
    times = list(range(max(table) + 1))
    samples = [table.get(t, 0) for t in times]
    colors = ["#d62728" if t == 0 else "#1f77b4" for t in times]
    fig = go.Figure(go.Bar(x=times, y=samples, marker_color=colors, text=samples, textposition="outside",
                           hovertemplate=translate("drawn %{x} times: %{y} samples", lang) + "<extra></extra>",
                           name=translate("samples", lang)))
    if coverage.expected_unseen is not None and coverage.expected_unseen > 0:
        expected = coverage.expected_unseen * coverage.n
        fig.add_trace(go.Scatter(x=[-0.4, 0.4], y=[expected, expected], mode="lines",
                                 name=translate("expected never drawn", lang),
                                 line={"color": "black", "dash": "dash", "width": 2},
                                 hovertemplate=translate("expected: {count}", lang).format(count=f"{expected:.0f}")
                                 + "<extra></extra>"))
    fig.update_layout(title=translate("How often each sample was drawn this epoch", lang),
                      xaxis_title=translate("times drawn", lang), yaxis_title=translate("samples", lang),
                      height=380, margin=MARGIN, showlegend=False)
    fig.update_xaxes(dtick=1)
    return fig


def class_balance_figure(class_counts: np.ndarray, dataset_shares: np.ndarray, lang: str = "en") -> go.Figure:
    """Heatmap of each class's share of each batch, beside the dataset's own shares (the first column)."""
    counts = np.asarray(class_counts, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    z = np.column_stack([np.asarray(dataset_shares, dtype=float), shares.reshape(-1, counts.shape[1]).T])
    x = [translate("data", lang)] + [str(i + 1) for i in range(len(shares))]
    fig = go.Figure(go.Heatmap(z=z, x=x, y=[str(c) for c in range(z.shape[0])], zmin=0,
                               zmax=max(0.3, float(z.max())), colorscale="Viridis",
                               colorbar={"title": translate("share", lang)},
                               hovertemplate=translate("batch %{x}, digit %{y}: %{z:.1%}", lang) + "<extra></extra>"))
    fig.update_layout(title=translate("Class balance: each digit's share of each batch (first column: the data)", lang),
                      xaxis_title=translate("batch", lang), yaxis_title=translate("digit", lang), height=380,
                      margin=MARGIN)
    fig.update_xaxes(type="category", showticklabels=len(x) <= 60)
    fig.update_yaxes(dtick=1)
    return fig


def timing_figure(rows: Sequence[dict], lang: str = "en") -> go.Figure:
    """Milliseconds per epoch of each method, the best epoch of each (bars named by the rows' "method")."""
    shown = [r for r in rows if r.get("ms per epoch (best)")]
    fig = go.Figure(go.Bar(
        x=[r["ms per epoch (best)"] for r in shown], y=[r["method"] for r in shown], orientation="h",
        text=[f"{r['ms per epoch (best)']:.2f} ms" for r in shown], textposition="auto",
        marker_color=["#2ca02c" if r["key"] == "device" else "#1f77b4" for r in shown]))
    fig.update_layout(title=translate("One epoch, measured here (best of the epochs timed)", lang),
                      xaxis_title=translate("ms per epoch", lang),
                      height=90 + 60 * max(len(shown), 1), margin=MARGIN)
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return fig
