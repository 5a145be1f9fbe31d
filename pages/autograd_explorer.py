"""Autograd explorer: the graph PyTorch records for an expression, replayed backwards step by step."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.core.bounded import shared_bounded
from pytorch_explorer.autograd.check import explore_and_check, finite_difference_check
from pytorch_explorer.autograd.code import graph_code
from pytorch_explorer.autograd.figures import (
    LEGEND, accumulation_rows, backward_note, check_note, check_rows, graph_to_dot, non_finite_note, step_text,
    unused_note,
)
from pytorch_explorer.autograd.graph import AutogradGraph
from pytorch_explorer.autograd.presets import (
    PRESET_EDITED, PRESETS, InputSpec, branch_text, explore, preset_applies, trace_branch, trace_loop,
)
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


st.title("Autograd explorer")
st.write(
    "The article calls autograd *a recorder of the operations we performed, replayed backwards to compute "
    "gradients*. Here you watch the recording: type an expression over a few inputs and PyTorch builds the "
    "graph as the expression runs (define-by-run). Each operation leaves a backward function (`MulBackward0`, "
    "`SigmoidBackward0`, ...); each leaf that requires grad gets an `AccumulateGrad`, which writes its `.grad`. "
    "Then run backward, one node at a time if you like, and check the gradients against finite differences."
)

url_note = st.container()  # filled at the end: a note on the address's values the controls could not take
left, right = st.columns([3, 2], gap="large")
with left:
    # Each control's default is the chosen preset's value (load_preset sets them all when the preset changes),
    # so the URL holds the preset and what the learner changed in it, and a reload or a shared link rebuilds both.
    preset = st.selectbox("Preset", list(PRESETS), format_func=lambda k: PRESETS[k].title, key="ag_preset",
                          on_change=load_preset, **KEEP)
    about = st.empty()   # the preset's notes, filled in once the inputs are read
    st.text_input("Expression (the safe evaluator of the tensor playground: torch.*, F.*, tensor methods)",
                  PRESETS[preset].expression, key="ag_expr", **KEEP)
    n_inputs = st.number_input("Number of inputs", 1, MAX_INPUTS, len(PRESETS[preset].inputs), key="ag_n_inputs",
                               **KEEP)
    specs = []
    for i in range(n_inputs):
        c_name, c_value, c_grad = st.columns([1, 3, 1.3], vertical_alignment="bottom")
        shown = "visible" if i == 0 else "collapsed"
        start = preset_input(preset, i)
        name = c_name.text_input("name", start.name, key=f"ag_name_{i}", label_visibility=shown, **KEEP)
        value = c_value.text_input("value (number, list or torch.* call)", start.value, key=f"ag_value_{i}",
                                   label_visibility=shown, **KEEP)
        grad = c_grad.checkbox("requires_grad", start.requires_grad, key=f"ag_grad_{i}", **KEEP)
        specs.append(InputSpec(name.strip(), value, grad))
    about.caption(PRESETS[ss.ag_preset].about if preset_applies(ss.ag_preset, ss.ag_expr, specs) else PRESET_EDITED)
    st.caption("Whole numbers make an integer tensor, as `torch.tensor` does (class labels); write `1.0` for a float. "
               "An input with requires_grad becomes float. `torch.randn(...)` inputs are seeded, so they stay put.")

signature = repr((ss.ag_expr, specs))
if ss.get("ag_signature") != signature:
    ss.ag_signature, ss.ag_passes, ss.ag_step, ss.ag_fd = signature, 0, 1, False

graph: AutogradGraph | None = None
with right, ui.friendly_errors("The expression"):
    # first in a worker under the hard time and memory budget (once per input), then for real
    ui.checked_once("ag_bounded", f"{signature} x{ss.ag_passes}", explore, ss.ag_expr, specs, passes=ss.ag_passes)
    graph, first_grads = explore(ss.ag_expr, specs, passes=ss.ag_passes)

if graph is not None:
    step = None
    with right:
        st.button("Run backward", key="ag_backward", type="primary", on_click=set_passes, args=(max(ss.ag_passes, 1),),
                  disabled=not graph.output.requires_grad)
        st.caption(backward_note(graph) if graph.output.requires_grad else
                   "The output does not require grad: tick requires_grad on an input it depends on.")
        if ss.ag_passes and graph.steps:
            view = st.radio("Show", ["every gradient", "backward step by step"], key="ag_view", horizontal=True, **KEPT)
            n_steps = len(graph.steps)
            if view == "backward step by step":
                ss.ag_step = min(max(1, ss.get("ag_step", 1)), n_steps)
                if n_steps > 1:
                    st.slider("Backward step", 1, n_steps, key="ag_step", **KEPT)
                p, n = st.columns(2)
                p.button("◀ Previous", key="ag_prev", on_click=move_step, args=(-1, n_steps), disabled=ss.ag_step <= 1,
                         width="stretch")
                n.button("Next ▶", key="ag_next", on_click=move_step, args=(1, n_steps), disabled=ss.ag_step >= n_steps,
                         width="stretch")
                step = ss.ag_step - 1
                st.info(step_text(graph, step))
        elif not ss.ag_passes:
            st.write("This is the forward pass as autograd recorded it. Press **Run backward** to replay it.")
        for note in (non_finite_note(graph), unused_note(graph) if ss.ag_passes else ""):
            if note:
                st.warning(note)
    st.graphviz_chart(graph_to_dot(graph, step=step))
    st.caption(LEGEND)

    st.subheader("Check: finite differences")
    st.write("Nudge each input element by ±ε (ε = 1e-6, in float64) and watch the output: (f(x+ε) − f(x−ε)) / 2ε "
             "estimates the gradient without autograd. The two should agree to about 1e-5.")
    st.button("Check the gradients", key="ag_check", on_click=lambda: ss.update(ag_fd=True),
              disabled=not graph.output.requires_grad)
    if ss.ag_fd:
        with ui.friendly_errors("The check"):
            ui.checked_once("ag_fd_bounded", signature, explore_and_check, ss.ag_expr, specs)
            results = finite_difference_check(graph)
            st.dataframe(check_rows(results), hide_index=True)
            if check_note(results):
                st.warning(check_note(results))
            if not all(r.ok for r in results) and graph.has_detached:
                st.warning("They disagree because of `.detach()`: finite differences see the whole function, "
                           "autograd ignores the detached path by design.")

    st.subheader("Gradients accumulate")
    st.write("`backward()` adds into `.grad`; it never overwrites it. Run it twice without `zero_grad()` and "
             "every leaf gradient doubles. The article's digit-training loop never calls `optimizer.zero_grad()`, "
             "so each step follows the sum of all earlier gradients: that is why it stalls at about 0.87 accuracy "
             "(see [Digits: train](digits-trainer)).")
    a1, a2 = st.columns(2)
    a1.button("backward() again, without zero_grad()", key="ag_again", on_click=set_passes, args=(ss.ag_passes + 1,),
              disabled=not graph.output.requires_grad)
    a2.button("zero_grad(), then backward()", key="ag_zero", on_click=set_passes, args=(1,),
              disabled=not graph.output.requires_grad)
    if ss.ag_passes:
        st.dataframe(accumulation_rows(first_grads, graph.leaf_grads(), ss.ag_passes, graph.unused_leaves),
                     hide_index=True)
    ui.code_expander(graph_code(graph))

st.subheader("Dynamic graph: define-by-run")
st.write("The graph is rebuilt every time the code runs, so Python's own `for` and `if` decide what gets "
         "recorded. Move the slider: the data (or the count) changes, and so does the graph.")
kind = st.radio("Example", ["a loop", "a branch"], key="ag_dyn_kind", horizontal=True, **KEEP)
if kind == "a loop":
    n = st.slider("n, the number of times x = x * w runs", 0, 6, 3, key="ag_loop_n", **KEEP)
    dynamic = trace_loop(n)
else:
    x0 = st.slider("x[0] (the branch is chosen by x.sum() > 0, with x = [x[0], 0.5])", -2.0, 2.0, 1.0, 0.25,
                   key="ag_branch_x", **KEEP)
    dynamic = trace_branch(x0)
    st.write(branch_text(x0))
dynamic.backward()
d1, d2 = st.columns([3, 2])
d1.graphviz_chart(graph_to_dot(dynamic))
d2.code(dynamic.code_body, language="python", wrap_lines=True)

with url_note:
    report_ignored(raw_query, SETTING_KEYS, {"ag_preset": lambda key: PRESETS[key].title})
