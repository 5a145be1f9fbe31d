"""Every operation an expression can reach has a cost estimate (issue 18): a new op without one fails here."""

from __future__ import annotations

from pytorch_explorer.tensors.allowed import ALLOWED_FUNCTIONS, ALLOWED_METHODS
from pytorch_explorer.tensors.catalogue import OPS
from pytorch_explorer.tensors.cost import COST_CLASSES, cost_class, log_comb, step_ns
import torch

OPERATOR_STEPS = (  # the names the torch backend gives operators, indexing and comparisons
    "add sub mul div floor_divide remainder pow matmul bitwise_and bitwise_or bitwise_xor bitwise_left_shift "
    "bitwise_right_shift usub uadd invert eq noteq lt lte gt gte is isnot in notin getitem"
).split()


def test_every_allowed_function_method_and_catalogue_entry_has_a_cost_class():
    names = ({p.rsplit(".", 1)[1] for p in ALLOWED_FUNCTIONS} | set(ALLOWED_METHODS)
             | {k.rsplit(".", 1)[1] for k in OPS} | set(OPERATOR_STEPS))
    missing = sorted(n for n in names if cost_class(n) is None)
    assert not missing, f"no cost estimate for: {missing}"


def test_no_name_is_in_two_classes():
    seen: dict[str, str] = {}
    for label, names in COST_CLASSES.items():
        for name in names:
            assert name not in seen, f"{name} is in {seen[name]} and {label}"
            seen[name] = label


def test_estimates_grow_with_the_arguments_that_cost():
    x = torch.empty(1000, device="meta")
    assert step_ns("diff", (x,), {"n": 1000}) > 100 * step_ns("diff", (x,), {"n": 1})
    a, b = torch.empty(500, 100, device="meta"), torch.empty(500, 100, device="meta")
    assert step_ns("cdist", (a, b), {"p": 3}) > 50 * step_ns("cdist", (a, b), {"p": 2})
    half = torch.empty(300, 300, dtype=torch.float16, device="meta")
    assert step_ns("matmul", (half, half), {}, numpy=True) > step_ns("matmul", (half, half), {}) > 0
    assert log_comb(10**6, 5 * 10**5) > 600_000  # at once, where math.comb would not return
