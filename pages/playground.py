"""Toy playground: TensorFlow Playground in PyTorch. Pick a problem, the input features, the layers and
neurons, and watch every unit's output over the plane change as the network trains."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.playground.code import playground_code
from pytorch_explorer.playground.config import PlaygroundConfig
from pytorch_explorer.playground.data import PlaygroundError
from pytorch_explorer.playground.figures import landscape_figure
from pytorch_explorer.playground.landscape import loss_landscape
from pytorch_explorer.playground.live import FRAME_SECONDS, SLICE_SECONDS
from pytorch_explorer.playground.trainer import PlaygroundTrainer, reset, trainer_for
from pytorch_explorer.toy import runs as toy_runs
from ui import playground as view
from ui.i18n import lang, tr
from ui.settings import report_ignored
from ui.workspace import run_store, workspace


raw_query = ui.settings.snapshot()  # the settings in the address, before the controls take them
st.title(tr("Toy playground"))
ws, store = workspace(), run_store()  # each paused network is kept as a run of this workspace (Runs page)
st.write(tr(
    "TensorFlow Playground, in PyTorch. A small network learns to tell orange points from blue ones (or, for "
    "the regression problems, to draw a surface). Every node of the picture shows **what that unit computes**: "
    "its output at every point of the plane, blue for positive, orange for negative. Press **Play** and watch the "
    "first layer draw lines, the next ones combine them into shapes. Edges are blue for positive weights, orange "
    "for negative ones, and thicker the larger the weight."
))
url_note = st.container()  # filled at the end: a note on the address's values the controls could not take
state = st.session_state
current = state.get("pg_trainer")
try:
    config = view.controls()
except PlaygroundError as exc:  # a hand-typed layers box or an odd address: refused, the last network kept
    st.error(tr("{error} The network below keeps its last usable settings.", error=ui.error_text(exc)))
    config = current.config if isinstance(current, PlaygroundTrainer) else PlaygroundConfig()
trainer = state.pg_trainer = trainer_for(config, current if isinstance(current, PlaygroundTrainer) else None)


def save(run: PlaygroundTrainer) -> None:
    """Record the network's training so far: one run a network, brought up to date (session key pg_run)."""
    known = state.get("pg_run")
    run_id = known[1] if known is not None and known[0] is run else None
    state.pg_run = (run, toy_runs.record_playground(store, ws, run, run_id))
    state.pg_saved_epoch = run.epoch


def set_playing(value: bool) -> None:
    """Play and Pause each set the state rather than flip it, with a key of their own: a click delivered twice
    (a rerun request merged with the panel's own timer) or landing on the other button as the panel redraws
    cannot undo itself."""
    state.pg_playing = value


def play_or_pause(column, now_playing: bool, diverged: bool) -> None:
    if now_playing:
        column.button(tr("Pause"), key="pg_pause", type="primary", on_click=set_playing, args=(False,),
                      width="stretch")
    else:
        column.button(tr("Play"), key="pg_play", type="primary", on_click=set_playing, args=(True,), width="stretch",
                      disabled=diverged)


playing = bool(state.get("pg_playing")) and not trainer.diverged
state.pg_playing = playing
if not playing and trainer.epoch and state.get("pg_saved_epoch") != trainer.epoch and state.get("pg_run"):
    save(trainer)  # paused by a whole-page rerun (not the panel's own): the run is brought up to date all the same
b = st.columns([1, 1, 2, 2], vertical_alignment="center")
if b[0].button(tr("Step"), key="pg_step", width="stretch", disabled=playing or trainer.diverged,
               help=tr("One epoch: every training point once, in mini-batches.")):
    trainer.step(1)
    save(trainer)
if b[1].button(tr("Reset"), key="pg_reset", width="stretch", help=tr("New starting weights, epoch 0.")):
    trainer = state.pg_trainer = reset(trainer)
heatmaps = b[2].toggle(tr("Node heatmaps"), True, key="pg_heatmaps", **ui.settings.KEEP)
show_test = b[3].toggle(tr("Show the test points"), False, key="pg_show_test", **ui.settings.KEEP)


@st.fragment(run_every=FRAME_SECONDS if playing else None)
def live_panel() -> None:
    """While playing: train for a slice of time, then redraw. The model and optimizer live in the trainer, so
    each run goes on where the last stopped. Play / Pause are in here: a click reruns this panel alone, so the
    counter stops at once; then the whole page reruns to start or stop the clock and redraw the rest."""
    net, now_playing = state.pg_trainer, bool(state.get("pg_playing")) and not state.pg_trainer.diverged
    if now_playing and not playing:  # Play was pressed: the page reruns with the clock on
        st.rerun(scope="app")
    if now_playing:
        net.train_for(SLICE_SECONDS)
        if net.diverged:  # stop, record, and redraw the page with Play disabled and the reason shown
            state.pg_playing = False
            save(net)
            st.rerun(scope="app")
    view.draw_live(net, heatmaps, show_test,
                   play_button=lambda column: play_or_pause(column, now_playing, net.diverged))
    if playing and not now_playing:  # Pause was pressed: the counter above is final; record and stop the clock
        if net.epoch:
            save(net)
        st.rerun(scope="app")


with ui.friendly_errors(tr("Drawing the network")):
    live_panel()

st.subheader(tr("Beyond the playground"))
grad_tab, landscape_tab = st.tabs([tr("Gradients per layer"), tr("Loss landscape")])
with grad_tab, ui.friendly_errors(tr("The gradients")):
    st.write(tr("How large the gradient of the loss is for each layer's weights, now (mean |dL/dW| over the training "
             "points). Back-propagation multiplies by each activation's slope on the way back, so with many Sigmoid "
             "layers the first layers get gradients thousands of times smaller: they hardly learn."))
    view.show_gradients(trainer)
with landscape_tab, ui.friendly_errors(tr("The loss landscape")):
    st.write(tr("The training loss around the current weights along two random directions (each rescaled layer by "
             "layer to the size of that layer's weights): the cross is where the network is now."))
    if st.toggle(tr("Draw the landscape (about a second)"), False, key="pg_landscape", **ui.settings.KEEP):
        if playing:
            st.info(tr("Pause to draw the landscape around the weights of that moment."))
        else:
            alphas, betas, losses = loss_landscape(trainer.model, trainer.loss_fn, trainer.inputs_train,
                                                   trainer.targets_train, resolution=17)
            st.plotly_chart(landscape_figure(alphas, betas, losses, lang()), key="pg_landscape_chart")

ui.code_expander(playground_code(trainer.config, max(trainer.epoch, 1)),
                 title=tr("PyTorch code of this network and its training loop ({epochs} epochs)",
                          epochs=max(trainer.epoch, 1)))

with url_note:
    report_ignored(raw_query, view.SETTING_KEYS)
