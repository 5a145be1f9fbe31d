"""digits.mine.finetune: a copy of the model learns my digits; mixed keeps the old ones, mine-only forgets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pytorch_explorer.core.errors import DataError
from pytorch_explorer.digits import mine, probe
from pytorch_explorer.digits.data import DigitDataset, load_bundled
from pytorch_explorer.digits.models import TrainedModel
from pytorch_explorer.digits.probe import figures as figs
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from pytorch_explorer.runs import new_workspace_id


@pytest.fixture(scope="module")
def base(one_torch_thread) -> DigitDataset:
    return load_bundled()


@pytest.fixture(scope="module")
def trained(base):
    model = train_to_completion(TrainConfig(epochs=1, hidden=32, device="cpu"), base)
    model.name = "tiny"
    return model


def shifted(images: np.ndarray, by: int = 7) -> np.ndarray:
    """Digits moved `by` pixels down and right (what falls off is lost): a handwriting the model never saw."""
    out = np.zeros_like(images)
    out[:, by:, by:] = images[:, :-by, :-by]
    return out


@pytest.fixture(scope="module")
def my_digits(base) -> tuple[np.ndarray, np.ndarray]:
    return shifted(base.images[:40]), base.labels[:40]


def test_fine_tuning_raises_my_digits_accuracy_and_keeps_the_original(trained, base, my_digits):
    before = [p.detach().clone() for p in trained.model.parameters()]
    events = list(mine.fine_tune(trained, *my_digits, base, mine.FineTuneSettings(epochs=5, mode="mixed")))
    assert [e.kind for e in events] == ["start"] + ["epoch"] * 5 + ["done"]
    assert [e.epoch for e in events] == [0, 1, 2, 3, 4, 5, 5]
    result = events[-1].result
    direct = (probe.predict_many(trained, my_digits[0]).argmax(1) == my_digits[1]).mean()
    assert result.mine_before == pytest.approx(direct) and result.mine_before < 0.4
    assert result.mine_after >= result.mine_before + 0.4  # learnt the shifted digits
    assert result.val_after >= result.val_before - 0.02 and not result.forgot  # mixed: kept the old ones
    assert result.base_per_epoch == 2 * 7 * 40  # 40 digits repeated 7x (256 a epoch), twice as many old ones
    tuned = result.model
    assert tuned.model is not trained.model and tuned.name == "tiny + my digits" and tuned.source == "bundled"
    assert all(torch.equal(a, b) for a, b in zip(before, trained.model.parameters(), strict=True))  # untouched
    assert tuned.hyperparameters["fine_tune_mode"] == "mixed" and tuned.hyperparameters["hidden"] == 32
    assert tuned.metrics["mine_acc"] == result.mine_after and tuned.metrics["val_acc"] == result.val_after
    got = (probe.predict_many(tuned, my_digits[0]).argmax(1) == my_digits[1]).mean()
    assert got == pytest.approx(result.mine_after)
    history = events[-1].history
    assert [h["epoch"] for h in history] == list(range(6)) and history[0]["mine_acc"] == result.mine_before
    fig = figs.fine_tune_figure(history)
    assert [t.name for t in fig.data] == ["my digits", "validation digits"] and list(fig.data[1].x) == list(range(6))
    note = mine.forgetting_note(result)
    assert "training accuracy" in note and "kept what it knew" in note


def test_my_digits_only_forgets_and_the_note_says_why(trained, base, my_digits):
    result = mine.fine_tune_to_completion(trained, *my_digits, base, mine.FineTuneSettings(epochs=5, mode="mine"))
    assert result.base_per_epoch == 0
    assert result.mine_after > result.mine_before
    assert result.val_after < result.val_before - 0.05 and result.forgot
    assert "Catastrophic forgetting" in mine.forgetting_note(result)


def test_the_fine_tuned_model_goes_on_the_shelf_and_loads_back(trained, base, my_digits, store):
    result = mine.fine_tune_to_completion(trained, *my_digits, base, mine.FineTuneSettings(epochs=1))
    shelf = StoreShelf(store, new_workspace_id())
    shelf.add(trained, "a test")
    name = shelf.add(result.model, "fine-tuned on my digits", name=result.model.name)
    assert shelf.names() == ["tiny", "tiny + my digits"] and shelf.current.name == name
    again = StoreShelf(store, shelf.workspace).get(name)  # from its checkpoint (the metadata passes the checks)
    np.testing.assert_allclose(probe.predict(again, my_digits[0][0]), probe.predict(result.model, my_digits[0][0]),
                               atol=1e-6)
    assert shelf.rows()[-1]["how"] == "fine-tuned on my digits"


def test_a_cnn_fine_tunes_too(base, my_digits):
    from test_probe_conv import cnn_model

    cnn = cnn_model()
    result = mine.fine_tune_to_completion(cnn, *my_digits, base, mine.FineTuneSettings(epochs=1, batch_size=128))
    assert result.model.model is not cnn.model and 0 <= result.mine_after <= 1


def test_settings_and_empty_data_are_refused(trained, base):
    for bad in (dict(epochs=0), dict(epochs=51), dict(lr=0.0), dict(lr=float("nan")), dict(batch_size=0),
                dict(mode="all")):
        with pytest.raises(ValueError):
            mine.FineTuneSettings(**bad)
    with pytest.raises(DataError, match="no digits in my digits"):
        next(mine.fine_tune(trained, np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), base))


def test_base_digits_fall_back_when_the_models_own_are_missing(trained, base):
    got, note = mine.base_digits(trained, lambda: pytest.fail("not needed"))
    assert len(got) == len(base) and note == ""
    stranger = TrainedModel(trained.model, trained.config, {}, {}, "folder:/nowhere", "x")
    got, note = mine.base_digits(stranger, load_bundled)
    assert len(got) == 5000 and "folder:/nowhere" in note


@pytest.mark.parametrize("mode", ["mixed", "mine"])
def test_the_code_shown_on_the_page_gives_the_same_model(trained, base, my_digits, mode):
    chosen = mine.FineTuneSettings(epochs=2, mode=mode, seed=3)
    result = mine.fine_tune_to_completion(trained, *my_digits, base, chosen)
    cut = int(len(base) * 0.7)
    as_x = lambda images: torch.from_numpy(images).float().reshape(-1, 784) / 255  # noqa: E731
    namespace = {"model": trained.model, "mine_x": as_x(my_digits[0]), "mine_y": torch.from_numpy(my_digits[1]),
                 "base_x": as_x(base.images[:cut]), "base_y": torch.from_numpy(base.labels[:cut])}
    exec(mine.fine_tune_code(chosen), namespace)  # noqa: S102 - our own generated snippet, in a test
    for ours, theirs in zip(namespace["tuned"].parameters(), result.model.model.parameters(), strict=True):
        torch.testing.assert_close(ours, theirs, atol=1e-6, rtol=1e-5)
