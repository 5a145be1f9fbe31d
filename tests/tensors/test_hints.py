"""Learner's hints for PyTorch's common errors: each rule matches the message PyTorch really gives."""

from __future__ import annotations

import pytest
import torch

from pytorch_explorer.tensors.expressions import ExpressionError, evaluate
from pytorch_explorer.tensors.hints import flip_hint, hint_for, reversed_dims


def names() -> dict[str, torch.Tensor]:
    return {
        "a": torch.randn(2, 3), "b": torch.randn(2, 3), "i": torch.tensor([1, 2, 3]), "v": torch.randn(3),
        "w": torch.ones(3, requires_grad=True), "x": torch.randn(2, 3, 4),
    }


def error_of(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        evaluate(source, names())
    return caught.value


def test_a_dtype_mismatch_in_matmul_says_how_to_convert():
    error = error_of("torch.arange(12).reshape(3,4) @ torch.ones(4,2)")
    assert "same dtype" in str(error), "PyTorch's own message stays"
    hint = hint_for(error)
    assert "int64" in hint and "float32" in hint
    assert ".float()" in hint and "torch.arange(12.)" in hint


def test_a_matmul_shape_mismatch_says_which_sizes_meet_and_to_transpose():
    error = error_of("a @ b")
    assert "cannot be multiplied (2x3 and 2x3)" in str(error)
    hint = hint_for(error)
    assert "3 ≠ 2" in hint and "B.T" in hint and "2x2 result" in hint
    assert "A.T @ B" in hint_for(error_of("a.T @ torch.ones(3, 3)"))
    assert "W.T" in hint_for(error_of("F.linear(a, torch.ones(2, 2))")), "F.linear's mat2 is the weight transposed"


def test_a_broadcast_mismatch_explains_the_rule_and_pytorchs_names():
    hint = hint_for(error_of("a + torch.ones(4)"))
    assert "from the right" in hint and "3 and 4" in hint
    assert "not your tensors" in hint and "unsqueeze" in hint


@pytest.mark.parametrize("source", ["i.mean()", "i.std()", "torch.softmax(i, 0)", "torch.linalg.inv(torch.eye(2).long())"])
def test_an_integer_tensor_where_floats_are_needed_says_float(source):
    hint = hint_for(error_of(source))
    assert "integers (int64)" in hint and "x.float()" in hint


def test_requires_grad_and_in_place_on_a_leaf():
    assert "floating-point tensors can require grad" in hint_for(error_of("i.requires_grad_()"))
    error = error_of("w.add_(1)")
    assert "leaf" in str(error)
    assert "out-of-place" in hint_for(error) and "w + 1" in hint_for(error)


def test_a_negative_step_names_torch_flip_with_the_right_dims():
    error = error_of("a[:, ::-1]")
    assert "step must be greater than zero" in str(error), "PyTorch's words stay"
    hint = hint_for(error)
    assert "numpy allows a negative step" in hint and "torch.flip(a, dims=(1,))" in hint
    assert "torch.flip(x, dims=(2,))" in hint_for(error_of("x[..., ::-1]"))
    assert "torch.flip(x, dims=(1,))" in hint_for(error_of("x[None, :, ::-2, 1:]"))
    assert "torch.flip" in hint_for("step must be greater than zero"), "the message alone has a hint too"


def test_reversed_dims():
    assert reversed_dims(slice(None, None, -1), 2) == [0]
    assert reversed_dims((slice(None), slice(None, None, -1)), 2) == [1]
    assert reversed_dims((Ellipsis, slice(None, None, -1)), 4) == [3]
    assert reversed_dims((None, 0, slice(None, None, -2)), 3) == [1]
    assert reversed_dims((torch.ones(2, 3, dtype=torch.bool), slice(None, None, -1)), 3) == [2]
    assert reversed_dims((slice(1, None), 0), 2) == []
    assert "dims=(0, 2)" in flip_hint("x", [0, 2])


@pytest.mark.parametrize(("source", "words"), [
    ("i @ v", "different dtypes (int64 and float32)"),
    ("i.add_(0.5)", "keeps the tensor's dtype (int64)"),
    ("torch.mv(a, v[:2])", "3 ≠ 2"),
    ("torch.dot(v, v[:2])", "3 and 2 elements"),
    ("torch.dot(a, b)", "two 1-D vectors"),
    ("torch.bmm(a[None], b[None])", "x.mT"),
    ("torch.matmul(torch.tensor(2.), a)", "2 * a"),
    ("a.add_(torch.ones(2, 2, 3))", "cannot change its tensor's shape"),
    ("a.expand(3, 3)", "repeat"),
    ("a.view(-1, 4)", "exactly 6"),
    ("a.t().view(-1)", "reshape"),
    ("a.sum(dim=2)", "no dim 2"),
    ("a[5]", "0 to 1"),
    ("torch.stack([a, v])", "torch.cat"),
    ("torch.cat([a, torch.ones(3, 2)], dim=0)", "joins along dim 0"),
    ("torch.cat([a, v], dim=1)", "unsqueeze(0)"),
    ("torch.tensor([[1, 2], [3]])", "rectangular"),
    ("a.astype(torch.float64)", "a.to(torch.float64)"),
    ("a.copy()", "a.clone()"),
    ("a.sum(keepdims=True)", "keepdim="),
    ("torch.array([1])", "torch.tensor"),
    ("torch.newaxis", "None"),
    ("a[0] if a > 0 else b", ".any()"),
    ("F.cross_entropy(a, torch.tensor([0.5, 1.]))", "class indices"),
    ("torch.randn(2, dtype=torch.int64)", "randint"),
    ("F.one_hot(a)", "x.long()"),
])
def test_each_rule_matches_what_pytorch_says(source, words):
    hint = hint_for(error_of(source))
    assert hint is not None and words in hint, (source, hint)


def test_no_hint_when_there_is_nothing_to_add():
    assert hint_for(error_of("nope + 1")) is None
    assert hint_for(ValueError("something else")) is None
    assert hint_for(ExpressionError("anything", hint="its own hint")) == "its own hint"
