"""Digits: compare. scikit-learn baselines beside the PyTorch runs, per-class metrics with sklearn.metrics, and
2-D maps of what a model's hidden layer learned (PCA or t-SNE) beside the same map of the raw pixels.

The widgets and session keys (all `dc_*`) live in ui/digits_compare.py; the numbers, figures and shown code
in pytorch_explorer.compare. Baselines are kept as runs of kind "baseline" (the Runs page lists them); the
torch models come from the workspace's model shelf.
"""

from __future__ import annotations

import streamlit as st

from pytorch_explorer.compare import code as compare_code
from pytorch_explorer.core.text import as_code
from ui import code_expander, friendly_errors, model_shelf, settings
from ui import digits_compare as view
from ui.i18n import tr
from ui.workspace import run_store, workspace

raw_query = settings.snapshot()
st.title(tr("Digits: compare"))
st.write(tr(
    "Is the digit MLP any good? Measure it against the classics. Fit **logistic regression**, **k-nearest "
    "neighbours** and scikit-learn's own **MLPClassifier** on exactly the digits your PyTorch runs train on "
    "(the first 70 %; the last 30 % validate), and compare accuracy and time. Then look closer: which digits "
    "each classifier confuses (`sklearn.metrics`), and a map of the validation digits as the model's hidden "
    "layer sees them, beside the same map of their raw pixels."
))
store, ws, shelf = run_store(), workspace(), model_shelf()
view.show_flash()

# ----------------------------------------------------------------------------- load: the digits, split
source, seed = view.data_controls(shelf)
split = None
with friendly_errors(tr("Loading those digits")):
    split = view.digit_split(source)
if split is None:
    code_expander(compare_code.baseline_code(st.session_state.get("dc_model", "logreg"), seed, source),
                  tr("scikit-learn code"))
    settings.report_ignored(raw_query, view.KEPT)
    st.stop()
st.caption(tr("{train} training digits, {val} validation digits from {source}.", train=f"{split.train_size:,}",
              val=f"{split.val_size:,}", source=as_code(source)))

# ----------------------------------------------------------------------------- baselines, metrics, maps
tab_baselines, tab_metrics, tab_maps = st.tabs([tr("Baselines"), tr("Per-class metrics"),
                                               tr("What the hidden layer learned")])
with tab_baselines, friendly_errors(tr("Fitting that baseline")):
    view.baseline_panel(store, ws, split, seed)
with tab_metrics, friendly_errors(tr("Measuring that model")):
    st.write(tr("The same three measurements for any classifier: `accuracy_score` (what the article reports), the "
                "`confusion_matrix` (which digit is taken for which) and `classification_report` (precision, recall "
                "and F1 per digit), all on the validation digits."))
    view.metrics_panel(shelf, split, seed)
trained, method, points = None, "PCA", 1000  # what the shown code uses if the maps cannot be drawn
with tab_maps, friendly_errors(tr("Drawing the maps")):
    st.write(tr("Each validation digit is a point. On the left, placed by its raw pixels; on the right, by the "
                "activations of the model's last hidden layer (the input of its last `nn.Linear`, read with a "
                "forward hook). Training pulls the classes apart: clusters that overlap in pixel space separate "
                "in the hidden layer, and the model's mistakes (×) sit where they still touch."))
    trained, method, points = view.map_controls(shelf)
    maps = view.maps_for(split, trained, shelf, method, points, seed)
    view.show_maps(maps, split, trained)

# ----------------------------------------------------------------------------- the code behind it
model = st.session_state.get("dc_model", "logreg")
code_expander(compare_code.baseline_code(model, seed, source), tr("scikit-learn code: the baseline and its metrics"))
code_expander(compare_code.torch_metrics_code(source), tr("PyTorch code: a trained model's metrics"))
code_expander(compare_code.map_code(method, points, seed, trained is not None, source),
              tr("PyTorch + scikit-learn code: the maps"))
settings.report_ignored(raw_query, view.KEPT)
