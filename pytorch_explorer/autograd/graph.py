"""Autograd made visible: record the graph an expression builds, then replay it backwards.

PyTorch's autograd is "a recorder of the operations we performed, replayed backwards to compute
gradients". This module shows the recording. `trace(source, inputs)` evaluates an expression with
the safe evaluator (never `eval`) while a `TorchFunctionMode` watches every torch operation, so each
intermediate tensor is known by value. The graph itself is read the way the engine reads it: from
the output's `grad_fn`, following `next_functions` down to the `AccumulateGrad` node of each leaf.

`AutogradGraph.backward()` then runs the real engine with a pre-hook and a hook on every node: the
pre-hooks give the order in which the engine visits the nodes (a reverse topological order) and
the gradient each node received; the hooks give what each node sent to each of its inputs. Where a
value is used twice, the pieces arriving from each use are kept, so the page can show them add up.

A non-scalar output is back-propagated with a gradient of ones, which is the same as calling
backward on `output.sum()`; the finite-difference check differentiates that same sum.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch.overrides import TorchFunctionMode

from pytorch_explorer.core.errors import ExplorerError

MAX_NODES = 200            # a bigger graph is unreadable as a picture
MAX_FD_ELEMENTS = 400      # finite differences cost two evaluations per element

Program = Callable[[dict[str, torch.Tensor]], object]


class GraphError(ExplorerError, ValueError):
    """The expression could not be traced, or the graph cannot do what was asked."""


# ----------------------------------------------------------------------------- the recorder
@dataclass
class Call:
    """One torch operation seen during the forward pass: what ran, on what, giving what."""

    func: object
    args: tuple
    kwargs: dict
    outputs: list[torch.Tensor]
    values: list[torch.Tensor]   # the outputs' values when the call returned (before any in-place change)
    grad_fns: list[object]       # and their grad_fn at that moment (an in-place op replaces it later)

    @property
    def name(self) -> str:
        name = getattr(self.func, "__name__", str(self.func))
        if name == "__get__":  # a tensor property such as x.T
            return getattr(getattr(self.func, "__self__", None), "__name__", "attribute")
        return name

    @property
    def tensor_inputs(self) -> list[torch.Tensor]:
        found: list[torch.Tensor] = []

        def collect(value: object) -> None:
            if isinstance(value, torch.Tensor):
                found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)

        collect(self.args)
        collect(list(self.kwargs.values()))
        return found


class Recorder(TorchFunctionMode):
    """Keeps every torch call made while it is active, with its output tensors."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[Call] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        outputs = [t for t in _tensors_in(result) if not t.is_meta]   # skip the evaluator's size dry runs
        if outputs:
            values = [t.detach().clone() for t in outputs]
            grad_fns = [t.grad_fn for t in outputs]
            self.calls.append(Call(func, tuple(args), dict(kwargs), outputs, values, grad_fns))
        return result


def _tensors_in(value: object) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors_in(item)]
    return []


# ----------------------------------------------------------------------------- the graph
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


@dataclass
class GraphEdge:
    """`source`'s value is used by `target`; gradients flow back from target to source."""

    source: str
    target: str
    differentiable: bool
    slot: int = -1            # position in target's next_functions (-1: not an autograd edge)
    source_output: int = 0    # which output of source (multi-output ops)
    grad: torch.Tensor | None = None   # what target sent back along this edge


@dataclass
class BackwardStep:
    """One node of the engine's backward pass, in the order the engine ran it."""

    node: str
    grad_output: torch.Tensor | None                          # what arrived (summed)
    contributions: list[tuple[int, torch.Tensor]] = field(default_factory=list)  # (edge index, piece)
    sent: list[tuple[int, torch.Tensor]] = field(default_factory=list)           # (edge index, grad)


@dataclass
class FiniteDifferenceResult:
    """A leaf's gradient from autograd next to a central finite-difference estimate."""

    name: str
    analytic: torch.Tensor
    numeric: torch.Tensor
    max_abs_diff: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= self.tolerance


class AutogradGraph:
    """The graph recorded while evaluating one expression, with its forward values."""

    def __init__(self, program: Program, inputs: dict[str, torch.Tensor], code: str) -> None:
        self._program = program
        self.code_body = code
        self.inputs = {name: t.detach().clone().requires_grad_(t.requires_grad) for name, t in inputs.items()}
        recorder = Recorder()
        try:
            with recorder:
                result = program(dict(self.inputs))
        except (ExplorerError, ValueError, TypeError):
            raise
        except (RuntimeError, IndexError) as exc:
            raise GraphError(f"The expression failed in PyTorch: {_first_line(exc)}") from exc
        if not isinstance(result, torch.Tensor):
            raise GraphError(
                f"The expression gave a {type(result).__name__}, not a tensor: use the inputs (or torch.tensor) "
                "so that there is something to differentiate."
            )
        self.output = result
        self.calls = recorder.calls
        self.nodes: dict[str, GraphNode] = {}
        self.edges: list[GraphEdge] = []
        self.steps: list[BackwardStep] = []
        self.backward_passes = 0
        self._fns: dict[str, object] = {}        # node id -> autograd Node
        self._build()

    # ------------------------------------------------------------------ building
    def _build(self) -> None:
        made_by: dict[int, tuple[Call, torch.Tensor]] = {}          # tensor -> (call, value when made)
        fn_made_by: dict[object, tuple[Call, torch.Tensor, torch.Tensor]] = {}   # grad_fn -> (call, tensor, value)
        for call in self.calls:
            inputs = {id(s) for s in call.tensor_inputs}
            for t, value, grad_fn in zip(call.outputs, call.values, call.grad_fns, strict=True):
                if id(t) not in inputs:                 # x.float() may return x itself: that made nothing
                    made_by.setdefault(id(t), (call, value))
                if grad_fn is not None and grad_fn not in fn_made_by:
                    fn_made_by[grad_fn] = (call, t, value)
        input_of = {id(t): name for name, t in self.inputs.items()}
        node_of_tensor: dict[int, str] = {}
        node_of_fn: dict[object, str] = {}
        call_of_node: dict[str, Call] = {}
        tensor_of_node: dict[str, torch.Tensor] = {}
        used_ids: set[str] = set()

        def new_node(base: str, **fields) -> GraphNode:
            if len(self.nodes) >= MAX_NODES:
                raise GraphError(f"The graph has more than {MAX_NODES} nodes: too big to draw. Use a shorter expression.")
            node_id, k = base, 2
            while node_id in used_ids:
                node_id, k = f"{base} #{k}", k + 1
            used_ids.add(node_id)
            node = GraphNode(id=node_id, **fields)
            self.nodes[node_id] = node
            return node

        def visit_tensor(t: torch.Tensor) -> str:
            if id(t) in node_of_tensor:
                return node_of_tensor[id(t)]
            if id(t) in input_of:
                name = input_of[id(t)]
                node = new_node(name, kind="leaf" if t.requires_grad else "input", name=name, value=t.detach())
                node_of_tensor[id(t)] = node.id
                return node.id
            if t.grad_fn is not None:
                return visit_fn(t.grad_fn)
            if id(t) not in made_by:
                node = new_node("constant", kind="leaf" if t.requires_grad else "constant", value=t.detach().clone())
                node_of_tensor[id(t)] = node.id
                return node.id
            call, value = made_by[id(t)]
            sources = [(visit_tensor(s), s) for s in call.tensor_inputs]
            detached = call.name in ("detach", "data") and any(s.requires_grad for _, s in sources)
            kind = "detached" if detached else ("no_grad_op" if sources else "constant")
            node = new_node(f"{call.name}()", kind="leaf" if t.requires_grad else kind, value=value)
            node_of_tensor[id(t)] = node.id
            call_of_node[node.id], tensor_of_node[node.id] = call, t
            for source_id, _ in sources:
                self.edges.append(GraphEdge(source_id, node.id, differentiable=False))
            return node.id

        def visit_fn(fn) -> str:
            if fn in node_of_fn:
                return node_of_fn[fn]
            if type(fn).__name__ == "AccumulateGrad":
                leaf = visit_tensor(fn.variable)
                node = new_node(f"AccumulateGrad({leaf})", kind="accumulate", name=leaf, backward_name="AccumulateGrad")
                node_of_fn[fn], self._fns[node.id] = node.id, fn
                self.edges.append(GraphEdge(leaf, node.id, differentiable=True, slot=0))
                return node.id
            sources = [(i, visit_fn(next_fn), nr) for i, (next_fn, nr) in enumerate(fn.next_functions) if next_fn is not None]
            recorded = fn_made_by.get(fn)
            extra = []
            if recorded is not None:
                extra = [visit_tensor(s) for s in recorded[0].tensor_inputs if not s.requires_grad]
            node = new_node(type(fn).__name__, kind="op", backward_name=type(fn).__name__)
            if recorded is not None:
                call_of_node[node.id], tensor_of_node[node.id], node.value = recorded
            node_of_fn[fn], self._fns[node.id] = node.id, fn
            for slot, source_id, nr in sources:
                self.edges.append(GraphEdge(source_id, node.id, differentiable=True, slot=slot, source_output=nr))
            for source_id in dict.fromkeys(extra):
                self.edges.append(GraphEdge(source_id, node.id, differentiable=False))
            return node.id

        for t in self.inputs.values():   # every input is shown, even one the expression ignores
            visit_tensor(t)
        output_id = visit_tensor(self.output)
        self.output_id = output_id
        self.nodes[output_id].is_output = True
        self._name_tensors(output_id, call_of_node, tensor_of_node)

    def _name_tensors(self, output_id: str, call_of_node: dict[str, Call], tensor_of_node: dict[str, torch.Tensor]) -> None:
        """Name the intermediate results t1, t2, ... in the order they were made, and write formulas."""
        taken = set(self.inputs)
        output_name = "out" if "out" not in taken else "out_"
        name_of: dict[int, str] = {id(t): name for name, t in self.inputs.items()}
        order = {id(c): i for i, c in enumerate(self.calls)}
        made = sorted(call_of_node, key=lambda nid: order[id(call_of_node[nid])])
        k = 1
        for node_id in made:   # in call order, so a call's inputs are named before it (in-place ops too)
            node = self.nodes[node_id]
            right_side = format_call(call_of_node[node_id], name_of)
            if node_id == output_id:
                node.name = output_name
            else:
                while f"t{k}" in taken:
                    k += 1
                node.name = f"t{k}"
                k += 1
            node.formula = f"{node.name} = {right_side}"
            outputs = call_of_node[node_id].outputs
            for i, t in enumerate(outputs if len(outputs) > 1 else []):   # x.unbind(), torch.max(x, dim=0)
                name_of[id(t)] = f"{node.name}[{i}]"
            name_of[id(tensor_of_node[node_id])] = node.name if len(outputs) == 1 else f"{node.name}[0]"
        for node in self.nodes.values():
            if node.kind == "op" and node.id not in call_of_node:
                consumers = [self.nodes[e.target] for e in self.edges if e.source == node.id]
                inside = next((c.formula.split(" = ", 1)[-1] for c in consumers if c.formula), "")
                node.formula = f"inside {inside}" if inside else "made inside another operation"
                if node.id == output_id:
                    node.name = output_name
            elif node.kind == "constant" and not node.name:
                node.name = "constant"

    # ------------------------------------------------------------------ backward
    @property
    def backward_note(self) -> str:
        if self.output.numel() == 1:
            return "The output is a single number, so backward() starts from d out / d out = 1."
        return (
            f"The output has shape {tuple(self.output.shape)}, not a single number, so backward starts from a "
            "gradient of ones: out.backward(torch.ones_like(out)), the same as out.sum().backward()."
        )

    def backward(self) -> None:
        """Run the engine once (keeping the graph, so it can run again), hooking every node."""
        if not self.output.requires_grad:
            raise GraphError(
                "Nothing to differentiate: the output does not depend on any input with requires_grad "
                "through a recorded path. Tick requires_grad on an input (or remove the .detach())."
            )
        if not self.output.is_floating_point():
            raise GraphError("The output is not a floating-point tensor, so it has no gradient.")
        received: dict[str, tuple] = {}
        sent: dict[str, tuple] = {}
        order: list[str] = []

        def pre_hook(node_id: str, grad_outputs: tuple) -> None:
            order.append(node_id)
            received[node_id] = tuple(None if g is None else g.detach().clone() for g in grad_outputs)

        def post_hook(node_id: str, grad_inputs: tuple, grad_outputs: tuple) -> None:
            sent[node_id] = tuple(None if g is None else g.detach().clone() for g in grad_inputs)

        handles = []
        for node_id, fn in self._fns.items():
            handles.append(fn.register_prehook(lambda go, n=node_id: pre_hook(n, go)))
            handles.append(fn.register_hook(lambda gi, go, n=node_id: post_hook(n, gi, go)))
        try:
            self.output.backward(torch.ones_like(self.output), retain_graph=True)
        finally:
            for handle in handles:
                handle.remove()
        self.backward_passes += 1
        self._collect(order, received, sent)

    def _collect(self, order: list[str], received: dict[str, tuple], sent: dict[str, tuple]) -> None:
        for node in self.nodes.values():
            node.grad = None
        for edge in self.edges:
            edge.grad = None
            if not edge.differentiable:
                continue
            if self.nodes[edge.target].kind == "accumulate":
                grads = received.get(edge.target, ())
                edge.grad = grads[0] if grads else None
            else:
                grads = sent.get(edge.target, ())
                edge.grad = grads[edge.slot] if edge.slot < len(grads) else None
        for node_id, grads in received.items():
            if grads:
                self.nodes[node_id].grad = grads[0]
        for name, t in self.inputs.items():
            if name in self.nodes and t.grad is not None:
                self.nodes[name].grad = t.grad.detach().clone()
        self.steps = []
        for node_id in order:
            grads = received.get(node_id, ())
            step = BackwardStep(node_id, grads[0] if grads else None)
            for i, edge in enumerate(self.edges):
                if edge.source == node_id and edge.grad is not None and self.nodes[node_id].kind != "leaf":
                    step.contributions.append((i, edge.grad))
                if edge.target == node_id and edge.grad is not None:
                    step.sent.append((i, edge.grad))
            self.steps.append(step)

    def zero_grad(self) -> None:
        """What optimizer.zero_grad() does for these leaves: forget the accumulated gradients."""
        for t in self.inputs.values():
            t.grad = None
        for name in self.inputs:
            if name in self.nodes:
                self.nodes[name].grad = None

    def leaf_grads(self) -> dict[str, torch.Tensor]:
        """Each input's accumulated .grad, by input name (inputs that got no gradient are left out)."""
        return {name: t.grad.detach().clone() for name, t in self.inputs.items() if t.grad is not None}

    # ------------------------------------------------------------------ checking
    def finite_difference_check(self, eps: float = 1e-6) -> list[FiniteDifferenceResult]:
        """Compare autograd's gradient of out.sum() with (f(x + eps) - f(x - eps)) / (2 eps), in float64."""
        names = [n for n, t in self.inputs.items() if t.requires_grad]
        total = sum(self.inputs[n].numel() for n in names)
        if total > MAX_FD_ELEMENTS:
            raise GraphError(
                f"Finite differences need two evaluations per input element; these inputs have {total} "
                f"(the limit is {MAX_FD_ELEMENTS}). Use smaller inputs to check."
            )
        fresh = {n: t.detach().clone().requires_grad_(t.requires_grad) for n, t in self.inputs.items()}
        out = self._program(dict(fresh))
        if not isinstance(out, torch.Tensor) or not out.requires_grad:
            raise GraphError("Nothing to check: the output has no gradient with respect to the inputs.")
        analytic = torch.autograd.grad(out.sum(), [fresh[n] for n in names], allow_unused=True)
        base = {n: (t.detach().double() if t.is_floating_point() else t.detach().clone()) for n, t in self.inputs.items()}

        def f(values: dict[str, torch.Tensor]) -> float:
            with torch.no_grad():
                return float(torch.as_tensor(self._program(dict(values))).double().sum())

        results = []
        for name, grad in zip(names, analytic, strict=True):
            grad = torch.zeros_like(fresh[name]) if grad is None else grad.detach()
            numeric = torch.zeros_like(base[name])
            flat = numeric.view(-1)
            for i in range(base[name].numel()):
                plus, minus = base[name].clone(), base[name].clone()
                plus.view(-1)[i] += eps
                minus.view(-1)[i] -= eps
                flat[i] = (f({**base, name: plus}) - f({**base, name: minus})) / (2 * eps)
            diff = float((grad.double() - numeric).abs().max()) if numeric.numel() else 0.0
            atol, rtol = (1e-7, 1e-6) if grad.dtype == torch.float64 else (1e-5, 1e-4)
            tolerance = atol + rtol * (float(numeric.abs().max()) if numeric.numel() else 0.0)
            results.append(FiniteDifferenceResult(name, grad.clone(), numeric, diff, tolerance))
        return results

    # ------------------------------------------------------------------ views
    @property
    def has_detached(self) -> bool:
        return any(node.kind == "detached" for node in self.nodes.values())

    def to_dot(self, step: int | None = None, show_grads: bool = True) -> str:
        """DOT text of the graph (see autograd_figures.graph_to_dot)."""
        from pytorch_explorer.autograd.figures import graph_to_dot

        return graph_to_dot(self, step=step, show_grads=show_grads)

    def code(self) -> str:
        """PyTorch code that builds this graph, runs backward and walks the recorded nodes."""
        lines = ["import torch"]
        if "F." in self.code_body:
            lines.append("import torch.nn.functional as F")
        lines.append("")
        for name, t in self.inputs.items():
            lines.append(f"{name} = {tensor_code(t)}")
        lines += ["", self.code_body.rstrip(), ""]
        lines.append("# the recorded graph: each node is the backward function of one operation")
        lines += [
            "def show(fn, depth=0):",
            "    print('  ' * depth + type(fn).__name__)",
            "    for next_fn, _ in fn.next_functions:",
            "        if next_fn is not None:",
            "            show(next_fn, depth + 1)",
            "",
            f"show({self.output_name}.grad_fn)" if self.output.grad_fn is not None else "# (the output has no grad_fn)",
        ]
        if self.output.requires_grad:
            seed = "" if self.output.numel() == 1 else f"torch.ones_like({self.output_name})"
            lines += ["", f"{self.output_name}.backward({seed})"]
            lines += [f"print('{n}.grad =', {n}.grad)" for n, t in self.inputs.items() if t.requires_grad]
        return "\n".join(lines) + "\n"

    @property
    def output_name(self) -> str:
        return self.nodes[self.output_id].name or "out"


# ----------------------------------------------------------------------------- entry points
def trace(source: str, inputs: dict[str, torch.Tensor]) -> AutogradGraph:
    """Evaluate `source` over `inputs` with the safe evaluator and record its autograd graph."""
    from pytorch_explorer.tensors.expressions import evaluate

    source = source.strip()
    if not source:
        raise GraphError("Type an expression over the inputs, for example: w * x + b")
    _check_names(inputs)
    return AutogradGraph(lambda names: evaluate(source, names), inputs, code=f"out = {source}")


def trace_function(function: Callable[..., torch.Tensor], inputs: dict[str, torch.Tensor], code: str) -> AutogradGraph:
    """Record the graph of a package function called with the inputs as keyword arguments.

    Used for the dynamic-graph demos, where a Python loop or `if` decides what gets recorded.
    `code` is the PyTorch code shown for it (it must assign the result to `out`).
    """
    _check_names(inputs)
    return AutogradGraph(lambda names: function(**names), inputs, code=code)


def _check_names(inputs: dict[str, torch.Tensor]) -> None:
    for name, t in inputs.items():
        if not name.isidentifier() or name in ("torch", "F", "out"):
            raise GraphError(f"'{name}' cannot name an input: use a short name such as x, w or b.")
        if not isinstance(t, torch.Tensor):
            raise GraphError(f"Input '{name}' is not a tensor.")
        if t.requires_grad and not t.is_floating_point():
            raise GraphError(f"Input '{name}' holds integers; only floating-point tensors can have requires_grad.")


# ----------------------------------------------------------------------------- formatting
_BINARY = {
    "add": "+", "__add__": "+", "sub": "-", "__sub__": "-", "mul": "*", "__mul__": "*",
    "div": "/", "__truediv__": "/", "true_divide": "/", "matmul": "@", "__matmul__": "@",
    "pow": "**", "__pow__": "**", "gt": ">", "__gt__": ">", "lt": "<", "__lt__": "<",
    "ge": ">=", "__ge__": ">=", "le": "<=", "__le__": "<=", "eq": "==", "__eq__": "==",
    "ne": "!=", "__ne__": "!=", "__and__": "&", "__or__": "|",
}
_REFLECTED = {"__radd__": "+", "__rsub__": "-", "__rmul__": "*", "__rtruediv__": "/", "__rpow__": "**",
              "__rmatmul__": "@"}


def format_call(call: Call, name_of: dict[int, str]) -> str:
    """A readable line for one recorded call, e.g. `x * w`, `torch.sigmoid(t1)`, `t2.sum(dim=1)`."""

    def arg(value: object) -> str:
        if isinstance(value, torch.Tensor):
            return name_of.get(id(value), "tensor")
        if isinstance(value, float):
            return f"{value:g}"
        if isinstance(value, slice):
            parts = ["" if p is None else arg(p) for p in (value.start, value.stop, value.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if value.step is not None else "")
        if value is Ellipsis:
            return "..."
        if isinstance(value, list):
            return "[" + ", ".join(arg(v) for v in value) + "]"
        if isinstance(value, tuple):
            return "(" + ", ".join(arg(v) for v in value) + ("," if len(value) == 1 else "") + ")"
        return repr(value)

    name, args, kwargs = call.name, call.args, _without_defaults(call.func, call.kwargs)
    qualname = getattr(call.func, "__qualname__", "")
    module = getattr(call.func, "__module__", None) or ""
    is_method = qualname.startswith(("TensorBase.", "Tensor.", "_TensorBase."))
    if is_method and not kwargs and len(args) == 2 and name in _BINARY:
        return f"{arg(args[0])} {_BINARY[name]} {arg(args[1])}"
    if is_method and not kwargs and len(args) == 2 and name in _REFLECTED:
        return f"{arg(args[1])} {_REFLECTED[name]} {arg(args[0])}"
    if is_method and name in ("neg", "__neg__") and len(args) == 1:
        return f"-{arg(args[0])}"
    if name == "__getitem__" and len(args) == 2:
        index = args[1]
        inner = ", ".join(arg(i) for i in index) if isinstance(index, tuple) else arg(index)
        return f"{arg(args[0])}[{inner}]"
    rest = [arg(a) for a in args] + [f"{k}={arg(v)}" for k, v in kwargs.items()]
    if qualname.endswith("__get__") and args:
        return f"{arg(args[0])}.{name}"
    if is_method and args:
        return f"{rest[0]}.{name}({', '.join(rest[1:])})"
    if module.startswith("torch.nn.functional") or module == "torch._C._nn":
        return f"F.{name}({', '.join(rest)})"
    return f"torch.{name}({', '.join(rest)})"


def _without_defaults(func: object, kwargs: dict) -> dict:
    """Drop keyword arguments equal to their defaults (F.cross_entropy passes all of them on)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return kwargs
    kept = {}
    for key, value in kwargs.items():
        default = params[key].default if key in params else inspect.Parameter.empty
        same = False
        if default is not inspect.Parameter.empty and not isinstance(value, torch.Tensor):
            try:
                same = value is default or bool(value == default)
            except (TypeError, ValueError, RuntimeError):
                same = False
        if not same:
            kept[key] = value
    return kept


def format_number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.4g}"


def tensor_code(t: torch.Tensor) -> str:
    """torch.tensor(...) source that recreates `t` exactly (shortest float32 round-trip digits)."""
    values = t.detach()
    if values.is_floating_point():
        as_np = values.numpy()

        def fmt(v: object) -> object:
            if isinstance(v, list):
                return [fmt(x) for x in v]
            return _Literal(np.format_float_positional(as_np.dtype.type(v), unique=True, trim="0"))

        body = repr(fmt(values.tolist()))
    else:
        body = repr(values.tolist())
    extras = []
    if values.dtype not in (torch.float32, torch.int64, torch.bool):
        extras.append(f"dtype={values.dtype}")
    if t.requires_grad:
        extras.append("requires_grad=True")
    return f"torch.tensor({body}{''.join(', ' + e for e in extras)})"


class _Literal(str):
    def __repr__(self) -> str:
        return str(self)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
