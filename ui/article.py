"""Streamlit glue for the "Read the article" page: each kind of block of the article (prose, a runnable cell with its defects, a page link, the trainer's links, a dated note).

The text, the cells and what they print come from `pytorch_explorer.article`, which has the tests.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import streamlit as st

import ui
from pytorch_explorer.article.case_study import make_article_folder
from pytorch_explorer.article.cell import Cell, CellResult, shorten
from pytorch_explorer.article.cells import CELLS, needs_folder, run_cell, trainer_url
from pytorch_explorer.article.defects import Defect, defects_of
from pytorch_explorer.article.text import PAGE_LABELS, UI, Block
from pytorch_explorer.core.paths import data_dir

PAGES = {"tensors": "pages/tensor_playground.py", "autograd": "pages/autograd_explorer.py",
         "optim": "pages/optimizers.py", "nn": "pages/nn_modules.py", "toy": "pages/toy_networks.py",
         "data": "pages/data_loading.py"}
DEFECT_PAGES = {"toy": "toy", "autograd": "autograd"}  # a defect's `see` -> PAGES (the trainer gets a link)
OUTPUT_KEY = "ar_out_{}"  # the session's last result of each cell
_folder_lock = threading.Lock()  # one session writes the data folder; the others wait for it


def article_root() -> Path:
    """Where the case study's folder lives (written on the first run of a cell that reads it)."""
    return data_dir() / "article"


def block(item: Block, lang: str, ws: str) -> None:
    """One block of a section."""
    if item.kind == "text":
        st.markdown(item.value)
    elif item.kind == "cell":
        cell_view(CELLS[item.value], lang, ws)
    elif item.kind == "page":
        st.page_link(PAGES[item.value], label=PAGE_LABELS[lang][item.value], icon=":material/arrow_forward:")
    elif item.kind == "trainer":
        trainer_links(lang, ws)
    elif item.kind == "today":
        st.info(item.value, icon=":material/update:")
    else:
        st.caption(item.value)


def trainer_links(lang: str, ws: str) -> None:
    words = UI[lang]
    st.markdown(f":material/model_training: [{words['trainer_faithful']}]({trainer_url(ws, faithful=True)})  \n"
                f":material/model_training: [{words['trainer_fixed']}]({trainer_url(ws, faithful=False)})")


def cell_view(cell: Cell, lang: str, ws: str) -> None:
    """The cell's code (as written, or a diff against today's), its defects, a Run button, its output."""
    words, root = UI[lang], article_root()
    with st.container(border=True):
        if cell.as_written:
            st.code(cell.original, language=cell.language, wrap_lines=True)
            st.caption(words["as_written"])
        else:
            st.code(cell.diff(root), language="diff", wrap_lines=True)
            changes = cell.changes if lang == "en" else ()  # the diff itself says it in any language
            st.caption(words["diff"] + "".join(f"  \n- {change}" for change in changes))
            with st.expander(words["today_code"]):
                st.code(cell.code(root), language="python")
        if cell.article_output:
            with st.expander(words["article_output"]):
                st.code(cell.article_output, language=None)
        for defect in defects_of(cell.id):
            defect_marker(defect, lang, ws)
        if st.button(words["run"], key=f"ar_run_{cell.id}", icon=":material/play_arrow:"):
            with ui.friendly_errors(words["run"]), st.spinner(f"{words['running']} {cell.id}..."):
                st.session_state[OUTPUT_KEY.format(cell.id)] = run(cell.id, lang)
        result = st.session_state.get(OUTPUT_KEY.format(cell.id))
        if isinstance(result, CellResult):
            show_result(result, words)


def run(cell_id: str, lang: str) -> CellResult:
    root = article_root()
    if needs_folder(cell_id):
        with _folder_lock, st.spinner(UI[lang]["folder"]):
            make_article_folder(root)
    return run_cell(cell_id, root)


def defect_marker(defect: Defect, lang: str, ws: str) -> None:
    words = UI[lang]
    title = f"{words['defect']}: {defect.title}" if lang == "en" else words["defect"]
    st.warning(f"**{title}**  \n{defect.causes if lang == 'en' else defect.zh}", icon=":material/bug_report:")
    if defect.see == "trainer":
        st.markdown(f"{words['see_it']}: [{words['trainer_faithful']}]({trainer_url(ws, faithful=True)})")
    elif defect.see in DEFECT_PAGES:
        page = DEFECT_PAGES[defect.see]
        st.page_link(PAGES[page], label=f"{words['see_it']}: {PAGE_LABELS[lang][page]}", icon=":material/bug_report:")


def show_result(result: CellResult, words: dict[str, str]) -> None:
    text, left_out = shorten(result.text)
    st.markdown(f"**{words['output']}**")
    st.code(text or words["no_output"], language=None)
    if result.image is not None:
        st.image(np.clip(result.image, 0, 255).astype(np.uint8), width=140)
    if result.variables:
        st.caption(f"{words['variables']}: " + "; ".join(f"`{k}`: {v}" for k, v in result.variables.items()))


def code_of_runs() -> str:
    """The code of the cells this session ran, in the article's order (all of them before any run)."""
    ran = [c for c in CELLS.values() if OUTPUT_KEY.format(c.id) in st.session_state] or list(CELLS.values())
    return "\n\n".join(f"# ---- {c.id}\n{c.code(article_root())}" for c in ran if c.language == "python") or ""
