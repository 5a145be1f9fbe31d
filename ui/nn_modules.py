"""Streamlit glue for the nn modules page: the layer editor, and the views of what the package found.

The architecture lives in ``st.session_state["nn_arch"]`` as the compact string of
``pytorch_explorer.modules.layers`` and in the URL (query parameter ``nn_arch``). The table editor
starts from ``nn_base`` (a preset, a link, a fix or an inserted layer: each bumps ``nn_editor_version``
so that a fresh editor opens on it) and the learner's edits on top of it give the current layers.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.core.text import as_code
from pytorch_explorer.modules.code import HOOK_CODE
from pytorch_explorer.modules.custom import CLASS_SOURCE, SEQUENTIAL_SOURCE, TwinCheck
from pytorch_explorer.modules.layers import (
    CATALOGUE,
    COLUMN_HELP,
    COLUMNS,
    DEFAULT_PRESET,
    LAYER_TYPES,
    PRESETS,
    LayerSpec,
    format_spec,
    from_rows,
    parameter_formula,
    parse_spec,
    to_rows,
)
from pytorch_explorer.modules.modes import LayerBehaviour, ModeComparison
from pytorch_explorer.modules.report import ModelReport, layer_rows
from pytorch_explorer.modules.shapes import ArchitectureError, insert_layer, parse_input_shape
from pytorch_explorer.toy.settings import ARTICLE_X
from ui import error_text
from ui.i18n import tr
from ui.settings import choice

SETTING_KEYS = ["nn_preset", "nn_input", "nn_seed", "nn_mode", "nn_toy_hidden", "nn_toy_seed"]
ARCH_PARAM = "nn_arch"  # the query parameter holding the architecture (handled here, not by a widget)
INT_COLUMNS = [c for c in COLUMNS if c != "p"]
COUNTED = ("parameters", "count")  # columns of whole numbers, shown with thousands separators


def counts() -> dict[str, st.column_config.Column]:
    """The column_config of COUNTED, by their names in the session's language."""
    return {tr(name): st.column_config.NumberColumn(tr(name), format="localized") for name in COUNTED}


def table(rows: list[dict], values: tuple[str, ...] = ()) -> pd.DataFrame:
    """The package's rows as a table in the session's language: column names, and the words of columns `values`."""
    frame = pd.DataFrame(rows)
    for column in values:
        frame[column] = frame[column].map(tr)
    return frame.rename(columns=tr)


# ---------------------------------------------------------------- the architecture and its editor
def set_architecture(spec: str, input_shape: str | None = None) -> None:
    """A new starting point for the editor (a callback: it runs before the page's widgets)."""
    st.session_state.nn_arch = st.session_state.nn_base = spec
    st.query_params[ARCH_PARAM] = spec
    st.session_state.nn_editor_version = st.session_state.get("nn_editor_version", 0) + 1
    if input_shape is not None:
        st.session_state.nn_input = input_shape


def _preset_chosen() -> None:
    preset = PRESETS[st.session_state.nn_preset]
    set_architecture(preset.spec, preset.input_shape)


def start_architecture(raw: Mapping[str, list[str]]) -> None:
    """The architecture a visit starts from: this session's (kept across page switches), else the one in the
    address (a reload, a shared link), else the preset's. An unreadable one is reported, not used."""
    given = (raw.get(ARCH_PARAM) or [None])[-1]
    if given is not None and "nn_arch" not in st.session_state:
        try:
            set_architecture(format_spec(parse_spec(given)))
        except ExplorerError as exc:
            st.warning(tr("The architecture in this page's address could not be read, so it was not used: {error}",
                          error=error_text(exc)), icon=":material/link_off:")
    named = (raw.get("nn_preset") or [None])[-1]
    preset = PRESETS[named if named in PRESETS else st.session_state.get("nn_preset") or DEFAULT_PRESET]
    if "nn_arch" not in st.session_state:  # a first visit: the preset's layers
        set_architecture(preset.spec)
    if "nn_input" not in st.session_state and not raw.get("nn_input"):  # and its input shape, unless given
        st.session_state.nn_input = preset.input_shape


def editor_frame(spec: str) -> pd.DataFrame:
    frame = pd.DataFrame(to_rows(parse_spec(spec)), columns=["layer", *COLUMNS])
    for column in INT_COLUMNS:
        frame[column] = frame[column].astype("Int64")
    frame["p"] = frame["p"].astype("float64")
    return frame


def architecture_controls() -> list[LayerSpec] | None:
    """The preset, the table of layers and the insert row. Returns the layers, or None after showing
    what is wrong with the table."""
    choice(st.selectbox, tr("Start from"), list(PRESETS), key="nn_preset", on_change=_preset_chosen,
           help=tr("Loads the preset's layers and input shape into the table."))
    preset = PRESETS[st.session_state.nn_preset]  # the URL holds its English title, the select shows it translated
    st.caption(tr(preset.what) if st.session_state.get("nn_arch") == preset.spec else
               tr("Your own layers. Choose a preset above to start from it again."))
    version = st.session_state.get("nn_editor_version", 0)
    config = {"layer": st.column_config.SelectboxColumn(tr("layer"), options=LAYER_TYPES, required=True,
                                                        help=tr("The torch.nn layer"))}
    for column in INT_COLUMNS:
        config[column] = st.column_config.NumberColumn(column, help=tr(COLUMN_HELP[column]), step=1, format="%d",
                                                       min_value=0 if column == "padding" else 1)
    config["p"] = st.column_config.NumberColumn("p", help=tr(COLUMN_HELP["p"]), min_value=0.0, max_value=1.0,
                                                step=0.05)
    edited = st.data_editor(editor_frame(st.session_state.nn_base), key=f"nn_layers_{version}", num_rows="dynamic",
                            column_config=config, width="stretch", hide_index=False, placeholder="")
    st.caption(tr("Edit a cell to change a layer, pick a type in the last row to add one, select rows and press the "
                  "bin to delete them. A column the layer does not use is ignored. The row number is the layer's "
                  "index."))
    layers = None
    try:
        layers, skipped = from_rows(edited.to_dict("records"))
        if skipped:
            st.caption(tr("{n} row(s) without a layer type are ignored.", n=skipped))
    except ExplorerError as exc:
        st.error(error_text(exc))
    if layers is not None:
        spec = format_spec(layers)
        st.session_state.nn_arch = spec
        if st.query_params.get(ARCH_PARAM) != spec:
            st.query_params[ARCH_PARAM] = spec
        insert_controls(layers)
    return layers


def _insert(layers: list[LayerSpec], input_text: str) -> None:
    try:
        shape = parse_input_shape(input_text)
    except ExplorerError:
        shape = (4, 784)
    at, kind = int(st.session_state.nn_insert_at), st.session_state.nn_insert_kind
    set_architecture(format_spec(insert_layer(layers, at, kind, shape)))


def insert_controls(layers: list[LayerSpec]) -> None:
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    c1.selectbox(tr("Insert a layer"), LAYER_TYPES, key="nn_insert_kind", index=LAYER_TYPES.index("Flatten"))
    c2.number_input(tr("at position"), 0, len(layers), len(layers), key="nn_insert_at",
                    help=tr("0 puts it first; the layers from there on move down one."))
    c3.button(tr("Insert"), key="nn_insert", on_click=_insert, args=(layers, st.session_state.get("nn_input", "")),
              help=tr("Its sizes are taken from the shape that arrives there; change them in the table."))


def layer_guide() -> None:
    with st.expander(tr("What each layer does")):
        st.dataframe(pd.DataFrame([{tr("layer"): k.name, tr("arguments"): ", ".join(a.name for a in k.args) or tr("none"),
                                    tr("what it does"): tr(k.what)} for k in CATALOGUE.values()]),
                     hide_index=True, key="nn_guide")


def show_architecture_error(exc: ArchitectureError) -> None:
    """The message, the layers that fit before the problem, and the fix as a button when there is one."""
    st.error(error_text(exc), icon=":material/error:")
    if exc.fix:
        st.button(tr("Fix: {fix}", fix=error_text(exc.fix_label)), key="nn_fix", type="primary", on_click=set_architecture,
                  args=(format_spec(exc.fix),))
    if exc.traced:
        st.caption(tr("The layers before it fit together:"))
        st.dataframe(table([s.row() for s in exc.traced]), hide_index=True, key="nn_traced")


# ---------------------------------------------------------------- the views
def show_parameters(report: ModelReport, layers: list[LayerSpec]) -> None:
    left, right = st.columns([2, 3])
    left.markdown("**`print(model)`**")
    left.code(report.printed, language="text", wrap_lines=True)
    right.markdown(tr("**Parameters of each layer, counted by hand**"))
    rows = [{**row, "counted by hand": formula_text(spec)} for row, spec in zip(layer_rows(layers), layers, strict=True)]
    right.dataframe(table(rows), hide_index=True, key="nn_layer_counts", column_config=counts())
    right.metric(tr("Total parameters"), f"{report.total:,}",
                 help="sum(p.numel() for p in model.parameters())")
    st.markdown(tr("**`model.named_parameters()`**: each parameter's name (layer index . attribute), shape and count"))
    st.dataframe(table(report.parameters), hide_index=True, key="nn_parameters", column_config=counts())
    st.markdown(tr("**`model.state_dict()`**: what `torch.save` would store. Parameters are learned by the optimizer "
                   "(they are in `model.parameters()`); buffers are state that is saved but not learned, such as "
                   "BatchNorm's `running_mean`, `running_var` and `num_batches_tracked`."))
    st.dataframe(table(report.state, ("kind",)), hide_index=True, key="nn_state")
    if report.buffers:
        st.caption(tr("{n} buffers: {names}", n=len(report.buffers), names=", ".join(as_code(b) for b in report.buffers)))


def show_shapes(report: ModelReport) -> None:
    mode = "train()" if report.training else "eval()"
    st.dataframe(table(report.shapes), hide_index=True, key="nn_shapes", column_config=counts())
    st.caption(tr("Input {input} → output {output}, model in {mode} mode. Each row was written down by a forward hook "
                  "during one real forward pass:", input=report.shapes[0]["input shape"],
                  output=report.shapes[-1]["output shape"], mode=mode))
    st.code(HOOK_CODE, language="python")


def show_modes(comparison: ModeComparison) -> None:
    first = lambda t: [round(float(v), 4) for v in t.reshape(t.shape[0], -1)[0, :6]]  # noqa: E731
    call, output = tr("call"), tr("output (first values of sample 0)")
    rows = [{call: "model.train(); model(x)", output: str(first(comparison.output_train))},
            {call: "model.eval(); model(x)", output: str(first(comparison.output_eval))}]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="nn_mode_outputs")
    train_again = float((comparison.output_train - comparison.output_train_again).abs().max())
    eval_again = float((comparison.output_eval - comparison.output_eval_again).abs().max())
    c1, c2, c3 = st.columns(3)
    c1.metric(tr("Largest |train − eval|"), f"{comparison.max_difference:.4g}")
    c2.metric(tr("train() twice, largest difference"), f"{train_again:.4g}",
              help=tr("Another train() pass from the same fresh model: Dropout draws a new mask each call."))
    c3.metric(tr("eval() twice, largest difference"), f"{eval_again:.4g}", help=tr("eval() is deterministic."))
    if not comparison.has_watched_layers:
        st.info(tr("This model has no Dropout or BatchNorm layer, so train() and eval() compute the same thing. "
                   "Pick the preset **MLP with BatchNorm and Dropout** to see them differ."))
        return
    for layer in comparison.layers:
        st.markdown(tr("**Layer {index}: `{call}`**", index=layer.index, call=layer.call))
        in_train, in_eval = behaviour_text(layer)
        left, right = st.columns(2)
        left.markdown(tr("In **train()** it {what}", what=in_train))
        right.markdown(tr("In **eval()** it {what}", what=in_eval))
        facts = [{tr("measured"): tr(k), tr("value"): f"{v:.4g}" if isinstance(v, float) else v}
                 for k, v in layer.facts.items()]
        st.dataframe(pd.DataFrame(facts), hide_index=True, key=f"nn_facts_{layer.index}")


def show_twins(check: TwinCheck) -> None:
    left, right = st.columns(2)
    left.markdown(tr("**A class of your own**"))
    left.code(CLASS_SOURCE, language="python")
    right.markdown(tr("**Its `nn.Sequential` twin**"))
    right.code(SEQUENTIAL_SOURCE, language="python")
    st.markdown(tr("**`named_parameters()` of both** (`parameters()` yields the same tensors without the names)"))
    st.dataframe(table(check.parameter_rows()), hide_index=True, key="nn_twin_parameters")
    outputs = pd.DataFrame({"X": [str(row) for row in ARTICLE_X],
                            "ToyNet(X)": check.module_output.ravel().tolist(),
                            "nn.Sequential(X)": check.sequential_output.ravel().tolist()})
    st.dataframe(outputs, hide_index=True, key="nn_twin_outputs")
    if check.max_difference == 0:
        st.success(tr("With the same weights both give exactly the same output (largest difference 0): the class and "
                      "the Sequential are one network, written two ways."))
    else:
        st.error(tr("The two differ by up to {difference}.", difference=f"{check.max_difference:.3g}"))


# ---------------------------------------------------------------- the package's words, in the session's language
# pytorch_explorer.modules writes English; these say the same in the learner's language (in English, word for word
# the package's text: tests/i18n/test_zh_nn_modules.py checks it).
def formula_text(spec: LayerSpec) -> str:
    """layers.parameter_formula's text: how a layer's parameters are counted by hand."""
    a, count = spec.arguments(), parameter_formula(spec)[1]
    if spec.kind == "Linear":
        return tr("{n_in} × {n_out} weights + {n_out} biases = {count}", n_in=f"{a['in_features']:,}",
                  n_out=f"{a['out_features']:,}", count=f"{count:,}")
    if spec.kind == "Conv2d":
        return tr("{c_out} filters × {c_in} channels × {k} × {k} + {c_out} biases = {count}", c_out=f"{a['out_channels']:,}",
                  c_in=f"{a['in_channels']:,}", k=a["kernel_size"], count=f"{count:,}")
    if spec.kind.startswith("BatchNorm"):
        return tr("{n} scales (weight) + {n} shifts (bias) = {count}; its running_mean, running_var and "
                  "num_batches_tracked are buffers, not parameters", n=f"{a['num_features']:,}", count=f"{count:,}")
    return tr("no parameters")


def behaviour_text(layer: LayerBehaviour) -> tuple[str, str]:
    """What a Dropout or BatchNorm layer did in train() and in eval() (modes' train_text, eval_text), from its facts."""
    f = layer.facts
    if layer.call.startswith("Dropout"):
        in_train = tr("zeroed {fraction} of its inputs (p = {p}) and multiplied the others by {scale} = 1/(1-p), so that "
                      "the expected value stays the same.", fraction=f"{f['zeroed fraction (train)']:.1%}", p=f"{f['p']:g}",
                      scale=f"{f['kept ÷ input (train)']:.4g}")
        if f["p"] >= 1:
            in_train = tr("zeroed every input (p = 1).")
        return in_train, tr("passed its input through unchanged (largest difference {difference}): nothing is dropped "
                            "at inference.", difference=f"{f['largest |output − input| (eval)']:.1g}")
    in_train = tr("normalised each channel with this batch's own mean and variance (so the output has mean 0 over the "
                  "batch: at most {mean}), and updated its running statistics: running_mean channel 0 went {running}, "
                  "num_batches_tracked {tracked}.", mean=f"{f['train: output mean over the batch, largest |value|']:.1g}",
                  running=f["running_mean before → after, channel 0"], tracked=f["num_batches_tracked before → after"])
    return in_train, tr("normalised with the running statistics instead (after one batch they are still close to mean 0 "
                        "and variance 1, so the output is far from mean 0: up to {mean}), and changed nothing.",
                        mean=f"{f['eval: output mean over the batch, largest |value|']:.3g}")
