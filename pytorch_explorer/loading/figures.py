"""Plotly pictures of one epoch (which indices each batch drew, how often each sample was seen, the classes
in each batch) and of the timings, as functions of plain data (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from pytorch_explorer.loading.coverage import Coverage

MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}


def draws_figure(batches: Sequence[np.ndarray], n: int, counts: np.ndarray | None = None) -> go.Figure:
    """Batch number against the dataset index it drew: a dot per draw; red where the sample was drawn before in
    this epoch; grey ticks on row 0 for the samples never drawn."""
    counts = np.zeros(n, dtype=np.int64) if counts is None else counts
    index = np.concatenate(batches) if batches else np.zeros(0, dtype=np.int64)
    batch = np.concatenate([np.full(len(b), i + 1) for i, b in enumerate(batches)]) if batches else index
    repeated = np.ones(len(index), dtype=bool)
    repeated[np.unique(index, return_index=True)[1]] = False  # each sample's first draw is not a repeat
    fig = go.Figure()
    for mask, name, color in ((~repeated, "first draw of a sample", "#1f77b4"),
                              (repeated, "drawn again (already drawn this epoch)", "#d62728")):
        if mask.any():
            fig.add_trace(go.Scatter(x=index[mask], y=batch[mask], mode="markers", name=name,
                                     marker={"size": 3, "color": color},
                                     hovertemplate="index %{x}<br>batch %{y}<extra></extra>"))
    unseen = np.flatnonzero(counts == 0)
    if len(unseen):
        fig.add_trace(go.Scatter(x=unseen, y=np.zeros(len(unseen)), mode="markers", name="never drawn (row 0)",
                                 marker={"size": 4, "color": "#7f7f7f", "symbol": "line-ns-open"},
                                 hovertemplate="index %{x}: never drawn<extra></extra>"))
    fig.update_layout(title="Which indices each batch drew", xaxis_title="dataset index", yaxis_title="batch",
                      height=380, margin=MARGIN, legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    fig.update_xaxes(range=[-0.5, n - 0.5])
    fig.update_yaxes(autorange="reversed", rangemode="tozero")
    return fig


def seen_histogram_figure(coverage: Coverage) -> go.Figure:
    """How many samples were drawn 0, 1, 2, ... times, with the expected count never drawn marked."""
    table = coverage.times_seen_table()
    times = list(range(max(table) + 1))
    samples = [table.get(t, 0) for t in times]
    colors = ["#d62728" if t == 0 else "#1f77b4" for t in times]
    fig = go.Figure(go.Bar(x=times, y=samples, marker_color=colors, text=samples, textposition="outside",
                           hovertemplate="drawn %{x} times: %{y} samples<extra></extra>", name="samples"))
    if coverage.expected_unseen is not None and coverage.expected_unseen > 0:
        expected = coverage.expected_unseen * coverage.n
        fig.add_trace(go.Scatter(x=[-0.4, 0.4], y=[expected, expected], mode="lines", name="expected never drawn",
                                 line={"color": "black", "dash": "dash", "width": 2},
                                 hovertemplate=f"expected: {expected:.0f}<extra></extra>"))
    fig.update_layout(title="How often each sample was drawn this epoch", xaxis_title="times drawn",
                      yaxis_title="samples", height=380, margin=MARGIN, showlegend=False)
    fig.update_xaxes(dtick=1)
    return fig


def class_balance_figure(class_counts: np.ndarray, dataset_shares: np.ndarray) -> go.Figure:
    """Heatmap of each class's share of each batch, beside the dataset's own shares (the first column)."""
    counts = np.asarray(class_counts, dtype=float)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    z = np.column_stack([np.asarray(dataset_shares, dtype=float), shares.reshape(-1, counts.shape[1]).T])
    x = ["data"] + [str(i + 1) for i in range(len(shares))]
    fig = go.Figure(go.Heatmap(z=z, x=x, y=[str(c) for c in range(z.shape[0])], zmin=0,
                               zmax=max(0.3, float(z.max())), colorscale="Viridis", colorbar={"title": "share"},
                               hovertemplate="batch %{x}, digit %{y}: %{z:.1%}<extra></extra>"))
    fig.update_layout(title="Class balance: each digit's share of each batch (first column: the data)",
                      xaxis_title="batch", yaxis_title="digit", height=380, margin=MARGIN)
    fig.update_xaxes(type="category", showticklabels=len(x) <= 60)
    fig.update_yaxes(dtick=1)
    return fig


def timing_figure(rows: Sequence[dict]) -> go.Figure:
    """Milliseconds per epoch of each method, the best epoch of each."""
    shown = [r for r in rows if r.get("ms per epoch (best)")]
    fig = go.Figure(go.Bar(
        x=[r["ms per epoch (best)"] for r in shown], y=[r["method"] for r in shown], orientation="h",
        text=[f"{r['ms per epoch (best)']:.2f} ms" for r in shown], textposition="auto",
        marker_color=["#2ca02c" if r["key"] == "device" else "#1f77b4" for r in shown]))
    fig.update_layout(title="One epoch, measured here (best of the epochs timed)", xaxis_title="ms per epoch",
                      height=90 + 60 * max(len(shown), 1), margin=MARGIN)
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(autorange="reversed")
    return fig
