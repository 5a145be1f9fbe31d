"""What a new learner trips over on the Toy networks page (issue 13): code cut off in narrow columns.
(The playground's learner messages, a learning rate too high and the rest, moved with it to
tests/playground.) The browser test of the columns is in test_toy_networks_page.py."""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT

from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy.settings import IMPLEMENTATIONS, ToySettings

PAGE = str(ROOT / "pages/toy_networks.py")
WIDTH = 45


# ----------------------------------------------------------------------------- code that fits its column
@pytest.mark.parametrize("width", [30, 44, 60])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_wrapped_code_is_the_same_program(impl, width):
    source = toy_code.implementation_code(impl, ToySettings())
    wrapped = "\n".join(piece for line in source.splitlines() for piece in toy_code.wrap_code_line(line, width))
    assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(source))


def test_wrap_code_line_breaks_where_python_allows():
    line = "    wh = torch.tensor(np.random.uniform(size=(inputlayer_neurons, hiddenlayer_neurons)), dtype=torch.float64)"
    pieces = toy_code.wrap_code_line(line, WIDTH)
    assert len(pieces) > 1 and all(len(p) <= WIDTH for p in pieces)
    assert pieces[1].startswith("        ")                              # continuation: 4 more
    assert "dtype=torch.float64" in "".join(pieces)                       # a keyword stays whole
    assert toy_code.wrap_code_line("x = 1", WIDTH) == ["x = 1"]
    assert toy_code.wrap_code_line("    out = sigmoid(z)  # <- DEFECT 1", 20)[0] == "    # ↓ DEFECT 1"


@pytest.mark.parametrize("against", ["torch-article", "torch-fixed"])
@pytest.mark.parametrize("settings", [ToySettings(), ToySettings(activation="tanh", dtype="float32", init="normal")])
def test_aligned_columns_fit_the_width_and_stay_twins(settings, against):
    numpy_text, torch_text = toy_code.aligned_columns(settings, against, width=WIDTH)
    left, right = numpy_text.splitlines(), torch_text.splitlines()
    assert len(left) == len(right)
    assert max(map(len, left + right)) <= WIDTH
    plain = toy_code.aligned_columns(settings, against)
    for wrapped, original in zip((numpy_text, torch_text), plain, strict=True):
        assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(original))
    assert "DEFECT 1" in torch_text if against == "torch-article" else "DEFECT" not in torch_text
