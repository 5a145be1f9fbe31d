"""The playground's Plotly figures, as functions of plain data (numpy arrays and lists): no Streamlit here.

- ``network_figure``: the network as a picture (``network_picture``, drawn with Pillow): every node a small image
  of its unit's output over the plane, edges coloured by the weight's sign and as wide as its size; an invisible
  marker on each node carries the hover text (its weights and bias) and can be selected;
- ``output_figure``: the output over the plane with the training (white rim) and test points (black rim), the
  points one picture (``points_picture``);
- ``loss_figure``, ``gradient_figure``, ``landscape_figure``.

Every figure's words (titles, legends, hover text) are in `lang` ("en" or "zh", `pytorch_explorer.i18n`).
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from PIL import Image, ImageDraw

from pytorch_explorer.i18n import translate

NEGATIVE, ZERO, POSITIVE = (245, 147, 34), (255, 255, 255), (8, 119, 189)  # TensorFlow Playground's orange/blue
COLORSCALE = [[0.0, "rgb(245,147,34)"], [0.5, "rgb(255,255,255)"], [1.0, "rgb(8,119,189)"]]
NODE, COLUMN_GAP, ROW_GAP = 1.0, 2.2, 1.3  # node size and spacing, in the picture's units
PIXELS_PER_UNIT = 38  # the figure's height in screen pixels for one unit of the picture
LINE_SCALE = 1.0      # an edge's width in picture pixels for one screen pixel


def colorize(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] (clipped) to RGB uint8: orange below 0, white at 0, blue above."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), -1, 1)[..., None]
    neg, zero, pos = (np.array(c, dtype=np.float32) for c in (NEGATIVE, ZERO, POSITIVE))
    rgb = np.where(v < 0, zero + (neg - zero) * -v, zero + (pos - zero) * v)
    return rgb.round().astype(np.uint8)


def scaled(grid: np.ndarray) -> np.ndarray:
    """A unit's grid divided by its largest |value|, so that every node shows its shape (all 0: stays 0)."""
    top = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 0.0
    return grid / top if top > 0 else np.zeros_like(grid)


def node_positions(widths: Sequence[int]) -> list[list[tuple[float, float]]]:
    """(x, y) of every node, column by column, each column centred on y = 0."""
    return [[(c * COLUMN_GAP, ((n - 1) / 2 - i) * ROW_GAP) for i in range(n)] for c, n in enumerate(widths)]


def column_titles(n_inputs: int, layers: Sequence[int], lang: str = "en") -> list[str]:
    hidden = translate("Hidden {n}", lang)
    return [translate("Input", lang), *(hidden.format(n=i + 1) for i in range(len(layers))), translate("Output", lang)]


def node_hover(column: int, unit: int, titles: Sequence[str], weights: Sequence[tuple[np.ndarray, np.ndarray]],
               input_names: Sequence[str], lang: str = "en") -> str:
    """The hover text of a node: its name, bias and incoming weights (inputs: what it is)."""
    if column == 0:
        return "<b>" + translate("input {name}", lang).format(name=input_names[unit]) + "</b>"
    W, b = weights[column - 1]
    sources = input_names if column == 1 else [f"h{column - 1}.{j + 1}" for j in range(W.shape[1])]
    lines = [f"{s}: {w:+.3f}" for s, w in zip(sources, W[unit], strict=True)]
    head = translate("{title}, neuron {n}", lang).format(title=titles[column], n=unit + 1)
    bias = translate("bias {value}", lang).format(value=f"{b[unit]:+.3f}")
    return f"<b>{head}</b><br>{bias}<br>{translate('weights in:', lang)}<br>" + "<br>".join(lines)


def picture_extent(widths: Sequence[int]) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the picture's corners in its own units, room for the titles and input names included."""
    height_units = max(widths) * ROW_GAP + 1.5
    return -NODE * 1.2, (len(widths) - 1) * COLUMN_GAP + NODE, -height_units / 2, height_units / 2 + 0.6


def edge_style(w: float, top: float) -> tuple[tuple[int, int, int], float, float]:
    """(colour, width in screen pixels, opacity) of the edge for weight `w` when the largest |weight| is `top`:
    blue for positive, orange for negative; the larger |w|, the wider and the less transparent."""
    w = w if math.isfinite(w) else 0.0
    size = min(abs(w) / top, 1.0)
    return (POSITIVE if w >= 0 else NEGATIVE), 0.4 + 5 * size, 0.25 + 0.75 * size


def network_picture(grids: Sequence[np.ndarray] | None, weights: Sequence[tuple[np.ndarray, np.ndarray]],
                    widths: Sequence[int], pixels_per_unit: int = PIXELS_PER_UNIT) -> Image.Image:
    """The edges and nodes as one RGB picture covering `picture_extent(widths)` (nodes: their heatmaps when
    `grids` is given, else grey squares).

    One picture rather than ~250 line shapes and ~40 node images in the figure: a browser redraws a single image
    many times a second, where Plotly redrawing every shape and image on each frame managed about one. Lines are
    drawn at twice the size and halved, which smooths their edges."""
    x0, x1, y0, y1 = picture_extent(widths)
    scale = 2 * pixels_per_unit
    size = (round((x1 - x0) * scale), round((y1 - y0) * scale))
    image = Image.new("RGB", size, ZERO)
    draw = ImageDraw.Draw(image)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * scale, (y1 - y) * scale

    positions = node_positions(widths)
    top = max(float(np.nanmax(np.abs(W))) if np.isfinite(W).any() else 0.0 for W, _ in weights) or 1.0
    edges = []
    for c, (W, _) in enumerate(weights):
        for j, (xb, yb) in enumerate(positions[c + 1]):
            for i, (xa, ya) in enumerate(positions[c]):
                colour, width, opacity = edge_style(float(W[j, i]), top)
                shade = tuple(round(255 + (v - 255) * opacity) for v in colour)  # over white
                edges.append((width, shade, at(xa + NODE / 2, ya), at(xb - NODE / 2, yb)))
    for width, shade, start, end in sorted(edges, key=lambda e: e[0]):  # the strongest on top
        draw.line([start, end], fill=shade, width=max(1, round(width * 2 * LINE_SCALE)))
    side = round(NODE * scale)
    for c, column in enumerate(positions):
        for u, (x, y) in enumerate(column):
            left, upper = (round(v) for v in at(x - NODE / 2, y + NODE / 2))
            if grids is None:
                draw.rectangle([left, upper, left + side, upper + side], fill=(221, 221, 221))
            else:
                grid = grids[c][u] if c == len(positions) - 1 else scaled(grids[c][u])
                tile = Image.fromarray(colorize(np.asarray(grid)[::-1])).resize((side, side), Image.Resampling.NEAREST)
                image.paste(tile, (left, upper))
    return image.resize((size[0] // 2, size[1] // 2), Image.Resampling.BOX)


def jpeg_uri(image: Image.Image) -> str:
    """A picture as a JPEG data URI: ~6 ms and ~90 kB for the largest network, where PNG took twice the time
    for half again the bytes (colour kept at full resolution, so thin edges keep their colour)."""
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90, subsampling=0)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def network_figure(grids: Sequence[np.ndarray] | None, weights: Sequence[tuple[np.ndarray, np.ndarray]],
                   input_names: Sequence[str], selected: tuple[int, int] | None = None, lang: str = "en") -> go.Figure:
    """The network: one picture of its weighted edges and nodes (`network_picture`: each node's heatmap when
    `grids` is given, one (units, r, r) array a column), with hoverable, selectable markers over the nodes
    (customdata: [column, unit]) and the column titles and input names as text."""
    widths = [len(input_names), *(W.shape[0] for W, _ in weights)]
    titles = column_titles(len(input_names), widths[1:-1], lang)
    positions = node_positions(widths)
    x0, x1, y0, y1 = picture_extent(widths)
    picture = {"source": jpeg_uri(network_picture(grids, weights, widths)), "xref": "x", "yref": "y", "x": x0,
               "y": y1, "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch", "layer": "below"}
    xs, ys, hover, custom, annotations = [], [], [], [], []
    for c, column in enumerate(positions):
        annotations.append({"x": column[0][0], "y": column[0][1] + 0.9 * NODE, "text": f"<b>{titles[c]}</b>",
                            "showarrow": False, "font": {"size": 12}})
        for u, (x, y) in enumerate(column):
            xs.append(x)
            ys.append(y)
            hover.append(node_hover(c, u, titles, weights, input_names, lang))
            custom.append([c, u])
            if c == 0:
                annotations.append({"x": x - NODE / 2 - 0.1, "y": y, "text": input_names[u], "showarrow": False,
                                    "xanchor": "right", "font": {"size": 11}})
    rim = ["#d62728" if selected is not None and tuple(cu) == tuple(selected) else "#555" for cu in custom]
    nodes = {"type": "scatter", "x": xs, "y": ys, "mode": "markers", "customdata": custom, "hovertext": hover,
             "hoverinfo": "text", "name": "nodes", "showlegend": False,
             "marker": {"symbol": "square", "size": 34, "line": {"color": rim, "width": 1.5},
                        "color": "rgba(255,255,255,0.01)"}}
    layout = {
        "images": [picture], "annotations": annotations, "height": int(70 + PIXELS_PER_UNIT * (y1 - y0 - 0.6)),
        "margin": {"l": 60, "r": 10, "t": 10, "b": 10}, "plot_bgcolor": "white", "clickmode": "event+select",
        "dragmode": False, "hovermode": "closest",
        "xaxis": {"visible": False, "range": [x0, x1], "fixedrange": True},
        "yaxis": {"visible": False, "range": [y0, y1], "fixedrange": True},
    }
    # Built from plain dicts without plotly's per-property validation (a frame's budget is 0.2 s); the tests
    # build a validated go.Figure from the same dict.
    return go.Figure({"data": [nodes], "layout": layout}, _validate=False)


OVERLAY_PIXELS = 520  # the points' picture, a side: about twice the output figure's plot area, for crisp dots


def points_picture(extent: float, groups: Sequence[tuple[np.ndarray, np.ndarray, tuple[int, int, int]]],
                   classification: bool = True, pixels: int = OVERLAY_PIXELS) -> Image.Image:
    """The data points as one transparent picture of the square [-extent, extent]^2: each point a dot coloured by
    its label on the output's scale, with a rim (white: training, black: test; `groups` gives (X, y, rim)).

    One picture instead of a Plotly marker per point: the points stay still while the network trains, so the
    browser draws them once rather than on every frame (the output figure redrew ~1 frame in 4 more slowly
    with them as markers)."""
    image = Image.new("RGBA", (pixels, pixels), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    radius = pixels / 85
    for X, y, rim in groups:
        labels = (2 * np.asarray(y, dtype=np.float32) - 1) if classification else np.asarray(y, dtype=np.float32)
        for (x1, x2), colour in zip(np.asarray(X), colorize(labels), strict=True):
            cx, cy = (x1 + extent) / (2 * extent) * pixels, (extent - x2) / (2 * extent) * pixels
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=tuple(int(c) for c in colour),
                         outline=rim, width=max(1, round(radius / 3)))
    return image


@lru_cache(maxsize=16)
def _points_uri(extent: float, groups: tuple[tuple[bytes, bytes, int, tuple[int, int, int]], ...],
                classification: bool) -> str:
    arrays = [(np.frombuffer(X, dtype=np.float64).reshape(n, 2), np.frombuffer(y, dtype=np.float64), rim)
              for X, y, n, rim in groups]
    return png_uri(points_picture(extent, arrays, classification))


def points_uri(extent: float, groups: Sequence[tuple[np.ndarray, np.ndarray, tuple[int, int, int]]],
               classification: bool = True) -> str:
    """`points_picture` as a PNG data URI, kept for the next frames: the points change only with the data."""
    key = tuple((np.asarray(X, dtype=np.float64).tobytes(), np.asarray(y, dtype=np.float64).tobytes(), len(X), rim)
                for X, y, rim in groups)
    return _points_uri(extent, key, classification)


def png_uri(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def output_figure(xs: np.ndarray, output: np.ndarray, X_train: np.ndarray | None, y_train: np.ndarray | None,
                  X_test: np.ndarray | None, y_test: np.ndarray | None, classification: bool = True,
                  lang: str = "en") -> go.Figure:
    """The output over the plane (P(class 1), or the prediction; hover shows its value) and the points, drawn as
    one picture over it (`points_picture`): training with a white rim, test with a black one, coloured by their
    label on the same scale. The legend names both kinds of points."""
    z = (2 * np.asarray(output) - 1) if classification else np.asarray(output)  # P(1) 0..1 -> -1..1
    output = translate("output", lang)
    extent = float(np.max(np.abs(xs)))
    data = [{"type": "heatmap", "x": xs, "y": xs, "z": z, "zmin": -1, "zmax": 1, "colorscale": COLORSCALE,
             "showscale": False, "name": output,
             "hovertemplate": "x1=%{x:.2f} x2=%{y:.2f} " + output + "=%{z:.2f}<extra></extra>"}]
    groups = []
    for X, y, rim, name in ((X_train, y_train, (255, 255, 255), translate("training points", lang)),
                            (X_test, y_test, (0, 0, 0), translate("test points", lang))):
        if X is None or y is None:
            continue
        groups.append((X, y, rim))
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": name,  # its legend
                     "marker": {"color": "#888", "size": 7, "line": {"color": "rgb(%d,%d,%d)" % rim, "width": 1.5}}})
    images = [{"source": points_uri(extent, groups, classification), "xref": "x", "yref": "y",
               "x": -extent, "y": extent, "sizex": 2 * extent, "sizey": 2 * extent, "sizing": "stretch",
               "layer": "above"}] if groups else []
    layout = {"height": 380, "margin": {"l": 10, "r": 10, "t": 10, "b": 10}, "images": images,
              "legend": {"orientation": "h", "yanchor": "top", "y": -0.02, "x": 0},
              "xaxis": {"range": [-extent, extent], "constrain": "domain", "title": {"text": "x1"}},
              "yaxis": {"range": [-extent, extent], "scaleanchor": "x", "scaleratio": 1, "title": {"text": "x2"}}}
    return go.Figure({"data": data, "layout": layout}, _validate=False)  # redrawn every frame: see network_figure


def finite(values: Sequence[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


MAX_CURVE_POINTS = 500


def curve_epochs(n: int, most: int = MAX_CURVE_POINTS) -> list[int]:
    """The epochs of a curve of n points to draw: all of them up to `most`, else `most` evenly spread, the last in."""
    if n <= most:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, most).round().astype(int).tolist()))


def loss_figure(train_losses: Sequence[float], test_losses: Sequence[float], loss_name: str | None = None,
                lang: str = "en") -> go.Figure:
    """Training and test loss per epoch (epoch 0: the starting weights). A nan/inf point is left out.
    loss_name: the y axis's title, already in `lang` ("loss" when None). A long run is drawn from at most
    MAX_CURVE_POINTS epochs a curve, evenly spread, the last one always in (it is redrawn every frame)."""
    shown = curve_epochs(len(train_losses))
    loss_name = translate("loss", lang) if loss_name is None else loss_name
    data = [{"type": "scatter", "x": shown, "y": finite([train_losses[e] for e in shown]), "mode": "lines",
             "name": translate("training loss", lang), "line": {"color": "#333"}},
            {"type": "scatter", "x": shown, "y": finite([test_losses[e] for e in shown]), "mode": "lines",
             "name": translate("test loss", lang), "line": {"color": "#0877bd", "dash": "dot"}}]
    layout = {"height": 220, "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
              "xaxis": {"title": {"text": translate("epoch", lang)}},
              "yaxis": {"title": {"text": loss_name}, "rangemode": "tozero"},
              "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0}}
    return go.Figure({"data": data, "layout": layout}, _validate=False)  # redrawn every frame: see network_figure


def gradient_figure(magnitudes: Sequence[float], lang: str = "en") -> go.Figure:
    """Mean |gradient| of each layer's weights, first to last, on a log scale."""
    layer = translate("layer {n}", lang)
    names = [layer.format(n=i + 1) for i in range(len(magnitudes) - 1)] + [translate("output layer", lang)]
    fig = go.Figure(go.Bar(x=names, y=[m if m and math.isfinite(m) else None for m in magnitudes],
                           text=[f"{m:.2e}" for m in magnitudes], textposition="outside", marker_color="#0877bd"))
    fig.update_layout(height=280, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis={"type": "log", "title": translate("mean |dL/dW| (log)", lang), "exponentformat": "power"})
    return fig


def landscape_figure(alphas: np.ndarray, betas: np.ndarray, losses: np.ndarray, lang: str = "en") -> go.Figure:
    """Contours of the loss around the current weights (the cross at 0, 0), log-spaced by colour."""
    z = np.log10(np.clip(np.nan_to_num(losses, nan=1e6, posinf=1e6), 1e-6, None))
    fig = go.Figure(go.Contour(x=alphas, y=betas, z=z, colorscale="Viridis", ncontours=24,
                               colorbar={"title": {"text": translate("log10 loss", lang)}}, customdata=losses,
                               hovertemplate="α=%{x:.2f} β=%{y:.2f} " + translate("loss", lang)
                                             + "=%{customdata:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=[0], y=[0], mode="markers", marker={"symbol": "x", "size": 12, "color": "red"},
                             name=translate("the current weights", lang)))
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title=translate("α (direction 1)", lang),
                      yaxis_title=translate("β (direction 2)", lang), legend={"orientation": "h", "y": -0.15})
    return fig
