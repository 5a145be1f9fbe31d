"""The code the compare page shows: scikit-learn and PyTorch that reproduce its numbers with the page's
current settings (a test runs it and compares with the package).

    baseline_code("knn", seed=0, source="bundled")   # load, split, fit, time, accuracy, metrics
    torch_metrics_code("bundled")                    # a trained `model`'s predictions, the same metrics
    map_code("t-SNE", points=1000, seed=0, with_model=True)   # the hook, the subset, the two maps
"""

from __future__ import annotations

from pytorch_explorer.compare.baselines import check_baseline
from pytorch_explorer.compare.embedding import TSNE_PCA_DIMS


def estimator_code(model: str, seed: int = 0) -> tuple[str, str]:
    """(the import line, the constructor call) of a baseline, from the same table fit_baseline builds from."""
    spec = check_baseline(model)
    cls = spec.estimator
    module = cls.__module__.split("._")[0]  # sklearn.linear_model._logistic -> sklearn.linear_model
    args = ", ".join(f"{k}={v!r}" for k, v in spec.kwargs(seed).items())
    return f"from {module} import {cls.__name__}", f"{cls.__name__}({args})"


def data_code(source: str = "bundled", val_fraction: float = 0.3) -> str:
    """Load the digits and split them as the trainer does."""
    return f"""import numpy as np
from pytorch_explorer.digits.data import load_digits

digits = load_digits({source!r})              # uint8 images (N, 28, 28) and their labels
X = digits.images.reshape(len(digits), -1).astype(np.float32) / 255.0   # pixels / 255, one row of 784 a digit
y = np.asarray(digits.labels, dtype=np.int64)
cut = int(len(X) * (1.0 - {val_fraction!r}))      # the article's split: first 70 % train, last 30 % validate
X_train, y_train, X_val, y_val = X[:cut], y[:cut], X[cut:], y[cut:]
"""


METRICS_CODE = """from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

val_acc = accuracy_score(y_val, predictions)            # as the article measures it
confusion = confusion_matrix(y_val, predictions)        # row: true digit, column: predicted digit
report = classification_report(y_val, predictions, output_dict=True, zero_division=0)  # per digit: precision, recall, F1
print(f"validation accuracy {val_acc:.4f}")
"""


def baseline_code(model: str, seed: int = 0, source: str = "bundled", val_fraction: float = 0.3) -> str:
    """Fit one baseline on the split, time it, and measure it with sklearn.metrics."""
    import_line, constructor = estimator_code(model, seed)
    return f"""import time
{import_line}
{data_code(source, val_fraction)}
estimator = {constructor}
start = time.perf_counter()
estimator.fit(X_train, y_train)
fit_seconds = time.perf_counter() - start
predictions = estimator.predict(X_val)
print(f"fit in {{fit_seconds:.2f}} s")
print(estimator.get_params())
{METRICS_CODE}"""


def torch_metrics_code(source: str = "bundled", val_fraction: float = 0.3) -> str:
    """A trained PyTorch `model` (784 inputs) on the same validation digits, judged with the same metrics."""
    return f"""import torch
{data_code(source, val_fraction)}
# model: your trained nn.Module (the Runs page's "Model (.pt)" and its load code)
model.eval()
with torch.no_grad():
    predictions = model(torch.from_numpy(X_val)).argmax(dim=1).numpy()
{METRICS_CODE}"""


def map_code(method: str, points: int, seed: int, with_model: bool, source: str = "bundled",
             val_fraction: float = 0.3) -> str:
    """The subset, the hidden features (a forward hook on the last nn.Linear) and the 2-D maps."""
    if method == "PCA":
        embed = """def embed(features):
    return PCA(n_components=2, svd_solver="full").fit_transform(features.astype(np.float64))
"""
    else:
        embed = f"""def embed(features):
    x = features.astype(np.float64)
    if x.shape[1] > {TSNE_PCA_DIMS} and len(x) > {TSNE_PCA_DIMS}:      # t-SNE reads 50 PCA dimensions
        x = PCA(n_components={TSNE_PCA_DIMS}, svd_solver="full").fit_transform(x)
    tsne = TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), init="pca", random_state={seed!r})
    return tsne.fit_transform(x)
"""
    hidden = """
# The hidden features: what the last nn.Linear receives (an MLP's hidden layer, a CNN's flattened features)
calls = []
hooks = [layer.register_forward_hook(lambda layer, inputs, output: calls.append(inputs[0].detach()))
         for layer in model.modules() if isinstance(layer, torch.nn.Linear)]
model.eval()
with torch.no_grad():
    predictions = model(torch.from_numpy(X_val[subset])).argmax(dim=1).numpy()
for hook in hooks:
    hook.remove()
features = calls[-1].reshape(len(subset), -1).numpy()
hidden_map = embed(features)
mistakes = predictions != y_val[subset]         # drawn as crosses
""" if with_model else ""
    return f"""import torch
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE
{data_code(source, val_fraction)}
subset = np.arange(len(X_val))
if len(subset) > {points!r}:                   # at most {points} digits on a map
    subset = np.sort(np.random.default_rng({seed!r}).choice(len(X_val), size={points!r}, replace=False))

{embed}
pixel_map = embed(X_val[subset])               # (N, 2): the raw pixels
{hidden}"""
