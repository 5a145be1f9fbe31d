"""Pictures for probing a digit model: Plotly figures and plain pixel images, from numpy data, no Streamlit.

Digits are drawn as heatmaps with row 0 at the top, square pixels, and no axes; signed maps
(gradients, weights) use a diverging scale centred on zero (blue negative, red positive). The
pixel pictures (`enlarge`, `thumbnail`, `diverging_rgb`, `weight_mosaic`, `png_bytes`, `preview`)
are uint8 arrays or PNG bytes for `st.image`: lighter in the browser than a figure. The words a figure
shows (titles, axes, hover text) come in the language `lang` asks for ("en" or "zh").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image
from plotly.subplots import make_subplots

from pytorch_explorer.digits.preprocess import HIGH_DEPTH_MODES, stretch_levels
from pytorch_explorer.i18n import translate

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
                     title: str | None = None, height: int = 300, lang: str = "en") -> go.Figure:
    """Ten bars, the top guess in the accent colour, the true class outlined when known."""
    p = np.asarray(probabilities, dtype=float)
    top = int(p.argmax())
    colours = [ACCENT if i == top else MUTED for i in range(10)]
    outline = [3 if i == true_label else 0 for i in range(10)]
    fig = go.Figure(go.Bar(
        x=[str(i) for i in range(10)], y=p, marker=dict(color=colours, line=dict(width=outline, color=CORRECT)),
        text=[f"{v:.0%}" if v >= 0.005 else "" for v in p], textposition="outside", cliponaxis=False,
        hovertemplate=translate("digit %{x}: %{y:.2%}", lang) + "<extra></extra>",
    ))
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", title=None, gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title=translate("digit", lang), type="category")
    return _compact(fig, height, title)


def saliency_figure(image: np.ndarray, gradient: np.ndarray, input_x_gradient: np.ndarray,
                    target: int, height: int = 330, lang: str = "en") -> go.Figure:
    """Three panels: the input, d logit / d pixel, and input x gradient (both centred on zero)."""
    titles = (translate("the input (28x28)", lang), translate("gradient of logit {target}", lang).format(target=target),
              translate("input x gradient", lang))
    where = translate("row %{y}, col %{x}", lang)
    fig = make_subplots(rows=1, cols=3, subplot_titles=titles, horizontal_spacing=0.04)
    fig.add_trace(go.Heatmap(z=np.asarray(image, float), colorscale="gray", showscale=False,
                             hovertemplate=where + ": %{z:.0f}<extra></extra>"), 1, 1)
    for col, values in ((2, gradient), (3, input_x_gradient)):
        v = np.asarray(values, dtype=float)
        limit = float(np.abs(v).max()) or 1.0
        fig.add_trace(go.Heatmap(
            z=v, colorscale=DIVERGING, zmid=0, zmin=-limit, zmax=limit, showscale=col == 3,
            colorbar=dict(thickness=10, len=0.8) if col == 3 else None,
            hovertemplate=where + ": %{z:.4f}<extra></extra>"), 1, col)
        # the digit's outline on top, so the map can be read against the strokes
        fig.add_trace(go.Contour(z=np.asarray(image, float), showscale=False, contours=dict(
            start=100, end=100, size=1, coloring="lines"), line=dict(color="rgba(40,40,40,0.55)", width=1),
            hoverinfo="skip"), 1, col)
    _digit_axes(fig, 1, 3)
    for col in (1, 2, 3):
        fig.update_yaxes(scaleanchor=f"x{'' if col == 1 else col}", row=1, col=col)
    return _compact(fig, height, None, top=45)


def activations_figure(activations: np.ndarray, highlighted: Sequence[int], height: int = 260,
                       title: str | None = None, lang: str = "en") -> go.Figure:
    """Every hidden unit's activation as a bar; the highlighted (strongest) units in the accent colour."""
    a = np.asarray(activations, dtype=float)
    marked = set(int(i) for i in highlighted)
    colours = [ACCENT if i in marked else MUTED for i in range(len(a))]
    fig = go.Figure(go.Bar(x=np.arange(len(a)), y=a, marker=dict(color=colours, line=dict(width=0)),
                           hovertemplate=translate("unit %{x}", lang) + ": %{y:.3f}<extra></extra>"))
    fig.update_layout(bargap=0)
    fig.update_xaxes(title=translate("hidden unit", lang))
    fig.update_yaxes(title=translate("activation", lang), gridcolor="rgba(128,128,128,0.2)")
    return _compact(fig, height, title)


def unit_weights_figure(weights: np.ndarray, units: Sequence[int], activations: np.ndarray,
                        contributions: np.ndarray | None = None, columns: int = 6,
                        image: np.ndarray | None = None, lang: str = "en") -> go.Figure:
    """The incoming-weight image (28x28) of each given unit, titled with its activation (and vote).

    One heatmap of tiles (each unit scaled to its own largest |weight|), with the digit's outline
    drawn on every tile: much lighter for the browser than a grid of subplots.
    """
    units = [int(u) for u in units]
    if not units:
        return _compact(go.Figure(), 60)
    columns = max(1, min(columns, len(units)))
    gap, row_gap = 3, 7
    mosaic, tile_of = weight_mosaic(np.asarray(weights)[units], columns, gap=gap, row_gap=row_gap)
    unit_of = np.where(tile_of >= 0, np.asarray(units)[np.maximum(tile_of, 0)], -1)
    fig = go.Figure(go.Heatmap(
        z=mosaic, colorscale=DIVERGING, zmid=0, zmin=-1, zmax=1, showscale=False, customdata=unit_of,
        hovertemplate=translate("unit %{customdata}, pixel (%{y}, %{x}): %{z:.2f} of its largest weight", lang)
        + "<extra></extra>"))
    if image is not None:
        outline, _ = weight_mosaic(np.repeat(np.asarray(image, np.float32)[None] + 1e-3, len(units), axis=0),
                                   columns, gap=gap, row_gap=row_gap)
        fig.add_trace(go.Contour(z=outline, showscale=False, hoverinfo="skip", contours=dict(
            start=0.4, end=0.4, size=1, coloring="lines"), line=dict(color="rgba(30,30,30,0.55)", width=1)))
    for i, u in enumerate(units):
        r, c = divmod(i, columns)
        text = translate("unit {unit}: {activation}", lang).format(unit=u, activation=f"{activations[u]:.2f}")
        if contributions is not None:
            text += f" ({contributions[u]:+.2f})"
        fig.add_annotation(x=c * (28 + gap) + 13.5, y=r * (28 + row_gap) - 1, text=text, showarrow=False,
                           yanchor="bottom", font=dict(size=11))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    rows = -(-len(units) // columns)
    return _compact(fig, 40 + 165 * rows, None, top=25)


def confusion_figure(confusion: np.ndarray, selected: tuple[int, int] | None = None,
                     height: int = 470, lang: str = "en") -> go.Figure:
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
                             customdata=m, hovertemplate=translate("true %{y}, predicted %{x}: %{customdata} digits",
                                                                   lang) + "<extra></extra>"))
    tt, pp = np.meshgrid(np.arange(10), np.arange(10), indexing="ij")
    text = [str(v) if v else "" for v in m.ravel()]
    fig.add_trace(go.Scatter(
        x=[labels[p] for p in pp.ravel()], y=[labels[t] for t in tt.ravel()], mode="markers+text", text=text,
        textfont=dict(color=["white" if share.ravel()[i] > 0.5 else "#1b2a3a" for i in range(100)], size=12),
        marker=dict(symbol="square", size=34, color="rgba(0,0,0,0.01)", line=dict(width=0)),
        customdata=np.stack([tt.ravel(), pp.ravel(), m.ravel()], axis=1),
        hovertemplate=translate("true %{customdata[0]}, predicted %{customdata[1]}: %{customdata[2]} digits<br>"
                                "click to see them", lang) + "<extra></extra>",
        selected=dict(marker=dict(color="rgba(228,87,46,0.35)")), unselected=dict(marker=dict(opacity=1)),
        showlegend=False,
    ))
    if selected is not None:
        t, p = selected
        fig.add_shape(type="rect", x0=p - 0.5, x1=p + 0.5, y0=t - 0.5, y1=t + 0.5,
                      line=dict(color=ACCENT, width=3))
    fig.update_xaxes(title=translate("predicted", lang), type="category", side="top", tickmode="array", tickvals=labels,
                     constrain="domain")
    fig.update_yaxes(title=translate("true digit", lang), type="category", autorange="reversed", tickvals=labels, scaleanchor="x")
    fig.update_layout(clickmode="event+select", dragmode=False)
    return _compact(fig, height, None)


def per_class_accuracy_figure(accuracy: np.ndarray, overall: float | None = None, height: int = 260,
                              lang: str = "en") -> go.Figure:
    """Accuracy of each true class, with the overall accuracy as a dashed line."""
    a = np.asarray(accuracy, dtype=float)
    worst = int(np.nanargmin(a)) if np.isfinite(a).any() else -1
    fig = go.Figure(go.Bar(x=[str(i) for i in range(10)], y=a,
                           marker_color=[ACCENT if i == worst else "#4c78a8" for i in range(10)],
                           text=[f"{v:.0%}" if np.isfinite(v) else translate("none", lang) for v in a],
                           textposition="outside", cliponaxis=False,
                           hovertemplate=translate("digit %{x}: %{y:.1%} right", lang) + "<extra></extra>"))
    if overall is not None and np.isfinite(overall):
        fig.add_hline(y=overall, line=dict(dash="dash", color="#555", width=1), layer="below")
    fig.update_yaxes(range=[0, 1.12], tickformat=".0%", gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title=translate("true digit", lang), type="category")
    return _compact(fig, height, None)


def compare_figure(probabilities: Mapping[str, Sequence[float]], height: int = 320, lang: str = "en") -> go.Figure:
    """Grouped bars: each model's 10 probabilities for the same input."""
    fig = go.Figure()
    for i, (name, p) in enumerate(probabilities.items()):
        fig.add_trace(go.Bar(name=name, x=[str(d) for d in range(10)], y=np.asarray(p, float),
                             marker_color=MODEL_COLOURS[i % len(MODEL_COLOURS)],
                             hovertemplate=f"{name}<br>" + translate("digit %{x}: %{y:.2%}", lang) + "<extra></extra>"))
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.12, x=0))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title=translate("digit", lang), type="category")
    return _compact(fig, height, None, top=50)


# ----------------------------------------------------------------------------- convolutional models
def heatmap_grid(tiles: np.ndarray, titles: Sequence[str], columns: int = 8, signed: bool = True,
                 tile_px: int = 88, hover: str = "channel", lang: str = "en") -> go.Figure:
    """A grid of small heatmaps (one subplot a tile, row 0 at the top, square pixels), each tile scaled to
    its own largest |value| (signed: diverging, centred on zero; else grey)."""
    tiles = np.asarray(tiles, dtype=float)
    if tiles.ndim != 3 or len(tiles) == 0:
        return _compact(go.Figure(), 60)
    columns = max(1, min(columns, len(tiles)))
    rows = -(-len(tiles) // columns)
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=list(titles), horizontal_spacing=0.012,
                        vertical_spacing=min(0.08, 0.5 / rows))
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        limit = float(np.abs(tile).max()) or 1.0
        scale = dict(colorscale=DIVERGING, zmid=0, zmin=-limit, zmax=limit) if signed else \
            dict(colorscale="gray", zmin=float(tile.min()), zmax=float(tile.max()) or 1.0)
        fig.add_trace(go.Heatmap(z=tile, showscale=False, **scale,
                                 hovertemplate=f"{hover} {i}, " + translate("row %{y}, col %{x}", lang)
                                 + ": %{z:.3f}<extra></extra>"),
                      r + 1, c + 1)
    _digit_axes(fig, rows, columns)
    for i in range(len(tiles)):
        r, c = divmod(i, columns)
        axis = "" if i == 0 else str(i + 1)
        fig.update_yaxes(scaleanchor=f"x{axis}", row=r + 1, col=c + 1)
    fig.update_annotations(font=dict(size=10))
    return _compact(fig, 30 + rows * tile_px, None, top=25)


def feature_maps_figure(maps: np.ndarray, max_channels: int = 32, columns: int = 8, lang: str = "en") -> go.Figure:
    """A conv layer's feature maps (channels, h, w) for one digit: one small heatmap a channel (the first
    `max_channels`), red where the channel's filter matched (positive), blue where it did not."""
    maps = np.asarray(maps, dtype=float)[:max_channels]
    return heatmap_grid(maps, [translate("ch {i}", lang).format(i=i) for i in range(len(maps))], columns=columns,
                        hover=translate("channel", lang), lang=lang)


def filters_figure(filters: np.ndarray, max_filters: int = 32, columns: int = 8, lang: str = "en") -> go.Figure:
    """The first conv layer's kernels (out, in, kh, kw): one small heatmap a filter (averaged over the
    input channels when there are several; a digit has one)."""
    f = np.asarray(filters, dtype=float)
    if f.ndim != 4:
        return _compact(go.Figure(), 60)
    kernels = f.mean(axis=1)[:max_filters]
    hover = translate("filter", lang)
    return heatmap_grid(kernels, [translate("filter {i}", lang).format(i=i) for i in range(len(kernels))],
                        columns=columns, tile_px=80, hover=hover, lang=lang)


def fine_tune_figure(history: Sequence[Mapping[str, float]], height: int = 260, lang: str = "en") -> go.Figure:
    """Accuracy on my digits and on the validation digits, epoch by epoch (epoch 0: before fine-tuning)."""
    epochs = [int(h["epoch"]) for h in history]
    fig = go.Figure()
    for key, name, colour in (("mine_acc", "my digits", ACCENT), ("val_acc", "validation digits", MODEL_COLOURS[0])):
        name = translate(name, lang)
        fig.add_trace(go.Scatter(x=epochs, y=[h.get(key) for h in history], name=name, mode="lines+markers",
                                 line=dict(color=colour), hovertemplate=f"{name}, "
                                 + translate("epoch %{x}", lang) + ": %{y:.1%}<extra></extra>"))
    fig.update_yaxes(range=[0, 1.05], tickformat=".0%", title=translate("accuracy", lang),
                     gridcolor="rgba(128,128,128,0.2)")
    fig.update_xaxes(title=translate("fine-tuning epoch (0: before)", lang), dtick=1)
    fig.update_layout(legend=dict(orientation="h", y=1.12, x=0))
    return _compact(fig, height, None, top=30)


# ----------------------------------------------------------------------------- pixel pictures
def weight_mosaic(weights: np.ndarray, columns: int = 25, gap: int = 1,
                  row_gap: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Tile (K, 28, 28) weight images into one picture, each scaled to [-1, 1] by its own largest |w|.

    Returns (mosaic, unit): float mosaic with NaN in the gaps, and for each mosaic pixel the unit
    index it belongs to (-1 in the gaps), for hover text. `row_gap` (default `gap`) leaves room for
    titles between rows.
    """
    weights = np.asarray(weights, dtype=np.float32)
    k = len(weights)
    columns = max(1, min(columns, k))
    rows = -(-k // columns)
    row_gap = gap if row_gap is None else row_gap
    tile_w, tile_h = 28 + gap, 28 + row_gap
    mosaic = np.full((rows * tile_h - row_gap, columns * tile_w - gap), np.nan, dtype=np.float32)
    unit = np.full(mosaic.shape, -1, dtype=np.int32)
    scale = np.abs(weights).reshape(k, -1).max(axis=1)
    for i in range(k):
        r, c = divmod(i, columns)
        y, x = r * tile_h, c * tile_w
        mosaic[y:y + 28, x:x + 28] = weights[i] / (scale[i] if scale[i] > 0 else 1.0)
        unit[y:y + 28, x:x + 28] = i
    return mosaic, unit


def diverging_rgb(values: np.ndarray, limit: float | None = None,
                  gap_colour: tuple[int, int, int] = (200, 200, 200)) -> np.ndarray:
    """Map values to colours: negative blue, zero white, positive red (uint8 RGB; NaN -> gap_colour)."""
    v = np.asarray(values, dtype=np.float32)
    finite = np.isfinite(v)
    if limit is None:
        limit = float(np.abs(v[finite]).max()) if finite.any() else 1.0
    t = np.clip(np.where(finite, v, 0.0) / (limit or 1.0), -1.0, 1.0)
    red, blue = np.array([178, 24, 43], np.float32), np.array([33, 102, 172], np.float32)
    white = np.array([247, 247, 247], np.float32)
    pos = np.clip(t, 0, 1)[..., None]
    neg = np.clip(-t, 0, 1)[..., None]
    rgb = white + pos * (red - white) + neg * (blue - white)
    rgb[~finite] = gap_colour
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def preview(picture: Image.Image, size: int = 440) -> Image.Image | np.ndarray | None:
    """A small RGB(A) copy of an uploaded PIL image for display, or None if its mode cannot be shown."""
    try:
        small = picture.copy()
        small.thumbnail((size, size))
        if small.mode in HIGH_DEPTH_MODES:  # 16-bit or float: stretch to 8 bits
            return np.rint(stretch_levels(np.asarray(small, dtype=np.float32))).astype(np.uint8)
        return small if small.mode in ("RGB", "RGBA", "L") else small.convert("RGBA")
    except (ValueError, OSError):
        return None


def png_bytes(image: np.ndarray) -> bytes:
    """A uint8 greyscale or RGB image as PNG bytes (encode once, show many times)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def weight_mosaic_png(weights: np.ndarray) -> tuple[bytes, int]:
    """(K, 28, 28) weights as one PNG mosaic (red positive, blue negative, white gaps), and its width
    in pixels: 10 tiles a row up to 100 units, else 25, enlarged 2x."""
    mosaic, _ = weight_mosaic(weights, columns=10 if len(weights) <= 100 else 25, gap=2)
    rgb = enlarge(diverging_rgb(mosaic, 1.0, gap_colour=(255, 255, 255)), 2 * max(mosaic.shape))
    return png_bytes(rgb), rgb.shape[1]


def enlarge(image: np.ndarray, size: int = 140) -> np.ndarray:
    """Nearest-neighbour enlargement so that small pictures stay crisp on screen (longer side ~size)."""
    h, w = image.shape[:2]
    factor = max(1, size // max(h, w))
    if factor == 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def thumbnail(image: np.ndarray, size: int = 96, pad: int = 255) -> np.ndarray:
    """A uint8 greyscale image fitted into a size x size square (crisp when enlarged, area-averaged
    when shrunk), centred on a `pad`-coloured square, so that a row of stages lines up."""
    image = np.asarray(image, dtype=np.uint8)
    h, w = image.shape[:2]
    if max(h, w) <= size:
        fitted = enlarge(image, size)
    else:
        s = size / max(h, w)
        fitted = np.asarray(Image.fromarray(image).resize((max(1, round(w * s)), max(1, round(h * s))),
                                                          Image.Resampling.BOX))
    fh, fw = fitted.shape[:2]
    out = np.full((size, size), pad, dtype=np.uint8)
    top, left = (size - fh) // 2, (size - fw) // 2
    out[top:top + fh, left:left + fw] = fitted[:size, :size]
    return out


__all__ = [
    "activations_figure", "compare_figure", "confusion_figure", "diverging_rgb", "enlarge", "feature_maps_figure",
    "filters_figure", "fine_tune_figure", "heatmap_grid", "per_class_accuracy_figure",
    "png_bytes", "preview", "probability_bars", "saliency_figure", "thumbnail", "unit_weights_figure",
    "weight_mosaic", "weight_mosaic_png",
]
