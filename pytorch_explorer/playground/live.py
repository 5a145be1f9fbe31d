"""One frame of the playground's live panel: what the page draws while a network trains, and what
`python -m pytorch_explorer bench playground` times, from the same code.

While playing, the page trains for SLICE_SECONDS, then draws a `Frame` of the network, and asks for the next
frame every FRAME_SECONDS (st.fragment(run_every=...)).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import plotly.graph_objects as go

from pytorch_explorer.i18n import translate
from pytorch_explorer.playground import figures
from pytorch_explorer.playground.trainer import PlaygroundTrainer, diagnosis

SLICE_SECONDS = 0.12  # training time per frame while playing
FRAME_SECONDS = 0.1   # how often the live panel asks for the next frame
GRID_RESOLUTION = 40  # points a side of the plane drawn in each node and in the output


class Frame:
    """The live panel for the network as it is now: what went wrong in words and its three figures, each made
    when first asked for, so that the page can send one to the browser before it makes the next: with the
    network picture sent first, the playground's browser test counted 5.4-5.9 redraws a second (4 runs, load
    1.9-2.1); with all three made before any was sent, 3.6-5.2 (7 runs). One grid of every unit over the plane
    serves the nodes' pictures and the output."""

    def __init__(self, trainer: PlaygroundTrainer, *, heatmaps: bool = True, show_test: bool = False,
                 selected: tuple[int, int] | None = None, lang: str = "en") -> None:
        self.trainer, self.heatmaps, self.show_test, self.selected, self.lang = trainer, heatmaps, show_test, selected, lang

    @cached_property
    def diagnosis(self) -> Sequence[tuple[str, str]]:
        """(level, message) pairs: diverged, vanishing gradients, ..."""
        return diagnosis(self.trainer, self.trainer.gradient_magnitudes(), self.lang)

    @cached_property
    def _grid(self):
        return self.trainer.node_grids(GRID_RESOLUTION)

    @cached_property
    def network(self) -> go.Figure:
        t = self.trainer
        return figures.network_figure(self._grid[1] if self.heatmaps else None, t.weights(), t.config.features,
                                      self.selected, self.lang)

    @cached_property
    def output(self) -> go.Figure:
        t, (xs, grids) = self.trainer, self._grid
        return figures.output_figure(xs, grids[-1][0], t.X_train, t.y_train, t.X_test if self.show_test else None,
                                     t.y_test, t.config.classification, self.lang)

    @cached_property
    def losses(self) -> go.Figure:
        t = self.trainer
        loss_name = (translate("binary cross-entropy", self.lang) if t.config.classification
                     else translate("mean squared error", self.lang))
        return figures.loss_figure(t.train_losses, t.test_losses, loss_name, self.lang)
