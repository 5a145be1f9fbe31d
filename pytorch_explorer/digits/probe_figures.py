"""Plotly figures for probing a digit model: functions of numpy data, no Streamlit (testable).

Digits are drawn as heatmaps with row 0 at the top, square pixels, and no axes; signed maps
(gradients, weights) use a diverging scale centred on zero (blue negative, red positive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

ACCENT = "#e4572e"  # the top guess, the highlighted units
MUTED = "#9aa5b1"
CORRECT = "#2e7d32"
DIVERGING = "RdBu_r"
MODEL_COLOURS = ("#1f77b4", "#e4572e", "#2ca02c", "#9467bd", "#8c564b", "#17becf")


def _digit_axes(fig: go.Figure, rows: int = 1, cols: int = 1) -> None:
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            fig.update_xaxes(visible=False, constrain="domain", row=r, col=c)
            fig.update_yaxes(visible=False, autorange="reversed", scaleanchor=None, row=r, col=c)


def _compact(fig: go.Figure, height: int, title: str | None = None, top: int | None = None) -> go.Figure:
    if top is None:
        top = 40 if title else 10
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=top, b=10),
                      title=dict(text=title, x=0.0, font=dict(size=15)) if title else None)
    return fig


def probability_bars(probabilities: Sequence[float], true_label: int | None = None,
                     title: str | None = None, height: int = 300) -> go.Figure:
    """Ten bars, the top guess in the accent colour, the true class outlined when known."""
    p = np.asarray(probabilities, dtype=float)
    top = int(p.argmax())
    colours = [ACCENT if i == top else MUTED for i in range(10)]
    outline = [3 if i == true_label else 0 for i in range(10)]
    fig = go.Figure(go.Bar(
        x=[str(i) for i in range(10)], y=p, marker=dict(color=colours, line=dict(width=outline, color=CORRECT)),
        text=[f"{v:.0%}" if v >= 0.005 else "" for v in p], textposition="outside", cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.2%}<extra></extra>",
    ))
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", title=None, gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title="digit", type="category")
    return _compact(fig, height, title)


def digit_figure(image: np.ndarray, title: str | None = None, height: int = 260) -> go.Figure:
    """One greyscale digit (uint8 or float), white ink on black."""
    fig = go.Figure(go.Heatmap(z=np.asarray(image, dtype=float), colorscale="gray", showscale=False,
                               hovertemplate="row %{y}, col %{x}: %{z:.0f}<extra></extra>"))
    _digit_axes(fig)
    fig.update_yaxes(scaleanchor="x")
    return _compact(fig, height, title)


def saliency_figure(image: np.ndarray, gradient: np.ndarray, input_x_gradient: np.ndarray,
                    target: int, height: int = 330) -> go.Figure:
    """Three panels: the input, d logit / d pixel, and input x gradient (both centred on zero)."""
    titles = ("the input (28x28)", f"gradient of logit {target}", "input x gradient")
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04)
    fig.add_trace(go.Heatmap(z=np.asarray(image, float), colorscale="gray", showscale=False,
                             hovertemplate="row %{y}, col %{x}: %{z:.0f}<extra></extra>"), 1, 1)
    for col, values in ((2, gradient), (3, input_x_gradient)):
        v = np.asarray(values, dtype=float)
        limit = float(np.abs(v).max()) or 1.0
        fig.add_trace(go.Heatmap(
            z=v, colorscale=DIVERGING, zmid=0, zmin=-limit, zmax=limit, showscale=col == 3,
            colorbar=dict(thickness=10, len=0.8) if col == 3 else None,
            hovertemplate="row %{y}, col %{x}: %{z:.4f}<extra></extra>"), 1, col)
        # the digit's outline on top, so the map can be read against the strokes
        fig.add_trace(go.Contour(z=np.asarray(image, float), showscale=False, contours=dict(
            start=100, end=100, size=1, coloring="lines"), line=dict(color="rgba(40,40,40,0.55)", width=1),
            hoverinfo="skip"), 1, col)
    _digit_axes(fig, 1, 3)
    for col in (1, 2, 3):
        fig.update_yaxes(scaleanchor=f"x{'' if col == 1 else col}", row=1, col=col)
    return _compact(fig, height, None, top=45)


def activations_figure(activations: np.ndarray, highlighted: Sequence[int], height: int = 260,
                       title: str | None = None) -> go.Figure:
    """Every hidden unit's activation as a bar; the highlighted (strongest) units in the accent colour."""
    a = np.asarray(activations, dtype=float)
    marked = set(int(i) for i in highlighted)
    colours = [ACCENT if i in marked else MUTED for i in range(len(a))]
    fig = go.Figure(go.Bar(x=np.arange(len(a)), y=a, marker=dict(color=colours, line=dict(width=0)),
                           hovertemplate="unit %{x}: %{y:.3f}<extra></extra>"))
    fig.update_layout(bargap=0)
    fig.update_xaxes(title="hidden unit")
    fig.update_yaxes(title="activation", gridcolor="rgba(128,128,128,0.2)")
    return _compact(fig, height, title)


def unit_weights_figure(weights: np.ndarray, units: Sequence[int], activations: np.ndarray,
                        contributions: np.ndarray | None = None, columns: int = 6,
                        image: np.ndarray | None = None) -> go.Figure:
    """The incoming-weight image (28x28) of each given unit, titled with its activation (and vote).

    One heatmap of tiles (each unit scaled to its own largest |weight|), with the digit's outline
    drawn on every tile: much lighter for the browser than a grid of subplots.
    """
    from pytorch_explorer.digits.probe import weight_mosaic

    units = [int(u) for u in units]
    if not units:
        return _compact(go.Figure(), 60)
    columns = max(1, min(columns, len(units)))
    gap, row_gap = 3, 7
    mosaic, tile_of = weight_mosaic(np.asarray(weights)[units], columns, gap=gap, row_gap=row_gap)
    unit_of = np.where(tile_of >= 0, np.asarray(units)[np.maximum(tile_of, 0)], -1)
    fig = go.Figure(go.Heatmap(
        z=mosaic, colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1, showscale=False, customdata=unit_of,
        hovertemplate="unit %{customdata}, pixel (%{y}, %{x}): %{z:.2f} of its largest weight<extra></extra>"))
    if image is not None:
        outline, _ = weight_mosaic(np.repeat(np.asarray(image, np.float32)[None] + 1e-3, len(units), axis=0),
                                   columns, gap=gap, row_gap=row_gap)
        fig.add_trace(go.Contour(z=outline, showscale=False, hoverinfo="skip", contours=dict(
            start=0.4, end=0.4, size=1, coloring="lines"), line=dict(color="rgba(30,30,30,0.55)", width=1)))
    for i, u in enumerate(units):
        r, c = divmod(i, columns)
        text = f"unit {u}: {activations[u]:.2f}"
        if contributions is not None:
            text += f" ({contributions[u]:+.2f})"
        fig.add_annotation(x=c * (28 + gap) + 13.5, y=r * (28 + row_gap) - 1, text=text, showarrow=False,
                           yanchor="bottom", font=dict(size=11))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    rows = -(-len(units) // columns)
    return _compact(fig, 40 + 165 * rows, None, top=25)


def confusion_figure(confusion: np.ndarray, selected: tuple[int, int] | None = None,
                     height: int = 470) -> go.Figure:
    """The confusion matrix (rows: true class, columns: predicted), counts written in the cells.

    A transparent marker sits on every cell so that a click selects it (Plotly selects points of
    scatter traces, not of heatmaps): with st.plotly_chart(on_select="rerun", selection_mode="points")
    each selected point's customdata is [true, predicted].
    """
    m = np.asarray(confusion)
    off = m.astype(float).copy()
    np.fill_diagonal(off, np.nan)
    labels = [str(i) for i in range(10)]
    totals = np.maximum(m.sum(axis=1, keepdims=True), 1)
    share = m / totals
    fig = go.Figure()
    fig.add_trace(go.Heatmap(z=share, x=labels, y=labels, colorscale="Blues", zmin=0, zmax=1, showscale=False,
                             customdata=m, hovertemplate="true %{y}, predicted %{x}: %{customdata} digits"
                             "<extra></extra>"))
    tt, pp = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    text = [str(v) if v else "" for v in m.ravel()]
    fig.add_trace(go.Scatter(
        x=[labels[p] for p in pp.ravel()], y=[labels[t] for t in tt.ravel()], mode="markers+text", text=text,
        textfont=dict(color=["white" if share.ravel()[i] > 0.5 else "#1b2a3a" for i in range(100)], size=12),
        marker=dict(symbol="square", size=34, color="rgba(0,0,0,0.01)", line=dict(width=0)),
        customdata=np.stack([tt.ravel(), pp.ravel(), m.ravel()], axis=1),
        hovertemplate="true %{customdata[0]}, predicted %{customdata[1]}: %{customdata[2]} digits<br>"
                      "click to see them<extra></extra>",
        selected=dict(marker=dict(color="rgba(228,87,46,0.35)")), unselected=dict(marker=dict(opacity=1)),
        showlegend=False,
    ))
    if selected is not None:
        t, p = selected
        fig.add_shape(type="rect", x0=p - 0.5, x1=p + 0.5, y0=t - 0.5, y1=t + 0.5,
                      line=dict(color=ACCENT, width=3))
    fig.update_xaxes(title="predicted", type="category", side="top", tickmode="array", tickvals=labels,
                     constrain="domain")
    fig.update_yaxes(title="true", type="category", autorange="reversed", tickvals=labels, scaleanchor="x")
    fig.update_layout(clickmode="event+select", dragmode=False)
    return _compact(fig, height, None)


def per_class_accuracy_figure(accuracy: np.ndarray, overall: float | None = None, height: int = 260) -> go.Figure:
    """Accuracy of each true class, with the overall accuracy as a dashed line."""
    a = np.asarray(accuracy, dtype=float)
    worst = int(np.nanargmin(a)) if np.isfinite(a).any() else -1
    fig = go.Figure(go.Bar(x=[str(i) for i in range(10)], y=a,
                           marker_color=[ACCENT if i == worst else "#4c78a8" for i in range(10)],
                           text=[f"{v:.0%}" if np.isfinite(v) else "none" for v in a], textposition="outside",
                           cliponaxis=False, hovertemplate="digit %{x}: %{y:.1%} right<extra></extra>"))
    if overall is not None and np.isfinite(overall):
        fig.add_hline(y=overall, line=dict(dash="dash", color="#555", width=1), layer="below")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title="true digit", type="category")
    return _compact(fig, height, None)


def compare_figure(probabilities: Mapping[str, Sequence[float]], height: int = 320) -> go.Figure:
    """Grouped bars: each model's 10 probabilities for the same input."""
    fig = go.Figure()
    for i, (name, p) in enumerate(probabilities.items()):
        fig.add_trace(go.Bar(name=name, x=[str(d) for d in range(10)], y=np.asarray(p, float),
                             marker_color=MODEL_COLOURS[i % len(MODEL_COLOURS)],
                             hovertemplate=f"{name}<br>digit %{{x}}: %{{y:.2%}}<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.12, x=0))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title="digit", type="category")
    return _compact(fig, height, None, top=50)


__all__ = [
    "activations_figure", "compare_figure", "confusion_figure", "digit_figure", "per_class_accuracy_figure",
    "probability_bars", "saliency_figure", "unit_weights_figure",
]
