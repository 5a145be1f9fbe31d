"""The article's PyTorch code has defects; here they are listed, and measured in a finished run.

The lines themselves stand in :mod:`pytorch_explorer.toy.backprop` (``torch_article_backprop``),
each marked ``# DEFECT``; :func:`defect_evidence` reads what they did from the run's weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pytorch_explorer.i18n import translate
from pytorch_explorer.toy.backprop import numpy_activation
from pytorch_explorer.toy.settings import ToySettingsError, article_data
from pytorch_explorer.toy.training import ToyResult

ARTICLE_DEFECTS = [
    {
        "line": "output = sigmoid(output_layer_input1)",
        "defect": "The output uses output_layer_input1, the input *before* bout is added.",
        "effect": "The output bias is never used: the network it trains has no output bias, and "
                  "bout is updated every epoch but changes nothing, so it just drifts.",
    },
    {
        "line": "bout += d_output.sum() *lr",
        "defect": "Sums d_output over all axes into one scalar (numpy sums axis 0, keepdims).",
        "effect": "With one output unit the value is the same as numpy's; but bout is unused (above).",
    },
    {
        "line": "bh += d_output.sum() *lr",
        "defect": "Uses the output layer's error d_output instead of d_hiddenlayer.",
        "effect": "Every hidden bias gets the same scalar added each epoch: the output error, not "
                  "its own gradient. The hidden biases all move together, by the wrong amount.",
    },
    {
        "line": "print('predicted :\\n', output)",
        "defect": "The print statements sit inside the training loop.",
        "effect": "5000 prints. Harmless to the maths; the code shown here prints once, after the loop.",
    },
]


def article_defects(lang: str = "en") -> list[dict[str, str]]:
    """ARTICLE_DEFECTS with the defect and its effect in `lang` (the line is code: as it stands)."""
    return [{**d, "defect": translate(d["defect"], lang), "effect": translate(d["effect"], lang)}
            for d in ARTICLE_DEFECTS]


def defect_evidence(result: ToyResult) -> dict[str, Any]:
    """What the article's defects did in a finished torch-article run, from its weights."""
    if result.final is None:
        raise ToySettingsError("train the article's version first: there are no final weights yet.")
    bh_change = (result.final.bh - result.initial.bh)[0]
    X, _ = article_data()
    act, _ = numpy_activation(result.settings.activation)
    hidden = act(X @ result.final.wh + result.final.bh)
    return {
        "bout_initial": float(result.initial.bout[0, 0]),
        "bout_final": float(result.final.bout[0, 0]),
        "bh_change": [float(v) for v in bh_change],
        "bh_change_spread": float(bh_change.max() - bh_change.min()),
        # samples for which every hidden unit is switched off: with no output bias, the output
        # is then sigmoid(0) = 0.5 whatever the weights, and nothing can move it
        "stuck_samples": [i for i in range(len(X)) if np.max(np.abs(hidden[i])) < 1e-3],
    }
