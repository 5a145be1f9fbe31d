"""The compare page's Plotly figures, each built from plain arrays and lists (tested without a browser).

- map_figure: a 2-D map of digits, one colour (and legend entry) a label, mistakes drawn as crosses; each
  point carries its validation index as customdata, so a click can show the digit;
- confusion_figure: the confusion matrix as a heatmap with counts;
- accuracy_time_figure: validation accuracy against seconds of fitting/training, one point a run.

Each takes `lang` ("en" or "zh") for its titles, axis names and hover texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

from pytorch_explorer.i18n import translate

COLOURS = qualitative.Plotly  # ten colours, one a digit
MISTAKE_SYMBOL, RIGHT_SYMBOL = "x", "circle"


def map_figure(coords: np.ndarray, labels: np.ndarray, indices: np.ndarray, mistakes: np.ndarray | None = None,
               title: str = "", height: int = 460, lang: str = "en") -> go.Figure:
    """Points at `coords` (N, 2), one trace a digit label; crosses where `mistakes` is True.

    customdata of every point: [its validation index, its label]."""
    coords, labels, indices = np.asarray(coords), np.asarray(labels), np.asarray(indices)
    mistakes = np.zeros(len(labels), bool) if mistakes is None else np.asarray(mistakes, bool)
    fig = go.Figure()
    for digit in range(10):
        at = np.flatnonzero(labels == digit)
        if not len(at):
            continue
        wrong = mistakes[at]
        fig.add_trace(go.Scatter(
            x=coords[at, 0], y=coords[at, 1], mode="markers", name=str(digit),
            marker={"color": COLOURS[digit % len(COLOURS)], "size": np.where(wrong, 9, 6).tolist(),
                    "symbol": np.where(wrong, MISTAKE_SYMBOL, RIGHT_SYMBOL).tolist(), "opacity": 0.8,
                    "line": {"width": 0}},
            customdata=np.stack([indices[at], labels[at]], axis=1).tolist(),
            hovertemplate=translate("digit %{customdata[1]} (validation #%{customdata[0]})", lang)
            + "<extra></extra>"))
    fig.update_layout(title=title, height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"title": {"text": translate("label", lang)}, "itemsizing": "constant"},
                      clickmode="event+select",
                      dragmode="pan")
    fig.update_xaxes(showticklabels=False, title=None)
    fig.update_yaxes(showticklabels=False, title=None)
    return fig


def confusion_figure(confusion: np.ndarray, title: str | None = None, lang: str = "en") -> go.Figure:
    """Counts of (true digit, predicted digit); the diagonal is what it got right. Titled "Confusion matrix"
    (in `lang`) unless a title is given."""
    confusion = np.asarray(confusion)
    title = translate("Confusion matrix", lang) if title is None else title
    digits = [str(d) for d in range(confusion.shape[0])]
    fig = go.Figure(go.Heatmap(z=confusion, x=digits, y=digits, colorscale="Blues", text=confusion,
                               texttemplate="%{text}", showscale=False,
                               hovertemplate=translate("true %{y}, predicted %{x}: %{z}", lang) + "<extra></extra>"))
    fig.update_layout(title=title, height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    fig.update_xaxes(title=translate("predicted", lang), side="bottom", type="category")
    fig.update_yaxes(title=translate("true digit", lang), autorange="reversed", type="category")
    return fig


def accuracy_time_figure(rows: Sequence[dict[str, Any]], lang: str = "en") -> go.Figure:
    """Validation accuracy against seconds (log axis): rows with "name", "family", "val_acc", "seconds"."""
    fig = go.Figure()
    for family, symbol in (("scikit-learn", "diamond"), ("PyTorch", "circle")):
        chosen = [r for r in rows if r.get("family") == family and r.get("val_acc") is not None
                  and r.get("seconds")]
        if not chosen:
            continue
        fig.add_trace(go.Scatter(
            x=[r["seconds"] for r in chosen], y=[r["val_acc"] for r in chosen], mode="markers+text",
            name=family, text=[r["name"] for r in chosen], textposition="top center",
            marker={"size": 11, "symbol": symbol},
            hovertemplate=translate("%{text}<br>%{y:.2%} in %{x:.2f} s", lang) + "<extra></extra>"))
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      title=translate("Validation accuracy against fit / training time", lang))
    fig.update_xaxes(type="log", title=translate("seconds (log scale)", lang))
    fig.update_yaxes(title=translate("validation accuracy", lang), tickformat=".0%")
    return fig
