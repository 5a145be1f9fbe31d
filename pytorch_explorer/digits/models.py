"""The digit models (the article's MLP and two convolutional networks) and their checkpoints.

The article's model is `nn.Sequential(Linear(784, 500), ReLU(), Linear(500, 10))`; here the
hidden width, the number of hidden layers (1-3) and the activation can change, and the
layout stays a plain `nn.Sequential`, so `model[0].weight` is always the MLP's first layer.
Two convolutional networks sit beside it (`ModelConfig.arch`): "lenet", LeNet-5 as LeCun drew
it for 32x32 digits (conv-pool-conv-pool-fc-fc-fc, 61,706 parameters), and "cnn", one made of
1-3 conv blocks whose channels, kernel size, dropout and batch norm are the learner's choice.
Every model reads the same flattened 784 pixels: a CNN's first layer, `nn.Unflatten`, turns them
back into a 1x28x28 image, so the data path, the fast path and both loops serve all three.

`model_cost` counts a model's parameters and FLOPs per sample, layer by layer, before it is built.
`pixels_to_inputs` is the one place where stored digits (uint8, 0-255) become what the model
reads (float, 0-1, one row of 784 a digit). Checkpoints are dicts of tensors and plain values,
loaded with `weights_only=True`; a checkpoint's config names its arch (old ones, without, are MLPs).
"""

from __future__ import annotations

import io
import math
import os
import pickle
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import torch
from torch import nn

from pytorch_explorer.core.errors import CheckpointError, ExplorerError, Term
from pytorch_explorer.i18n import DEFAULT, translate

INPUT_UNITS = 28 * 28
OUTPUT_UNITS = 10
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU}
CHECKPOINT_FORMAT = "pytorch-explorer/digit-mlp/1"
MAX_CHECKPOINT_PARAMETERS = 40_000_000  # 160 MB of float32 weights: the trainer page's largest model is 9.6M
MAX_CHECKPOINT_BYTES = 4 * MAX_CHECKPOINT_PARAMETERS + (8 << 20)  # what one checkpoint may unpack to, all entries
MAX_TEXT_CHARS = 200  # a checkpoint's name, source and any text in its hyperparameters
MAX_MESSAGE_CHARS = 2_000  # text in its metrics (a run's message)
MAX_LIST_ITEMS = 1_000_000  # numbers in one metrics list (loss_history, epoch_seconds, ...)


ARCHS = {"mlp": "MLP (the article's)", "lenet": "LeNet-5 (small CNN)", "cnn": "Configurable CNN"}
KERNEL_SIZES = (3, 5, 7)  # odd: padding k // 2 keeps a conv's output the size of its input


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ModelConfig:
    """The model's shape. arch "mlp": hidden, depth, activation. "lenet": activation (its layout is fixed).
    "cnn": channels (of the first conv block; each next block doubles them), kernel_size, conv_layers,
    dropout (before the output layer), batch_norm (after each conv, which then has no bias), activation."""

    hidden: int = 500
    depth: int = 1  # number of hidden layers
    activation: str = "relu"
    arch: str = "mlp"
    channels: int = 16
    kernel_size: int = 3
    conv_layers: int = 2
    dropout: float = 0.25
    batch_norm: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.arch, str) or self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {', '.join(ARCHS)}, not {str(self.arch)[:40]!r}")
        if not _whole(self.hidden) or not 1 <= self.hidden <= 8192:
            raise ValueError(f"hidden units must be between 1 and 8192, not {str(self.hidden)[:40]}")
        if not _whole(self.depth) or not 1 <= self.depth <= 3:
            raise ValueError(f"depth must be 1, 2 or 3 hidden layers, not {str(self.depth)[:40]}")
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, not {str(self.activation)[:40]!r}")
        if not _whole(self.channels) or not 1 <= self.channels <= 128:
            raise ValueError(f"channels must be between 1 and 128, not {str(self.channels)[:40]}")
        if self.kernel_size not in KERNEL_SIZES or not _whole(self.kernel_size):
            raise ValueError(f"kernel size must be 3, 5 or 7, not {str(self.kernel_size)[:40]}")
        if not _whole(self.conv_layers) or not 1 <= self.conv_layers <= 3:
            raise ValueError(f"conv layers must be 1, 2 or 3, not {str(self.conv_layers)[:40]}")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout <= 0.9:
            raise ValueError(f"dropout must be a number from 0 to 0.9, not {str(self.dropout)[:40]}")
        if not isinstance(self.batch_norm, bool):
            raise ValueError(f"batch_norm must be true or false, not {str(self.batch_norm)[:40]}")


MLPConfig = ModelConfig  # its name from before the CNNs: an MLPConfig() is still the article's MLP


def build_model(config: ModelConfig = ModelConfig()) -> nn.Sequential:
    """The model `config.arch` names, as an nn.Sequential that reads (N, 784) and returns (N, 10) logits."""
    return {"mlp": build_mlp, "lenet": build_lenet, "cnn": build_cnn}[config.arch](config)


def build_mlp(config: ModelConfig = ModelConfig()) -> nn.Sequential:
    """784 -> hidden (activation) [-> hidden (activation)]* -> 10, as an nn.Sequential."""
    layers: list[nn.Module] = []
    width_in = INPUT_UNITS
    for _ in range(config.depth):
        layers += [nn.Linear(width_in, config.hidden), ACTIVATIONS[config.activation]()]
        width_in = config.hidden
    layers.append(nn.Linear(width_in, OUTPUT_UNITS))
    return nn.Sequential(*layers)


def build_lenet(config: ModelConfig = ModelConfig(arch="lenet")) -> nn.Sequential:
    """LeNet-5 on 28x28 digits: the first conv pads by 2, so its 28x28 input acts as LeCun's 32x32.

    conv 5x5 1->6 (28x28) - pool (14x14) - conv 5x5 6->16 (10x10) - pool (5x5) - 400 -> 120 -> 84 -> 10.
    LeCun used tanh and average pooling; here the activation is the config's and the pooling is max.
    """
    act = ACTIVATIONS[config.activation]
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),  # the 784 pixels back to a 1x28x28 image
        nn.Conv2d(1, 6, kernel_size=5, padding=2), act(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, kernel_size=5), act(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), act(),
        nn.Linear(120, 84), act(),
        nn.Linear(84, OUTPUT_UNITS),
    )


def build_cnn(config: ModelConfig = ModelConfig(arch="cnn")) -> nn.Sequential:
    """conv_layers blocks of conv (k x k, same size) [batch norm] activation, 2x2 max pool; then dropout and
    one linear layer to the 10 scores. Channels: `channels` in the first block, doubled in each next one."""
    layers: list[nn.Module] = [nn.Unflatten(1, (1, 28, 28))]
    width_in, size = 1, 28
    for block in range(config.conv_layers):
        width_out = config.channels * 2 ** block
        layers.append(nn.Conv2d(width_in, width_out, kernel_size=config.kernel_size,
                                padding=config.kernel_size // 2, bias=not config.batch_norm))
        if config.batch_norm:
            layers.append(nn.BatchNorm2d(width_out))
        layers += [ACTIVATIONS[config.activation](), nn.MaxPool2d(2)]
        width_in, size = width_out, size // 2
    layers.append(nn.Flatten())
    if config.dropout > 0:
        layers.append(nn.Dropout(config.dropout))
    layers.append(nn.Linear(width_in * size * size, OUTPUT_UNITS))
    return nn.Sequential(*layers)


def mlp_code(config: ModelConfig) -> str:
    """The PyTorch code that builds this model, for the pages' code expanders (any arch: see model_code)."""
    if config.arch != "mlp":
        return model_code(config)
    act = ACTIVATIONS[config.activation].__name__
    lines = ["model = torch.nn.Sequential("]
    width_in = "28 * 28"
    for _ in range(config.depth):
        lines += [f"    torch.nn.Linear({width_in}, {config.hidden}),", f"    torch.nn.{act}(),"]
        width_in = str(config.hidden)
    lines += [f"    torch.nn.Linear({width_in}, 10),", ")"]
    return "\n".join(lines)


def model_code(config: ModelConfig) -> str:
    """The PyTorch code that builds `build_model(config)`, one layer a line."""
    if config.arch == "mlp":
        return mlp_code(config)
    with torch.device("meta"):
        model = build_model(config)
    lines = ["model = torch.nn.Sequential("]
    for layer in model:
        lines.append(f"    torch.nn.{layer_code(layer)},"
                     + ("   # the 784 pixels back to a 1x28x28 image" if isinstance(layer, nn.Unflatten) else ""))
    return "\n".join([*lines, ")"])


def layer_code(layer: nn.Module) -> str:
    """One layer as the code that makes it: "Conv2d(1, 6, kernel_size=5, padding=2)"."""
    if isinstance(layer, nn.Conv2d):
        padding = f", padding={layer.padding[0]}" if layer.padding[0] else ""
        bias = "" if layer.bias is not None else ", bias=False"
        return f"Conv2d({layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size[0]}{padding}{bias})"
    if isinstance(layer, nn.Linear):
        return f"Linear({layer.in_features}, {layer.out_features})"
    if isinstance(layer, nn.BatchNorm2d):
        return f"BatchNorm2d({layer.num_features})"
    if isinstance(layer, nn.MaxPool2d):
        return f"MaxPool2d({layer.kernel_size})"
    if isinstance(layer, nn.Dropout):
        return f"Dropout({layer.p:g})"
    if isinstance(layer, nn.Unflatten):
        return f"Unflatten(1, {tuple(layer.unflattened_size)})"
    return f"{type(layer).__name__}()"


def describe_model(config: ModelConfig, lang: str = DEFAULT) -> str:
    """One line: "784 -> 500 -> 10 (relu)", "LeNet-5: conv 6 - conv 16 - 120 - 84 - 10 (relu)", ... (in `lang`)."""
    if config.arch == "mlp":
        return f"784 -> {' -> '.join([str(config.hidden)] * config.depth)} -> 10 ({config.activation})"
    if config.arch == "lenet":
        return translate("LeNet-5: conv 5x5 x6 - pool - conv 5x5 x16 - pool - 120 - 84 - 10 ({activation})",
                         lang).format(activation=config.activation)
    block = translate("conv {k}x{k} x{channels}", lang)
    blocks = " - ".join(block.format(k=config.kernel_size, channels=config.channels * 2 ** b)
                        + (" + BN" if config.batch_norm else "") + " - " + translate("pool", lang)
                        for b in range(config.conv_layers))
    dropout = f" - dropout {config.dropout:g}" if config.dropout > 0 else ""
    return translate("CNN: {blocks}{dropout} - 10 ({activation})", lang).format(
        blocks=blocks, dropout=dropout, activation=config.activation)


@dataclass(frozen=True)
class LayerCost:
    """One layer of a model: its output shape (of one sample), parameters and forward FLOPs per sample."""

    name: str
    output: tuple[int, ...]
    parameters: int
    flops: int


@dataclass(frozen=True)
class ModelCost:
    """A model's size and work: parameters, and FLOPs of one sample forward and in training.

    FLOPs count the multiply-adds of conv and linear layers, x2 (activations, pooling and batch norm are
    a few operations an element, left out). Training = forward + the weights' gradients (as many FLOPs
    as the forward) + the inputs' gradients (as many again, except the first weighted layer's: the
    pixels need no gradient).
    """

    parameters: int
    forward_flops: int
    training_flops: int
    layers: tuple[LayerCost, ...]


def layer_flops(layer: nn.Module, output: tuple[int, ...]) -> int:
    """Forward FLOPs of one sample through a layer: 2 x its multiply-adds (conv and linear layers; else 0)."""
    if isinstance(layer, nn.Linear):
        return 2 * layer.in_features * layer.out_features
    if isinstance(layer, nn.Conv2d):
        k_h, k_w = layer.kernel_size
        positions = output[1] * output[2]  # each output position of each output channel: one dot product
        return 2 * (layer.in_channels // layer.groups) * k_h * k_w * layer.out_channels * positions
    return 0


def model_cost(config: ModelConfig) -> ModelCost:
    """Parameters and FLOPs per sample of `build_model(config)`, layer by layer (measured on the meta device:
    nothing is allocated, so it answers before a model is built or trained)."""
    with torch.device("meta"):
        model = build_model(config)
        x = torch.empty(1, INPUT_UNITS)
    layers, first_weighted = [], True
    input_grads = 0
    for index, layer in enumerate(model):
        x = layer(x)
        params = sum(p.numel() for p in layer.parameters(recurse=False))
        flops = layer_flops(layer, tuple(x.shape[1:]))
        if flops:
            input_grads += 0 if first_weighted else flops
            first_weighted = False
        layers.append(LayerCost(f"{index}: {type(layer).__name__}", tuple(x.shape[1:]), params, flops))
    forward = sum(layer.flops for layer in layers)
    return ModelCost(sum(layer.parameters for layer in layers), forward, 2 * forward + input_grads, tuple(layers))


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
    config: ModelConfig
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
_FILE_KINDS = {b"\x89PNG": Term("a PNG image"), b"\xff\xd8\xff": Term("a JPEG image"), b"GIF8": Term("a GIF image"),
               b"%PDF": Term("a PDF document"), b"\x93NUMPY": Term("a numpy .npy file")}
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


# What a file is or holds is a part of a CheckpointError's message: a Term, or an ExplorerError when it has values
# (core.errors shows either in the message's language).
def _what_it_is_not(head: bytes, refusal: Exception) -> Term | ExplorerError:
    """Why torch.load refused a file, in words: what the file is (as far as its first bytes tell)."""
    if not head:
        return Term("it is empty")
    kind = next((kind for magic, kind in _FILE_KINDS.items() if head.startswith(magic)), None)
    if kind is not None:
        return ExplorerError("it is {kind}, not a PyTorch file", kind=kind)
    if head.startswith(_TORCH_MAGIC) and not isinstance(refusal, pickle.UnpicklingError):
        return Term("it starts like a PyTorch file but cannot be read (cut short, or another kind of zip archive)")
    if head.startswith(_TORCH_MAGIC):  # weights_only=True refused what the file holds
        return Term("it is a PyTorch file holding Python objects (a whole pickled model, numpy arrays, ...), and "
                    "loading those could run code from the file, so this app loads only tensors and plain values")
    return Term("it is not a file saved with torch.save (text, or another program's format)")


def _what_it_holds(payload: object) -> Term | ExplorerError:
    if isinstance(payload, torch.Tensor):
        return Term("a single tensor")
    if isinstance(payload, dict) and payload and all(isinstance(v, torch.Tensor) for v in payload.values()):
        return Term("a bare state_dict (weights without the model's shape and settings)")
    if isinstance(payload, dict):
        return Term("a dictionary without this app's model format")
    return ExplorerError("a {kind}", kind=type(payload).__name__)


def load_checkpoint(source: str | Path | bytes | BinaryIO, name: str | None = None) -> TrainedModel:
    """Load a checkpoint written by save_checkpoint (weights_only=True), or raise CheckpointError.

    The error says what the file is not (not a PyTorch file at all, a PyTorch file of something else,
    a damaged model file) and what a model file is (MODEL_FILE).
    """
    label = name or (str(source) if isinstance(source, (str, Path)) else Term("the uploaded file"))
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    head = _first_bytes(source)  # read (and put back) first: what the file is, should torch.load refuse it
    check_declared_size(source, label)  # before anything is unpacked
    try:
        payload = torch.load(stream, map_location="cpu", weights_only=True)
    except FileNotFoundError as exc:
        raise CheckpointError("{label}: no such file.", label=label) from exc
    except Exception as exc:  # pickle errors, zip errors, unsafe globals: all mean "not our checkpoint"
        raise CheckpointError("{label} is not a PyTorch Explorer model file: {why}. {model_file}", label=label,
                              why=_what_it_is_not(head, exc), model_file=Term(MODEL_FILE)) from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError("{label} is a PyTorch file, but not a PyTorch Explorer model file: it holds {what}. "
                              "{model_file}", label=label, what=_what_it_holds(payload), model_file=Term(MODEL_FILE))
    check_metadata(payload, label)
    try:
        config = ModelConfig(**payload["config"])  # an old checkpoint's config has no arch: an MLP
        check_weights(payload["state_dict"], config, label)  # counted before the model is built
        model = build_model(config)
        model.load_state_dict(payload["state_dict"])
    except KeyError as exc:
        raise CheckpointError("{label} is a PyTorch Explorer model file, but damaged: its {key} entry is missing. "
                              "Save it again.", label=label, key=str(exc)) from exc
    except (TypeError, ValueError, RuntimeError) as exc:  # the detail is torch's or the config's own words
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else Term("its contents do not fit together")
        raise CheckpointError("{label} is a PyTorch Explorer model file, but damaged: {why}. Save it again.",
                              label=label, why=detail) from exc
    model.eval()
    return TrainedModel(
        model=model,
        config=config,
        hyperparameters=dict(payload.get("hyperparameters", {})),
        metrics=dict(payload.get("metrics", {})),
        source=str(payload.get("source", "unknown")),
        name=str(payload.get("name", name or "model")),
    )


# ----------------------------------------------------------------------------- checks before anything is made
def check_declared_size(source: str | Path | bytes | BinaryIO, label: str) -> None:
    """Refuse a file that would unpack to more than MAX_CHECKPOINT_BYTES, from its declared sizes alone.

    torch.save writes a zip archive of stored (uncompressed) entries: a compressed entry is not from
    torch.save (a 3.5 MB deflated file can unpack to gigabytes), and the sizes the archive declares
    are summed before torch.load reads any of it.
    """
    most, parameters = MAX_CHECKPOINT_BYTES >> 20, MAX_CHECKPOINT_PARAMETERS  # the limit every refusal states
    stream: Any = io.BytesIO(source) if isinstance(source, bytes) else source
    opened = None
    try:
        if isinstance(source, (str, Path)):
            if not os.path.isfile(source):
                return  # torch.load says "no such file"
            if os.path.getsize(source) > MAX_CHECKPOINT_BYTES:
                raise CheckpointError("{label} is too large to load: {size} MB; the limit is {most} MB ({parameters:,} "
                                      "parameters).", label=label, size=os.path.getsize(source) >> 20, most=most,
                                      parameters=parameters)
            stream = opened = open(source, "rb")
        where = stream.tell()
        try:
            if not zipfile.is_zipfile(stream):
                stream.seek(0, io.SEEK_END)
                if stream.tell() > MAX_CHECKPOINT_BYTES:
                    raise CheckpointError("{label} is too large to load; the limit is {most} MB ({parameters:,} "
                                          "parameters).", label=label, most=most, parameters=parameters)
                return  # the legacy format: what it unpacks to is about its own size
            stream.seek(where)
            entries = zipfile.ZipFile(stream).infolist()
        finally:
            stream.seek(where)
    except (OSError, ValueError, AttributeError, zipfile.BadZipFile):
        return  # unreadable: torch.load says what it is not
    finally:
        if opened is not None:
            opened.close()
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
        raise CheckpointError("{label} is a compressed archive, which torch.save never writes (it could unpack to far "
                              "more than its size); the limit is {most} MB ({parameters:,} parameters). {model_file}",
                              label=label, model_file=Term(MODEL_FILE), most=most, parameters=parameters)
    total = sum(e.file_size for e in entries)
    if total > MAX_CHECKPOINT_BYTES or len(entries) > 10_000:
        raise CheckpointError("{label} would unpack to {size} MB; the limit is {most} MB ({parameters:,} parameters).",
                              label=label, size=total >> 20, most=most, parameters=parameters)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_text(value: object, what: str, label: str, limit: int = MAX_TEXT_CHARS) -> None:
    if not isinstance(value, str) or len(value) > limit:
        raise CheckpointError("{label} is a PyTorch Explorer model file, but damaged: its {what} must be text of at "
                              "most {limit} characters.", label=label, what=what, limit=limit)


def check_metadata(payload: dict, label: str) -> None:
    """The schema of a checkpoint's plain values: types and ranges, so no page or CLI meets a surprise.

    hyperparameters and metrics are dicts of numbers, short text and lists of numbers; accuracies are
    numbers in [0, 1]; epoch_seconds and samples_per_s finite and not negative; val_fraction in
    [0.01, 0.99]; name and source text of at most MAX_TEXT_CHARS.
    """
    def damaged(why: str, **values: Any) -> CheckpointError:
        """The error for one damaged value: `why` is a template of its own, filled with `values`."""
        return CheckpointError("{label} is a PyTorch Explorer model file, but damaged: {why}. Save it again.",
                               label=label, why=ExplorerError(why, **values))

    for key in ("config", "state_dict"):
        if key in payload and not isinstance(payload[key], dict):
            raise damaged("its {key} must be a dictionary, not {kind}", key=key, kind=type(payload[key]).__name__)
    for key in ("source", "name"):
        if key in payload:
            _check_text(payload[key], key, label)
    for key, limit in (("hyperparameters", MAX_TEXT_CHARS), ("metrics", MAX_MESSAGE_CHARS)):
        section = payload.get(key, {})
        if not isinstance(section, dict):
            raise damaged("its {key} must be a dictionary, not {kind}", key=key, kind=type(section).__name__)
        if len(section) > 1_000:
            raise damaged("its {key} hold {n:,} entries", key=key, n=len(section))
        for name, value in section.items():
            _check_value(key, name, value, limit, damaged)
    fraction = payload.get("hyperparameters", {}).get("val_fraction", 0.3)
    if not _is_number(fraction) or not 0.01 <= fraction <= 0.99:
        raise damaged("its validation fraction must be a number between 0.01 and 0.99, not {value!r}",
                      value=str(fraction)[:40])


def _check_value(section: str, name: object, value: object, limit: int, damaged: Any) -> None:
    if not isinstance(name, str) or len(name) > MAX_TEXT_CHARS:
        raise damaged("its {section} have a key that is not short text", section=section)
    what = f"{section}.{name}"
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS or not all(_is_number(v) for v in value):
            raise damaged("{what} must be a list of numbers", what=what)
        if name == "epoch_seconds" or name.endswith("_acc"):
            for v in value:
                _check_number(what, v, name, damaged)
        return
    if name.endswith("_acc") or name in ("samples_per_s", "epoch_seconds"):
        _check_number(what, value, name, damaged)
        return
    if isinstance(value, str):
        if len(value) > limit:
            raise damaged("{what} is text longer than {limit} characters", what=what, limit=limit)
        return
    if value is None or isinstance(value, bool):
        return
    if not _is_number(value):
        raise damaged("{what} must be a number, text or a list of numbers, not {kind}", what=what,
                      kind=type(value).__name__)
    _check_number(what, value, name, damaged)


def _check_number(what: str, value: Any, name: str, damaged: Any) -> None:
    if not _is_number(value):
        raise damaged("{what} must hold numbers", what=what)
    if name.endswith("_acc") and not (math.isfinite(value) and 0.0 <= value <= 1.0):
        raise damaged("{what} must be an accuracy between 0 and 1, not {value!r}", what=what, value=value)
    if name in ("samples_per_s", "epoch_seconds") and not (math.isfinite(value) and value >= 0):
        raise damaged("{what} must be a finite number of at least 0, not {value!r}", what=what, value=value)


def parameter_count(config: ModelConfig) -> int:
    """Weights and biases of build_model(config), from the config alone (nothing is allocated)."""
    if config.arch == "mlp":  # the article's arithmetic, by hand
        widths = [INPUT_UNITS] + [config.hidden] * config.depth + [OUTPUT_UNITS]
        return sum(a * b + b for a, b in zip(widths[:-1], widths[1:], strict=True))
    return model_cost(config).parameters


def check_weights(state_dict: dict, config: ModelConfig, label: str) -> None:
    """Before a model is built: its size within MAX_CHECKPOINT_PARAMETERS, each weight a real, finite tensor.

    A tensor whose storage is smaller than its shape (stride 0: a 4.7 KB file declaring 141M
    parameters) is refused, as are weights holding nan or inf (such a model predicts nothing).
    """
    count = parameter_count(config)
    if count > MAX_CHECKPOINT_PARAMETERS:
        raise CheckpointError("{label} holds a model of {count:,} parameters; this app loads models of up to "
                              "{most:,}.", label=label, count=count, most=MAX_CHECKPOINT_PARAMETERS)
    for key, t in state_dict.items():
        if not isinstance(t, torch.Tensor):
            raise CheckpointError("{label} is a PyTorch Explorer model file, but damaged: {key} is not a tensor. Save "
                                  "it again.", label=label, key=str(key)[:40])
        if t.numel() > count or t.untyped_storage().nbytes() < t.numel() * t.element_size():
            raise CheckpointError("{label} is a PyTorch Explorer model file, but damaged: {key} declares more values "
                                  "than it stores. Save it again.", label=label, key=str(key)[:40])
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise CheckpointError("{label} holds weights that are nan or inf ({key}): such a model predicts nothing. "
                                  "Train it again (a smaller learning rate keeps it finite).", label=label,
                                  key=str(key)[:40])
