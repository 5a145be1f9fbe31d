"""What a new learner trips over on the Toy networks page (issue 13): the metrics line before any
training, code cut off in narrow columns, and a learning rate too high with no word about it.
Package first, then the page (AppTest); the browser test of the columns is in
test_toy_networks_page.py."""

from __future__ import annotations

import ast

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from pytorch_explorer.toy import code as toy_code
from pytorch_explorer.toy.playground import PlaygroundSettings, PlaygroundTrainer, status_line, training_hint
from pytorch_explorer.toy.settings import IMPLEMENTATIONS, ToySettings

PAGE = str(ROOT / "pages/toy_networks.py")
WIDTH = 45


def trained(steps: int = 500, **changes) -> PlaygroundTrainer:
    trainer = PlaygroundTrainer(PlaygroundSettings(**changes))
    for _ in trainer.train(steps, steps):
        pass
    return trainer


# ----------------------------------------------------------------------------- the metrics line
def test_status_line_before_training_says_so_and_shows_no_nan():
    line = status_line(PlaygroundTrainer(PlaygroundSettings()))
    assert "not trained yet" in line and "nan" not in line and "step 0" not in line


def test_status_line_after_training_shows_step_and_loss():
    trainer = trained(20)
    assert status_line(trainer).startswith("**step 20** · loss ")


# ----------------------------------------------------------------------------- the learning-rate hint
def test_adam_at_lr_3_on_the_spiral_is_called_too_high():
    trainer = trained(dataset="spiral", lr=3.0, optimizer="adam")
    assert trainer.accuracy <= 0.55                                      # the run the issue saw: stuck at chance
    hint = training_hint(trainer.losses, 3.0, "adam")
    assert "too high" in hint and "0.03" in hint


@pytest.mark.parametrize("dataset", ["spiral", "xor"])
def test_a_healthy_run_gets_no_hint(dataset):
    trainer = trained(dataset=dataset, lr=0.03, optimizer="adam")
    assert training_hint(trainer.losses, 0.03, "adam") == ""


def test_a_slow_steady_run_is_called_too_low_not_too_high():
    trainer = trained(dataset="xor", lr=0.001, optimizer="sgd")
    hint = training_hint(trainer.losses, 0.001, "sgd")
    assert "too low" in hint and "too high" not in hint


def test_a_diverged_or_young_run():
    assert "diverged" in training_hint([0.7, 5.0, float("nan")], 3.0, "sgd")
    assert training_hint([0.7] * 50, 3.0, "adam") == ""                # too early to judge
    assert training_hint([], 0.03) == ""


# ----------------------------------------------------------------------------- code that fits its column
@pytest.mark.parametrize("width", [30, 44, 60])
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_wrapped_code_is_the_same_program(impl, width):
    source = toy_code.implementation_code(impl, ToySettings())
    wrapped = "\n".join(piece for line in source.splitlines() for piece in toy_code.wrap_code_line(line, width))
    assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(source))


def test_wrap_code_line_breaks_where_python_allows():
    line = "    wh = torch.tensor(np.random.uniform(size=(inputlayer_neurons, hiddenlayer_neurons)), dtype=torch.float64)"
    pieces = toy_code.wrap_code_line(line, WIDTH)
    assert len(pieces) > 1 and all(len(p) <= WIDTH for p in pieces)
    assert pieces[1].startswith("        ")                              # continuation: 4 more
    assert "dtype=torch.float64" in "".join(pieces)                       # a keyword stays whole
    assert toy_code.wrap_code_line("x = 1", WIDTH) == ["x = 1"]
    assert toy_code.wrap_code_line("    out = sigmoid(z)  # <- DEFECT 1", 20)[0] == "    # ↓ DEFECT 1"


@pytest.mark.parametrize("against", ["torch-article", "torch-fixed"])
@pytest.mark.parametrize("settings", [ToySettings(), ToySettings(activation="tanh", dtype="float32", init="normal")])
def test_aligned_columns_fit_the_width_and_stay_twins(settings, against):
    numpy_text, torch_text = toy_code.aligned_columns(settings, against, width=WIDTH)
    left, right = numpy_text.splitlines(), torch_text.splitlines()
    assert len(left) == len(right)
    assert max(map(len, left + right)) <= WIDTH
    plain = toy_code.aligned_columns(settings, against)
    for wrapped, original in zip((numpy_text, torch_text), plain, strict=True):
        assert ast.dump(ast.parse(wrapped)) == ast.dump(ast.parse(original))
    assert "DEFECT 1" in torch_text if against == "torch-article" else "DEFECT" not in torch_text


# ----------------------------------------------------------------------------- the page
def test_page_says_not_trained_yet_then_hints_at_a_too_high_rate():
    at = AppTest.from_file(PAGE).run(timeout=60)
    assert not at.exception, at.exception
    assert any("not trained yet" in m.value for m in at.markdown)
    assert not any("loss nan" in m.value for m in at.markdown)
    at.selectbox(key="pg_dataset").set_value("spiral")
    at.select_slider(key="pg_lr").set_value(3.0)
    at.number_input(key="pg_steps").set_value(500)
    at.number_input(key="pg_every").set_value(500).run(timeout=60)
    at.button(key="pg_train").click().run(timeout=180)
    assert not at.exception, at.exception
    assert any("too high" in w.value for w in at.warning), [w.value for w in at.warning]
