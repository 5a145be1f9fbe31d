"""Autograd made visible: the graph an expression records, then the engine replaying it backwards.

PyTorch's autograd is "a recorder of the operations we performed, replayed backwards to compute
gradients". `trace(source, inputs)` evaluates an expression with the safe evaluator (never `eval`)
while a `Recorder` watches every torch call, then builds the graph in two passes:

1. the structure, read the way the engine reads it: from the output's `grad_fn` down
   `next_functions` to the `AccumulateGrad` node of each leaf (micrograd's `build_topo`), plus the
   tensors autograd did not record (data, comparisons, `.detach()`), drawn grey;
2. what the boxes say: each one's forward value, and a name (t1, t2, ..., out) and formula for
   each result, taken from the recorded calls.

`AutogradGraph.backward()` then runs the real engine with a pre-hook and a hook on every node: the
pre-hooks give the order in which the engine visits the nodes (a reverse topological order) and
the gradient each node received; the hooks give what each node sent to each of its inputs. Where a
value is used twice, the pieces arriving from each use are kept, so the page can show them add up.

A non-scalar output is back-propagated with a gradient of ones, which is the same as calling
backward on `output.sum()`. This module builds data only: `figures` draws it, `code` writes it as
PyTorch code, `check` compares its gradients with finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from pytorch_explorer.autograd.recorder import Call, Recorder, format_call
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.tensors.expressions import evaluate

MAX_NODES = 200            # a bigger graph is unreadable as a picture

Program = Callable[[dict[str, torch.Tensor]], object]


class GraphError(ExplorerError, ValueError):
    """The expression could not be traced, or the graph cannot do what was asked."""


@dataclass
class GraphNode:
    """One box of the picture.

    kind: "leaf" (an input with requires_grad), "input" (an input without it), "accumulate"
    (the AccumulateGrad node that writes a leaf's .grad), "op" (a backward function, standing for
    the tensor it made), "no_grad_op" (an operation autograd did not record, e.g. a comparison),
    "detached" (the result of .detach()), "constant" (a tensor made inside the expression).
    """

    id: str
    kind: str
    name: str = ""
    formula: str = ""
    backward_name: str = ""
    value: torch.Tensor | None = None
    is_output: bool = False
    grad: torch.Tensor | None = None
    fn: object = field(default=None, repr=False)                             # the autograd Node (op, accumulate)
    tensor: torch.Tensor | None = field(default=None, repr=False)            # the tensor it stands for


@dataclass
class GraphEdge:
    """`source`'s value is used by `target`; gradients flow back from target to source."""

    source: str
    target: str
    differentiable: bool
    slot: int = -1            # position in target's next_functions (-1: not an autograd edge)
    grad: torch.Tensor | None = None   # what target sent back along this edge


@dataclass
class BackwardStep:
    """One node of the engine's backward pass, in the order the engine ran it."""

    node: str
    grad_output: torch.Tensor | None                          # what arrived (summed)
    contributions: list[tuple[int, torch.Tensor]] = field(default_factory=list)  # (edge index, piece)
    sent: list[tuple[int, torch.Tensor]] = field(default_factory=list)           # (edge index, grad)


class AutogradGraph:
    """The graph recorded while evaluating one expression, with its forward values."""

    def __init__(self, program: Program, inputs: dict[str, torch.Tensor], code: str) -> None:
        self.program = program
        self.code_body = code
        self.inputs = {name: t.detach().clone().requires_grad_(t.requires_grad) for name, t in inputs.items()}
        recorder = Recorder()
        try:
            with recorder:
                result = program(dict(self.inputs))
        except (ExplorerError, ValueError, TypeError):
            raise
        except (RuntimeError, IndexError) as exc:
            raise GraphError("The expression failed in PyTorch: {reason}", reason=first_line(exc)) from exc
        if not isinstance(result, torch.Tensor):
            raise GraphError(
                "The expression gave a {kind}, not a tensor: use the inputs (or torch.tensor) "
                "so that there is something to differentiate.", kind=type(result).__name__,
            )
        self.output = result
        self.nodes: dict[str, GraphNode] = {}
        self.edges: list[GraphEdge] = []
        self.steps: list[BackwardStep] = []
        self.backward_passes = 0
        self.output_id = self._walk(recorder)
        self.nodes[self.output_id].is_output = True
        self._annotate(recorder)

    # ------------------------------------------------------------------ pass 1: nodes and edges
    def _walk(self, recorder: Recorder) -> str:
        """Follow grad_fn.next_functions from the output down to the leaves; return the output's node id.

        A node is added after the nodes it uses, so `MulBackward0 #2` is the second multiply made.
        """
        node_of_fn: dict[object, str] = {}
        node_of_tensor: dict[int, str] = {}
        input_name = {id(t): name for name, t in self.inputs.items()}

        def add(base: str, kind: str, **fields) -> str:
            if len(self.nodes) >= MAX_NODES:
                raise GraphError("The graph has more than {most} nodes: too big to draw. Use a shorter expression.",
                                 most=MAX_NODES)
            node_id, k = base, 2
            while node_id in self.nodes:
                node_id, k = f"{base} #{k}", k + 1
            self.nodes[node_id] = GraphNode(node_id, kind, **fields)
            return node_id

        def visit_fn(fn: object) -> str:
            """An autograd Node: its inputs first (next_functions), then the box and one edge per input."""
            if fn in node_of_fn:
                return node_of_fn[fn]
            if type(fn).__name__ == "AccumulateGrad":       # the end of a path: it writes leaf.grad
                leaf = visit_tensor(fn.variable)
                node = add(f"AccumulateGrad({leaf})", "accumulate", name=leaf, backward_name="AccumulateGrad", fn=fn)
                self.edges.append(GraphEdge(leaf, node, differentiable=True, slot=0))
            else:
                uses = [(slot, visit_fn(next_fn)) for slot, (next_fn, _) in enumerate(fn.next_functions)
                        if next_fn is not None]
                recorded = recorder.call_that_made_fn(fn)   # the data it used: x in w * x
                data = [visit_tensor(t) for t in recorded[0].tensor_inputs if not t.requires_grad] if recorded else []
                node = add(type(fn).__name__, "op", backward_name=type(fn).__name__, fn=fn)
                for slot, source in uses:
                    self.edges.append(GraphEdge(source, node, differentiable=True, slot=slot))
                for source in dict.fromkeys(data):
                    self.edges.append(GraphEdge(source, node, differentiable=False))
            node_of_fn[fn] = node
            return node

        def visit_tensor(t: torch.Tensor) -> str:
            """A tensor: an input, the output of a recorded op (its grad_fn), or something autograd did not record."""
            if id(t) in node_of_tensor:
                return node_of_tensor[id(t)]
            if id(t) in input_name:
                name = input_name[id(t)]
                node = add(name, "leaf" if t.requires_grad else "input", name=name, tensor=t)
            elif t.grad_fn is not None:
                return visit_fn(t.grad_fn)
            elif (recorded := recorder.call_that_made(t)) is None:
                node = add("constant", "leaf" if t.requires_grad else "constant", tensor=t)
            else:                                           # a comparison, .detach(), ...: no gradient flows
                call = recorded[0]
                sources = [(visit_tensor(s), s) for s in call.tensor_inputs]
                detached = call.name in ("detach", "data") and any(s.requires_grad for _, s in sources)
                kind = "detached" if detached else ("no_grad_op" if sources else "constant")
                node = add(f"{call.name}()", "leaf" if t.requires_grad else kind, tensor=t)
                for source, _ in sources:
                    self.edges.append(GraphEdge(source, node, differentiable=False))
            node_of_tensor[id(t)] = node
            return node

        for t in self.inputs.values():   # every input is shown, even one the expression ignores
            visit_tensor(t)
        return visit_tensor(self.output)

    # ------------------------------------------------------------------ pass 2: values and formulas
    def _annotate(self, recorder: Recorder) -> None:
        """Give each box its forward value, and each result a name (t1, t2, ..., out) and a formula.

        Results are named in the order their calls ran, so a call's inputs are named before it.
        """
        made: list[tuple[Call, GraphNode]] = []
        for node in self.nodes.values():
            if node.kind == "accumulate":
                continue
            if node.fn is not None:                         # an op: its value when the call returned
                recorded = recorder.call_that_made_fn(node.fn)
                if recorded is not None:
                    call, node.tensor, node.value = recorded
                    made.append((call, node))
            elif self.inputs.get(node.name) is node.tensor:
                node.value = node.tensor.detach()
            elif (recorded := recorder.call_that_made(node.tensor)) is not None:
                call, node.value = recorded
                made.append((call, node))
            else:
                node.value = node.tensor.detach().clone()

        output_name = "out"                                 # check_input_names keeps it free
        name_of: dict[int, str] = {id(t): name for name, t in self.inputs.items()}
        taken, k = set(self.inputs), 1
        position = {id(call): i for i, call in enumerate(recorder.calls)}
        for call, node in sorted(made, key=lambda pair: position[id(pair[0])]):
            right_side = format_call(call, name_of)
            if node.is_output:
                node.name = output_name
            else:
                while f"t{k}" in taken:
                    k += 1
                node.name = f"t{k}"
                k += 1
            node.formula = f"{node.name} = {right_side}"
            if len(call.outputs) > 1:                       # x.unbind(), torch.max(x, dim=0)
                for i, t in enumerate(call.outputs):
                    name_of[id(t)] = f"{node.name}[{i}]"
            name_of[id(node.tensor)] = node.name if len(call.outputs) == 1 else f"{node.name}[0]"

        for node in self.nodes.values():
            if node.kind == "op" and not node.formula:      # made inside one call, e.g. F.cross_entropy
                uses = [self.nodes[e.target] for e in self.edges if e.source == node.id]
                inside = next((u.formula.split(" = ", 1)[-1] for u in uses if u.formula), "")
                node.formula = f"inside {inside}" if inside else "made inside another operation"
                if node.is_output:
                    node.name = output_name
            elif node.kind == "constant" and not node.name:
                node.name = "constant"

    # ------------------------------------------------------------------ backward
    def backward(self) -> None:
        """Run the engine once (keeping the graph, so it can run again), hooking every node."""
        if not self.output.requires_grad:
            raise GraphError(
                "Nothing to differentiate: the output does not depend on any input with requires_grad "
                "through a recorded path. Tick requires_grad on an input (or remove the .detach())."
            )
        if not self.output.is_floating_point():
            raise GraphError("The output is not a floating-point tensor, so it has no gradient.")
        order: list[str] = []                       # the nodes, in the order the engine ran them
        received: dict[str, tuple] = {}             # node -> the gradients that arrived at it
        sent: dict[str, tuple] = {}                 # node -> what it sent to each of its inputs

        def copies(grads: tuple) -> tuple:
            return tuple(None if g is None else g.detach().clone() for g in grads)

        def pre_hook(node_id: str, grad_outputs: tuple) -> None:
            order.append(node_id)
            received[node_id] = copies(grad_outputs)

        def hook(node_id: str, grad_inputs: tuple, grad_outputs: tuple) -> None:
            sent[node_id] = copies(grad_inputs)

        handles = []
        for node in self.nodes.values():
            if node.fn is not None:
                handles.append(node.fn.register_prehook(lambda go, n=node.id: pre_hook(n, go)))
                handles.append(node.fn.register_hook(lambda gi, go, n=node.id: hook(n, gi, go)))
        try:
            self.output.backward(torch.ones_like(self.output), retain_graph=True)
        finally:
            for handle in handles:
                handle.remove()
        self.backward_passes += 1
        self._collect(order, received, sent)

    def _collect(self, order: list[str], received: dict[str, tuple], sent: dict[str, tuple]) -> None:
        """Write what the hooks saw onto the edges and nodes, and list the steps in the engine's order."""
        for edge in self.edges:
            edge.grad = None
            if edge.differentiable and self.nodes[edge.target].kind == "accumulate":
                edge.grad = first(received.get(edge.target, ()))
            elif edge.differentiable:
                grads = sent.get(edge.target, ())
                edge.grad = grads[edge.slot] if edge.slot < len(grads) else None
        for node in self.nodes.values():
            node.grad = first(received.get(node.id, ()))
        for name, t in self.inputs.items():
            if name in self.nodes and t.grad is not None:
                self.nodes[name].grad = t.grad.detach().clone()
        self.steps = []
        for node_id in order:
            step = BackwardStep(node_id, first(received.get(node_id, ())))
            for i, edge in enumerate(self.edges):
                if edge.grad is None:
                    continue
                if edge.source == node_id and self.nodes[node_id].kind != "leaf":
                    step.contributions.append((i, edge.grad))
                if edge.target == node_id:
                    step.sent.append((i, edge.grad))
            self.steps.append(step)

    def zero_grad(self) -> None:
        """What optimizer.zero_grad() does for these leaves: forget the accumulated gradients."""
        for name, t in self.inputs.items():
            t.grad = None
            if name in self.nodes:
                self.nodes[name].grad = None

    def leaf_grads(self) -> dict[str, torch.Tensor]:
        """Each input's accumulated .grad, by input name (inputs that got no gradient are left out)."""
        return {name: t.grad.detach().clone() for name, t in self.inputs.items() if t.grad is not None}

    # ------------------------------------------------------------------ small views
    @property
    def has_detached(self) -> bool:
        return any(node.kind == "detached" for node in self.nodes.values())

    @property
    def output_name(self) -> str:
        return self.nodes[self.output_id].name or "out"

    @property
    def unused_leaves(self) -> list[str]:
        """Inputs with requires_grad that no recorded path leads back to: backward leaves their .grad None."""
        reached = {node.name for node in self.nodes.values() if node.kind == "accumulate"}
        return [name for name, t in self.inputs.items() if t.requires_grad and name not in reached]

    def first_non_finite(self) -> GraphNode | None:
        """The first box (in the order they were computed) whose forward value holds inf or nan."""
        for node in self.nodes.values():   # a node is added after the nodes it uses
            value = node.value
            if value is not None and value.is_floating_point() and not bool(torch.isfinite(value).all()):
                return node
        return None


# ----------------------------------------------------------------------------- entry points
def trace(source: str, inputs: dict[str, torch.Tensor]) -> AutogradGraph:
    """Evaluate `source` over `inputs` with the safe evaluator and record its autograd graph."""
    source = source.strip()
    if not source:
        raise GraphError("Type an expression over the inputs, for example: w * x + b")
    check_input_names(inputs)
    return AutogradGraph(lambda names: evaluate(source, names), inputs, code=f"out = {source}")


def trace_function(function: Callable[..., torch.Tensor], inputs: dict[str, torch.Tensor], code: str) -> AutogradGraph:
    """Record the graph of a package function called with the inputs as keyword arguments.

    Used for the dynamic-graph demos, where a Python loop or `if` decides what gets recorded.
    `code` is the PyTorch code shown for it (it must assign the result to `out`).
    """
    check_input_names(inputs)
    return AutogradGraph(lambda names: function(**names), inputs, code=code)


def check_input_names(inputs: dict[str, torch.Tensor]) -> None:
    """Refuse inputs the graph cannot show or differentiate, with a message saying what to change."""
    for name, t in inputs.items():
        if not name.isidentifier() or name in ("torch", "F", "out"):
            raise GraphError("'{name}' cannot name an input: use a short name such as x, w or b.", name=name)
        if not isinstance(t, torch.Tensor):
            raise GraphError("Input '{name}' is not a tensor.", name=name)
        if t.requires_grad and not t.is_floating_point():
            raise GraphError("Input '{name}' holds integers; only floating-point tensors can have requires_grad.",
                             name=name)


def first(grads: tuple) -> torch.Tensor | None:
    """The first gradient of a hook's tuple, or None."""
    return grads[0] if grads else None


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (PyTorch's can run to a page)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
