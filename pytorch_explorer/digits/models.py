"""The article's digit model and its checkpoints.

The article's model is `nn.Sequential(Linear(784, 500), ReLU(), Linear(500, 10))`; here the
hidden width, the number of hidden layers (1-3) and the activation can change, and the
layout stays a plain `nn.Sequential`, so `model[0].weight` is always the first layer.

`pixels_to_inputs` is the one place where stored digits (uint8, 0-255) become what the model
reads (float, 0-1, one row of 784 a digit). Checkpoints are dicts of tensors and plain values,
loaded with `weights_only=True`.
"""

from __future__ import annotations

import io
import pickle
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import nn

from pytorch_explorer.core.errors import CheckpointError

INPUT_UNITS = 28 * 28
OUTPUT_UNITS = 10
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
CHECKPOINT_FORMAT = "pytorch-explorer/digit-mlp/1"


@dataclass(frozen=True)
class MLPConfig:
    """The model's shape: hidden units per layer, hidden layers, activation."""

    hidden: int = 500
    depth: int = 1  # number of hidden layers
    activation: str = "relu"

    def __post_init__(self) -> None:
        if not 1 <= self.hidden <= 8192:
            raise ValueError(f"hidden units must be between 1 and 8192, not {self.hidden}")
        if not 1 <= self.depth <= 3:
            raise ValueError(f"depth must be 1, 2 or 3 hidden layers, not {self.depth}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, not {self.activation!r}")


def build_mlp(config: MLPConfig = MLPConfig()) -> nn.Sequential:
    """784 -> hidden (activation) [-> hidden (activation)]* -> 10, as an nn.Sequential."""
    layers: list[nn.Module] = []
    width_in = INPUT_UNITS
    for _ in range(config.depth):
        layers += [nn.Linear(width_in, config.hidden), ACTIVATIONS[config.activation]()]
        width_in = config.hidden
    layers.append(nn.Linear(width_in, OUTPUT_UNITS))
    return nn.Sequential(*layers)


def mlp_code(config: MLPConfig) -> str:
    """The PyTorch code that builds this model, for the pages' code expanders."""
    act = ACTIVATIONS[config.activation].__name__
    lines = ["model = torch.nn.Sequential("]
    width_in = "28 * 28"
    for _ in range(config.depth):
        lines += [f"    torch.nn.Linear({width_in}, {config.hidden}),", f"    torch.nn.{act}(),"]
        width_in = str(config.hidden)
    lines += [f"    torch.nn.Linear({width_in}, 10),", ")"]
    return "\n".join(lines)


def pixels_to_inputs(images: torch.Tensor) -> torch.Tensor:
    """Digits as the model reads them: (N, 28, 28) or (N, 784) -> float (N, 784).

    uint8 pixels (0-255) are divided by 255; float pixels are taken as already in [0, 1].
    """
    x = images.reshape(-1, INPUT_UNITS)
    return x.float() / 255.0 if x.dtype == torch.uint8 else x.float()


@dataclass
class TrainedModel:
    """A digit model with what made it: kept in a page's session and in checkpoint files."""

    model: nn.Sequential
    config: MLPConfig
    hyperparameters: dict[str, Any] = field(default_factory=dict)  # lr, batch_size, epochs, seed, ...
    metrics: dict[str, Any] = field(default_factory=dict)  # train_acc, val_acc, ...
    source: str = "bundled"  # the data source spec it was trained on
    name: str = "model"

    @torch.no_grad()
    def predict_proba(self, images: torch.Tensor) -> torch.Tensor:
        """Probabilities (N, 10) for uint8 or [0, 1] float images of shape (N, 28, 28) or (N, 784)."""
        self.model.eval()
        device = next(self.model.parameters()).device
        return torch.softmax(self.model(pixels_to_inputs(images.to(device))), dim=1).cpu()


def save_checkpoint(trained: TrainedModel, target: str | Path | BinaryIO | None = None) -> bytes | None:
    """Save state_dict + config + hyperparameters + metrics + source. With no target, return the bytes."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "state_dict": {k: v.detach().cpu() for k, v in trained.model.state_dict().items()},
        "config": asdict(trained.config),
        "hyperparameters": dict(trained.hyperparameters),
        "metrics": {k: v for k, v in trained.metrics.items() if isinstance(v, (int, float, str, bool, list))},
        "source": trained.source,
        "name": trained.name,
    }
    if target is None:
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        return buffer.getvalue()
    torch.save(payload, target)
    return None


MODEL_FILE = ("A model file is the .pt file this app saves (\"Download the current model\" on the trainer page, "
              "or `digits train --save PATH`): the weights (a state_dict), the model's shape and its training "
              "settings, in one dictionary saved with torch.save.")
_FILE_KINDS = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
               b"%PDF": "a PDF document", b"\x93NUMPY": "a numpy .npy file"}
_TORCH_MAGIC = (b"PK\x03\x04", b"\x80\x02")  # torch.save's zip archive, its legacy pickle format


def _first_bytes(source: str | Path | bytes | BinaryIO, n: int = 8) -> bytes:
    """The first bytes of a file, an upload or a stream (left where it was), to say what it is."""
    try:
        if isinstance(source, bytes):
            return source[:n]
        if isinstance(source, (str, Path)):
            with open(source, "rb") as handle:
                return handle.read(n)
        where = source.tell()
        head = source.read(n)
        source.seek(where)
        return head
    except (OSError, ValueError, AttributeError):  # a missing file (torch.load says so), an unseekable stream
        return b"?"


def _what_it_is_not(head: bytes, refusal: Exception) -> str:
    """Why torch.load refused a file, in words: what the file is (as far as its first bytes tell)."""
    if not head:
        return "it is empty"
    kind = next((kind for magic, kind in _FILE_KINDS.items() if head.startswith(magic)), None)
    if kind is not None:
        return f"it is {kind}, not a PyTorch file"
    if head.startswith(_TORCH_MAGIC) and not isinstance(refusal, pickle.UnpicklingError):
        return "it starts like a PyTorch file but cannot be read (cut short, or another kind of zip archive)"
    if head.startswith(_TORCH_MAGIC):  # weights_only=True refused what the file holds
        return ("it is a PyTorch file holding Python objects (a whole pickled model, numpy arrays, ...), and loading "
                "those could run code from the file, so this app loads only tensors and plain values")
    return "it is not a file saved with torch.save (text, or another program's format)"


def _what_it_holds(payload: object) -> str:
    if isinstance(payload, torch.Tensor):
        return "a single tensor"
    if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
        return "a bare state_dict (weights without the model's shape and settings)"
    if isinstance(payload, dict):
        return "a dictionary without this app's model format"
    return f"a {type(payload).__name__}"


def load_checkpoint(source: str | Path | bytes | BinaryIO, name: str | None = None) -> TrainedModel:
    """Load a checkpoint written by save_checkpoint (weights_only=True), or raise CheckpointError.

    The error says what the file is not (not a PyTorch file at all, a PyTorch file of something else,
    a damaged model file) and what a model file is (MODEL_FILE).
    """
    label = name or (str(source) if isinstance(source, (str, Path)) else "the uploaded file")
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    head = _first_bytes(source)  # read (and put back) first: what the file is, should torch.load refuse it
    try:
        payload = torch.load(stream, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise CheckpointError(f"{label}: no such file.") from exc
    except Exception as exc:  # pickle errors, zip errors, unsafe globals: all mean "not our checkpoint"
        raise CheckpointError(f"{label} is not a PyTorch Explorer model file: {_what_it_is_not(head, exc)}. "
                              f"{MODEL_FILE}") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{label} is a PyTorch file, but not a PyTorch Explorer model file: it holds "
                              f"{_what_it_holds(payload)}. {MODEL_FILE}")
    try:
        config = MLPConfig(**payload["config"])
        model = build_mlp(config)
        model.load_state_dict(payload["state_dict"])
    except KeyError as exc:
        raise CheckpointError(f"{label} is a PyTorch Explorer model file, but damaged: its {exc} entry is missing. "
                              "Save it again.") from exc
    except (TypeError, ValueError, RuntimeError) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "its contents do not fit together"
        raise CheckpointError(f"{label} is a PyTorch Explorer model file, but damaged: {detail}. "
                              "Save it again.") from exc
    model.eval()
    return TrainedModel(
        model=model,
        config=config,
        hyperparameters=dict(payload.get("hyperparameters", {})),
        metrics=dict(payload.get("metrics", {})),
        source=str(payload.get("source", "unknown")),
        name=str(payload.get("name", name or "model")),
    )
