"""Plotly figures of tensor values: a heatmap for 2-D, bars for 1-D, a histogram for the others.

`figure_for(t)` picks the figure and `figure_label(t)` says what it holds (the page's expander
title), from one plan: a 2-D tensor is always a heatmap, of its cells up to 200 x 200, or of the
means of equal blocks of cells beyond that (a 1000 x 1000 tensor is drawn as 200 x 200 means of
5 x 5 blocks); a small 1-D tensor is bars; anything else is a histogram of its values.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F

MAX_SIDE = 200  # rows or columns drawn in a heatmap; larger matrices are drawn as block means
MAX_HEATMAP = MAX_SIDE * MAX_SIDE  # cells drawn in a heatmap
MAX_BARS = 200  # a 1-D tensor up to this many values is drawn as bars
ANNOTATE = 150  # heatmaps up to this many cells show the numbers


def _values(t: torch.Tensor) -> torch.Tensor:
    t = t.detach().cpu()
    if t.is_complex():
        t = t.abs()
    return t.double() if t.dtype != torch.float64 else t


def block_size(shape: tuple[int, ...]) -> tuple[int, int]:
    """Rows and columns of the blocks a heatmap of this 2-D shape averages ((1, 1): every cell drawn)."""
    rows, cols = shape
    return max(1, math.ceil(rows / MAX_SIDE)), max(1, math.ceil(cols / MAX_SIDE))


def block_means(t: torch.Tensor) -> torch.Tensor:
    """A 2-D tensor shrunk to at most MAX_SIDE x MAX_SIDE: each cell the mean of one block of cells.

    The last block of a row or column may be smaller; its mean is over the cells it has.
    """
    x = _values(t)
    kr, kc = block_size(tuple(x.shape))
    if (kr, kc) == (1, 1):
        return x
    return F.avg_pool2d(x[None, None], (kr, kc), ceil_mode=True)[0, 0]


def heatmap(t: torch.Tensor, title: str = "") -> go.Figure:
    """A 2-D tensor as a heatmap, row 0 at the top like a printed matrix; block means beyond MAX_SIDE."""
    if t.dim() != 2:
        raise ValueError(f"A heatmap needs a 2-D tensor; this one has {t.dim()} dims.")
    kr, kc = block_size(tuple(t.shape))
    z = block_means(t).numpy()
    rows, cols = z.shape
    small = z.size <= ANNOTATE and (kr, kc) == (1, 1)
    finite = z[np.isfinite(z)]
    fig = go.Figure(go.Heatmap(
        z=z, x=[j * kc for j in range(cols)], y=[i * kr for i in range(rows)],
        colorscale="RdBu_r", zmid=0 if finite.size and finite.min() < 0 < finite.max() else None,
        text=[[f"{v:.3g}" for v in row] for row in z] if small else None,
        texttemplate="%{text}" if small else None,
        hovertemplate=("[%{y}, %{x}] = %{z}" if (kr, kc) == (1, 1)
                       else f"rows %{{y}}+{kr}, columns %{{x}}+{kc}: mean %{{z}}") + "<extra></extra>",
    ))
    fig.update_layout(title=title or None, height=min(120 + 40 * rows, 480), margin=dict(l=40, r=10, t=40 if title else 10, b=30),
                      xaxis=dict(title="column", dtick=1 if cols <= 20 else None),
                      yaxis=dict(title="row", autorange="reversed", dtick=1 if rows <= 20 else None))
    return fig


def bars(t: torch.Tensor, title: str = "") -> go.Figure:
    """A 1-D tensor as bars (index on x)."""
    if t.dim() != 1:
        raise ValueError("Bars need a 1-D tensor.")
    x = _values(t).numpy()
    fig = go.Figure(go.Bar(x=list(range(len(x))), y=x, hovertemplate="[%{x}] = %{y}<extra></extra>"))
    fig.update_layout(title=title or None, height=260, margin=dict(l=40, r=10, t=40 if title else 10, b=30),
                      xaxis_title="index", yaxis_title="value")
    return fig


def histogram(t: torch.Tensor, title: str = "", bins: int = 50) -> go.Figure:
    """The distribution of a tensor's values (any shape)."""
    x = _values(t).flatten()
    x = x[torch.isfinite(x)]
    if x.numel() > 200_000:
        x = x[torch.randperm(x.numel(), generator=torch.Generator().manual_seed(0))[:200_000]]
    fig = go.Figure(go.Histogram(x=x.numpy(), nbinsx=bins))
    fig.update_layout(title=title or None, height=260, margin=dict(l=40, r=10, t=40 if title else 10, b=30),
                      xaxis_title="value", yaxis_title="count", bargap=0.05)
    return fig


def _kind(t: torch.Tensor) -> str | None:
    if t.numel() <= 1 or t.dtype == torch.bool and t.dim() != 2:
        return None
    if t.dim() == 2:
        return "heatmap"
    return "bars" if t.dim() == 1 and t.numel() <= MAX_BARS else "histogram"


def figure_for(t: torch.Tensor, title: str = "") -> go.Figure | None:
    """The figure that suits a tensor: heatmap (2-D), bars (small 1-D), histogram (others); None for a scalar."""
    kind = _kind(t)
    if kind is None:
        return None
    return {"heatmap": heatmap, "bars": bars, "histogram": histogram}[kind](t, title)


def figure_label(t: torch.Tensor) -> str | None:
    """What `figure_for(t)` draws, in words (a title for it): "Heatmap", "Heatmap of 5 x 5 block means", ..."""
    kind = _kind(t)
    if kind is None:
        return None
    of = " of |values|" if t.is_complex() else ""
    if kind == "heatmap":
        kr, kc = block_size(tuple(t.shape))
        blocks = "" if (kr, kc) == (1, 1) else f" of {kr} x {kc} block means ({t.shape[0]:,} x {t.shape[1]:,} cells)"
        return f"Heatmap{of}{blocks}"
    if kind == "bars":
        return f"Bars{of} (one per element)"
    return f"Histogram{of} (the distribution of the {t.numel():,} values)"
