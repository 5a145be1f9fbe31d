"""The PyTorch code the autograd explorer shows: build the inputs, run the expression, walk the graph.

The snippet is plain PyTorch (no package import): the inputs written out exactly, the expression,
a recursive walk of `grad_fn.next_functions` that prints the recorded nodes, then `backward()` and
each leaf's `.grad`. A test runs it and compares its gradients with the explorer's.
"""

from __future__ import annotations

import numpy as np
import torch

from pytorch_explorer.autograd.graph import AutogradGraph


def graph_code(graph: AutogradGraph) -> str:
    """PyTorch code that builds this graph, prints its nodes, runs backward and prints the gradients."""
    lines = ["import torch"]
    if "F." in graph.code_body:
        lines.append("import torch.nn.functional as F")
    lines.append("")
    for name, t in graph.inputs.items():
        lines.append(f"{name} = {tensor_code(t)}")
    out = graph.output_name
    lines += ["", graph.code_body.rstrip(), ""]
    lines.append("# the recorded graph: each node is the backward function of one operation")
    lines += [
        "def show(fn, depth=0):",
        "    print('  ' * depth + type(fn).__name__)",
        "    for next_fn, _ in fn.next_functions:",
        "        if next_fn is not None:",
        "            show(next_fn, depth + 1)",
        "",
        f"show({out}.grad_fn)" if graph.output.grad_fn is not None else "# (the output has no grad_fn)",
    ]
    if graph.output.requires_grad:
        seed = "" if graph.output.numel() == 1 else f"torch.ones_like({out})"
        lines += ["", f"{out}.backward({seed})"]
        lines += [f"print('{n}.grad =', {n}.grad)" for n, t in graph.inputs.items() if t.requires_grad]
    return "\n".join(lines) + "\n"


def tensor_code(t: torch.Tensor) -> str:
    """torch.tensor(...) source that recreates `t` exactly (shortest float32 round-trip digits)."""
    values = t.detach()
    if values.is_floating_point():
        dtype = values.numpy().dtype.type

        def digits(v: object) -> object:
            if isinstance(v, list):
                return [digits(x) for x in v]
            return Literal(np.format_float_positional(dtype(v), unique=True, trim="0"))

        body = repr(digits(values.tolist()))
    else:
        body = repr(values.tolist())
    extras = []
    if values.dtype not in (torch.float32, torch.int64, torch.bool):
        extras.append(f"dtype={values.dtype}")
    if t.requires_grad:
        extras.append("requires_grad=True")
    return f"torch.tensor({body}{''.join(', ' + e for e in extras)})"


class Literal(str):
    """A string that repr() writes without quotes, so a list of them prints as numbers."""

    def __repr__(self) -> str:
        return str(self)
