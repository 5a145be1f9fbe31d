"""Plotly figures of a race, built from plain data (the paths) so tests can check them without a browser.

- `race_figure`: the surface's contour, every optimizer's path, its position at the chosen step, the
  known minima, and animation frames (a Play button and a slider over the steps). The contour is a
  picture behind the plot (`surface_image`), not a contour trace: plotly.js blanks contour and heatmap
  traces when an animation starts (plotly.js issue 4491), while layout images stay;
- `lr_figure` and `loss_figure`: the learning rate and the loss per step, one line per optimizer.

A path that diverged is drawn up to its last good point and marked with an ×; nothing not finite is drawn.
Titles, axis labels, legend names, hover texts and the Play/Pause buttons are in `lang` (English by default);
an optimizer's name goes through the catalogue too ("SGD + momentum"; class names stay as they are).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from PIL import Image

from pytorch_explorer.i18n import translate
from pytorch_explorer.optim.optimizers import RACER_COLORS
from pytorch_explorer.optim.surfaces import Surface, grid
from pytorch_explorer.optim.trajectory import Path

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf", "#e377c2"]
MAX_FRAMES = 60
CLICK_GRID = 41  # invisible points a click on the plot can select, to choose a start point
IMAGE_PIXELS = 480  # the surface picture's width and height
BANDS = 24  # colour bands of the surface picture; their edges are its contour lines
UNDEFINED_RGB = (220, 220, 220)  # where a typed formula is not finite


def color_of(path: Path, index: int) -> str:
    return RACER_COLORS.get(path.key) or PALETTE[index % len(PALETTE)]


def frame_steps(steps: int, most: int = MAX_FRAMES) -> list[int]:
    """The steps the animation shows: all of them, or `most` evenly spaced ones, always 0 and the last."""
    if steps + 1 <= most:
        return list(range(steps + 1))
    return sorted({int(round(v)) for v in np.linspace(0, steps, most)})


def contour_levels(z: np.ndarray) -> np.ndarray:
    """The surface as drawn: log(1 + f − min f), so a valley and a cliff both show their shape."""
    finite = z[np.isfinite(z)]
    low = float(finite.min()) if finite.size else 0.0
    return np.log1p(np.clip(z - low, 0, None))


def surface_image(z: np.ndarray, pixels: int = IMAGE_PIXELS, bands: int = BANDS) -> Image.Image:
    """A contour picture of the grid z (row 0 at the lowest y): Viridis colour bands of contour_levels(z)
    with a darker line where the band changes, grey where f is not finite; row 0 of the picture is the top."""
    levels = contour_levels(z)
    finite = np.isfinite(levels)
    low, high = (float(levels[finite].min()), float(levels[finite].max())) if finite.any() else (0.0, 1.0)
    scaled = np.where(finite, (levels - low) / max(high - low, 1e-12), -1.0).astype(np.float32)
    smooth = np.asarray(Image.fromarray(np.ascontiguousarray(scaled[::-1])).resize((pixels, pixels), Image.Resampling.BILINEAR))
    band = np.clip(np.floor(smooth * bands), 0, bands - 1).astype(int)
    palette = np.array([plotly.colors.unlabel_rgb(c) for c in plotly.colors.sample_colorscale(
        "Viridis", list(np.linspace(0, 1, bands)))], dtype=float)
    rgb = palette[band]
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    rgb[edge] *= 0.55
    rgb[smooth < 0] = UNDEFINED_RGB
    return Image.fromarray(rgb.astype(np.uint8))


def _markers(paths: Sequence[Path], step: int, lang: str = "en") -> list[go.Scatter]:
    traces = []
    for i, path in enumerate(paths):
        x, y = path.points[path.at(step)]
        title, at = translate(path.title, lang), path.at(step)
        traces.append(go.Scatter(x=[x], y=[y], mode="markers",
                                 name=translate("{name} at step {step}", lang).format(name=title, step=at),
                                 marker={"size": 13, "color": color_of(path, i), "line": {"width": 2, "color": "white"}},
                                 showlegend=False, hovertemplate=f"{title}<br>" + translate("step {step}", lang).format(
                                     step=at) + "<br>x=%{x:.4f}<br>y=%{y:.4f}<extra></extra>"))
    return traces


def race_figure(surface: Surface, paths: Mapping[str, Path], step: int, height: int = 560,
                lang: str = "en") -> go.Figure:
    """The contour of `surface` with every path, the optimizers at `step`, and frames to animate them."""
    xs, ys, z = grid(surface)
    click = translate("click to start here", lang)
    fig = go.Figure()
    (x0, x1), (y0, y1) = surface.x_range, surface.y_range
    fig.add_layout_image(source=surface_image(z), xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
                         sizing="stretch", layer="below", opacity=0.9)
    pick = np.linspace(0, len(xs) - 1, CLICK_GRID).round().astype(int)  # grid points a click can land on
    gx, gy = np.meshgrid(xs[pick], ys[pick])
    fz = z[np.ix_(pick, pick)]
    fig.add_trace(go.Scatter(x=gx.ravel().tolist(), y=gy.ravel().tolist(), mode="markers", name=click,
                             marker={"size": 9, "opacity": 0}, showlegend=False,
                             customdata=np.where(np.isfinite(fz), fz, None).ravel().tolist(),
                             hovertemplate="f(%{x:.2f}, %{y:.2f}) = %{customdata:.4g}<br>" + click + "<extra></extra>"))
    if surface.minima:
        fig.add_trace(go.Scatter(x=[m[0] for m in surface.minima], y=[m[1] for m in surface.minima], mode="markers",
                                 name=translate("minimum", lang), marker={"symbol": "star", "size": 16, "color": "gold",
                                                         "line": {"width": 1, "color": "black"}}))
    ordered = list(paths.values())
    for i, path in enumerate(ordered):
        px, py = zip(*path.points, strict=True)
        title = translate(path.title, lang)
        fig.add_trace(go.Scatter(x=px, y=py, mode="lines+markers", name=title,
                                 line={"color": color_of(path, i), "width": 2}, marker={"size": 3},
                                 hovertemplate=f"{title}<br>x=%{{x:.4f}}<br>y=%{{y:.4f}}<extra></extra>"))
        if path.diverged_at is not None:  # the × at its last point inside the plot (later ones are off the plot)
            inside = [q for q in path.points if surface.contains(*q)] or path.points[:1]
            fig.add_trace(go.Scatter(x=[inside[-1][0]], y=[inside[-1][1]], mode="markers+text", text=[translate("diverged (step {step})", lang).format(step=path.diverged_at)],
                                     textposition="top right" if inside[-1][0] < (x0 + x1) / 2 else "top left",
                                     name=translate("{name} diverged", lang).format(name=title), showlegend=False,
                                     textfont={"color": color_of(path, i), "size": 14},
                                     marker={"symbol": "x", "size": 14, "color": color_of(path, i)}))
    start = ordered[0].points[0] if ordered else surface.start
    fig.add_trace(go.Scatter(x=[start[0]], y=[start[1]], mode="markers", name=translate("start point", lang),
                             marker={"symbol": "circle-open", "size": 16, "color": "white", "line": {"width": 3}}))
    first_marker = len(fig.data)
    for trace in _markers(ordered, step, lang):
        fig.add_trace(trace)
    marker_ids = list(range(first_marker, len(fig.data)))
    shown = frame_steps(max((len(p.points) - 1 for p in ordered), default=0))
    fig.frames = [go.Frame(name=str(k), traces=marker_ids, data=[  # only where the dots are: their style stays
        {"type": "scatter", "x": [p.points[p.at(k)][0]], "y": [p.points[p.at(k)][1]]} for p in ordered]) for k in shown]
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 30, "b": 100},
        xaxis={"range": [x0, x1], "title": "x", "showgrid": False, "zeroline": False},
        yaxis={"range": [y0, y1], "title": "y", "showgrid": False, "zeroline": False},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        clickmode="event+select", hovermode="closest", dragmode=False,
        updatemenus=[{"type": "buttons", "direction": "left", "x": 0.0, "y": -0.13, "xanchor": "left", "yanchor": "top",
                      "showactive": False, "pad": {"t": 0, "r": 10}, "buttons": [
                          {"label": translate("▶ Play", lang), "method": "animate",
                           "args": [None, {"frame": {"duration": 80, "redraw": False}, "fromcurrent": True,
                                           "transition": {"duration": 0}}]},
                          {"label": translate("❚❚ Pause", lang), "method": "animate",
                           "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}]}],
        sliders=[{"active": min(range(len(shown)), key=lambda i: abs(shown[i] - step)), "x": 0.22, "len": 0.78, "y": -0.1, "yanchor": "top", "pad": {"t": 0},
                  "currentvalue": {"prefix": translate("step ", lang), "visible": True, "xanchor": "right"},
                  "steps": [{"label": str(k), "method": "animate",
                             "args": [[str(k)], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
                            for k in shown]}],
    )
    return fig


def _per_step_figure(paths: Mapping[str, Path], values: str, title: str, y_title: str, step: int | None,
                     log_y: bool, lang: str = "en") -> go.Figure:
    fig = go.Figure()
    for i, path in enumerate(paths.values()):
        series = getattr(path, values)[: len(path.points)]
        fig.add_trace(go.Scatter(x=list(range(len(series))), y=series, mode="lines", name=translate(path.title, lang),
                                 line={"color": color_of(path, i), "width": 2}))
    if step is not None:
        fig.add_vline(x=step, line={"dash": "dot", "color": "grey"})
    fig.update_layout(height=270, margin={"l": 10, "r": 10, "t": 40, "b": 10}, title=title, xaxis_title=translate("optimizer step", lang),
                      yaxis_title=y_title, showlegend=False)
    if log_y:
        fig.update_yaxes(type="log", exponentformat="power")
    return fig


def lr_figure(paths: Mapping[str, Path], step: int | None = None, lang: str = "en") -> go.Figure:
    """The learning rate each step used, per optimizer (what the scheduler did)."""
    log_y = len({p.spec.lr for p in paths.values()}) > 1
    return _per_step_figure(paths, "lrs", translate("Learning rate per step", lang),
                            translate("lr (log)", lang) if log_y else translate("lr", lang), step, log_y, lang)


def loss_figure(paths: Mapping[str, Path], step: int | None = None, lang: str = "en") -> go.Figure:
    """The loss at each step, per optimizer (log scale when every loss is positive)."""
    log_y = all(v > 0 for p in paths.values() for v in p.losses)
    return _per_step_figure(paths, "losses", translate("Loss per step", lang),
                            translate("f(x, y) (log)", lang) if log_y else "f(x, y)", step, log_y, lang)
