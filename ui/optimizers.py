"""Streamlit glue for the Optimizers page: its controls and the views of a race.

The numbers come from `pytorch_explorer.optim` (tested there); these functions read widgets (keys `op_*`,
each bound to the URL) and draw what they are given. The page (pages/optimizers.py) calls them.
Every text goes through `tr` (English or Chinese), the options of the selects too: `ui.settings.choice` keeps
the option itself in the URL (`?op_surface=rosenbrock`), so a shared link opens in either language.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from pytorch_explorer.optim import figures
from pytorch_explorer.optim.optimizers import RACER_TITLES, RACERS, STATE_EXPLANATIONS, UPDATE_RULES, OptimizerSpec, racer_spec
from pytorch_explorer.optim.schedulers import SCHEDULER_ABOUT, SCHEDULER_TITLES, SCHEDULERS, SchedulerSpec
from pytorch_explorer.optim.surfaces import CUSTOM, CUSTOM_RANGE, SURFACES, Surface, custom_surface
from pytorch_explorer.optim.trajectory import Path, new_paths, race, record, state_rows, summary_rows
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

LR_CHOICES = [1e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3, 5e-3, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5,
              1.0, 2.0, 3.0, 5.0, 10.0]
SURFACE_CHOICES = [*SURFACES, CUSTOM]
SURFACE_TITLES = {**{name: s.title for name, s in SURFACES.items()}, CUSTOM: "Your own formula"}
DEFAULT_RACERS = ["sgd", "momentum", "adam"]
DEFAULT_FORMULA = "x**2 + 3*y**2 + 2*torch.sin(2*x)"
GAMMAS = [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9]
WEIGHT_DECAYS = [0.0, 1e-4, 1e-3, 0.01, 0.1, 0.5, 1.0]
BETA2S = [0.9, 0.95, 0.99, 0.999, 0.9999]
CHART_KEY = "op_chart"
BASE_KEYS = ["op_surface", "op_formula", "op_racers", "op_momentum", "op_beta1", "op_beta2", "op_wd", "op_steps",
             "op_sched", "op_step_size", "op_gamma", "op_factor", "op_patience", "op_step"]
SUMMARY_COLUMNS = ("optimizer", "lr", "x", "y", "loss", "distance to nearest minimum", "ended")


def start_keys(surface: str) -> tuple[str, str]:
    return f"op_x0_{surface}", f"op_y0_{surface}"


def lr_key(surface: str, racer: str) -> str:
    return f"op_lr_{surface}_{racer}"


def setting_keys() -> list[str]:
    """Every control this page can show: the fixed ones, and the start point and lrs of each surface."""
    keys = list(BASE_KEYS)
    for surface in SURFACE_CHOICES:
        keys += [*start_keys(surface), *(lr_key(surface, r) for r in RACERS)]
    return keys


def shown_keys(surface: str, racers: list[str]) -> list[str]:
    """The controls this run of the page showed (those of other surfaces keep their URL values unused)."""
    return [*BASE_KEYS, *start_keys(surface), *(lr_key(surface, r) for r in racers)]


def nearest_choice(value: float, choices: list[float]) -> float:
    return min(choices, key=lambda c: abs(c - value))


def region_of(name: str) -> tuple[tuple[float, float], tuple[float, float]]:
    if name == CUSTOM:
        return CUSTOM_RANGE, CUSTOM_RANGE
    return SURFACES[name].x_range, SURFACES[name].y_range


def apply_click() -> None:
    """A click on the race plot (a point of its invisible grid) becomes the start point of this surface.

    Runs before the start-point inputs are drawn (a widget's value can only be set before it is drawn);
    each click is applied once, so typing a start point afterwards is not overridden."""
    state = st.session_state.get(CHART_KEY)
    name = st.session_state.get("op_surface", SURFACE_CHOICES[0])
    try:
        point = state["selection"]["points"][0]
        x, y = float(point["x"]), float(point["y"])
    except (KeyError, IndexError, TypeError, ValueError):
        return
    token = (name, x, y)
    if name not in SURFACE_CHOICES or st.session_state.get("op_last_click") == token:
        return
    st.session_state["op_last_click"] = token
    (x0, x1), (y0, y1) = region_of(name)
    kx, ky = start_keys(name)
    st.session_state[kx] = round(min(max(x, x0), x1), 2)
    st.session_state[ky] = round(min(max(y, y0), y1), 2)


def surface_controls() -> tuple[Surface, tuple[float, float]]:
    """The surface (a built-in or the learner's formula, checked) and the start point."""
    c1, c2, c3 = st.columns([3, 1, 1])
    name = choice(c1.selectbox, tr("Loss surface"), SURFACE_CHOICES, labels=SURFACE_TITLES, key="op_surface")
    (x0, x1), (y0, y1) = region_of(name)
    default = SURFACES[name].start if name in SURFACES else (-2.0, 2.0)
    kx, ky = start_keys(name)
    sx = c2.number_input(tr("Start x"), x0, x1, float(default[0]), step=0.1, format="%.2f", key=kx, **KEEP)
    sy = c3.number_input(tr("Start y"), y0, y1, float(default[1]), step=0.1, format="%.2f", key=ky, **KEEP,
                         help=tr("Or click on the plot below to start there."))
    start = (float(sx), float(sy))
    if name != CUSTOM:
        surface = SURFACES[name]
        st.caption(tr(surface.about))  # the surfaces' texts are catalogue keys
        return surface, start
    formula = st.text_input(
        tr("f(x, y) ="), DEFAULT_FORMULA, max_chars=300, key="op_formula", **KEEP,
        help=tr("x and y are numbers; use + − * / **, numbers and torch functions such as torch.sin, torch.exp, "
                "torch.log, torch.abs. It is computed by the app's safe expression language, never by eval."))
    st.caption(tr("Your formula is drawn over x and y in [{low}, {high}]. Try "
                  "`torch.sin(3*x) * torch.cos(3*y) + 0.1*(x**2 + y**2)` (many local minima).",
                  low=f"{CUSTOM_RANGE[0]:g}", high=f"{CUSTOM_RANGE[1]:g}"))
    return custom_surface(formula, start, lang=lang()), start


def racer_controls(surface: Surface) -> dict[str, OptimizerSpec]:
    """The optimizers in the race, each with its own learning rate, and the settings they share."""
    racers = choice(st.multiselect, tr("Optimizers in the race"), list(RACERS), default=DEFAULT_RACERS,
                    labels=RACER_TITLES, key="op_racers")
    lrs = {}
    if racers:
        columns = st.columns(min(len(racers), 4))
        for i, racer in enumerate(racers):
            lrs[racer] = columns[i % len(columns)].select_slider(
                tr("lr · {name}", name=tr(RACER_TITLES[racer])), LR_CHOICES, value=nearest_choice(surface.suggested_lr(racer), LR_CHOICES),
                key=lr_key(surface.name, racer), **KEEP,
                help=tr("Each optimizer has its own learning rate: SGD needs a much smaller one than Adam on a steep "
                        "surface. The default suits this surface."))
    with st.expander(tr("Momentum, betas, weight decay")):
        c1, c2, c3, c4 = st.columns(4)
        momentum = c1.slider(tr("momentum (SGD + momentum, Nesterov)"), 0.0, 0.99, 0.9, step=0.01, key="op_momentum",
                             **KEEP)
        beta1 = c2.slider(tr("beta1 (Adam, AdamW)"), 0.0, 0.999, 0.9, step=0.001, format="%.3f", key="op_beta1", **KEEP)
        beta2 = c3.select_slider(tr("beta2 (Adam, AdamW)"), BETA2S, value=0.999, key="op_beta2", **KEEP)
        weight_decay = c4.select_slider(tr("weight decay (all)"), WEIGHT_DECAYS, value=0.0, key="op_wd", **KEEP,
                                        help=tr("AdamW decays the weights directly; the others add weight_decay·p to "
                                                "the gradient (L2). Here it pulls the optimum towards (0, 0)."))
    return {racer: racer_spec(racer, float(lrs[racer]), momentum=float(momentum), betas=(float(beta1), float(beta2)),
                              weight_decay=float(weight_decay), lang=lang()) for racer in racers}


def schedule_controls() -> tuple[SchedulerSpec, int]:
    """The number of steps and the learning-rate scheduler every optimizer uses."""
    c1, c2, c3, c4 = st.columns(4)
    steps = c1.slider(tr("Steps"), 10, 1000, 200, step=10, key="op_steps", **KEEP)
    kind = choice(c2.selectbox, tr("lr scheduler"), SCHEDULERS, labels=SCHEDULER_TITLES, key="op_sched")
    settings: dict[str, Any] = {}
    if kind == "steplr":
        settings["step_size"] = c3.slider(tr("step_size"), 1, 500, 50, key="op_step_size", **KEEP)
        settings["gamma"] = c4.select_slider(tr("gamma"), GAMMAS, value=0.5, key="op_gamma", **KEEP)
    elif kind == "plateau":
        settings["factor"] = c3.select_slider(tr("factor"), GAMMAS, value=0.5, key="op_factor", **KEEP)
        settings["patience"] = c4.slider(tr("patience"), 0, 100, 10, key="op_patience", **KEEP)
    st.caption(f"**{tr(SCHEDULER_TITLES[kind])}**: {tr(SCHEDULER_ABOUT[kind])}")
    return SchedulerSpec(kind, **settings), int(steps)


def race_paths(surface: Surface, specs: dict[str, OptimizerSpec], start: tuple[float, float], steps: int,
               scheduler: SchedulerSpec) -> dict[str, Path]:
    """Run the race (the package's generator, a progress bar while it runs), or reuse the last one when
    nothing changed (moving the step slider redraws without racing again)."""
    language = lang()  # a divergence is said in the page's language: a switch races again (same numbers)
    key = (surface.name, surface.source, tuple(specs.items()), start, steps, scheduler, language)
    cached = st.session_state.get("op_race")
    if cached is not None and cached[0] == key:
        return cached[1]
    paths = new_paths(specs)
    bar = st.progress(0.0, text=tr("racing..."))
    for event in race(surface, specs, start, steps, scheduler, language):
        record(paths, event)
        if event.step % 25 == 0:
            bar.progress(event.step / steps, text=tr("step {step} of {steps}", step=event.step, steps=steps))
    bar.empty()
    st.session_state["op_race"] = (key, paths)
    return paths


def show_race(surface: Surface, paths: dict[str, Path], step: int) -> None:
    """The contour race (click to choose a start) beside the lr and loss curves."""
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(figures.race_figure(surface, paths, step, lang=lang()), key=CHART_KEY, on_select="rerun",
                        selection_mode="points", config={"scrollZoom": False})
        st.caption(tr("▶ Play animates the race; click anywhere on the plot to start from there. The star marks "
                      "the minimum; a × marks where a path diverged."))
    with right:
        st.plotly_chart(figures.lr_figure(paths, step, lang()), key="op_lr_chart")
        st.plotly_chart(figures.loss_figure(paths, step, lang()), key="op_loss_chart")


def show_outcomes(surface: Surface, paths: dict[str, Path]) -> None:
    """How each optimizer ended, and a warning in words for each that diverged."""
    for path in paths.values():
        if path.message:
            st.warning(tr("**{name}** (lr {lr}) {message}", name=tr(path.title), lr=f"{path.spec.lr:g}",
                          message=path.message), icon=":material/warning:")
    headers = column_titles()
    table = pd.DataFrame(summary_rows(surface, paths, lang()), columns=list(SUMMARY_COLUMNS)).rename(columns=headers)
    st.dataframe(table, hide_index=True, key="op_summary", column_config={
        headers[c]: st.column_config.NumberColumn(format="%.5g") for c in ("x", "y", "loss", "distance to nearest minimum")})


def column_titles() -> dict[str, str]:
    """The tables' column headers in the page's language (the package's rows keep English keys; the state's
    own keys, torch's names, stay as they are)."""
    return {"optimizer": tr("optimizer"), "lr": tr("lr"), "x": "x", "y": "y", "loss": tr("loss"),
            "distance to nearest minimum": tr("distance to nearest minimum"), "ended": tr("ended"),
            "step shown": tr("step shown")}


def show_state(paths: dict[str, Path], step: int) -> None:
    """optimizer.state after `step` steps, for every optimizer, and what each entry means."""
    table = pd.DataFrame(state_rows(paths, step, lang())).fillna("—")  # —: this optimizer keeps no such entry
    st.dataframe(table.rename(columns=column_titles()), hide_index=True, key="op_state_table")
    st.caption(tr("— : this optimizer keeps no such entry (plain SGD keeps nothing at all)."))
    keys = sorted({k for path in paths.values() for k in path.states[path.at(step)]})
    if keys:
        about = {k: tr(STATE_EXPLANATIONS[k]) if k in STATE_EXPLANATIONS else tr("kept by this optimizer.") for k in keys}
        st.markdown("\n".join(f"- `{k}`: {about[k]}" for k in keys))
    if step == 0:
        st.caption(tr("At step 0 these optimizers have no state yet: torch.optim creates it on the first `opt.step()` "
                      "(Adagrad alone builds its `sum`, zeros, with the optimizer)."))
    racers = [path.key for path in paths.values() if path.key in UPDATE_RULES]
    st.markdown(tr("**The update rules** (g is the gradient, lr the learning rate)") + "\n\n" +
                "\n".join(f"- **{tr(RACER_TITLES[r])}**: {tr(UPDATE_RULES[r])}" for r in racers))
