"""What a new learner trips over in the autograd explorer (issue 13): an unused input, a number too
big for float32, a preset's notes after editing, a name that is not an input. Package first, then
the page (AppTest)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from pytorch_explorer.autograd.check import finite_difference_check
from pytorch_explorer.autograd.code import graph_code
from pytorch_explorer.autograd.figures import (
    accumulation_rows, check_note, check_rows, graph_to_dot, non_finite_note, unused_note,
)
from pytorch_explorer.autograd.graph import GraphError
from pytorch_explorer.autograd.names import NotAnInputError, not_an_input_message, trace_expression, unknown_names
from pytorch_explorer.autograd.presets import PRESET_EDITED, PRESETS, InputSpec, explore, make_input, preset_applies

PAGE = str(ROOT / "pages/autograd_explorer.py")
UNUSED = [InputSpec("w", "3.0"), InputSpec("x", "2.0", requires_grad=False), InputSpec("b", "1.0")]


# ----------------------------------------------------------------------------- an input the output does not use
def test_an_unused_input_has_grad_none_as_in_pytorch():
    graph, first = explore("w * x", UNUSED, passes=1)
    assert graph.unused_leaves == ["b"]
    assert graph.inputs["b"].grad is None                       # what PyTorch does
    (w_row, b_row) = check_rows(finite_difference_check(graph))
    assert w_row["autograd"] == "2"
    assert b_row["autograd"].startswith("None") and b_row["finite differences"] == "0" and b_row["agree"] == "yes"
    rows = accumulation_rows(first, graph.leaf_grads(), 1, graph.unused_leaves)
    assert rows[-1]["input"] == "b" and rows[-1]["grad after the first backward()"] == "None"
    assert "b.grad None" in graph_to_dot(graph)
    note = unused_note(graph)
    assert "`b.grad` stays **None**, not 0" in note
    done = subprocess.run([sys.executable, "-c", graph_code(graph)], capture_output=True, text=True, timeout=120)
    assert "b.grad = None" in done.stdout, done.stderr           # the page's code agrees: b.grad is None


def test_no_unused_note_when_every_input_is_used():
    graph, _ = explore("w * x + b", UNUSED, passes=1)
    assert graph.unused_leaves == [] and unused_note(graph) == ""
    assert "None" not in graph_to_dot(graph)


# ----------------------------------------------------------------------------- overflow and non-finite values
@pytest.mark.parametrize("value", ["1e308", "[1.0, 1e39]", "torch.tensor(1e308, dtype=torch.float64)"])
def test_a_number_too_big_for_float32_is_refused_with_the_reason(value):
    with pytest.raises(GraphError, match="too big for float32.*inf"):
        make_input(InputSpec("w", value))


def test_an_input_that_is_already_inf_or_nan_is_refused():
    with pytest.raises(GraphError, match="inf or nan"):
        make_input(InputSpec("w", "torch.log(torch.tensor(0.))"))


def test_overflow_in_the_expression_is_explained_where_it_happens():
    graph, _ = explore("w * 1e38 * 10 + x", [InputSpec("w", "1.0"), InputSpec("x", "1.0")], passes=1)
    note = non_finite_note(graph)
    assert "t2 = t1 * 10" in note and "overflowed" in note
    results = finite_difference_check(graph)
    rows = check_rows(results)
    assert [r["agree"] for r in rows] == ["can't tell (inf/nan)"] * 2   # not a disagreement: nothing to compare
    assert "overflowed float32" in check_note(results)


def test_finite_values_get_no_overflow_notes():
    graph, _ = explore("w * x + b", UNUSED, passes=1)
    results = finite_difference_check(graph)
    assert non_finite_note(graph) == "" and check_note(results) == ""
    assert all(r.finite and r.ok for r in results)


def test_nan_is_named_as_nan():
    graph, _ = explore("torch.sqrt(w - 2)", [InputSpec("w", "1.0")])
    assert "nan (not a number)" in non_finite_note(graph)


# ----------------------------------------------------------------------------- a preset, then the learner's own
def test_preset_applies_only_while_unedited():
    preset = PRESETS["linear"]
    assert preset_applies("linear", preset.expression, list(preset.inputs))
    assert not preset_applies("linear", "w * x * b", list(preset.inputs))
    edited = [InputSpec("w", "5.0"), *preset.inputs[1:]]
    assert not preset_applies("linear", preset.expression, edited)
    assert not preset_applies("neuron", preset.expression, list(preset.inputs))


# ----------------------------------------------------------------------------- names
def test_unknown_names_lists_what_is_not_an_input():
    assert unknown_names("abc * w + torch.sin(F.relu(x))", ["w", "x"]) == ["abc"]
    assert unknown_names("w +", ["w"]) == []                    # a syntax error is the evaluator's to explain
    assert unknown_names("__import__('os')", []) == []          # refused by the evaluator, for its own reason


def test_an_unknown_name_in_the_expression_says_to_add_an_input():
    inputs = {"w": torch.tensor(1.0, requires_grad=True), "x": torch.tensor(2.0)}
    with pytest.raises(NotAnInputError) as info:               # still an UnsafeExpressionError, and a GraphError
        trace_expression("abc * w", inputs)
    message = str(info.value)
    assert message == "`abc` is not an input: add an input named abc below, or use one of the inputs w or x."
    assert "names you can use" not in message
    assert "torch.sigmoid" in not_an_input_message("sigmoid", ["w"])
    with pytest.raises(ValueError, match="shapes cannot be multiplied"):   # other errors pass through unchanged
        trace_expression("w @ torch.ones(3, 3)", {"w": torch.ones(2, 2, requires_grad=True)})


def test_a_name_as_an_input_value_says_what_a_value_is():
    with pytest.raises(GraphError) as info:
        make_input(InputSpec("w", "abc"))
    message = str(info.value)
    assert "`abc` is not a value" in message and "number" in message and "none)" not in message


# ----------------------------------------------------------------------------- the page
def run_page() -> AppTest:
    at = AppTest.from_file(PAGE).run(timeout=30)
    assert not at.exception
    return at


def test_page_drops_the_preset_notes_once_the_expression_is_edited():
    at = run_page()
    assert PRESETS["linear"].about in [c.value for c in at.caption]
    at.text_input(key="ag_expr").set_value("w * x * b").run(timeout=30)
    captions = [c.value for c in at.caption]
    assert PRESETS["linear"].about not in captions and PRESET_EDITED in captions
    at.text_input(key="ag_expr").set_value(PRESETS["linear"].expression).run(timeout=30)
    assert PRESETS["linear"].about in [c.value for c in at.caption]


def test_page_explains_an_unused_input_overflow_and_unknown_names():
    at = run_page()
    at.text_input(key="ag_expr").set_value("w * x").run(timeout=30)
    at.button(key="ag_backward").click().run(timeout=30)
    assert any("stays **None**, not 0" in w.value for w in at.warning)
    at.text_input(key="ag_value_0").set_value("1e308").run(timeout=30)
    assert not at.exception and "too big for float32" in at.error[0].value
    at.text_input(key="ag_value_0").set_value("3.0").run(timeout=30)
    at.text_input(key="ag_expr").set_value("abc * w").run(timeout=30)
    assert at.error[0].value.startswith("`abc` is not an input: add an input named abc below")
