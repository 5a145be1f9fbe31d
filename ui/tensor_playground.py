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
from pytorch_explorer.i18n import translate
from pytorch_explorer.tensors import factory as tf
from pytorch_explorer.tensors import info as ti
from pytorch_explorer.tensors.catalogue import OPS
from pytorch_explorer.tensors.figures import block_size, figure_for, figure_label
from pytorch_explorer.tensors.hints import hint_text
from pytorch_explorer.tensors.numpy_twin import CLOSE, EQUAL, NO_TWIN, run_with_twin
from pytorch_explorer.tensors.expressions import evaluate
from ui import error_text, friendly_errors
from ui.i18n import lang, tr
from ui.memory import drop_when_session_ends

RESULT_KEY = "tp_result"  # session key of the last outcome: {"source", "value", "twin", "verdict"} or {"source", "error", "hint"}
KEPT = {"persist_state": "session"}  # kept across pages, not in the URL: it names a result a reload does not keep


def kind_label(kind: str, language: str = "en") -> str:
    """How the "Made by" select shows a way of making a tensor."""
    return translate("a literal like [[1, 2], [3, 4]]", language) if kind == "literal" else f"torch.{kind}"


def op_label(name: str, language: str = "en") -> str:
    """How the "Operation" select shows a catalogue operation: its name, as code, and its description in `language`
    (zh/tensor_catalogue.json)."""
    return f"{name} — {translate(OPS[name].description, language)}"


def view_label(expr: str, language: str = "en") -> str:
    """How the views tab shows one of its operations."""
    return f"{expr}   ({translate(ti.VIEW_EXAMPLES[expr], language)})"


# The page's settings, each a control bound to the URL (ui.settings.KEEP, or ui.settings.choice for the selects
# whose options show words), besides the chosen operation's own (tp_p_<op>_<param>).
SETTING_KEYS = ["tp_new_name", "tp_new_kind", "tp_new_literal", "tp_new_shape", "tp_new_fill", "tp_new_start",
                "tp_new_end", "tp_new_step", "tp_new_steps", "tp_new_low", "tp_new_high", "tp_new_dtype_float32",
                "tp_new_dtype_int64", "tp_new_device", "tp_new_seed", "tp_new_grad", "tp_op_search", "tp_op_group",
                "tp_op", "tp_expr", "tp_bc_a", "tp_bc_b", "tp_view_x", "tp_view_expr", "tp_view_inplace",
                "tp_view_target"]


def show_tensor(t: torch.Tensor, key: str, name: str = "x") -> None:
    """Metadata line, then the values: a table (small), a figure (large), or 2-D slices (3 or more dims)."""
    info = ti.describe(t)
    layout = tr("contiguous") if info.contiguous else tr("not contiguous")
    st.caption(tr("shape {shape} · {dtype} · {device} · strides {strides} · {layout} · requires_grad {grad}",
                  shape=info.shape, dtype=info.dtype, device=info.device, strides=info.strides, layout=layout,
                  grad=info.requires_grad) + (f" · grad_fn {info.grad_fn}" if info.grad_fn else ""))
    if t.dim() < 3:
        show_values(t, key)
        return
    st.dataframe([summary_row(t)], hide_index=True, width="stretch")
    if 0 in t.shape:
        st.caption(tr("This tensor is empty: it has no values to show."))
        return
    sizes = tuple(t.shape[:-2])
    st.caption(tr("A {n}-D tensor is a stack of {rows}x{cols} matrices: choose one by its leading indices.",
                  n=t.dim(), rows=t.shape[-2], cols=t.shape[-1]))
    columns = st.columns(min(len(sizes), 6))
    leading = tuple(
        int(columns[d % len(columns)].number_input(tr("dim {d} (0 to {last})", d=d, last=n - 1), min_value=0, max_value=n - 1, value=0,
                                                    step=1, key=f"tp_slice_{key}_{d}"))
        for d, n in enumerate(sizes)
    )
    st.markdown(f"`{ti.slice_text(name, leading)}`")
    show_values(ti.slice_2d(t, leading), f"{key}_slice")


def show_values(t: torch.Tensor, key: str) -> None:
    """A tensor of at most 2 dims: its values as a table when small, else statistics; then its figure."""
    frame = ti.values_frame(t)
    if frame is not None:
        st.dataframe(frame.rename(columns={"value": tr("value")}), width="stretch")
    else:
        st.dataframe([summary_row(t)], hide_index=True, width="stretch")
    label = figure_title(t)
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
    st.info(tr("Your tensors were made again from their recipes: this session had been disconnected, and its "
               "tensors released."), icon=":material/restart_alt:")


def run_and_keep(source: str, tensors: MutableMapping[str, Any]) -> None:
    """Run an expression with its numpy twin and keep the outcome: the result, or the error and its hint."""
    try:
        check(run_with_twin, source, dict(tensors))  # first in a worker under a hard time and memory budget
        value, twin, verdict = run_with_twin(source, tensors)
    except (ExplorerError, ValueError, TypeError, RuntimeError) as exc:
        st.session_state[RESULT_KEY] = {"source": source, "error": error_text(exc), "hint": hint_text(exc, lang())}
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
    st.subheader(tr("Last result"))
    st.code(result["source"], language="python")
    if "error" in result:
        st.error(result["error"])
        if result["hint"]:
            st.info(tr("**Hint:** {hint}", hint=result["hint"]))
        return
    value, twin, verdict = result["value"], result["twin"], result["verdict"]
    st.markdown("**PyTorch**")
    with friendly_errors(tr("Showing the result")):
        if isinstance(value, torch.Tensor):
            show_tensor(value, "result", "result")
        else:
            st.text(ti.value_text(value))
    st.markdown(tr("**numpy twin**"))
    if twin.code:
        st.code("import numpy as np\n" + twin.code, language="python")
    box = {EQUAL: st.success, CLOSE: st.success, NO_TWIN: st.info}.get(verdict.kind, st.warning)
    box(f"**{tr(verdict.kind)}** — {verdict.message}")
    for note in twin.notes:
        st.caption(tr("Why: {note}", note=note))
    if isinstance(value, torch.Tensor):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        keep = c1.text_input(tr("Keep the result as"), value=f"r{len(tensors)}", key="tp_keep_name", **KEPT)
        if c2.button(tr("Keep"), key="tp_keep"):
            with friendly_errors(tr("Keeping the result")):
                tf.check_name(keep, set(tensors))
                tensors[keep] = value
                specs[keep] = tf.TensorSpec(keep, source=result["source"])
                st.rerun()


# ---------------------------------------------------------------- the package's words, in the session's language
# The package (pytorch_explorer.tensors) writes English; these say the same in the learner's language, word for word
# the package's text in English (tests/i18n/test_zh_tensor_playground.py checks both).
def summary_row(t: torch.Tensor) -> dict[str, Any]:
    """ti.summary(t), its column names translated (elements, min, max, mean, ...)."""
    return {tr(key): value for key, value in ti.summary(t).items()}


def figure_title(t: torch.Tensor) -> str | None:
    """figure_label(t) in the session's language: what the figure of a tensor draws."""
    label = figure_label(t)
    if label is None:
        return None
    absolute = t.is_complex()
    if label.startswith("Heatmap"):
        kr, kc = block_size(tuple(t.shape))
        if (kr, kc) == (1, 1):
            return tr("Heatmap of |values|") if absolute else tr("Heatmap")
        sizes = {"kr": kr, "kc": kc, "rows": f"{t.shape[0]:,}", "cols": f"{t.shape[1]:,}"}
        if absolute:
            return tr("Heatmap of |values| of {kr} x {kc} block means ({rows} x {cols} cells)", **sizes)
        return tr("Heatmap of {kr} x {kc} block means ({rows} x {cols} cells)", **sizes)
    if label.startswith("Bars"):
        return tr("Bars of |values| (one per element)") if absolute else tr("Bars (one per element)")
    if absolute:
        return tr("Histogram of |values| (the distribution of the {n} values)", n=f"{t.numel():,}")
    return tr("Histogram (the distribution of the {n} values)", n=f"{t.numel():,}")


def broadcast_text(plan: ti.Broadcast) -> tuple[list[str], str]:
    """plan.steps (one line a dim, from the right) and plan.reason, in the session's language."""
    a, b = plan.shape_a, plan.shape_b
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    steps, clashes = [], []
    for i in reversed(range(n)):
        dim, x, y = i - n, pa[i], pb[i]
        if x == y:
            steps.append(tr("dim {dim}: {x} and {y} are equal → {x}", dim=dim, x=x, y=y))
        elif x == 1 or y == 1:
            who, big = ("a", y) if x == 1 else ("b", x)
            if i < n - len(a if who == "a" else b):
                steps.append(tr("dim {dim}: {who} has no such dim (counts as 1), so it is repeated {big} times → {big}",
                                dim=dim, who=who, big=big))
            else:
                steps.append(tr("dim {dim}: {who} is 1, so it is repeated {big} times → {big}", dim=dim, who=who, big=big))
        else:
            steps.append(tr("dim {dim}: {x} vs {y}: neither is 1, so they cannot be lined up ✗", dim=dim, x=x, y=y))
            clashes.append(tr("dim {dim} ({x} vs {y})", dim=dim, x=x, y=y))
    if plan.result is None:
        return steps, tr("{a} and {b} do not broadcast: at {clashes} the sizes differ and neither is 1. Sizes must be "
                         "equal, or one of them 1 (a missing leading dim counts as 1).", a=a, b=b, clashes=", ".join(clashes))
    return steps, tr("{a} and {b} broadcast to {out}.", a=a, b=b, out=plan.result)


def broadcast_table(plan: ti.Broadcast) -> Any:
    """plan.table() with its row and column names translated."""
    table = plan.table()
    table.columns = [tr("dim {dim}", dim=int(c.split()[-1])) for c in table.columns]
    return table.rename(index={"result": tr("result")})


def view_explanation(report: ti.ViewReport) -> str:
    """report.explanation in the session's language: the same object, a view, or a copy."""
    if report.same_object:
        return tr("`{expr}` returned x itself: the very same tensor object, so of course they change together.",
                  expr=report.expression)
    if report.shares_storage:
        return tr("`{expr}` is a view: it shares x's storage (same memory), with its own shape, strides and offset. "
                  "Writing through one is seen through the other.", expr=report.expression)
    return tr("`{expr}` made a copy: new storage. Changing one leaves the other alone.", expr=report.expression)


def param_label(name: str, kind: str) -> str:
    """The label of an operation's argument: its name as code, and what to type in it."""
    if kind in ("tensor", "tensor?", "bool", "choice", "dtype", "dtype?"):
        return f"`{name}`"
    if kind == "tensors":
        return tr("`{name}` (tensors)", name=name)
    if kind.endswith("?"):
        return tr("`{name}` ({kind}, empty for None)", name=name, kind=tr(kind.rstrip("?")))
    return tr("`{name}` ({kind})", name=name, kind=tr(kind))


PARAM_KINDS = ("int", "float", "shape", "number", "dims", "str", "literal")  # what the text boxes take (tr(kind))
