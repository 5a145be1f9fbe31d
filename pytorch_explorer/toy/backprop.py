"""Implementations 1 to 3: the article's hand-written back-propagation, in numpy and in PyTorch.

Read the three functions side by side: the PyTorch code is numpy's near twin (``np.dot`` is
``torch.mm``, ``.T`` is ``.t()``), and the article's PyTorch version differs from its corrected
twin in exactly the lines marked ``# DEFECT``. Each function is one epoch's forward pass and the
amounts the article adds, times lr, to each parameter (:func:`apply_updates` adds them).
An update is minus the gradient of ``0.5 * sum((y - output)**2)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from pytorch_explorer.toy.settings import PARAMETERS


# ---------------------------------------------------------------- activations by hand
# The article's sigmoid, and its derivative written in terms of the sigmoid's *output* x.
def numpy_sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def torch_sigmoid(x: torch.Tensor) -> torch.Tensor:
    return 1 / (1 + torch.exp(-x))


def derivatives_sigmoid(x: Any) -> Any:
    return x * (1 - x)


# The hidden layer's activation may also be tanh or relu, each with its derivative written in
# terms of its output a, as derivatives_sigmoid is.
def numpy_activation(name: str) -> tuple[Callable, Callable]:
    """The hidden activation and its derivative (of the output a), in numpy."""
    if name == "sigmoid":
        return numpy_sigmoid, derivatives_sigmoid
    if name == "tanh":
        return np.tanh, (lambda a: 1 - a**2)
    return (lambda x: np.maximum(x, 0)), (lambda a: (a > 0).astype(a.dtype))


def torch_activation(name: str) -> tuple[Callable, Callable]:
    """The hidden activation and its derivative (of the output a), in torch."""
    if name == "sigmoid":
        return torch_sigmoid, derivatives_sigmoid
    if name == "tanh":
        return torch.tanh, (lambda a: 1 - a**2)
    return (lambda x: torch.clamp(x, min=0)), (lambda a: (a > 0).to(a.dtype))


# ---------------------------------------------------------------- 1-3: hand-written backprop
def numpy_backprop(X: np.ndarray, y: np.ndarray, p: dict[str, np.ndarray],
                   activation: str = "sigmoid") -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Implementation 1, the article's numpy code."""
    act, derivative = numpy_activation(activation)
    # Forward propagation
    hidden_layer_input1 = np.dot(X, p["wh"])
    hidden_layer_input = hidden_layer_input1 + p["bh"]
    hiddenlayer_activations = act(hidden_layer_input)
    output_layer_input1 = np.dot(hiddenlayer_activations, p["wout"])
    output_layer_input = output_layer_input1 + p["bout"]
    output = numpy_sigmoid(output_layer_input)
    # Backpropagation
    E = y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivative(hiddenlayer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = d_output.dot(p["wout"].T)
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    updates = {
        "wout": hiddenlayer_activations.T.dot(d_output),
        "bout": np.sum(d_output, axis=0, keepdims=True),
        "wh": X.T.dot(d_hiddenlayer),
        "bh": np.sum(d_hiddenlayer, axis=0, keepdims=True),
    }
    return output, updates


def torch_article_backprop(X: torch.Tensor, y: torch.Tensor, p: dict[str, torch.Tensor],
                           activation: str = "sigmoid") -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Implementation 2, the article's PyTorch code with its two defects."""
    act, derivative = torch_activation(activation)
    hidden_layer_input1 = torch.mm(X, p["wh"])
    hidden_layer_input = hidden_layer_input1 + p["bh"]
    hidden_layer_activations = act(hidden_layer_input)
    output_layer_input1 = torch.mm(hidden_layer_activations, p["wout"])
    output_layer_input = output_layer_input1 + p["bout"]  # noqa: F841 - computed, then not used (defect 1)
    output = torch_sigmoid(output_layer_input1)  # DEFECT 1: output_layer_input1, so bout is skipped
    E = y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivative(hidden_layer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = torch.mm(d_output, p["wout"].t())
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    updates = {
        "wout": torch.mm(hidden_layer_activations.t(), d_output),
        "bout": d_output.sum(),  # DEFECT 2a: a scalar over all axes (and bout is never used)
        "wh": torch.mm(X.t(), d_hiddenlayer),
        "bh": d_output.sum(),  # DEFECT 2b: the output's error, one scalar added to every hidden bias
    }
    return output, updates


def torch_fixed_backprop(X: torch.Tensor, y: torch.Tensor, p: dict[str, torch.Tensor],
                         activation: str = "sigmoid") -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Implementation 3, the article's PyTorch code corrected: numpy's line-for-line twin."""
    act, derivative = torch_activation(activation)
    hidden_layer_input1 = torch.mm(X, p["wh"])
    hidden_layer_input = hidden_layer_input1 + p["bh"]
    hidden_layer_activations = act(hidden_layer_input)
    output_layer_input1 = torch.mm(hidden_layer_activations, p["wout"])
    output_layer_input = output_layer_input1 + p["bout"]
    output = torch_sigmoid(output_layer_input)
    E = y - output
    slope_output_layer = derivatives_sigmoid(output)
    slope_hidden_layer = derivative(hidden_layer_activations)
    d_output = E * slope_output_layer
    Error_at_hidden_layer = torch.mm(d_output, p["wout"].t())
    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer
    updates = {
        "wout": torch.mm(hidden_layer_activations.t(), d_output),
        "bout": d_output.sum(dim=0, keepdim=True),
        "wh": torch.mm(X.t(), d_hiddenlayer),
        "bh": d_hiddenlayer.sum(dim=0, keepdim=True),
    }
    return output, updates


BACKPROP = {"numpy": numpy_backprop, "torch-article": torch_article_backprop, "torch-fixed": torch_fixed_backprop}


def apply_updates(p: dict[str, Any], updates: dict[str, Any], lr: float) -> None:
    """The article's update, in place: ``wh += update * lr`` for each parameter (numpy or torch)."""
    for name in PARAMETERS:
        p[name] += updates[name] * lr
