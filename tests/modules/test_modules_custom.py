"""The article's toy network as an nn.Module subclass and as nn.Sequential: one network, two spellings."""

from __future__ import annotations

import pytest
import torch

from pytorch_explorer.modules.custom import NAME_MAP, ToyNet, twin_check
from pytorch_explorer.toy.settings import initial_weights


@pytest.mark.parametrize("hidden, seed", [(3, 0), (5, 7), (1, 2)])
def test_same_weights_same_output(hidden, seed):
    check = twin_check(hidden, seed)
    assert check.module_output.shape == (3, 1) and check.max_difference == 0.0
    rows = check.parameter_rows()
    assert [r["ToyNet name"] for r in rows] == list(NAME_MAP)
    assert [r["nn.Sequential name"] for r in rows] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [r["count"] for r in rows] == [4 * hidden, hidden, hidden, 1] and all(r["same values"] for r in rows)
    w = initial_weights(hidden, seed)  # the toy page's weights, numpy's (in, out) = nn.Linear's transpose
    assert torch.equal(check.module.hidden.weight, torch.from_numpy(w.wh.T))


def test_the_class_registers_its_layers_by_attribute_name():
    net = ToyNet()
    assert [name for name, _ in net.named_parameters()] == ["hidden.weight", "hidden.bias", "output.weight", "output.bias"]
    assert sum(p.numel() for p in net.parameters()) == 4 * 3 + 3 + 3 + 1
    out = net(torch.zeros(2, 4))
    assert out.shape == (2, 1) and bool(((out > 0) & (out < 1)).all())
