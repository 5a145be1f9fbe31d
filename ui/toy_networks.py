"""Streamlit glue for the Toy networks page: its controls and the views of its results.

Each function takes what it shows as arguments (no page globals); the numbers come from
`pytorch_explorer.toy`, which has the tests. The page (pages/toy_networks.py) calls these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy import figures as toy_figures
from pytorch_explorer.toy.defects import ARTICLE_DEFECTS, defect_evidence
from pytorch_explorer.toy.gradcheck import GradientCheck
from pytorch_explorer.toy.settings import (
    ACTIVATIONS,
    ARTICLE_X,
    DTYPES,
    IMPLEMENTATION_TITLES,
    INITS,
    OPTIMIZERS,
    SHORT_TITLES,
    ToySettings,
)
from pytorch_explorer.toy.training import ToyResult, predictions_rows, summary_rows
from ui.settings import KEEP

LR_CHOICES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
INIT_TITLES = {"uniform": "uniform [0, 1) (numpy's code)", "normal": "normal (torch.randn)"}
# The page's settings: each is a control bound to the URL (ui.settings.KEEP), so a reload or a shared link opens
# the same; URL_LABELS: how the URL spells those shown through a format_func (by what the learner sees).
SETTING_KEYS = ["toy_epochs", "toy_lr", "toy_hidden", "toy_seed", "toy_init", "toy_activation", "toy_optimizer",
                "toy_dtype", "toy_same_init", "toy_impls", "toy_code_impl", "toy_align_with", "toy_speed_tiny",
                "toy_speed_large"]
URL_LABELS = {"toy_init": INIT_TITLES.get, "toy_optimizer": str.upper, "toy_impls": IMPLEMENTATION_TITLES.get,
              "toy_code_impl": IMPLEMENTATION_TITLES.get, "toy_align_with": IMPLEMENTATION_TITLES.get}
ALIGNED_WIDTH = 45   # characters that fit a half-width code column at the 1400 px viewport the browser tests use


# ---------------------------------------------------------------- the article's network
def toy_settings_controls() -> ToySettings:
    """The sliders and boxes of the first tab, as ToySettings (the article's by default)."""
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.slider("Epochs", 100, 20000, 5000, step=100, key="toy_epochs", **KEEP)
    lr = c1.select_slider("Learning rate", LR_CHOICES, value=0.1, key="toy_lr", **KEEP)
    hidden = c2.slider("Hidden units", 1, 16, 3, key="toy_hidden", **KEEP)
    seed = c2.number_input("Seed", 0, 10_000, 0, key="toy_seed", **KEEP)
    init = c3.selectbox("Initial weights", INITS, key="toy_init", **KEEP,
                        format_func=INIT_TITLES.get)
    activation = c3.selectbox("Hidden activation", ACTIVATIONS, key="toy_activation", **KEEP)
    optimizer = c4.selectbox("Optimizer (version 5)", OPTIMIZERS, key="toy_optimizer", **KEEP, format_func=str.upper)
    dtype = c4.selectbox("Precision", DTYPES, key="toy_dtype", **KEEP,
                         help="numpy computes in float64 by default, PyTorch in float32.")
    same = st.checkbox(
        "Same initial weights for all, so that differences come only from the code", value=True, key="toy_same_init", **KEEP,
        help="Off: each version draws its own (numpy: np.random, torch: torch.rand/randn, nn: nn.Linear's default).",
    )
    return ToySettings(epochs=int(epochs), lr=float(lr), hidden=int(hidden), seed=int(seed), init=init,
                       activation=activation, optimizer=optimizer, dtype=dtype, same_init=same)


def show_loss_curves(slot: Any, results: dict[str, ToyResult], key: str | None = None) -> None:
    """The loss curves of every run so far, drawn into `slot` (an st.empty())."""
    figure = toy_figures.loss_curves_figure({impl: r.losses for impl, r in results.items()},
                                            epochs={impl: r.curve[0] for impl, r in results.items()})
    slot.plotly_chart(figure, key=key)


def show_results(results: dict[str, ToyResult]) -> None:
    """Each version's predictions against y, and a summary of how well it fits."""
    predictions = {impl: r.predictions for impl, r in results.items() if r.predictions is not None}
    table = pd.DataFrame(predictions_rows(predictions)).rename(columns=SHORT_TITLES)
    st.markdown("**Predictions after training** (the output of the last forward pass) against y")
    st.dataframe(table, hide_index=True, key="toy_predictions",
                 column_config={t: st.column_config.NumberColumn(format="%.4f") for t in SHORT_TITLES.values()})
    st.dataframe(pd.DataFrame(summary_rows(results, SHORT_TITLES)), hide_index=True, key="toy_summary")


def show_defects(result: ToyResult) -> None:
    """What the article's defects did in a finished torch-article run, and the list of them."""
    evidence = defect_evidence(result)
    st.markdown("**What the article's defects did in this run** (version 2's weights)")
    st.markdown(
        f"- `bout` went from {evidence['bout_initial']:.4f} to {evidence['bout_final']:.4f}, and never "
        "changed the output: the forward pass skips it.\n"
        f"- Every hidden bias moved by the same amount: {', '.join(f'{v:+.4f}' for v in evidence['bh_change'])} "
        f"(spread {evidence['bh_change_spread']:.1e}). A scalar, the output's summed error, was added to all of them."
    )
    for i in evidence["stuck_samples"]:
        st.warning(
            f"Stuck: for X = {ARTICLE_X[i]} every hidden unit is switched off (the shared push on the hidden "
            f"biases drove them to about {np.mean(result.final.bh):.1f}), and with no output bias the output can "
            f"only be sigmoid(0) = 0.5 (here {result.predictions.ravel()[i]:.4f}). The corrected version does not do this."
        )
    if not evidence["stuck_samples"] and result.settings.activation == "sigmoid":
        st.caption("Here it still fits these three points. Try seed 1: its hidden units switch off for one sample.")
    st.markdown("\n".join(f"- `{d['line']}`: {d['defect']} {d['effect']}" for d in ARTICLE_DEFECTS))


def aligned_view(settings: ToySettings) -> None:
    """numpy's code beside a torch version's, line n beside line n, and the same as a table."""
    st.subheader("numpy and PyTorch, line by line")
    against = st.radio("Compare numpy with", ["torch-article", "torch-fixed"], format_func=IMPLEMENTATION_TITLES.get,
                       horizontal=True, key="toy_align_with", **KEEP)
    rows = pd.DataFrame(toy_code.aligned_rows(settings, against))
    rows["same"] = rows["same"].map(toy_code.SAME_LABELS)
    counts = rows["same"].value_counts()
    st.caption(f"Line n on the left is the twin of line n on the right: {counts.get('identical', 0)} lines are "
               f"identical, {counts.get('library differs', 0)} differ only in the library's spelling "
               f"(np.dot / torch.mm, .T / .t()), {counts.get('DEFECT', 0)} are defects.")
    numpy_text, torch_text = toy_code.aligned_columns(settings, against, width=ALIGNED_WIDTH)
    left, right = st.columns(2)   # long lines are broken in Python's way, and their twins padded to match
    left.code(numpy_text, language="python", line_numbers=True, wrap_lines=True)
    right.code(torch_text, language="python", line_numbers=True, wrap_lines=True)
    with st.expander("The same, as a table of line pairs"):
        styled = rows.style.apply(
            lambda r: ["background-color: #fde0dd" if r["same"] == "DEFECT" else ""] * len(r), axis=1)
        st.dataframe(styled, hide_index=True, key="toy_aligned")


# ---------------------------------------------------------------- gradient check
def show_gradient_check(check: GradientCheck) -> None:
    """The differences from autograd, a verdict on each version, and the article's bias gradients."""
    table = pd.DataFrame(check.table())
    st.dataframe(table, hide_index=True, key="toy_gradient_table",
                 column_config={c: st.column_config.NumberColumn(format="%.2e") for c in table.columns[1:]})
    worst = check.worst_correct()
    if worst < 1e-6:
        st.success(f"numpy and corrected torch: every gradient equals autograd's to within {worst:.1e}.")
    else:
        st.error(f"numpy or corrected torch differ from autograd by {worst:.1e}.")
    article = check.max_abs_diff("torch-article", against_no_bout=True)
    st.warning(
        f"The article's torch code: even against the network it actually computes (no bout), its bias "
        f"gradients are wrong (bh off by up to {article['bh']:.2e}, bout by {article['bout']:.2e}), while wh and "
        f"wout match ({max(article['wh'], article['wout']):.1e}). Against the network as meant (with bout) "
        "every gradient is off, because its forward pass is a different network."
    )
    st.markdown("**The article's bias gradients, entry by entry**")
    st.dataframe(pd.DataFrame(check.article_bias_rows()), hide_index=True, key="toy_bias_table")
