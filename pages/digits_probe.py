"""Digits: probe. Draw, upload or pick a digit; see what the model thinks, and why.

The models come from the workspace's model shelf (runs in the run store: the trainer page's jobs, the
one-click models and the uploaded files, kept across reloads and restarts); the controls,
the tabs and the session keys of this page live in ui/digits_probe.py (my digits in
ui/digits_probe_mine.py), the numbers in pytorch_explorer.digits.probe.
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.digits import probe
from ui import code_expander, model_shelf, settings
from ui import digits_probe as view
from ui import digits_probe_mine as mine_view
from ui.i18n import tr

raw_query = settings.snapshot()
st.title(tr("Digits: probe"))
st.write(tr(
    "Give the digit model a digit (draw it, upload a photo, or pick one it has never trained on) and see "
    "what it thinks, and **why**: which pixels pushed its score up or down, which hidden units fired, and "
    "what those units look for (or, for a CNN, what its convolution filters find). Then see where it goes wrong on "
    "its whole validation set, and teach it your own handwriting: keep your drawings in **my digits** and "
    "fine-tune the model on them."
))
if "probe_model_error" in st.session_state:  # set by the train / load callbacks
    st.error(st.session_state.pop("probe_model_error"))

# ----------------------------------------------------------------------------- load: a model from the shelf
shelf = model_shelf()
if not len(shelf):
    st.info(tr("There is no digit model in this workspace yet. Make one here in a few seconds, load a saved one, "
               "or train one with your own settings on the trainer page."), icon=":material/info:")
    view.model_loaders(tr("The trainer page shows the loss live, on CPU or GPU, as the article wrote it or fixed."))
    code_expander(probe.probe_code(), tr("PyTorch code"))
    view.report_ignored(raw_query)
    st.stop()
trained = view.choose_model(shelf)

# ----------------------------------------------------------------------------- controls: a digit
left, right = st.columns([1, 1], gap="large")
digit, true_label, result = None, None, None
with left:
    st.subheader(tr("A digit"))
    # kept in the URL as the option itself (?probe_source=Draw), shown in the session's language
    source = settings.choice(st.radio, tr("Where the digit comes from"), view.SOURCES, key="probe_source",
                             horizontal=True, label_visibility="collapsed")
    if source == "Draw":
        result = view.digit_from_canvas()
    elif source == "Upload":
        result = view.digit_from_upload()
    else:
        digit, true_label = view.digit_from_validation(shelf, trained)
    if result is not None:
        digit = result.final
        view.show_stages(result)

# ----------------------------------------------------------------------------- compute and show
with right:
    st.subheader(tr("What the model thinks"))
    if digit is None:
        st.info(tr("No digit yet: draw one, upload a picture, or pick one from the validation set."),
                icon=":material/draw:")
        probabilities = None
    else:
        probabilities = probe.predict(trained, digit)
        view.show_prediction(digit, probabilities, true_label)
        if result is not None:  # a drawing or a photo: the learner can label it and keep it
            mine_view.add_to_my_digits(digit, probabilities, from_canvas=source == "Draw")
    mine_view.show_mine_note()  # "kept as a 7" (the canvas is fresh by then)

target = view.show_tabs(view.Probed(shelf, trained, digit, probabilities))
code_expander(probe.probe_code(view.INPUT_WORDS[source], target, trained), tr("PyTorch code"))
view.report_ignored(raw_query)
