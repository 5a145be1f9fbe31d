"""The "my digits" half of the Digits: probe page's widgets (ui/digits_probe.py holds the rest).

"Add to my digits" under the prediction of a drawing or photo, and the "My digits" tab: the gallery with
delete, fine-tuning with live progress and before/after, zip export and import. The digits live in the run
store beside the workspace's runs (pytorch_explorer.digits.mine). Session keys are the page's own, `probe_*`.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.digits import mine, probe
from pytorch_explorer.digits.probe import figures as figs
from pytorch_explorer.i18n import translate
from ui import code_expander, error_text, friendly_errors
from ui.digits_probe_common import NO_CHART_BAR, Probed, bundled_digits, clear_canvas, sentences, state
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

GALLERY = 40  # my digits shown at once


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
        with st.expander(tr("{n} skipped", n=len(problems))):
            st.markdown("\n".join(f"- {escape_markdown(error_text(p))}" for p in problems[:50])
                        + ("\n- " + tr("... and {n} more", n=len(problems) - 50) if len(problems) > 50 else ""))


def keep_digit(digit: np.ndarray, from_canvas: bool) -> None:
    """The "Add to my digits" callback: keep the digit under the chosen label, then a fresh canvas."""
    label = state.get("probe_mine_label")
    if label is None:
        state["probe_mine_note"] = ("warning", tr("Choose its label first: the digit you meant to write."))
        return
    store = my_digits()
    try:
        store.add(digit, int(label))
    except ExplorerError as exc:
        state["probe_mine_note"] = ("error", error_text(exc))
        return
    state["probe_mine_note"] = ("success", tr("Kept as a {label}: {n} in my digits ({cap}). See them, and fine-tune "
                                              "the model on them, in the **My digits** tab.", label=label,
                                              n=len(store), cap=mine.cap_note(lang())))
    state["probe_mine_label"] = None
    if from_canvas:
        clear_canvas()


def add_to_my_digits(digit: np.ndarray, probabilities: np.ndarray, from_canvas: bool) -> None:
    """Under the prediction: label the digit and keep it in my digits."""
    store = my_digits()
    unsure = probabilities.max() < 0.8
    with st.container(border=True, key="probe_mine_box"):
        st.markdown(tr("**Wrong or unsure?** Tell the model which digit you meant and keep it in **my digits** "
                       "(the last tab): then fine-tune the model on your own handwriting.") if unsure else
                    tr("**Keep this digit** with its label in **my digits** (the last tab), to fine-tune the model on "
                       "your own handwriting."))
        st.pills(tr("Its label"), list(range(10)), key="probe_mine_label")
        st.button(tr("Add to my digits"), key="probe_mine_add", on_click=keep_digit, args=(digit, from_canvas),
                  disabled=store.room == 0, icon=":material/add_photo_alternate:")
        st.caption(tr("{n} kept in this workspace so far ({cap}).", n=f"{len(store):,}", cap=mine.cap_note(lang())))


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
        state["probe_mine_tab_note"] = ("error", error_text(exc))
        return
    kind = "success" if report.added and not report.problems else "warning"
    state["probe_mine_tab_note"] = (kind, report.summary_in(lang()), report.problems)


def my_digits_tab(p: Probed) -> None:
    """The gallery of my digits (with delete), fine-tuning on them, export and import."""
    store = my_digits()
    images, labels, names = store.load()
    show_mine_note("probe_mine_tab_note")
    if not len(labels):
        st.info(tr("No digits of yours yet. Draw a digit on the left (or upload a photo), choose its label under the "
                   "prediction and click **Add to my digits**. They are kept in this workspace, beside its runs, and "
                   "survive a reload and a restart ({cap}). Or import a zip of them below.", cap=mine.cap_note(lang())),
                icon=":material/draw:")
    else:
        right = probe.predict_many(p.trained, images).argmax(axis=1) == labels
        m1, m2, m3 = st.columns(3)
        m1.metric(tr("My digits"), f"{len(labels):,}", help=tr("Kept in this workspace; {cap}.",
                                                               cap=mine.cap_note(lang())))
        m2.metric(tr("{name} gets right", name=p.trained.name), f"{right.mean():.0%}")
        m3.metric(tr("Labels"), " ".join(str(d) for d in range(10) if (labels == d).any()))
        mine_gallery(p, images, labels, names, right)
        fine_tune_view(p, images, labels)
    export_import_view(store)


def filter_label(which: int | str, language: str) -> str:
    """How the gallery's filter shows a choice (the URL holds the digit, or "all": ?probe_mine_filter=7)."""
    return translate("all my digits", language) if which == "all" else translate("my {d}s", language).format(d=which)


def mine_gallery(p: Probed, images: np.ndarray, labels: np.ndarray, names: list[str], right: np.ndarray) -> None:
    """My digits, newest first, eight a row: the label, the model's guess when it is wrong, a delete button."""
    which = choice(st.columns([1, 3])[0].selectbox, tr("Show"), ["all", *range(10)], key="probe_mine_filter",
                   labels=filter_label)
    chosen = [i for i in range(len(labels)) if which == "all" or labels[i] == which][::-1]
    shown = chosen[:GALLERY]
    st.caption(tr("Newest first: {shown} of {total}. Under each, its label and, when the model ({name}) disagrees, "
                  "what it says instead.", shown=len(shown), total=len(chosen), name=escape_markdown(p.trained.name)))
    guesses = probe.predict_many(p.trained, images[shown]).argmax(axis=1) if shown else []
    columns = st.columns(8)
    for j, i in enumerate(shown):
        with columns[j % 8]:
            caption = f"{labels[i]}" if right[i] else tr("{label} (model: {guess})", label=labels[i], guess=guesses[j])
            st.image(figs.enlarge(images[i], 56), width=56, caption=caption)
            st.button(tr("Delete"), key=f"probe_mine_del_{names[i][:-4]}", on_click=delete_digit, args=(names[i],),
                      icon=":material/delete:")


def fine_tune_view(p: Probed, images: np.ndarray, labels: np.ndarray) -> None:
    """Fine-tune a copy of the current model on my digits (a new model on the shelf), live; before and after."""
    st.markdown(tr("#### Fine-tune the model on my digits"))
    st.markdown(tr(
        "Train a **copy** of {name} for a few more epochs on your digits (the original stays on the shelf). *Mixed* "
        "adds the model's own training digits to every epoch; *my digits only* shows what happens without them: the "
        "model fits your handwriting and **forgets** some of what it knew.", name=as_code(p.trained.name)))
    c1, c2, c3 = st.columns([2, 3, 1.4], vertical_alignment="bottom")
    epochs = c1.slider(tr("Epochs"), 1, 20, mine.FineTuneSettings.epochs, key="probe_ft_epochs", **KEEP)
    mode = choice(c2.radio, tr("Train on"), list(mine.MODES), key="probe_ft_mode", horizontal=True,
                  labels=mine.MODE_WORDS)
    settings_now = mine.FineTuneSettings(epochs=epochs, mode=mode)
    if c3.button(tr("Fine-tune"), key="probe_ft_start", type="primary", icon=":material/tune:", width="stretch"):
        with friendly_errors(tr("Fine-tuning")):
            run_fine_tune(p, images, labels, settings_now)
    last = state.get("probe_ft_last")
    if last:
        st.markdown(tr("**Last fine-tune**: {before} -> {after} ({mode}, {epochs} epochs).", before=as_code(last["from"]),
                       after=as_code(last["name"]), mode=escape_markdown(tr(mine.MODE_WORDS[last["mode"]])),
                       epochs=last["epochs"]))
        a, b = st.columns(2)
        a.metric(tr("On my digits"), f"{last['mine_after']:.0%}",
                 tr("{change} points (was {before})", change=f"{(last['mine_after'] - last['mine_before']) * 100:+.0f}",
                    before=f"{last['mine_before']:.0%}"))
        b.metric(tr("On the validation digits"), f"{last['val_after']:.1%}",
                 tr("{change} points (was {before})", change=f"{(last['val_after'] - last['val_before']) * 100:+.1f}",
                    before=f"{last['val_before']:.1%}"))
        (st.warning if last["forgot"] else st.info)(fine_tune_note(last))
        st.plotly_chart(figs.fine_tune_figure(last["history"], lang=lang()), key="probe_ft_chart",
                        config=NO_CHART_BAR)
    code_expander(mine.fine_tune_code(settings_now), tr("PyTorch code: fine-tuning on my digits"))


def fine_tune_note(last: dict) -> str:
    """What the last fine-tune's numbers mean, in this session's language (written when shown, so a change of
    language rewrites it)."""
    if "result" not in last:  # kept from before the note was written when shown
        return last["note"]
    base = translate(mine.BASE_NOTE, lang()).format(source=last["base_source"]) if last["base_source"] else ""
    return sentences(mine.forgetting_note(last["result"], lang()), base)


def run_fine_tune(p: Probed, images: np.ndarray, labels: np.ndarray, settings: mine.FineTuneSettings) -> None:
    """Fine-tune with a live progress bar, put the new model on the shelf, and open it."""
    base, note = mine.base_digits(p.trained, bundled_digits)
    bar = st.progress(0.0, text=tr("Measuring the model before fine-tuning..."))
    result = None
    for event in mine.fine_tune(p.trained, images, labels, base, settings, note):
        bar.progress(event.epoch / event.epochs, text=tr("Epoch {epoch} of {epochs}: my digits {mine}, validation "
                                                         "{val}", epoch=event.epoch, epochs=event.epochs,
                                                         mine=f"{event.mine_acc:.0%}", val=f"{event.val_acc:.1%}"))
        result = event.result or result
    assert result is not None
    how = f"fine-tuned on my digits ({mine.MODE_WORDS[settings.mode]}) on the probe page"
    name = p.shelf.add(result.model, how, name=result.model.name)
    state["probe_ft_last"] = {
        "from": p.trained.name, "name": name, "mode": settings.mode, "epochs": settings.epochs,
        "mine_before": result.mine_before, "mine_after": result.mine_after, "val_before": result.val_before,
        "val_after": result.val_after, "forgot": result.forgot,
        "note": " ".join(filter(None, [mine.forgetting_note(result), note])),
        "result": result, "base_source": p.trained.source if note else None,  # the note, in the language shown
        "history": [dict(h) for h in event.history]}
    state["probe_pending_model"] = name
    st.rerun()


def export_import_view(store: mine.MyDigits) -> None:
    """Download my digits as a zip in the article's layout; import such a zip."""
    st.markdown(tr("#### Export and import"))
    c1, c2 = st.columns(2, gap="large")
    with c1:
        st.download_button(tr("Export my digits (.zip)"), data=functools.partial(mine.export_zip, store),
                           file_name="my_digits.zip", mime="application/zip", key="probe_mine_export",
                           disabled=not len(store), on_click="ignore", icon=":material/download:")
        st.caption(tr("The article's layout: `Train/train.csv` (filename,label) and the 28x28 PNGs in "
                      "`Train/Images/train/`; the trainer reads such a folder as a data source (`folder:PATH`)."))
    key = f"probe_mine_import_{state.get('probe_mine_import_gen', 0)}"
    c2.file_uploader(tr("Import a my-digits zip (the same layout; PNG only, up to {mb} MB)", mb=mine.MAX_ZIP_BYTES >> 20),
                     type=["zip"], key=key, on_change=import_digits, args=(key,))
