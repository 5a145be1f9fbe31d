"""The recorded autograd graph: structure, gradients, finite differences, step order, DOT, safety."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.autograd.check import finite_difference_check
from pytorch_explorer.autograd.code import graph_code
from pytorch_explorer.autograd.figures import (
    accumulation_rows, backward_note, check_rows, graph_to_dot, heatmap_html, step_text,
)
from pytorch_explorer.autograd.graph import GraphError, trace, trace_function
from pytorch_explorer.autograd.presets import (
    PRESETS, InputSpec, branch_on_sign, branch_text, explore, make_input, make_inputs, trace_branch, trace_loop,
    trace_preset,
)
from pytorch_explorer.tensors.expressions import UnsafeExpressionError

# The presets written as plain PyTorch, independently of the evaluator and the recorder.
REFERENCE = {
    "linear": lambda w, x, b: w * x + b,
    "neuron": lambda w, x, b: torch.sigmoid(w @ x + b),
    "toy": lambda X, y, wh, bh, wout, bout: ((y - torch.sigmoid(torch.sigmoid(X @ wh + bh) @ wout + bout)) ** 2).sum() / 2,
    "reuse": lambda x: x * x + x,
    "cross_entropy": lambda x, W, target: F.cross_entropy(x @ W, target),
    "detach": lambda w, x: w * x + (w * x).detach() ** 2,
    "where": lambda x: torch.where(x > 0, x, 0.1 * x).sum(),
}


def backward_names(graph) -> Counter:
    return Counter(node.backward_name for node in graph.nodes.values() if node.backward_name)


def kinds(graph) -> dict[str, str]:
    return {node.id: node.kind for node in graph.nodes.values()}


def edges(graph, differentiable: bool | None = None) -> list[tuple[str, str]]:
    return [(e.source, e.target) for e in graph.edges if differentiable is None or e.differentiable == differentiable]


# ----------------------------------------------------------------------------- structure
def test_every_preset_has_a_reference():
    assert set(PRESETS) == set(REFERENCE)


def test_linear_structure():
    g = trace_preset("linear")
    assert kinds(g) == {"w": "leaf", "x": "input", "b": "leaf", "AccumulateGrad(w)": "accumulate",
                        "AccumulateGrad(b)": "accumulate", "MulBackward0": "op", "AddBackward0": "op"}
    assert sorted(edges(g, True)) == sorted([
        ("w", "AccumulateGrad(w)"), ("AccumulateGrad(w)", "MulBackward0"), ("b", "AccumulateGrad(b)"),
        ("AccumulateGrad(b)", "AddBackward0"), ("MulBackward0", "AddBackward0")])
    assert edges(g, False) == [("x", "MulBackward0")]          # data: drawn, but no gradient path
    assert g.output_id == "AddBackward0" and g.nodes["AddBackward0"].is_output
    assert g.nodes["MulBackward0"].formula == "t1 = w * x"
    assert g.nodes["AddBackward0"].formula == "out = t1 + b"
    assert float(g.nodes["MulBackward0"].value) == 6.0 and float(g.nodes["AddBackward0"].value) == 7.0


def test_neuron_and_toy_network_structure():
    assert backward_names(trace_preset("neuron")) == Counter(
        {"DotBackward0": 1, "AddBackward0": 1, "SigmoidBackward0": 1, "AccumulateGrad": 2})
    toy = trace_preset("toy")
    assert backward_names(toy) == Counter({
        "MmBackward0": 2, "AddBackward0": 2, "SigmoidBackward0": 2, "SubBackward0": 1, "PowBackward0": 1,
        "SumBackward0": 1, "DivBackward0": 1, "AccumulateGrad": 4})
    assert kinds(toy)["X"] == "input" and kinds(toy)["y"] == "input"
    hidden = next(n for n in toy.nodes.values() if n.formula == "t3 = torch.sigmoid(t2)")
    assert tuple(hidden.value.shape) == (3, 3)
    assert torch.all((hidden.value > 0) & (hidden.value < 1))


@pytest.mark.parametrize("key", list(PRESETS))
def test_each_box_is_one_autograd_node_and_its_edges_are_next_functions(key):
    g = trace_preset(key)
    node_of_fn = {node.fn: node.id for node in g.nodes.values() if node.fn is not None}
    assert g.nodes[g.output_id].fn is g.output.grad_fn
    for node in g.nodes.values():
        if node.kind == "op":
            expected = [(slot, node_of_fn[fn]) for slot, (fn, _) in enumerate(node.fn.next_functions) if fn is not None]
            got = [(e.slot, e.source) for e in g.edges if e.target == node.id and e.differentiable]
            assert got == expected, node.id
        elif node.kind == "accumulate":
            assert g.nodes[node.name].tensor is node.fn.variable
        else:
            assert node.fn is None


def test_a_value_used_twice_has_three_edges_into_its_uses():
    g = trace_preset("reuse")
    assert Counter(edges(g, True)) == Counter({
        ("x", "AccumulateGrad(x)"): 1, ("AccumulateGrad(x)", "MulBackward0"): 2,
        ("AccumulateGrad(x)", "AddBackward0"): 1, ("MulBackward0", "AddBackward0"): 1})


def test_cross_entropy_records_two_nodes_for_one_call():
    g = trace_preset("cross_entropy")
    assert backward_names(g) == Counter({"MmBackward0": 1, "LogSoftmaxBackward0": 1, "NllLossBackward0": 1,
                                         "AccumulateGrad": 1})
    assert g.nodes["LogSoftmaxBackward0"].value is None                 # made inside F.cross_entropy
    assert g.nodes["LogSoftmaxBackward0"].formula.startswith("inside F.cross_entropy(t1, target)")
    assert g.nodes["NllLossBackward0"].formula == "out = F.cross_entropy(t1, target)"   # defaults left out
    assert ("target", "NllLossBackward0") in edges(g, False)


def test_detached_and_non_differentiable_parts_are_marked():
    g = trace_preset("detach")
    g.backward()
    assert "no gradient reaches it" in graph_to_dot(g).split('"MulBackward0 #2" [label=')[1].split("\n")[0]
    assert kinds(g)["detach()"] == "detached"
    assert ("MulBackward0 #2", "detach()") in edges(g, False)
    assert ("detach()", "pow()") in edges(g, False) and kinds(g)["pow()"] == "no_grad_op"
    assert g.has_detached
    where = trace_preset("where")
    assert kinds(where)["gt()"] == "no_grad_op"
    assert ("gt()", "WhereBackward0") in edges(where, False)
    assert not trace_preset("linear").has_detached


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("key", list(PRESETS))
def test_gradients_equal_torch_autograd_grad(key):
    graph = trace_preset(key)
    graph.backward()
    inputs = make_inputs(PRESETS[key].inputs)
    out = REFERENCE[key](**inputs)
    assert torch.allclose(graph.output.detach(), out.detach())
    names = [n for n, t in inputs.items() if t.requires_grad]
    expected = torch.autograd.grad(out.sum(), [inputs[n] for n in names])
    got = graph.leaf_grads()
    assert set(got) == set(names)
    for name, grad in zip(names, expected, strict=True):
        assert torch.allclose(got[name], grad, atol=1e-6), name


def test_known_gradients_by_hand():
    g = trace_preset("reuse")
    g.backward()
    assert g.leaf_grads() == {"x": torch.tensor(7.0)}              # 2x + 1 at x = 3
    g = trace_preset("linear")
    g.backward()
    assert g.leaf_grads() == {"w": torch.tensor(2.0), "b": torch.tensor(1.0)}
    g = trace_preset("detach")
    g.backward()
    assert g.leaf_grads() == {"w": torch.tensor(3.0)}              # x only: the squared part is detached


@settings(max_examples=25, deadline=None)
@given(x=st.floats(-5, 5), w=st.floats(-3, 3), b=st.floats(-3, 3))
def test_traced_gradients_match_autograd_for_any_values(x, w, b):
    inputs = {"x": torch.tensor(x), "w": torch.tensor(w, requires_grad=True), "b": torch.tensor(b, requires_grad=True)}
    g = trace("torch.tanh(w * x + b) * w", inputs)
    g.backward()
    w_, b_ = inputs["w"].clone().requires_grad_(), inputs["b"].clone().requires_grad_()
    gw, gb = torch.autograd.grad(torch.tanh(w_ * x + b_) * w_, [w_, b_])
    assert torch.allclose(g.leaf_grads()["w"], gw, atol=1e-6)
    assert torch.allclose(g.leaf_grads()["b"], gb, atol=1e-6)
    assert inputs["w"].grad is None                                 # the caller's tensors are left alone


def test_non_scalar_output_backpropagates_ones():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    g = trace("x * x", {"x": x})
    assert "ones" in backward_note(g)
    g.backward()
    assert torch.equal(g.leaf_grads()["x"], 2 * x.detach())
    assert g.nodes[g.output_id].grad.tolist() == [1.0, 1.0, 1.0]


def test_edge_gradients_add_up_at_a_reused_value():
    g = trace_preset("toy")
    g.backward()
    for step in g.steps:
        if step.contributions:
            total = sum(piece for _, piece in step.contributions)
            assert torch.allclose(total, step.grad_output, atol=1e-6), step.node
    reuse = trace_preset("reuse")
    reuse.backward()
    last = reuse.steps[-1]
    assert last.node == "AccumulateGrad(x)"
    assert sorted(float(p) for _, p in last.contributions) == [1.0, 3.0, 3.0]
    assert "**add up**: 3 from `MulBackward0` + 3 from `MulBackward0` + 1 from `AddBackward0` = 7" in step_text(reuse, 2)


def test_backward_twice_without_zero_grad_doubles_then_zero_grad_resets():
    g = trace_preset("neuron")
    g.backward()
    once = g.leaf_grads()
    g.backward()
    twice = g.leaf_grads()
    assert all(torch.allclose(twice[n], 2 * once[n]) for n in once)
    g.zero_grad()
    assert g.leaf_grads() == {}
    g.backward()
    assert all(torch.allclose(g.leaf_grads()[n], once[n]) for n in once)


def test_explore_runs_backward_as_often_as_asked_and_keeps_the_first_gradients():
    specs = PRESETS["linear"].inputs
    graph, first = explore("w * x + b", specs)
    assert first == {} and graph.leaf_grads() == {} and graph.backward_passes == 0
    graph, first = explore("w * x + b", specs, passes=3)
    assert first == {"w": torch.tensor(2.0), "b": torch.tensor(1.0)}
    assert graph.leaf_grads() == {"w": torch.tensor(6.0), "b": torch.tensor(3.0)} and graph.backward_passes == 3
    rows = accumulation_rows(first, graph.leaf_grads(), 3)
    assert [r["input"] for r in rows] == ["w", "b"]
    assert [r[".grad now, after 3 backward()"] for r in rows] == ["6", "3"]
    assert [r["ratio"] for r in rows] == ["3", "3"]
    zero = {"x": torch.zeros(2)}
    assert accumulation_rows(zero, zero, 2)[0]["ratio"] == "-"     # no ratio of nothing


# ----------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("key", [k for k in PRESETS if k != "detach"])
def test_finite_differences_agree(key):
    graph = trace_preset(key)
    results = finite_difference_check(graph)
    assert [r.name for r in results] == [s.name for s in PRESETS[key].inputs if s.requires_grad]
    for r in results:
        assert r.ok, (r.name, r.max_abs_diff, r.tolerance)
        assert r.max_abs_diff < 1e-4
        assert r.numeric.dtype == torch.float64


def test_finite_differences_expose_detach():
    (result,) = finite_difference_check(trace_preset("detach"))
    assert float(result.analytic) == 3.0
    assert abs(float(result.numeric) - 39.0) < 1e-4               # x + 2 w x^2 at w = 2, x = 3
    assert not result.ok
    (row,) = check_rows([result])
    assert (row["autograd"], row["finite differences"], row["agree"]) == ("3", "39", "NO")


def test_finite_differences_ignore_accumulated_grads():
    g = trace_preset("reuse")
    g.backward()
    g.backward()
    (result,) = finite_difference_check(g)
    assert float(result.analytic) == 7.0 and result.ok


# ----------------------------------------------------------------------------- step order
@pytest.mark.parametrize("key", list(PRESETS))
def test_steps_are_a_reverse_topological_order(key):
    g = trace_preset(key)
    g.backward()
    order = [s.node for s in g.steps]
    assert len(order) == len(set(order))
    reached, frontier = {g.output_id}, [g.output_id]      # nodes with a differentiable path to the output
    while frontier:
        node = frontier.pop()
        for source, target in edges(g, True):
            if target == node and source not in reached and g.nodes[source].kind != "leaf":
                reached.add(source)
                frontier.append(source)
    assert set(order) == reached
    assert order[0] == g.output_id
    position = {node: i for i, node in enumerate(order)}
    for source, target in edges(g, True):
        if source in position and target in position:   # a use (target) runs before the value it used (source)
            assert position[target] < position[source], (source, target)


# ----------------------------------------------------------------------------- dynamic graphs
@pytest.mark.parametrize("n", [0, 1, 4])
def test_the_loop_records_one_multiply_per_pass(n):
    g = trace_loop(n, x=1.0, w=1.5)
    assert backward_names(g)["MulBackward0"] == n
    g.backward()
    grads = g.leaf_grads()
    assert torch.isclose(grads["x"], torch.tensor(1.5 ** n))
    if n:
        assert torch.isclose(grads["w"], torch.tensor(n * 1.5 ** (n - 1)))


def test_the_branch_is_chosen_by_the_data():
    positive, negative = trace_branch(1.0), trace_branch(-2.0)
    assert "SumBackward0" in backward_names(positive) and "PowBackward0" not in backward_names(positive)
    assert {"PowBackward0", "MeanBackward0"} <= set(backward_names(negative))
    negative.backward()
    x = torch.tensor([-2.0, 0.5], requires_grad=True)
    expected = torch.autograd.grad(branch_on_sign(x, torch.tensor(2.0)), x)[0]
    assert torch.allclose(negative.leaf_grads()["x"], expected)


@pytest.mark.parametrize("x0", [-2.0, -0.5, -0.25, 1.0])
def test_the_branch_text_names_the_branch_that_was_recorded(x0):
    mean_branch = "PowBackward0" in backward_names(trace_branch(x0))
    assert ("(x ** 2 * w).mean()" in branch_text(x0)) == mean_branch
    assert ("(x * w).sum()" in branch_text(x0)) == (not mean_branch)
    assert f"x.sum() = {x0 + 0.5:g}" in branch_text(x0)


def test_trace_function_records_plain_torch_code():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    g = trace_function(lambda x: (x.exp() * 2).sum(), {"x": x}, code="out = (x.exp() * 2).sum()")
    assert backward_names(g) == Counter({"ExpBackward0": 1, "MulBackward0": 1, "SumBackward0": 1, "AccumulateGrad": 1})
    assert g.nodes["ExpBackward0"].formula == "t1 = x.exp()"


# ----------------------------------------------------------------------------- DOT
def test_dot_names_every_node_and_styles_the_kinds():
    g = trace_preset("detach")
    dot = graph_to_dot(g)
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    for node_id in g.nodes:
        assert f'"{node_id}" [label=<' in dot
    assert "AccumulateGrad" in dot and "MulBackward0" in dot
    detach_line = next(line for line in dot.splitlines() if line.startswith('  "detach()"'))
    assert "dashed" in detach_line and "#dc2626" in detach_line
    assert '"MulBackward0 #2" -> "detach()" [style="dashed"' in dot


def test_dot_escapes_text_and_highlights_the_current_step():
    g = trace("torch.where(x > 0, x, x * 0.5).sum()", {"x": torch.tensor([1.0, -1.0], requires_grad=True)})
    dot = graph_to_dot(g)
    assert "t1 = x &gt; 0" in dot and "x > 0" not in dot
    g.backward()
    first = graph_to_dot(g, step=0)
    current = next(line for line in first.splitlines() if line.startswith(f'  "{g.output_id}" [label='))
    assert 'penwidth="4"' in current
    assert "x.grad min" not in first                                # not reached at step 1
    assert "x.grad min 0.5 · mean 0.75 · max 1" in graph_to_dot(g, step=len(g.steps) - 1)


def test_heatmap_only_for_small_tensors():
    assert heatmap_html(torch.tensor(1.0)) == ""
    assert heatmap_html(torch.zeros(100)) == ""
    small = heatmap_html(torch.tensor([[-1.0, 0.0], [0.5, 1.0]]))
    assert small.count("<TD") == 4 and "#2563eb" in small and "#ffffff" in small and "#dc2626" in small


# ----------------------------------------------------------------------------- safety and errors
@pytest.mark.parametrize("source", [
    "__import__('os').system('echo hacked')",
    "x.__class__.__bases__",
    "open('/etc/passwd')",
    "exec('1')",
    "eval('1')",
    "(lambda: 1)()",
    "torch.load('model.pt')",
    "x.register_hook(print)",
    "x.backward()",
    "torch.nn.Module",
])
def test_hostile_expressions_are_refused(source):
    with pytest.raises(UnsafeExpressionError):
        trace(source, {"x": torch.tensor(1.0, requires_grad=True)})


def test_learner_errors_are_clear():
    x = {"x": torch.tensor([1.0, 2.0], requires_grad=True)}
    with pytest.raises(ValueError, match="shape|size|dimension"):
        trace("x @ torch.ones(3, 3)", x)
    with pytest.raises(GraphError, match="not a tensor"):
        trace("1 + 2", x)
    with pytest.raises(GraphError, match="Type an expression"):
        trace("  ", x)
    with pytest.raises(GraphError, match="requires_grad"):
        trace("x * 2", {"x": torch.tensor([1.0, 2.0])}).backward()
    with pytest.raises(GraphError, match="name"):
        trace("x", {"1x": torch.tensor(1.0)})


def test_inputs_from_text():
    assert make_input(InputSpec("x", "3")).dtype == torch.float32            # requires_grad: made float
    assert make_input(InputSpec("t", "[2]", requires_grad=False)).dtype == torch.int64
    a, b = make_input(InputSpec("w", "torch.randn(2, 2)"), seed=3), make_input(InputSpec("w", "torch.randn(2, 2)"), seed=3)
    assert torch.equal(a, b) and a.requires_grad
    with pytest.raises(GraphError, match="Input x"):
        make_input(InputSpec("x", "[1, 2"))
    with pytest.raises(GraphError, match="Input x"):
        make_input(InputSpec("x", "__import__('os')"))
    with pytest.raises(GraphError, match="elements"):
        make_input(InputSpec("x", "torch.zeros(100, 100)"))
    with pytest.raises(GraphError, match="Two inputs"):
        make_inputs([InputSpec("x", "1.0"), InputSpec("x", "2.0")])


# ----------------------------------------------------------------------------- the code shown
def test_the_generated_code_runs_and_gives_the_same_gradients():
    g = trace_preset("toy")
    g.backward()
    code = graph_code(g) + "\nprint('GRADS', [round(v, 6) for t in (wh, bh, wout, bout) for v in t.grad.flatten().tolist()])\n"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "DivBackward0" in done.stdout and "AccumulateGrad" in done.stdout
    printed = next(line for line in done.stdout.splitlines() if line.startswith("GRADS"))
    grads = g.leaf_grads()
    expected = [round(v, 6) for n in ("wh", "bh", "wout", "bout") for v in grads[n].flatten().tolist()]
    assert printed == f"GRADS {expected}"


# ----------------------------------------------------------------------------- layout
def test_graph_builds_data_and_figures_draw_it_without_an_import_cycle():
    folder = Path(__file__).resolve().parents[2] / "pytorch_explorer" / "autograd"
    imports = {}
    for path in folder.glob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pytorch_explorer.autograd."):
                names.add(node.module.rsplit(".", 1)[1])
            elif isinstance(node, ast.Import):
                names |= {a.name.rsplit(".", 1)[1] for a in node.names if a.name.startswith("pytorch_explorer.autograd.")}
        imports[path.stem] = names
    assert imports["recorder"] == set() and imports["graph"] == {"recorder"}   # graph builds; nothing in it draws
    seen: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join(path + (module,))}"
        if module not in seen:
            for imported in imports.get(module, ()):
                visit(imported, path + (module,))
            seen.add(module)

    for module in imports:
        visit(module, ())
