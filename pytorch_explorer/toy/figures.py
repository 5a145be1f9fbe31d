"""Plotly figures for the toy-networks page, as functions of data (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from pytorch_explorer.i18n import translate
from pytorch_explorer.toy.settings import IMPLEMENTATIONS, implementation_title
from pytorch_explorer.toy.speed import problem_name

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
                       title: str | None = None,
                       epochs: Mapping[str, Sequence[int]] | None = None, lang: str = "en") -> go.Figure:
    """One line per implementation, overlaid. curves: impl -> per-epoch losses; epochs: impl -> the epoch
    numbers of its losses, for a curve that was thinned (a stored run); by default 1, 2, 3, ...
    Titles and legend in `lang`."""
    fig = go.Figure()
    title = title if title is not None else translate("Loss per epoch (mean squared error)", lang)
    epochs = epochs or {}
    for impl in sorted(curves, key=lambda k: IMPLEMENTATIONS.index(k) if k in IMPLEMENTATIONS else 99):
        x, values = _thin(curves[impl], epochs.get(impl))
        style = STYLES.get(impl, {"width": 2, "dash": "solid"})
        fig.add_trace(go.Scatter(
            x=x, y=values, mode="lines", name=implementation_title(impl, lang),
            line={"color": COLORS.get(impl), **style}, opacity=0.85 if impl == "numpy" else 1.0,
        ))
    fig.update_layout(
        title=title, xaxis_title=translate("epoch", lang),
        yaxis_title=translate("MSE (log scale)", lang) if log_y else "MSE",
        height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
    )
    if log_y:
        fig.update_yaxes(type="log", dtick=1, exponentformat="power")  # a label per decade
    return fig


def speed_figure(rows: Sequence[Mapping], lang: str = "en") -> go.Figure:
    """Milliseconds per epoch, one bar per (library, device), grouped by problem (named in `lang`), log scale."""
    fig = go.Figure()
    labels = sorted({f"{r['library']} ({r['device']})" for r in rows})
    for label in labels:
        chosen = [r for r in rows if f"{r['library']} ({r['device']})" == label]
        fig.add_trace(go.Bar(x=[problem_name(r["problem"], lang) for r in chosen], y=[r["ms_per_epoch"] for r in chosen],
                             name=label, text=[f"{r['ms_per_epoch']:.3g} ms" for r in chosen], textposition="outside"))
    fig.update_layout(barmode="group", height=320,
                      yaxis={"type": "log", "title": translate("ms per epoch (log)", lang), "dtick": 1,
                             "exponentformat": "power"},
                      margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return fig
