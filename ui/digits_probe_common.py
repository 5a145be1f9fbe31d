"""What the two halves of the Digits: probe page's widgets share (ui/digits_probe.py: models, the digit, the
"Why" and analysis tabs; ui/digits_probe_mine.py: my digits): the `Probed` the tabs take, putting a model on
the workspace's shelf, a fresh canvas, the bundled digits, and two helpers for words in the learner's language.
Imported by both; imports neither (no cycle).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import streamlit as st

from pytorch_explorer.digits.data import DigitDataset, load_digits
from pytorch_explorer.digits.models import TrainedModel
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.i18n import translate
from ui import model_shelf
from ui.i18n import lang, tr

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


def option_captions(options: list[str], words: list[str] | None = None) -> list[str] | None:
    """Captions under a radio's options that stay English because the URL holds them (a bound control writes the
    label it shows): in English none, in Chinese each option's translation (`words`, or tr(option))."""
    if lang() == "en":
        return None
    return words if words is not None else [tr(option) for option in options]


# The words pytorch_explorer.digits.preprocess writes (stage names, notes, refusals), as templates: that module
# writes English only, so the page translates its sentences by matching them here (tests/i18n checks that every
# note a drawing or a photo gets is matched, so a change of wording there shows up as a failing test).
PREPROCESS_TEMPLATES = (
    "greyscale", "white ink on black", "cropped to the ink", "scaled to {px} px", "centred by mass (28x28)",
    "The ink was darker than the paper, so the image was inverted (MNIST is white ink on black).",
    "The ink was already lighter than the background (like MNIST): no inversion.",
    "The paper's brightness was estimated locally (uneven light and shadows removed).",
    "Ignored {n} small speck away from the digit.", "Ignored {n} small specks away from the digit.",
    "Ignored {n} ink blob touching the picture's edge (the page's edge, a table, a darker strip).",
    "Ignored {n} ink blobs touching the picture's edge (the page's edge, a table, a darker strip).",
    "Ignored {n} blob far thicker than the digit's strokes (a shadow, a thumb).",
    "Ignored {n} blobs far thicker than the digit's strokes (a shadow, a thumb).",
    "The strokes were thin for this size, so they were thickened by {px} px before shrinking (otherwise they would "
    "fade at 20 px).",
    "The {w}x{h} px ink box was scaled by {scale} to {bw}x{bh} (longer side {side} px, aspect ratio kept).",
    "Pasted at row {row}, column {col} of a 28x28 field: its centre of mass is at ({cy}, {cx}).",
    "a photo is fine, up to {n} megapixels",
    "There is no digit in {name}: it is one flat tone (blank paper, or all ink). Draw a digit, or choose a picture "
    "of one.",
    "There is hardly any ink: draw the digit larger or with a thicker stroke.",
    "This does not look like a digit: the ink in {name} is a dot or a short dash ({px} px across, with strokes "
    "{width} px wide). Draw the whole digit, several times taller than the pen is wide.",
    "The image looks blank: no ink stands out from the background. Draw a digit, or upload a picture of one (dark "
    "on light or light on dark).",
    "{name} is not an image this app can read. Use a PNG, JPEG, BMP, GIF or WebP file.",
    "{name} is damaged or truncated ({detail}). Save or export it again.",
    "{name} is empty (0 bytes). Choose a PNG, JPEG, BMP, GIF or WebP file of a digit.",
)
NAMES = ("the drawing", "the image")  # the names preprocess gives a drawing or a picture without a file name


@functools.cache
def template_pattern(template: str) -> re.Pattern[str]:
    """"Ignored {n} specks." -> a regular expression that matches the filled-in text and captures n."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)),
                      re.DOTALL)


def preprocess_words(text: str, language: str | None = None) -> str:
    """A sentence pytorch_explorer.digits.preprocess wrote, in this session's language (as it is when no template
    matches: a message it has not seen yet stays readable, in English)."""
    language = language or lang()
    if language == "en":
        return text
    for template in PREPROCESS_TEMPLATES:
        found = template_pattern(template).fullmatch(text)
        if found:
            values = {key: translate(value, language) if value in NAMES else value
                      for key, value in found.groupdict().items()}
            return translate(template, language).format(**values)
    return text
