"""nn modules: build a model from layers and look inside it (print, parameters, state_dict, the shape after
each layer), see train() vs eval(), fix a model whose layers do not fit, and write an nn.Module of your own."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.modules.code import model_code, toy_module_code
from pytorch_explorer.modules.custom import twin_check
from pytorch_explorer.modules.modes import compare_modes
from pytorch_explorer.modules.report import inspect_model
from pytorch_explorer.modules.shapes import ArchitectureError, parse_input_shape
from ui import nn_modules as view
from ui.i18n import tr
from ui.settings import report_ignored

raw_query = ui.settings.snapshot()  # the settings in the address, before the controls take them

st.title(tr("nn modules"))
st.write(tr(
    "The article builds its digit classifier in one line: `torch.nn.Sequential(torch.nn.Linear(784, 500), "
    "torch.nn.ReLU(), torch.nn.Linear(500, 10))`. Here you stack layers like that yourself, without writing "
    "code, and look inside the model the way PyTorch lets you: `print(model)`, every parameter, the "
    "`state_dict()`, the shape of the data after each layer, and what `model.train()` and `model.eval()` change. "
    "Layers that do not fit together get a message saying which one and what to change."
))
url_note = st.container()  # filled at the end: the address's values the controls could not take
view.start_architecture(raw_query)

st.subheader(tr("The layers"))
layers = view.architecture_controls()
view.layer_guide()
c1, c2, c3 = st.columns(3)
input_text = c1.text_input(tr("Input shape (batch first)"), key="nn_input", **ui.settings.KEEP,
                           help=tr("e.g. 4, 784 for four flattened digits, 4, 1, 28, 28 for four 28×28 images."))
seed = c2.number_input(tr("Seed (weights and input)"), 0, 2**31 - 1, 0, key="nn_seed", **ui.settings.KEEP,
                       help=tr("The initial weights and the random input come from torch.Generator().manual_seed(seed)."))
mode = c3.radio(tr("Forward pass in"), ["train", "eval"], key="nn_mode", horizontal=True, **ui.settings.KEEP,
                help=tr("The mode of the forward pass on the Shapes tab (model.train() or model.eval())."))

report = input_shape = mismatch = None
if layers is not None:
    with ui.friendly_errors(tr("Building this model")):  # too big, or an unreadable input shape: a message
        try:
            input_shape = parse_input_shape(input_text)
            report = inspect_model(layers, input_shape, int(seed), training=mode == "train")
        except ArchitectureError as exc:  # layers that do not fit: the message, and a fix to apply
            view.show_architecture_error(mismatch := exc)

tab_params, tab_shapes, tab_modes, tab_custom = st.tabs(
    [tr("Parameters and state_dict"), tr("Shapes, layer by layer"), tr("train() vs eval()"), tr("Your own nn.Module")])

with tab_params:
    if report is not None:
        view.show_parameters(report, layers)
    else:
        st.info(tr("Fix the model above to see its parameters."))

with tab_shapes:
    st.write(tr("A forward hook is a function PyTorch calls after a layer's forward pass, with the layer, its "
             "input and its output. One hook on every layer writes down the shape of the data as it flows "
             "through the model, for the input shape you chose (random numbers, as a stand-in for data)."))
    if report is not None:
        view.show_shapes(report)
    else:
        st.info(tr("Fix the model above to follow the shapes."))

with tab_modes, ui.friendly_errors(tr("The train/eval comparison")):
    st.write(tr("The same model and the same input, once after `model.train()` and once after `model.eval()`. "
             "Only Dropout and BatchNorm behave differently: Dropout zeroes elements with probability p and "
             "scales the others by 1/(1-p) in training, and does nothing in eval; BatchNorm normalises with the "
             "batch's own statistics and updates its running statistics in training, and uses the running "
             "statistics in eval. This is why you call `model.eval()` before evaluating or predicting."))
    if report is not None:
        view.show_modes(compare_modes(layers, input_shape, int(seed)))
    else:
        st.info(tr("Fix the model above to compare the two modes."))

with tab_custom, ui.friendly_errors(tr("The twin check")):
    st.write(tr("`nn.Sequential` only calls layers one after another. For anything else you write a class: "
             "subclass `nn.Module`, create the layers as attributes in `__init__` (which registers their "
             "parameters under those names), and say in `forward` what happens to the input. Here is the "
             "article's toy network (4 inputs, 3 hidden sigmoid units, 1 sigmoid output, see the Toy networks "
             "page) written both ways, given the same weights and the article's X."))
    t1, t2 = st.columns(2)
    hidden = t1.slider(tr("Hidden units"), 1, 16, 3, key="nn_toy_hidden", **ui.settings.KEEP)
    toy_seed = t2.number_input(tr("Seed of the shared weights"), 0, 2**31 - 1, 0, key="nn_toy_seed", **ui.settings.KEEP)
    view.show_twins(twin_check(int(hidden), int(toy_seed)))
    with st.expander(tr("PyTorch code of the two twins")):
        st.code(toy_module_code(int(hidden), int(toy_seed)), language="python")

if layers is not None and input_shape is not None and (report is not None or mismatch is not None):
    # (a model refused as too big gets no code: running it is what the page refused to do)
    ui.code_expander(model_code(layers, input_shape, int(seed), training=mode == "train"),
                     title=tr("PyTorch code: this model, printed, its parameters, its shapes with hooks, train() vs eval()"))

with url_note:
    report_ignored({k: v for k, v in raw_query.items() if k != view.ARCH_PARAM}, view.SETTING_KEYS)
