"""Photographed digits: preprocessing keeps a model's accuracy on phone photos of real MNIST digits.

The photos are made here from bundled MNIST validation digits, as a phone would take them: dark ink
on tinted paper, lit unevenly (a gradient and sometimes a soft shadow), rotated a few degrees, a
darker strip along one edge (the desk, the page's shadow), sensor noise, saved as a JPEG. A quick
model reads the clean digits and the preprocessed photos; the photos must keep >= 95 % of its
clean accuracy.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.digits.preprocess import preprocess_digit
from pytorch_explorer.digits.training import TrainConfig, train_to_completion

PHOTOS = 100  # the last 100 bundled digits: validation digits, never trained on


def photograph(digit: np.ndarray, rng: np.random.Generator, strip: bool = True) -> bytes:
    """A JPEG 'phone photo' of a 28x28 MNIST digit written in dark ink on paper."""
    scale = int(rng.integers(10, 16))  # the digit becomes 280-420 px
    ink = Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC)
    h, w = int(28 * scale * rng.uniform(1.2, 1.6)), int(28 * scale * rng.uniform(1.2, 1.7))
    sheet = Image.new("L", (w, h), 0)
    sheet.paste(ink, (int(rng.integers(0, w - ink.width + 1)), int(rng.integers(0, h - ink.height + 1))))
    a = np.asarray(sheet.rotate(float(rng.uniform(-6, 6)), Image.Resampling.BILINEAR), np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    angle = rng.uniform(0, 2 * np.pi)
    light = 1.0 - rng.uniform(0.1, 0.35) * (np.cos(angle) * xx + np.sin(angle) * yy)  # light from one side
    if rng.random() < 0.5:  # a soft-edged shadow (a hand, the phone)
        r, cx, cy = rng.uniform(0.3, 0.8), rng.uniform(0, w / max(h, w)), rng.uniform(0, h / max(h, w))
        light *= 1.0 - rng.uniform(0.15, 0.3) * np.clip((r - np.hypot(xx - cx, yy - cy)) / (0.1 * r), 0.0, 1.0)
    paper = np.array([rng.uniform(200, 250), rng.uniform(190, 245), rng.uniform(150, 230)])  # tinted
    pen = np.array([rng.uniform(10, 60), rng.uniform(10, 60), rng.uniform(30, 120)])
    rgb = (paper * (1 - a[..., None]) + pen * a[..., None]) * light[..., None]
    if strip:  # a darker strip along one side
        width, side = int(rng.integers(max(3, h // 30), max(6, h // 8))), int(rng.integers(4))
        edge = [np.s_[:width], np.s_[-width:], np.s_[:, :width], np.s_[:, -width:]][side]
        rgb[edge] *= rng.uniform(0.55, 0.8)
    rgb += rng.normal(0, 3, rgb.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(40, 80)))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def model_and_digits():
    data = load_bundled()
    return train_to_completion(TrainConfig(epochs=3)), data.images[-PHOTOS:], data.labels[-PHOTOS:]


def accuracy(trained, images: np.ndarray, labels: np.ndarray) -> float:
    return float((trained.predict_proba(torch.from_numpy(images)).argmax(1).numpy() == labels).mean())


def test_photos_keep_95_percent_of_the_clean_accuracy(model_and_digits):
    trained, images, labels = model_and_digits
    rng = np.random.default_rng(0)
    finals = np.stack([preprocess_digit(photograph(d, rng), name=f"photo {i}").final for i, d in enumerate(images)])
    clean, photos = accuracy(trained, images, labels), accuracy(trained, finals, labels)
    assert clean > 0.75  # the quick model learned something
    assert photos >= 0.95 * clean, f"photos {photos:.1%} against clean digits {clean:.1%}"


def test_the_photos_are_hard_without_the_clean_up(model_and_digits):
    """The same photos, cropped to their bounding box of dark pixels by one global threshold (what
    preprocessing did before), read badly: the test above measures something."""
    trained, images, labels = model_and_digits
    rng = np.random.default_rng(0)
    naive = []
    for digit in images[:30]:
        grey = np.asarray(Image.open(io.BytesIO(photograph(digit, rng))).convert("L"), np.float32)
        ink = np.clip(grey.mean() - grey, 0, None)  # darker than average: ink
        rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
        crop = Image.fromarray(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]).resize((20, 20))
        field = np.zeros((28, 28), np.float32)
        field[4:24, 4:24] = np.asarray(crop)
        naive.append(np.clip(field * 255 / max(field.max(), 1), 0, 255).astype(np.uint8))
    assert accuracy(trained, np.stack(naive), labels[:30]) < 0.6 * accuracy(trained, images[:30], labels[:30])
