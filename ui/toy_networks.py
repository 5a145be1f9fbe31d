"""Streamlit glue for the Toy networks page: its controls and the views of its results.

Each function takes what it shows as arguments (no page globals); the numbers come from
`pytorch_explorer.toy`, which has the tests. The page (pages/toy_networks.py) calls these.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy import figures as toy_figures
from pytorch_explorer.toy import speed as toy_speed
from pytorch_explorer.toy.defects import article_defects, defect_evidence
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
    short_title,
)
from pytorch_explorer.toy.training import ToyResult, predictions_rows, summary_rows
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

LR_CHOICES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
INIT_TITLES = {"uniform": "uniform [0, 1) (numpy's code)", "normal": "normal (torch.randn)"}
OPTIMIZER_TITLES = {"sgd": "SGD", "adam": "Adam"}
# The page's settings: each is a control bound to the URL (ui.settings.KEEP, or ui.settings.choice for those whose
# options are words: the URL holds the option, its label is translated), so a reload or a shared link opens the same.
SETTING_KEYS = ["toy_epochs", "toy_lr", "toy_hidden", "toy_seed", "toy_init", "toy_activation", "toy_optimizer",
                "toy_dtype", "toy_same_init", "toy_impls", "toy_code_impl", "toy_align_with", "toy_speed_tiny",
                "toy_speed_large"]
ALIGNED_WIDTH = 45   # characters that fit a half-width code column at the 1400 px viewport the browser tests use


# ---------------------------------------------------------------- the article's network
def toy_settings_controls() -> ToySettings:
    """The sliders and boxes of the first tab, as ToySettings (the article's by default)."""
    c1, c2, c3, c4 = st.columns(4)
    epochs = c1.slider(tr("Epochs"), 100, 20000, 5000, step=100, key="toy_epochs", **KEEP)
    lr = c1.select_slider(tr("Learning rate"), LR_CHOICES, value=0.1, key="toy_lr", **KEEP)
    hidden = c2.slider(tr("Hidden units"), 1, 16, 3, key="toy_hidden", **KEEP)
    seed = c2.number_input(tr("Seed"), 0, 10_000, 0, key="toy_seed", **KEEP)
    init = choice(c3.selectbox, tr("Initial weights"), INITS, labels=INIT_TITLES, key="toy_init")
    activation = c3.selectbox(tr("Hidden activation"), ACTIVATIONS, key="toy_activation", **KEEP)
    optimizer = choice(c4.selectbox, tr("Optimizer (version 5)"), OPTIMIZERS, labels=OPTIMIZER_TITLES,
                       key="toy_optimizer")
    dtype = c4.selectbox(tr("Precision"), DTYPES, key="toy_dtype", **KEEP,
                         help=tr("numpy computes in float64 by default, PyTorch in float32."))
    same = st.checkbox(
        tr("Same initial weights for all, so that differences come only from the code"), value=True,
        key="toy_same_init", **KEEP,
        help=tr("Off: each version draws its own (numpy: np.random, torch: torch.rand/randn, nn: nn.Linear's default)."),
    )
    return ToySettings(epochs=int(epochs), lr=float(lr), hidden=int(hidden), seed=int(seed), init=init,
                       activation=activation, optimizer=optimizer, dtype=dtype, same_init=same)


def show_loss_curves(slot: Any, results: dict[str, ToyResult], key: str | None = None) -> None:
    """The loss curves of every run so far, drawn into `slot` (an st.empty())."""
    figure = toy_figures.loss_curves_figure({impl: r.losses for impl, r in results.items()},
                                            epochs={impl: r.curve[0] for impl, r in results.items()}, lang=lang())
    slot.plotly_chart(figure, key=key)


def show_results(results: dict[str, ToyResult]) -> None:
    """Each version's predictions against y, and a summary of how well it fits."""
    language = lang()
    titles = {impl: short_title(impl, language) for impl in SHORT_TITLES}
    predictions = {impl: r.predictions for impl, r in results.items() if r.predictions is not None}
    table = pd.DataFrame(predictions_rows(predictions)).rename(columns=titles)
    st.markdown(tr("**Predictions after training** (the output of the last forward pass) against y"))
    st.dataframe(table, hide_index=True, key="toy_predictions",
                 column_config={t: st.column_config.NumberColumn(format="%.4f") for t in titles.values()})
    st.dataframe(pd.DataFrame(summary_rows(results, titles, lang=language)), hide_index=True, key="toy_summary")


def show_defects(result: ToyResult) -> None:
    """What the article's defects did in a finished torch-article run, and the list of them."""
    evidence = defect_evidence(result)
    st.markdown(tr("**What the article's defects did in this run** (version 2's weights)"))
    st.markdown(
        tr("- `bout` went from {initial} to {final}, and never changed the output: the forward pass skips it.",
           initial=f"{evidence['bout_initial']:.4f}", final=f"{evidence['bout_final']:.4f}") + "\n"
        + tr("- Every hidden bias moved by the same amount: {changes} (spread {spread}). A scalar, the output's "
             "summed error, was added to all of them.", changes=", ".join(f"{v:+.4f}" for v in evidence["bh_change"]),
             spread=f"{evidence['bh_change_spread']:.1e}")
    )
    for i in evidence["stuck_samples"]:
        st.warning(tr(
            "Stuck: for X = {x} every hidden unit is switched off (the shared push on the hidden biases drove them "
            "to about {bias}), and with no output bias the output can only be sigmoid(0) = 0.5 (here {output}). "
            "The corrected version does not do this.", x=ARTICLE_X[i], bias=f"{np.mean(result.final.bh):.1f}",
            output=f"{result.predictions.ravel()[i]:.4f}"))
    if not evidence["stuck_samples"] and result.settings.activation == "sigmoid":
        st.caption(tr("Here it still fits these three points. Try seed 1: its hidden units switch off for one sample."))
    st.markdown("\n".join(tr("- `{line}`: {defect} {effect}", **d) for d in article_defects(lang())))


def aligned_view(settings: ToySettings) -> None:
    """numpy's code beside a torch version's, line n beside line n, and the same as a table."""
    st.subheader(tr("numpy and PyTorch, line by line"))
    against = choice(st.radio, tr("Compare numpy with"), ["torch-article", "torch-fixed"], labels=IMPLEMENTATION_TITLES,
                     horizontal=True, key="toy_align_with")
    counts = Counter(r["same"] for r in toy_code.aligned_rows(settings, against))
    st.caption(tr("Line n on the left is the twin of line n on the right: {identical} lines are identical, {library} "
                  "differ only in the library's spelling (np.dot / torch.mm, .T / .t()), {defects} are defects.",
                  identical=counts["="], library=counts["~"], defects=counts["!"]))
    numpy_text, torch_text = toy_code.aligned_columns(settings, against, width=ALIGNED_WIDTH)
    left, right = st.columns(2)   # long lines are broken in Python's way, and their twins padded to match
    left.code(numpy_text, language="python", line_numbers=True, wrap_lines=True)
    right.code(torch_text, language="python", line_numbers=True, wrap_lines=True)
    with st.expander(tr("The same, as a table of line pairs")):
        rows = pd.DataFrame(toy_code.aligned_table(settings, against, lang()))
        same, defect = rows.columns[2], tr("DEFECT")
        styled = rows.style.apply(
            lambda r: ["background-color: #fde0dd" if r[same] == defect else ""] * len(r), axis=1)
        st.dataframe(styled, hide_index=True, key="toy_aligned")


# ---------------------------------------------------------------- speed
def show_speed(rows: list[dict[str, Any]]) -> None:
    """The measured rows (SpeedRow.as_dict()) as a table, a figure and a reading, in the session's language."""
    language = lang()
    table = pd.DataFrame(rows)
    table["problem"] = [toy_speed.problem_name(p, language) for p in table["problem"]]
    table = table.rename(columns={"problem": tr("problem"), "library": tr("library"), "device": tr("device"),
                                  "epochs": tr("epochs timed")})
    st.dataframe(table, hide_index=True, key="toy_speed_table",
                 column_config={"ms_per_epoch": st.column_config.NumberColumn(tr("ms per epoch"), format="%.4f")})
    st.plotly_chart(toy_figures.speed_figure(rows, language), key="toy_speed_chart")
    st.markdown(toy_speed.speed_note([toy_speed.SpeedRow(**r) for r in rows], language))


# ---------------------------------------------------------------- gradient check
def show_gradient_check(check: GradientCheck) -> None:
    """The differences from autograd, a verdict on each version, and the article's bias gradients."""
    language = lang()
    table = pd.DataFrame(check.table(language))
    st.dataframe(table, hide_index=True, key="toy_gradient_table",
                 column_config={c: st.column_config.NumberColumn(format="%.2e") for c in table.columns[1:]})
    worst = check.worst_correct()
    if worst < 1e-6:
        st.success(tr("numpy and corrected torch: every gradient equals autograd's to within {worst}.",
                      worst=f"{worst:.1e}"))
    else:
        st.error(tr("numpy or corrected torch differ from autograd by {worst}.", worst=f"{worst:.1e}"))
    article = check.max_abs_diff("torch-article", against_no_bout=True)
    st.warning(tr(
        "The article's torch code: even against the network it actually computes (no bout), its bias gradients "
        "are wrong (bh off by up to {bh}, bout by {bout}), while wh and wout match ({match}). Against the network "
        "as meant (with bout) every gradient is off, because its forward pass is a different network.",
        bh=f"{article['bh']:.2e}", bout=f"{article['bout']:.2e}", match=f"{max(article['wh'], article['wout']):.1e}"))
    st.markdown(tr("**The article's bias gradients, entry by entry**"))
    st.dataframe(pd.DataFrame(check.article_bias_rows(language)), hide_index=True, key="toy_bias_table")
