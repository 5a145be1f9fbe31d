"""All of the article's cells in its order, and running one: the cells it needs first, in one namespace.

``run_cell("cs_val_acc", root)`` runs the whole case study up to the validation accuracy, as the
article's notebook would have, and returns what that last cell printed. The case study's cells need
``root``: a folder in the article's layout (:func:`case_study.make_article_folder`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pytorch_explorer.article.basics import BASIC_CELLS
from pytorch_explorer.article.case_study import CASE_CELLS
from pytorch_explorer.article.cell import Cell, CellResult, Printer, Run, describe
from pytorch_explorer.core.errors import ExplorerError

CELLS: dict[str, Cell] = {cell.id: cell for cell in [*BASIC_CELLS, *CASE_CELLS]}
TRAINER_PATH = "digits-trainer"  # the trainer's url_path in app.py
ARTICLE_SETTINGS = {  # the trainer's query keys (pages/digits_trainer.py) at the article's values
    "dt_source_kind": "bundled", "dt_hidden": "500", "dt_depth": "1", "dt_activation": "relu",
    "dt_optimizer": "adam", "dt_lr": "0.001", "dt_batch": "128", "dt_epochs": "5", "dt_seed": "128", "dt_val": "0.3",
}


class UnknownCellError(ExplorerError, ValueError):
    """No cell has that id."""


def cell(cell_id: str) -> Cell:
    try:
        return CELLS[cell_id]
    except KeyError:
        raise UnknownCellError("The article has no cell {cell!r}: choose one of {choices}.", cell=cell_id,
                               choices=", ".join(CELLS)) from None


def needs_folder(cell_id: str) -> bool:
    """Does the cell (the case study's) read the article's data folder?"""
    return cell_id.startswith("cs_") and cell_id not in ("cs_imports", "cs_seed")


def run_chain(cell_id: str, root: Path | None = None) -> tuple[dict[str, Any], str]:
    """The namespace after the cell and what the cell itself printed (the cells it needs print unseen)."""
    target = cell(cell_id)
    if needs_folder(cell_id) and (root is None or not Path(root).is_dir()):
        raise ExplorerError("This cell reads the article's data folder: make it first (make_article_folder).")
    ns: dict[str, Any] = {}
    for earlier in target.needs:
        CELLS[earlier].run(Run(ns, Printer(), root))
    out = Printer()
    target.run(Run(ns, out, root))
    return ns, out.text()


def run_cell(cell_id: str, root: Path | None = None) -> CellResult:
    """Run a cell (after those it needs): its printed output, its image if it draws one, its variables."""
    ns, text = run_chain(cell_id, root)
    target = CELLS[cell_id]
    image = ns.get(target.image) if target.image else None
    return CellResult(text, image, {name: describe(ns[name]) for name in target.defines if name in ns})


def trainer_url(workspace: str | None = None, faithful: bool = True) -> str:
    """The trainer's address (relative, as a link on a page of the app) with the article's settings:
    its loop as written (faithful) or the same settings with the loop done right."""
    query = {"ws": workspace} if workspace else {}
    query |= {**ARTICLE_SETTINGS, "dt_faithful": "true" if faithful else "false"}
    return f"{TRAINER_PATH}?{urlencode(query)}"
