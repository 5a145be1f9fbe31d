"""Every setting of the playground in one frozen dataclass, checked, with the network as a compact string.

    config = PlaygroundConfig(problem="spiral", layers=parse_layers("8-8-8-8"), features=("x1", "x2"))
    layers_text(config.layers)   # "8-8-8-8"; "0" for no hidden layer

The messages of what a learner can get wrong in the page's controls (the layers box, the features) come in
`lang` ("en" or "zh"): `parse_layers(text, lang)`, `check_features(names, lang)`. The other refusals guard
values the controls cannot produce (an odd address is refused by the controls first) and stay English.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields

from pytorch_explorer.i18n import translate
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
    """"8-8-4" (or "8,8,4", "8 8 4") -> (8, 8, 4); "0" or "" -> () (no hidden layer). PlaygroundError (its
    message in `lang`) if it asks for more than MAX_LAYERS layers or MAX_NEURONS neurons a layer."""
    text = str(text).strip()
    if text in ("", "0", "none"):
        return ()
    if len(text) > 40 or not re.fullmatch(r"\d+([\s,\-]+\d+)*", text):
        raise PlaygroundError(translate("write the hidden layers as neurons per layer, like 4-2 or 8-8-8-8 (not "
                                        "{text}).", lang).format(text=repr(text[:40])))
    layers = tuple(int(n) for n in re.split(r"[\s,\-]+", text))
    check_layers(layers, lang)
    return layers


def layers_text(layers: tuple[int, ...]) -> str:
    """(8, 8, 4) -> "8-8-4"; () -> "0"."""
    return "-".join(map(str, layers)) if layers else "0"


def check_layers(layers: tuple[int, ...], lang: str = "en") -> None:
    if len(layers) > MAX_LAYERS:
        raise PlaygroundError(translate("at most {max} hidden layers, not {n}: remove a layer.", lang).format(
            max=MAX_LAYERS, n=len(layers)))
    if any(not 1 <= n <= MAX_NEURONS for n in layers):
        raise PlaygroundError(translate("each hidden layer has 1 to {max} neurons (asked: {layers}).", lang).format(
            max=MAX_NEURONS, layers=layers_text(layers)))


def check_features(names: tuple[str, ...], lang: str = "en") -> None:
    """PlaygroundError unless `names` are one or more different input features."""
    if not names or any(f not in FEATURES for f in names) or len(set(names)) < len(names):
        raise PlaygroundError(translate("choose one or more different input features among {features}.",
                                        lang).format(features=", ".join(FEATURES)))


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
                raise PlaygroundError(f"{name} must be one of {', '.join(allowed)}, not {value!r}.")
        check_features(self.features)
        check_layers(self.layers)
        if not (math.isfinite(self.lr) and 0 < self.lr <= MAX_LR):
            raise PlaygroundError(f"the learning rate must be above 0 and at most {MAX_LR:g}, not {self.lr}.")
        if not (math.isfinite(self.reg_rate) and 0 <= self.reg_rate <= MAX_REG_RATE):
            raise PlaygroundError(f"the regularisation rate must be between 0 and {MAX_REG_RATE:g}, not {self.reg_rate}.")
        if not 1 <= self.batch_size <= MAX_BATCH:
            raise PlaygroundError(f"the batch size must be between 1 and {MAX_BATCH}, not {self.batch_size}.")
        if not 0 <= self.seed <= 1_000_000:
            raise PlaygroundError(f"the seed must be between 0 and 1,000,000, not {self.seed}.")

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
