"""Plotly figures for the digit trainer, as functions of plain data (so tests can check them).

- loss_figure: the loss against optimizer steps, drawn live while a run trains (a diverged point stays on
  the chart: the axis stops at loss_ceiling and higher points sit on its top edge with their value);
- accuracy_figure: train and validation accuracy after each epoch;
- runs_overlay_figure: several runs' loss curves and validation accuracies side by side;
- digit_grid_figure: sample digits as one mosaic, each cell titled with its label;
- prediction_grid_figure: the live predictions, each digit framed green (right) or red (wrong) with the
  model's label and its confidence.

Their words (titles, axes, legends, hover texts) are in `lang` ("en" or "zh"); a title given by the caller is
used as it is (the caller translates it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from pytorch_explorer.i18n import DEFAULT, translate

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
CHANCE_LOSS = float(np.log(10))  # cross-entropy of guessing among 10 digits


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(title=title, height=height, margin={"l": 50, "r": 20, "t": 50, "b": 40},
                      legend={"orientation": "h", "y": -0.2}, template="plotly_white")
    return fig


def epoch_tick_step(epochs: int) -> int:
    """A tick every 1, 2, 5 or 10 epochs: at most about 10 ticks, so 30 epochs do not crowd the axis."""
    return next((step for step in (1, 2, 5, 10) if epochs <= 10 * step), 10 * (1 + epochs // 100))


def loss_ceiling(*curves: Sequence[float]) -> float:
    """The loss axis' top: 15 % over the 90th percentile of all the curves' finite points (taken from the
    points, not interpolated towards an outlier) and over ln 10. A spike, a diverged step or an infinite loss
    is among the top 10 % and does not squash the curves flat; a run that is high throughout sets the scale."""
    finite = np.asarray([v for curve in curves for v in curve if np.isfinite(v)], dtype=float)
    typical = float(np.percentile(finite, 90, method="lower")) if finite.size else 0.0
    return 1.15 * max(CHANCE_LOSS, typical)


def clip_losses(losses: Sequence[float], ceiling: float) -> tuple[list[float], list[int]]:
    """The losses with each point above the ceiling (or NaN, or infinite) moved onto it, and where those were."""
    clipped = [i for i, v in enumerate(losses) if not np.isfinite(v) or v > ceiling]
    return [ceiling if not np.isfinite(v) or v > ceiling else float(v) for v in losses], clipped


def _off_scale_markers(fig: go.Figure, steps: Sequence[int], losses: Sequence[float], clipped: list[int],
                       ceiling: float, color: str, name: str, lang: str = DEFAULT, **where: int) -> None:
    """A triangle on the top edge for each clipped point, its real value written beside it."""
    if not clipped:
        return
    fig.add_trace(go.Scatter(x=[steps[i] for i in clipped], y=[ceiling] * len(clipped), mode="markers+text",
                             marker={"symbol": "triangle-up", "size": 11, "color": color}, showlegend=False,
                             text=[f"{losses[i]:.3g}" for i in clipped], textposition="bottom center",
                             name=translate("{name}: off the scale", lang).format(name=name), legendgroup=name,
                             cliponaxis=False), **where)


def loss_figure(steps: Sequence[int], losses: Sequence[float], title: str | None = None,
                total_steps: int | None = None, lang: str = DEFAULT) -> go.Figure:
    """Mean cross-entropy loss per logging window against the optimizer step; a diverged (huge, NaN or
    infinite) loss is drawn on the top edge with its value, so it stays on the chart."""
    ceiling = loss_ceiling(losses)
    y, clipped = clip_losses(losses, ceiling)
    loss = translate("loss", lang)
    fig = go.Figure(go.Scatter(x=list(steps), y=y, mode="lines+markers", name=loss,
                               marker={"size": 4}, line={"color": PALETTE[0]}))
    _off_scale_markers(fig, list(steps), losses, clipped, ceiling, PALETTE[1], loss, lang)
    fig.add_hline(y=CHANCE_LOSS, line={"dash": "dot", "color": "grey"},
                  annotation_text=translate("guessing (ln 10)", lang), annotation_position="top right")
    fig.update_xaxes(title=translate("optimizer step", lang), range=[0, total_steps] if total_steps else None)
    fig.update_yaxes(title=translate("loss (clipped at {ceiling})", lang).format(ceiling=f"{ceiling:.3g}")
                     if clipped else loss, range=[0, ceiling * 1.04])
    return _layout(fig, title or translate("Training loss", lang), 320)


def accuracy_figure(epochs: Sequence[int], train_acc: Sequence[float], val_acc: Sequence[float],
                    title: str | None = None, total_epochs: int | None = None, lang: str = DEFAULT) -> go.Figure:
    """Train and validation accuracy (0-1) per epoch."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(epochs), y=list(train_acc), mode="lines+markers", name=translate("train", lang),
                             line={"color": PALETTE[0]}))
    fig.add_trace(go.Scatter(x=list(epochs), y=list(val_acc), mode="lines+markers", name=translate("validation", lang),
                             line={"color": PALETTE[1]}))
    last = max(total_epochs or 0, max(epochs, default=1))
    fig.update_xaxes(title=translate("epoch", lang), range=[0.5, last + 0.5], tick0=1, dtick=epoch_tick_step(last))
    fig.update_yaxes(title=translate("accuracy", lang), range=[0, 1.02], tickformat=".0%")
    return _layout(fig, title or translate("Accuracy after each epoch", lang), 320)


def runs_overlay_figure(runs: Mapping[str, Mapping[str, Any]], lang: str = DEFAULT) -> go.Figure:
    """Each run's loss curve (left) and validation accuracy per epoch (right); runs maps name -> metrics.

    The loss axis is shared, so it stops at loss_ceiling of all the runs: a spike or a diverged run is drawn
    on its top edge (with its value) instead of squashing the other runs flat; the axis title says so.
    """
    curves = {name: list(metrics.get("loss_history", [])) for name, metrics in runs.items()}
    ceiling = loss_ceiling(*curves.values())
    any_clipped = False
    fig = make_subplots(rows=1, cols=2, subplot_titles=(translate("Loss", lang), translate("Validation accuracy", lang)))
    for i, (name, metrics) in enumerate(runs.items()):
        color = PALETTE[i % len(PALETTE)]
        steps = list(metrics.get("loss_steps", []))
        y, clipped = clip_losses(curves[name], ceiling)
        any_clipped = any_clipped or bool(clipped)
        fig.add_trace(go.Scatter(x=steps, y=y, mode="lines", name=name, legendgroup=name, line={"color": color}),
                      row=1, col=1)
        _off_scale_markers(fig, steps, curves[name], clipped, ceiling, color, name, lang, row=1, col=1)
        val = list(metrics.get("epoch_val_acc", []))
        fig.add_trace(go.Scatter(x=list(range(1, len(val) + 1)), y=val, mode="lines+markers", name=name,
                                 legendgroup=name, showlegend=False, line={"color": color}), row=1, col=2)
    epochs = max((len(m.get("epoch_val_acc", [])) for m in runs.values()), default=1)
    fig.update_xaxes(title=translate("optimizer step", lang), row=1, col=1)
    fig.update_xaxes(title=translate("epoch", lang), tick0=1, dtick=epoch_tick_step(epochs), row=1, col=2)
    loss_title = (translate("loss (clipped at {ceiling}: higher points on the top edge)", lang)
                  .format(ceiling=f"{ceiling:.3g}") if any_clipped else translate("loss", lang))
    fig.update_yaxes(title=loss_title, range=[0, ceiling * 1.04], row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=1, col=2)
    return _layout(fig, translate("Runs compared", lang), 360)


def digit_mosaic(images: np.ndarray, columns: int = 10, gap: int = 2) -> np.ndarray:
    """Tile (N, 28, 28) uint8 digits into one grey image, `gap` pixels of mid-grey between cells."""
    n = len(images)
    rows = max(1, -(-n // columns))
    side = images.shape[1] if n else 28
    cell = side + gap
    mosaic = np.full((rows * cell + gap, columns * cell + gap), 90, dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        mosaic[gap + r * cell: gap + r * cell + side, gap + c * cell: gap + c * cell + side] = image
    return mosaic


def digit_grid_figure(images: np.ndarray, labels: Sequence[int], columns: int = 10,
                      title: str | None = None, lang: str = DEFAULT) -> go.Figure:
    """A grid of digits (white ink on black, as MNIST stores them), each cell titled with its label."""
    images = np.asarray(images, dtype=np.uint8)
    gap, side = 2, images.shape[1] if len(images) else 28
    mosaic = digit_mosaic(images, columns, gap)
    fig = go.Figure(go.Heatmap(z=mosaic, colorscale="gray", zmin=0, zmax=255, showscale=False,
                               hoverinfo="skip"))
    for i, label in enumerate(labels):
        r, c = divmod(i, columns)
        fig.add_annotation(x=gap + c * (side + gap) + 2, y=gap + r * (side + gap) + 2, text=str(int(label)),
                           showarrow=False, xanchor="left", yanchor="top",
                           font={"color": "#ffd54f", "size": 13})
    rows = mosaic.shape[0] / (side + gap)
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    fig.update_layout(title=title or translate("Sample digits", lang), height=int(90 + 62 * rows),
                      margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      template="plotly_white")
    return fig


RIGHT, WRONG, PENDING = "#2e7d32", "#c62828", "#9e9e9e"


def png_data_uri(grey: np.ndarray) -> str:
    """A uint8 greyscale image as a PNG data URI (a few kB, where a heatmap of its pixels is a few hundred)."""
    import base64
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.asarray(grey, dtype=np.uint8), mode="L").save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def prediction_grid_figure(images: np.ndarray, labels: Sequence[int], predicted: Sequence[int] | None = None,
                           confidence: Sequence[float] | None = None, columns: int = 10,
                           title: str | None = None, lang: str = DEFAULT) -> go.Figure:
    """Digits with the model's guess under each: "7 (98%)" in green when it is the label, red when not.

    Without predictions (no model yet) each digit has a grey "?". The digits are one PNG (the figure is
    redrawn live, so it stays small); hovering a digit gives its label, the guess and the confidence.
    """
    images = np.asarray(images, dtype=np.uint8)
    labels = [int(v) for v in labels]
    gap, side = 2, images.shape[1] if len(images) else 28
    band = 12  # rows of mosaic pixels under each digit, for its caption
    n = len(images)
    rows = max(1, -(-n // columns))
    cell_h, cell_w = side + band + gap, side + gap
    mosaic = np.full((rows * cell_h + gap, columns * cell_w + gap), 255, dtype=np.uint8)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        mosaic[gap + r * cell_h: gap + r * cell_h + side, gap + c * cell_w: gap + c * cell_w + side] = image
    fig = go.Figure(go.Image(source=png_data_uri(mosaic), hoverinfo="skip"))
    tips, xs, ys = [], [], []
    for i, label in enumerate(labels):
        r, c = divmod(i, columns)
        x0, y0 = gap + c * cell_w, gap + r * cell_h
        if predicted is None:
            text, color, tip = "?", PENDING, translate("label {label}: no model yet", lang).format(label=label)
        else:
            guess = int(predicted[i])
            sure = float(confidence[i]) if confidence is not None else float("nan")
            color = RIGHT if guess == label else WRONG
            text = f"{guess} ({sure:.0%})"
            tip = translate("label {label}, model says {guess} with {sure}" if guess == label else
                            "label {label}, model says {guess} with {sure}: wrong", lang).format(
                label=label, guess=guess, sure=f"{sure:.1%}")
        tips.append(tip)
        xs.append(x0 + side / 2)
        ys.append(y0 + side / 2)
        fig.add_shape(type="rect", x0=x0 - 1.5, y0=y0 - 1.5, x1=x0 + side + 0.5, y1=y0 + side + 0.5,
                      line={"color": color, "width": 2})
        fig.add_annotation(x=x0 + side / 2, y=y0 + side + band / 2 + 0.5, text=text, showarrow=False,
                           font={"color": color, "size": 12})
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker={"size": 24, "opacity": 0}, text=tips,
                             hovertemplate="%{text}<extra></extra>", showlegend=False))
    fig.update_xaxes(visible=False, range=[0, mosaic.shape[1]], constrain="domain")
    fig.update_yaxes(visible=False, range=[mosaic.shape[0], 0], scaleanchor="x")
    fig.update_layout(title=title or translate("What the model says about 40 validation digits", lang),
                      height=int(90 + 75 * rows), margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      template="plotly_white")
    return fig
