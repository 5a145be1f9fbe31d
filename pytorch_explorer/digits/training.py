"""The digit trainer: the article's MLP trained as a generator of progress events.

Two loops share one interface:

- **fixed** (the default): PyTorch's canonical five-line step (`zero_grad`, forward, loss,
  `backward`, `step`). The digits live on the training device as one float tensor; each epoch draws
  a permutation from a `torch.Generator` seeded with `seed`, and each batch is a slice of that
  permutation, gathered from the tensor on the device (no per-batch numpy work, no host-to-device
  copy). The loss is read (`.item()`, a device sync) only every `log_every` steps.
- **article-faithful** (`article_faithful=True`): the article's loop as written, defects included:
  no `zero_grad` (every step applies the sum of all earlier gradients), batches drawn with
  replacement by `np.random.RandomState(seed).choice(n_train, batch_size)`, `int(n_total /
  batch_size)` steps per epoch counted over the whole dataset (not the 70% split), `preproc`
  dividing each batch by its own max, `torch.from_numpy` per batch and the loss read every step.

With `fast=True` (default) the optimizer uses its fused kernel where the device has one, and on
CUDA the whole training step (forward, loss, backward, optimizer step) is captured once in a CUDA
graph and replayed (static input buffers, a graph-safe optimizer); if capture fails it falls back
to eager steps and says so in `metrics["fast_path"]`. The CUDA graph never runs on CPU or MPS.

Using it:

    trainer = train_digits(TrainConfig(epochs=5))   # a Trainer: an iterator of TrainingEvent
    for event in trainer:                           # or next(trainer) a few at a time (Streamlit)
        if event.kind == "epoch":
            print(event.epoch, event.loss, event.val_acc)
    model = trainer.result()                        # the TrainedModel (on CPU)

Stopping: `trainer.stop()` asks for a stop; the next event is "stopped" and carries the partial
model. Or just stop pulling and call `trainer.close()` (like a generator's close); `result()`
still returns the partial model. Events (kind): "step" every `log_every` steps, "epoch" at each
epoch's end (with train_acc and val_acc), then exactly one of "done", "stopped" or "diverged"
(NaN/inf loss; the message says what to change), each with `result`.
"""

from __future__ import annotations

import math
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from pytorch_explorer.digits.data import DigitDataset, load_digits, split_index
from pytorch_explorer.core.devices import resolve_device
from pytorch_explorer.core.errors import DeviceError, ExplorerError
from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp

OPTIMIZERS = ("adam", "sgd")
PRECISIONS = ("fp32", "bf16")
EVENT_KINDS = ("step", "epoch", "done", "stopped", "diverged")
FINAL_KINDS = ("done", "stopped", "diverged")
EVAL_CHUNK = 8192  # rows per forward pass when measuring accuracy
DIVERGED_LOSS = 100.0  # guessing scores ln(10) = 2.3; a mean loss past this means the run blew up


def is_diverged(loss: float) -> bool:
    """NaN, infinite, or so large (> DIVERGED_LOSS) that the weights are garbage."""
    return not math.isfinite(loss) or loss > DIVERGED_LOSS


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a run. The defaults are the article's values."""

    source: str = "bundled"
    hidden: int = 500
    depth: int = 1  # hidden layers, 1-3
    activation: str = "relu"
    optimizer: str = "adam"  # or "sgd" (with momentum)
    lr: float = 1e-3
    momentum: float = 0.9  # SGD only
    batch_size: int = 128
    epochs: int = 5
    seed: int = 128
    val_fraction: float = 0.3
    device: str = "auto"
    article_faithful: bool = False
    log_every: int = 10  # steps between "step" events (each one reads the loss: a device sync)
    fast: bool = True  # fused optimizer where available; CUDA graph on CUDA
    cuda_graph: bool = True  # only ever used on CUDA, and only with fast=True
    threads: int = 0  # torch CPU threads during the run; 0 leaves torch's setting (results can differ by ~1e-7)
    precision: str = "fp32"  # or "bf16": forward and backward under torch.autocast in bfloat16 (opt-in)

    def __post_init__(self) -> None:
        self.mlp_config()  # validates hidden, depth, activation
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be 'adam' or 'sgd', not {self.optimizer!r}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"the learning rate must be a positive number, not {self.lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), not {self.momentum}")
        if not 1 <= self.batch_size <= 65536:
            raise ValueError(f"batch size must be between 1 and 65536, not {self.batch_size}")
        if not 1 <= self.epochs <= 1000:
            raise ValueError(f"epochs must be between 1 and 1000, not {self.epochs}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"the validation fraction must be between 0 and 1, not {self.val_fraction}")
        if self.log_every < 1:
            raise ValueError(f"log_every must be at least 1, not {self.log_every}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be 'fp32' or 'bf16', not {self.precision!r}")
        if not 0 <= self.threads <= 1024:
            raise ValueError(f"threads must be between 0 (torch's default) and 1024, not {self.threads}")

    def mlp_config(self) -> MLPConfig:
        return MLPConfig(hidden=self.hidden, depth=self.depth, activation=self.activation)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        """Short description for run names: "article-faithful" or "fixed"."""
        return "article-faithful" if self.article_faithful else "fixed"


@dataclass
class TrainingEvent:
    """One progress report. kind: "step" | "epoch" | "done" | "stopped" | "diverged"."""

    kind: str
    step: int  # optimizer steps done so far
    epoch: int  # 1-based epoch the step belongs to
    loss: float  # mean loss since the last event ("epoch": over the whole epoch)
    accuracy: float  # running training accuracy over the current epoch's batches
    samples_per_s: float  # training samples per second of training time so far
    elapsed_s: float  # wall time since training started (including evaluation)
    train_acc: float | None = None
    val_acc: float | None = None
    result: TrainedModel | None = None
    message: str = ""
    progress: float = 0.0  # fraction of all steps done, 0..1


@dataclass
class _Data:
    """The split digits on the training device: x as float (N, 784) in [0, 1], y as int64."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    n_total: int


def flops_per_sample(config: MLPConfig) -> int:
    """Multiply-adds x2 of one training sample: forward, plus backward without the input's gradient."""
    widths = [28 * 28] + [config.hidden] * config.depth + [10]
    layers = list(zip(widths[:-1], widths[1:], strict=True))
    forward = sum(2 * a * b for a, b in layers)
    weight_grads = forward
    input_grads = sum(2 * a * b for a, b in layers[1:])  # the first layer needs no input gradient
    return forward + weight_grads + input_grads


def _as_inputs(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (N, 28, 28) -> float (N, 784) in [0, 1] on the device (one copy, one conversion)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return x.reshape(len(x), -1).float().div_(255.0)


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Fraction of rows whose arg-max logit is the label (evaluated in chunks)."""
    if len(y) == 0:
        return float("nan")
    correct = torch.zeros((), dtype=torch.int64, device=y.device)
    for start in range(0, len(y), EVAL_CHUNK):
        logits = model(x[start:start + EVAL_CHUNK])
        correct += (logits.argmax(dim=1) == y[start:start + EVAL_CHUNK]).sum()
    return correct.item() / len(y)


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


class Trainer:
    """One training run: iterate it for TrainingEvents; `stop()`, `close()`, `result()` (see module doc)."""

    def __init__(self, config: TrainConfig, data: DigitDataset | None = None) -> None:
        self.config = config
        self.dataset = data
        self.device: torch.device | None = None
        self.model: nn.Sequential | None = None
        self.fast_path = ""
        self.history: dict[str, list] = {
            "steps": [], "losses": [], "epochs": [], "epoch_losses": [],
            "train_acc": [], "val_acc": [], "epoch_seconds": [],
        }
        self.samples_seen = 0
        self.train_seconds = 0.0
        self.steps_done = 0
        self.total_steps = 0
        self.status = "running"
        self._started = 0.0
        self._data: _Data | None = None
        self._result: TrainedModel | None = None
        self._stop_requested = False
        self._evaluated_at = -1  # steps_done when the accuracies in history were measured
        self._step_fn: _EagerStep | _CudaGraphStep | None = None
        self._optimizer_text = ""
        self._threads_before = 0  # torch's thread count before this run changed it (0: unchanged)
        self.threads_used = 0  # torch CPU threads the run used (0 on an accelerator)
        self._events = self._run()

    # -- the iterator protocol, like a generator's
    def __iter__(self) -> Trainer:
        return self

    def __next__(self) -> TrainingEvent:
        return next(self._events)

    def stop(self) -> None:
        """Ask for a stop: the next event is "stopped", with the partial model as its result."""
        self._stop_requested = True

    def close(self) -> None:
        """Abandon the run where it is (the partial model stays available from result())."""
        self._events.close()
        if self._result is None and self.model is not None:
            self._finish("stopped")

    @property
    def finished(self) -> bool:
        return self._result is not None

    def result(self) -> TrainedModel:
        """The trained model: final, or partial if the run was stopped or closed early."""
        if self._result is None:
            if self.model is None:
                raise ExplorerError("Training has not started yet: there is no model to return.")
            self.close()
        assert self._result is not None
        return self._result

    # -- the run
    def _run(self) -> Iterator[TrainingEvent]:
        config = self.config
        self._started = time.perf_counter()
        dataset = self.dataset if self.dataset is not None else load_digits(config.source)
        self.dataset = dataset
        self.device = device = resolve_device(config.device)
        if config.threads and device.type == "cpu":
            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(config.threads)
        self.threads_used = torch.get_num_threads() if device.type == "cpu" else 0
        try:
            self._data = self._prepare(dataset, device)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(config.seed)
                self.model = build_mlp(config.mlp_config()).to(device)
            loop = self._article_loop if config.article_faithful else self._fixed_loop
            yield from loop()
        except torch.cuda.OutOfMemoryError as exc:
            self._release()
            raise DeviceError(
                f"The GPU ran out of memory ({device}). Try a smaller batch size or hidden layer, "
                "or choose device 'cpu' and train again."
            ) from exc
        except RuntimeError as exc:
            if device.type == "cpu" or isinstance(exc, ExplorerError):
                raise
            self._release()
            raise DeviceError(
                f"Training on {device} failed: {str(exc).splitlines()[0]}. Choose device 'cpu' and train again."
            ) from exc
        finally:
            self._restore_threads()

    def _restore_threads(self) -> None:
        if self._threads_before:
            torch.set_num_threads(self._threads_before)
            self._threads_before = 0

    def _prepare(self, dataset: DigitDataset, device: torch.device) -> _Data:
        n = len(dataset)
        cut = split_index(n, self.config.val_fraction)
        x = _as_inputs(dataset.images, device)
        y = torch.from_numpy(np.asarray(dataset.labels, dtype=np.int64)).to(device)
        return _Data(x[:cut], y[:cut], x[cut:], y[cut:], n)

    def _release(self) -> None:
        if self._step_fn is not None:  # say what ran (a CUDA graph may have fallen back to eager)
            self.fast_path = self._step_fn.description(self._optimizer_text)
            self._step_fn = None  # frees a captured CUDA graph and its memory pool
        self._data = None
        self._restore_threads()
        if self.model is not None:
            self.model.to("cpu")
        if self.device is not None and self.device.type == "cuda":
            torch.cuda.empty_cache()

    def _event(self, kind: str, epoch: int, loss: float, acc: float, **extra: Any) -> TrainingEvent:
        speed = self.samples_seen / self.train_seconds if self.train_seconds > 0 else 0.0
        progress = self.steps_done / self.total_steps if self.total_steps else 0.0
        return TrainingEvent(kind, self.steps_done, epoch, loss, acc, speed,
                             time.perf_counter() - self._started, progress=min(progress, 1.0), **extra)

    def _record_step(self, loss: float) -> None:
        self.history["steps"].append(self.steps_done)
        self.history["losses"].append(loss)

    def _diverged(self, epoch: int, loss: float, acc: float) -> TrainingEvent:
        result = self._finish("diverged")
        lr = self.config.lr
        message = (f"The loss reached {loss:.4g} at step {self.steps_done} (epoch {epoch}): training diverged and "
                   f"was stopped. Lower the learning rate (it was {lr:g}; try {lr / 10:g}) and train again.")
        result.metrics["message"] = message
        return self._event("diverged", epoch, loss, acc, result=result, message=message,
                           train_acc=result.metrics["train_acc"], val_acc=result.metrics["val_acc"])

    def _end_epoch(self, epoch: int, epoch_loss: float, acc: float, seconds: float) -> TrainingEvent:
        assert self._data is not None and self.model is not None
        self.model.eval()
        train_acc = accuracy(self.model, self._data.x_train, self._data.y_train)
        val_acc = accuracy(self.model, self._data.x_val, self._data.y_val)
        self.model.train()
        self._evaluated_at = self.steps_done
        h = self.history
        h["epochs"].append(epoch)
        h["epoch_losses"].append(epoch_loss)
        h["train_acc"].append(train_acc)
        h["val_acc"].append(val_acc)
        h["epoch_seconds"].append(seconds)
        return self._event("epoch", epoch, epoch_loss, acc, train_acc=train_acc, val_acc=val_acc)

    def _final(self, kind: str, epoch: int, loss: float, acc: float) -> TrainingEvent:
        result = self._finish(kind)
        message = "" if kind == "done" else f"Stopped at step {self.steps_done} of {self.total_steps}."
        return self._event(kind, epoch, loss, acc, result=result, message=message,
                           train_acc=result.metrics["train_acc"], val_acc=result.metrics["val_acc"])

    def _finish(self, status: str) -> TrainedModel:
        """Measure the final accuracies, move the model to the CPU, free the device's copy of the data."""
        assert self.model is not None
        if self._result is not None:
            return self._result
        self.status = status
        h = self.history
        if self._data is not None and self._evaluated_at != self.steps_done:
            self.model.eval()
            train_acc = accuracy(self.model, self._data.x_train, self._data.y_train)
            val_acc = accuracy(self.model, self._data.x_val, self._data.y_val)
        else:
            train_acc = h["train_acc"][-1] if h["train_acc"] else float("nan")
            val_acc = h["val_acc"][-1] if h["val_acc"] else float("nan")
        n_train = len(self._data.y_train) if self._data is not None else 0
        n_val = len(self._data.y_val) if self._data is not None else 0
        self._release()
        self.model.eval()
        config = self.config
        metrics = {
            "status": status,
            "train_acc": train_acc,
            "val_acc": val_acc,
            "epoch_seconds": list(h["epoch_seconds"]),
            "samples_per_s": self.samples_seen / self.train_seconds if self.train_seconds > 0 else 0.0,
            "train_seconds": self.train_seconds,
            "elapsed_s": time.perf_counter() - self._started,
            "loss_history": list(h["losses"]),
            "loss_steps": list(h["steps"]),
            "epoch_losses": list(h["epoch_losses"]),
            "epoch_train_acc": list(h["train_acc"]),
            "epoch_val_acc": list(h["val_acc"]),
            "steps": self.steps_done,
            "total_steps": self.total_steps,
            "samples_seen": self.samples_seen,
            "n_train": n_train,
            "n_val": n_val,
            "device": str(self.device),
            "fast_path": self.fast_path,
            "threads": self.threads_used,
            "article_faithful": config.article_faithful,
        }
        self._result = TrainedModel(
            model=self.model, config=config.mlp_config(), hyperparameters=config.as_dict(),
            metrics=metrics, source=self.dataset.source if self.dataset is not None else config.source,
            name=f"{config.label} ({status})",
        )
        return self._result

    # -- the fixed loop
    def _fixed_loop(self) -> Iterator[TrainingEvent]:
        config, data, model, device = self.config, self._data, self.model, self.device
        assert data is not None and model is not None and device is not None
        bs = config.batch_size
        n_train = len(data.y_train)
        steps_per_epoch = math.ceil(n_train / bs)
        self.total_steps = steps_per_epoch * config.epochs
        loss_fn = nn.CrossEntropyLoss()
        use_graph = (config.fast and config.cuda_graph and device.type == "cuda" and n_train >= bs * 4
                     and config.precision == "fp32")
        optimizer = make_optimizer(config, model.parameters(), device, capturable=use_graph)
        generator = torch.Generator(device="cpu").manual_seed(config.seed)
        step_fn: _EagerStep | _CudaGraphStep = _EagerStep(model, loss_fn, optimizer, config.precision, device,
                                                              direct=config.fast)
        self._optimizer_text = _describe_optimizer(optimizer) + (", bf16 autocast" if config.precision == "bf16" else "")
        if use_graph:
            step_fn = _CudaGraphStep.try_build(model, loss_fn, optimizer, bs, device) or step_fn
        self._step_fn = step_fn
        self.fast_path = step_fn.description(self._optimizer_text)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        model.train()
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            chunk_started = epoch_started
            order = torch.randperm(n_train, generator=generator).to(device)  # a new shuffle each epoch
            epoch_loss, epoch_seen, since_log, seen_log = 0.0, 0, 0, 0
            epoch_correct = 0
            for i in range(steps_per_epoch):
                batch = order[i * bs:(i + 1) * bs]  # a slice of the shuffled indices
                xb = data.x_train.index_select(0, batch)  # gathered on the device (index_select: the fast gather)
                yb = data.y_train.index_select(0, batch)
                batch_loss, batch_correct = step_fn(xb, yb)
                loss_sum += batch_loss
                correct += batch_correct
                self.steps_done += 1
                since_log += 1
                seen_log += len(yb)
                if since_log == config.log_every or i == steps_per_epoch - 1:
                    total = loss_sum.item()  # the only sync: once per log_every steps
                    now = time.perf_counter()
                    self.train_seconds += now - chunk_started
                    self.samples_seen += seen_log
                    epoch_loss += total
                    epoch_correct += int(correct.item())
                    epoch_seen += seen_log
                    mean_loss = total / since_log
                    loss_sum.zero_()
                    correct.zero_()
                    self._record_step(mean_loss)
                    acc = epoch_correct / epoch_seen
                    if is_diverged(mean_loss):
                        yield self._diverged(epoch, mean_loss, acc)
                        return
                    yield self._event("step", epoch, mean_loss, acc)
                    since_log, seen_log = 0, 0
                    if self._stop_requested:
                        yield self._final("stopped", epoch, mean_loss, acc)
                        return
                    chunk_started = time.perf_counter()
            seconds = time.perf_counter() - epoch_started
            yield self._end_epoch(epoch, epoch_loss / steps_per_epoch, epoch_correct / max(epoch_seen, 1), seconds)
            if self._stop_requested and epoch < config.epochs:
                yield self._final("stopped", epoch, epoch_loss / steps_per_epoch, epoch_correct / max(epoch_seen, 1))
                return
        yield self._final("done", config.epochs, self.history["epoch_losses"][-1], self.history["train_acc"][-1])

    # -- the article's loop, as written
    def _article_loop(self) -> Iterator[TrainingEvent]:
        config, data, model, device = self.config, self._data, self.model, self.device
        assert data is not None and model is not None and device is not None and self.dataset is not None
        self.fast_path = "the article's loop as written, no fast path"
        batch_size = config.batch_size
        rng = np.random.RandomState(config.seed)
        n_train = len(data.y_train)
        # the article keeps numpy arrays and converts every batch
        train_x = self.dataset.images[:n_train].reshape(n_train, -1).astype(np.float32) / 255.0
        train_y = np.asarray(self.dataset.labels[:n_train], dtype=np.int64)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr) if config.optimizer == "adam" else \
            torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
        total_batch = max(1, int(data.n_total / batch_size))  # DEFECT: the whole CSV, not the 70% split
        self.total_steps = total_batch * config.epochs
        model.train()
        for epoch in range(1, config.epochs + 1):
            epoch_started = time.perf_counter()
            chunk_started = epoch_started
            avg_cost, since_log, loss_log, correct, seen = 0.0, 0, 0.0, 0, 0
            for i in range(total_batch):
                batch_mask = rng.choice(n_train, batch_size)  # DEFECT: with replacement
                batch_x = train_x[batch_mask]
                batch_x = batch_x / batch_x.max()  # preproc: DEFECT, divides by the batch's max (1.0 already)
                batch_y = train_y[batch_mask]
                x, y = torch.from_numpy(batch_x).to(device), torch.from_numpy(batch_y).to(device)
                pred = model(x)
                loss = loss_fn(pred, y)
                loss.backward()  # DEFECT: no optimizer.zero_grad(), gradients pile up
                optimizer.step()
                loss_value = loss.item()  # the article's loss.data[0]: a sync every step
                avg_cost += loss_value / total_batch
                correct += int((pred.argmax(dim=1) == y).sum())
                self.steps_done += 1
                since_log += 1
                seen += batch_size
                loss_log += loss_value
                if since_log == config.log_every or i == total_batch - 1:
                    now = time.perf_counter()
                    self.train_seconds += now - chunk_started
                    self.samples_seen += since_log * batch_size
                    mean_loss = loss_log / since_log
                    self._record_step(mean_loss)
                    if is_diverged(mean_loss):
                        yield self._diverged(epoch, mean_loss, correct / seen)
                        return
                    yield self._event("step", epoch, mean_loss, correct / seen)
                    since_log, loss_log = 0, 0.0
                    if self._stop_requested:
                        yield self._final("stopped", epoch, mean_loss, correct / seen)
                        return
                    chunk_started = time.perf_counter()
            seconds = time.perf_counter() - epoch_started
            yield self._end_epoch(epoch, avg_cost, correct / seen, seconds)
            if self._stop_requested and epoch < config.epochs:
                yield self._final("stopped", epoch, avg_cost, correct / seen)
                return
        yield self._final("done", config.epochs, self.history["epoch_losses"][-1], self.history["train_acc"][-1])


def _describe_optimizer(optimizer: torch.optim.Optimizer) -> str:
    group = optimizer.param_groups[0]
    name = type(optimizer).__name__
    if group.get("fused"):
        return f"fused {name}"
    if group.get("foreach"):
        return f"foreach {name}"
    return f"{name} (for-loop)"


class DirectFusedAdam:
    """`optimizer.step()` of a fused Adam without its per-call Python bookkeeping.

    `torch.optim.Adam(fused=True).step()` spends about 0.13 ms of Python per call on this MLP
    (hooks, grouping the tensors by device and dtype, reading the state dict) before it launches one
    fused kernel; on 2 CPU cores that is 7 % of a whole 1.8 ms training step
    (`python scripts/direct_adam_step.py` measures it). This calls the same kernel
    (`torch._fused_adam_`, what Adam.step calls) on lists gathered once, so the result is bit for bit
    `optimizer.step()`'s, and the optimizer's state stays the one its `state_dict()` shows. The first
    call (which creates the state), and any call where a gradient is missing, go through
    `optimizer.step()` itself. `for_optimizer` returns None where this does not apply. The state's
    tensors are gathered once: make a new one after `optimizer.load_state_dict()`.
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
        params = group["params"]
        if len({(p.device, p.dtype) for p in params}) != 1:
            return None
        return cls(optimizer)

    def zero_grad(self) -> None:
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


class _EagerStep:
    """The canonical step: zero_grad, forward, loss, backward, step. Returns (loss, correct) as tensors.

    With precision "bf16" the forward pass (and so the backward) runs under torch.autocast in bfloat16:
    the weights and the optimizer stay float32. With `direct=True` a plain fused Adam steps through
    DirectFusedAdam (the same kernel, without Optimizer.step's per-call Python).
    """

    def __init__(self, model: nn.Module, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
                 precision: str = "fp32", device: torch.device | None = None, direct: bool = False) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.autocast = precision == "bf16"
        self.device_type = device.type if device is not None else "cpu"
        self.direct = DirectFusedAdam.for_optimizer(optimizer) if direct else None

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        direct = self.direct
        if direct is not None:
            direct.zero_grad()
        else:
            self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(self.device_type, dtype=torch.bfloat16, enabled=self.autocast):
            logits = self.model(xb)
            loss = self.loss_fn(logits, yb)
        loss.backward()
        if direct is not None:
            direct.step()
        else:
            self.optimizer.step()
        return loss.detach(), (logits.detach().argmax(dim=1) == yb).sum()

    def description(self, optimizer_text: str) -> str:
        if self.direct is not None:
            return f"{optimizer_text}, its kernel called directly"
        return optimizer_text


class _CudaGraphStep:
    """The whole training step captured once in a CUDA graph and replayed for every full batch.

    Follows PyTorch's "whole network capture" recipe: a few warm-up steps on a side stream (real
    steps on the first batches: they initialise the optimizer's state), then capture with the
    gradients set to None so that backward allocates them inside the graph's memory pool. Batches
    are copied into static input buffers before each replay. A batch of another size (the epoch's
    last, partial one) runs eagerly with the gradients zeroed in place, so the graph's gradient
    buffers stay the ones the optimizer reads. CUDA only: build() refuses any other device.
    """

    WARMUP_STEPS = 3

    def __init__(self, model: nn.Module, loss_fn: nn.Module, optimizer: torch.optim.Optimizer,
                 batch_size: int, device: torch.device) -> None:
        if device.type != "cuda":
            raise DeviceError("CUDA graphs run only on a CUDA device.")
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.batch_size, self.device = batch_size, device
        self.static_x = torch.zeros(batch_size, 28 * 28, device=device)
        self.static_y = torch.zeros(batch_size, dtype=torch.int64, device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self.warmup_left = self.WARMUP_STEPS
        self.failure = ""

    @classmethod
    def try_build(cls, model, loss_fn, optimizer, batch_size, device) -> _CudaGraphStep | None:
        if device.type != "cuda" or not torch.cuda.is_available():
            return None
        group = optimizer.param_groups[0]
        if isinstance(optimizer, torch.optim.Adam) and not group.get("capturable"):
            return None  # a host-side step counter cannot be captured (and step() refuses to be)
        return cls(model, loss_fn, optimizer, batch_size, device)

    def description(self, optimizer_text: str) -> str:
        if self.failure:
            return f"{optimizer_text}, eager steps (CUDA graph capture failed: {self.failure})"
        return f"{optimizer_text}, CUDA graph ({self.WARMUP_STEPS} eager warm-up steps, partial batches eager)"

    def _eager(self, xb: torch.Tensor, yb: torch.Tensor, set_to_none: bool) -> tuple[torch.Tensor, torch.Tensor]:
        self.optimizer.zero_grad(set_to_none=set_to_none)
        logits = self.model(xb)
        loss = self.loss_fn(logits, yb)
        loss.backward()
        with warnings.catch_warnings():  # "capturable=True ... step() is running without CUDA graph capture"
            warnings.simplefilter("ignore", UserWarning)
            self.optimizer.step()
        return loss.detach(), (logits.detach().argmax(dim=1) == yb).sum()

    def _capture(self) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):  # other threads (a web server) may use CUDA
            logits = self.model(self.static_x)
            loss = self.loss_fn(logits, self.static_y)
            loss.backward()
            self.optimizer.step()
            self.static_loss = loss.detach()
            self.static_correct = (logits.detach().argmax(dim=1) == self.static_y).sum()
        self.graph = graph

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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
        return self.static_loss, self.static_correct  # read (added up) before the next replay, in stream order


def train_digits(config: TrainConfig, data: DigitDataset | None = None) -> Trainer:
    """Start a run: a Trainer, which is an iterator of TrainingEvent (see the module docstring)."""
    return Trainer(config, data)


def train_to_completion(config: TrainConfig, data: DigitDataset | None = None) -> TrainedModel:
    """Run all epochs and return the TrainedModel (also when the run diverges: see metrics["status"])."""
    trainer = train_digits(config, data)
    for _ in trainer:
        pass
    return trainer.result()


def canonical_step_code(config: TrainConfig) -> str:
    """The PyTorch code of a run with these settings, for the page's code expander."""
    from pytorch_explorer.digits.models import mlp_code

    model = mlp_code(config.mlp_config())
    fused = ", fused=True" if config.fast and not config.article_faithful else ""
    if config.optimizer == "adam":
        opt = f"optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g}{fused})"
    else:
        opt = f"optimizer = torch.optim.SGD(model.parameters(), lr={config.lr:g}, momentum={config.momentum:g}{fused})"
    split = f"cut = int(len(x) * {1 - config.val_fraction:g})"
    if config.article_faithful:
        return f"""import numpy as np
import torch

rng = np.random.RandomState({config.seed})
# train_x: float32 (N, 784) in [0, 1]; train: the whole labelled CSV
{split}
train_x, val_x = train_x[:cut], train_x[cut:]
train_y, val_y = train_y[:cut], train_y[cut:]
{model}
loss_fn = torch.nn.CrossEntropyLoss()
{opt}

def preproc(unclean_batch_x):
    return unclean_batch_x / unclean_batch_x.max()   # DEFECT: divides by the batch's max (already 1.0)

total_batch = int(train.shape[0] / {config.batch_size})   # DEFECT: counts the whole CSV, not the 70% split
for epoch in range({config.epochs}):
    avg_cost = 0
    for i in range(total_batch):
        batch_mask = rng.choice(train_x.shape[0], {config.batch_size})   # DEFECT: drawn with replacement
        batch_x = preproc(train_x[batch_mask])
        batch_y = train_y[batch_mask]
        x, y = torch.from_numpy(batch_x), torch.from_numpy(batch_y)   # a copy per batch
        pred = model(x)
        loss = loss_fn(pred, y)
        # DEFECT: no optimizer.zero_grad(): each step applies the sum of all earlier gradients
        loss.backward()
        optimizer.step()
        avg_cost += loss.item() / total_batch   # the article's loss.data[0]
    print(epoch, avg_cost)
"""
    return f"""import torch

torch.manual_seed({config.seed})
device = torch.device("{config.device if config.device != 'auto' else 'cuda' if torch.cuda.is_available() else 'cpu'}")
# x: uint8 images (N, 28, 28), y: labels (N,), all on the device as one tensor
x = torch.from_numpy(images).to(device).reshape(len(images), -1).float() / 255
y = torch.from_numpy(labels).to(device)
{split}
x_train, y_train, x_val, y_val = x[:cut], y[:cut], x[cut:], y[cut:]
{model}.to(device)
loss_fn = torch.nn.CrossEntropyLoss()
{opt}
generator = torch.Generator().manual_seed({config.seed})

for epoch in range({config.epochs}):
    order = torch.randperm(len(x_train), generator=generator).to(device)   # a new shuffle each epoch
    for i in range(0, len(order), {config.batch_size}):
        batch = order[i:i + {config.batch_size}]              # a batch is a slice of the shuffled indices
        xb, yb = x_train[batch], y_train[batch]   # gathered on the device: no copy from numpy
        optimizer.zero_grad()                         # the five-line step
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        val_acc = (model(x_val).argmax(1) == y_val).float().mean().item()
    print(epoch, loss.item(), val_acc)
"""



def speed_notes(config: TrainConfig, fast_path: str = "") -> str:
    """Markdown for the trainer page: what made a run with these settings fast (or not), and how to measure it.

    fast_path: the last finished run's metrics["fast_path"] (what actually ran), when there is one.
    """
    if config.article_faithful:
        lines = [
            "The article's loop as written pays, on every step, for work this trainer does once:",
            "- **a numpy batch**: fancy indexing, a divide by the batch's max and `torch.from_numpy` per step "
            "(on a GPU, a host-to-device copy per step);",
            "- **`loss.item()` every step**: on a GPU each one waits for the GPU to finish (a sync);",
            "- **the for-loop Adam**: a few small tensor operations per parameter, launched one by one.",
        ]
    else:
        lines = [
            "What this trainer does to go fast (switch **Fast path** off to compare samples/s in the history):",
            "- **the digits stay on the training device** as one float tensor; a batch is a slice of a shuffled "
            "index, gathered there with `index_select` (no numpy, no copy from the host);",
            "- **the loss is read every few steps**, not every step: `.item()` makes the CPU wait for the device;",
        ]
        if config.fast and config.optimizer == "adam":
            lines.append(
                "- **fused Adam** (`torch.optim.Adam(..., fused=True)`): one kernel updates every parameter, "
                "instead of a handful of small operations per parameter; its kernel is called directly "
                "(`torch._fused_adam_`, what `optimizer.step()` calls), which saves `step()`'s Python bookkeeping: "
                "7 % of a CPU step in docs/benchmarks.md;")
        elif config.fast:
            lines.append(
                "- **fused SGD** (`torch.optim.SGD(..., fused=True)`): one kernel updates every parameter and its "
                "momentum, instead of a few small operations per parameter;")
        if config.fast:
            lines += [
                "- **on a CUDA GPU, a CUDA graph**: the whole step (forward, loss, backward, Adam) is recorded once "
                "and replayed, so Python launches one graph instead of dozens of kernels. At batch 128 this MLP is "
                "too small to keep a GPU busy: without the graph, the time goes to launching kernels.",
            ]
        else:
            lines.append("- **Fast path is off**: the optimizer's plain for-loop step, and no CUDA graph.")
    if fast_path:
        lines.append(f"\nThe last run used: {fast_path}.")
    lines.append("\nMeasure your machine: `python -m pytorch_explorer bench` runs the article's loop and this trainer "
                 "side by side (`--device cuda` on a GPU); docs/benchmarks.md has the figures measured so far.")
    return "\n".join(lines)


def planned_steps(config: TrainConfig, n_total: int) -> int:
    """Optimizer steps a full run takes: ceil(n_train / batch) per epoch, or the article's int(n_total / batch)."""
    if config.article_faithful:
        return max(1, int(n_total / config.batch_size)) * config.epochs
    n_train = int(n_total * (1.0 - config.val_fraction))
    return math.ceil(n_train / config.batch_size) * config.epochs


def log_every_for(n_train: int, batch_size: int, points_per_epoch: int = 25) -> int:
    """Steps between loss readings so that a live chart gets about `points_per_epoch` points per epoch."""
    steps = max(1, math.ceil(n_train / batch_size))
    return max(1, min(50, steps // points_per_epoch))


def history_row(name: str, trained: TrainedModel, how: str = "trained on the trainer page") -> dict[str, Any]:
    """One row of the run-history table (st.session_state["digits_runs"]): settings, accuracies, time, device.

    Keys shared with the probe page's rows: name, how, mode, epochs, hidden, train_acc, val_acc,
    seconds, device, source.
    """
    h, m = trained.hyperparameters, trained.metrics
    return {
        "name": name,
        "how": how,
        "mode": "article-faithful" if h.get("article_faithful", m.get("article_faithful")) else "fixed",
        "status": m.get("status", "?"),
        "source": trained.source,
        "hidden": h.get("hidden", trained.config.hidden),
        "depth": h.get("depth", trained.config.depth),
        "activation": h.get("activation", trained.config.activation),
        "optimizer": h.get("optimizer"),
        "lr": h.get("lr"),
        "batch_size": h.get("batch_size"),
        "epochs": h.get("epochs"),
        "seed": h.get("seed"),
        "train_acc": m.get("train_acc"),
        "val_acc": m.get("val_acc"),
        "seconds": round(float(sum(m.get("epoch_seconds", []))), 2),
        "samples_per_s": round(float(m.get("samples_per_s", 0.0))),
        "device": m.get("device"),
        "fast_path": m.get("fast_path", ""),
    }


class LiveRun:
    """A run that a UI drives in chunks: `pull(seconds)` trains for a while and keeps what a page draws.

    Everything a page shows (the loss curve, per-epoch accuracies, the last event, the final event or
    an error message) lives on this plain object, so a UI thread can record it without touching any
    framework state. `pull` takes a lock: a second thread that calls it while the first is still
    training gets False back and trains nothing (a Streamlit session can briefly run two script
    threads when a click interrupts a run).
    """

    def __init__(self, config: TrainConfig, data: DigitDataset, number: int = 1) -> None:
        self.config = config
        self.number = number  # "run N" on the page
        self.name: str | None = None  # given once, when the page files the run
        self.trainer = train_digits(config, data)
        self.total_steps = planned_steps(config, len(data))
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.epochs: list[int] = []
        self.train_acc: list[float] = []
        self.val_acc: list[float] = []
        self.event: TrainingEvent | None = None
        self.final: TrainingEvent | None = None  # the "done", "stopped" or "diverged" event
        self.error: str | None = None  # a DeviceError's (or other failure's) message
        self.filed = False  # set by the page once the result is in its history
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.final is None and self.error is None

    @property
    def device(self) -> str:
        return str(self.trainer.device) if self.trainer.device is not None else self.config.device

    def stop(self) -> None:
        """Ask the trainer to stop: the next pull ends the run with a "stopped" event."""
        self.trainer.stop()

    def pull(self, seconds: float) -> bool:
        """Train for about `seconds` (at least one event); False if another thread is pulling right now."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            deadline = time.perf_counter() + seconds
            while self.active:
                try:
                    self._record(next(self.trainer))
                except StopIteration:
                    self.error = self.error or "The run ended without a result."
                except (ExplorerError, RuntimeError, ValueError) as exc:  # out of memory, CUDA unusable, ...
                    self.error = str(exc)
                if time.perf_counter() >= deadline:
                    break
        finally:
            self._lock.release()
        return True

    def _record(self, event: TrainingEvent) -> None:
        if event.kind == "step":
            self.steps.append(event.step)
            self.losses.append(event.loss)
        elif event.kind == "epoch":
            self.epochs.append(event.epoch)
            self.train_acc.append(event.train_acc if event.train_acc is not None else float("nan"))
            self.val_acc.append(event.val_acc if event.val_acc is not None else float("nan"))
        self.event = event
        if event.kind in FINAL_KINDS:
            self.final = event
