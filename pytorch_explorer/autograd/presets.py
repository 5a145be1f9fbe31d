"""What the autograd explorer computes: ready-made expressions, the inputs they run on, `explore`
(trace, then backward as many times as asked), and the dynamic graphs.

An input is typed as text and read by the safe evaluator, so `3.0`, `[[1, 0], [0, 1]]` and
`torch.randn(4, 3)` all work; random inputs are seeded (seed = the input's position) so a graph
stays the same from one rerun of the page to the next.

The dynamic-graph demos are ordinary Python functions of this package (a `for` loop, an `if` on
the data): define-by-run means whatever Python runs is what gets recorded. No user code runs.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import torch

from pytorch_explorer.autograd.graph import AutogradGraph, GraphError, trace, trace_function
from pytorch_explorer.autograd.names import not_a_value, trace_expression, unknown_names
from pytorch_explorer.core.errors import BudgetError
from pytorch_explorer.tensors.cost import TooCostlyError
from pytorch_explorer.tensors.expressions import evaluate

MAX_INPUT_ELEMENTS = 1_000


class InputTooLargeError(GraphError, BudgetError):
    """An input box asks for more elements than an input may have (refused before it is made)."""


@dataclass(frozen=True)
class InputSpec:
    """One input as the page shows it: a name, its value as text, and the requires_grad switch."""

    name: str
    value: str
    requires_grad: bool = True


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    expression: str
    inputs: tuple[InputSpec, ...]
    about: str


PRESETS: dict[str, Preset] = {p.key: p for p in [
    Preset(
        "linear", "y = w*x + b", "w * x + b",
        (InputSpec("w", "3.0"), InputSpec("x", "2.0", requires_grad=False), InputSpec("b", "1.0")),
        "The smallest graph: a multiply and an add. `x` is data (no requires_grad, drawn grey), so "
        "autograd records no path to it; `w` and `b` are parameters and get gradients: "
        "d out/dw = x = 2 and d out/db = 1.",
    ),
    Preset(
        "neuron", "A neuron: sigmoid(w@x + b)", "torch.sigmoid(w @ x + b)",
        (InputSpec("w", "[0.5, -1.0, 2.0]"), InputSpec("x", "[1.0, 0.5, -1.5]", requires_grad=False),
         InputSpec("b", "0.1")),
        "One neuron: a dot product (`DotBackward0`), a bias, a sigmoid. The gradient of w is "
        "sigmoid'(z) times x, which you can read off the graph: SigmoidBackward0 scales the 1 it "
        "receives by out*(1-out), the article's `derivatives_sigmoid`.",
    ),
    Preset(
        "toy", "The article's toy network and its loss",
        "((y - torch.sigmoid(torch.sigmoid(X @ wh + bh) @ wout + bout)) ** 2).sum() / 2",
        (InputSpec("X", "[[1., 0., 1., 0.], [1., 0., 1., 1.], [0., 1., 0., 1.]]", requires_grad=False),
         InputSpec("y", "[[1.], [1.], [0.]]", requires_grad=False),
         InputSpec("wh", "torch.randn(4, 3)"), InputSpec("bh", "torch.randn(1, 3)"),
         InputSpec("wout", "torch.randn(3, 1)"), InputSpec("bout", "torch.randn(1, 1)")),
        "The article's 4-3-1 network, forward pass and loss in one line: hidden = sigmoid(X @ wh + bh), "
        "output = sigmoid(hidden @ wout + bout), loss = ½·Σ(y − output)². The article wrote the backward "
        "pass by hand (`d_output = E * slope_output_layer`, ...); autograd records the forward pass and "
        "computes the same gradients (with the opposite sign: the article's E is y − output).",
    ),
    Preset(
        "reuse", "A value used twice: x*x + x", "x * x + x",
        (InputSpec("x", "3.0"),),
        "x is used three times (twice by the multiply, once by the add). In backward, three gradients "
        "arrive at x's AccumulateGrad and add up: 3 + 3 + 1 = 7 = 2x + 1. Step through backward to see it.",
    ),
    Preset(
        "cross_entropy", "Softmax cross-entropy", "F.cross_entropy(x @ W, target)",
        (InputSpec("x", "[[1.0, 2.0, -1.0, 0.5]]", requires_grad=False), InputSpec("W", "torch.randn(4, 3)"),
         InputSpec("target", "[2]", requires_grad=False)),
        "A linear layer and a softmax cross-entropy loss (the article's `CrossEntropyLoss`). One call, "
        "two backward nodes: F.cross_entropy is log_softmax then nll_loss, so the graph shows "
        "LogSoftmaxBackward0 (made inside the call, so its value was not recorded) and NllLossBackward0. "
        "`target` holds integer class labels: it cannot require grad.",
    ),
    Preset(
        "detach", "A detached branch", "w * x + (w * x).detach() ** 2",
        (InputSpec("w", "2.0"), InputSpec("x", "3.0", requires_grad=False)),
        "`.detach()` gives the same numbers with no history: autograd treats (w*x)² as a constant. So "
        "the gradient of w is x = 3, not 3 + 2·w·x² = 39. The finite-difference check sees the "
        "real function and disagrees: that is what detach means (it is how targets and running "
        "statistics are kept out of backward).",
    ),
    Preset(
        "where", "A comparison: where(x > 0, x, 0.1 * x)", "torch.where(x > 0, x, 0.1 * x).sum()",
        (InputSpec("x", "[-2.0, -0.5, 1.0, 3.0]"),),
        "A leaky ReLU by hand. The comparison x > 0 gives booleans, which have no gradient: it is "
        "drawn grey, and WhereBackward0 sends x's gradient down the branch that was chosen (1 or 0.1).",
    ),
]}


def preset_applies(key: str, expression: str, specs: list[InputSpec] | tuple[InputSpec, ...]) -> bool:
    """Whether the page still shows preset `key` as it was loaded (its notes describe what is on screen).

    Once the learner edits the expression or an input (name, value or requires_grad), the preset's
    notes (its numbers, which node does what) no longer apply.
    """
    preset = PRESETS.get(key)
    if preset is None:
        return False
    typed = [InputSpec(s.name.strip(), s.value.strip(), s.requires_grad) for s in specs]
    given = [InputSpec(s.name, s.value.strip(), s.requires_grad) for s in preset.inputs]
    return expression.strip() == preset.expression and typed == given


PRESET_EDITED = ("Your own expression and inputs: the preset's notes no longer apply. Choose a preset again to "
                 "get one back.")


def make_input(spec: InputSpec, seed: int = 0) -> torch.Tensor:
    """The tensor an InputSpec describes: numbers become float32 (int64 stays for integer data)."""
    if not spec.name.isidentifier():
        raise GraphError("'{name}' is not a valid input name: use letters, digits and _ (e.g. w1).", name=spec.name)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:  # sized before anything is allocated: torch.randn(30000, 30000) is refused, never made
            value = evaluate(spec.value, {}, max_elements=MAX_INPUT_ELEMENTS)
        except TooCostlyError as exc:
            raise InputTooLargeError("Input {name}: {error} Keep inputs to {most} elements or fewer.",
                                     name=spec.name, error=exc, most=MAX_INPUT_ELEMENTS) from None
        except ValueError as exc:
            names = unknown_names(spec.value, ())
            if names and names[0] in str(exc):
                raise not_a_value(spec.name, names[0]) from exc
            raise GraphError("Input {name}: {error}", name=spec.name, error=exc) from exc
    if isinstance(value, torch.Tensor):
        t = value.detach().clone()
    else:
        try:
            t = torch.tensor(value)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise GraphError("Input {name}: {value!r} is not a number or a list of numbers.", name=spec.name,
                             value=spec.value) from exc
    check_finite(spec, value, t)
    if t.numel() > MAX_INPUT_ELEMENTS:
        raise GraphError("Input {name} has {n} elements; keep inputs to {most} or fewer.", name=spec.name,
                         n=t.numel(), most=MAX_INPUT_ELEMENTS)
    if t.is_complex():
        raise GraphError("Input {name} is complex; use real numbers here.", name=spec.name)
    if t.dtype == torch.float64:
        t = t.float()
    if spec.requires_grad and not t.is_floating_point():
        t = t.float()   # requires_grad needs floating point: 3 -> 3.0
    return t.requires_grad_(spec.requires_grad)


def check_finite(spec: InputSpec, value: object, t: torch.Tensor) -> None:
    """Refuse an input that holds inf or nan, saying why: most often a number too big for float32."""
    if not t.is_floating_point() or bool(torch.isfinite(t.float()).all()):
        return
    try:
        wide = value.detach().double() if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        wide = t.double()
    if bool(torch.isfinite(wide).all()):
        raise GraphError(
            "Input {name}: {value} holds a number too big for float32, the dtype inputs have here (the largest "
            "float32 is about {largest:.1e}), so it would become inf, and everything computed from it, gradients "
            "included, inf or nan. Use a smaller number.",
            name=spec.name, value=spec.value, largest=torch.finfo(torch.float32).max,
        )
    raise GraphError(
        "Input {name} holds inf or nan (a number too big for float32 becomes inf; 0/0 gives nan): "
        "nothing computed from it can be checked. Use finite numbers.", name=spec.name,
    )


def make_inputs(specs: list[InputSpec] | tuple[InputSpec, ...]) -> dict[str, torch.Tensor]:
    """The inputs by name; random ones seeded by their position, so they stay put from run to run."""
    inputs: dict[str, torch.Tensor] = {}
    for seed, spec in enumerate(specs):
        if spec.name in inputs:
            raise GraphError("Two inputs are called {name}: give each input its own name.", name=spec.name)
        inputs[spec.name] = make_input(spec, seed)
    return inputs


def trace_preset(key: str) -> AutogradGraph:
    """The recorded graph of one preset, before backward."""
    preset = PRESETS[key]
    return trace(preset.expression, make_inputs(preset.inputs))


def explore(expression: str, specs: list[InputSpec] | tuple[InputSpec, ...],
            passes: int = 0) -> tuple[AutogradGraph, dict[str, torch.Tensor]]:
    """Trace `expression` over the inputs, then run backward `passes` times without zero_grad().

    Returns the graph and each leaf's .grad after the first backward() ({} when passes is 0),
    so the page can show how the gradients accumulate.
    """
    graph = trace_expression(expression, make_inputs(specs))
    first_grads: dict[str, torch.Tensor] = {}
    for n in range(passes):
        graph.backward()
        if n == 0:
            first_grads = graph.leaf_grads()
    return graph, first_grads


# ----------------------------------------------------------------------------- dynamic graphs
# These two are shown to the learner as they are (inspect.getsource): plain Python deciding the graph.
def repeat_multiply(x: torch.Tensor, w: torch.Tensor, n: int) -> torch.Tensor:
    for _ in range(n):   # each pass records one more MulBackward0
        x = x * w
    return x


def branch_on_sign(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    if x.sum() > 0:      # decided by the data, at run time
        return (x * w).sum()
    return (x ** 2 * w).mean()


def trace_loop(n: int, x: float = 1.0, w: float = 1.5) -> AutogradGraph:
    """The graph of repeat_multiply: n MulBackward0 nodes in a chain (n chosen by a slider)."""
    inputs = {"x": torch.tensor(x, requires_grad=True), "w": torch.tensor(w, requires_grad=True)}
    code = inspect.getsource(repeat_multiply) + f"\n\nout = repeat_multiply(x, w, n={n})"
    return trace_function(lambda x, w: repeat_multiply(x, w, n), inputs, code=code)


def trace_branch(x0: float, w: float = 2.0) -> AutogradGraph:
    """The graph of branch_on_sign for x = [x0, 0.5]: which branch is recorded depends on x0."""
    inputs = {"x": torch.tensor([x0, 0.5], requires_grad=True), "w": torch.tensor(w, requires_grad=True)}
    code = inspect.getsource(branch_on_sign) + "\n\nout = branch_on_sign(x, w)"
    return trace_function(branch_on_sign, inputs, code=code)


def branch_text(x0: float) -> str:
    """Which branch of branch_on_sign trace_branch(x0) records, and why."""
    total = x0 + 0.5
    taken = "(x * w).sum()" if total > 0 else "(x ** 2 * w).mean()"
    return f"x.sum() = {total:g}, so this run records **{taken}**."
