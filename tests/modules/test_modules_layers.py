"""Layer lists as plain data: parameter counts against hand counts, the URL string read strictly, table rows."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pytorch_explorer.modules.layers import (
    CATALOGUE,
    MAX_LAYERS,
    PRESETS,
    LayerSpec,
    LayerSpecError,
    build_model,
    format_spec,
    from_rows,
    make_spec,
    parameter_formula,
    parse_spec,
    to_rows,
)


def count(spec: str) -> int:
    with torch.device("meta"):
        return sum(p.numel() for p in build_model(parse_spec(spec)).parameters())


@pytest.mark.parametrize("spec, by_hand", [
    ("Linear(784,500)", 784 * 500 + 500),           # 392,500
    ("Linear(500,10)", 500 * 10 + 10),              # 5,010
    ("Conv2d(1,6,5)", 6 * 1 * 5 * 5 + 6),           # 156
    ("Conv2d(6,16,5)", 16 * 6 * 5 * 5 + 16),        # 2,416
    ("BatchNorm1d(256)", 2 * 256),
    ("BatchNorm2d(6)", 12),
    ("ReLU();Tanh();Sigmoid();GELU();Dropout(0.3);Flatten();MaxPool2d(2)", 0),
    ("Linear(784,500);ReLU();Linear(500,10)", 397_510),
])
def test_parameter_counts_match_hand_counts(spec, by_hand):
    assert count(spec) == by_hand
    assert sum(parameter_formula(s)[1] for s in parse_spec(spec)) == by_hand


def test_the_hand_count_is_spelled_out():
    text, n = parameter_formula(make_spec("Linear", [784, 500]))
    assert n == 392_500 and text == "784 × 500 weights + 500 biases = 392,500"
    assert parameter_formula(make_spec("Conv2d", [1, 6, 5]))[0].endswith("= 156")


def test_the_article_preset_is_the_articles_model():
    model = build_model(parse_spec(PRESETS["The article's MLP"].spec))
    assert str(model) == str(torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10)))


def test_parse_reads_python_like_calls_and_defaults():
    layers = parse_spec(" linear(784, 500) ; ReLU ; Dropout(p=0.25); MaxPool2d(2); Conv2d(3,8,3,2,1) ")
    assert [s.kind for s in layers] == ["Linear", "ReLU", "Dropout", "MaxPool2d", "Conv2d"]
    assert layers[2].values == (0.25,) and layers[3].values == (2, None) and layers[4].values == (3, 8, 3, 2, 1)
    assert [s.call() for s in layers] == ["Linear(784, 500)", "ReLU()", "Dropout(p=0.25)", "MaxPool2d(2)",
                                          "Conv2d(3, 8, 3, 2, 1)"]
    assert format_spec(parse_spec("Conv2d(1,6,5,1,0);Dropout(0.5)")) == "Conv2d(1,6,5);Dropout()"


@pytest.mark.parametrize("text, says", [
    ("__import__('os').system('echo hi')", "not of the form"),
    ("Linear(784,500);os.system(1)", "not of the form"),
    ("Linear(784, 2**20)", "not a number"),
    ("Linear(784)", "needs out_features"),
    ("Linear(784,500,3)", "takes in_features, out_features"),
    ("Lnear(3,4)", "not a layer this page knows"),
    ("Linear(0,4)", "between 1 and"),
    ("Linear(1.5,4)", "whole number"),
    ("Dropout(1.5)", "between 0 and 1"),
    ("Dropout(q=0.5)", "not argument 1 of Dropout"),
    ("Linear(1e999,3)", "whole number"),
    ("", "empty"),
    (";".join(["ReLU()"] * (MAX_LAYERS + 1)), f"up to {MAX_LAYERS}"),
    ("ReLU();" * 1000, "characters long"),
])
def test_parse_refuses_anything_but_layers_and_numbers(text, says):
    with pytest.raises(LayerSpecError, match=None) as caught:
        parse_spec(text)
    assert says in str(caught.value)


def test_a_bad_layer_is_named_by_its_index():
    with pytest.raises(LayerSpecError, match=r"^Layer 2 \(Linear\) needs out_features"):
        parse_spec("Linear(784,500);ReLU();Linear(500)")


def _value(arg):
    if arg.kind is float:
        return st.floats(min_value=arg.low, max_value=arg.high, allow_nan=False)
    values = st.integers(min_value=int(arg.low), max_value=min(int(arg.high), 10**7))
    return st.one_of(st.none(), values) if arg.optional else values


layer_specs = st.sampled_from(list(CATALOGUE)).flatmap(
    lambda kind: st.tuples(*[_value(a) for a in CATALOGUE[kind].args]).map(lambda v, kind=kind: LayerSpec(kind, v)))


@settings(max_examples=200, deadline=None)
@given(st.lists(layer_specs, min_size=1, max_size=MAX_LAYERS))
def test_the_url_string_round_trips(layers):
    text = format_spec(layers)
    assert parse_spec(text) == layers
    assert format_spec(parse_spec(text)) == text
    assert from_rows(to_rows(layers)) == (layers, 0)


def test_rows_from_the_editor():
    rows = to_rows(parse_spec("Conv2d(1,6,5);Flatten();Linear(3456,10);Dropout(0.2)"))
    assert rows[0] == {"layer": "Conv2d", "in": 1, "out": 6, "kernel": 5, "stride": 1, "padding": 0, "p": None}
    rows[1]["in"] = 99  # a column Flatten does not use is ignored
    rows.append({"layer": None, "in": 3})  # a row without a type (just added in the editor) is skipped
    rows[2]["out"] = float("nan")  # what pandas gives for an emptied cell
    with pytest.raises(LayerSpecError, match=r"Layer 2 \(Linear\) needs out_features \(the 'out' column\)"):
        from_rows(rows)
    rows[2]["out"] = 10.0
    layers, skipped = from_rows(rows)
    assert skipped == 1 and format_spec(layers) == "Conv2d(1,6,5);Flatten();Linear(3456,10);Dropout(0.2)"
    with pytest.raises(LayerSpecError, match="no layers"):
        from_rows([{"layer": None}])
