"""What the two halves of the Digits: probe page's widgets share (ui/digits_probe.py: models, the digit, the
"Why" and analysis tabs; ui/digits_probe_mine.py: my digits): the `Probed` the tabs take, putting a model on
the workspace's shelf, a fresh canvas, the bundled digits, and sentences in the learner's language.
Imported by both; imports neither (no cycle).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.models import TrainedModel
from pytorch_explorer.digits.shelf import StoreShelf
from ui import model_shelf
from ui.i18n import lang

NO_CHART_BAR = {"displayModeBar": False}
state = st.session_state


@dataclass
class Probed:
    """What the tabs show: the shelf, the model being probed, and the digit with the model's answer."""

    shelf: StoreShelf
    trained: TrainedModel
    digit: np.ndarray | None = None  # uint8 28x28, or None before there is one
    probabilities: np.ndarray | None = None  # (10,)


def add_model(trained: TrainedModel, name: str, how: str) -> None:
    """Put a model on the shared shelf (a unique name, the current model) and probe it."""
    state["probe_model_name"] = model_shelf().add(trained, how, name=name)


@st.cache_data(show_spinner=False, max_entries=2)
def bundled_digits() -> DigitDataset:
    return load_digits("bundled")


def clear_canvas() -> None:
    state["probe_canvas_gen"] = state.get("probe_canvas_gen", 0) + 1  # a new key: a fresh canvas


def sentences(*parts: str) -> str:
    """Sentences joined as the language writes them: with a space in English, without one in Chinese."""
    return ("" if lang() == "zh" else " ").join(part for part in parts if part)
