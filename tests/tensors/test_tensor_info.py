"""Describing tensors, broadcasting, views vs copies, making tensors from recipes, and their figures."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.tensors import factory as tf
from pytorch_explorer.tensors import figures as figs
from pytorch_explorer.tensors import info as ti


def test_describe_reports_the_metadata_of_a_view():
    x = torch.arange(6.0).reshape(2, 3)
    info = ti.describe(x.t())
    assert info.shape == (3, 2) and info.strides == (1, 3) and not info.contiguous
    assert info.dtype == "float32" and info.device == "cpu" and info.numel == 6 and info.nbytes == 24
    w = torch.ones(2, requires_grad=True)
    y = ti.describe(w * 2)
    assert y.requires_grad and not y.is_leaf and y.grad_fn == "MulBackward0"
    assert ti.describe(x[:, 1:]).storage_offset == 1


def test_values_frame_for_small_and_summary_for_large():
    frame = ti.values_frame(torch.tensor([[1, 2], [3, 4]]))
    assert frame.shape == (2, 2) and frame.iloc[1, 0] == 3
    assert ti.values_frame(torch.tensor(5.0)).iloc[0, 0] == 5.0
    assert list(ti.values_frame(torch.arange(3)).iloc[0]) == [0, 1, 2]
    assert ti.values_frame(torch.zeros(100, 100)) is None
    assert ti.values_frame(torch.zeros(2, 2, 2)) is None
    stats = ti.summary(torch.tensor([1.0, float("nan"), 3.0, 0.0]))
    assert stats["NaN"] == 1 and stats["zeros"] == 1 and stats["elements"] == 4
    assert ti.summary(torch.tensor([True, False, True])) == {"elements": 3, "true": 2, "false": 1}
    big = ti.summary(torch.arange(10_000, dtype=torch.bfloat16))
    assert big["min"] == 0.0 and big["elements"] == 10_000


@pytest.mark.parametrize(
    ("a", "b", "result"),
    [((2, 3), (3,), (2, 3)), ((4, 1), (1, 5), (4, 5)), ((5, 1, 3), (4, 1), (5, 4, 3)), ((), (2,), (2,)),
     ((2, 3), (2, 3), (2, 3)), ((2, 3), (2,), None), ((3, 4), (2, 1, 5), None)],
)
def test_broadcast_agrees_with_torch(a, b, result):
    plan = ti.broadcast(a, b)
    assert plan.result == result
    try:
        expected = tuple(torch.broadcast_shapes(a, b))
    except RuntimeError:
        expected = None
    assert plan.result == expected
    table = plan.table()
    assert list(table.index) == ["a", "b", "result"] and table.shape[1] == max(len(a), len(b))


def test_broadcast_says_exactly_why_not():
    plan = ti.broadcast((2, 3), (2,))
    assert plan.result is None
    assert "dim -1 (3 vs 2)" in plan.reason and "neither is 1" in plan.reason
    assert any("no such dim" in step for step in ti.broadcast((3,), (2, 3)).steps)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 4), max_size=4), st.lists(st.integers(1, 4), max_size=4))
def test_broadcast_matches_torch_on_any_shapes(a, b):
    try:
        expected = tuple(torch.broadcast_shapes(tuple(a), tuple(b)))
    except RuntimeError:
        expected = None
    assert ti.broadcast(tuple(a), tuple(b)).result == expected


@pytest.mark.parametrize(
    ("expression", "view"),
    [("x.t()", True), ("x.T", True), ("x.view(-1)", True), ("x[0]", True), ("x[:, 1:]", True), ("x.permute(1, 0)", True),
     ("x.detach()", True), ("x.t().contiguous()", False), ("x.clone()", False), ("x[x > 0]", False),
     ("x[[0, 0]]", False), ("x * 1", False)],
)
def test_views_share_storage_and_copies_do_not(expression, view):
    x = torch.arange(6.0).reshape(2, 3)
    report = ti.view_or_copy(x, expression, "add_(1)", "x")
    assert report.shares_storage == view
    assert report.other_changed == view, "an in-place op on x shows through a view only"
    assert torch.equal(x, torch.arange(6.0).reshape(2, 3)), "the caller's tensor is untouched"


def test_in_place_through_a_view_changes_the_base():
    x = torch.zeros(2, 3)
    report = ti.view_or_copy(x, "x[:, 1:]", "fill_(7)", "result")
    assert report.other_changed
    assert report.base_after.tolist() == [[0, 7, 7], [0, 7, 7]]
    report = ti.view_or_copy(x, "x.contiguous()", "zero_()", "x")
    assert report.same_object and "very same" in report.explanation
    with pytest.raises(ValueError, match="in-place"):
        ti.view_or_copy(x, "x.t()", "__import__('os')")
    with pytest.raises(ValueError, match="not a tensor"):
        ti.view_or_copy(x, "x.shape", "add_(1)")


def test_factory_builds_every_kind_and_its_code_reproduces_it():
    specs = [
        tf.TensorSpec("a", "literal", literal="[[1, 2], [3, 4]]", dtype="int64"),
        tf.TensorSpec("b", "zeros", (2, 2)), tf.TensorSpec("c", "ones", (3,), dtype="float64"),
        tf.TensorSpec("d", "full", (2,), fill_value=7.5), tf.TensorSpec("e", "arange", start=0, end=5, step=1, dtype="int64"),
        tf.TensorSpec("f", "linspace", start=0.0, end=1.0, steps=5), tf.TensorSpec("g", "eye", (3,)),
        tf.TensorSpec("h", "rand", (2, 3), seed=3), tf.TensorSpec("i", "randn", (4,), seed=4, requires_grad=True),
        tf.TensorSpec("j", "randint", (3,), low=0, high=5, seed=5, dtype="int64"),
        tf.TensorSpec("k", "randn", (2, 2), dtype="bfloat16", seed=1),
    ]
    from pytorch_explorer.tensors.expressions import evaluate

    for spec in specs:
        t = tf.build(spec)
        lines = tf.creation_code(spec).splitlines()
        state = torch.random.get_rng_state()
        if lines[0].startswith("torch.manual_seed"):
            torch.manual_seed(int(lines[0][len("torch.manual_seed("):-1]))
        # the code line, run through the evaluator (no exec), makes the same tensor
        rebuilt = evaluate(lines[-1].split(" = ", 1)[1], {})
        torch.random.set_rng_state(state)
        assert rebuilt.dtype == t.dtype and torch.equal(rebuilt.detach(), t.detach()), spec.name
        assert rebuilt.requires_grad == t.requires_grad


def test_factory_refuses_bad_recipes_with_advice():
    with pytest.raises(tf.SpecError, match="float"):
        tf.build(tf.TensorSpec("a", "randn", dtype="int64"))
    with pytest.raises(tf.SpecError, match="gradients"):
        tf.build(tf.TensorSpec("a", "zeros", dtype="int64", requires_grad=True))
    with pytest.raises(tf.SpecError, match="smaller"):
        tf.build(tf.TensorSpec("a", "zeros", (10_000, 10_000)))
    with pytest.raises(tf.SpecError, match="smaller"):
        tf.build(tf.TensorSpec("a", "eye", (5_000,)))  # 5,000 x 5,000 elements
    with pytest.raises(tf.SpecError, match="not a list"):
        tf.build(tf.TensorSpec("a", "literal", literal="__import__('os')"))
    with pytest.raises(tf.SpecError, match="low < high"):
        tf.build(tf.TensorSpec("a", "randint", low=5, high=5, dtype="int64"))
    with pytest.raises(tf.SpecError, match="step"):
        tf.build(tf.TensorSpec("a", "arange", start=0, end=5, step=-1))
    for bad in ["1x", "torch", "_a", "class", "a b", ""]:
        with pytest.raises(tf.SpecError):
            tf.check_name(bad)
    with pytest.raises(tf.SpecError, match="already"):
        tf.check_name("a", {"a"})
    assert tf.parse_shape("(2, 3)") == (2, 3) and tf.parse_shape("4") == (4,) and tf.parse_shape("") == ()
    assert tf.parse_shape("2x3") == (2, 3)
    with pytest.raises(tf.SpecError, match="whole numbers"):
        tf.parse_shape("two")


def test_random_tensors_do_not_touch_the_global_generator():
    state = torch.random.get_rng_state()
    tf.build(tf.TensorSpec("a", "randn", (3,), seed=1))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_state_code_lists_every_tensor_and_the_last_operation():
    specs = [tf.TensorSpec("a", "randn", (2, 3)), tf.TensorSpec("r", source="a.sum()")]
    code = tf.state_code(specs, "torch.softmax(a, dim=1)")
    assert "torch.manual_seed(0)\na = torch.randn(2, 3)" in code
    assert "r = a.sum()" in code and code.strip().endswith("print(result)")
    assert "result = torch.softmax(a, dim=1)" in code


def test_figures_fit_the_tensor():
    heat = figs.figure_for(torch.arange(6.0).reshape(2, 3))
    assert heat.data[0].type == "heatmap" and heat.data[0].z.shape == (2, 3)
    assert heat.data[0].text[1][2] == "5"
    assert figs.figure_for(torch.arange(5.0)).data[0].type == "bar"
    assert figs.figure_for(torch.randn(1000)).data[0].type == "histogram"
    assert figs.figure_for(torch.randn(2, 3, 4)).data[0].type == "histogram"
    assert figs.figure_for(torch.tensor(3.0)) is None
    with pytest.raises(ValueError):
        figs.heatmap(torch.zeros(3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_tensors_work_end_to_end():
    from pytorch_explorer.tensors.numpy_twin import run_with_twin

    a = tf.build(tf.TensorSpec("a", "randn", (3, 4), device="cuda"))
    assert a.device.type == "cuda"
    assert ".to('cuda')" in tf.creation_code(tf.TensorSpec("a", "randn", (3, 4), device="cuda"))
    result, twin, verdict = run_with_twin("torch.softmax(a, dim=1) @ a.t()", {"a": a})
    assert result.device.type == "cuda" and verdict.kind in ("equal", "close")
    assert ti.view_or_copy(a, "x.t()").shares_storage
    assert figs.figure_for(a).data[0].type == "heatmap" and ti.values_frame(a).shape == (3, 4)


def test_the_state_code_runs_as_a_script_and_rebuilds_the_tensors():
    import subprocess
    import sys

    specs = [tf.TensorSpec("a", "randn", (2, 3), seed=0),
             tf.TensorSpec("b", "literal", literal="[[1, 2, 3], [4, 5, 6]]", dtype="float32"),
             tf.TensorSpec("r", source="a @ b.t() + 1")]
    code = tf.state_code(specs, "torch.softmax(r, dim=1)")
    out = subprocess.run([sys.executable, "-c", code + "\nprint(r.sum().item())"], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    a = tf.build(specs[0])
    b = tf.build(specs[1])
    r = a @ b.t() + 1
    assert f"{r.sum().item()}" in out
    assert "tensor(" in out


def test_one_size_limit_for_making_and_computing_tensors():
    from pytorch_explorer.tensors.expressions import UnsafeExpressionError, evaluate
    from pytorch_explorer.tensors.guards import MAX_ELEMENTS

    limit = f"{MAX_ELEMENTS:,}"
    over = MAX_ELEMENTS + 1
    with pytest.raises(tf.SpecError, match=limit):
        tf.build(tf.TensorSpec("a", "zeros", (over,)))
    with pytest.raises(tf.SpecError, match=limit):
        tf.build(tf.TensorSpec("a", "arange", start=0, end=over, step=1, dtype="int64"))
    with pytest.raises(UnsafeExpressionError, match=limit):
        evaluate(f"torch.zeros({over})")
    at_limit = (MAX_ELEMENTS // 1000, 1000)
    assert tf.build(tf.TensorSpec("a", "zeros", at_limit, dtype="bool")).numel() == MAX_ELEMENTS
    assert evaluate(f"torch.zeros({at_limit[0]}, 1000, dtype=torch.bool)").numel() == MAX_ELEMENTS
    assert not hasattr(tf, "MAX_CREATE"), "one limit, stated once"


def test_a_large_matrix_is_drawn_as_a_heatmap_of_block_means():
    big = torch.arange(1_000_000.0).reshape(1000, 1000)
    fig = figs.figure_for(big)
    assert fig.data[0].type == "heatmap" and fig.data[0].z.shape == (200, 200)
    assert fig.data[0].z[0][0] == pytest.approx(big[:5, :5].double().mean().item())
    assert figs.figure_label(big).startswith("Heatmap") and "5 x 5 block" in figs.figure_label(big)
    assert figs.figure_label(torch.randn(2, 3)) == "Heatmap"
    assert figs.figure_label(torch.randn(1000)).startswith("Histogram")
    assert figs.figure_label(torch.randn(5)).startswith("Bars")
    assert figs.figure_label(torch.tensor(1.0)) is None
    uneven = figs.block_means(torch.ones(201, 3))
    assert uneven.shape == (101, 3) and torch.equal(uneven, torch.ones(101, 3, dtype=torch.float64))


def test_a_tensor_of_more_dims_is_seen_through_2d_slices():
    t = torch.arange(120).reshape(2, 3, 4, 5)
    assert torch.equal(ti.slice_2d(t, (1, 2)), t[1, 2])
    assert ti.slice_text("t", (1, 2)) == "t[1, 2]"
    with pytest.raises(ValueError, match="leading sizes are \\(2, 3\\)"):
        ti.slice_2d(t, (2, 0))
    with pytest.raises(ValueError):
        ti.slice_2d(t, (0,))
    with pytest.raises(ValueError):
        ti.slice_2d(torch.zeros(2, 3), ())
