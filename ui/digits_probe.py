"""The Streamlit parts of the Digits: probe page (pages/digits_probe.py reads top to bottom and calls these).

- models: the one-click trainer, the checkpoint uploader, the model picker; every model goes on the
  workspace's model shelf (`ui.model_shelf()`: runs in the run store, so they survive a reload and a
  restart), never into another page's session keys;
- the digit: from the canvas, an uploaded picture, or the model's validation set (its report is
  computed once per model);
- the seven tabs, each a function of a `Probed` (the model, the digit, its probabilities): nothing
  here reads the page's globals. The "Why" tabs work for any architecture: a CNN gets its feature
  maps and filters, an MLP its 28x28 weight pictures, and each says why the other's view is not there.

My digits (keeping a drawing, the "My digits" tab) are in ui/digits_probe_mine.py; what both halves share
(`Probed`, `add_model`, `clear_canvas`, `bundled_digits`) in ui/digits_probe_common.py.

The numbers come from pytorch_explorer.digits.probe, the pictures from pytorch_explorer.digits.probe.figures. Session keys
are this page's own, all `probe_*`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from pytorch_explorer.core.errors import ExplorerError, Term
from pytorch_explorer.core.text import escape_markdown
from pytorch_explorer.digits import probe
from pytorch_explorer.digits.models import TrainedModel, load_checkpoint
from pytorch_explorer.digits.preprocess import (
    ImageError, PreprocessResult, is_blank_canvas, limit_note, load_image_bytes, preprocess_digit,
)
from pytorch_explorer.digits.probe import figures as figs
from pytorch_explorer.digits.shelf import StoreShelf
from ui import error_text, friendly_errors, settings
from pytorch_explorer.i18n import translate
from ui.digits_probe_common import NO_CHART_BAR, Probed, add_model, bundled_digits, clear_canvas, sentences, state
from ui.digits_probe_mine import my_digits_tab
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

QUICK_EPOCHS = 3  # the one-click model: seconds on a CPU, about 90 % on the bundled digits
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
SOURCES = ["Draw", "Upload", "Pick from the validation set"]
INPUT_WORDS = dict(zip(SOURCES, ["the canvas's RGBA array", "a picture of a digit", "a validation digit"], strict=True))
MAX_MAPS = 32  # channels a feature-map grid shows
TOP_GUESS = "the top guess"  # the saliency tab's first choice: the class the model picked
KEPT = ("probe_source", "probe_model_name", "probe_stroke", "probe_pick_class", "probe_saliency_class", "probe_top_k",
        "probe_layer", "probe_weights_order", "probe_weights_count", "probe_cm_true", "probe_cm_pred",
        "probe_compare_models", "probe_fm_layer", "probe_mine_filter", "probe_ft_epochs",
        "probe_ft_mode")  # the controls kept in the URL (ui.settings.KEEP, or ui.settings.choice)


# ----------------------------------------------------------------------------- models on the shelf
def train_now(article_faithful: bool = False) -> None:
    """The one-click model (a button callback): the fixed loop, or the article's."""
    from pytorch_explorer.digits.training import TrainConfig, train_to_completion

    config = TrainConfig(epochs=QUICK_EPOCHS, article_faithful=article_faithful)
    if article_faithful:
        words = tr("Training {hidden} hidden units for {epochs} epochs with the article's loop (no zero_grad)...",
                   hidden=config.hidden, epochs=QUICK_EPOCHS)
    else:
        words = tr("Training {hidden} hidden units for {epochs} epochs with the fixed loop...", hidden=config.hidden,
                   epochs=QUICK_EPOCHS)
    try:
        with st.spinner(words):
            add_model(train_to_completion(config), f"quick ({config.label})", "one click on the probe page")
    except ExplorerError as exc:
        state["probe_model_error"] = error_text(exc)


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
        state["probe_model_error"] = error_text(exc)


def model_loaders(caption: str) -> None:
    """Three ways to get a model: train one now, load a file, or go to the trainer page."""
    a, b, c = st.columns(3, gap="medium")
    a.button(tr("Train a model now on the bundled digits"), key="probe_train_now", type="primary",
             on_click=train_now, help=tr("784 -> 500 (ReLU) -> 10, Adam, {epochs} epochs: a few seconds",
                                         epochs=QUICK_EPOCHS))
    b.file_uploader(tr("Load a saved model (.pt)"), key="probe_checkpoint", on_change=load_uploaded_model,
                    help=tr("Saved from the trainer page or with `digits train --save PATH`."))
    with c:
        st.page_link("pages/digits_trainer.py", label=tr("Train one your way on the trainer page"),
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
    trained = shelf.get(left.selectbox(tr("Model"), names, key="probe_model_name", **KEEP))
    right.caption(probe.describe(trained, lang()))
    with st.expander(tr("Add a model (train one now, or load a file)")):
        model_loaders(tr("Two models? Compare them on the same digit in the last tab."))
    return trained


def report_ignored(raw: dict[str, str]) -> None:
    """A note for the URL values the page could not use; a control this run did not draw (a closed tab) is
    not judged."""
    drawn = [key for key in KEPT if state.get(key) is not None]
    settings.report_ignored({k: v for k, v in raw.items() if k not in KEPT or k in drawn}, drawn)


def validation_report(shelf: StoreShelf, trained: TrainedModel) -> tuple[probe.ValidationReport, str]:
    """The model's validation report and a note (see probe.report_with_fallback), once per model and language."""
    cache = state.setdefault("probe_reports", probe.PerModelCache())
    cache.keep_only(shelf.loaded())
    language = lang()
    found = cache.get(trained, language)
    if found is None:
        with st.spinner(tr("Predicting the validation digits of {source}...", source=escape_markdown(trained.source))):
            found = cache.put(trained, probe.report_with_fallback(trained, bundled_digits, language), language)
    return found



def digit_from_canvas() -> PreprocessResult | None:
    """The drawing canvas and its stroke controls; the preprocessed drawing once there is one."""
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    stroke = c1.slider(tr("Stroke width"), 6, 40, 20, key="probe_stroke", **KEEP)
    c2.button(tr("Clear"), key="probe_clear", on_click=clear_canvas, width="stretch")
    canvas = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                       height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                       update_streamlit=True, key=f"probe_canvas_{state.setdefault('probe_canvas_gen', 0)}")
    st.caption(tr("Draw one digit, big, in the black square; the guess updates each time you lift the mouse."))
    if is_blank_canvas(canvas.image_data):
        return None
    with friendly_errors(tr("Reading the drawing")):
        try:
            return preprocess_digit(canvas.image_data, name=Term("the drawing"), lang=lang())
        except ImageError as exc:
            st.warning(error_text(exc))
    return None


def digit_from_upload() -> PreprocessResult | None:
    """The picture uploader and a preview; the preprocessed picture, or an error that says why not."""
    upload = st.file_uploader(tr("A picture of one digit (PNG, JPEG, BMP, GIF, WebP; {limit})",
                                 limit=limit_note(lang())), type=UPLOAD_TYPES, key="probe_upload")
    if upload is None:
        return None
    try:
        picture = load_image_bytes(upload.getvalue(), upload.name)
        preview = figs.preview(picture)
        if preview is not None:
            width, height = picture.info.get("original_size", picture.size)
            shrunk = tr(", shrunk to {width}x{height}", width=picture.width, height=picture.height) \
                if (width, height) != picture.size else ""
            st.image(preview, width=220, caption=f"{escape_markdown(upload.name)} ({width}x{height}{shrunk})")
        return preprocess_digit(picture, name=upload.name, lang=lang())
    except ImageError as exc:
        st.error(error_text(exc))
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
    b1.button(tr("Random digit"), key="probe_pick_random", on_click=pick_random, args=(report,), width="stretch")
    choice(b2.selectbox, tr("Class"), list(range(10)), key="probe_pick_class", labels=random_label)
    b2.button(tr("Pick it"), key="probe_pick_class_button", width="stretch", on_click=pick_random, args=(report, True))
    b3.button(tr("Next misclassified"), key="probe_pick_mistake", width="stretch", on_click=pick_next_mistake,
              args=(report,))
    digit, label = report.images[index], int(report.labels[index])
    st.image(figs.enlarge(digit, 224), width=224,
             caption=tr("validation digit #{index} (row {row}), labelled {label}", index=index,
                        row=report.first_row + index, label=label))
    st.caption(tr("Validation digits are already MNIST-shaped: the model sees them exactly as stored."))
    return digit, label


def show_stages(result: PreprocessResult) -> None:
    """How the picture became the model's input: one thumbnail a stage, and the decisions taken (both written in
    the session's language by preprocess_digit)."""
    st.markdown(tr("**How the picture became the model's input**"))
    thumbs = [figs.thumbnail(image, 84) for _, image in result.stages]
    st.image(thumbs, caption=[f"{i + 1}. {stage}" for i, (stage, _) in enumerate(result.stages)], width=84)
    with st.expander(tr("What each step decided")):
        st.markdown("\n".join(f"- {note}" for note in result.notes))


def show_prediction(digit: np.ndarray, probabilities: np.ndarray, true_label: int | None) -> None:
    """The input, the guess and its confidence, right or wrong when the label is known, the ten bars."""
    guess = int(probabilities.argmax())
    i1, i2, i3 = st.columns([1, 1, 1], vertical_alignment="center")
    i1.image(figs.enlarge(digit, 112), caption=tr("the 28x28 input"), width=112)
    i2.metric(tr("Prediction"), str(guess))
    i3.metric(tr("Confidence"), f"{probabilities[guess]:.1%}")
    if true_label is not None:
        if guess == true_label:
            st.success(tr("Right: the label is {label}.", label=true_label))
        else:
            st.error(tr("Wrong: the label is {label}; the model gives it {share}.", label=true_label,
                        share=f"{probabilities[true_label]:.1%}"))
    elif probabilities[guess] < 0.5:
        st.caption(tr("Under 50 %: the model is unsure. A clearer, bigger, centred digit usually helps."))
    st.plotly_chart(figs.probability_bars(probabilities, true_label, lang=lang()), key="probe_probabilities",
                    config=NO_CHART_BAR)


def random_label(digit: int, language: str) -> str:
    """How the pick-a-class select shows a digit (the URL holds the digit: ?probe_pick_class=7)."""
    return translate("a random {d}", language).format(d=digit)


def class_label(target: int | str, language: str) -> str:
    """How the saliency tab's select shows a class, or the top guess (the URL holds the class:
    ?probe_saliency_class=3)."""
    return translate(TOP_GUESS, language) if target == TOP_GUESS else translate("digit {c}", language).format(c=target)


def layer_label(n: int, language: str) -> str:
    """How a layer radio shows layer n, counted from 1 as the URL holds it (?probe_layer=2)."""
    return translate("layer {n}", language).format(n=n)


# ----------------------------------------------------------------------------- the tabs
def saliency_tab(p: Probed) -> int | None:
    """Which pixels push the chosen class's score up or down; returns the class (None: the top guess)."""
    chosen = choice(st.columns([1, 2])[0].selectbox, tr("Explain the score of"), [TOP_GUESS, *range(10)],
                    key="probe_saliency_class", labels=class_label)
    target = None if chosen == TOP_GUESS else int(chosen)
    sal = probe.saliency(p.trained, p.digit, target)
    st.markdown(tr(
        "The **gradient** of the model's score (logit) for **{target}** with respect to each input pixel: "
        "red pixels would raise the score if they were brighter, blue ones would lower it. **Input x gradient** "
        "keeps only the pixels that are actually lit: the ink that voted for (red) or against (blue) this digit.",
        target=sal.target))
    st.plotly_chart(figs.saliency_figure(p.digit, sal.gradient, sal.input_x_gradient, sal.target, lang=lang()),
                    key="probe_saliency_chart", config=NO_CHART_BAR)
    return target


def hidden_units_tab(p: Probed) -> None:
    """The dense hidden layers' activations, the strongest units' votes and (MLP) incoming weights."""
    layers = probe.hidden_activations(p.trained, p.digit)
    if not layers:
        st.info(tr("This model has no fully connected hidden layer: its last layer reads the conv layers' maps "
                   "directly. See **Why: feature maps** for what its layers see."), icon=":material/info:")
        return
    c1, c2 = st.columns([2, 3])
    k = c1.slider(tr("Strongest units to show"), 4, 24, 12, step=2, key="probe_top_k", **KEEP)
    layer = 0
    if len(layers) > 1:
        layer = choice(c2.radio, tr("Hidden layer"), list(range(1, len(layers) + 1)), key="probe_layer",
                       horizontal=True, labels=layer_label) - 1
    layer = min(layer, len(layers) - 1)
    acts = layers[layer]
    strongest = probe.strongest_units(acts, k)
    guess = int(p.probabilities.argmax())
    votes = probe.unit_contributions(p.trained, layers[-1], guess) if layer == len(layers) - 1 else None
    convolutional = probe.conv.is_convolutional(p.trained.model)
    st.markdown(sentences(
        tr("The fully connected layers after the convolutions: layer {n} of {total}.", n=layer + 1, total=len(layers))
        if convolutional else "",
        tr("{active} of {units} units are active for this digit; the {k} strongest are highlighted.",
           active=int((acts > 0).sum()), units=len(acts), k=k),
        tr("In brackets, each unit's **vote** for {guess}: its activation times its weight into the logit of {guess} "
           "(the logit is the sum of the votes plus a bias).", guess=guess) if votes is not None else ""))
    st.plotly_chart(figs.activations_figure(acts, strongest, lang=lang()), key="probe_activations",
                    config=NO_CHART_BAR)
    if layer == 0 and probe.conv.pixel_weights_apply(p.trained.model):
        st.markdown(tr("Each unit's **incoming weights** as a 28x28 picture (red: ink there excites the unit, "
                       "blue: inhibits it), with your digit's outline on top."))
        st.plotly_chart(figs.unit_weights_figure(probe.first_layer_weights(p.trained), strongest, acts, votes,
                                                 image=p.digit, lang=lang()), key="probe_unit_weights",
                        config=NO_CHART_BAR)
    elif convolutional:
        st.caption(tr("These units weigh the conv layers' maps, not the pixels, so their weights are not 28x28 "
                      "pictures; the filters that look at the pixels are in **Why: weights**."))
    else:
        st.caption(tr("Only first-layer units have weights over the pixels; deeper units weigh other units."))


def feature_maps_tab(p: Probed) -> None:
    """A CNN's conv layers: each one's feature maps for the digit, as a grid of small heatmaps."""
    found = probe.conv.feature_maps(p.trained.model, p.digit)
    if not found:
        st.info(tr("This model is an MLP: it has no convolution layers, so there are no feature maps. Its first "
                   "layer looks at all 784 pixels at once (see **Why: hidden units** and **Why: weights**). Train a "
                   "CNN (LeNet or the small CNN) on the trainer page to see what convolution filters find in a "
                   "digit."), icon=":material/info:")
        return
    layer = 0
    if len(found) > 1:
        layer = choice(st.radio, tr("Conv layer"), list(range(1, len(found) + 1)), key="probe_fm_layer",
                       horizontal=True, labels=layer_label) - 1
    maps = found[min(layer, len(found) - 1)]
    shown = min(len(maps.maps), MAX_MAPS)
    title = maps.title_in(lang())
    st.markdown(sentences(
        tr("**{title}.** Each small picture is one channel's **feature map**: its filter slid over the digit, red "
           "where it matched (a positive response), blue where it did not. The activation (ReLU) that follows keeps "
           "only the red.", title=title) if maps.index == 0 else
        tr("**{title}.** Each small picture is one channel's **feature map**: its filter slid over the previous "
           "layer’s maps, red where it matched (a positive response), blue where it did not. The activation (ReLU) "
           "that follows keeps only the red.", title=title),
        tr("The first {shown} of {total} channels.", shown=shown, total=len(maps.maps)) if shown < len(maps.maps)
        else ""))
    st.plotly_chart(figs.feature_maps_figure(maps.maps, MAX_MAPS, lang=lang()), key="probe_feature_maps",
                    config=NO_CHART_BAR)


def weights_tab(p: Probed) -> None:
    """An MLP's first-layer weights as a mosaic; a CNN's first conv layer's filters."""
    if not probe.conv.pixel_weights_apply(p.trained.model):
        conv_filters_view(p)
        return
    c1, c2 = st.columns([3, 2])
    order = choice(c1.radio, tr("Order"), ["unit number", "strongest for this digit"], key="probe_weights_order",
                   horizontal=True, disabled=p.digit is None)
    weights = probe.first_layer_weights(p.trained)
    count = c2.select_slider(tr("Units shown"), [n for n in (50, 100, 200, 500, 1000) if n < len(weights)]
                             + [len(weights)], value=min(100, len(weights)), key="probe_weights_count", **KEEP)
    by_activation = p.digit is not None and order != "unit number"
    if by_activation:  # depends on the digit: drawn each time
        units = probe.strongest_units(probe.hidden_activations(p.trained, p.digit)[0], len(weights))
        png, width = figs.weight_mosaic_png(weights[units[:count]])
    else:  # the same for every digit: drawn once per model and count
        cache = state.setdefault("probe_mosaics", probe.PerModelCache())
        png, width = cache.get(p.trained, count) or cache.put(p.trained, figs.weight_mosaic_png(weights[:count]),
                                                               count)
    which = (tr("The {count} of {total} first-layer units most active for this digit", count=count, total=len(weights))
             if by_activation else
             tr("The first {count} of {total} first-layer units", count=count, total=len(weights))
             if order == "unit number" else tr("The {count} of {total} first-layer units", count=count, total=len(weights)))
    st.markdown(which + tr(": each one's 784 incoming weights as a 28x28 picture (red positive, blue negative, each "
                           "scaled to its own largest weight). Training turns the random start into strokes and blobs; "
                           "after a few epochs many units still look mostly random."))
    st.image(png, width=min(width, 1000))


def conv_filters_view(p: Probed) -> None:
    """The first conv layer's filters (or why there are no pixel pictures for this model)."""
    filters = probe.conv.first_conv_filters(p.trained.model)
    if filters is None:
        st.info(tr("This model's first layer is neither a Linear layer over the 784 pixels nor a convolution, so "
                   "its weights are not pictures of what it looks for."), icon=":material/info:")
        return
    out, inputs, kh, kw = filters.shape
    st.markdown(sentences(
        tr("A CNN's first layer is not one weight per pixel: it is **{out} small filters of {kh}x{kw} weights**, "
           "each slid over the whole digit (the same weights everywhere; that sharing is what makes it a "
           "convolution). Red weights want ink, blue ones want background: many filters become edge or stroke "
           "detectors. (The MLP's 28x28 weight pictures have no counterpart here; see **Why: feature maps** for what "
           "these filters find in your digit.)", out=out, kh=kh, kw=kw),
        tr("Averaged over the {inputs} input channels.", inputs=inputs) if inputs > 1 else ""))
    st.plotly_chart(figs.filters_figure(filters, MAX_MAPS, lang=lang()), key="probe_filters", config=NO_CHART_BAR)


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
    m1.metric(tr("Validation accuracy"), f"{report.accuracy:.1%}")
    m2.metric(tr("Validation digits"), f"{len(report.labels):,}")
    m3.metric(tr("Mistakes"), f"{len(mistakes):,}")
    confusion_cell(report)
    c1, c2 = st.columns([1.1, 1], gap="large")
    with c1:
        st.markdown(tr("**Confusion matrix** (rows: the true digit, columns: the guess). Click a cell to see its "
                       "digits."))
        st.plotly_chart(figs.confusion_figure(report.confusion, (state["probe_cm_true"], state["probe_cm_pred"]),
                                              lang=lang()),
                        key="probe_cm_chart", on_select="rerun", selection_mode="points", config=NO_CHART_BAR)
    with c2:
        st.markdown(tr("**Accuracy per digit** (dashed: all digits, {accuracy})", accuracy=f"{report.accuracy:.1%}"))
        st.plotly_chart(figs.per_class_accuracy_figure(report.per_class_accuracy, report.accuracy, lang=lang()),
                        key="probe_per_class", config=NO_CHART_BAR)
        s1, s2 = st.columns(2)
        true_c = s1.selectbox(tr("True digit"), list(range(10)), key="probe_cm_true", **KEEP)
        pred_c = s2.selectbox(tr("Predicted"), list(range(10)), key="probe_cm_pred", **KEEP)
    cell = report.cell(true_c, pred_c)
    values = {"n": len(cell), "true": true_c, "pred": pred_c}
    if true_c == pred_c:
        words = (tr("**1 digit labelled {true} that the model called {pred}** (right; most confident first, up to "
                    "16).", **values) if len(cell) == 1 else
                 tr("**{n} digits labelled {true} that the model called {pred}** (right; most confident first, up to "
                    "16).", **values))
    else:
        words = (tr("**1 digit labelled {true} that the model called {pred}** (mistaken; most confident first, up to "
                    "16).", **values) if len(cell) == 1 else
                 tr("**{n} digits labelled {true} that the model called {pred}** (mistaken; most confident first, up "
                    "to 16).", **values))
    st.markdown(sentences(words, tr("*Probe* opens one on the left.")))
    gallery(report, cell[:16], "cell")
    st.markdown(tr("**The most confident mistakes**: label -> guess (the probability the model gave its guess)."))
    if len(mistakes):
        gallery(report, mistakes[:16], "mistake")
    else:
        st.success(tr("No mistakes on the validation set."))


def gallery(report: probe.ValidationReport, indices: np.ndarray, prefix: str) -> None:
    """Validation digits eight a row, each with its caption and a button that opens it on the left."""
    columns = st.columns(8)
    for j, i in enumerate(indices):
        with columns[j % 8]:
            st.image(figs.enlarge(report.images[i], 84), width=84, caption=report.caption(i))
            st.button(tr("Probe"), key=f"probe_open_{prefix}_{i}", on_click=pick, args=(i,))


def compare_tab(p: Probed) -> None:
    """Several models on the same digit: their probabilities and their input x gradient."""
    names = p.shelf.names()
    if len(names) < 2:
        st.info(tr("There is one model in this workspace. Train the article's version (no `zero_grad`, batches "
                   "drawn with replacement) next to it and see how differently the two read the same digit."))
        st.button(tr("Train the article-faithful version now"), key="probe_train_faithful", on_click=train_now,
                  args=(True,), help=tr("{epochs} epochs of the article's loop: slower than the fixed one",
                                        epochs=QUICK_EPOCHS))
        return
    default = [p.trained.name] + [n for n in names if n != p.trained.name][:1]
    chosen = st.multiselect(tr("Models to compare"), names, default=default, key="probe_compare_models", **KEEP)
    if p.digit is None:
        st.info(tr("Give the models a digit first."))
        return
    if not chosen:
        return
    by_model = {n: probe.predict(p.shelf.get(n), p.digit) for n in chosen}
    st.plotly_chart(figs.compare_figure(by_model, lang=lang()), key="probe_compare_chart", config=NO_CHART_BAR)
    for column, n in zip(st.columns(len(chosen)), chosen, strict=True):
        with column:
            probabilities, acc = by_model[n], p.shelf.get(n).metrics.get("val_acc")
            guess = int(probabilities.argmax())
            st.metric(n, f"{guess} ({probabilities.max():.0%})",
                      help=tr("validation accuracy {accuracy}", accuracy=f"{acc:.1%}") if isinstance(acc, float)
                      else None)
            sal = probe.saliency(p.shelf.get(n), p.digit, guess)
            st.image(figs.enlarge(figs.diverging_rgb(sal.input_x_gradient), 168), width=168,
                     caption=tr("input x gradient for {guess}", guess=guess))



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
    shown = {label: tr(label) for label in TABS}  # the open tab is kept by its label: say it in this language
    opened = state.get("probe_tab")
    for label in TABS:
        if opened in (label, translate(label, "zh")):
            state["probe_tab"] = shown[label]
    tabs = st.tabs(list(shown.values()), key="probe_tab", on_change="rerun")
    for tab, (label, show) in zip(tabs, TABS.items(), strict=True):
        with tab:
            if not tab.open:
                continue
            if label in NEEDS_A_DIGIT and p.digit is None:
                st.info(tr("Give the model a digit first."))
            elif label == "Why: saliency":
                target = show(p)
            else:
                show(p)
    return target
