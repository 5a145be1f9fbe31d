"""The toy page's figures (toy.figures)."""

from __future__ import annotations

from pytorch_explorer.toy import figures as toy_figures
from pytorch_explorer.toy import speed as toy_speed
from pytorch_explorer.toy.settings import IMPLEMENTATION_TITLES


def test_loss_curves_figure_has_one_named_line_per_version_and_thins_long_runs():
    fig = toy_figures.loss_curves_figure({"torch-article": [0.3] * 20_000, "numpy": [0.2, 0.1, 0.05]})
    assert [t.name for t in fig.data] == [IMPLEMENTATION_TITLES["numpy"], IMPLEMENTATION_TITLES["torch-article"]]
    assert len(fig.data[1].x) <= toy_figures.MAX_POINTS and fig.data[1].x[-1] == 20_000
    assert fig.layout.yaxis.type == "log"


def test_speed_figure_names_each_version_and_device():
    bars = toy_figures.speed_figure([toy_speed.SpeedRow("tiny", "numpy", "cpu", 5, 0.1).as_dict()])
    assert bars.data[0].name == "numpy (cpu)"
