"""The digit trainer: the article's MLP (or a CNN: TrainConfig.arch) trained as a generator of progress events.

Where things are:

- config: TrainConfig (the defaults are the article's values), planned_steps, log_every_for, flops_per_sample,
  estimate_seconds (how long a run takes at a measured speed);
- loop: the fixed loop and `train_step`, PyTorch's canonical five-line step;
- article_loop: the article's loop as written, each defect marked `# DEFECT`;
- fast_path: fused optimizers and, on CUDA, the step as a CUDA graph, behind `build_step`;
- run_log: TrainingEvent and RunLog, the steps, samples, seconds and loss history both loops report;
- figures: the loss and accuracy charts a page draws from a run, and the live predictions' grid;
- preview: the fixed validation digits whose predictions a page redraws as a run trains, and a quick
  measurement of a model's samples/s;
- messages: the run's messages and what-ran descriptions, written in English and `localize`d for a page;
- this module: the Trainer, which runs one loop and ends it (done, stopped, diverged) the same way for both.

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

import time
from collections.abc import Iterator

import torch

from pytorch_explorer.core.devices import resolve_device
from pytorch_explorer.core.errors import DeviceError, ExplorerError
from pytorch_explorer.digits.training.article_loop import article_loop
from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.models import TrainedModel, build_model
from pytorch_explorer.digits.training.run_log import EVENT_KINDS, FINAL_KINDS, RunLog, TrainingEvent, is_diverged
from pytorch_explorer.digits.training.config import (
    TrainConfig, estimate_seconds, flops_per_sample, format_duration, log_every_for, planned_steps,
)
from pytorch_explorer.digits.training.loop import DeviceData, evaluate, fixed_loop
from pytorch_explorer.digits.training.messages import DEVICE_FAILED, DIVERGED, OUT_OF_MEMORY, STOPPED

__all__ = ["EVENT_KINDS", "FINAL_KINDS", "TrainConfig", "Trainer", "TrainingEvent", "estimate_seconds",
           "flops_per_sample", "format_duration", "is_diverged", "log_every_for", "planned_steps", "train_digits",
           "train_to_completion"]


class Trainer:
    """One training run: iterate it for TrainingEvents; `stop()`, `close()`, `result()` (see module doc)."""

    def __init__(self, config: TrainConfig, data: DigitDataset | None = None) -> None:
        self.config = config
        self.dataset = data
        self.device: torch.device | None = None
        self.model: torch.nn.Sequential | None = None
        self.log: RunLog | None = None  # steps, samples, seconds, history: what the run has done so far
        self.threads_used = 0  # torch CPU threads the run used (0 on an accelerator)
        self._data: DeviceData | None = None
        self._threads_before = 0  # torch's thread count before this run changed it (0: unchanged)
        self._stop_requested = False
        self._result: TrainedModel | None = None
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
        if self._result is None and self.log is not None:
            self._finish("stopped")

    @property
    def finished(self) -> bool:
        return self._result is not None

    def result(self) -> TrainedModel:
        """The trained model: final, or partial if the run was stopped or closed early."""
        if self._result is None:
            if self.log is None:
                raise ExplorerError("Training has not started yet: there is no model to return.")
            self.close()
        assert self._result is not None
        return self._result

    # -- the run
    def _run(self) -> Iterator[TrainingEvent]:
        config, started = self.config, time.perf_counter()
        self.dataset = dataset = self.dataset if self.dataset is not None else load_digits(config.source, on_error=config.on_error, resize=config.resize)
        self.device = device = resolve_device(config.device)
        if config.threads and device.type == "cpu":
            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(config.threads)
        self.threads_used = torch.get_num_threads() if device.type == "cpu" else 0
        try:
            self._data = data = DeviceData.from_dataset(dataset, config.val_fraction, device)
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(config.seed)
                self.model = model = build_model(config.model_config()).to(device)
            self.log = log = RunLog(config.log_every, planned_steps(config, len(dataset)), self._evaluate, started)
            if config.article_faithful:
                loop = article_loop(model, dataset, config, log, device)
            else:
                loop = fixed_loop(model, data, config, log, device)
            del data
            yield from self._watch(own_random_state(loop, config.seed))
        except torch.cuda.OutOfMemoryError as exc:
            self._release()
            raise DeviceError(OUT_OF_MEMORY, device=device) from exc
        except RuntimeError as exc:
            if device.type == "cpu" or isinstance(exc, ExplorerError):
                raise
            self._release()
            raise DeviceError(DEVICE_FAILED, device=device, error=str(exc).splitlines()[0]) from exc
        finally:
            self._restore_threads()

    def _watch(self, loop: Iterator[TrainingEvent]) -> Iterator[TrainingEvent]:
        """Pass a loop's events on and end the run: "diverged" at a runaway loss, "stopped" when asked, else "done"."""
        last_epoch: TrainingEvent | None = None
        try:
            for event in loop:
                if event.kind == "step" and is_diverged(event.loss):
                    loop.close()  # type: ignore[attr-defined]  (a generator)
                    yield self._diverged(event)
                    return
                yield event
                if event.kind == "epoch":
                    last_epoch = event
                if self._stop_requested and not (event.kind == "epoch" and event.epoch == self.config.epochs):
                    loop.close()  # type: ignore[attr-defined]
                    yield self._final("stopped", event)
                    return
        finally:
            loop.close()  # type: ignore[attr-defined]
        assert last_epoch is not None
        yield self._final("done", last_epoch, accuracy=last_epoch.train_acc)

    def _evaluate(self) -> tuple[float, float]:
        assert self.model is not None and self._data is not None
        return evaluate(self.model, self._data)

    def _restore_threads(self) -> None:
        if self._threads_before:
            torch.set_num_threads(self._threads_before)
            self._threads_before = 0

    def _release(self) -> None:
        """Free the device's copy of the data, move the model to the CPU, give back torch's threads."""
        self._data = None
        self._restore_threads()
        if self.model is not None:
            self.model.to("cpu")
        if self.device is not None and self.device.type == "cuda":
            torch.cuda.empty_cache()

    def _diverged(self, event: TrainingEvent) -> TrainingEvent:
        lr = self.config.lr
        message = DIVERGED.format(loss=f"{event.loss:.4g}", step=event.step, epoch=event.epoch, lr=f"{lr:g}",
                                  lower=f"{lr / 10:g}")
        return self._final("diverged", event, message=message)

    def _final(self, kind: str, event: TrainingEvent, message: str = "",
               accuracy: float | None = None) -> TrainingEvent:
        assert self.log is not None
        result = self._finish(kind)
        if kind == "stopped":
            message = STOPPED.format(done=self.log.steps_done, total=self.log.total_steps)
        elif kind == "diverged":
            result.metrics["message"] = message
        return self.log.event(kind, event.epoch, event.loss, event.accuracy if accuracy is None else accuracy,
                              result=result, message=message, train_acc=result.metrics["train_acc"],
                              val_acc=result.metrics["val_acc"])

    def _finish(self, status: str) -> TrainedModel:
        """Measure the final accuracies, move the model to the CPU, free the device's copy of the data."""
        assert self.model is not None and self.log is not None
        if self._result is not None:
            return self._result
        log, history = self.log, self.log.history
        if self._data is not None:
            train_acc, val_acc = log.final_accuracies()
        else:  # released after an error
            train_acc = history.train_acc[-1] if history.train_acc else float("nan")
            val_acc = history.val_acc[-1] if history.val_acc else float("nan")
        n_train = len(self._data.y_train) if self._data is not None else 0
        n_val = len(self._data.y_val) if self._data is not None else 0
        self._release()
        self.model.eval()
        config = self.config
        metrics = {"status": status, "train_acc": train_acc, "val_acc": val_acc, **log.metrics(),
                   "n_train": n_train, "n_val": n_val, "device": str(self.device), "threads": self.threads_used,
                   "article_faithful": config.article_faithful}
        self._result = TrainedModel(
            model=self.model, config=config.model_config(), hyperparameters=config.as_dict(),
            metrics=metrics, source=self.dataset.source if self.dataset is not None else config.source,
            name=f"{config.label} ({status})",
        )
        return self._result


def own_random_state(loop: Iterator[TrainingEvent], seed: int) -> Iterator[TrainingEvent]:
    """Run a loop on a CPU random state of its own, seeded with the run's seed: dropout's masks come from it,
    so a run is the same for the same seed whatever else the process draws, and the process's global
    state is as it was between events. (A CUDA dropout draws from the device's generator, as usual.)"""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        state = torch.random.get_rng_state()
    try:
        while True:
            outer = torch.random.get_rng_state()
            torch.random.set_rng_state(state)
            try:
                event = next(loop)
            except StopIteration:
                return
            finally:
                state = torch.random.get_rng_state()
                torch.random.set_rng_state(outer)
            yield event
    finally:
        loop.close()  # type: ignore[attr-defined]  (a generator)


def train_digits(config: TrainConfig, data: DigitDataset | None = None) -> Trainer:
    """Start a run: a Trainer, which is an iterator of TrainingEvent (see the module docstring)."""
    return Trainer(config, data)


def train_to_completion(config: TrainConfig, data: DigitDataset | None = None) -> TrainedModel:
    """Run all epochs and return the TrainedModel (also when the run diverges: see metrics["status"])."""
    trainer = train_digits(config, data)
    for _ in trainer:
        pass
    return trainer.result()
