"""The nn modules page through app.py: presets, the layer table, a bad architecture and its fix, the input
shape, train() vs eval(), the architecture in the URL, and the nn.Module twin."""

from __future__ import annotations

import pytest
from conftest import away_and_back, open_in_app, url_notes

from pytorch_explorer.modules.layers import PRESETS

PAGE = "pages/nn_modules.py"
CNN = PRESETS["A small CNN"]


def _open(query: dict | None = None):
    return open_in_app(PAGE, query, timeout=60)


def _frame(at, column: str):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


def _edit(at, edits: dict) -> None:
    """Edit the layer table as a learner would (AppTest feeds a data_editor's edits through its state)."""
    key = f"nn_layers_{at.session_state['nn_editor_version']}"
    at.session_state[key] = {"edited_rows": {}, "added_rows": [], "deleted_rows": [], **edits}
    at.run()
    assert not at.exception, at.exception


def test_opens_on_the_articles_model():
    at = _open()
    assert at.title[0].value == "nn modules" and not _errors(at)
    assert at.query_params["nn_arch"] == "Linear(784,500);ReLU();Linear(500,10)"
    assert at.text_input(key="nn_input").value == "4, 784"
    assert at.metric[0].value == "397,510"
    counts = _frame(at, "counted by hand")
    assert list(counts["parameters"]) == [392_500, 0, 5010]
    assert counts["counted by hand"][0] == "784 × 500 weights + 500 biases = 392,500"
    assert list(_frame(at, "output shape")["output shape"]) == ["(4, 500)", "(4, 500)", "(4, 10)"]
    assert any("register_forward_hook" in c.value for c in at.code)
    assert any("no Dropout or BatchNorm" in i.value for i in at.info)
    assert "nn.Linear(784, 500)," in at.code[-1].value  # the PyTorch code expander


def test_preset_change_and_input_shape_change():
    at = _open()
    at.selectbox(key="nn_preset").set_value("A small CNN").run()
    assert not at.exception and not _errors(at)
    assert at.query_params["nn_arch"] == CNN.spec and at.text_input(key="nn_input").value == "4, 1, 28, 28"
    assert list(_frame(at, "layer")["layer"])[:3] == ["Conv2d", "ReLU", "MaxPool2d"]  # the editor
    assert _frame(at, "counted by hand")["parameters"][0] == 156
    assert at.metric[0].value == f"{156 + 2416 + 2570:,}"
    at.text_input(key="nn_input").set_value("2, 1, 32, 32").run()
    assert not at.exception
    # 32x32 images: the Linear layer now gets 400 features, not 256 -> a message naming it, and a fix
    (message,) = _errors(at)
    assert message.startswith("Layer 7 (Linear(256, 10)) gets an input of shape (2, 400)")
    at.button(key="nn_fix").click().run()
    assert not _errors(at) and at.query_params["nn_arch"].endswith("Flatten();Linear(400,10)")
    shapes = _frame(at, "output shape")
    assert shapes["input shape"][0] == "(2, 1, 32, 32)" and shapes["output shape"].iloc[-1] == "(2, 10)"


def test_linear_after_conv_is_named_and_fixed():
    at = _open()
    at.selectbox(key="nn_preset").set_value("A mistake: Linear after Conv2d").run()
    assert not at.exception
    (message,) = _errors(at)
    assert message.startswith("Layer 2 (Linear(784, 10)) gets an input of shape (4, 6, 24, 24)")
    assert "Flatten()" in message
    assert list(_frame(at, "output shape")["output shape"]) == ["(4, 6, 24, 24)", "(4, 6, 24, 24)"]  # what fits
    assert any("Fix the model above" in i.value for i in at.info)
    fix = at.button(key="nn_fix")
    assert fix.label == "Fix: Insert Flatten() before layer 2 and make it Linear(3456, 10)"
    fix.click().run()
    assert not at.exception and not _errors(at)
    assert at.query_params["nn_arch"] == "Conv2d(1,6,5);ReLU();Flatten();Linear(3456,10)"
    assert list(_frame(at, "output shape")["output shape"])[-1] == "(4, 10)"


def test_a_table_edit_that_breaks_the_model_names_the_layer():
    at = _open()
    _edit(at, {"edited_rows": {2: {"in": 999}}})
    (message,) = _errors(at)
    assert message.startswith("Layer 2 (Linear(999, 10)) gets an input of shape (4, 500)")
    assert at.query_params["nn_arch"] == "Linear(784,500);ReLU();Linear(999,10)"  # a bad model can be shared too
    at.button(key="nn_fix").click().run()
    assert not _errors(at) and at.query_params["nn_arch"] == "Linear(784,500);ReLU();Linear(500,10)"
    _edit(at, {"edited_rows": {0: {"out": None}}})  # an emptied cell
    assert _errors(at) == ["Layer 0 (Linear) needs out_features (the 'out' column): fill it in."]
    _edit(at, {"added_rows": [{"layer": "Dropout", "p": 0.2}], "deleted_rows": [1]})
    assert not _errors(at) and at.query_params["nn_arch"] == "Linear(784,500);Linear(500,10);Dropout(0.2)"


def test_insert_a_layer_where_it_is_needed():
    at = _open()
    at.selectbox(key="nn_insert_kind").set_value("BatchNorm1d")
    at.number_input(key="nn_insert_at").set_value(1)
    at.button(key="nn_insert").click().run()
    assert not at.exception and not _errors(at)
    assert at.query_params["nn_arch"] == "Linear(784,500);BatchNorm1d(500);ReLU();Linear(500,10)"


def test_train_and_eval_with_dropout_and_batchnorm():
    at = _open()
    at.selectbox(key="nn_preset").set_value("MLP with BatchNorm and Dropout").run()
    assert not at.exception and not _errors(at)
    state = _frame(at, "kind").set_index("key")
    assert state.loc["1.running_mean", "kind"] == "buffer" and state.loc["1.num_batches_tracked", "kind"] == "buffer"
    assert state.loc["1.weight", "kind"] == "parameter"
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["Largest |train − eval|"]) > 0 and metrics["eval() twice, largest difference"] == "0"
    facts = [d.value for d in at.dataframe if "measured" in d.value.columns]
    assert len(facts) == 2  # BatchNorm1d and Dropout
    dropout = facts[1].set_index("measured")["value"]
    assert dropout["kept ÷ input (train)"] == "2" and dropout["largest |output − input| (eval)"] == "0"
    text = " ".join(m.value for m in at.markdown)
    assert "In **train()** it zeroed" in text and "num_batches_tracked 0 → 1" in text
    assert "model.train()" in at.code[-1].value and "load_state_dict(fresh)" in at.code[-1].value
    at.radio(key="nn_mode").set_value("eval").run()
    assert not at.exception
    assert any("model in eval() mode" in c.value for c in at.caption)
    assert "\nmodel.eval()\nshapes = []" in at.code[-1].value and "load_state_dict(fresh)" not in at.code[-1].value
    at.text_input(key="nn_input").set_value("1, 784").run()  # batch of 1: BatchNorm cannot train on it
    (message,) = _errors(at)
    assert message.startswith("Layer 1 (BatchNorm1d(256)) gets (1, 256): one value per channel")


@pytest.mark.parametrize("size, says", [("10000, 100000", "holds 1,000,000,000 numbers"),
                                        ("abc", "is not an input shape")])
def test_bad_input_shapes_get_a_message(size, says):
    at = _open()
    at.text_input(key="nn_input").set_value(size).run()
    assert not at.exception
    assert any(says in e for e in _errors(at))


def test_the_architecture_comes_from_the_url():
    at = _open({"nn_arch": "Conv2d(1,6,5);ReLU();Flatten();Linear(3456,10)", "nn_input": "2, 1, 28, 28"})
    assert not _errors(at) and not url_notes(at)
    assert list(_frame(at, "layer")["layer"]) == ["Conv2d", "ReLU", "Flatten", "Linear"]
    assert list(_frame(at, "output shape")["output shape"])[-1] == "(2, 10)"
    at = away_and_back(at, PAGE, "app.py", "PyTorch Explorer")  # the session keeps it across a page switch
    assert list(_frame(at, "layer")["layer"]) == ["Conv2d", "ReLU", "Flatten", "Linear"]
    assert at.query_params["nn_arch"] == "Conv2d(1,6,5);ReLU();Flatten();Linear(3456,10)"


@pytest.mark.parametrize("arch, says", [("__import__('os').system('touch /tmp/x')", "could not be read"),
                                        ("Linear(784,1000000);ReLU();Linear(1000000,10)", "parameters")])
def test_hostile_or_absurd_urls_are_refused_cleanly(arch, says):
    at = _open({"nn_arch": arch, "nn_seed": "nonsense"})
    assert not at.exception
    shown = [w.value for w in at.warning] + _errors(at)
    assert any(says in m for m in shown), shown
    assert any("nn_seed" in n for n in url_notes(at))
    refused = says == "parameters"  # a refused model gets no code to run (running it is what was refused)
    assert any(e.label.startswith("PyTorch code: this model") for e in at.expander) is not refused


def test_the_module_twin_tab():
    at = _open()
    assert any("exactly the same output" in s.value for s in at.success)
    twins = _frame(at, "ToyNet name")
    assert list(twins["nn.Sequential name"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(twins["count"]) == [12, 3, 3, 1]
    at.slider(key="nn_toy_hidden").set_value(5).run()
    assert list(_frame(at, "ToyNet name")["count"]) == [20, 5, 5, 1]
    assert any("hidden, seed = 5, 0" in c.value for c in at.code)
