"""Digits: compare. The digit models beside scikit-learn's classic classifiers, measured the same way.

- baselines: logistic regression, k-nearest neighbours and scikit-learn's MLPClassifier fitted on the
  torch runs' split (the first 70 % of the digits train, the last 30 % validate), timed (`fit_baseline`);
- metrics: accuracy, confusion matrix and per-class precision/recall/F1 with `sklearn.metrics`, for a
  baseline's predictions or a torch model's (`predict_torch`);
- embedding: what a model's hidden layer learned: the input of its last `nn.Linear` (a forward hook, so
  an MLP and a CNN alike), mapped to 2-D with PCA or t-SNE beside the same map of the raw pixels;
- figures: the Plotly figures of the page (maps, confusion matrix, accuracy against fit time);
- runs: a fitted baseline kept as a run of kind "baseline" in the run store (the Runs page lists it);
- code: the scikit-learn / PyTorch code the page shows, which reproduces its numbers.

    split = split_digits(load_digits("bundled"))
    result = fit_baseline("logreg", split, seed=0)      # result.val_acc, result.fit_seconds, result.params
    metrics = classification_metrics(split.y_val, result.predictions)
    maps = compute_maps(split, model=None, method="PCA", points=1000, seed=0)   # raw pixels only
"""

from pytorch_explorer.compare.baselines import (BASELINES, BaselineResult, DigitSplit, build_estimator, fit_baseline,
                                                split_digits)
from pytorch_explorer.compare.embedding import (METHODS, EmbeddingMaps, compute_maps, embed_2d, embedding_steps,
                                                hidden_features, subset_indices)
from pytorch_explorer.compare.metrics import ClassMetrics, classification_metrics, predict_torch, report_rows

__all__ = ["BASELINES", "METHODS", "BaselineResult", "ClassMetrics", "DigitSplit", "EmbeddingMaps", "build_estimator",
           "classification_metrics", "compute_maps", "embed_2d", "embedding_steps", "fit_baseline", "hidden_features",
           "predict_torch", "report_rows", "split_digits", "subset_indices"]
