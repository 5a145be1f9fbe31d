"""Toy networks: the article's 4-3-1 network five ways, trained live, its defects, a gradient
check, numpy vs torch speed, and a pointer to the Toy playground page (the 2-D playground moved there)."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.errors import StreamlitAPIException

import ui
import ui.settings
from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy import runs as toy_runs
from pytorch_explorer.toy import speed as toy_speed
from pytorch_explorer.toy.gradcheck import gradient_check
from pytorch_explorer.toy.settings import IMPLEMENTATION_TITLES as TITLES
from pytorch_explorer.toy.settings import IMPLEMENTATIONS, loss_name
from pytorch_explorer.toy.training import side_by_side_results
from ui import toy_networks as view
from ui.i18n import lang, tr
from ui.settings import report_ignored
from ui.workspace import run_store, workspace

raw_query = ui.settings.snapshot()  # the settings in the address, before the controls take them

st.title(tr("Toy networks"))
ws, store = workspace(), run_store()  # trainings are kept as runs of this browser's workspace (see the Runs page)
st.write(tr(
    "The article's central comparison: one tiny network (4 inputs, 3 hidden sigmoid units, 1 sigmoid "
    "output) learns X = [[1,0,1,0], [1,0,1,1], [0,1,0,1]] → y = [1, 1, 0] with hand-written "
    "back-propagation, **once in numpy and once in PyTorch**, and the two programs are near twins. "
    "Here it runs five ways side by side, including the article's PyTorch code exactly as printed "
    "(it has two bugs) and the versions PyTorch would have you write (autograd, `nn` + `optim`)."
))
url_note = st.container()  # filled at the end: a note on the address's values the controls could not take
tab_article, tab_gradients, tab_speed, tab_playground = st.tabs(
    [tr("The article's network"), tr("Gradient check"), tr("Speed"), tr("Playground (2-D)")]
)

settings = None
with tab_article, ui.friendly_errors(tr("Those settings")):
    settings = view.toy_settings_controls()
    impls = ui.settings.choice(
        st.multiselect, tr("Train these side by side"), IMPLEMENTATIONS, default=["numpy", "torch-article"],
        labels=TITLES, key="toy_impls",
        help=tr("1 and 3: the same hand-written back-propagation in numpy and in PyTorch; 2: the article's PyTorch "
                "code as printed, with its bugs; 4: autograd computes the gradients; 5: nn.Sequential and "
                "torch.optim do it all."))
    train_clicked = st.button(tr("Train side by side"), type="primary", key="toy_train", disabled=not impls)
    chart = st.empty()
    progress = st.empty()
    if train_clicked:  # the curves are redrawn after every round of all chosen versions
        bar, started, results = progress.progress(0.0, text=tr("starting")), time.perf_counter(), {}
        try:
            for results in side_by_side_results(impls, settings):
                st.session_state.toy_results = results
                view.show_loss_curves(chart, results)
                epoch = results[impls[-1]].epochs
                bar.progress(epoch / settings.epochs, text=tr("epoch {n} of {total}", n=epoch, total=settings.epochs))
        finally:  # also when a click cuts it short: what was learned so far is kept as "stopped" runs
            toy_runs.record_side_by_side(store, ws, results, time.perf_counter() - started)
        progress.empty()
    elif not st.session_state.get("toy_results"):  # a new session (a reload): the workspace's last training
        if stored := toy_runs.latest_side_by_side(store, ws):
            st.session_state.toy_results = stored
    results = st.session_state.get("toy_results", {})
    if results:
        view.show_loss_curves(chart, results, key="toy_loss_chart")
        if next(iter(results.values())).settings != settings:
            st.caption(tr("These results are from earlier settings: press **Train side by side** to retrain."))
        st.caption(tr("Loss: {loss}. The hand-written code descends 0.5·Σ(y − output)², and so do versions 4 and 5 "
                      "here: with the same weights and SGD, the correct versions draw one curve (the wide one "
                      "underneath is numpy).", loss=loss_name(lang())))
        view.show_results(results)
        if "torch-article" in results and results["torch-article"].final is not None:
            view.show_defects(results["torch-article"])
    else:
        st.info(tr("Choose versions and press **Train side by side**: the curves are drawn as they learn."))
    shown = ui.settings.choice(st.selectbox, tr("Code of"), IMPLEMENTATIONS, labels=TITLES, key="toy_code_impl",
                               index=IMPLEMENTATIONS.index(impls[0]) if impls else 0)
    st.code(toy_code.implementation_code(shown, settings), language="python", wrap_lines=True)   # full width
    view.aligned_view(settings)

with tab_gradients, ui.friendly_errors(tr("The gradient check")):
    st.write(tr(
        "Back-propagation by hand is easy to get wrong. Here the gradients that versions 1, 2 and 3 "
        "compute (minus what they add to each parameter, divided by lr) are compared with autograd's, on "
        "the same float64 weights (the seed, initial weights, hidden units and activation of the first tab). "
        "The loss is the one their updates descend: 0.5·Σ(y − output)²."
    ))
    if settings is not None:
        view.show_gradient_check(gradient_check(settings))

with tab_speed, ui.friendly_errors(tr("The timing")):
    st.write(tr(
        "The same hand-written backprop (versions 1 and 3), float32, timed per epoch in numpy and in PyTorch "
        "on every device here: on the article's 3 × 4 problem and on a synthetic 10,000 × 64 one with 256 "
        "hidden units. Measured on this machine when you press the button, so numbers vary run to run."
    ))
    s1, s2 = st.columns(2)
    tiny_epochs = s1.number_input(tr("Epochs timed, tiny problem"), 10, 20_000, 500, step=10, key="toy_speed_tiny",
                                  **ui.settings.KEEP)
    large_epochs = s2.number_input(tr("Epochs timed, large problem"), 1, 200, 10, key="toy_speed_large",
                                   **ui.settings.KEEP)
    if st.button(tr("Measure"), key="toy_speed_run"):
        with st.spinner(tr("Timing numpy and torch...")):
            rows = toy_speed.speed_table({"tiny": int(tiny_epochs), "large": int(large_epochs)})
        st.session_state.toy_speed_rows = [r.as_dict() for r in rows]
    if st.session_state.get("toy_speed_rows"):  # the rows are kept; the words are drawn in today's language
        view.show_speed(st.session_state.toy_speed_rows)

with tab_playground:
    st.write(tr(
        "The 2-D playground has a page of its own now: TensorFlow Playground in PyTorch, with input features, "
        "up to 6 layers of 8 neurons, every unit's output drawn live, the loss landscape and the gradients per layer."
    ))
    try:
        st.page_link("pages/playground.py", label=tr("Open the Toy playground"), icon=":material/scatter_plot:")
    except StreamlitAPIException:  # this page run on its own (outside the app's navigation), as some tests do
        st.markdown(tr("Open the **Toy playground** from the app's navigation."))

if settings is not None:
    chosen = st.session_state.get("toy_impls") or ["numpy"]
    ui.code_expander(
        "\n\n".join(f"# ---- {TITLES[impl]}\n{toy_code.implementation_code(impl, settings)}" for impl in chosen),
        title=tr("PyTorch code of the versions chosen above, with these settings"),
    )

with url_note:
    report_ignored(raw_query, view.SETTING_KEYS)
