"""The scikit-learn baselines: the command's accuracy is what the same estimator fitted directly gets, on the
trainer's split; the code the page shows builds the same estimator and reproduces the accuracy."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier

from threadpoolctl import threadpool_limits

from pytorch_explorer.cli import main
from pytorch_explorer.compare import BASELINES, build_estimator, fit_baseline, split_digits
from pytorch_explorer.compare.code import baseline_code, estimator_code
from pytorch_explorer.digits.data import DigitDataset, load_digits

DIRECT = {  # the estimators as a learner would write them, independently of the package's table
    "logreg": lambda seed: LogisticRegression(max_iter=100, tol=1e-3),
    "knn": lambda seed: KNeighborsClassifier(n_neighbors=3),
    "mlp": lambda seed: MLPClassifier(hidden_layer_sizes=(100,), early_stopping=True, max_iter=60, random_state=seed),
}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Results, not speed: one BLAS/OpenMP thread (many threads crawl on 2 cores shared by many)."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def digits() -> DigitDataset:
    return load_digits("bundled")


@pytest.fixture(scope="module")
def split(digits):
    return split_digits(digits)


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def test_the_split_is_the_trainers_first_70_and_last_30_percent(digits, split):
    assert (split.train_size, split.val_size) == (3500, 1500)
    np.testing.assert_array_equal(split.x_train[0], digits.images[0].reshape(-1) / np.float32(255))
    np.testing.assert_array_equal(split.y_val, digits.labels[3500:])
    np.testing.assert_array_equal(split.val_images, digits.images[3500:])
    assert split.x_train.dtype == np.float32 and split.x_train.max() <= 1.0


@pytest.mark.parametrize("model", ["logreg", "knn", "mlp"])
def test_the_command_matches_the_same_estimator_fitted_directly(model, split):
    code, out = run_cli("digits", "baseline", "--model", model, "--source", "bundled", "--json")
    assert code == 0
    reported = json.loads(out.strip().splitlines()[-1])
    assert {"model", "source", "train_size", "val_size", "val_acc", "fit_seconds", "params"} <= set(reported)
    assert (reported["model"], reported["source"]) == (model, "bundled")
    assert (reported["train_size"], reported["val_size"]) == (3500, 1500)
    assert reported["fit_seconds"] >= 0
    direct = DIRECT[model](0).fit(split.x_train, split.y_train)
    expected = float((direct.predict(split.x_val) == split.y_val).mean())
    assert abs(reported["val_acc"] - expected) <= 0.01
    assert reported["val_acc"] > 0.85  # all three are real classifiers, far above chance (0.1)


@pytest.mark.parametrize("model", list(BASELINES))
def test_the_package_and_the_shown_code_build_the_same_estimator(model):
    import_line, constructor = estimator_code(model, seed=7)
    namespace: dict = {}
    exec(import_line, namespace)  # noqa: S102 - the code the page shows, run as a learner would
    shown = eval(constructor, namespace)  # noqa: S307
    assert shown.get_params() == build_estimator(model, seed=7).get_params() == DIRECT[model](7).get_params()


def test_the_shown_baseline_code_reproduces_the_packages_accuracy(split):
    result = fit_baseline("knn", split)
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(baseline_code("knn", seed=0, source="bundled"), namespace)  # noqa: S102
    assert namespace["val_acc"] == pytest.approx(result.val_acc, abs=1e-12)
    np.testing.assert_array_equal(namespace["predictions"], result.predictions)
    assert namespace["report"]["accuracy"] == pytest.approx(result.val_acc)


def test_a_result_says_what_was_fitted(split):
    result = fit_baseline("knn", split)
    summary = result.summary()
    json.dumps(summary)  # JSON-safe
    assert summary["params"]["n_neighbors"] == 3 and summary["estimator"] == "KNeighborsClassifier"
    assert result.predictions.shape == (1500,)
    assert result.val_acc == pytest.approx(float((result.predictions == split.y_val).mean()))


def test_the_text_output_and_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["digits", "baseline", "--model", "svm"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["digits", "baseline", "--model", "knn", "--seed", "-1"])
    assert "seed" in capsys.readouterr().err
    with pytest.raises(ValueError, match="Unknown baseline"):
        build_estimator("forest")
    with pytest.raises(ValueError, match="seed"):
        build_estimator("mlp", seed=2**40)
