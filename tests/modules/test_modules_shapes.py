"""Shapes worked out on the meta device: each layer's output, mismatches named with a fix, sizes refused."""

from __future__ import annotations

import pytest

from pytorch_explorer.modules.layers import PRESETS, format_spec, parse_spec
from pytorch_explorer.modules.shapes import (
    MAX_ACTIVATION,
    ArchitectureError,
    ModelTooLargeError,
    insert_layer,
    parse_input_shape,
    trace_shapes,
)


def outputs(spec: str, shape: tuple[int, ...], training: bool = True) -> list[tuple[int, ...]]:
    return [s.output_shape for s in trace_shapes(parse_spec(spec), shape, training)]


def test_shapes_per_layer_of_the_presets():
    assert outputs(PRESETS["The article's MLP"].spec, (4, 784)) == [(4, 500), (4, 500), (4, 10)]
    assert outputs(PRESETS["A small CNN"].spec, (4, 1, 28, 28)) == [
        (4, 6, 24, 24), (4, 6, 24, 24), (4, 6, 12, 12), (4, 16, 8, 8), (4, 16, 8, 8), (4, 16, 4, 4), (4, 256), (4, 10)]
    assert outputs("Conv2d(3,8,3,2,1);MaxPool2d(3,1)", (2, 3, 32, 32)) == [(2, 8, 16, 16), (2, 8, 14, 14)]
    traced = trace_shapes(parse_spec(PRESETS["MLP with BatchNorm and Dropout"].spec), (8, 784))
    assert traced[1].buffers == ("running_mean", "running_var", "num_batches_tracked")
    assert [s.parameters for s in traced] == [200_960, 512, 0, 0, 2570]


def _error(spec: str, shape: tuple[int, ...], training: bool = True) -> ArchitectureError:
    with pytest.raises(ArchitectureError) as caught:
        trace_shapes(parse_spec(spec), shape, training)
    return caught.value


def test_linear_after_conv_without_flatten_names_the_layer_and_offers_the_fix():
    error = _error("Conv2d(1,6,5);ReLU();Linear(784,10)", (4, 1, 28, 28))
    text = str(error)
    assert text.startswith("Layer 2 (Linear(784, 10)) gets an input of shape (4, 6, 24, 24)")
    assert "in_features = 784" in text and "Flatten()" in text and "3456" in text
    assert error.index == 2 and [s.output_shape for s in error.traced] == [(4, 6, 24, 24), (4, 6, 24, 24)]
    assert format_spec(error.fix) == "Conv2d(1,6,5);ReLU();Flatten();Linear(3456,10)"
    assert error.fix_label == "Insert Flatten() before layer 2 and make it Linear(3456, 10)"
    assert error.fix_label.message("zh") == "在第 2 层之前插入 Flatten()，并把它改成 Linear(3456, 10)"
    assert outputs(format_spec(error.fix), (4, 1, 28, 28))[-1] == (4, 10)


@pytest.mark.parametrize("spec, shape, starts, fixed", [
    ("Linear(784,500);ReLU();Linear(784,10)", (4, 784), "Layer 2 (Linear(784, 10)) gets an input of shape (4, 500)",
     "Linear(784,500);ReLU();Linear(500,10)"),
    ("Conv2d(1,6,5);Conv2d(3,16,5)", (2, 1, 28, 28), "Layer 1 (Conv2d(3, 16, 5)) gets (2, 6, 24, 24): 6 channels",
     "Conv2d(1,6,5);Conv2d(6,16,5)"),
    ("Linear(784,256);BatchNorm1d(128)", (4, 784), "Layer 1 (BatchNorm1d(128)) gets (4, 256)",
     "Linear(784,256);BatchNorm1d(256)"),
    ("Conv2d(1,6,5);BatchNorm1d(6)", (4, 1, 28, 28), "Layer 1 (BatchNorm1d(6)) gets (4, 6, 24, 24) (4-D)",
     "Conv2d(1,6,5);BatchNorm2d(6)"),
    ("Linear(784,10);BatchNorm2d(10)", (4, 784), "Layer 1 (BatchNorm2d(10)) gets (4, 10) (2-D)",
     "Linear(784,10);BatchNorm1d(10)"),
    ("Conv2d(1,6,5);MaxPool2d(2);MaxPool2d(2);MaxPool2d(2);Conv2d(6,6,5)", (1, 1, 28, 28),
     "Layer 4 (Conv2d(6, 6, 5)) gets images of 3 × 3, smaller than its 5 × 5 kernel", None),
    ("Linear(784,784)", (4, 1, 28, 28), "Layer 0 (Linear(784, 784)) gets an input of shape (4, 1, 28, 28)",
     "Flatten();Linear(784,784)"),
])
def test_mismatches_name_the_right_layer(spec, shape, starts, fixed):
    error = _error(spec, shape)
    assert str(error).startswith(starts), str(error)
    if fixed:
        assert format_spec(error.fix) == fixed
        trace_shapes(error.fix, shape)  # the fix fits
    else:  # the kernel case: the fix shrinks the kernel to the image
        assert error.fix is not None and error.fix[-1].call() == "Conv2d(6, 6, 3)"


def test_messages_without_a_fix_say_what_to_do():
    error = _error("Conv2d(1,6,5)", (4, 784))
    assert str(error).startswith("Layer 0 (Conv2d(1, 6, 5)) needs images") and "4, 1, 28, 28" in str(error)
    assert error.fix is None
    error = _error("Linear(784,10);BatchNorm1d(10)", (1, 784))
    assert "Layer 1 (BatchNorm1d(10))" in str(error) and "batch of 2 or more" in str(error)
    trace_shapes(parse_spec("Linear(784,10);BatchNorm1d(10)"), (1, 784), training=False)  # fine in eval()
    assert "Layer 0 (Flatten())" in str(_error("Flatten()", (784,)))


def test_absurd_sizes_are_refused_before_allocating():
    # 10**6 units: 785 million parameters (3 GB) would be allocated by a real build; meta counts them for free
    with pytest.raises(ModelTooLargeError, match=r"795,000,010 parameters.*Layer 0 \(Linear\(784, 1000000\)\) alone has 785,000,000"):
        trace_shapes(parse_spec("Linear(784,1000000);ReLU();Linear(1000000,10)"), (4, 784))
    with pytest.raises(ModelTooLargeError, match=r"parameters"):  # 10**10: would not fit in memory at all
        trace_shapes(parse_spec("Linear(100000,100000)"), (1, 100000))
    with pytest.raises(ModelTooLargeError, match=r"Layer 0 \(Conv2d\(1, 64, 3\)\) would output \(64, 64, 510, 510\)"):
        trace_shapes(parse_spec("Conv2d(1,64,3)"), (64, 1, 512, 512))
    with pytest.raises(ModelTooLargeError, match="multiply-adds"):
        trace_shapes(parse_spec("Linear(3000,3000)"), (1000, 3000))


@pytest.mark.parametrize("text, shape", [("4, 784", (4, 784)), ("(4, 1, 28, 28)", (4, 1, 28, 28)),
                                         ("4x784", (4, 784)), (" 2 3 4 ", (2, 3, 4)), ("784", (784,))])
def test_input_shapes_are_read(text, shape):
    assert parse_input_shape(text) == shape


@pytest.mark.parametrize("text, error", [("", ArchitectureError), ("4, -1", ArchitectureError),
                                         ("4, 0", ArchitectureError), ("a, b", ArchitectureError),
                                         ("1,2,3,4,5,6", ArchitectureError), ("4; import os", ArchitectureError),
                                         ("100000, 100000", ModelTooLargeError),
                                         ("99999999999999999999", ArchitectureError)])
def test_bad_input_shapes_are_refused(text, error):
    with pytest.raises(error):
        parse_input_shape(text)
    assert MAX_ACTIVATION < 100000 * 100000


def test_insert_takes_its_sizes_from_the_shape_there():
    layers = parse_spec("Conv2d(1,6,5);ReLU();Linear(784,10)")
    flattened = insert_layer(layers, 2, "Flatten", (4, 1, 28, 28))
    assert format_spec(flattened) == "Conv2d(1,6,5);ReLU();Flatten();Linear(784,10)"
    assert format_spec(insert_layer(flattened, 3, "Linear", (4, 1, 28, 28))).endswith("Flatten();Linear(3456,3456);Linear(784,10)")
    assert format_spec(insert_layer(layers, 1, "BatchNorm2d", (4, 1, 28, 28))).startswith("Conv2d(1,6,5);BatchNorm2d(6)")
    assert format_spec(insert_layer(layers, 99, "ReLU", (4, 1, 28, 28))).endswith("Linear(784,10);ReLU()")
