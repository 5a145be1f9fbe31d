"""Every cell of the article: its function runs, and the code the page shows reproduces it exactly
(what it prints, and the variables it leaves for the next cell)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from article_shown import run_shown
from pytorch_explorer.article.case_study import CASE_ORDER, make_article_folder
from pytorch_explorer.article.cell import Printer, shorten
from pytorch_explorer.article.cells import CELLS, run_cell, run_chain, trainer_url
from pytorch_explorer.core.errors import ExplorerError

BASICS = [cid for cid in CELLS if not cid.startswith("cs_")]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A small folder in the article's layout: 300 training digits (2 batches an epoch), 30 test digits."""
    return make_article_folder(tmp_path_factory.mktemp("article"), train=300, test=30)


@pytest.fixture(scope="module", autouse=True)
def quiet_plots():
    import matplotlib

    matplotlib.use("Agg")  # the shown code's plt.show() does nothing without a screen


def same(a, b) -> bool:
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, pd.DataFrame):
        return a.equals(b)
    if isinstance(a, np.random.RandomState):
        return all(np.array_equal(x, y) for x, y in zip(a.get_state(), b.get_state(), strict=True))
    if isinstance(a, torch.nn.Module):
        return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True))
    return a == b and type(a) is type(b)


def check_cell(cell_id: str, root) -> str:
    """Run the shown code of the cell (after the cells it needs) and compare with the package's run."""
    ns_package, printed = run_chain(cell_id, root)
    ns: dict = {}
    for earlier in CELLS[cell_id].needs:
        run_shown(CELLS[earlier].code(root), ns)
    shown_printed = run_shown(CELLS[cell_id].code(root), ns)
    assert shown_printed == printed
    for name in CELLS[cell_id].defines:
        assert same(ns[name], ns_package[name]), name
    return printed


@pytest.mark.parametrize("cell_id", [c for c in BASICS if c != "toy_torch"])
def test_each_basic_cell_prints_what_its_shown_code_prints(cell_id, one_torch_thread):
    check_cell(cell_id, None)


def test_the_first_cells_print_what_pytorch_prints_today():
    assert run_cell("tensor").text == "tensor([2.])\n"
    assert run_cell("add").text == "tensor([5.])\n"
    assert run_cell("install").text == repr(torch.__version__) + "\n"
    matrix = torch.randn(3, 3, generator=torch.Generator().manual_seed(0))
    assert run_cell("transpose").text == repr(matrix.t()) + "\n"  # unlike the article's, the same matrix
    assert run_cell("variable").text == "(False, False, 'Tensor')\n"
    assert "Linear(in_features=784, out_features=500, bias=True)" in run_cell("nn").text


def test_the_numpy_toy_network_learns_and_the_articles_torch_twin_does_not(one_torch_thread):
    numpy_result = run_cell("toy_numpy")
    predicted = np.array([float(v) for v in numpy_result.text.split("predicted :")[1].replace("[", " ").replace("]", " ").split()])
    assert predicted[:2].min() > 0.9 and predicted[2] < 0.1  # it learned y = [1, 1, 0]
    printed = check_cell("toy_torch", None)  # the article's PyTorch twin, as written: prints inside its loop
    assert printed.count("predicted :") == 5000
    text, left_out = shorten(printed)
    assert left_out > 0 and text.count("\n") < 50


def test_the_case_study_runs_cell_by_cell_as_its_shown_code(root, one_torch_thread):
    ns: dict = {}
    for cell_id in CASE_ORDER:  # one notebook namespace, each cell compared with the package's run
        ns_package, printed = run_chain(cell_id, root)
        assert run_shown(CELLS[cell_id].code(root), ns) == printed, cell_id
        for name in CELLS[cell_id].defines:
            assert same(ns[name], ns_package[name]), (cell_id, name)
    assert ns["total_batch"] == 300 // 128 and ns["split_size"] == 210  # steps from the whole CSV (a defect)
    epochs = printed_lines = run_chain("cs_train", root)[1].splitlines()
    assert [line.split()[0] for line in epochs] == ["0", "1", "2", "3", "4"] and len(printed_lines) == 5
    assert 0.0 <= float(run_cell("cs_val_acc", root).text.removeprefix("np.float64(").rstrip(")\n")) <= 1.0


def test_the_case_study_reads_the_articles_layout(root):
    assert run_cell("cs_paths", root).text == "(True, True)\n"
    assert "filename  label" in run_cell("cs_load", root).text
    shown = run_cell("cs_show", root)
    assert shown.image.shape == (28, 28) and shown.image.dtype == np.float32 and shown.image.max() > 100
    assert shown.variables["img"] == "float32 array (28, 28)"
    arrays = run_cell("cs_arrays", root).variables
    assert arrays == {"train_x": "float32 array (300, 784)", "test_x": "float32 array (30, 784)",
                      "train_y": "int64 array (300,)"}
    for name in ("Train/train.csv", "Test.csv", "Sample_Submission.csv", "Train/Images/train/0.png",
                 "Train/Images/test/300.png"):
        assert (root / "data" / name).is_file(), name


def test_the_folder_is_made_once_and_a_case_study_cell_without_it_says_so(root, tmp_path):
    stamp = (root / "data" / "Train" / "train.csv").stat().st_mtime_ns
    assert make_article_folder(root, train=300, test=30) == root
    assert (root / "data" / "Train" / "train.csv").stat().st_mtime_ns == stamp
    with pytest.raises(ExplorerError, match="data folder"):
        run_cell("cs_load", tmp_path / "nowhere")
    with pytest.raises(ValueError, match="no cell"):
        run_cell("nope")


def test_each_cell_that_cannot_run_as_written_shows_a_diff_and_says_what_changed():
    for cell in CELLS.values():
        if cell.as_written:
            assert cell.diff() == "" and cell.code() == cell.original
        else:
            diff = cell.diff()
            assert diff.startswith("--- the article (2018)") and "\n+" in diff, cell.id
            assert cell.changes, cell.id


def test_printer_prints_as_print_does():
    out = Printer()
    out.print("a", 1, [2], sep="-", end="!")
    out.show(None)
    out.show((1, "x"))
    assert out.text() == "a-1-[2]!(1, 'x')\n"


def test_the_trainer_link_carries_the_articles_settings_and_the_workspace():
    url = trainer_url("abc", faithful=True)
    assert url.startswith("digits-trainer?ws=abc&") and "dt_faithful=true" in url and "dt_lr=0.001" in url
    assert "dt_faithful=false" in trainer_url(None, faithful=False) and "ws=" not in trainer_url(None)
