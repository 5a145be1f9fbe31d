"""Optimizers: real torch.optim optimizers race over 2-D loss surfaces; their paths, learning-rate schedules,
what each keeps in optimizer.state, and where a learning rate too high makes one diverge."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.optim.code import race_code
from ui import optimizers as view
from ui.i18n import tr
from ui.settings import report_ignored

raw_query = ui.settings.snapshot()  # the settings in the address, before the controls take them

st.title(tr("Optimizers"))
st.write(tr(
    "The article trains its digit network with `torch.optim.Adam(model.parameters(), lr=...)`. What does an "
    "optimizer actually do? Here real `torch.optim` optimizers move a parameter with just two numbers, "
    "p = [x, y], downhill on a loss surface f(x, y) you can see. Each step is PyTorch's usual loop: "
    "`opt.zero_grad()`, `loss = f(p)`, `loss.backward()`, `opt.step()`. Pick a surface and the optimizers "
    "to race, then watch how momentum, adaptive learning rates and schedules change the path, and what a "
    "learning rate too high does."
))
url_note = st.container()  # filled at the end: a note on the address's values the controls could not take

surface, specs, paths, racers = None, {}, {}, []
with ui.friendly_errors(tr("Those settings")):
    view.apply_click()  # a click on the plot (last run) moves the start point, before its inputs are drawn
    surface, start = view.surface_controls()
    specs = view.racer_controls(surface)
    racers = list(specs)
    scheduler, steps = view.schedule_controls()
    if not specs:
        st.info(tr("Choose at least one optimizer to race."))
    else:
        paths = view.race_paths(surface, specs, start, steps, scheduler)

with ui.friendly_errors(tr("Drawing the race")):
    if surface is not None and paths:
        step = st.slider(tr("Show the optimizers at step"), 0, steps, steps, key="op_step", **ui.settings.KEEP,
                         help=tr("Moves the dots on the plot and the line on the curves, and shows optimizer.state "
                                 "below as it was after this many steps."))
        view.show_race(surface, paths, step)
        view.show_outcomes(surface, paths)

        st.subheader(tr("Inside the optimizers after step {step}: `optimizer.state`", step=step))
        st.write(tr(
            "An optimizer remembers something about past gradients in `optimizer.state[p]`, one entry per parameter "
            "(here the single tensor p). That memory is what makes them differ: plain SGD keeps nothing, momentum "
            "keeps a velocity, Adagrad a sum of squared gradients, RMSprop and Adam moving averages. The table shows "
            "it for the step chosen above (a path that diverged shows its last good step)."
        ))
        view.show_state(paths, step)
        ui.code_expander(race_code(surface, list(specs.values()), start, steps, scheduler),
                         title=tr("PyTorch code of this race, with these settings"))

with url_note:
    shown = view.shown_keys(surface.name if surface is not None else "", racers)
    others = set(view.setting_keys()) - set(shown)
    report_ignored({k: v for k, v in raw_query.items() if k not in others}, shown)
