"""Plotly figures for the toy-networks page, as functions of data (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from pytorch_explorer.toy.settings import IMPLEMENTATION_TITLES, IMPLEMENTATIONS

COLORS = {
    "numpy": "#1f77b4", "torch-article": "#d62728", "torch-fixed": "#ff7f0e", "autograd": "#2ca02c", "nn": "#9467bd",
}
# Correct versions with the same weights draw the same curve: wide to narrow, solid to dotted,
# so that every one stays visible on top of the others.
STYLES = {
    "numpy": {"width": 7, "dash": "solid"}, "torch-article": {"width": 3, "dash": "solid"},
    "torch-fixed": {"width": 4, "dash": "dash"}, "autograd": {"width": 3, "dash": "dot"},
    "nn": {"width": 2, "dash": "solid"},
}
MAX_POINTS = 1500  # per curve: more adds nothing a screen can show


def _thin(values: Sequence[float], epochs: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Epoch numbers (from 1, or as given) and values, keeping at most MAX_POINTS evenly spaced (and the last)."""
    values = np.asarray(values, dtype=float)
    epochs = np.arange(1, len(values) + 1) if epochs is None else np.asarray(epochs)
    if len(values) <= MAX_POINTS:
        return epochs, values
    keep = np.unique(np.linspace(0, len(values) - 1, MAX_POINTS).astype(int))
    return epochs[keep], values[keep]


def loss_curves_figure(curves: Mapping[str, Sequence[float]], log_y: bool = True,
                       title: str = "Loss per epoch (mean squared error)",
                       epochs: Mapping[str, Sequence[int]] | None = None) -> go.Figure:
    """One line per implementation, overlaid. curves: impl -> per-epoch losses; epochs: impl -> the epoch
    numbers of its losses, for a curve that was thinned (a stored run); by default 1, 2, 3, ..."""
    fig = go.Figure()
    epochs = epochs or {}
    for impl in sorted(curves, key=lambda k: IMPLEMENTATIONS.index(k) if k in IMPLEMENTATIONS else 99):
        x, values = _thin(curves[impl], epochs.get(impl))
        style = STYLES.get(impl, {"width": 2, "dash": "solid"})
        fig.add_trace(go.Scatter(
            x=x, y=values, mode="lines", name=IMPLEMENTATION_TITLES.get(impl, impl),
            line={"color": COLORS.get(impl), **style}, opacity=0.85 if impl == "numpy" else 1.0,
        ))
    fig.update_layout(
        title=title, xaxis_title="epoch", yaxis_title="MSE" + (" (log scale)" if log_y else ""),
        height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
    )
    if log_y:
        fig.update_yaxes(type="log", dtick=1, exponentformat="power")  # a label per decade
    return fig


def decision_boundary_figure(xs: np.ndarray, ys: np.ndarray, probs: np.ndarray, X: np.ndarray, y: np.ndarray,
                             title: str = "P(class 1) over the plane") -> go.Figure:
    """Heatmap of P(class 1) on the grid, the 0.5 contour, and the points coloured by class."""
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        x=xs, y=ys, z=probs, zmin=0, zmax=1, colorscale="RdBu", opacity=0.55,  # 0 red, 1 blue, as the points
        colorbar={"title": {"text": "P(1)"}, "thickness": 12}, hovertemplate="x=%{x:.2f} y=%{y:.2f} P=%{z:.2f}",
        name="P(class 1)",
    ))
    fig.add_trace(go.Contour(
        x=xs, y=ys, z=probs, contours={"start": 0.5, "end": 0.5, "size": 1, "coloring": "lines"},
        line={"color": "black", "width": 2}, showscale=False, hoverinfo="skip", name="P = 0.5",
    ))
    for label, color in ((0, "#b2182b"), (1, "#08519c")):
        mask = np.asarray(y) == label
        fig.add_trace(go.Scatter(
            x=X[mask, 0], y=X[mask, 1], mode="markers", name=f"class {label}",
            marker={"color": color, "size": 7, "line": {"color": "white", "width": 1}},
        ))
    extent = float(np.max(np.abs(xs)))
    fig.update_layout(
        title=title, height=460, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.08, "x": 0},
    )
    fig.update_xaxes(range=[-extent, extent], constrain="domain")
    fig.update_yaxes(range=[-extent, extent], scaleanchor="x", scaleratio=1)
    return fig


def training_curve_figure(losses: Sequence[float], accuracies: Sequence[float]) -> go.Figure:
    """The playground's loss (left axis) and training accuracy (right axis) per step."""
    steps, loss = _thin(losses)
    _, accuracy = _thin(accuracies)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=steps, y=loss, mode="lines", name="loss (binary cross-entropy)"))
    fig.add_trace(go.Scatter(x=steps, y=accuracy, mode="lines", name="training accuracy", yaxis="y2"))
    fig.update_layout(
        height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10}, xaxis_title="step",
        yaxis={"title": "loss", "rangemode": "tozero"},
        yaxis2={"title": "accuracy", "overlaying": "y", "side": "right", "range": [0, 1.02], "tickmode": "linear",
                "tick0": 0, "dtick": 0.25, "tickformat": ".0%", "showgrid": False},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    )
    return fig


def speed_figure(rows: Sequence[Mapping]) -> go.Figure:
    """Milliseconds per epoch, one bar per (library, device), grouped by problem, log scale."""
    fig = go.Figure()
    labels = sorted({f"{r['library']} ({r['device']})" for r in rows})
    for label in labels:
        chosen = [r for r in rows if f"{r['library']} ({r['device']})" == label]
        fig.add_trace(go.Bar(x=[r["problem"] for r in chosen], y=[r["ms_per_epoch"] for r in chosen], name=label,
                             text=[f"{r['ms_per_epoch']:.3g} ms" for r in chosen], textposition="outside"))
    fig.update_layout(barmode="group", height=320,
                      yaxis={"type": "log", "title": "ms per epoch (log)", "dtick": 1, "exponentformat": "power"},
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig
