"""Digits: probe. Draw, upload or pick a digit; see what the model thinks, and why."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from pytorch_explorer.digits import probe
from pytorch_explorer.digits import probe_figures as figs
from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.core.errors import DataError, ExplorerError
from pytorch_explorer.digits.models import load_checkpoint, mlp_code
from pytorch_explorer.digits.preprocess import ImageError, is_blank_canvas, load_image_bytes, preprocess_digit
from ui import code_expander, friendly_errors

QUICK_EPOCHS = 3  # the one-click model: seconds on a CPU, about 90 % on the bundled digits
UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "gif", "webp"]
SOURCES = ["Draw", "Upload", "Pick from the validation set"]
state = st.session_state
state.setdefault("digits_models", {})
state.setdefault("digits_runs", [])


# ----------------------------------------------------------------------------- models in the session
def remember(trained, name: str, how: str) -> None:
    """Keep a model as the trainer page does: by a unique name, as the current model, with a history row."""
    from pytorch_explorer.digits.training import history_row

    taken = set(state["digits_models"]) | set(state.get("dt_curves", {}))
    trained.name, n = name, 2
    while trained.name in taken:
        trained.name, n = f"{name} #{n}", n + 1
    state["digits_runs"].append(history_row(trained.name, trained, how))
    state["digits_models"][trained.name] = trained
    state["digits_model"] = trained
    state["probe_model_name"] = trained.name


def train_now(article_faithful: bool = False) -> None:
    from pytorch_explorer.digits.training import TrainConfig, train_to_completion

    config = TrainConfig(epochs=QUICK_EPOCHS, article_faithful=article_faithful)
    what = "the article's loop (no zero_grad)" if article_faithful else "the fixed loop"
    try:
        with st.spinner(f"Training {config.hidden} hidden units for {QUICK_EPOCHS} epochs with {what}..."):
            remember(train_to_completion(config), f"quick ({config.label})", "one click on the probe page")
    except ExplorerError as exc:
        state["probe_model_error"] = str(exc)


def load_uploaded_model() -> None:
    upload = state.get("probe_checkpoint")
    if upload is None:
        return
    try:
        remember(load_checkpoint(upload.getvalue(), name=upload.name), f"loaded: {upload.name}",
                 f"loaded from {upload.name}")
        state.pop("probe_model_error", None)
    except ExplorerError as exc:
        state["probe_model_error"] = str(exc)


def model_loaders(expanded_text: str) -> None:
    a, b, c = st.columns(3, gap="medium")
    a.button("Train a model now on the bundled digits", key="probe_train_now", type="primary",
             on_click=train_now, help=f"784 -> 500 (ReLU) -> 10, Adam, {QUICK_EPOCHS} epochs: a few seconds")
    b.file_uploader("Load a saved model (.pt)", key="probe_checkpoint", on_change=load_uploaded_model,
                    help="Saved from the trainer page or with `digits train --save PATH`.")
    with c:
        st.page_link("pages/digits_trainer.py", label="Train one your way on the trainer page",
                     icon=":material/model_training:")
        st.caption(expanded_text)


@st.cache_data(show_spinner=False, max_entries=2)
def bundled_digits():
    return load_digits("bundled")


def report_for(trained) -> tuple[probe.ValidationReport, str]:
    """The model's validation report, computed once per model (kept in the session)."""
    live = {id(m.model) for m in state["digits_models"].values()}
    cache = {k: v for k, v in state.get("probe_reports", {}).items() if k in live}  # forget removed models
    state["probe_reports"] = cache
    key = id(trained.model)
    if key in cache and cache[key][0] is trained.model:
        return cache[key][1], cache[key][2]
    note = ""
    with st.spinner(f"Predicting the validation digits of {trained.source}..."):
        try:
            report = probe.validation_report(trained)
        except DataError:
            report = probe.validation_report(trained, data=bundled_digits())
            note = (f"The model's own digits ({trained.source}) are not available here, so these are the bundled "
                    "digits' last 30 %; the model may have seen some of them in training.")
    cache[key] = (trained.model, report, note)
    return report, note


def pick(index: int) -> None:
    state["probe_pick_index"] = int(index)
    state["probe_source"] = SOURCES[2]


def pick_random(report: probe.ValidationReport, of_class: bool = False) -> None:
    """Callbacks read the widgets' values when they run (a click can come with a changed select box)."""
    candidates = report.of_class(state["probe_pick_class"]) if of_class else np.arange(len(report.labels))
    if len(candidates):
        pick(np.random.default_rng().choice(candidates))


def pick_next_mistake(report: probe.ValidationReport) -> None:
    following = report.next_mistake(state.get("probe_pick_index", 0))
    if following is not None:
        pick(following)


# ----------------------------------------------------------------------------- the page
st.title("Digits: probe")
st.write(
    "Give the digit model a digit (draw it, upload a photo, or pick one it has never trained on) and see "
    "what it thinks, and **why**: which pixels pushed its score up or down, which hidden units fired, and "
    "what those units look for. Then see where it goes wrong on its whole validation set."
)
if "probe_model_error" in state:  # set by the train / load callbacks
    st.error(state.pop("probe_model_error"))

if state.get("digits_model") is not None and state["digits_model"].name not in state["digits_models"]:
    state["digits_models"][state["digits_model"].name] = state["digits_model"]
models = state["digits_models"]
if not models:
    st.info("There is no digit model in this session yet. Make one here in a few seconds, load a saved one, "
            "or train one with your own settings on the trainer page.", icon=":material/info:")
    model_loaders("The trainer page shows the loss live, on CPU or GPU, as the article wrote it or fixed.")
    code_expander(probe.probe_code())
    st.stop()

names = list(models)
current = state.get("digits_model")
if state.get("probe_model_name") not in names:
    state["probe_model_name"] = current.name if current is not None and current.name in names else names[-1]
top_left, top_right = st.columns([2, 3], vertical_alignment="bottom")
name = top_left.selectbox("Model", names, key="probe_model_name")
trained = models[name]
val_acc = trained.metrics.get("val_acc")
cfg = trained.config
top_right.caption(
    f"**{name}**: 784 -> {' -> '.join([str(cfg.hidden)] * cfg.depth)} ({cfg.activation}) -> 10, trained on "
    f"`{trained.source}`" + (f", validation accuracy **{val_acc:.1%}**" if isinstance(val_acc, float) else "") + "."
)
with st.expander("Add a model (train one now, or load a file)"):
    model_loaders("Two models? Compare them on the same digit in the last tab.")

left, right = st.columns([1, 1], gap="large")
digit, true_label, result = None, None, None
with left:
    st.subheader("A digit")
    source = st.radio("Where the digit comes from", SOURCES, key="probe_source", horizontal=True,
                      label_visibility="collapsed")
    if source == "Draw":
        gen = state.setdefault("probe_canvas_gen", 0)
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        stroke = c1.slider("Stroke width", 6, 40, 20, key="probe_stroke")
        c2.button("Clear", key="probe_clear", on_click=lambda: state.update(probe_canvas_gen=gen + 1),
                  width="stretch")
        canvas = st_canvas(stroke_width=stroke, stroke_color="#FFFFFF", background_color="#000000",
                           height=280, width=280, drawing_mode="freedraw", return_image_data=True,
                           update_streamlit=True, key=f"probe_canvas_{gen}")
        st.caption("Draw one digit, big, in the black square; the guess updates each time you lift the mouse.")
        if not is_blank_canvas(canvas.image_data):
            with friendly_errors("Reading the drawing"):
                try:
                    result = preprocess_digit(canvas.image_data, name="the drawing")
                except ImageError as exc:
                    st.warning(str(exc))
    elif source == "Upload":
        upload = st.file_uploader("A picture of one digit (PNG, JPEG, BMP, GIF, WebP; a photo is fine)",
                                  type=UPLOAD_TYPES, key="probe_upload")
        if upload is not None:
            try:
                picture = load_image_bytes(upload.getvalue(), upload.name)
                preview = probe.preview(picture)
                if preview is not None:
                    st.image(preview, width=220, caption=f"{upload.name} ({picture.width}x{picture.height})")
                result = preprocess_digit(picture, name=upload.name)
            except ImageError as exc:
                st.error(str(exc))
    else:
        report, note = report_for(trained)
        if note:
            st.caption(note)
        n = len(report.labels)
        index = min(int(state.get("probe_pick_index", 0)), n - 1)
        b1, b2, b3 = st.columns([1, 1.3, 1.3], vertical_alignment="bottom")
        b1.button("Random digit", key="probe_pick_random", on_click=pick_random, args=(report,), width="stretch")
        b2.selectbox("Class", list(range(10)), key="probe_pick_class", format_func=lambda d: f"a random {d}")
        b2.button("Pick it", key="probe_pick_class_button", width="stretch", on_click=pick_random,
                  args=(report, True))
        b3.button("Next misclassified", key="probe_pick_mistake", width="stretch", on_click=pick_next_mistake,
                  args=(report,))
        digit, true_label = report.images[index], int(report.labels[index])
        st.image(probe.enlarge(digit, 224), width=224,
                 caption=f"validation digit #{index} (row {report.first_row + index}), labelled {true_label}")
        st.caption("Validation digits are already MNIST-shaped: the model sees them exactly as stored.")
    if result is not None:
        digit = result.final
        st.markdown("**How the picture became the model's input**")
        thumbs = [probe.thumbnail(image, 84) for _, image in result.stages]
        st.image(thumbs, caption=[f"{i + 1}. {stage}" for i, (stage, _) in enumerate(result.stages)], width=84)
        with st.expander("What each step decided"):
            st.markdown("\n".join(f"- {note}" for note in result.notes))

with right:
    st.subheader("What the model thinks")
    if digit is None:
        st.info("No digit yet: draw one, upload a picture, or pick one from the validation set.",
                icon=":material/draw:")
        probabilities = None
    else:
        probabilities = probe.predict(trained, digit)
        guess = int(probabilities.argmax())
        i1, i2, i3 = st.columns([1, 1, 1], vertical_alignment="center")
        i1.image(probe.enlarge(digit, 112), caption="the 28x28 input", width=112)
        i2.metric("Prediction", str(guess))
        i3.metric("Confidence", f"{probabilities[guess]:.1%}")
        if true_label is not None:
            if guess == true_label:
                st.success(f"Right: the label is {true_label}.")
            else:
                st.error(f"Wrong: the label is {true_label}; the model gives it {probabilities[true_label]:.1%}.")
        elif probabilities[guess] < 0.5:
            st.caption("Under 50 %: the model is unsure. A clearer, bigger, centred digit usually helps.")
        st.plotly_chart(figs.probability_bars(probabilities, true_label), key="probe_probabilities",
                        config={"displayModeBar": False})


# ----------------------------------------------------------------------------- why, and the whole validation set
def saliency_tab() -> int | None:
    choice = st.columns([1, 2])[0].selectbox(
        "Explain the score of", ["the top guess"] + list(range(10)), key="probe_saliency_class",
        format_func=lambda c: c if isinstance(c, str) else f"digit {c}")
    target = None if isinstance(choice, str) else int(choice)
    sal = probe.saliency(trained, digit, target)
    st.markdown(
        f"The **gradient** of the model's score (logit) for **{sal.target}** with respect to each input pixel: "
        "red pixels would raise the score if they were brighter, blue ones would lower it. **Input x gradient** "
        "keeps only the pixels that are actually lit: the ink that voted for (red) or against (blue) this digit."
    )
    st.plotly_chart(figs.saliency_figure(digit, sal.gradient, sal.input_x_gradient, sal.target),
                    key="probe_saliency_chart", config={"displayModeBar": False})
    return target


def hidden_units_tab() -> None:
    layers = probe.hidden_activations(trained, digit)
    c1, c2 = st.columns([2, 3])
    k = c1.slider("Strongest units to show", 4, 24, 12, step=2, key="probe_top_k")
    layer = 0
    if len(layers) > 1:
        layer = c2.radio("Hidden layer", list(range(len(layers))), key="probe_layer", horizontal=True,
                         format_func=lambda i: f"layer {i + 1}")
    acts = layers[layer]
    strongest = probe.strongest_units(acts, k)
    guess = int(probabilities.argmax())
    votes = probe.unit_contributions(trained, layers[-1], guess) if layer == len(layers) - 1 else None
    st.markdown(
        f"{int((acts > 0).sum())} of {len(acts)} units are active for this digit; the {k} strongest are "
        "highlighted." + (f" In brackets, each unit's **vote** for {guess}: its activation times its weight "
                         f"into the logit of {guess} (the logit is the sum of the votes plus a bias)."
                         if votes is not None else "")
    )
    st.plotly_chart(figs.activations_figure(acts, strongest), key="probe_activations",
                    config={"displayModeBar": False})
    if layer == 0:
        st.markdown("Each unit's **incoming weights** as a 28x28 picture (red: ink there excites the unit, "
                    "blue: inhibits it), with your digit's outline on top.")
        st.plotly_chart(figs.unit_weights_figure(probe.first_layer_weights(trained), strongest, acts, votes,
                                                 image=digit), key="probe_unit_weights",
                        config={"displayModeBar": False})
    else:
        st.caption("Only first-layer units have weights over the pixels; deeper units weigh other units.")


def weights_tab() -> None:
    c1, c2 = st.columns([3, 2])
    order = c1.radio("Order", ["unit number", "strongest for this digit"], key="probe_weights_order",
                     horizontal=True, disabled=digit is None)
    weights = probe.first_layer_weights(trained)
    count = c2.select_slider("Units shown", [n for n in (50, 100, 200, 500, 1000) if n < len(weights)]
                             + [len(weights)], value=min(100, len(weights)), key="probe_weights_count")
    by_activation = digit is not None and order != "unit number"
    cache = state.setdefault("probe_mosaics", {})
    key = (id(trained.model), count)
    picture = None if by_activation else cache.get(key)
    if picture is None or picture[0] is not trained.model:
        units = np.arange(len(weights))
        if by_activation:
            units = probe.strongest_units(probe.hidden_activations(trained, digit)[0], len(weights))
        mosaic, _ = probe.weight_mosaic(weights[units[:count]], columns=10 if count <= 100 else 25, gap=2)
        rgb = probe.enlarge(probe.diverging_rgb(mosaic, 1.0, gap_colour=(255, 255, 255)), 2 * max(mosaic.shape))
        picture = (trained.model, probe.png_bytes(rgb), rgb.shape[1])
        if not by_activation:
            cache[key] = picture
    st.markdown(f"{'The first' if order == 'unit number' else 'The'} {count} of {len(weights)} first-layer units"
                f"{' most active for this digit' if by_activation else ''}: each one's 784 incoming weights as a "
                "28x28 picture (red positive, blue negative, each scaled to its own largest weight). Training turns "
                "the random start into strokes and blobs; after a few epochs many units still look mostly random.")
    st.image(picture[1], width=min(picture[2], 1000))


def validation_tab() -> None:
    report, note = report_for(trained)
    if note:
        st.warning(note)
    confusion, mistakes = report.confusion, report.mistakes()
    m1, m2, m3 = st.columns(3)
    m1.metric("Validation accuracy", f"{report.accuracy:.1%}")
    m2.metric("Validation digits", f"{len(report.labels):,}")
    m3.metric("Mistakes", f"{len(mistakes):,}")
    # A click on the matrix picks its cell; it is read before the select boxes below are drawn.
    clicked = (state.get("probe_cm_chart") or {}).get("selection", {}).get("points", [])
    if clicked and (int(clicked[0]["y"]), int(clicked[0]["x"])) != state.get("probe_cm_last_click"):
        state["probe_cm_last_click"] = (int(clicked[0]["y"]), int(clicked[0]["x"]))
        state["probe_cm_true"], state["probe_cm_pred"] = state["probe_cm_last_click"]
    if "probe_cm_true" not in state:  # start on the most common mistake
        off = confusion.copy()
        np.fill_diagonal(off, -1)
        state["probe_cm_true"], state["probe_cm_pred"] = (int(i) for i in np.unravel_index(off.argmax(), off.shape))
    c1, c2 = st.columns([1.1, 1], gap="large")
    with c1:
        st.markdown("**Confusion matrix** (rows: the true digit, columns: the guess). Click a cell to see its digits.")
        st.plotly_chart(figs.confusion_figure(confusion, (state["probe_cm_true"], state["probe_cm_pred"])),
                        key="probe_cm_chart", on_select="rerun", selection_mode="points",
                        config={"displayModeBar": False})
    with c2:
        st.markdown(f"**Accuracy per digit** (dashed: all digits, {report.accuracy:.1%})")
        st.plotly_chart(figs.per_class_accuracy_figure(report.per_class_accuracy, report.accuracy),
                        key="probe_per_class", config={"displayModeBar": False})
        s1, s2 = st.columns(2)
        true_c = s1.selectbox("True digit", list(range(10)), key="probe_cm_true")
        pred_c = s2.selectbox("Predicted", list(range(10)), key="probe_cm_pred")
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
    columns = st.columns(8)
    for j, i in enumerate(indices):
        with columns[j % 8]:
            p = report.probabilities[i]
            label, guess = int(report.labels[i]), int(p.argmax())
            caption = f"{label}: {p[label]:.0%}" if label == guess else f"{label} -> {guess} ({p[guess]:.0%})"
            st.image(probe.enlarge(report.images[i], 84), width=84, caption=caption)
            st.button("Probe", key=f"probe_open_{prefix}_{i}", on_click=pick, args=(i,))


def compare_tab() -> None:
    if len(names) < 2:
        st.info("There is one model in this session. Train the article's version (no `zero_grad`, batches drawn "
                "with replacement) next to it and see how differently the two read the same digit.")
        st.button("Train the article-faithful version now", key="probe_train_faithful", on_click=train_now,
                  args=(True,), help=f"{QUICK_EPOCHS} epochs of the article's loop: slower than the fixed one")
        return
    default = [name] + [n for n in names if n != name][:1]
    chosen = st.multiselect("Models to compare", names, default=default, key="probe_compare_models")
    if digit is None:
        st.info("Give the models a digit first.")
        return
    if not chosen:
        return
    by_model = {n: probe.predict(models[n], digit) for n in chosen}
    st.plotly_chart(figs.compare_figure(by_model), key="probe_compare_chart", config={"displayModeBar": False})
    for column, n in zip(st.columns(len(chosen)), chosen, strict=True):
        with column:
            p, acc = by_model[n], models[n].metrics.get("val_acc")
            st.metric(n, f"{int(p.argmax())} ({p.max():.0%})",
                      help=f"validation accuracy {acc:.1%}" if isinstance(acc, float) else None)
            sal = probe.saliency(models[n], digit, int(p.argmax()))
            st.image(probe.enlarge(probe.diverging_rgb(sal.input_x_gradient), 168), width=168,
                     caption=f"input x gradient for {int(p.argmax())}")


# Only the open tab runs (on_change="rerun"), so a stroke on the canvas reruns one tab, not five.
TABS = {"Why: saliency": saliency_tab, "Why: hidden units": hidden_units_tab, "Why: weights": weights_tab,
        "Validation analysis": validation_tab, "Compare models": compare_tab}
NEEDS_A_DIGIT = {"Why: saliency", "Why: hidden units"}
target = None
for tab, (label, show) in zip(st.tabs(list(TABS), key="probe_tab", on_change="rerun"), TABS.items(), strict=True):
    with tab:
        if not tab.open:
            continue
        if label in NEEDS_A_DIGIT and digit is None:
            st.info("Give the model a digit first.")
        elif label == "Why: saliency":
            target = show()
        else:
            show()

code_expander(probe.probe_code("the canvas's RGBA array" if source == "Draw" else
                               "a picture of a digit" if source == "Upload" else "a validation digit", target)
              + "\n# the model\n" + mlp_code(trained.config))
