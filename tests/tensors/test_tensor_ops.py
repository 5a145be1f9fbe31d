"""The operation catalogue and the numpy twins: every op runs, and its twin's verdict is the expected one."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from pytorch_explorer.tensors import numpy_twin as nt
from pytorch_explorer.tensors import catalogue as to
from pytorch_explorer.tensors.expressions import ALLOWED_FUNCTIONS, ALLOWED_METHODS, UnsafeExpressionError, evaluate

OPS_WITH_TWIN = [op for op in to.CATALOGUE if op.twin is not None]
OPS_WITHOUT_TWIN = [op for op in to.CATALOGUE if op.twin is None]


def test_the_catalogue_has_more_than_200_grouped_documented_entries():
    assert len(to.CATALOGUE) >= 200
    assert len(to.OPS) == len(to.CATALOGUE), "names are unique"
    for op in to.CATALOGUE:
        assert op.group in to.GROUPS, op.name
        assert op.description and op.signature.count("(") >= 1, op.name
        assert op.twin is not None or op.note, f"{op.name}: no twin needs a note saying why"
    groups = {op.group for op in to.CATALOGUE}
    assert groups == set(to.GROUPS)


def test_every_catalogue_entry_is_callable_through_the_safe_evaluator():
    for op in to.CATALOGUE:
        short = op.name.split(".", 1)[1]
        if op.is_method:
            assert short in ALLOWED_METHODS or short in ("T", "mT"), op.name
        else:
            assert op.name in ALLOWED_FUNCTIONS, op.name


@pytest.mark.parametrize("seed", [1, 2])
def test_the_numpy_twin_verdict_is_right_for_every_op_with_a_twin(seed):
    """Walk the catalogue on random inputs: torch via the safe evaluator, numpy via the twin."""
    wrong = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in OPS_WITH_TWIN:
            source, names = to.example_call(op, seed)
            result, twin, verdict = nt.run_with_twin(source, names)
            if verdict.kind not in op.expect:
                wrong.append(f"{op.name}: {source} -> {twin.code} {verdict.kind} {verdict.message} {twin.reason}")
    assert not wrong, "\n".join(wrong)


def test_ops_without_a_numpy_twin_say_so_and_why():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for op in OPS_WITHOUT_TWIN:
            source, names = to.example_call(op, 0)
            _, twin, verdict = nt.run_with_twin(source, names)
            assert verdict.kind == nt.NO_TWIN, op.name
            assert op.note.split(";")[0][:20] in verdict.message, (op.name, verdict.message)


def test_a_twin_that_differs_by_design_explains_why():
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    _, twin, verdict = nt.run_with_twin("torch.std(a)", {"a": a})
    assert verdict.kind == nt.DIFFERS and twin.code == "np.std(a)"
    assert any("Bessel" in note for note in twin.notes)
    _, twin, verdict = nt.run_with_twin("torch.std(a, correction=0)", {"a": a})
    assert verdict.kind == nt.EQUAL or verdict.kind == nt.CLOSE
    assert twin.code == "np.std(a, ddof=0)"
    _, twin, verdict = nt.run_with_twin("torch.median(a)", {"a": a})
    assert verdict.kind == nt.DIFFERS and float(twin.value) == 2.5
    assert "lower" in " ".join(twin.notes)


def test_dtype_promotion_differs_by_design_but_values_agree():
    i = torch.tensor([1, 2, 3])
    result, twin, verdict = nt.run_with_twin("i + 2.5", {"i": i})
    assert result.dtype == torch.float32 and twin.value.dtype == np.float64
    assert verdict.kind in (nt.EQUAL, nt.CLOSE) and "float32" in verdict.message and "float64" in verdict.message


def test_integer_division_twins():
    i = torch.tensor([-7, 7])
    j = torch.tensor([2, 2])
    assert nt.run_with_twin("i // j", {"i": i, "j": j})[2].kind == nt.EQUAL
    result, twin, verdict = nt.run_with_twin("torch.div(i, j, rounding_mode='trunc')", {"i": i, "j": j})
    assert result.tolist() == [-3, 3] and twin.code == "np.trunc(i / j)" and verdict.kind == nt.EQUAL
    _, twin, verdict = nt.run_with_twin("torch.div(i, j, rounding_mode='floor')", {"i": i, "j": j})
    assert twin.code == "np.floor_divide(i, j)" and verdict.kind == nt.EQUAL


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("a @ b.t() + 1", "a @ b.T + 1"),
        ("torch.softmax(a, dim=1)", "np.exp(a) / np.sum(np.exp(a), axis=1, keepdims=True)"),
        ("a[:, 0].sum()", "np.sum(a[:, 0])"),
        ("a.sum(dim=0, keepdim=True)", "np.sum(a, axis=0, keepdims=True)"),
        ("torch.max(a, dim=1).values", "np.max(a, axis=1)"),
        ("torch.max(a, b)", "np.maximum(a, b)"),
        ("torch.zeros(2, 3)", "np.zeros((2, 3))"),
        ("a.to(torch.float64)", "a.astype(np.float64)"),
        ("torch.einsum('ij,kj->ik', a, b)", "np.einsum('ij,kj->ik', a, b, optimize=True)"),
        ("torch.cat([a, b], dim=1)", "np.concatenate([a, b], axis=1)"),
        ("F.relu(a) * torch.pi", "np.maximum(a, 0) * np.pi"),
        ("a.T.shape", "a.T.shape"),
        ("a.view(3, 2)", "np.reshape(a, (3, 2))"),
        ("torch.clamp(a, min=0)", "np.clip(a, 0, None)"),
    ],
)
def test_expressions_translate_to_readable_numpy_code(source, code):
    a = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
    b = torch.randn(2, 3, generator=torch.Generator().manual_seed(1))
    result, twin, verdict = nt.run_with_twin(source, {"a": a, "b": b})
    assert twin.code == code
    assert verdict.kind in (nt.EQUAL, nt.CLOSE), verdict


def test_expressions_with_no_twin_name_the_part():
    a = torch.randn(2, 3)
    _, twin, verdict = nt.run_with_twin("torch.erf(a) + 1", {"a": a})
    assert verdict.kind == nt.NO_TWIN and "erf" in verdict.message
    _, twin, verdict = nt.run_with_twin("a.requires_grad", {"a": a})
    assert verdict.kind == nt.NO_TWIN and "requires_grad" in verdict.message
    _, twin, verdict = nt.run_with_twin("torch.randn(2)", {})
    assert verdict.kind == nt.NO_TWIN and "generator" in verdict.message


def test_the_twin_sees_the_data_before_an_in_place_op():
    a = torch.tensor([1.0, 2.0])
    result, twin, verdict = nt.run_with_twin("a.add_(1)", {"a": a})
    assert a.tolist() == [2.0, 3.0]
    assert twin.code == "a + 1" or twin.code == "np.add(a, 1)" or verdict.kind == nt.NO_TWIN


def test_the_twin_never_runs_what_the_evaluator_refuses(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the twin ran before the evaluator's checks")

    monkeypatch.setattr(nt, "numpy_side", boom)
    for source in ["torch.load('x')", "2 ** 10 ** 10", "__import__('os')", "[0] * 10**9", "torch.ones(10**6, 10**6)"]:
        with pytest.raises(UnsafeExpressionError):
            nt.run_with_twin(source, {})


def test_compare_verdicts():
    t = torch.tensor([1.0, 2.0, 3.0])
    assert nt.compare(t, np.array([1.0, 2.0, 3.0], dtype=np.float32)).kind == nt.EQUAL
    close = nt.compare(t, np.array([1.0, 2.0, 3.0 + 1e-6]))
    assert close.kind == nt.CLOSE and close.max_difference == pytest.approx(1e-6, rel=0.1)
    differs = nt.compare(t, np.array([1.0, 2.0, 3.5]))
    assert differs.kind == nt.DIFFERS and differs.max_difference == pytest.approx(0.5)
    assert nt.compare(t, np.array([1.0, 2.0])).kind == nt.DIFFERS
    assert "shapes" in nt.compare(t, np.zeros((3, 1))).message
    nan = torch.tensor([float("nan"), float("inf")])
    assert nt.compare(nan, np.array([np.nan, np.inf])).kind == nt.EQUAL
    assert nt.compare(nan, np.array([0.0, np.inf])).kind == nt.DIFFERS
    assert nt.compare((t, t), (t.numpy(), t.numpy() + 1)).kind == nt.DIFFERS
    assert nt.compare(torch.Size([2, 3]), (2, 3)).kind == nt.EQUAL
    assert nt.compare(torch.tensor(True), np.True_).kind == nt.EQUAL
    assert nt.compare(t.half(), t.numpy().astype(np.float16) + 1e-3).kind == nt.CLOSE


def test_expression_builder_leaves_out_defaults_and_uses_keywords():
    op = to.OPS["torch.sum"]
    assert op.expression({"input": "a"}) == "torch.sum(a, dim=1)"  # the example dim
    assert op.expression({"input": "a", "dim": None}) == "torch.sum(a)"
    assert op.expression({"input": "a", "dim": 0, "keepdim": True}) == "torch.sum(a, dim=0, keepdim=True)"
    assert to.OPS["Tensor.view"].expression({"self": "x", "shape": (3, 2)}) == "x.view(3, 2)"
    assert to.OPS["torch.zeros"].expression({"size": (2, 3), "dtype": torch.float64}) == \
        "torch.zeros(2, 3, dtype=torch.float64)"
    assert to.OPS["torch.cat"].expression({"tensors": ["a", "b"], "dim": 1}) == "torch.cat([a, b], dim=1)"
    assert to.OPS["torch.nn.functional.relu"].expression({"input": "a"}) == "F.relu(a)"
    assert to.OPS["Tensor.T"].expression({"self": "a"}) == "a.T"
    assert to.OPS["torch.linalg.svd"].expression({"A": "m"}) == "torch.linalg.svd(m).S"


def test_ops_survive_copying_like_streamlit_widget_options_do():
    import copy
    import pickle

    op = copy.deepcopy(to.OPS["torch.transpose"])
    assert op.params[1].default is to.REQUIRED
    assert op.expression({"input": "a", "dim0": 0, "dim1": 1}) == "torch.transpose(a, 0, 1)"
    assert pickle.loads(pickle.dumps(to.REQUIRED)) is to.REQUIRED


def test_parse_value_reads_widget_text():
    p = {p.name: p for p in to.OPS["torch.sum"].params}
    assert to.parse_value(p["dim"], "1") == 1
    assert to.parse_value(p["dim"], "") is None
    with pytest.raises(to.ParamError, match="dim"):
        to.parse_value(p["dim"], "one")
    shape = to.OPS["torch.reshape"].params[1]
    assert to.parse_value(shape, "(4, 3)") == (4, 3)
    start = to.OPS["torch.arange"].params[0]
    assert to.parse_value(start, "2") == 2 and to.parse_value(start, "0.5") == 0.5


def test_search_finds_by_words_and_group():
    names = [op.name for op in to.search("softmax")]
    assert "torch.softmax" in names and "torch.nn.functional.softmax" in names
    assert all(op.group == "linear algebra" for op in to.search("", "linear algebra"))
    assert to.search("no such operation at all") == []
    assert {op.name for op in to.search("inverse matrix")} >= {"torch.inverse", "torch.linalg.inv"}


def test_signatures_parse_into_widget_kinds():
    params = {p.name: p for p in to.OPS["torch.div"].params}
    assert params["input"].kind == "tensor" and params["rounding_mode"].kind == "choice"
    assert params["rounding_mode"].choices == (None, "trunc", "floor")
    assert to.OPS["torch.einsum"].params[1].varargs
    with pytest.raises(ValueError, match="unknown annotation"):
        to.parse_signature("torch.x(a: Tensor, b: weird)")


def test_example_data_fits_each_domain():
    g = torch.Generator().manual_seed(0)
    assert (to.example_tensor("positive", (50,), g) > 0).all()
    assert (to.example_tensor("unit", (50,), g).abs() < 1).all()
    spd = to.example_tensor("spd", (4, 4), g)
    assert torch.allclose(spd, spd.T) and (torch.linalg.eigvalsh(spd) > 0).all()
    assert (to.example_tensor("nonzero_int", (50,), g) != 0).all()
    s = to.example_tensor("special", (3, 4), g)
    assert torch.isnan(s).any() and torch.isinf(s).any()
    with pytest.raises(ValueError):
        to.example_tensor("nope", (2,), g)


def test_catalogue_ops_are_evaluated_not_eval_d():
    # the catalogue's expression for an op is plain text for the safe evaluator
    source, names = to.example_call(to.OPS["torch.matmul"], 0)
    assert source == "torch.matmul(x0, x1)"
    assert torch.allclose(evaluate(source, names), names["x0"] @ names["x1"])


def test_a_numpy_twin_never_builds_an_array_over_the_element_limit():
    # cdist's twin broadcasts (n, 1, d) - (1, m, d): 100 * 100 * 2000 elements, over MAX_ELEMENTS
    x = np.zeros((100, 2000))
    side = nt.numpy_side("torch.cdist(x, y)", {"x": x, "y": x})
    assert side.code is None and "too large" in side.reason
    side = nt.numpy_side("x + y", {"x": np.zeros((4000, 1)), "y": np.zeros((1, 4000))})
    assert side.code is None and "too large" in side.reason
    assert nt.numpy_side("torch.cdist(x, y)", {"x": x[:3, :4], "y": x[:2, :4]}).value.shape == (3, 2)


@pytest.mark.parametrize(("source", "code"), [
    ("torch.ones(3, 1) + torch.arange(4)", "np.ones((3, 1)) + np.arange(4)"),  # one-argument arange is legal
    ("torch.arange(5)", "np.arange(5)"),
    ("torch.arange(2, 6)", "np.arange(2, 6)"),
    ("a.reshape(3, 2)", "np.reshape(a, (3, 2))"),  # the method takes the sizes one by one
    ("a.permute(1, 0)", "np.transpose(a, (1, 0))"),
    ("torch.histc(a)", "np.histogram(a, bins=100)[0]"),  # torch's default is 100 bins, numpy's 10
])
def test_short_legal_calls_have_their_twin(source, code):
    a = torch.randn(2, 3, generator=torch.Generator().manual_seed(0))
    _, twin, verdict = nt.run_with_twin(source, {"a": a})
    assert twin.code == code, twin.reason
    assert verdict.kind in (nt.EQUAL, nt.CLOSE), verdict


@pytest.mark.parametrize(("source", "float_note"), [
    ("torch.tensor([7, -7]) // 2", False),  # int64 in both: nothing about floats to explain
    ("torch.zeros(2, dtype=torch.int64)", False),
    ("torch.full((2,), 7)", False),
    ("torch.ones(3).long()", False),
    ("torch.tensor([7, -7]) / 2", True),  # true division: float32 in torch, float64 in numpy
    ("torch.ones(2)", True),
    ("torch.max(torch.ones(2, 2), dim=1)", True),
])
def test_the_why_note_matches_the_actual_difference(source, float_note):
    result, twin, verdict = nt.run_with_twin(source, {})
    notes = " ".join(twin.notes)
    assert ("float64" in notes) == float_note, (source, twin.notes)
    assert ("dtypes: torch float32, numpy float64" in verdict.message) == float_note, verdict.message
