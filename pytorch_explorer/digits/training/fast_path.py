"""The trainer's fast path, behind one small interface: `build_step(train_step, model, config, device, n_train)`.

It returns a Step: called with a batch (`step(xb, yb) -> (loss, correct)`, both tensors on the device)
it runs the canonical `train_step` (loop.py) with the optimizer the config asks for; its
`description` says what ran. What "fast" adds (TrainConfig.fast=True, the default):

- a fused optimizer (`torch.optim.Adam(..., fused=True)`, SGD likewise) where the device has one:
  one kernel updates every parameter instead of a few small operations per parameter;
- on CUDA, a CUDA graph (CudaGraphStep): the whole step (forward, loss, backward, optimizer step)
  is recorded once and replayed, so Python launches one graph instead of dozens of kernels; if
  capture fails it falls back to eager steps and says so. It never runs on CPU or MPS.
- a plain fused Adam's kernel called directly (DirectFusedAdam), which skips `optimizer.step()`'s
  per-call Python bookkeeping (see docs/benchmarks.md and scripts/direct_adam_step.py for what it
  is worth).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import nn

from pytorch_explorer.core.errors import DeviceError
from pytorch_explorer.digits.training.config import TrainConfig

Batch = tuple[torch.Tensor, torch.Tensor]
TrainStep = Callable[..., Batch]  # train_step(model, optimizer, xb, yb, *, bf16=False, set_to_none=True)


class Step(Protocol):
    """What a training loop calls once per batch."""

    description: str

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> Batch: ...


def make_optimizer(config: TrainConfig, params, device: torch.device,
                   capturable: bool = False) -> torch.optim.Optimizer:
    """Adam or SGD with momentum; fused where the device has a fused kernel and fast=True.

    capturable=True (CUDA graphs only) keeps Adam's step counter on the device so that its step can be
    captured in a CUDA graph; SGD has no counter and needs no flag.
    """
    kwargs: dict[str, Any] = {"lr": config.lr}
    if config.fast and device.type in ("cpu", "cuda"):
        kwargs["fused"] = True
    if config.optimizer == "adam":
        if capturable:
            if device.type != "cuda":
                raise DeviceError("A capturable optimizer is for CUDA graphs, which run only on CUDA.")
            kwargs["capturable"] = True
        return torch.optim.Adam(params, **kwargs)
    return torch.optim.SGD(params, momentum=config.momentum, **kwargs)


def describe_optimizer(optimizer: torch.optim.Optimizer) -> str:
    """"fused Adam", "foreach SGD", "Adam (for-loop)": which implementation of step() runs."""
    group = optimizer.param_groups[0]
    name = type(optimizer).__name__
    if group.get("fused"):
        return f"fused {name}"
    if group.get("foreach"):
        return f"foreach {name}"
    return f"{name} (for-loop)"


def build_step(train_step: TrainStep, model: nn.Module, config: TrainConfig, device: torch.device,
               n_train: int) -> Step:
    """The step a run with these settings calls for each batch: `train_step`, made as fast as the config allows."""
    use_graph = (config.fast and config.cuda_graph and device.type == "cuda" and n_train >= config.batch_size * 4
                 and config.precision == "fp32")
    optimizer = make_optimizer(config, model.parameters(), device, capturable=use_graph)
    if use_graph:
        graph = CudaGraphStep.try_build(train_step, model, optimizer, config.batch_size, device)
        if graph is not None:
            return graph
    return EagerStep(train_step, model, optimizer, bf16=config.precision == "bf16", direct=config.fast)


class EagerStep:
    """`train_step` called as it is, once per batch (with a plain fused Adam stepped by DirectFusedAdam if direct)."""

    def __init__(self, train_step: TrainStep, model: nn.Module, optimizer: torch.optim.Optimizer,
                 bf16: bool = False, direct: bool = False) -> None:
        self.train_step, self.model, self.bf16 = train_step, model, bf16
        direct_adam = DirectFusedAdam.for_optimizer(optimizer) if direct else None
        self.optimizer = direct_adam or optimizer
        self.description = describe_optimizer(optimizer) + (", bf16 autocast" if bf16 else "")
        if direct_adam is not None:
            self.description += ", its kernel called directly"

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> Batch:
        return self.train_step(self.model, self.optimizer, xb, yb, bf16=self.bf16)


class DirectFusedAdam:
    """`optimizer.step()` of a fused Adam without its per-call Python bookkeeping.

    `torch.optim.Adam(fused=True).step()` spends about 0.13 ms of Python per call on this MLP
    (hooks, grouping the tensors by device and dtype, reading the state dict) before it launches one
    fused kernel (`python scripts/direct_adam_step.py` measures what that is on a whole step). This
    calls the same kernel (`torch._fused_adam_`, what Adam.step calls) on lists gathered once, so the
    result is bit for bit `optimizer.step()`'s, and the optimizer's state stays the one its
    `state_dict()` shows. The first call (which creates the state), and any call where a gradient is
    missing, go through `optimizer.step()` itself. `for_optimizer` returns None where this does not
    apply. The state's tensors are gathered once: make a new one after `optimizer.load_state_dict()`.
    """

    def __init__(self, optimizer: torch.optim.Adam) -> None:
        self.optimizer = optimizer
        self.group = optimizer.param_groups[0]
        self.params: list[torch.Tensor] = list(self.group["params"])
        self._state: tuple[list[torch.Tensor], ...] | None = None

    @classmethod
    def for_optimizer(cls, optimizer: torch.optim.Optimizer) -> DirectFusedAdam | None:
        """The direct step for a plain fused Adam (one group, no amsgrad/maximize/capturable), else None."""
        if type(optimizer) is not torch.optim.Adam or len(optimizer.param_groups) != 1:
            return None
        group = optimizer.param_groups[0]
        plain = (group.get("fused") and not group.get("capturable") and not group.get("amsgrad")
                 and not group.get("maximize") and not group.get("differentiable")
                 and not group.get("decoupled_weight_decay") and not torch.is_tensor(group["lr"]))
        if not plain or not hasattr(torch, "_fused_adam_"):
            return None
        if len({(p.device, p.dtype) for p in group["params"]}) != 1:
            return None
        return cls(optimizer)

    def zero_grad(self, set_to_none: bool = True) -> None:
        if not set_to_none:
            self.optimizer.zero_grad(set_to_none=False)
            return
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        grads = [p.grad for p in self.params]
        if self._state is None or any(g is None for g in grads):
            self.optimizer.step()  # creates the state on the first call
            states = [self.optimizer.state.get(p, {}) for p in self.params]
            if all("exp_avg" in s for s in states):
                self._state = ([s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states],
                               [s["step"] for s in states])
            return
        exp_avgs, exp_avg_sqs, steps = self._state
        group = self.group
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(self.params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False,
                           lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                           eps=group["eps"], maximize=False, grad_scale=None, found_inf=None)


class CudaGraphStep:
    """`train_step` captured once in a CUDA graph and replayed for every full batch.

    Follows PyTorch's "whole network capture" recipe: a few warm-up steps on a side stream (real
    steps on the first batches: they initialise the optimizer's state), then capture with the
    gradients set to None so that backward allocates them inside the graph's memory pool. Batches
    are copied into static input buffers before each replay. A batch of another size (the epoch's
    last, partial one) runs eagerly with the gradients zeroed in place, so the graph's gradient
    buffers stay the ones the optimizer reads. CUDA only: the constructor refuses any other device.
    """

    WARMUP_STEPS = 3

    def __init__(self, train_step: TrainStep, model: nn.Module, optimizer: torch.optim.Optimizer,
                 batch_size: int, device: torch.device) -> None:
        if device.type != "cuda":
            raise DeviceError("CUDA graphs run only on a CUDA device.")
        self.train_step, self.model, self.optimizer = train_step, model, optimizer
        self.batch_size, self.device = batch_size, device
        self.static_x = torch.zeros(batch_size, 28 * 28, device=device)
        self.static_y = torch.zeros(batch_size, dtype=torch.int64, device=device)
        self.static_out: Batch | None = None
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warmup_left = self.WARMUP_STEPS
        self.failure = ""
        self.optimizer_text = describe_optimizer(optimizer)

    @classmethod
    def try_build(cls, train_step: TrainStep, model: nn.Module, optimizer: torch.optim.Optimizer,
                  batch_size: int, device: torch.device) -> CudaGraphStep | None:
        """A graph step, or None where one cannot run (not CUDA, or an Adam whose step counter is on the host)."""
        if device.type != "cuda" or not torch.cuda.is_available():
            return None
        group = optimizer.param_groups[0]
        if isinstance(optimizer, torch.optim.Adam) and not group.get("capturable"):
            return None  # a host-side step counter cannot be captured (and step() refuses to be)
        return cls(train_step, model, optimizer, batch_size, device)

    @property
    def description(self) -> str:
        if self.failure:
            return f"{self.optimizer_text}, eager steps (CUDA graph capture failed: {self.failure})"
        return f"{self.optimizer_text}, CUDA graph ({self.WARMUP_STEPS} eager warm-up steps, partial batches eager)"

    def _eager(self, xb: torch.Tensor, yb: torch.Tensor, set_to_none: bool) -> Batch:
        with warnings.catch_warnings():  # "capturable=True ... step() is running without CUDA graph capture"
            warnings.simplefilter("ignore", UserWarning)
            return self.train_step(self.model, self.optimizer, xb, yb, set_to_none=set_to_none)

    def _capture(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):  # other threads (a web server) may use CUDA
            self.static_out = self.train_step(self.model, self.optimizer, self.static_x, self.static_y)
        self.graph = graph

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> Batch:
        if self.failure or len(yb) != self.batch_size:
            return self._eager(xb, yb, set_to_none=self.graph is None)
        if self.warmup_left > 0:
            self.warmup_left -= 1
            side = torch.cuda.Stream(device=self.device)
            side.wait_stream(torch.cuda.current_stream(self.device))
            with torch.cuda.stream(side):
                out = self._eager(xb, yb, set_to_none=True)
            torch.cuda.current_stream(self.device).wait_stream(side)
            return out
        if self.graph is None:
            try:
                torch.cuda.synchronize(self.device)
                self._capture()
            except Exception as exc:  # noqa: BLE001 - any capture failure falls back to eager, stated
                self.failure = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
                self.graph = None
                torch.cuda.synchronize(self.device)
                return self._eager(xb, yb, set_to_none=True)
        self.static_x.copy_(xb)
        self.static_y.copy_(yb)
        self.graph.replay()
        assert self.static_out is not None
        return self.static_out  # read (added up) before the next replay, in stream order
