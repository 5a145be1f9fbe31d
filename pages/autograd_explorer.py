"""Autograd explorer: the graph PyTorch records for an expression, replayed backwards step by step."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.core.bounded import shared_bounded
from pytorch_explorer.autograd.check import explore_and_check, finite_difference_check
from pytorch_explorer.autograd.code import graph_code
from pytorch_explorer.autograd.figures import (
    LEGEND, accumulation_rows, check_note, check_rows, compact_or_shape, graph_to_dot, non_finite_note, unused_note,
    value_text,
)
from pytorch_explorer.autograd.graph import AutogradGraph
from pytorch_explorer.autograd.presets import (
    PRESET_EDITED, PRESETS, InputSpec, explore, preset_applies, trace_branch, trace_loop,
)
from pytorch_explorer.i18n import translate
from ui.i18n import lang, tr
from ui.settings import report_ignored

MAX_INPUTS = 6
KEEP = ui.settings.KEEP        # a setting: in the URL (a reload or a shared link opens it) and kept across pages
KEPT = {"persist_state": "session"}   # kept across pages only: shown after Run backward, which a reload undoes
SETTING_KEYS = ["ag_preset", "ag_expr", "ag_n_inputs", "ag_dyn_kind", "ag_loop_n", "ag_branch_x"] + [
    f"ag_{what}_{i}" for i in range(MAX_INPUTS) for what in ("name", "value", "grad")]
ss = st.session_state
shared_bounded().warm()  # the worker that checks expressions under a hard budget starts while the page draws
raw_query = ui.settings.snapshot()  # the settings in the address, before the controls take them


def preset_input(key: str, i: int) -> InputSpec:
    """Input row i of a preset (a spare row when the preset has fewer inputs)."""
    inputs = PRESETS[key].inputs
    return inputs[i] if i < len(inputs) else InputSpec(f"v{i}", "0.0")


def load_preset() -> None:
    preset = PRESETS[ss.ag_preset]
    ss.ag_expr, ss.ag_n_inputs = preset.expression, len(preset.inputs)
    for i in range(MAX_INPUTS):
        spec = preset_input(ss.ag_preset, i)
        ss[f"ag_name_{i}"], ss[f"ag_value_{i}"], ss[f"ag_grad_{i}"] = spec.name, spec.value, spec.requires_grad


def set_passes(n: int) -> None:
    ss.ag_passes = n


def move_step(delta: int, n_steps: int) -> None:
    ss.ag_step = min(max(1, ss.get("ag_step", 1) + delta), n_steps)




def backward_start(graph: AutogradGraph) -> str:
    """Where backward starts (figures.backward_note, in the session's language)."""
    if graph.output.numel() == 1:
        return tr("The output is a single number, so backward() starts from d out / d out = 1.")
    return tr("The output has shape {shape}, not a single number, so backward starts from a gradient of ones: "
              "out.backward(torch.ones_like(out)), the same as out.sum().backward().", shape=tuple(graph.output.shape))


def amount(t) -> str:
    """figures.compact_or_shape in the session's language: a gradient, short."""
    if t is None or t.numel() <= 4:
        return tr("nothing") if t is None else compact_or_shape(t)
    return tr("a {shape} tensor ({values})", shape=tuple(t.shape), values=value_text(t))


def step_note(graph: AutogradGraph, step: int) -> str:
    """figures.step_text in the session's language: what the engine did at one backward step."""
    s, edges = graph.steps[step], graph.edges
    node = graph.nodes[s.node]
    what = f" ({node.formula})" if node.kind == "op" and node.formula else ""
    lines = [tr("**Step {n} of {total}: `{name}`**", n=step + 1, total=len(graph.steps), name=node.backward_name) + what]
    if node.is_output:
        lines.append(tr("- It starts the pass: d {name} / d {name} = {grad}.", name=node.name, grad=amount(s.grad_output)))
    elif s.contributions:
        pieces = [tr("{grad} from `{source}`", grad=amount(g), source=edges[i].target) for i, g in s.contributions]
        lines.append(tr("- It receives {grad}.", grad=pieces[0]) if len(pieces) == 1 else tr(
            "- {name} is used {n} times, so {n} gradients arrive and **add up**: {terms} = {grad}.",
            name=node.name or tr("This value"), n=len(pieces), terms=" + ".join(pieces), grad=amount(s.grad_output)))
    if node.kind == "accumulate":
        return "\n".join([*lines, tr("- It adds that into `{name}.grad` (a leaf: the pass ends here).", name=node.name)])
    lines += [tr("- It sends {grad} to `{target}`.", grad=amount(g), target=edges[i].source) for i, g in s.sent]
    return "\n".join(lines)


def translated(rows: list[dict], values: tuple[str, ...] = ()) -> list[dict]:
    """A table of the package's (its column names, and the words in columns `values`) in the session's language."""
    return [{tr(k): tr(v) if k in values else v for k, v in row.items()} for row in rows]


st.title(tr("Autograd explorer"))
st.write(tr(
    "The article calls autograd *a recorder of the operations we performed, replayed backwards to compute "
    "gradients*. Here you watch the recording: type an expression over a few inputs and PyTorch builds the "
    "graph as the expression runs (define-by-run). Each operation leaves a backward function (`MulBackward0`, "
    "`SigmoidBackward0`, ...); each leaf that requires grad gets an `AccumulateGrad`, which writes its `.grad`. "
    "Then run backward, one node at a time if you like, and check the gradients against finite differences."
))

url_note = st.container()  # filled at the end: a note on the address's values the controls could not take
left, right = st.columns([3, 2], gap="large")
with left:
    # Each control's default is the chosen preset's value (load_preset sets them all when the preset changes),
    # so the URL holds the preset and what the learner changed in it, and a reload or a shared link rebuilds both.
    preset = ui.settings.choice(st.selectbox, tr("Preset"), list(PRESETS), key="ag_preset", on_change=load_preset,
                                labels={k: p.title for k, p in PRESETS.items()})
    about = st.empty()   # the preset's notes, filled in once the inputs are read
    st.text_input(tr("Expression (the safe evaluator of the tensor playground: `torch.*`, `F.*`, tensor methods)"),
                  PRESETS[preset].expression, key="ag_expr", **KEEP)
    n_inputs = st.number_input(tr("Number of inputs"), 1, MAX_INPUTS, len(PRESETS[preset].inputs), key="ag_n_inputs",
                               **KEEP)
    specs = []
    for i in range(n_inputs):
        c_name, c_value, c_grad = st.columns([1, 3, 1.3], vertical_alignment="bottom")
        shown = "visible" if i == 0 else "collapsed"
        start = preset_input(preset, i)
        name = c_name.text_input(tr("name"), start.name, key=f"ag_name_{i}", label_visibility=shown, **KEEP)
        value = c_value.text_input(tr("value (number, list or torch.* call)"), start.value, key=f"ag_value_{i}",
                                   label_visibility=shown, **KEEP)
        grad = c_grad.checkbox("requires_grad", start.requires_grad, key=f"ag_grad_{i}", **KEEP)
        specs.append(InputSpec(name.strip(), value, grad))
    about.caption(tr(PRESETS[ss.ag_preset].about) if preset_applies(ss.ag_preset, ss.ag_expr, specs) else tr(PRESET_EDITED))
    st.caption(tr("Whole numbers make an integer tensor, as `torch.tensor` does (class labels); write `1.0` for a "
                  "float. An input with requires_grad becomes float. `torch.randn(...)` inputs are seeded, so they "
                  "stay put."))

signature = repr((ss.ag_expr, specs))
if ss.get("ag_signature") != signature:
    ss.ag_signature, ss.ag_passes, ss.ag_step, ss.ag_fd = signature, 0, 1, False

graph: AutogradGraph | None = None
with right, ui.friendly_errors(tr("The expression")):
    # first in a worker under the hard time and memory budget (once per input), then for real
    ui.checked_once("ag_bounded", f"{signature} x{ss.ag_passes}", explore, ss.ag_expr, specs, passes=ss.ag_passes)
    graph, first_grads = explore(ss.ag_expr, specs, passes=ss.ag_passes)

if graph is not None:
    step = None
    with right:
        st.button(tr("Run backward"), key="ag_backward", type="primary", on_click=set_passes, args=(max(ss.ag_passes, 1),),
                  disabled=not graph.output.requires_grad)
        st.caption(backward_start(graph) if graph.output.requires_grad else
                   tr("The output does not require grad: tick requires_grad on an input it depends on."))
        if ss.ag_passes and graph.steps:
            view = st.radio(tr("Show"), ["every gradient", "backward step by step"], key="ag_view", horizontal=True,
                            format_func=lambda v, shown_in=lang(): translate(v, shown_in), **KEPT)
            # kept in the session, not the URL, so its labels may be translated (in the language of this run:
            # AppTest calls a format_func outside the run, where tr would not know the session's language)
            n_steps = len(graph.steps)
            if view == "backward step by step":
                ss.ag_step = min(max(1, ss.get("ag_step", 1)), n_steps)
                if n_steps > 1:
                    st.slider(tr("Backward step"), 1, n_steps, key="ag_step", **KEPT)
                p, n = st.columns(2)
                p.button(tr("◀ Previous"), key="ag_prev", on_click=move_step, args=(-1, n_steps), disabled=ss.ag_step <= 1,
                         width="stretch")
                n.button(tr("Next ▶"), key="ag_next", on_click=move_step, args=(1, n_steps), disabled=ss.ag_step >= n_steps,
                         width="stretch")
                step = ss.ag_step - 1
                st.info(step_note(graph, step))
        elif not ss.ag_passes:
            st.write(tr("This is the forward pass as autograd recorded it. Press **Run backward** to replay it."))
        for note in (non_finite_note(graph), unused_note(graph) if ss.ag_passes else ""):
            if note:
                st.warning(note)
    st.graphviz_chart(graph_to_dot(graph, step=step))
    st.caption(tr(LEGEND))

    st.subheader(tr("Check: finite differences"))
    st.write(tr("Nudge each input element by ±ε (ε = 1e-6, in float64) and watch the output: (f(x+ε) − f(x−ε)) / 2ε "
                "estimates the gradient without autograd. The two should agree to about 1e-5."))
    st.button(tr("Check the gradients"), key="ag_check", on_click=lambda: ss.update(ag_fd=True),
              disabled=not graph.output.requires_grad)
    if ss.ag_fd:
        with ui.friendly_errors(tr("The check")):
            ui.checked_once("ag_fd_bounded", signature, explore_and_check, ss.ag_expr, specs)
            results = finite_difference_check(graph)
            st.dataframe(translated(check_rows(results), ("autograd", "agree")), hide_index=True)
            if check_note(results):
                st.warning(check_note(results))
            if not all(r.ok for r in results) and graph.has_detached:
                st.warning(tr("They disagree because of `.detach()`: finite differences see the whole function, "
                              "autograd ignores the detached path by design."))

    st.subheader(tr("Gradients accumulate"))
    st.write(tr("`backward()` adds into `.grad`; it never overwrites it. Run it twice without `zero_grad()` and "
             "every leaf gradient doubles. The article's digit-training loop never calls `optimizer.zero_grad()`, "
             "so each step follows the sum of all earlier gradients: that is why it stalls at about 0.87 accuracy "
             "(see [Digits: train](digits-trainer))."))
    a1, a2 = st.columns(2)
    a1.button(tr("backward() again, without zero_grad()"), key="ag_again", on_click=set_passes, args=(ss.ag_passes + 1,),
              disabled=not graph.output.requires_grad)
    a2.button(tr("zero_grad(), then backward()"), key="ag_zero", on_click=set_passes, args=(1,),
              disabled=not graph.output.requires_grad)
    if ss.ag_passes:
        rows = accumulation_rows(first_grads, graph.leaf_grads(), ss.ag_passes, graph.unused_leaves)
        now = tr(".grad now, after {n} backward()", n=ss.ag_passes)
        st.dataframe([{now if k.startswith(".grad now") else tr(k): v for k, v in row.items()} for row in rows],
                     hide_index=True)
    ui.code_expander(graph_code(graph), tr("PyTorch code"))

st.subheader(tr("Dynamic graph: define-by-run"))
st.write(tr("The graph is rebuilt every time the code runs, so Python's own `for` and `if` decide what gets "
         "recorded. Move the slider: the data (or the count) changes, and so does the graph."))
kind = ui.settings.choice(st.radio, tr("Example"), ["a loop", "a branch"], key="ag_dyn_kind", horizontal=True)
if kind == "a loop":
    n = st.slider(tr("n, the number of times x = x * w runs"), 0, 6, 3, key="ag_loop_n", **KEEP)
    dynamic = trace_loop(n)
else:
    x0 = st.slider(tr("x[0] (the branch is chosen by x.sum() > 0, with x = [x[0], 0.5])"), -2.0, 2.0, 1.0, 0.25,
                   key="ag_branch_x", **KEEP)
    dynamic = trace_branch(x0)
    taken = "(x * w).sum()" if x0 + 0.5 > 0 else "(x ** 2 * w).mean()"  # as presets.branch_text says it
    st.write(tr("x.sum() = {total}, so this run records **{taken}**.", total=f"{x0 + 0.5:g}", taken=taken))
dynamic.backward()
d1, d2 = st.columns([3, 2])
d1.graphviz_chart(graph_to_dot(dynamic))
d2.code(dynamic.code_body, language="python", wrap_lines=True)

with url_note:
    report_ignored(raw_query, SETTING_KEYS)
