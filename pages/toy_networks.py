"""Toy networks: the article's 4-3-1 network five ways, trained live, its defects, a gradient
check, numpy vs torch speed, and a 2-D playground with a live decision boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

import ui
from pytorch_explorer.toy import networks as toy
from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy import figures as toy_figures
from pytorch_explorer.toy import playground as toy_playground
from pytorch_explorer.toy import speed as toy_speed

LR_CHOICES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
TITLES = toy.IMPLEMENTATION_TITLES
SHORT = toy.SHORT_TITLES

st.title("Toy networks")
st.write(
    "The article's central comparison: one tiny network (4 inputs, 3 hidden sigmoid units, 1 sigmoid "
    "output) learns X = [[1,0,1,0], [1,0,1,1], [0,1,0,1]] → y = [1, 1, 0] with hand-written "
    "back-propagation, **once in numpy and once in PyTorch**, and the two programs are near twins. "
    "Here it runs five ways side by side, including the article's PyTorch code exactly as printed "
    "(it has two bugs) and the versions PyTorch would have you write (autograd, `nn` + `optim`)."
)
tab_article, tab_gradients, tab_speed, tab_playground = st.tabs(
    ["The article's network", "Gradient check", "Speed", "Playground (2-D)"]
)


def toy_settings() -> toy.ToySettings:
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.slider("Epochs", 100, 20000, 5000, step=100, key="toy_epochs")
    lr = c1.select_slider("Learning rate", LR_CHOICES, value=0.1, key="toy_lr")
    hidden = c2.slider("Hidden units", 1, 16, 3, key="toy_hidden")
    seed = c2.number_input("Seed", 0, 10_000, 0, key="toy_seed")
    init = c3.selectbox("Initial weights", toy.INITS, key="toy_init",
                        format_func={"uniform": "uniform [0, 1) (numpy's code)", "normal": "normal (torch.randn)"}.get)
    activation = c3.selectbox("Hidden activation", toy.ACTIVATIONS, key="toy_activation")
    optimizer = c4.selectbox("Optimizer (version 5)", toy.OPTIMIZERS, key="toy_optimizer", format_func=str.upper)
    dtype = c4.selectbox("Precision", toy.DTYPES, key="toy_dtype",
                         help="numpy computes in float64 by default, PyTorch in float32.")
    same = st.checkbox(
        "Same initial weights for all, so that differences come only from the code", value=True, key="toy_same_init",
        help="Off: each version draws its own (numpy: np.random, torch: torch.rand/randn, nn: nn.Linear's default).",
    )
    return toy.ToySettings(epochs=int(epochs), lr=float(lr), hidden=int(hidden), seed=int(seed), init=init,
                           activation=activation, optimizer=optimizer, dtype=dtype, same_init=same)


def train_live(impls: list[str], settings: toy.ToySettings, chart, progress) -> None:
    """Train side by side, keeping every event in session_state and redrawing each round."""
    weights = {impl: toy.starting_weights(impl, settings) for impl in impls}
    results = {impl: toy.ToyResult(impl, settings, weights[impl]) for impl in impls}
    st.session_state.toy_results = results
    every = max(1, settings.epochs // 25)
    for event in toy.train_side_by_side(impls, settings, every, weights):
        results[event.impl].add(event)
        if event.impl == impls[-1]:
            chart.plotly_chart(toy_figures.loss_curves_figure({k: r.losses for k, r in results.items()}))
            progress.progress(event.epoch / settings.epochs, text=f"epoch {event.epoch} of {settings.epochs}")


def show_results(results: dict[str, toy.ToyResult]) -> None:
    predictions = {impl: r.predictions for impl, r in results.items() if r.predictions is not None}
    table = pd.DataFrame(toy.predictions_rows(predictions)).rename(columns=SHORT)
    st.markdown("**Predictions after training** (the output of the last forward pass) against y")
    st.dataframe(table, hide_index=True, key="toy_predictions",
                 column_config={t: st.column_config.NumberColumn(format="%.4f") for t in SHORT.values()})
    y = np.array(toy.ARTICLE_Y, dtype=float).ravel()
    summary = [{"version": SHORT[impl], "epochs": r.epochs, "final loss (MSE)": r.final_loss,
                "max |prediction - y|": float(np.max(np.abs(r.predictions.ravel() - y))),
                "within 0.1 of y": "yes" if np.max(np.abs(r.predictions.ravel() - y)) < 0.1 else "no"}
               for impl, r in results.items() if r.predictions is not None]
    st.dataframe(pd.DataFrame(summary), hide_index=True, key="toy_summary")


def show_defects(result: toy.ToyResult) -> None:
    evidence = toy.defect_evidence(result)
    st.markdown("**What the article's defects did in this run** (version 2's weights)")
    st.markdown(
        f"- `bout` went from {evidence['bout_initial']:.4f} to {evidence['bout_final']:.4f}, and never "
        "changed the output: the forward pass skips it.\n"
        f"- Every hidden bias moved by the same amount: {', '.join(f'{v:+.4f}' for v in evidence['bh_change'])} "
        f"(spread {evidence['bh_change_spread']:.1e}). A scalar, the output's summed error, was added to all of them."
    )
    for i in evidence["stuck_samples"]:
        st.warning(
            f"Stuck: for X = {toy.ARTICLE_X[i]} every hidden unit is switched off (the shared push on the hidden "
            f"biases drove them to about {np.mean(result.final.bh):.1f}), and with no output bias the output can "
            f"only be sigmoid(0) = 0.5 (here {result.predictions.ravel()[i]:.4f}). The corrected version does not do this."
        )
    if not evidence["stuck_samples"] and result.settings.activation == "sigmoid":
        st.caption("Here it still fits these three points. Try seed 1: its hidden units switch off for one sample.")
    st.markdown("\n".join(f"- `{d['line']}`: {d['defect']} {d['effect']}" for d in toy.ARTICLE_DEFECTS))


def aligned_view(settings: toy.ToySettings) -> None:
    st.subheader("numpy and PyTorch, line by line")
    against = st.radio("Compare numpy with", ["torch-article", "torch-fixed"], format_func=TITLES.get,
                       horizontal=True, key="toy_align_with")
    rows = pd.DataFrame(toy_code.aligned_rows(settings, against))
    rows["same"] = rows["same"].map({"=": "identical", "~": "library differs", "!": "DEFECT"})
    counts = rows["same"].value_counts()
    st.caption(f"Line n on the left is the twin of line n on the right: {counts.get('identical', 0)} lines are "
               f"identical, {counts.get('library differs', 0)} differ only in the library's spelling "
               f"(np.dot / torch.mm, .T / .t()), {counts.get('DEFECT', 0)} are defects.")
    numpy_text, torch_text = toy_code.aligned_columns(settings, against)
    left, right = st.columns(2)
    left.code(numpy_text, language="python", line_numbers=True)
    right.code(torch_text, language="python", line_numbers=True)
    with st.expander("The same, as a table of line pairs"):
        styled = rows.style.apply(
            lambda r: ["background-color: #fde0dd" if r["same"] == "DEFECT" else ""] * len(r), axis=1)
        st.dataframe(styled, hide_index=True, key="toy_aligned")


settings = None
with tab_article, ui.friendly_errors("Those settings"):
    settings = toy_settings()
    impls = st.multiselect("Train these side by side", toy.IMPLEMENTATIONS, default=["numpy", "torch-article"],
                           format_func=TITLES.get, key="toy_impls")
    train_clicked = st.button("Train side by side", type="primary", key="toy_train", disabled=not impls)
    left, right = st.columns([3, 2])
    with left:
        chart = st.empty()
        progress = st.empty()
        if train_clicked:
            train_live(impls, settings, chart, progress.progress(0.0, text="starting"))
            progress.empty()
        results = st.session_state.get("toy_results", {})
        if results:
            chart.plotly_chart(toy_figures.loss_curves_figure({k: r.losses for k, r in results.items()}),
                               key="toy_loss_chart")
            trained_with = next(iter(results.values())).settings
            if trained_with != settings:
                st.caption("These results are from earlier settings: press **Train side by side** to retrain.")
            st.caption(f"Loss: {toy.LOSS_NAME}. The hand-written code descends 0.5·Σ(y − output)², and so do "
                       "versions 4 and 5 here: with the same weights and SGD, the correct versions draw one "
                       "curve (the wide one underneath is numpy).")
            show_results(results)
            if "torch-article" in results and results["torch-article"].final is not None:
                show_defects(results["torch-article"])
        else:
            st.info("Choose versions and press **Train side by side**: the curves are drawn as they learn.")
    with right:
        shown = st.selectbox("Code of", toy.IMPLEMENTATIONS, format_func=TITLES.get, key="toy_code_impl",
                             index=toy.IMPLEMENTATIONS.index(impls[0]) if impls else 0)
        st.code(toy_code.implementation_code(shown, settings), language="python")
    aligned_view(settings)

with tab_gradients, ui.friendly_errors("The gradient check"):
    st.write(
        "Back-propagation by hand is easy to get wrong. Here the gradients that versions 1, 2 and 3 "
        "compute (minus what they add to each parameter, divided by lr) are compared with autograd's, on "
        "the same float64 weights (the seed, initial weights, hidden units and activation of the first tab). "
        "The loss is the one their updates descend: 0.5·Σ(y − output)²."
    )
    if settings is not None:
        check = toy.gradient_check(settings)
        table = pd.DataFrame(check.table())
        st.dataframe(table, hide_index=True, key="toy_gradient_table",
                     column_config={c: st.column_config.NumberColumn(format="%.2e") for c in table.columns[1:]})
        worst = max(max(check.max_abs_diff("numpy").values()), max(check.max_abs_diff("torch-fixed").values()))
        if worst < 1e-6:
            st.success(f"numpy and corrected torch: every gradient equals autograd's to within {worst:.1e}.")
        else:
            st.error(f"numpy or corrected torch differ from autograd by {worst:.1e}.")
        article = check.max_abs_diff("torch-article", against_no_bout=True)
        st.warning(
            f"The article's torch code: even against the network it actually computes (no bout), its bias "
            f"gradients are wrong (bh off by up to {article['bh']:.2e}, bout by {article['bout']:.2e}), while wh and "
            f"wout match ({max(article['wh'], article['wout']):.1e}). Against the network as meant (with bout) "
            "every gradient is off, because its forward pass is a different network."
        )
        bias_rows = []
        for name in ("bh", "bout"):
            for i, (ref, ref_nb, hand) in enumerate(zip(check.reference[name].ravel(), check.reference_no_bout[name].ravel(),
                                                        check.hand["torch-article"][name].ravel(), strict=True)):
                bias_rows.append({"parameter": f"{name}[{i}]", "autograd (with bout)": ref,
                                  "autograd (no bout, as computed)": ref_nb, "article's hand-written": hand,
                                  "difference (vs no bout)": hand - ref_nb})
        st.markdown("**The article's bias gradients, entry by entry**")
        st.dataframe(pd.DataFrame(bias_rows), hide_index=True, key="toy_bias_table")

with tab_speed, ui.friendly_errors("The timing"):
    st.write(
        "The same hand-written backprop (versions 1 and 3), float32, timed per epoch in numpy and in PyTorch "
        "on every device here: on the article's 3 × 4 problem and on a synthetic 10,000 × 64 one with 256 "
        "hidden units. Measured on this machine when you press the button, so numbers vary run to run."
    )
    s1, s2 = st.columns(2)
    tiny_epochs = s1.number_input("Epochs timed, tiny problem", 10, 20_000, 500, step=10, key="toy_speed_tiny")
    large_epochs = s2.number_input("Epochs timed, large problem", 1, 200, 10, key="toy_speed_large")
    if st.button("Measure", key="toy_speed_run"):
        with st.spinner("Timing numpy and torch..."):
            rows = toy_speed.speed_table({"tiny": int(tiny_epochs), "large": int(large_epochs)})
        st.session_state.toy_speed_rows = [r.as_dict() for r in rows]
        st.session_state.toy_speed_note = toy_speed.speed_note(rows)
    if st.session_state.get("toy_speed_rows"):
        rows = st.session_state.toy_speed_rows
        st.dataframe(pd.DataFrame(rows), hide_index=True, key="toy_speed_table",
                     column_config={"ms_per_epoch": st.column_config.NumberColumn("ms per epoch", format="%.4f")})
        st.plotly_chart(toy_figures.speed_figure(rows), key="toy_speed_chart")
        st.markdown(st.session_state.toy_speed_note)


def playground_settings() -> toy_playground.PlaygroundSettings:
    c1, c2, c3, c4 = st.columns(4)
    dataset = c1.selectbox("Dataset", toy_playground.DATASETS, key="pg_dataset")
    noise = c1.slider("Noise", 0.0, 0.5, 0.1, step=0.05, key="pg_noise")
    points = c1.slider("Points", 50, 1000, 200, step=50, key="pg_points")
    impl = c2.radio("Written with", toy_playground.PLAYGROUND_IMPLS, key="pg_impl",
                    format_func={"nn": "5. nn.Sequential + optim", "autograd": "4. autograd, manual SGD"}.get)
    optimizer = c2.selectbox("Optimizer", toy_playground.OPTIMIZERS, key="pg_optimizer", format_func=str.upper,
                             disabled=impl == "autograd", help="Version 4 updates by hand: plain SGD.")
    layers = c3.slider("Hidden layers", 1, 3, 2, key="pg_layers")
    units = c3.slider("Units per layer", 1, 32, 8, key="pg_units")
    activation = c3.selectbox("Activation", list(toy_playground.ACTIVATIONS), key="pg_activation")
    lr = c4.select_slider("Learning rate", LR_CHOICES, value=0.03, key="pg_lr")
    seed = c4.number_input("Seed", 0, 10_000, 0, key="pg_seed")
    return toy_playground.PlaygroundSettings(dataset=dataset, points=int(points), noise=float(noise), seed=int(seed),
                                             impl=impl, layers=int(layers), units=int(units), activation=activation,
                                             lr=float(lr), optimizer=optimizer)


def draw_playground(trainer: toy_playground.PlaygroundTrainer, boundary, curve, metrics) -> None:
    xs, ys, probs = trainer.probability_grid()
    boundary.plotly_chart(toy_figures.decision_boundary_figure(xs, ys, probs, trainer.X, trainer.y))
    if trainer.losses:
        curve.plotly_chart(toy_figures.training_curve_figure(trainer.losses, trainer.accuracies))
    metrics.markdown(f"**step {trainer.step}** · loss {trainer.losses[-1] if trainer.losses else float('nan'):.4f}"
                     f" · training accuracy {trainer.accuracy:.1%}")


with tab_playground, ui.friendly_errors("The playground"):
    st.write(
        "Beyond the article, in the spirit of TensorFlow Playground: a small network learns to separate two "
        "classes of points in the plane, and the background shows P(class 1) at every point as it learns. "
        "XOR needs a hidden layer; the spiral needs more."
    )
    pg_settings = playground_settings()
    trainer = st.session_state.get("pg_trainer")
    if trainer is None or trainer.settings != pg_settings:
        trainer = st.session_state.pg_trainer = toy_playground.PlaygroundTrainer(pg_settings)
    b1, b2, b3, b4, b5 = st.columns([1, 1, 1, 2, 2])
    go_clicked = b1.button("Train", type="primary", key="pg_train")
    b2.button("Stop", key="pg_stop", help="Stops after the current chunk; Train goes on from here.")
    if b3.button("Reset", key="pg_reset"):
        trainer = st.session_state.pg_trainer = toy_playground.PlaygroundTrainer(pg_settings)
    steps = b4.number_input("Steps per Train", 10, 20_000, 500, step=10, key="pg_steps")
    every = b5.number_input("Redraw every (steps)", 5, 1000, 25, step=5, key="pg_every")
    note = "Train goes on from where it stopped; changing a setting above starts a fresh network."
    if pg_settings.impl == "autograd":
        note += " Version 4 updates by plain SGD, which usually wants a larger learning rate (0.3 to 1) than Adam."
    st.caption(note)
    metrics = st.empty()
    boundary_col, curve_col = st.columns([3, 2])
    boundary, curve = boundary_col.empty(), curve_col.empty()
    if go_clicked:  # each chunk redraws; a click on Stop (or anything) ends this run between chunks
        for _event in trainer.train(int(steps), int(every)):
            draw_playground(trainer, boundary, curve, metrics)
    else:
        draw_playground(trainer, boundary, curve, metrics)
    with st.expander("PyTorch code of the playground"):
        st.code(toy_playground.playground_code(pg_settings, int(steps)), language="python")

if settings is not None:
    chosen = st.session_state.get("toy_impls") or ["numpy"]
    ui.code_expander(
        "\n\n".join(f"# ---- {TITLES[impl]}\n{toy_code.implementation_code(impl, settings)}" for impl in chosen),
        title="PyTorch code of the versions chosen above, with these settings",
    )
