"""Pictures and words for an AutogradGraph: DOT text for st.graphviz_chart, step descriptions, tables.

Every box uses an HTML-like Graphviz label: the node's name, what made it, its shape and dtype,
its value (the number for a scalar; min / mean / max and a tiny heatmap for a small tensor) and,
once backward has reached it, its gradient in red. Shapes and colours tell the kinds apart:
blue leaves (inputs with requires_grad), amber operations (named by their backward function),
indigo AccumulateGrad boxes, grey dashed parts that autograd did not record, red dashed .detach().
"""

from __future__ import annotations

import html
import math

import torch

from pytorch_explorer.autograd.check import FiniteDifferenceResult
from pytorch_explorer.autograd.graph import AutogradGraph, GraphEdge, GraphNode

HEATMAP_MAX_ELEMENTS = 64
GRAD_COLOR = "#b91c1c"
STEP_COLOR = "#dc2626"

STYLES: dict[str, dict[str, str]] = {
    "leaf": {"fillcolor": "#dbeafe", "color": "#2563eb", "style": "rounded,filled"},
    "input": {"fillcolor": "#f1f5f9", "color": "#94a3b8", "style": "rounded,filled,dashed"},
    "constant": {"fillcolor": "#f1f5f9", "color": "#94a3b8", "style": "rounded,filled,dashed"},
    "accumulate": {"fillcolor": "#e0e7ff", "color": "#6366f1", "style": "filled"},
    "op": {"fillcolor": "#fef3c7", "color": "#d97706", "style": "rounded,filled"},
    "no_grad_op": {"fillcolor": "#f1f5f9", "color": "#94a3b8", "style": "rounded,filled,dashed"},
    "detached": {"fillcolor": "#fee2e2", "color": "#dc2626", "style": "rounded,filled,dashed"},
}

LEGEND = (
    "**Blue**: leaf (an input with requires_grad). **Grey, dashed**: not recorded by autograd (an input "
    "without requires_grad, a constant, a comparison). **Amber**: an operation, named by its backward "
    "function. **Indigo**: AccumulateGrad, which adds the gradient into the leaf's `.grad`. "
    "**Red, dashed**: `.detach()`, where gradients stop. **Red text**: gradients. Dashed arrows carry "
    "no gradient."
)


def graph_to_dot(graph: AutogradGraph, step: int | None = None, show_grads: bool = True,
                 rankdir: str = "TB") -> str:
    """DOT text for the graph; with `step`, only the gradients the engine has computed so far show."""
    done = _done_nodes(graph, step) if show_grads else set()
    current = graph.steps[step].node if step is not None and graph.steps else None
    lines = [
        "digraph autograd {",
        f'  graph [rankdir={rankdir}, bgcolor="transparent", nodesep=0.3, ranksep=0.35, fontname="Helvetica"];',
        '  node [shape=box, fontname="Helvetica", fontsize=10, margin="0.06,0.03"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#475569", arrowsize=0.7];',
    ]
    ran = {s.node for s in graph.steps}
    for node in graph.nodes.values():
        attrs = dict(STYLES[node.kind])
        unreached = bool(graph.steps) and node.kind in ("op", "accumulate") and node.id not in ran
        if node.is_output:
            attrs["penwidth"] = "2.5"
        if node.id == current:
            attrs.update(color=STEP_COLOR, penwidth="4")
        show_grad = node.id in done or (node.kind == "leaf" and f"AccumulateGrad({node.id})" in done)
        unused = bool(graph.backward_passes) and node.kind == "leaf" and node.name in graph.unused_leaves
        label = node_label(node, show_grad and node.grad is not None, unreached, grad_is_none=unused)
        lines.append(f"  {_quote(node.id)} [label=<{label}>, {_attrs(attrs)}];")
    for edge in graph.edges:
        attrs = {} if edge.differentiable else {"style": "dashed", "color": "#94a3b8", "arrowhead": "empty"}
        if edge.grad is not None and edge.target in done:
            attrs["label"] = f"<{edge_label(edge)}>"
            attrs["fontcolor"] = GRAD_COLOR
        if current is not None and edge.target == current and edge.differentiable:
            attrs.update(color=STEP_COLOR, penwidth="2.5")
        rendered = ", ".join(f"{k}={v}" if k == "label" else f"{k}={_quote(v)}" for k, v in attrs.items())
        lines.append(f"  {_quote(edge.source)} -> {_quote(edge.target)}" + (f" [{rendered}]" if rendered else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _done_nodes(graph: AutogradGraph, step: int | None) -> set[str]:
    if not graph.steps and graph.backward_passes:
        return set(graph.nodes)   # the output is itself a leaf: nothing ran but its grad is set
    last = len(graph.steps) - 1 if step is None else step
    return {s.node for s in graph.steps[: last + 1]}


def node_label(node: GraphNode, with_grad: bool, unreached: bool = False, grad_is_none: bool = False) -> str:
    """The HTML-like label of one node (all text escaped); `grad_is_none`: a leaf backward never reached."""
    rows: list[str] = []
    title, subtitle = _titles(node)
    rows.append(f"<B>{_esc(title)}</B>")
    if subtitle:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="#475569">{_esc(subtitle)}</FONT>')
    if node.value is not None:
        rows.append(_esc(shape_text(node.value)))
        rows.append(_esc(value_text(node.value)))
        heat = heatmap_html(node.value)
        if heat:
            rows.append(heat)
    if with_grad and node.grad is not None:
        prefix = f"{node.name}.grad" if node.kind == "leaf" else "grad"
        rows.append(f'<FONT COLOR="{GRAD_COLOR}">{_esc(prefix + " " + value_text(node.grad))}</FONT>')
        heat = heatmap_html(node.grad)
        if heat:
            rows.append(heat)
    if grad_is_none:
        rows.append(f'<FONT COLOR="{GRAD_COLOR}">{_esc(node.name)}.grad None (not used)</FONT>')
    if unreached:
        rows.append('<FONT POINT-SIZE="9" COLOR="#475569">no gradient reaches it</FONT>')
    body = "".join(f"<TR><TD>{row}</TD></TR>" for row in rows)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{body}</TABLE>'


def _titles(node: GraphNode) -> tuple[str, str]:
    if node.kind == "leaf":
        return node.name, "leaf, requires_grad=True"
    if node.kind == "input":
        return node.name, "requires_grad=False"
    if node.kind == "accumulate":
        return "AccumulateGrad", f"adds into {node.name}.grad"
    if node.kind == "op":
        return node.backward_name, node.formula or node.name
    if node.kind == "detached":
        return node.formula or "detach()", "detached: gradient stops here"
    if node.kind == "no_grad_op":
        return node.formula or node.id, "not recorded: no gradient"
    return node.formula or "constant", "constant"


def edge_label(edge: GraphEdge) -> str:
    grad = edge.grad
    assert grad is not None
    if grad.numel() <= 3:
        return _esc(compact_values(grad))
    return _esc(str(tuple(grad.shape)))


def shape_text(t: torch.Tensor) -> str:
    dtype = str(t.dtype).replace("torch.", "")
    return f"scalar, {dtype}" if t.dim() == 0 else f"shape {tuple(t.shape)}, {dtype}"


def value_text(t: torch.Tensor) -> str:
    """The number for one element; min / mean / max for more."""
    if t.numel() == 1:
        return format_number(float(t.reshape(())))
    if t.numel() == 0:
        return "empty"
    values = t.detach().double()
    low, mean, high = (f"{float(v):.3g}" for v in (values.min(), values.mean(), values.max()))
    return f"min {low} · mean {mean} · max {high}"


def compact_values(t: torch.Tensor) -> str:
    if t.numel() == 1:
        return format_number(float(t.reshape(())))
    return "[" + ", ".join(format_number(float(v)) for v in t.detach().reshape(-1)) + "]"


def heatmap_html(t: torch.Tensor, cell: int = 9) -> str:
    """A tiny table of coloured cells (blue negative, white zero, red positive), or '' if too big."""
    if t.numel() <= 1 or t.numel() > HEATMAP_MAX_ELEMENTS:
        return ""
    values = t.detach().double()
    values = values.reshape(1, -1) if values.dim() <= 1 else values.reshape(-1, values.shape[-1])
    scale = float(values.abs().max()) or 1.0
    rows = []
    for row in values.tolist():
        cells = "".join(
            f'<TD FIXEDSIZE="TRUE" WIDTH="{cell}" HEIGHT="{cell}" BGCOLOR="{diverging_color(v / scale)}"></TD>'
            for v in row
        )
        rows.append(f"<TR>{cells}</TR>")
    n_rows, n_cols = values.shape
    size = f'FIXEDSIZE="TRUE" WIDTH="{n_cols * cell + 2}" HEIGHT="{n_rows * cell + 2}"'   # do not stretch to the node
    return (f'<TABLE BORDER="1" COLOR="#cbd5e1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" {size}>'
            f'{"".join(rows)}</TABLE>')


def diverging_color(x: float) -> str:
    """x in [-1, 1] -> a hex colour from blue through white to red."""
    x = max(-1.0, min(1.0, x))
    target = (220, 38, 38) if x >= 0 else (37, 99, 235)
    mix = [round(255 + (c - 255) * abs(x)) for c in target]
    return "#" + "".join(f"{c:02x}" for c in mix)


def step_text(graph: AutogradGraph, step: int) -> str:
    """Markdown saying what the engine did at one backward step: what arrived, what it sent."""
    s = graph.steps[step]
    node = graph.nodes[s.node]
    what = f" ({node.formula})" if node.kind == "op" and node.formula else ""
    lines = [f"**Step {step + 1} of {len(graph.steps)}: `{node.backward_name}`**{what}"]
    if node.is_output:
        lines.append(f"- It starts the pass: d {node.name} / d {node.name} = {compact_or_shape(s.grad_output)}.")
    elif s.contributions:
        pieces = [f"{compact_or_shape(g)} from `{graph.edges[i].target}`" for i, g in s.contributions]
        if len(pieces) == 1:
            lines.append(f"- It receives {pieces[0]}.")
        else:
            lines.append(
                f"- {node.name or 'This value'} is used {len(pieces)} times, so {len(pieces)} gradients arrive and "
                f"**add up**: {' + '.join(pieces)} = {compact_or_shape(s.grad_output)}."
            )
    if node.kind == "accumulate":
        lines.append(f"- It adds that into `{node.name}.grad` (a leaf: the pass ends here).")
        return "\n".join(lines)
    for i, g in s.sent:
        lines.append(f"- It sends {compact_or_shape(g)} to `{graph.edges[i].source}`.")
    return "\n".join(lines)


def backward_note(graph: AutogradGraph) -> str:
    """Where backward starts: d out / d out = 1 for a single number, a gradient of ones otherwise."""
    if graph.output.numel() == 1:
        return "The output is a single number, so backward() starts from d out / d out = 1."
    return (
        f"The output has shape {tuple(graph.output.shape)}, not a single number, so backward starts from a "
        "gradient of ones: out.backward(torch.ones_like(out)), the same as out.sum().backward()."
    )


def check_rows(results: list[FiniteDifferenceResult]) -> list[dict[str, str]]:
    """The finite-difference table: autograd's gradient and the estimate, side by side, for each leaf."""
    def agree(r: FiniteDifferenceResult) -> str:
        if not r.finite:
            return "can't tell (inf/nan)"
        return "yes" if r.ok else "NO"

    return [{"input": r.name, "autograd": "None (not used)" if r.analytic is None else compact_or_shape(r.analytic),
             "finite differences": compact_or_shape(r.numeric), "max |difference|": f"{r.max_abs_diff:.2e}",
             "agree": agree(r)} for r in results]


def check_note(results: list[FiniteDifferenceResult]) -> str:
    """Why a row of the check could not be compared (inf or nan on one side), or ''."""
    broken = [r.name for r in results if not r.finite]
    if not broken:
        return ""
    return (
        f"The check cannot compare {', '.join(broken)}: a gradient or an estimate holds inf or nan. Either the "
        "output overflowed float32 (beyond about ±3.4e38 a value becomes inf, and inf − inf or 0 · inf is nan), "
        "or the function has no finite slope there (sqrt or log at 0, ...). Use smaller inputs."
    )


def unused_note(graph: AutogradGraph) -> str:
    """Why an input with requires_grad has no gradient at all, or '' when every one is used."""
    unused = graph.unused_leaves
    if not unused:
        return ""
    names = ", ".join(f"`{n}`" for n in unused)
    grads = ", ".join(f"`{n}.grad`" for n in unused)
    return (
        f"{names} {'is' if len(unused) == 1 else 'are'} not used to compute {graph.output_name}, so backward() "
        f"never reaches {'it' if len(unused) == 1 else 'them'}: {grads} stays **None**, not 0. PyTorch only "
        "visits what the output was computed from (there is no AccumulateGrad box for an unused input); "
        "optimizers skip a parameter whose .grad is None."
    )


def non_finite_note(graph: AutogradGraph) -> str:
    """Where the forward pass first produced inf or nan, and why, or ''."""
    node = graph.first_non_finite()
    if node is None or node.value is None:
        return ""
    what = node.formula or node.name or node.id
    has_nan = bool(torch.isnan(node.value).any())
    reason = ("nan (not a number): 0/0, inf − inf, 0 · inf or the log of a negative number give it"
              if has_nan else "inf: the result is beyond float32's range (about ±3.4e38), so it overflowed")
    return (f"`{what}` is {reason}. Everything computed from it, and the gradients through it, are inf or "
            "nan too. Use smaller numbers (or a function that stays finite there).")


def accumulation_rows(first: dict[str, torch.Tensor], now: dict[str, torch.Tensor],
                      passes: int, unused: list[str] | tuple[str, ...] = ()) -> list[dict[str, str]]:
    """Each leaf's .grad after the first backward() and after `passes` of them, and their ratio.

    `unused` leaves (no path from the output) get a row of None: backward never writes their .grad.
    """
    rows = []
    for name, grad in now.items():
        before = first[name].abs().sum()
        rows.append({"input": name, "grad after the first backward()": compact_or_shape(first[name]),
                     f".grad now, after {passes} backward()": compact_or_shape(grad),
                     "ratio": f"{float(grad.abs().sum() / before):.3g}" if float(before) else "-"})
    for name in unused:
        rows.append({"input": name, "grad after the first backward()": "None",
                     f".grad now, after {passes} backward()": "None", "ratio": "-"})
    return rows


def compact_or_shape(t: torch.Tensor | None) -> str:
    if t is None:
        return "nothing"
    if t.numel() <= 4:
        return compact_values(t)
    return f"a {tuple(t.shape)} tensor ({value_text(t)})"


def format_number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.4g}"


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _attrs(attrs: dict[str, str]) -> str:
    return ", ".join(f"{k}={_quote(v)}" for k, v in attrs.items())
