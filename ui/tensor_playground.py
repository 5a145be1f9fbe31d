"""Widgets of the tensor playground page: a tensor's card, running an expression, the last result.

The page (pages/tensor_playground.py) keeps the layout; this module draws a tensor (its metadata,
its values as a table or a figure, 2-D slices of a tensor with 3 or more dims), runs an expression
with its numpy twin and keeps the outcome (a result, or an error with a learner's hint, never the
previous result under a new error), and shows that outcome.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import streamlit as st
import torch

from pytorch_explorer.core.bounded import check
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.tensors import factory as tf
from pytorch_explorer.tensors import info as ti
from pytorch_explorer.tensors.catalogue import OPS
from pytorch_explorer.tensors.figures import figure_for, figure_label
from pytorch_explorer.tensors.hints import hint_for
from pytorch_explorer.tensors.numpy_twin import CLOSE, EQUAL, NO_TWIN, run_with_twin
from pytorch_explorer.tensors.expressions import evaluate
from ui import friendly_errors
from ui.memory import drop_when_session_ends

RESULT_KEY = "tp_result"  # session key of the last outcome: {"source", "value", "twin", "verdict"} or {"source", "error", "hint"}
KEPT = {"persist_state": "session"}  # kept across pages, not in the URL: it names a result a reload does not keep


def kind_label(kind: str) -> str:
    """How the "Made by" select shows a way of making a tensor."""
    return "a literal like [[1, 2], [3, 4]]" if kind == "literal" else f"torch.{kind}"


def op_label(name: str) -> str:
    """How the "Operation" select shows a catalogue operation."""
    return f"{name} — {OPS[name].description}"


def view_label(expr: str) -> str:
    """How the views tab shows one of its operations."""
    return f"{expr}   ({ti.VIEW_EXAMPLES[expr]})"


# The page's settings, each a control bound to the URL (ui.settings.KEEP), besides the chosen operation's own
# (tp_p_<op>_<param>); URL_LABELS: how the URL spells those shown through a format_func (by what the learner sees).
SETTING_KEYS = ["tp_new_name", "tp_new_kind", "tp_new_literal", "tp_new_shape", "tp_new_fill", "tp_new_start",
                "tp_new_end", "tp_new_step", "tp_new_steps", "tp_new_low", "tp_new_high", "tp_new_dtype_float32",
                "tp_new_dtype_int64", "tp_new_device", "tp_new_seed", "tp_new_grad", "tp_op_search", "tp_op_group",
                "tp_op", "tp_expr", "tp_bc_a", "tp_bc_b", "tp_view_x", "tp_view_expr", "tp_view_inplace",
                "tp_view_target"]
URL_LABELS = {"tp_new_kind": kind_label, "tp_op": op_label, "tp_view_expr": view_label}


def show_tensor(t: torch.Tensor, key: str, name: str = "x") -> None:
    """Metadata line, then the values: a table (small), a figure (large), or 2-D slices (3 or more dims)."""
    info = ti.describe(t)
    st.caption(f"shape {info.shape} · {info.dtype} · {info.device} · strides {info.strides} · "
               f"{'contiguous' if info.contiguous else 'not contiguous'} · requires_grad {info.requires_grad}"
               + (f" · grad_fn {info.grad_fn}" if info.grad_fn else ""))
    if t.dim() < 3:
        show_values(t, key)
        return
    st.dataframe([ti.summary(t)], hide_index=True, width="stretch")
    if 0 in t.shape:
        st.caption("This tensor is empty: it has no values to show.")
        return
    sizes = tuple(t.shape[:-2])
    st.caption(f"A {t.dim()}-D tensor is a stack of {t.shape[-2]}x{t.shape[-1]} matrices: "
               "choose one by its leading indices.")
    columns = st.columns(min(len(sizes), 6))
    leading = tuple(
        int(columns[d % len(columns)].number_input(f"dim {d} (0 to {n - 1})", min_value=0, max_value=n - 1, value=0,
                                                    step=1, key=f"tp_slice_{key}_{d}"))
        for d, n in enumerate(sizes)
    )
    st.markdown(f"`{ti.slice_text(name, leading)}`")
    show_values(ti.slice_2d(t, leading), f"{key}_slice")


def show_values(t: torch.Tensor, key: str) -> None:
    """A tensor of at most 2 dims: its values as a table when small, else statistics; then its figure."""
    frame = ti.values_frame(t)
    if frame is not None:
        st.dataframe(frame, width="stretch")
    else:
        st.dataframe([ti.summary(t)], hide_index=True, width="stretch")
    label = figure_label(t)
    if label is not None and (t.dim() == 2 or frame is None):
        with st.expander(label, expanded=frame is None):
            st.plotly_chart(figure_for(t), key=f"fig_{key}", width="stretch")


def rebuild(specs: MutableMapping[str, tf.TensorSpec], tensors: MutableMapping[str, Any]) -> None:
    """The tensors again from their recipes, in order (a kept result by evaluating its expression again);
    one that cannot be made again is dropped with its recipe."""
    for name, spec in list(specs.items()):
        try:
            tensors[name] = evaluate(spec.source, dict(tensors)) if spec.source else tf.build(spec)
        except (ExplorerError, ValueError, TypeError, RuntimeError):
            specs.pop(name, None)
    st.info("Your tensors were made again from their recipes: this session had been disconnected, and its "
            "tensors released.", icon=":material/restart_alt:")


def run_and_keep(source: str, tensors: MutableMapping[str, Any]) -> None:
    """Run an expression with its numpy twin and keep the outcome: the result, or the error and its hint."""
    try:
        check(run_with_twin, source, dict(tensors))  # first in a worker under a hard time and memory budget
        value, twin, verdict = run_with_twin(source, tensors)
    except (ExplorerError, ValueError, TypeError, RuntimeError) as exc:
        st.session_state[RESULT_KEY] = {"source": source, "error": str(exc), "hint": hint_for(exc)}
        return
    st.session_state[RESULT_KEY] = result = {"source": source, "value": value, "twin": twin, "verdict": verdict}
    drop_when_session_ends(result)  # the result's tensor is not kept for a session that has gone


def last_source() -> str | None:
    """The expression of the last result that worked (for the page's code), or None."""
    result = st.session_state.get(RESULT_KEY)
    return result["source"] if result and "error" not in result else None


def show_last_result(tensors: MutableMapping[str, Any], specs: MutableMapping[str, tf.TensorSpec]) -> None:
    """The last outcome: PyTorch's value and its numpy twin, or PyTorch's error with a hint."""
    result = st.session_state.get(RESULT_KEY)
    if not result:  # none yet, or released with the session
        return
    st.subheader("Last result")
    st.code(result["source"], language="python")
    if "error" in result:
        st.error(result["error"])
        if result["hint"]:
            st.info(f"**Hint:** {result['hint']}")
        return
    value, twin, verdict = result["value"], result["twin"], result["verdict"]
    st.markdown("**PyTorch**")
    with friendly_errors("Showing the result"):
        if isinstance(value, torch.Tensor):
            show_tensor(value, "result", "result")
        else:
            st.text(ti.value_text(value))
    st.markdown("**numpy twin**")
    if twin.code:
        st.code("import numpy as np\n" + twin.code, language="python")
    box = {EQUAL: st.success, CLOSE: st.success, NO_TWIN: st.info}.get(verdict.kind, st.warning)
    box(f"**{verdict.kind}** — {verdict.message}")
    for note in twin.notes:
        st.caption(f"Why: {note}")
    if isinstance(value, torch.Tensor):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        keep = c1.text_input("Keep the result as", value=f"r{len(tensors)}", key="tp_keep_name", **KEPT)
        if c2.button("Keep", key="tp_keep"):
            with friendly_errors("Keeping the result"):
                tf.check_name(keep, set(tensors))
                tensors[keep] = value
                specs[keep] = tf.TensorSpec(keep, source=result["source"])
                st.rerun()
