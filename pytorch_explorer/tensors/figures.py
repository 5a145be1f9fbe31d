"""Plotly figures of tensor values: a heatmap for 2-D, bars for 1-D, a histogram for large tensors."""

from __future__ import annotations

import plotly.graph_objects as go
import torch

MAX_HEATMAP = 40_000  # cells drawn in a heatmap (200 x 200)
ANNOTATE = 150  # heatmaps up to this many cells show the numbers


def _values(t: torch.Tensor) -> torch.Tensor:
    t = t.detach().cpu()
    if t.is_complex():
        t = t.abs()
    return t.double() if t.dtype != torch.float64 else t


def heatmap(t: torch.Tensor, title: str = "") -> go.Figure:
    """A 2-D tensor as a heatmap, row 0 at the top like a printed matrix."""
    if t.dim() != 2:
        raise ValueError(f"A heatmap needs a 2-D tensor; this one has {t.dim()} dims.")
    x = _values(t)
    if x.numel() > MAX_HEATMAP:
        raise ValueError(f"{x.numel():,} cells are too many to draw; look at the summary instead.")
    z = x.numpy()
    small = x.numel() <= ANNOTATE
    fig = go.Figure(go.Heatmap(
        z=z, colorscale="RdBu_r", zmid=0 if (z.min() < 0 < z.max()) else None,
        text=[[f"{v:.3g}" for v in row] for row in z] if small else None,
        texttemplate="%{text}" if small else None,
        hovertemplate="[%{y}, %{x}] = %{z}<extra></extra>",
    ))
    rows, cols = z.shape
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


def figure_for(t: torch.Tensor, title: str = "") -> go.Figure | None:
    """The figure that suits a tensor: heatmap (2-D), bars (small 1-D), histogram (large); None for a scalar."""
    if t.numel() <= 1 or t.dtype == torch.bool and t.dim() != 2:
        return None
    if t.dim() == 2 and t.numel() <= MAX_HEATMAP:
        return heatmap(t, title)
    if t.dim() == 1 and t.numel() <= 200:
        return bars(t, title)
    return histogram(t, title)
