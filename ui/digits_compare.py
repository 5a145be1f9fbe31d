"""The Streamlit parts of the Digits: compare page (pages/digits_compare.py reads top to bottom and calls these).

- the data: a source (bundled, or one the workspace's runs trained on) loaded once per server and split
  as the trainer splits it;
- baselines: fit one (a run of kind "baseline" in the run store), its parameters, the table and chart of
  the workspace's baselines and torch runs;
- metrics: accuracy_score, the confusion matrix and classification_report for a baseline fitted in this
  session or a torch model of the workspace;
- the maps: raw pixels and hidden features, PCA or t-SNE, a click shows the digit; without a model, the
  raw-pixel map and a one-click quick train.

Session keys are this page's own, all `dc_*`: the controls (kept in the URL), dc_fitted (the baselines
fitted in this session), dc_maps (the maps computed, by their settings), dc_clicked (the digit clicked on
a map), dc_flash (what the quick train did).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import streamlit as st

from pytorch_explorer.compare import figures
from pytorch_explorer.compare.baselines import (BASELINES, MAX_SEED, BaselineResult, DigitSplit, baseline_words,
                                                convergence_notes, fit_baseline, split_digits)
from pytorch_explorer.compare.code import estimator_code
from pytorch_explorer.compare.embedding import DEFAULT_POINTS, METHODS, EmbeddingMaps, embedding_steps
from pytorch_explorer.compare.metrics import ClassMetrics, classification_metrics, predict_torch, report_rows
from pytorch_explorer.compare.runs import comparison_rows, record_baseline
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.core.text import as_code
from pytorch_explorer.digits.data import load_digits
from pytorch_explorer.digits.models import TrainedModel
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.runs import RunStore
from ui import error_text, model_shelf
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

KEPT = ["dc_source", "dc_seed", "dc_model", "dc_map_model", "dc_method", "dc_points"]  # bound to the URL
QUICK_EPOCHS = 3
NO_BAR = {"displayModeBar": False}
PERCENT = st.column_config.NumberColumn(format="percent")
state = st.session_state


def show_flash() -> None:
    if "dc_flash" in state:
        kind, text = state.pop("dc_flash")
        getattr(st, kind)(text)


# ----------------------------------------------------------------------------- the data
@st.cache_resource(show_spinner=False, max_entries=4)
def _digit_split(source: str) -> DigitSplit:
    """The digits of a source, split as the trainer splits them: shared read-only by every session."""
    return split_digits(load_digits(source, restrict_paths=True))  # typed paths: under data/ only


def digit_split(source: str) -> DigitSplit:
    """The split of a source, with a spinner in the learner's language while it loads the first time."""
    with st.spinner(tr("Loading the digits...")):
        return _digit_split(source)


def data_controls(shelf: StoreShelf) -> tuple[str, int]:
    """The data source (bundled, or a source the workspace's digit runs trained on) and the seed."""
    sources = ["bundled", *sorted({r.source for r in shelf.records() if r.source and r.source != "bundled"})]
    left, right = st.columns([3, 1])
    source = choice(left.selectbox, tr("Digits"), sources, key="dc_source",  # "bundled" translated, paths as they are
                    help=tr("The same split as the trainer: the first 70 % train, the last 30 % validate."))
    seed = right.number_input(tr("Seed"), 0, MAX_SEED, 0, key="dc_seed", **KEEP,
                              help=tr("The MLPClassifier's random_state, the digits drawn for a map, t-SNE's start."))
    return source, int(seed)


# ----------------------------------------------------------------------------- baselines
def fitted() -> dict[tuple[str, str, int], BaselineResult]:
    """The baselines fitted in this session: (model, source, seed) -> result."""
    return state.setdefault("dc_fitted", {})


def baseline_panel(store: RunStore, workspace: str, split: DigitSplit, seed: int) -> None:
    """Pick a baseline, see its parameters, fit it (kept as a run), and compare with the workspace's runs."""
    left, right = st.columns([2, 3], gap="large")
    with left:
        model = choice(st.selectbox, tr("Baseline"), list(BASELINES), key="dc_model",
                       labels={name: spec.title for name, spec in BASELINES.items()})
        spec = BASELINES[model]
        title, blurb = baseline_words(model, lang())
        st.caption(blurb)
        st.code(estimator_code(model, seed)[1], language="python", wrap_lines=True)
        if st.button(tr("Fit {model}", model=spec.title.lower() if lang() == "en" else title), key="dc_fit",
                     type="primary", icon=":material/play_arrow:"):
            with st.spinner(tr("Fitting {estimator} on {n} digits...", estimator=spec.estimator.__name__,
                               n=f"{split.train_size:,}")):
                result = fit_baseline(model, split, seed)
            record_baseline(store, workspace, result)
            for key in [k for k in fitted() if k[0] == model]:  # one fitted estimator a baseline (a k-NN keeps
                del fitted()[key]                               # its training digits: 150 MB for all of MNIST)
            fitted()[(model, split.source, seed)] = result
            state["dc_subject"] = f"baseline:{model}"
    with right:
        result = fitted().get((model, split.source, seed))
        if result is None:
            st.info(tr("Press **Fit** to train this baseline on the same digits as your PyTorch runs; it lands in "
                       "the table below and on the Runs page."), icon=":material/science:")
        else:
            a, b, c = st.columns(3)
            a.metric(tr("validation accuracy"), f"{result.val_acc:.2%}")
            b.metric(tr("fit time"), tr("{s} s", s=f"{result.fit_seconds:.2f}"))
            c.metric(tr("predicting 30 %"), tr("{s} s", s=f"{result.predict_seconds:.2f}"))
            for note in convergence_notes(result.estimator, lang()):
                st.caption(note)
            with st.expander(tr("All parameters of {estimator} (get_params())",
                                estimator=type(result.estimator).__name__)):
                st.dataframe([{"parameter": k, "value": str(v)} for k, v in result.params.items()],
                             hide_index=True, column_config={"parameter": tr("parameter"), "value": tr("value")})
    comparison(store, workspace)


def comparison(store: RunStore, workspace: str) -> None:
    """The workspace's baselines and torch runs side by side: accuracy and seconds."""
    st.subheader(tr("Baselines beside your PyTorch runs"))
    rows = comparison_rows(store.list_runs(workspace))
    if not rows:
        st.caption(tr("Nothing fitted or trained in this workspace yet."))
        return
    st.dataframe(rows, hide_index=True, key="dc_comparison",
                 column_config={"name": tr("name"), "family": tr("library"), "model": tr("model"),
                                "source": tr("data source"),
                                "val_acc": st.column_config.NumberColumn(tr("val. accuracy"), format="percent"),
                                "seconds": st.column_config.NumberColumn(tr("fit / train s"), format="%.2f")})
    if any(r["val_acc"] is not None and r["seconds"] for r in rows):
        st.plotly_chart(figures.accuracy_time_figure(rows, lang()), key="dc_accuracy_time", config=NO_BAR)


# ----------------------------------------------------------------------------- metrics
def subject_options(shelf: StoreShelf, source: str, seed: int) -> dict[str, str]:
    """option -> label: the baselines fitted in this session (this data, this seed), then the torch models."""
    options = {f"baseline:{m}": f"scikit-learn: {baseline_words(m, lang())[0]}"
               for (m, s, sd) in fitted() if (s, sd) == (source, seed)}
    options.update({f"model:{name}": f"PyTorch: {name}" for name in shelf.names()})
    return options


def metrics_panel(shelf: StoreShelf, split: DigitSplit, seed: int) -> None:
    """accuracy_score, confusion_matrix and classification_report for one baseline or torch model."""
    options = subject_options(shelf, split.source, seed)
    if not options:
        st.info(tr("Fit a baseline (first tab) or train a model (the trainer page, or the one-click button in the "
                   "last tab): its per-class metrics appear here."), icon=":material/table_chart:")
        return
    if state.get("dc_subject") not in options:
        state["dc_subject"] = next(iter(options))
    subject = st.selectbox(tr("Classifier to measure"), list(options), key="dc_subject", format_func=options.__getitem__)
    kind, _, name = subject.partition(":")
    if kind == "baseline":
        predictions = fitted()[(name, split.source, seed)].predictions
    else:
        trained = shelf.get(name)
        predictions = predict_torch(trained.model, split.x_val)
        if trained.source != split.source:
            st.caption(tr("{name} was trained on {trained_on}; it is measured here on the validation digits of "
                          "{source}.", name=as_code(name), trained_on=as_code(trained.source),
                          source=as_code(split.source)))
    show_metrics(classification_metrics(split.y_val, predictions), split)


def show_metrics(metrics: ClassMetrics, split: DigitSplit) -> None:
    a, b, c = st.columns(3)
    a.metric(tr("accuracy_score"), f"{metrics.accuracy:.2%}")
    b.metric(tr("mistakes"), tr("{n} of {total}", n=f"{metrics.mistakes:,}", total=f"{split.val_size:,}"))
    c.metric(tr("macro F1"), f"{metrics.report['macro avg']['f1-score']:.3f}")
    left, right = st.columns([1, 1], gap="large")
    left.plotly_chart(figures.confusion_figure(metrics.confusion, lang=lang()), key="dc_confusion", config=NO_BAR)
    with right:
        st.markdown(tr("**classification_report** (precision: of the digits it called *d*, how many were *d*; "
                       "recall: of the real *d*s, how many it found; F1: their harmonic mean)"))
        rows = report_rows(metrics.report)
        if lang() != "en":  # the averages' names shown in the learner's language (the digits are numbers)
            averages = {"macro avg": tr("macro avg"), "weighted avg": tr("weighted avg")}
            rows = [{**row, "class": averages.get(row["class"], row["class"])} for row in rows]
        names = {"class": tr("class"), "precision": tr("precision"), "recall": tr("recall"),
                 "f1-score": tr("f1-score"), "support": tr("support")}
        st.dataframe(rows, hide_index=True, key="dc_report",
                     column_config={**names, **{k: st.column_config.NumberColumn(names[k], format="%.3f")
                                                for k in ("precision", "recall", "f1-score")}})


# ----------------------------------------------------------------------------- the maps
def quick_train() -> None:
    """The one-click model (a button callback): the article's MLP, fixed loop, a few epochs, on the shelf."""
    from pytorch_explorer.digits.training import TrainConfig, train_to_completion

    config = TrainConfig(epochs=QUICK_EPOCHS)
    try:
        with st.spinner(tr("Training 784 -> {hidden} -> 10 for {epochs} epochs...", hidden=config.hidden,
                           epochs=QUICK_EPOCHS)):
            name = model_shelf().add(train_to_completion(config), "one click on the compare page",
                                     name=f"quick ({config.label})")
        state["dc_map_model"] = name
        state["dc_flash"] = ("success", tr("Trained {name}: its hidden layer is mapped below.", name=as_code(name)))
    except ExplorerError as exc:
        state["dc_flash"] = ("error", error_text(exc))


def map_controls(shelf: StoreShelf) -> tuple[TrainedModel | None, str, int]:
    """Which model's hidden layer, PCA or t-SNE, how many digits."""
    names = shelf.names()
    model = None
    if names:
        if state.get("dc_map_model") not in names:
            state["dc_map_model"] = shelf.current.name if shelf.current is not None else names[-1]
        model = shelf.get(st.selectbox(tr("Model"), names, key="dc_map_model", **KEEP))
    else:
        st.info(tr("No trained model in this workspace yet, so only the raw pixels are mapped. Train the article's "
                   "MLP here in a few seconds to see what its hidden layer learned."), icon=":material/info:")
        a, b = st.columns(2)
        a.button(tr("Train the article's MLP now"), key="dc_quick_train", type="primary", on_click=quick_train,
                 help=tr("784 -> 500 (ReLU) -> 10, Adam, {epochs} epochs on the bundled digits", epochs=QUICK_EPOCHS))
        b.page_link("pages/digits_trainer.py", label=tr("Or train one your way on the trainer page"),
                    icon=":material/model_training:")
    left, right = st.columns(2)
    method = left.radio(tr("Map"), METHODS, key="dc_method", **KEEP, horizontal=True,
                        help=tr("PCA: the two directions of largest spread (linear, instant). t-SNE: keeps each "
                                "digit's nearest neighbours near it (non-linear, seconds)."))
    points = right.slider(tr("Digits on the map"), 100, 2000, DEFAULT_POINTS, 100, key="dc_points", **KEEP,
                          help=tr("Drawn from the validation digits; t-SNE's time grows with this."))
    return model, method, int(points)


def maps_for(split: DigitSplit, trained: TrainedModel | None, shelf: StoreShelf, method: str, points: int,
             seed: int) -> EmbeddingMaps:
    """The maps, computed once per settings (a progress message while they are made) and kept in the session
    (in any language: the maps are numbers; their titles are worded when shown)."""
    record = shelf.model_records().get(trained.name) if trained is not None else None
    key = (split.source, record.id if record else None, record.finished if record else None, method, points, seed)
    cache: dict[tuple, EmbeddingMaps] = state.setdefault("dc_maps", {})
    if key not in cache:
        bar = st.progress(0.0, text=tr("Starting..."))
        for event in embedding_steps(split, trained.model if trained else None, method, points, seed, lang()):
            bar.progress(event.fraction, text=event.message)
        bar.empty()
        while len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[key] = event.maps
    return cache[key]


def remember_click(key: str) -> None:
    """A map's on_select callback: keep the validation index of the point clicked last."""
    chart = state.get(key)
    points = chart["selection"]["points"] if chart else []
    if points:
        custom: Any = points[0].get("customdata")
        index = custom[0] if isinstance(custom, (list, tuple)) else custom
        if isinstance(index, (int, float)):
            state["dc_clicked"] = int(index)


def show_maps(maps: EmbeddingMaps, split: DigitSplit, trained: TrainedModel | None) -> None:
    """The raw-pixel map and the hidden-layer map side by side, and the digit last clicked."""
    mistakes = maps.mistakes if maps.predictions is not None else None
    left, right = st.columns(2, gap="medium")
    left.plotly_chart(figures.map_figure(maps.pixels, maps.labels, maps.indices, mistakes,
                                         tr("{method} of the raw pixels (784 numbers a digit)", method=maps.method),
                                         lang=lang()),
                      key="dc_map_pixels", on_select=lambda: remember_click("dc_map_pixels"),
                      selection_mode="points", config=NO_BAR)
    if maps.hidden is not None:
        right.plotly_chart(figures.map_figure(maps.hidden, maps.labels, maps.indices, mistakes,
                                              tr("{method} of the hidden layer ({units} units)", method=maps.method,
                                                 units=maps.hidden_units), lang=lang()),
                           key="dc_map_hidden", on_select=lambda: remember_click("dc_map_hidden"),
                           selection_mode="points", config=NO_BAR)
    else:
        right.info(tr("The hidden-layer map appears here once the workspace has a trained model."),
                   icon=":material/hub:")
    n = f"{len(maps.indices):,}"
    if maps.predictions is not None:
        st.caption(tr("{n} validation digits, coloured by their true label; × marks the {wrong} the model gets "
                      "wrong. Click a point to see its digit.", n=n, wrong=int(maps.mistakes.sum())))
    else:
        st.caption(tr("{n} validation digits, coloured by their true label. Click a point to see its digit.", n=n))
    clicked = state.get("dc_clicked")
    if clicked is not None and 0 <= clicked < split.val_size:
        image = np.kron(split.val_images[clicked], np.ones((5, 5), np.uint8))  # 140 x 140, crisp pixels
        words = tr("validation digit #{index}: label **{label}**", index=clicked, label=split.y_val[clicked])
        if trained is not None:
            guess = predict_torch(trained.model, split.x_val[clicked:clicked + 1])[0]
            words = tr("validation digit #{index}: label **{label}**, {name} says **{guess}**", index=clicked,
                       label=split.y_val[clicked], name=as_code(trained.name), guess=guess)
        a, b = st.columns([1, 5], vertical_alignment="center")
        a.image(image, width=140, clamp=True)
        b.markdown(words)
