"""The safe expression evaluator: legal expressions compute what PyTorch computes; hostile ones are refused."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.tensors.allowed import resolve
from pytorch_explorer.tensors.expressions import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_FUNCTIONS,
    ALLOWED_METHODS,
    ExpressionError,
    UnsafeExpressionError,
    evaluate,
)

A = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
B = torch.tensor([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]])
V = torch.tensor([3.0, -1.0, 2.0])
I = torch.tensor([[1, 2], [3, 4]])  # noqa: E741 - an integer matrix
NAMES = {"a": A, "b": B, "v": V, "i": I}

LEGAL = [
    ("a @ b.t() + 1", A @ B.t() + 1),
    ("torch.softmax(a, dim=1)", torch.softmax(A, dim=1)),
    ("a[:, 0].sum()", A[:, 0].sum()),
    ("a + b * 2 - v", A + B * 2 - V),
    ("a / 2 // 1 % 3", A / 2 // 1 % 3),
    ("a ** 2", A**2),
    ("-a", -A),
    ("+a", A),
    ("~i", ~I),
    ("i & 1 | 4 ^ i", I & 1 | 4 ^ I),
    ("i << 1", I << 1),
    ("i >> 1", I >> 1),
    ("a > 2", A > 2),
    ("a == a", A == A),
    ("a[a > 2]", A[A > 2]),
    ("a[None, ..., ::2]", A[None, ..., ::2]),
    ("a[-1, 1:]", A[-1, 1:]),
    ("a[[0, 1], [2, 0]]", A[[0, 1], [2, 0]]),
    ("a.T", A.T),
    ("a.mT", A.mT),
    ("a.shape", A.shape),
    ("a.shape[1] * 2", 6),
    ("a.dtype", torch.float32),
    ("a.ndim", 2),
    ("a.sum(dim=0, keepdim=True)", A.sum(dim=0, keepdim=True)),
    ("a.mean()", A.mean()),
    ("a.std()", A.std()),
    ("a.pow(2).exp().log()", A.pow(2).exp().log()),
    ("a.relu().sigmoid().tanh()", A.relu().sigmoid().tanh()),
    ("a.softmax(1)", A.softmax(1)),
    ("a.reshape(3, 2)", A.reshape(3, 2)),
    ("a.view(-1)", A.view(-1)),
    ("a.unsqueeze(0).shape", torch.Size([1, 2, 3])),
    ("torch.max(a, dim=1).values", A.max(dim=1).values),
    ("torch.max(a, dim=1).indices", A.max(dim=1).indices),
    ("torch.linalg.svd(a).S", torch.linalg.svd(A).S),
    ("torch.zeros(2, 3, dtype=torch.float64)", torch.zeros(2, 3, dtype=torch.float64)),
    ("torch.ones((2, 2))", torch.ones(2, 2)),
    ("torch.arange(0, 10, 2)", torch.arange(0, 10, 2)),
    ("torch.linspace(0, 1, 5)", torch.linspace(0, 1, 5)),
    ("torch.eye(3)", torch.eye(3)),
    ("torch.full((2, 2), 7)", torch.full((2, 2), 7)),
    ("torch.tensor([[1, 2], [3, 4]])", I),
    ("torch.tensor([1.5, 2.5], dtype=torch.float16)", torch.tensor([1.5, 2.5], dtype=torch.float16)),
    ("torch.cat([a, b], dim=0)", torch.cat([A, B], dim=0)),
    ("torch.stack((v, v))", torch.stack((V, V))),
    ("torch.einsum('ij,kj->ik', a, b)", torch.einsum("ij,kj->ik", A, B)),
    ("torch.where(a > 3, a, torch.zeros_like(a))", torch.where(A > 3, A, torch.zeros_like(A))),
    ("torch.div(i, 3, rounding_mode='floor')", torch.div(I, 3, rounding_mode="floor")),
    ("torch.linalg.norm(a)", torch.linalg.norm(A)),
    ("torch.linalg.inv(i.float())", torch.linalg.inv(I.float())),
    ("F.relu(a - 3)", torch.relu(A - 3)),
    ("torch.nn.functional.mse_loss(a, b)", torch.nn.functional.mse_loss(A, B)),
    ("F.mse_loss(a, b, reduction='sum')", torch.nn.functional.mse_loss(A, B, reduction="sum")),
    ("F.cross_entropy(a, torch.tensor([0, 2]))", torch.nn.functional.cross_entropy(A, torch.tensor([0, 2]))),
    ("F.linear(v, a)", torch.nn.functional.linear(V, A)),
    ("F.one_hot(torch.tensor([0, 2]), 4)", torch.nn.functional.one_hot(torch.tensor([0, 2]), 4)),
    ("torch.special.expit(v)", torch.special.expit(V)),
    ("a.to(torch.float64).dtype", torch.float64),
    ("a.clone().add_(1)", A + 1),
    ("a.matmul(b.T)", A @ B.T),
    ("torch.split(v, 2)", torch.split(V, 2)),
    ("v.tolist()", [3.0, -1.0, 2.0]),
    ("v.sum().item()", 4.0),
    ("torch.pi * 2", 2 * math.pi),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("(1 + 2j) * 2", 2 + 4j),
    ("[1, 2] * 3", [1, 2, 1, 2, 1, 2]),
    ("(1, 2) + (3,)", (1, 2, 3)),
    ("1 < 2 < 3", True),
    ("1 if a.sum() > 0 else 2", 1),
    ("not False and 3", 3),
    ("0 or None", None),
    ("3 in v", True),
    ("a.grad is None", True),
    ("torch.repeat_interleave(v, 2)", torch.repeat_interleave(V, 2)),
    ("torch.bincount(torch.tensor([0, 1, 1, 3]))", torch.tensor([1, 2, 0, 1])),
    ("torch.unique(torch.tensor([3, 1, 3]))", torch.tensor([1, 3])),
    ("torch.nonzero(a > 4)", torch.nonzero(A > 4)),
    ("a.expand(4, 2, 3).shape", torch.Size([4, 2, 3])),
    ("v.repeat(2, 2)", V.repeat(2, 2)),
    ("torch.kron(i, i)", torch.kron(I, I)),
    ("torch.outer(v, v)", torch.outer(V, V)),
]


@pytest.mark.parametrize(("source", "expected"), LEGAL, ids=[s for s, _ in LEGAL])
def test_legal_expressions_compute_what_torch_computes(source, expected):
    result = evaluate(source, NAMES)
    if isinstance(expected, torch.Tensor):
        assert isinstance(result, torch.Tensor)
        assert result.shape == expected.shape and result.dtype == expected.dtype
        assert torch.allclose(result, expected, equal_nan=True) if expected.is_floating_point() else torch.equal(
            result, expected
        )
    elif isinstance(expected, tuple) and expected and isinstance(expected[0], torch.Tensor):
        assert len(result) == len(expected)
        assert all(torch.equal(r, e) for r, e in zip(result, expected, strict=True))
    elif isinstance(expected, float):
        assert result == pytest.approx(expected)
    else:
        assert result == expected


def test_the_names_are_used_as_they_are_so_autograd_graphs_survive():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    x = torch.tensor([3.0, 4.0])
    loss = evaluate("(w * x).sigmoid().sum()", {"w": w, "x": x})
    assert loss.requires_grad and loss.grad_fn is not None
    loss.backward()
    s = torch.sigmoid(w.detach() * x)
    assert torch.allclose(w.grad, s * (1 - s) * x)
    assert evaluate("w.is_leaf", {"w": w}) is True
    assert torch.equal(evaluate("w.grad", {"w": w}), w.grad)


def test_in_place_methods_change_the_named_tensor_and_its_views():
    base = torch.zeros(2, 3)
    view = base.t()
    evaluate("base.add_(1)", {"base": base})
    assert torch.equal(view, torch.ones(3, 2))


def test_a_tensor_named_F_shadows_the_alias_but_torch_stays_the_module():
    f = torch.tensor([-1.0, 2.0])
    assert torch.equal(evaluate("F * 2", {"F": f}), f * 2)
    assert torch.equal(evaluate("F.relu()", {"F": f}), torch.tensor([0.0, 2.0]))
    with pytest.raises(UnsafeExpressionError, match="module"):
        evaluate("torch", {"torch": f})
    assert torch.equal(evaluate("torch.abs(x)", {"torch": f, "x": f}), f.abs())


HOSTILE = [
    ("__import__('os')", "__"),
    ("import os", "valid expression"),
    ("torch.load('x.pt')", "torch.load"),
    ("torch.save(a, 'x.pt')", "torch.save"),
    ("torch.from_file('/etc/passwd')", "torch.from_file"),
    ("torch.hub.load('x', 'y')", "torch.hub.load"),
    ("torch.ops.aten.add(a, a)", "torch.ops"),
    ("torch.classes", "torch.classes"),
    ("torch.utils.data", "torch.utils"),
    ("torch.jit.script(a)", "torch.jit.script"),
    ("torch.compile(a)", "torch.compile"),
    ("torch.set_default_dtype(torch.float64)", "torch.set_default_dtype"),
    ("torch.manual_seed(0)", "torch.manual_seed"),
    ("torch.nn", "module"),
    ("torch.nn.functional", "module"),
    ("torch", "module"),
    ("F", "module"),
    ("torch.os.system('ls')", "torch.os"),
    ("torch.sum", "function, not a value"),
    ("a.sum", "method"),
    ("a.__class__", "'_'"),
    ("a.__class__.__bases__[0].__subclasses__()", "'_'"),
    ("a._version", "'_'"),
    ("torch._C", "'_'"),
    ("a.storage()", "storage"),
    ("a.untyped_storage()", "untyped_storage"),
    ("a.numpy()", "numpy"),
    ("a.apply_(abs)", "apply_"),
    ("a.register_hook(a)", "register_hook"),
    ("a.grad_fn", "grad_fn"),
    ("a.backward()", "backward"),
    ("a.resize_(10**6, 10**6)", "resize_"),
    ("(lambda: 1)()", "lambda"),
    ("[x for x in a]", "list comprehension"),
    ("{x for x in a}", "set comprehension"),
    ("{1: 2}", "dict literal"),
    ("(x := 1)", ":="),
    ("f'{a}'", "f-string"),
    ("abs(a)", "torch functions and tensor methods"),
    ("eval('1')", "torch functions and tensor methods"),
    ("open('/etc/passwd')", "torch functions and tensor methods"),
    ("getattr(a, 'sum')", "torch functions and tensor methods"),
    ("os", "Unknown name"),
    ("torch.sum(*[a])", "unpacking"),
    ("torch.sum(**{'input': a})", "unpacking"),
    ("torch.add(a, a, out=b)", "out="),
    ("b'bytes'", "bytes"),
    ("'x' * 10**6", "sequence"),
    ("[0] * 10**9", "sequence"),
    ("[0] * 10**6 + [0] * 10**6", "sequence"),
    ("torch.tensor([[0] * 10**6] * 10)", "items"),
    ("2 ** 10 ** 10", "exponent"),
    ("10 ** 1000 * 10 ** 1000", "bits"),
    ("1 << 10**9", "Shift"),
    ("torch.ones(10**6, 10**6)", "elements"),
    ("torch.zeros(10**8)", "elements"),
    ("torch.randn(5000, 5000)", "elements"),
    ("torch.arange(10**12)", "elements"),
    ("torch.linspace(0, 1, 10**9)", "elements"),
    ("torch.eye(10**5)", "elements"),
    ("torch.full((10**5, 10**5), 1.0)", "elements"),
    ("torch.randint(0, 5, (10**9,))", "elements"),
    ("torch.ones(10**4, 1) + torch.ones(1, 10**4)", "elements"),
    ("torch.ones(10**4, 1) @ torch.ones(1, 10**4)", "elements"),
    ("v.repeat(10**8)", "elements"),
    ("v.expand(10**4, 10**4, 3)", "elements"),
    ("torch.tile(v, (10**8,))", "elements"),
    ("v.repeat_interleave(10**8)", "elements"),
    ("torch.repeat_interleave(torch.tensor([10**9]))", "elements"),
    ("torch.bincount(torch.tensor([10**9]))", "elements"),
    ("F.one_hot(torch.tensor([10**9]))", "elements"),
    ("torch.kron(torch.ones(10**4), torch.ones(10**4))", "elements"),
    ("torch.outer(torch.ones(10**4), torch.ones(10**4))", "elements"),
    ("torch.cartesian_prod(torch.ones(10**4), torch.ones(10**4))", "elements"),
    ("torch.combinations(torch.arange(5000), 3)", "elements"),
    ("torch.stack([torch.ones(10**6)] * 100)", "elements"),
    ("torch.cat([torch.ones(10**6)] * 100)", "elements"),
    ("torch.ones(10**6).new_zeros(10**8)", "elements"),
    ("torch.ones(3000, 3000).inverse()", "multiply-adds"),
    ("torch.linalg.svd(torch.ones(3000, 3000))", "multiply-adds"),
    ("torch.linalg.eig(torch.ones(1000, 1000))", "multiply-adds"),
    ("torch.linalg.norm(torch.ones(1000, 1000), ord=2)", "multiply-adds"),
    ("torch.ones(3000, 3000) @ torch.ones(3000, 3000)", "multiply-adds"),
    ("torch.einsum('ij,jk->ik', torch.ones(3000, 3000), torch.ones(3000, 3000))", "multiply-adds"),
    ("[[[[0] * 1000] * 1000] * 1000] == [[[[0] * 1000] * 1000] * 1000]", "items in all"),
    ("torch.stack([v] * 10**5)", "tensors"),
    ("torch.split(torch.ones(10**6), 1)", "split into"),
    ("torch.ones(10**6).unbind()", "split into"),
    ("torch.ones(10**7).tolist()", "tolist"),
    ("torch.ones(10**7) + torch.ones(10**7) + torch.ones(10**7) + torch.ones(10**7) + torch.ones(10**7) + torch.ones(10**7)",
     "in all"),
    ("[" + "a, " * 660 + "]", "parts"),
    ("-" * 150 + "1", "nested"),
    ("1" * 2001, "characters"),
    ("", "empty"),
    ("a +", "valid expression"),
    ("a; b", "valid expression"),
]


@pytest.mark.parametrize(("source", "needle"), HOSTILE, ids=[s[:60] for s, _ in HOSTILE])
def test_hostile_expressions_are_refused_with_a_message_naming_the_part(source, needle):
    with pytest.raises(UnsafeExpressionError) as info:
        evaluate(source, NAMES)
    assert needle.lower() in str(info.value).lower(), str(info.value)
    assert isinstance(info.value, ValueError)


def test_file_and_os_access_through_allowed_functions_fails_harmlessly(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("1 2 3")
    for source in [
        f"torch.tensor('{secret}')",
        f"torch.as_tensor('{secret}')",
        f"a.to('{secret}')",
        f"torch.zeros(2, device='{secret}')",
        "a.to('file:///etc/passwd')",
        "torch.tensor([1.0]).new_tensor('/etc/passwd')",
    ]:
        with pytest.raises(ExpressionError):
            evaluate(source, NAMES)
    assert secret.read_text() == "1 2 3"


def test_every_error_from_torch_becomes_an_expression_error_with_torchs_words():
    with pytest.raises(ExpressionError, match="cannot be multiplied"):
        evaluate("a @ b", NAMES)
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate("1 / 0", NAMES)
    with pytest.raises(ExpressionError, match="ambiguous"):
        evaluate("a and b", NAMES)
    with pytest.raises(ExpressionError, match="index 5 is out of bounds"):
        evaluate("a[5]", NAMES)
    with pytest.raises(ExpressionError):
        evaluate("torch.zeros(-1)", NAMES)
    with pytest.raises(ExpressionError, match="meta device"):
        evaluate("a.to('meta')", NAMES)


def test_errors_never_carry_a_cpp_stack_trace():
    with pytest.raises(ExpressionError) as info:
        evaluate("torch.zeros(10**30)", NAMES)
    assert "frame #" not in str(info.value) and "\n" not in str(info.value)


def test_unsafe_is_a_kind_of_expression_error_and_of_value_error():
    assert issubclass(UnsafeExpressionError, ExpressionError)
    assert issubclass(UnsafeExpressionError, ValueError)


def test_the_allow_lists_hold_no_dangerous_names():
    dangerous = {"load", "save", "from_file", "hub", "ops", "classes", "utils", "jit", "compile", "manual_seed",
                 "set_default_dtype", "set_printoptions", "storage", "as_strided", "from_numpy"}
    assert not {f.rsplit(".", 1)[1] for f in ALLOWED_FUNCTIONS} & dangerous
    assert not ALLOWED_METHODS & (dangerous | {"untyped_storage", "resize_", "set_", "apply_", "register_hook",
                                               "numpy", "backward", "share_memory_"})
    assert not any(name.startswith("_") for name in ALLOWED_METHODS | ALLOWED_ATTRIBUTES)
    assert all(name.startswith(("torch.", )) for name in ALLOWED_FUNCTIONS)
    for path in ALLOWED_FUNCTIONS:
        assert callable(resolve(path)), path
    for name in ALLOWED_METHODS:
        assert callable(getattr(torch.Tensor, name, None)), name


def test_the_autograd_explorers_building_blocks_are_allowed():
    for fn in ["sigmoid", "relu", "tanh", "softmax", "log_softmax", "cross_entropy", "mse_loss",
               "binary_cross_entropy", "nll_loss", "linear"]:
        assert f"torch.nn.functional.{fn}" in ALLOWED_FUNCTIONS
    for method in ["sum", "mean", "t", "pow", "exp", "log", "detach", "relu", "sigmoid", "tanh", "softmax"]:
        assert method in ALLOWED_METHODS
    assert "T" in ALLOWED_ATTRIBUTES


def test_a_function_never_comes_out_as_a_value():
    for source in ["torch.relu", "F.relu", "torch.linalg.norm", "a.sum", "[torch.sum]", "(a.t, 1)"]:
        with pytest.raises(UnsafeExpressionError):
            evaluate(source, NAMES)


def test_callables_passed_in_names_are_not_usable():
    with pytest.raises(UnsafeExpressionError, match="not a tensor"):
        evaluate("f", {"f": print})


small_floats = st.floats(-100, 100, allow_nan=False, width=32)


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(small_floats, min_size=1, max_size=6),
    y=st.lists(small_floats, min_size=1, max_size=6),
    op=st.sampled_from(["+", "-", "*", "@"]),
)
def test_binary_ops_match_torch_or_fail_like_torch(x, y, op):
    names = {"x": torch.tensor(x), "y": torch.tensor(y)}
    direct = {"+": torch.add, "-": torch.sub, "*": torch.mul, "@": torch.matmul}[op]
    try:
        expected = direct(names["x"], names["y"])
    except RuntimeError:
        with pytest.raises(ExpressionError):
            evaluate(f"x {op} y", names)
        return
    assert torch.equal(evaluate(f"x {op} y", names), expected)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="ab()[]+-*/@.,: 0123456789_torchsumTxyzlambdif", max_size=40))
def test_any_text_either_evaluates_or_raises_an_expression_error(source):
    try:
        evaluate(source, NAMES)
    except ExpressionError:
        pass


def test_an_unknown_name_is_said_in_a_learners_words():
    with pytest.raises(UnsafeExpressionError) as info:
        evaluate("abc + 1", {"a": torch.ones(2), "b": torch.ones(2)})
    assert "`abc`" in str(info.value) and "the tensors a, b, torch and F" in str(info.value)
    with pytest.raises(UnsafeExpressionError) as info:
        evaluate("abc + 1", {})
    assert "no tensors are named here" in str(info.value) and "none" not in str(info.value)
