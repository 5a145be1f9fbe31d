"""``model.train()`` vs ``model.eval()``: the same model and the same input, two outputs, and why.

Only two kinds of layer here behave differently in the two modes:

- Dropout(p): in train() each element is zeroed with probability p and the survivors are multiplied
  by 1/(1-p) (so the expected value is unchanged); in eval() it passes its input through untouched.
- BatchNorm: in train() it normalises each channel with the mean and (biased) variance of this batch,
  and moves its running statistics a step towards them (running = (1 - momentum)·running +
  momentum·batch, momentum 0.1; the variance with the unbiased estimate) and counts the batch in
  num_batches_tracked; in eval() it normalises with the running statistics and changes nothing.

``compare_modes`` runs train() then eval() and measures each of those facts on the real tensors.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch import nn

from pytorch_explorer.modules.layers import LayerSpec
from pytorch_explorer.modules.report import seeded_model_and_input
from pytorch_explorer.modules.shapes import trace_shapes

WATCHED = (nn.Dropout, nn.BatchNorm1d, nn.BatchNorm2d)


@dataclass
class LayerBehaviour:
    """One Dropout or BatchNorm layer in both modes: the measured facts and what they mean."""

    index: int
    call: str
    facts: dict[str, float | str] = field(default_factory=dict)
    train_text: str = ""
    eval_text: str = ""


@dataclass
class ModeComparison:
    output_train: torch.Tensor
    output_train_again: torch.Tensor  # another train() pass from the same state: a new dropout mask
    output_eval: torch.Tensor
    output_eval_again: torch.Tensor
    layers: list[LayerBehaviour]

    @property
    def max_difference(self) -> float:
        return float((self.output_train - self.output_eval).abs().max())

    @property
    def has_watched_layers(self) -> bool:
        return bool(self.layers)


def _channel_dims(x: torch.Tensor) -> list[int]:
    """The dimensions BatchNorm averages over: all but dimension 1 (the channels)."""
    return [d for d in range(x.dim()) if d != 1]


def _per_channel(x: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """A (C,) vector shaped to broadcast against x (N, C, ...)."""
    return values.reshape([1, -1] + [1] * (x.dim() - 2))


def _dropout(index: int, call: str, p: float, seen_train: tuple, seen_eval: tuple) -> LayerBehaviour:
    (x_t, y_t), (x_e, y_e) = seen_train, seen_eval
    nonzero = x_t != 0
    zeroed = (y_t == 0) & nonzero
    kept = ~zeroed & nonzero
    ratio = (y_t[kept] / x_t[kept]) if kept.any() else torch.tensor([float("nan")])
    scale = 1 / (1 - p) if p < 1 else float("inf")
    facts: dict[str, float | str] = {
        "p": p, "zeroed fraction (train)": float(zeroed.sum() / max(int(nonzero.sum()), 1)),
        "kept ÷ input (train)": float(ratio.mean()), "1/(1-p)": scale,
        "largest |output − input| (eval)": float((y_e - x_e).abs().max()),
    }
    train_text = (f"zeroed {facts['zeroed fraction (train)']:.1%} of its inputs (p = {p:g}) and multiplied the "
                  f"others by {float(ratio.mean()):.4g} = 1/(1-p), so that the expected value stays the same.")
    if p >= 1:
        train_text = "zeroed every input (p = 1)."
    eval_text = (f"passed its input through unchanged (largest difference "
                 f"{facts['largest |output − input| (eval)']:.1g}): nothing is dropped at inference.")
    return LayerBehaviour(index, call, facts, train_text, eval_text)


def _batchnorm(index: int, call: str, layer: nn.Module, before: dict[str, torch.Tensor],
               after: dict[str, torch.Tensor], seen_train: tuple, seen_eval: tuple) -> LayerBehaviour:
    (x_t, y_t), (x_e, y_e) = seen_train, seen_eval
    dims = _channel_dims(x_t)
    batch_mean, batch_var = x_t.mean(dims), x_t.var(dims, unbiased=False)
    w, b, eps, m = layer.weight.detach(), layer.bias.detach(), layer.eps, layer.momentum
    with_batch = (x_t - _per_channel(x_t, batch_mean)) / torch.sqrt(_per_channel(x_t, batch_var) + eps)
    with_batch = with_batch * _per_channel(x_t, w) + _per_channel(x_t, b)
    with_running = (x_e - _per_channel(x_e, after["running_mean"])) / torch.sqrt(
        _per_channel(x_e, after["running_var"]) + eps) * _per_channel(x_e, w) + _per_channel(x_e, b)
    expected_running_mean = (1 - m) * before["running_mean"] + m * batch_mean
    facts: dict[str, float | str] = {
        "train: |output − (x − batch mean)/√(batch var + eps)| max": float((y_t - with_batch).abs().max()),
        "train: output mean over the batch, largest |value|": float(y_t.mean(dims).abs().max()),
        "running_mean before → after, channel 0": f"{float(before['running_mean'][0]):.4g} → "
                                                  f"{float(after['running_mean'][0]):.4g}",
        "running_mean after − (0.9·before + 0.1·batch mean), max": float(
            (after["running_mean"] - expected_running_mean).abs().max()),
        "num_batches_tracked before → after": f"{int(before['num_batches_tracked'])} → "
                                              f"{int(after['num_batches_tracked'])}",
        "eval: |output − (x − running mean)/√(running var + eps)| max": float((y_e - with_running).abs().max()),
        "eval: output mean over the batch, largest |value|": float(y_e.mean(dims).abs().max()),
    }
    train_text = ("normalised each channel with this batch's own mean and variance (so the output has mean 0 "
                  f"over the batch: at most {facts['train: output mean over the batch, largest |value|']:.1g}), "
                  f"and updated its running statistics: running_mean channel 0 went "
                  f"{facts['running_mean before → after, channel 0']}, num_batches_tracked "
                  f"{facts['num_batches_tracked before → after']}.")
    eval_text = ("normalised with the running statistics instead (after one batch they are still close to "
                 "mean 0 and variance 1, so the output is far from mean 0: up to "
                 f"{facts['eval: output mean over the batch, largest |value|']:.3g}), and changed nothing.")
    return LayerBehaviour(index, call, facts, train_text, eval_text)


def _watch(model: nn.Sequential) -> tuple[dict[int, tuple], list]:
    seen: dict[int, tuple] = {}
    handles = []
    for index, layer in enumerate(model):
        if isinstance(layer, WATCHED):
            def hook(_layer: nn.Module, inputs: tuple, output: torch.Tensor, index: int = index) -> None:
                seen[index] = (inputs[0].detach().clone(), output.detach().clone())
            handles.append(layer.register_forward_hook(hook))
    return seen, handles


@torch.no_grad()
def compare_modes(layers: list[LayerSpec], input_shape: tuple[int, ...], seed: int = 0) -> ModeComparison:
    """The same input through the same model in train() and then in eval(), with what each Dropout and
    BatchNorm layer did. Sizes and shapes are checked on meta first (for both modes)."""
    trace_shapes(layers, input_shape, training=True)
    model, x = seeded_model_and_input(layers, input_shape, seed)
    norms = {i: layer for i, layer in enumerate(model) if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d))}
    before = {i: {k: v.clone() for k, v in layer.state_dict().items()} for i, layer in norms.items()}
    spare = copy.deepcopy(model)  # the same fresh model, for a second train() pass
    seen_train, handles = _watch(model)
    output_train = model.train()(x)
    for handle in handles:
        handle.remove()
    after = {i: {k: v.clone() for k, v in layer.state_dict().items()} for i, layer in norms.items()}
    seen_eval, handles = _watch(model)
    output_eval = model.eval()(x)
    for handle in handles:
        handle.remove()
    behaviours = []
    for index, layer in enumerate(model):
        call = layers[index].call()
        if isinstance(layer, nn.Dropout):
            behaviours.append(_dropout(index, call, layer.p, seen_train[index], seen_eval[index]))
        elif index in norms:
            behaviours.append(_batchnorm(index, call, layer, before[index], after[index], seen_train[index],
                                         seen_eval[index]))
    return ModeComparison(output_train, spare.train()(x), output_eval, model(x), behaviours)
