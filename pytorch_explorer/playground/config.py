"""Every setting of the playground in one frozen dataclass, checked, with the network as a compact string.

    config = PlaygroundConfig(problem="spiral", layers=parse_layers("8-8-8-8"), features=("x1", "x2"))
    layers_text(config.layers)   # "8-8-8-8"; "0" for no hidden layer

A setting that cannot be used is a PlaygroundError, which the page shows in the learner's language
(`exc.message(lang)`): what the controls let a learner get wrong (the layers box, the features), and values
the controls cannot produce (an odd address is refused by the controls first).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from pytorch_explorer.playground.data import FEATURES, PROBLEMS, PlaygroundError, is_classification

MAX_LAYERS, MAX_NEURONS = 6, 8
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")
REGULARIZATIONS = ("none", "L1", "L2")
OPTIMIZERS = ("sgd", "adam")
MAX_LR, MAX_REG_RATE, MAX_BATCH = 10.0, 10.0, 100
POINTS = 500
# Changing one of these keeps the network and goes on training (as in TensorFlow Playground); any other
# change (data, features, layers, activation, optimizer, seed) starts a fresh network.
TUNABLE = ("lr", "regularization", "reg_rate", "batch_size")


def parse_layers(text: str, lang: str = "en") -> tuple[int, ...]:
    """"8-8-4" (or "8,8,4", "8 8 4") -> (8, 8, 4); "0" or "" -> () (no hidden layer). PlaygroundError if it
    asks for more than MAX_LAYERS layers or MAX_NEURONS neurons a layer. `lang` is no longer read (the page
    shows the error with `exc.message(lang)`); it goes once the page stops passing it."""
    text = str(text).strip()
    if text in ("", "0", "none"):
        return ()
    if len(text) > 40 or not re.fullmatch(r"\d+([\s,\-]+\d+)*", text):
        raise PlaygroundError("write the hidden layers as neurons per layer, like 4-2 or 8-8-8-8 (not {text}).",
                              text=repr(text[:40]))
    layers = tuple(int(n) for n in re.split(r"[\s,\-]+", text))
    check_layers(layers)
    return layers


def layers_text(layers: tuple[int, ...]) -> str:
    """(8, 8, 4) -> "8-8-4"; () -> "0"."""
    return "-".join(map(str, layers)) if layers else "0"


def check_layers(layers: tuple[int, ...]) -> None:
    if len(layers) > MAX_LAYERS:
        raise PlaygroundError("at most {max} hidden layers, not {n}: remove a layer.", max=MAX_LAYERS, n=len(layers))
    if any(not 1 <= n <= MAX_NEURONS for n in layers):
        raise PlaygroundError("each hidden layer has 1 to {max} neurons (asked: {layers}).", max=MAX_NEURONS,
                              layers=layers_text(layers))


def check_features(names: tuple[str, ...], lang: str = "en") -> None:
    """PlaygroundError unless `names` are one or more different input features (`lang`: as parse_layers')."""
    if not names or any(f not in FEATURES for f in names) or len(set(names)) < len(names):
        raise PlaygroundError("choose one or more different input features among {features}.",
                              features=", ".join(FEATURES))


@dataclass(frozen=True)
class PlaygroundConfig:
    problem: str = "circles"
    noise: float = 0.0  # 0 to 0.5: the jitter, as a fraction of the plane's half-width
    train_ratio: float = 0.5
    batch_size: int = 10
    seed: int = 0
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (4, 2)  # neurons per hidden layer
    activation: str = "tanh"
    lr: float = 0.03
    regularization: str = "none"
    reg_rate: float = 0.0
    optimizer: str = "sgd"
    points: int = POINTS

    def __post_init__(self) -> None:
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "layers", tuple(int(n) for n in self.layers))
        for name, value, allowed in (("problem", self.problem, PROBLEMS), ("activation", self.activation, ACTIVATIONS),
                                     ("regularization", self.regularization, REGULARIZATIONS),
                                     ("optimizer", self.optimizer, OPTIMIZERS)):
            if value not in allowed:
                raise PlaygroundError("{name} must be one of {choices}, not {value!r}.", name=name,
                                      choices=", ".join(allowed), value=value)
        check_features(self.features)
        check_layers(self.layers)
        if not (math.isfinite(self.lr) and 0 < self.lr <= MAX_LR):
            raise PlaygroundError("the learning rate must be above 0 and at most {most:g}, not {lr}.", most=MAX_LR,
                                  lr=self.lr)
        if not (math.isfinite(self.reg_rate) and 0 <= self.reg_rate <= MAX_REG_RATE):
            raise PlaygroundError("the regularisation rate must be between 0 and {most:g}, not {rate}.",
                                  most=MAX_REG_RATE, rate=self.reg_rate)
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise PlaygroundError("the batch size must be between 1 and {most}, not {batch_size}.", most=MAX_BATCH,
                                  batch_size=self.batch_size)
        if not 0 <= self.seed <= 1_000_000:
            raise PlaygroundError("the seed must be between 0 and 1,000,000, not {seed}.", seed=self.seed)

    @property
    def classification(self) -> bool:
        return is_classification(self.problem)

    def structure(self) -> tuple:
        """What a network is made for: every setting except the TUNABLE ones."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name not in TUNABLE)

    def describe(self) -> str:
        """"circles, 4-2 tanh, SGD lr 0.03" (a run's name)."""
        reg = "" if self.regularization == "none" or not self.reg_rate else f", {self.regularization} {self.reg_rate:g}"
        return (f"{self.problem}, {layers_text(self.layers)} {self.activation}, {self.optimizer.upper()} "
                f"lr {self.lr:g}{reg}")
