"""Streamlit glue for the Toy playground page: its controls (every one bound to the URL), the + / - buttons
of the network, the live panel and the "beyond" views. The numbers and figures come from
`pytorch_explorer.playground`, which has the tests; pages/playground.py calls these.

Every text is in the session's language (`ui.i18n.tr`; the package's figures and messages take `lang()`), the
options of the selects too: `ui.settings.choice` keeps the option itself in the address (`?pg_problem=spiral`), so
a shared link opens in either language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from pytorch_explorer.playground import figures, live
from pytorch_explorer.playground.config import (
    ACTIVATIONS,
    MAX_LAYERS,
    MAX_NEURONS,
    OPTIMIZERS,
    REGULARIZATIONS,
    PlaygroundConfig,
    check_features,
    layers_text,
    parse_layers,
)
from pytorch_explorer.playground.data import FEATURES, PROBLEM_TITLES, PROBLEMS, PlaygroundError
from pytorch_explorer.playground.trainer import PlaygroundTrainer, vanishing_ratio
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

LR_CHOICES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REG_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
DEFAULT_LAYERS = "4-2"
SETTING_KEYS = ["pg_problem", "pg_noise", "pg_train_pct", "pg_batch", "pg_seed", "pg_features", "pg_layers",
                "pg_activation", "pg_lr", "pg_reg", "pg_reg_rate", "pg_optimizer", "pg_heatmaps", "pg_show_test",
                "pg_landscape"]
ACTIVATION_TITLES = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear"}
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam"}


# ---------------------------------------------------------------- the network's + / - buttons
def current_layers() -> list[int]:
    """The hidden layers the layers box holds now; the default if it holds something unusable."""
    try:
        return list(parse_layers(st.session_state.get("pg_layers", DEFAULT_LAYERS)))
    except PlaygroundError:
        return list(parse_layers(DEFAULT_LAYERS))


def change_layers(layer: int | None, delta: int) -> None:
    """Callback of a + / - button: a layer more or less (layer None), or a neuron more or less in `layer`."""
    layers = current_layers()
    if layer is None:
        layers = layers + [layers[-1] if layers else 2] if delta > 0 else layers[:-1]
    else:
        layers[layer] += delta
    st.session_state.pg_layers = layers_text(tuple(layers[:MAX_LAYERS]))


def network_controls(column) -> None:
    """The layers box ("4-2": neurons per hidden layer) and its + / - buttons."""
    column.text_input(tr("Hidden layers (neurons per layer)"), DEFAULT_LAYERS, key="pg_layers", max_chars=40, **KEEP,
                      help=tr("Like 4-2 or 8-8-8-8: up to {layers} layers of up to {neurons} neurons; 0 for none. "
                              "The buttons below change it too.", layers=MAX_LAYERS, neurons=MAX_NEURONS))
    layers = current_layers()
    a, b = column.columns(2)
    a.button(tr("+ layer"), key="pg_add_layer", on_click=change_layers, args=(None, 1), width="stretch",
             disabled=len(layers) >= MAX_LAYERS)
    b.button(tr("− layer"), key="pg_remove_layer", on_click=change_layers, args=(None, -1), width="stretch",
             disabled=not layers)
    for i, n in enumerate(layers):
        label, minus, plus = column.columns([3, 1, 1], vertical_alignment="center")
        label.caption(tr("Layer {i}: {n} neurons", i=i + 1, n=n) if n > 1 else tr("Layer {i}: 1 neuron", i=i + 1))
        minus.button("−", key=f"pg_remove_neuron_{i}", on_click=change_layers, args=(i, -1), disabled=n <= 1,
                     help=tr("One neuron less in layer {i}", i=i + 1))
        plus.button("+", key=f"pg_add_neuron_{i}", on_click=change_layers, args=(i, 1), disabled=n >= MAX_NEURONS,
                    help=tr("One neuron more in layer {i}", i=i + 1))


def regenerate() -> None:
    st.session_state.pg_seed = int(st.session_state.get("pg_seed", 0)) % 1_000_000 + 1


def controls() -> PlaygroundConfig:
    """Data, features, network and training controls, as a PlaygroundConfig (PlaygroundError if unusable)."""
    data, feats, net, train = st.columns([1.1, 1, 1.1, 1.1])
    data.markdown(tr("**Data**"))
    problem = choice(data.selectbox, tr("Problem"), PROBLEMS, labels=PROBLEM_TITLES, key="pg_problem",
                     help=tr("Classification (Circles, XOR, Gaussian clusters, Spiral, Two moons): tell the "
                             "orange points from the blue ones. Regression (plane, multi-Gaussian): draw a "
                             "surface whose colour is each point's value."))
    noise = data.slider(tr("Noise (%)"), 0, 50, 0, step=5, key="pg_noise", **KEEP)
    train_pct = data.slider(tr("Training data (%)"), 10, 90, 50, step=10, key="pg_train_pct", **KEEP,
                            help=tr("The rest is the test data, which the network never trains on."))
    batch = data.slider(tr("Batch size"), 1, 30, 10, key="pg_batch", **KEEP)
    seed = data.number_input(tr("Data and weights seed"), 0, 1_000_000, 0, key="pg_seed", **KEEP)
    data.button(tr("Regenerate"), key="pg_regenerate", on_click=regenerate, help=tr("New points (the next seed)."))
    feats.markdown(tr("**Features**"))
    chosen = feats.multiselect(tr("Inputs the network sees"), list(FEATURES), default=["x1", "x2"], key="pg_features",
                               **KEEP, help=tr("Give it x1² and x2² and one neuron draws a circle."))
    net.markdown(tr("**Network**"))
    network_controls(net)
    activation = choice(net.selectbox, tr("Activation"), ACTIVATIONS, labels=ACTIVATION_TITLES, key="pg_activation")
    train.markdown(tr("**Training**"))
    lr = train.select_slider(tr("Learning rate"), LR_CHOICES, value=0.03, key="pg_lr", **KEEP)
    optimizer = choice(train.selectbox, tr("Optimizer"), OPTIMIZERS, labels=OPTIMIZER_TITLES, key="pg_optimizer")
    reg = choice(train.selectbox, tr("Regularisation"), REGULARIZATIONS, key="pg_reg",
                 help=tr("L1 adds rate·Σ|w| to the loss, L2 adds rate·Σw² (weights only, not biases). "
                         "none: no penalty."))
    reg_rate = train.select_slider(tr("Regularisation rate"), REG_RATES, value=0.0, key="pg_reg_rate", **KEEP,
                                   disabled=reg == "none")
    layers = parse_layers(st.session_state.pg_layers, lang())  # the learner's own mistakes, said in their language
    check_features(tuple(chosen), lang())
    return PlaygroundConfig(problem=problem, noise=noise / 100, train_ratio=train_pct / 100, batch_size=int(batch),
                            seed=int(seed), features=tuple(chosen), layers=layers,
                            activation=activation, lr=float(lr), regularization=reg, reg_rate=float(reg_rate),
                            optimizer=optimizer)


# ---------------------------------------------------------------- the live panel
def selected_node() -> tuple[int, int] | None:
    """(column, unit) of the node picked in the network picture, if any."""
    event = st.session_state.get("pg_network")
    points = event.selection.points if event is not None and hasattr(event, "selection") else []
    for point in points or []:
        custom = point.get("customdata")
        if custom is not None and len(custom) == 2:
            return int(custom[0]), int(custom[1])
    return None


def show_selected(trainer: PlaygroundTrainer, node: tuple[int, int] | None) -> None:
    weights = trainer.weights()
    column, unit = node if node is not None else (None, None)
    if column is None or column == 0 or column > len(weights) or unit >= weights[column - 1][0].shape[0]:
        st.caption(tr("Hover over a node to see its weights and bias; click one to keep them here."))
        return
    W, b = weights[column - 1]
    title = figures.column_titles(len(trainer.config.features), trainer.config.layers, lang())[column]
    sources = trainer.config.features if column == 1 else [tr("neuron {n}", n=j + 1) for j in range(W.shape[1])]
    rows = " · ".join(f"{s}: `{w:+.3f}`" for s, w in zip(sources, W[unit], strict=True))
    st.markdown(tr("**{title}, neuron {n}**: bias `{bias}`; weights in: {rows}", title=title, n=unit + 1,
                   bias=f"{b[unit]:+.3f}", rows=rows))


def draw_live(trainer: PlaygroundTrainer, heatmaps: bool, show_test: bool,
              play_button: Callable[[Any], Any] | None = None) -> None:
    """The Play / Pause button (drawn by `play_button` into its column), the epoch counter, the losses, what went
    wrong (in words), the network picture, the output and the curves (pytorch_explorer.playground.live.Frame)."""
    play, *m = st.columns([1, 1, 1, 1, 1], vertical_alignment="center")
    if play_button is not None:
        play_button(play)
    m[0].metric(tr("Epoch"), f"{trainer.epoch:,}")
    m[1].metric(tr("Training loss"), f"{trainer.train_losses[-1]:.4f}")
    m[2].metric(tr("Test loss"), f"{trainer.test_losses[-1]:.4f}")
    m[3].metric(tr("Training accuracy"), "—" if trainer.accuracy is None else f"{trainer.accuracy:.1%}")
    shown = live.Frame(trainer, heatmaps=heatmaps, show_test=show_test, selected=selected_node(), lang=lang())
    for level, message in shown.diagnosis:
        getattr(st, level)(message)
    left, right = st.columns([3, 2])
    left.plotly_chart(shown.network, key="pg_network", on_select="rerun", selection_mode="points",
                      config={"displayModeBar": False})
    with left:
        show_selected(trainer, selected_node())
    right.plotly_chart(shown.output, key="pg_output", config={"displayModeBar": False})
    right.plotly_chart(shown.losses, key="pg_losses", config={"displayModeBar": False})


def show_gradients(trainer: PlaygroundTrainer) -> None:
    magnitudes = trainer.gradient_magnitudes()
    st.plotly_chart(figures.gradient_figure(magnitudes, lang()), key="pg_gradients")
    ratio = vanishing_ratio(magnitudes)
    if ratio is not None:
        st.caption(tr("The first layer's mean |gradient| is {ratio} times smaller than the output layer's (below 1: "
                      "larger). Try 6 layers of 8 with Sigmoid: the first layers' bars sink by decades.",
                      ratio=f"{ratio:,.1f}"))
