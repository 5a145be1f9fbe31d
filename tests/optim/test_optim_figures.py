"""The race figure, the lr and loss curves: what they draw, and that nothing not finite is drawn."""

from __future__ import annotations

import math

from pytorch_explorer.optim.figures import MAX_FRAMES, frame_steps, loss_figure, lr_figure, race_figure
from pytorch_explorer.optim.optimizers import OptimizerSpec
from pytorch_explorer.optim.schedulers import SchedulerSpec
from pytorch_explorer.optim.surfaces import SURFACES
from pytorch_explorer.optim.trajectory import run


def paths_for(surface, steps=80, scheduler=None):
    return {"sgd": run(surface, OptimizerSpec("sgd", 0.5, label="SGD"), (0.0, 1.0), steps, scheduler, key="sgd"),
            "adam": run(surface, OptimizerSpec("adam", 0.05, label="Adam"), (0.0, 1.0), steps, scheduler, key="adam")}


def test_the_race_figure_draws_paths_minima_and_frames():
    surface = SURFACES["quadratic"]
    paths = paths_for(surface)
    fig = race_figure(surface, paths, step=2)
    names = [t.name for t in fig.data]
    assert len(fig.layout.images) == 1 and fig.layout.images[0].layer == "below"  # the surface, behind the paths
    assert fig.data[0].name == "click to start here" and fig.data[0].marker.opacity == 0
    assert {"SGD", "Adam", "minimum", "start point", "SGD diverged"} <= set(names)
    assert len(fig.data[names.index("Adam")].x) == 81 and len(fig.data[names.index("SGD")].x) == 3
    for trace in fig.data:
        assert all(math.isfinite(v) for v in trace.x) and all(math.isfinite(v) for v in trace.y)
    assert 1 < len(fig.frames) <= MAX_FRAMES
    assert fig.frames[-1].name == "80" and fig.layout.sliders[0].steps[-1].label == "80"
    # the dots are where the optimizers are at the chosen step (SGD stopped at its last good point)
    dots = {t.name: (t.x[0], t.y[0]) for t in fig.data if " at step " in (t.name or "")}
    assert dots["Adam at step 2"] == paths["adam"].points[2] and dots["SGD at step 2"] == paths["sgd"].points[2]
    last = fig.frames[-1].data  # the animation moves the dots; SGD's stays where its path was cut
    assert (last[1].x[0], last[1].y[0]) == paths["adam"].points[80] and (last[0].x[0], last[0].y[0]) == paths["sgd"].points[2]
    assert list(fig.layout.xaxis.range) == [-4.0, 4.0]


def test_frame_steps():
    assert frame_steps(5) == [0, 1, 2, 3, 4, 5]
    many = frame_steps(1000)
    assert many[0] == 0 and many[-1] == 1000 and len(many) <= MAX_FRAMES


def test_the_curves_follow_the_scheduler_and_the_loss():
    surface = SURFACES["himmelblau"]
    paths = paths_for(surface, 40, SchedulerSpec("steplr", step_size=10, gamma=0.5))
    lr = lr_figure(paths, step=5)
    adam = next(t for t in lr.data if t.name == "Adam")
    assert list(adam.y) == paths["adam"].lrs and adam.y[-1] == 0.05 * 0.5**3
    loss = loss_figure(paths)
    assert list(next(t for t in loss.data if t.name == "Adam").y) == paths["adam"].losses
    assert loss.layout.yaxis.type == "log"  # Himmelblau is never below 0


def test_the_surface_picture_has_bands_lines_and_holes():
    import numpy as np

    from pytorch_explorer.optim.figures import surface_image
    from pytorch_explorer.optim.surfaces import custom_surface, grid

    _, _, z = grid(SURFACES["himmelblau"], 60)
    image = np.asarray(surface_image(z, pixels=100))
    assert image.shape == (100, 100, 3) and len({tuple(p) for p in image.reshape(-1, 3)}) > 20
    _, _, holes = grid(custom_surface("torch.log(x) + y**2", (1.0, 1.0)), 60)
    picture = np.asarray(surface_image(holes, pixels=100))
    assert (picture[:, :40] == (220, 220, 220)).all()  # x < 0: log is undefined there, drawn grey
