"""The Streamlit parts of the Digits: probe page (pages/digits_probe.py reads top to bottom and calls these).

- models: the one-click trainer, the checkpoint uploader, the model picker; every model goes on the
  workspace's model shelf (`ui.model_shelf()`: runs in the run store, so they survive a reload and a
  restart), never into another page's session keys;
- the digit: from the canvas, an uploaded picture, or the model's validation set (its report is
  computed once per model);
- the seven tabs, each a function of a `Probed` (the model, the digit, its probabilities): nothing
  here reads the page's globals. The "Why" tabs work for any architecture: a CNN gets its feature
  maps and filters, an MLP its 28x28 weight pictures, and each says why the other's view is not there;
- my digits: "Add to my digits" under the prediction of a drawing or photo, and the "My digits" tab
  (gallery with delete, fine-tuning with live progress and before/after, zip export and import); the
  digits live in the run store beside the workspace's runs (pytorch_explorer.digits.mine).

The numbers come from pytorch_explorer.digits.probe, the pictures from pytorch_explorer.digits.probe.figures. Session keys
are this page's own, all `probe_*`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.digits import mine, probe
from pytorch_explorer.digits.probe import figures as figs
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.models import TrainedModel, load_checkpoint
from pytorch_explorer.digits.preprocess import (
    LIMIT_NOTE, ImageError, PreprocessResult, is_blank_canvas, load_image_bytes, preprocess_digit,
)
from pytorch_explorer.digits.shelf import StoreShelf
from ui import code_expander, friendly_errors, model_shelf, settings
from ui.settings import KEEP

QUICK_EPOCHS = 3  # the one-click model: seconds on a CPU, about 90 % on the bundled digits
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
SOURCES = ["Draw", "Upload", "Pick from the validation set"]
INPUT_WORDS = dict(zip(SOURCES, ["the canvas's RGBA array", "a picture of a digit", "a validation digit"], strict=True))
NO_CHART_BAR = {"displayModeBar": False}
MAX_MAPS = 32  # channels a feature-map grid shows
GALLERY = 40  # my digits shown at once
KEPT = ("probe_source", "probe_model_name", "probe_stroke", "probe_pick_class", "probe_saliency_class", "probe_top_k",
        "probe_layer", "probe_weights_order", "probe_weights_count", "probe_cm_true", "probe_cm_pred",
        "probe_compare_models", "probe_fm_layer", "probe_mine_filter", "probe_ft_epochs",
        "probe_ft_mode")  # the controls bound to the URL (ui.settings.KEEP)
state = st.session_state


@dataclass
class Probed:
    """What the tabs show: the shelf, the model being probed, and the digit with the model's answer."""

    shelf: StoreShelf
    trained: TrainedModel
    digit: np.ndarray | None = None  # uint8 28x28, or None before there is one
    probabilities: np.ndarray | None = None  # (10,)


# ----------------------------------------------------------------------------- models on the shelf
def add_model(trained: TrainedModel, name: str, how: str) -> None:
    """Put a model on the shared shelf (a unique name, the current model) and probe it."""
    state["probe_model_name"] = model_shelf().add(trained, how, name=name)


def train_now(article_faithful: bool = False) -> None:
    """The one-click model (a button callback): the fixed loop, or the article's."""
    from pytorch_explorer.digits.training import TrainConfig, train_to_completion

    config = TrainConfig(epochs=QUICK_EPOCHS, article_faithful=article_faithful)
    what = "the article's loop (no zero_grad)" if article_faithful else "the fixed loop"
    try:
        with st.spinner(f"Training {config.hidden} hidden units for {QUICK_EPOCHS} epochs with {what}..."):
            add_model(train_to_completion(config), f"quick ({config.label})", "one click on the probe page")
    except ExplorerError as exc:
        state["probe_model_error"] = str(exc)


def load_uploaded_model() -> None:
    """The checkpoint uploader's callback."""
    upload = state.get("probe_checkpoint")
    if upload is None:
        return
    try:
        add_model(load_checkpoint(upload.getvalue(), name=upload.name), f"loaded: {upload.name}",
                  f"loaded from {upload.name}")
        state.pop("probe_model_error", None)
    except ExplorerError as exc:
        state["probe_model_error"] = str(exc)


def model_loaders(caption: str) -> None:
    """Three ways to get a model: train one now, load a file, or go to the trainer page."""
    a, b, c = st.columns(3, gap="medium")
    a.button("Train a model now on the bundled digits", key="probe_train_now", type="primary",
             on_click=train_now, help=f"784 -> 500 (ReLU) -> 10, Adam, {QUICK_EPOCHS} epochs: a few seconds")
    b.file_uploader("Load a saved model (.pt)", key="probe_checkpoint", on_change=load_uploaded_model,
                    help="Saved from the trainer page or with `digits train --save PATH`.")
    with c:
        st.page_link("pages/digits_trainer.py", label="Train one your way on the trainer page",
                     icon=":material/model_training:")
        st.caption(caption)


def choose_model(shelf: StoreShelf) -> TrainedModel:
    """The model picker (the shelf's current model first), its one-line description, and the loaders."""
    names = shelf.names()
    if state.get("probe_pending_model") in names:  # a model made further down the page on the last run
        state["probe_model_name"] = state.pop("probe_pending_model")
    if state.get("probe_model_name") not in names:
        current = shelf.current
        state["probe_model_name"] = current.name if current is not None else names[-1]
    left, right = st.columns([2, 3], vertical_alignment="bottom")
    trained = shelf.get(left.selectbox("Model", names, key="probe_model_name", **KEEP))
    right.caption(probe.describe(trained))
    with st.expander("Add a model (train one now, or load a file)"):
        model_loaders("Two models? Compare them on the same digit in the last tab.")
    return trained


def report_ignored(raw: dict[str, str]) -> None:
    """A note for the URL values the page could not use; a control this run did not draw (a closed tab) is
    not judged."""
    drawn = [key for key in KEPT if state.get(key) is not None]
    settings.report_ignored({k: v for k, v in raw.items() if k not in KEPT or k in drawn}, drawn)


# ----------------------------------------------------------------------------- the digit
@st.cache_data(show_spinner=False, max_entries=2)
def bundled_digits() -> DigitDataset:
    return load_digits("bundled")


def validation_report(shelf: StoreShelf, trained: TrainedModel) -> tuple[probe.ValidationReport, str]:
    """The model's validation report and a note (see probe.report_with_fallback), once per model."""
    cache = state.setdefault("probe_reports", probe.PerModelCache())
    cache.keep_only(shelf.loaded())
    found = cache.get(trained)
    if found is None:
        with st.spinner(f"Predicting the validation digits of {escape_markdown(trained.source)}..."):
            found = cache.put(trained, probe.report_with_fallback(trained, bundled_digits))
    return found


def clear_canvas() -> None:
    state["probe_canvas_gen"] = state.get("probe_canvas_gen", 0) + 1  # a new key: a fresh canvas


def digit_from_canvas() -> PreprocessResult | None:
    """The drawing canvas and its stroke controls; the preprocessed drawing once there is one."""
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    stroke = c1.slider("Stroke width", 6, 40, 20, key="probe_stroke", **KEEP)
    c2.button("Clear", key="probe_clear", on_click=clear_canvas, width="stretch")
    canvas = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                       height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                       update_streamlit=True, key=f"probe_canvas_{state.setdefault('probe_canvas_gen', 0)}")
    st.caption("Draw one digit, big, in the black square; the guess updates each time you lift the mouse.")
    if is_blank_canvas(canvas.image_data):
        return None
    with friendly_errors("Reading the drawing"):
        try:
            return preprocess_digit(canvas.image_data, name="the drawing")
        except ImageError as exc:
            st.warning(str(exc))
    return None


def digit_from_upload() -> PreprocessResult | None:
    """The picture uploader and a preview; the preprocessed picture, or an error that says why not."""
    upload = st.file_uploader(f"A picture of one digit (PNG, JPEG, BMP, GIF, WebP; {LIMIT_NOTE})",
                              type=UPLOAD_TYPES, key="probe_upload")
    if upload is None:
        return None
    try:
        picture = load_image_bytes(upload.getvalue(), upload.name)
        preview = figs.preview(picture)
        if preview is not None:
            width, height = picture.info.get("original_size", picture.size)
            shrunk = f", shrunk to {picture.width}x{picture.height}" if (width, height) != picture.size else ""
            st.image(preview, width=220, caption=f"{escape_markdown(upload.name)} ({width}x{height}{shrunk})")
        return preprocess_digit(picture, name=upload.name)
    except ImageError as exc:
        st.error(str(exc))
    return None


def pick(index: int) -> None:
    """Open validation digit `index` (a button callback)."""
    state["probe_pick_index"] = int(index)
    state["probe_source"] = SOURCES[2]


def pick_random(report: probe.ValidationReport, of_class: bool = False) -> None:
    """Callbacks read the widgets' values when they run (a click can come with a changed select box)."""
    index = report.random_pick(state["probe_pick_class"] if of_class else None)
    if index is not None:
        pick(index)


def pick_next_mistake(report: probe.ValidationReport) -> None:
    following = report.next_mistake(state.get("probe_pick_index", 0))
    if following is not None:
        pick(following)


def digit_from_validation(shelf: StoreShelf, trained: TrainedModel) -> tuple[np.ndarray, int]:
    """The pick buttons and the chosen validation digit: (image, label)."""
    report, note = validation_report(shelf, trained)
    if note:
        st.caption(note)
    index = min(int(state.get("probe_pick_index", 0)), len(report.labels) - 1)
    b1, b2, b3 = st.columns([1, 1.3, 1.3], vertical_alignment="bottom")
    b1.button("Random digit", key="probe_pick_random", on_click=pick_random, args=(report,), width="stretch")
    b2.selectbox("Class", list(range(10)), key="probe_pick_class", **KEEP, format_func=lambda d: f"a random {d}")
    b2.button("Pick it", key="probe_pick_class_button", width="stretch", on_click=pick_random, args=(report, True))
    b3.button("Next misclassified", key="probe_pick_mistake", width="stretch", on_click=pick_next_mistake,
              args=(report,))
    digit, label = report.images[index], int(report.labels[index])
    st.image(figs.enlarge(digit, 224), width=224,
             caption=f"validation digit #{index} (row {report.first_row + index}), labelled {label}")
    st.caption("Validation digits are already MNIST-shaped: the model sees them exactly as stored.")
    return digit, label


def show_stages(result: PreprocessResult) -> None:
    """How the picture became the model's input: one thumbnail a stage, and the decisions taken."""
    st.markdown("**How the picture became the model's input**")
    thumbs = [figs.thumbnail(image, 84) for _, image in result.stages]
    st.image(thumbs, caption=[f"{i + 1}. {stage}" for i, (stage, _) in enumerate(result.stages)], width=84)
    with st.expander("What each step decided"):
        st.markdown("\n".join(f"- {note}" for note in result.notes))


def show_prediction(digit: np.ndarray, probabilities: np.ndarray, true_label: int | None) -> None:
    """The input, the guess and its confidence, right or wrong when the label is known, the ten bars."""
    guess = int(probabilities.argmax())
    i1, i2, i3 = st.columns([1, 1, 1], vertical_alignment="center")
    i1.image(figs.enlarge(digit, 112), caption="the 28x28 input", width=112)
    i2.metric("Prediction", str(guess))
    i3.metric("Confidence", f"{probabilities[guess]:.1%}")
    if true_label is not None:
        if guess == true_label:
            st.success(f"Right: the label is {true_label}.")
        else:
            st.error(f"Wrong: the label is {true_label}; the model gives it {probabilities[true_label]:.1%}.")
    elif probabilities[guess] < 0.5:
        st.caption("Under 50 %: the model is unsure. A clearer, bigger, centred digit usually helps.")
    st.plotly_chart(figs.probability_bars(probabilities, true_label), key="probe_probabilities", config=NO_CHART_BAR)


# ----------------------------------------------------------------------------- the tabs
def saliency_tab(p: Probed) -> int | None:
    """Which pixels push the chosen class's score up or down; returns the class (None: the top guess)."""
    choice = st.columns([1, 2])[0].selectbox(
        "Explain the score of", ["the top guess"] + list(range(10)), key="probe_saliency_class", **KEEP,
        format_func=lambda c: c if isinstance(c, str) else f"digit {c}")
    target = None if isinstance(choice, str) else int(choice)
    sal = probe.saliency(p.trained, p.digit, target)
    st.markdown(
        f"The **gradient** of the model's score (logit) for **{sal.target}** with respect to each input pixel: "
        "red pixels would raise the score if they were brighter, blue ones would lower it. **Input x gradient** "
        "keeps only the pixels that are actually lit: the ink that voted for (red) or against (blue) this digit."
    )
    st.plotly_chart(figs.saliency_figure(p.digit, sal.gradient, sal.input_x_gradient, sal.target),
                    key="probe_saliency_chart", config=NO_CHART_BAR)
    return target


def hidden_units_tab(p: Probed) -> None:
    """The dense hidden layers' activations, the strongest units' votes and (MLP) incoming weights."""
    layers = probe.hidden_activations(p.trained, p.digit)
    if not layers:
        st.info("This model has no fully connected hidden layer: its last layer reads the conv layers' maps "
                "directly. See **Why: feature maps** for what its layers see.", icon=":material/info:")
        return
    c1, c2 = st.columns([2, 3])
    k = c1.slider("Strongest units to show", 4, 24, 12, step=2, key="probe_top_k", **KEEP)
    layer = 0
    if len(layers) > 1:
        layer = c2.radio("Hidden layer", list(range(len(layers))), key="probe_layer", **KEEP, horizontal=True,
                         format_func=lambda i: f"layer {i + 1}")
    layer = min(layer, len(layers) - 1)
    acts = layers[layer]
    strongest = probe.strongest_units(acts, k)
    guess = int(p.probabilities.argmax())
    votes = probe.unit_contributions(p.trained, layers[-1], guess) if layer == len(layers) - 1 else None
    convolutional = probe.conv.is_convolutional(p.trained.model)
    st.markdown(
        (f"The fully connected layers after the convolutions: layer {layer + 1} of {len(layers)}. "
         if convolutional else "")
        + f"{int((acts > 0).sum())} of {len(acts)} units are active for this digit; the {k} strongest are "
        "highlighted." + (f" In brackets, each unit's **vote** for {guess}: its activation times its weight "
                         f"into the logit of {guess} (the logit is the sum of the votes plus a bias)."
                         if votes is not None else "")
    )
    st.plotly_chart(figs.activations_figure(acts, strongest), key="probe_activations", config=NO_CHART_BAR)
    if layer == 0 and probe.conv.pixel_weights_apply(p.trained.model):
        st.markdown("Each unit's **incoming weights** as a 28x28 picture (red: ink there excites the unit, "
                    "blue: inhibits it), with your digit's outline on top.")
        st.plotly_chart(figs.unit_weights_figure(probe.first_layer_weights(p.trained), strongest, acts, votes,
                                                 image=p.digit), key="probe_unit_weights", config=NO_CHART_BAR)
    elif convolutional:
        st.caption("These units weigh the conv layers' maps, not the pixels, so their weights are not 28x28 pictures; "
                   "the filters that look at the pixels are in **Why: weights**.")
    else:
        st.caption("Only first-layer units have weights over the pixels; deeper units weigh other units.")


def feature_maps_tab(p: Probed) -> None:
    """A CNN's conv layers: each one's feature maps for the digit, as a grid of small heatmaps."""
    found = probe.conv.feature_maps(p.trained.model, p.digit)
    if not found:
        st.info("This model is an MLP: it has no convolution layers, so there are no feature maps. Its first layer "
                "looks at all 784 pixels at once (see **Why: hidden units** and **Why: weights**). Train a CNN "
                "(LeNet or the small CNN) on the trainer page to see what convolution filters find in a digit.",
                icon=":material/info:")
        return
    layer = 0
    if len(found) > 1:
        layer = st.radio("Conv layer", list(range(len(found))), key="probe_fm_layer", **KEEP, horizontal=True,
                         format_func=lambda i: f"layer {i + 1}")
    maps = found[min(layer, len(found) - 1)]
    shown = min(len(maps.maps), MAX_MAPS)
    st.markdown(
        f"**{maps.title}.** Each small picture is one channel's **feature map**: its filter slid over "
        f"{'the digit' if maps.index == 0 else 'the previous layer’s maps'}, red where it matched (a positive "
        "response), blue where it did not. The activation (ReLU) that follows keeps only the red."
        + (f" The first {shown} of {len(maps.maps)} channels." if shown < len(maps.maps) else ""))
    st.plotly_chart(figs.feature_maps_figure(maps.maps, MAX_MAPS), key="probe_feature_maps", config=NO_CHART_BAR)


def weights_tab(p: Probed) -> None:
    """An MLP's first-layer weights as a mosaic; a CNN's first conv layer's filters."""
    if not probe.conv.pixel_weights_apply(p.trained.model):
        conv_filters_view(p)
        return
    c1, c2 = st.columns([3, 2])
    order = c1.radio("Order", ["unit number", "strongest for this digit"], key="probe_weights_order", **KEEP,
                     horizontal=True, disabled=p.digit is None)
    weights = probe.first_layer_weights(p.trained)
    count = c2.select_slider("Units shown", [n for n in (50, 100, 200, 500, 1000) if n < len(weights)]
                             + [len(weights)], value=min(100, len(weights)), key="probe_weights_count", **KEEP)
    by_activation = p.digit is not None and order != "unit number"
    if by_activation:  # depends on the digit: drawn each time
        units = probe.strongest_units(probe.hidden_activations(p.trained, p.digit)[0], len(weights))
        png, width = figs.weight_mosaic_png(weights[units[:count]])
    else:  # the same for every digit: drawn once per model and count
        cache = state.setdefault("probe_mosaics", probe.PerModelCache())
        png, width = cache.get(p.trained, count) or cache.put(p.trained, figs.weight_mosaic_png(weights[:count]),
                                                               count)
    st.markdown(f"{'The first' if order == 'unit number' else 'The'} {count} of {len(weights)} first-layer units"
                f"{' most active for this digit' if by_activation else ''}: each one's 784 incoming weights as a "
                "28x28 picture (red positive, blue negative, each scaled to its own largest weight). Training turns "
                "the random start into strokes and blobs; after a few epochs many units still look mostly random.")
    st.image(png, width=min(width, 1000))


def conv_filters_view(p: Probed) -> None:
    """The first conv layer's filters (or why there are no pixel pictures for this model)."""
    filters = probe.conv.first_conv_filters(p.trained.model)
    if filters is None:
        st.info("This model's first layer is neither a Linear layer over the 784 pixels nor a convolution, so its "
                "weights are not pictures of what it looks for.", icon=":material/info:")
        return
    out, inputs, kh, kw = filters.shape
    st.markdown(
        f"A CNN's first layer is not one weight per pixel: it is **{out} small filters of {kh}x{kw} weights**, each "
        "slid over the whole digit (the same weights everywhere; that sharing is what makes it a convolution). Red "
        "weights want ink, blue ones want background: many filters become edge or stroke detectors. (The MLP's "
        "28x28 weight pictures have no counterpart here; see **Why: feature maps** for what these filters find in "
        "your digit.)" + (f" Averaged over the {inputs} input channels." if inputs > 1 else ""))
    st.plotly_chart(figs.filters_figure(filters, MAX_MAPS), key="probe_filters", config=NO_CHART_BAR)


def confusion_cell(report: probe.ValidationReport) -> None:
    """A click on the matrix picks its cell; read before the select boxes are drawn (they share keys)."""
    clicked = (state.get("probe_cm_chart") or {}).get("selection", {}).get("points", [])
    if clicked and (int(clicked[0]["y"]), int(clicked[0]["x"])) != state.get("probe_cm_last_click"):
        state["probe_cm_last_click"] = (int(clicked[0]["y"]), int(clicked[0]["x"]))
        state["probe_cm_true"], state["probe_cm_pred"] = state["probe_cm_last_click"]
    if "probe_cm_true" not in state:  # start on the most common mistake
        state["probe_cm_true"], state["probe_cm_pred"] = report.most_common_mistake()


def validation_tab(p: Probed) -> None:
    """Accuracy, the clickable confusion matrix, per-class accuracy, a cell's digits and the worst mistakes."""
    report, note = validation_report(p.shelf, p.trained)
    if note:
        st.warning(note)
    mistakes = report.mistakes()
    m1, m2, m3 = st.columns(3)
    m1.metric("Validation accuracy", f"{report.accuracy:.1%}")
    m2.metric("Validation digits", f"{len(report.labels):,}")
    m3.metric("Mistakes", f"{len(mistakes):,}")
    confusion_cell(report)
    c1, c2 = st.columns([1.1, 1], gap="large")
    with c1:
        st.markdown("**Confusion matrix** (rows: the true digit, columns: the guess). Click a cell to see its digits.")
        st.plotly_chart(figs.confusion_figure(report.confusion, (state["probe_cm_true"], state["probe_cm_pred"])),
                        key="probe_cm_chart", on_select="rerun", selection_mode="points", config=NO_CHART_BAR)
    with c2:
        st.markdown(f"**Accuracy per digit** (dashed: all digits, {report.accuracy:.1%})")
        st.plotly_chart(figs.per_class_accuracy_figure(report.per_class_accuracy, report.accuracy),
                        key="probe_per_class", config=NO_CHART_BAR)
        s1, s2 = st.columns(2)
        true_c = s1.selectbox("True digit", list(range(10)), key="probe_cm_true", **KEEP)
        pred_c = s2.selectbox("Predicted", list(range(10)), key="probe_cm_pred", **KEEP)
    cell = report.cell(true_c, pred_c)
    st.markdown(f"**{len(cell)} digit{'s' if len(cell) != 1 else ''} labelled {true_c} that the model called "
                f"{pred_c}** ({'right' if true_c == pred_c else 'mistaken'}; most confident first, up to 16). "
                "*Probe* opens one on the left.")
    gallery(report, cell[:16], "cell")
    st.markdown("**The most confident mistakes**: label -> guess (the probability the model gave its guess).")
    if len(mistakes):
        gallery(report, mistakes[:16], "mistake")
    else:
        st.success("No mistakes on the validation set.")


def gallery(report: probe.ValidationReport, indices: np.ndarray, prefix: str) -> None:
    """Validation digits eight a row, each with its caption and a button that opens it on the left."""
    columns = st.columns(8)
    for j, i in enumerate(indices):
        with columns[j % 8]:
            st.image(figs.enlarge(report.images[i], 84), width=84, caption=report.caption(i))
            st.button("Probe", key=f"probe_open_{prefix}_{i}", on_click=pick, args=(i,))


def compare_tab(p: Probed) -> None:
    """Several models on the same digit: their probabilities and their input x gradient."""
    names = p.shelf.names()
    if len(names) < 2:
        st.info("There is one model in this workspace. Train the article's version (no `zero_grad`, batches drawn "
                "with replacement) next to it and see how differently the two read the same digit.")
        st.button("Train the article-faithful version now", key="probe_train_faithful", on_click=train_now,
                  args=(True,), help=f"{QUICK_EPOCHS} epochs of the article's loop: slower than the fixed one")
        return
    default = [p.trained.name] + [n for n in names if n != p.trained.name][:1]
    chosen = st.multiselect("Models to compare", names, default=default, key="probe_compare_models", **KEEP)
    if p.digit is None:
        st.info("Give the models a digit first.")
        return
    if not chosen:
        return
    by_model = {n: probe.predict(p.shelf.get(n), p.digit) for n in chosen}
    st.plotly_chart(figs.compare_figure(by_model), key="probe_compare_chart", config=NO_CHART_BAR)
    for column, n in zip(st.columns(len(chosen)), chosen, strict=True):
        with column:
            probabilities, acc = by_model[n], p.shelf.get(n).metrics.get("val_acc")
            guess = int(probabilities.argmax())
            st.metric(n, f"{guess} ({probabilities.max():.0%})",
                      help=f"validation accuracy {acc:.1%}" if isinstance(acc, float) else None)
            sal = probe.saliency(p.shelf.get(n), p.digit, guess)
            st.image(figs.enlarge(figs.diverging_rgb(sal.input_x_gradient), 168), width=168,
                     caption=f"input x gradient for {guess}")


# ----------------------------------------------------------------------------- my digits
def my_digits() -> mine.MyDigits:
    """This workspace's my-digits folder (beside its runs in the run store); one object a session."""
    from ui.workspace import run_store, workspace

    root = mine.MyDigits.for_workspace(run_store().root, workspace()).root
    found = state.get("probe_mine_store")
    if not isinstance(found, mine.MyDigits) or found.root != root:
        found = state["probe_mine_store"] = mine.MyDigits(root)
    return found


def show_mine_note(key: str = "probe_mine_note") -> None:
    """The message a my-digits callback left (kept or refused under the prediction; imported in the tab), and
    the rows it skipped."""
    found = state.pop(key, None)
    if found is None:
        return
    kind, text, problems = (*found, [])[:3]
    getattr(st, kind)(text)
    if problems:
        with st.expander(f"{len(problems)} skipped"):
            st.markdown("\n".join(f"- {escape_markdown(p)}" for p in problems[:50])
                        + (f"\n- ... and {len(problems) - 50} more" if len(problems) > 50 else ""))


def keep_digit(digit: np.ndarray, from_canvas: bool) -> None:
    """The "Add to my digits" callback: keep the digit under the chosen label, then a fresh canvas."""
    label = state.get("probe_mine_label")
    if label is None:
        state["probe_mine_note"] = ("warning", "Choose its label first: the digit you meant to write.")
        return
    store = my_digits()
    try:
        store.add(digit, int(label))
    except ExplorerError as exc:
        state["probe_mine_note"] = ("error", str(exc))
        return
    state["probe_mine_note"] = ("success", f"Kept as a {label}: {len(store)} in my digits ({mine.CAP_NOTE}). "
                                           "See them, and fine-tune the model on them, in the **My digits** tab.")
    state["probe_mine_label"] = None
    if from_canvas:
        clear_canvas()


def add_to_my_digits(digit: np.ndarray, probabilities: np.ndarray, from_canvas: bool) -> None:
    """Under the prediction: label the digit and keep it in my digits."""
    store = my_digits()
    unsure = probabilities.max() < 0.8
    with st.container(border=True, key="probe_mine_box"):
        st.markdown("**Wrong or unsure?** Tell the model which digit you meant and keep it in **my digits** "
                    "(the last tab): then fine-tune the model on your own handwriting." if unsure else
                    "**Keep this digit** with its label in **my digits** (the last tab), to fine-tune the model on "
                    "your own handwriting.")
        st.pills("Its label", list(range(10)), key="probe_mine_label")
        st.button("Add to my digits", key="probe_mine_add", on_click=keep_digit, args=(digit, from_canvas),
                  disabled=store.room == 0, icon=":material/add_photo_alternate:")
        st.caption(f"{len(store):,} kept in this workspace so far ({mine.CAP_NOTE}).")


def delete_digit(filename: str) -> None:
    my_digits().delete(filename)


def import_digits(key: str) -> None:
    """The zip uploader's callback: import, then a fresh uploader (the same file is not imported twice)."""
    upload = state.get(key)
    state["probe_mine_import_gen"] = state.get("probe_mine_import_gen", 0) + 1
    if upload is None:
        return
    try:
        report = mine.import_zip(my_digits(), upload.getvalue(), upload.name)
    except ExplorerError as exc:
        state["probe_mine_tab_note"] = ("error", str(exc))
        return
    kind = "success" if report.added and not report.problems else "warning"
    state["probe_mine_tab_note"] = (kind, report.summary, report.problems)


def my_digits_tab(p: Probed) -> None:
    """The gallery of my digits (with delete), fine-tuning on them, export and import."""
    store = my_digits()
    images, labels, names = store.load()
    show_mine_note("probe_mine_tab_note")
    if not len(labels):
        st.info("No digits of yours yet. Draw a digit on the left (or upload a photo), choose its label under the "
                "prediction and click **Add to my digits**. They are kept in this workspace, beside its runs, and "
                f"survive a reload and a restart ({mine.CAP_NOTE}). Or import a zip of them below.",
                icon=":material/draw:")
    else:
        right = probe.predict_many(p.trained, images).argmax(axis=1) == labels
        m1, m2, m3 = st.columns(3)
        m1.metric("My digits", f"{len(labels):,}", help=f"Kept in this workspace; {mine.CAP_NOTE}.")
        m2.metric(f"{p.trained.name} gets right", f"{right.mean():.0%}")
        m3.metric("Labels", " ".join(str(d) for d in range(10) if (labels == d).any()))
        mine_gallery(p, images, labels, names, right)
        fine_tune_view(p, images, labels)
    export_import_view(store)


def mine_gallery(p: Probed, images: np.ndarray, labels: np.ndarray, names: list[str], right: np.ndarray) -> None:
    """My digits, newest first, eight a row: the label, the model's guess when it is wrong, a delete button."""
    which = st.columns([1, 3])[0].selectbox("Show", ["all"] + list(range(10)), key="probe_mine_filter", **KEEP,
                                            format_func=lambda d: "all my digits" if d == "all" else f"my {d}s")
    chosen = [i for i in range(len(labels)) if which == "all" or labels[i] == which][::-1]
    shown = chosen[:GALLERY]
    st.caption(f"Newest first: {len(shown)} of {len(chosen)}. Under each, its label and, when the model "
               f"({escape_markdown(p.trained.name)}) disagrees, what it says instead.")
    guesses = probe.predict_many(p.trained, images[shown]).argmax(axis=1) if shown else []
    columns = st.columns(8)
    for j, i in enumerate(shown):
        with columns[j % 8]:
            caption = f"{labels[i]}" if right[i] else f"{labels[i]} (model: {guesses[j]})"
            st.image(figs.enlarge(images[i], 56), width=56, caption=caption)
            st.button("Delete", key=f"probe_mine_del_{names[i][:-4]}", on_click=delete_digit, args=(names[i],),
                      icon=":material/delete:")


def fine_tune_view(p: Probed, images: np.ndarray, labels: np.ndarray) -> None:
    """Fine-tune a copy of the current model on my digits (a new model on the shelf), live; before and after."""
    st.markdown("#### Fine-tune the model on my digits")
    st.markdown(
        f"Train a **copy** of {as_code(p.trained.name)} for a few more epochs on your digits (the original "
        "stays on the shelf). *Mixed* adds the model's own training digits to every epoch; *my digits only* shows "
        "what happens without them: the model fits your handwriting and **forgets** some of what it knew.")
    c1, c2, c3 = st.columns([2, 3, 1.4], vertical_alignment="bottom")
    epochs = c1.slider("Epochs", 1, 20, mine.FineTuneSettings.epochs, key="probe_ft_epochs", **KEEP)
    mode = c2.radio("Train on", list(mine.MODES), key="probe_ft_mode", **KEEP, horizontal=True,
                    format_func=mine.MODE_WORDS.get)
    settings_now = mine.FineTuneSettings(epochs=epochs, mode=mode)
    if c3.button("Fine-tune", key="probe_ft_start", type="primary", icon=":material/tune:", width="stretch"):
        with friendly_errors("Fine-tuning"):
            run_fine_tune(p, images, labels, settings_now)
    last = state.get("probe_ft_last")
    if last:
        st.markdown(f"**Last fine-tune**: {as_code(last['from'])} -> {as_code(last['name'])} "
                    f"({escape_markdown(mine.MODE_WORDS[last['mode']])}, {last['epochs']} epochs).")
        a, b = st.columns(2)
        a.metric("On my digits", f"{last['mine_after']:.0%}", f"{(last['mine_after'] - last['mine_before']) * 100:+.0f} "
                 f"points (was {last['mine_before']:.0%})")
        b.metric("On the validation digits", f"{last['val_after']:.1%}",
                 f"{(last['val_after'] - last['val_before']) * 100:+.1f} points (was {last['val_before']:.1%})")
        (st.warning if last["forgot"] else st.info)(last["note"])
        st.plotly_chart(figs.fine_tune_figure(last["history"]), key="probe_ft_chart", config=NO_CHART_BAR)
    code_expander(mine.fine_tune_code(settings_now), "PyTorch code: fine-tuning on my digits")


def run_fine_tune(p: Probed, images: np.ndarray, labels: np.ndarray, settings: mine.FineTuneSettings) -> None:
    """Fine-tune with a live progress bar, put the new model on the shelf, and open it."""
    base, note = mine.base_digits(p.trained, bundled_digits)
    bar = st.progress(0.0, text="Measuring the model before fine-tuning...")
    result = None
    for event in mine.fine_tune(p.trained, images, labels, base, settings, note):
        bar.progress(event.epoch / event.epochs, text=f"Epoch {event.epoch} of {event.epochs}: my digits "
                     f"{event.mine_acc:.0%}, validation {event.val_acc:.1%}")
        result = event.result or result
    assert result is not None
    how = f"fine-tuned on my digits ({mine.MODE_WORDS[settings.mode]}) on the probe page"
    name = p.shelf.add(result.model, how, name=result.model.name)
    state["probe_ft_last"] = {
        "from": p.trained.name, "name": name, "mode": settings.mode, "epochs": settings.epochs,
        "mine_before": result.mine_before, "mine_after": result.mine_after, "val_before": result.val_before,
        "val_after": result.val_after, "forgot": result.forgot,
        "note": " ".join(filter(None, [mine.forgetting_note(result), note])),
        "history": [dict(h) for h in event.history]}
    state["probe_pending_model"] = name
    st.rerun()


def export_import_view(store: mine.MyDigits) -> None:
    """Download my digits as a zip in the article's layout; import such a zip."""
    st.markdown("#### Export and import")
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.download_button("Export my digits (.zip)", data=functools.partial(mine.export_zip, store),
                           file_name="my_digits.zip", mime="application/zip", key="probe_mine_export",
                           disabled=not len(store), on_click="ignore", icon=":material/download:")
        st.caption("The article's layout: `Train/train.csv` (filename,label) and the 28x28 PNGs in "
                   "`Train/Images/train/`; the trainer reads such a folder as a data source (`folder:PATH`).")
    key = f"probe_mine_import_{state.get('probe_mine_import_gen', 0)}"
    c2.file_uploader(f"Import a my-digits zip (the same layout; PNG only, up to {mine.MAX_ZIP_BYTES >> 20} MB)", type=["zip"],
                     key=key, on_change=import_digits, args=(key,))


TABS: dict[str, Callable[[Probed], int | None]] = {
    "Why: saliency": saliency_tab, "Why: hidden units": hidden_units_tab, "Why: feature maps": feature_maps_tab,
    "Why: weights": weights_tab, "Validation analysis": validation_tab, "Compare models": compare_tab,
    "My digits": my_digits_tab,
}
NEEDS_A_DIGIT = {"Why: saliency", "Why: hidden units", "Why: feature maps"}


def show_tabs(p: Probed) -> int | None:
    """The seven tabs; only the open one runs (on_change="rerun"), so a stroke reruns one tab, not five.
    Returns the class the saliency tab explains (None: the top guess), for the page's code."""
    target = None
    for tab, (label, show) in zip(st.tabs(list(TABS), key="probe_tab", on_change="rerun"), TABS.items(), strict=True):
        with tab:
            if not tab.open:
                continue
            if label in NEEDS_A_DIGIT and p.digit is None:
                st.info("Give the model a digit first.")
            elif label == "Why: saliency":
                target = show(p)
            else:
                show(p)
    return target
