"""Tensor playground: make named tensors, apply catalogue ops or typed expressions, compare with numpy."""

import streamlit as st
import torch

from pytorch_explorer.core.bounded import shared_bounded
from pytorch_explorer.tensors import factory as tf
from pytorch_explorer.tensors import info as ti
from pytorch_explorer.core.devices import device_choices
from pytorch_explorer.tensors.catalogue import CATALOGUE, GROUPS, OPS, param_text, parse_value, search
from pytorch_explorer.tensors.guards import MAX_ELEMENTS
from ui import code_expander, friendly_errors
from ui.i18n import lang, tr
from ui.memory import drop_when_session_ends
from ui.settings import KEEP, choice, report_ignored, snapshot
from ui.tensor_playground import (
    SETTING_KEYS, broadcast_table, broadcast_text, kind_label, last_source, op_label, param_label, rebuild,
    run_and_keep, show_last_result, show_tensor, view_explanation, view_label,
)

shared_bounded().warm()  # the worker that checks expressions under a hard budget starts while the page draws
raw_query = snapshot()  # the settings in the address, before the controls take them

st.title(tr("Tensor playground"))
st.markdown(tr(
    "A **tensor** is PyTorch's n-dimensional array, and PyTorch has hundreds of operations on them, "
    "most with a near-identical **numpy twin**. Make some tensors, apply operations from the catalogue "
    "or type an expression, and see for yourself where PyTorch and numpy agree, and where they differ by design."
))
st.caption(tr("Size limit: a tensor here, made or computed, holds at most {n} elements.", n=f"{MAX_ELEMENTS:,}"))

url_note = st.container()  # filled at the end: a note on the address's values the controls could not take
url_keys, url_labels = list(SETTING_KEYS), {}   # and the settings of the operation chosen below
state = st.session_state
if "tp_specs" not in state:
    start = [tf.TensorSpec("a", "randn", (2, 3), seed=0),
             tf.TensorSpec("b", "literal", literal="[[1, 2, 3], [4, 5, 6]]", dtype="float32")]
    state.tp_specs = {s.name: s for s in start}
    state.tp_tensors = {s.name: tf.build(s) for s in start}
    state.tp_result = None
tensors: dict = state.tp_tensors
if state.tp_specs and not tensors:  # released when the session was last disconnected: made again from the recipes
    rebuild(state.tp_specs, tensors)
drop_when_session_ends(tensors)  # large tensors are not kept for a session that has gone


left, right = st.columns([2, 3], gap="large")

with left:
    st.subheader(tr("Your tensors"))
    with st.expander(tr("Create a tensor"), expanded=False):
        name = st.text_input(tr("Name"), value=f"x{len(tensors)}", key="tp_new_name", **KEEP)
        kind = choice(st.selectbox, tr("Made by"), tf.KINDS, index=tf.KINDS.index("randn"), key="tp_new_kind",
                      labels=kind_label)
        spec = tf.TensorSpec(name, kind)
        if kind == "literal":
            spec.literal = st.text_input(tr("Values"), value="[[1, 2], [3, 4]]", key="tp_new_literal", **KEEP)
        elif kind not in ("arange", "linspace"):
            shape_text = st.text_input(tr("Shape"), value="3, 4", key="tp_new_shape", **KEEP)
        if kind == "full":
            spec.fill_value = st.number_input(tr("Fill value"), value=1.0, key="tp_new_fill", **KEEP)
        if kind in ("arange", "linspace"):
            c1, c2, c3 = st.columns(3)
            spec.start = c1.number_input(tr("start"), value=0.0, key="tp_new_start", **KEEP)
            spec.end = c2.number_input(tr("end"), value=10.0 if kind == "arange" else 1.0, key="tp_new_end", **KEEP)
            if kind == "arange":
                spec.step = c3.number_input(tr("step"), value=1.0, key="tp_new_step", **KEEP)
            else:
                spec.steps = int(c3.number_input(tr("steps"), value=5, min_value=0, step=1, key="tp_new_steps", **KEEP))
        if kind == "randint":
            c1, c2 = st.columns(2)
            spec.low = int(c1.number_input(tr("low"), value=0, step=1, key="tp_new_low", **KEEP))
            spec.high = int(c2.number_input(tr("high (excluded)"), value=10, step=1, key="tp_new_high", **KEEP))
        c1, c2 = st.columns(2)
        default_dtype = "int64" if kind in ("randint", "arange") else "float32"
        spec.dtype = c1.selectbox("dtype", tf.DTYPES, index=tf.DTYPES.index(default_dtype), key=f"tp_new_dtype_{default_dtype}", **KEEP)
        devices = [d for d in device_choices() if d != "auto"]
        spec.device = c2.selectbox(tr("device"), devices, key="tp_new_device", **KEEP)
        c1, c2 = st.columns(2)
        spec.seed = int(c1.number_input(tr("seed"), value=0, step=1, key="tp_new_seed", **KEEP, disabled=kind not in tf.RANDOM_KINDS))
        spec.requires_grad = c2.checkbox("requires_grad", key="tp_new_grad", **KEEP)
        if st.button(tr("Create"), key="tp_create", type="primary"):
            with friendly_errors(tr("Creating the tensor")):
                if kind not in ("literal", "arange", "linspace"):
                    spec.shape = tf.parse_shape(shape_text)
                tf.check_name(name, set(tensors))
                tensors[spec.name] = tf.build(spec)
                state.tp_specs[spec.name] = spec
                st.success(tr("Made `{code}`", code=tf.creation_code(spec).splitlines()[-1]))
    for tname in list(tensors):
        with st.container(border=True):
            head, button = st.columns([5, 1], vertical_alignment="center")
            head.markdown(f"#### `{tname}`")
            if button.button("✕", key=f"tp_del_{tname}", help=tr("Delete {name}", name=tname)):
                del tensors[tname]
                state.tp_specs.pop(tname, None)
                st.rerun()
            show_tensor(tensors[tname], f"card_{tname}", tname)
    if not tensors:
        st.info(tr("No tensors yet: create one above."))

with right:
    st.subheader(tr("Do something"))
    names = list(tensors)
    tab_ops, tab_expr, tab_bcast, tab_views = st.tabs(
        [tr("Operation catalogue"), tr("Expression"), tr("Broadcasting"), tr("Views & copies")])
    with tab_ops:
        c1, c2 = st.columns([3, 2])
        query = c1.text_input(tr("Search"), key="tp_op_search", **KEEP, placeholder=tr("e.g. softmax, norm, transpose"))
        group = choice(c2.selectbox, tr("Group"), ("all",) + GROUPS, key="tp_op_group")
        found = search(query, None if group == "all" else group, lang())
        st.caption(tr("{n} of {total} operations", n=len(found), total=len(CATALOGUE)))
        if found:
            op = OPS[choice(st.selectbox, tr("Operation"), [o.name for o in found], key="tp_op", labels=op_label)]
            st.code(op.signature, language="python")
            st.caption(f"{tr(op.group)} · {tr(op.description)}")
            values = {}
            tensor_i = 0
            for p in op.params:
                key = f"tp_p_{op.name}_{p.name}"
                url_keys.append(key)
                label = param_label(p.name, p.kind)
                if p.kind in ("tensor", "tensor?"):
                    options = (["None"] if p.kind == "tensor?" else []) + names
                    pick = min(tensor_i, len(names) - 1) + (1 if p.kind == "tensor?" else 0)
                    values[p.name] = st.selectbox(label, options, index=max(pick, 0) if options else None, key=key, **KEEP)
                    tensor_i += 1
                    if values[p.name] == "None":
                        values[p.name] = None
                elif p.kind == "tensors":
                    url_labels[key] = str
                    values[p.name] = st.multiselect(label, names, default=names[:2], key=key, **KEEP)
                elif p.kind == "bool":
                    values[p.name] = st.checkbox(label, value=bool(op.start_value(p)), key=key, **KEEP)
                elif p.kind == "choice":
                    url_labels[key] = repr
                    values[p.name] = st.selectbox(label, p.choices, index=p.choices.index(op.start_value(p)), key=key, **KEEP,
                                                  format_func=repr)
                elif p.kind in ("dtype", "dtype?"):
                    start_dtype = op.start_value(p)
                    dtype_name = str(start_dtype).replace("torch.", "") if start_dtype is not None else "float64"
                    chosen = st.selectbox(label, tf.DTYPES, index=tf.DTYPES.index(dtype_name), key=key, **KEEP)
                    values[p.name] = getattr(torch, chosen)
                else:
                    values[p.name] = st.text_input(label, value=param_text(op, p), key=key, **KEEP)
            with friendly_errors(tr("That operation")):
                parsed = {p.name: parse_value(p, values[p.name]) for p in op.params}
                source = op.expression(parsed)
                st.code(source, language="python")
                if st.button(tr("Apply"), key="tp_apply", type="primary"):
                    run_and_keep(source, tensors)
    with tab_expr:
        st.caption(tr("Numbers, lists, your tensors, operators (+ - * / // % ** @), indexing and slicing, "
                      "and calls of torch functions and tensor methods. Nothing else runs."))
        source = st.text_input(tr("Expression"), value="a @ b.t() + 1", key="tp_expr", **KEEP)
        if st.button(tr("Evaluate"), key="tp_eval", type="primary"):
            run_and_keep(source, tensors)
    with tab_bcast:
        st.caption(tr("For a binary op, shapes line up from the right; each pair of sizes must be equal, or one of them 1."))
        c1, c2 = st.columns(2)
        first = tensors[names[0]].shape if names else (2, 3)
        second = tensors[names[1]].shape if len(names) > 1 else (3,)
        sa = c1.text_input(tr("shape of a"), value=", ".join(map(str, first)), key="tp_bc_a", **KEEP)
        sb = c2.text_input(tr("shape of b"), value=", ".join(map(str, second)), key="tp_bc_b", **KEEP)
        with friendly_errors(tr("Broadcasting")):
            plan = ti.broadcast(tf.parse_shape(sa), tf.parse_shape(sb))
            steps, reason = broadcast_text(plan)
            st.dataframe(broadcast_table(plan), width="stretch")
            st.markdown("\n".join(f"- {line}" for line in steps))
            (st.success if plan.result is not None else st.error)(reason)
    with tab_views:
        st.caption(tr("A view shares memory with the tensor it came from; a copy has its own. "
                      "This runs on a copy of your tensor, so your tensors stay as they are."))
        if names:
            c1, c2 = st.columns(2)
            base_name = c1.selectbox(tr("Tensor x"), names, key="tp_view_x", **KEEP)
            expr = choice(c2.selectbox, tr("Operation"), list(ti.VIEW_EXAMPLES), key="tp_view_expr", labels=view_label)
            c1, c2 = st.columns(2)
            in_place = c1.selectbox(tr("Then, in place"), ti.IN_PLACE_EXAMPLES, key="tp_view_inplace", **KEEP)
            target = choice(c2.radio, tr("on"), ["result", "x"], horizontal=True, key="tp_view_target")
            with friendly_errors(tr("That view")):
                report = ti.view_or_copy(tensors[base_name], expr, in_place, target)
                (st.info if report.shares_storage else st.success)(view_explanation(report))
                st.dataframe({"": ["x", "result"], tr("shape"): [str(report.base.shape), str(report.result.shape)],
                              tr("strides"): [str(report.base.strides), str(report.result.strides)],
                              tr("storage offset"): [report.base.storage_offset, report.result.storage_offset],
                              tr("contiguous"): [report.base.contiguous, report.result.contiguous]}, hide_index=True)
                other, call = "x" if target == "result" else "result", f"{target}.{in_place}"
                st.markdown(tr("After `{call}`: **{other} changed too**.", call=call, other=other) if report.other_changed
                            else tr("After `{call}`: **{other} did not change**.", call=call, other=other))
                c1, c2 = st.columns(2)
                c1.code(f"# x after\n{report.base_after}", language=None)
                c2.code(f"# result after\n{report.result_after}", language=None)

    show_last_result(tensors, state.tp_specs)

code_expander(tf.state_code(list(state.tp_specs.values()), last_source()), tr("PyTorch code"))

with url_note:
    report_ignored(raw_query, url_keys, url_labels)
