"""Turn a digit as people make one (a drawing, a scan, a phone photo) into a 28x28 MNIST-style input.

MNIST's digits were made like this: black ink on white paper, scanned, the digit's bounding box
scaled so that its longer side is 20 pixels (keeping the aspect ratio, anti-aliased to grey
levels), then pasted into a 28x28 field so that its centre of mass sits at the centre, and stored
as white ink on black. A model trained on MNIST expects exactly that, so `preprocess_digit` repeats
it, one visible stage at a time:

1. greyscale: luminance of the colours (transparent pixels composited on a suitable background);
2. white ink on black: if the ink is darker than the paper, invert; then remove the paper's
   (possibly uneven) brightness and stretch the contrast so the ink's core is 255;
3. cropped to the ink: the bounding box of the ink, ignoring specks;
4. scaled to 20 px: the longer side becomes 20 pixels (thin strokes are thickened first, so a
   pen line in a big photo does not vanish when shrunk);
5. centred by mass: pasted into 28x28 with the centre of mass at pixel (14, 14).

Bad input (not an image, a truncated file, a decompression bomb, a blank or all-ink picture) raises
`ImageError` with a message that says what to do; nothing here guesses a digit from nothing.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from pytorch_explorer.core.errors import ExplorerError

MAX_PIXELS = 40_000_000  # the decompression-bomb cap: 40 megapixels (a 48 MP phone photo must be shrunk)
WORKING_SIZE = 1024  # larger images are shrunk to this longer side first (detail beyond it cannot reach 20 px)
BOX_SIZE = 20  # MNIST: the digit's longer side
FIELD_SIZE = 28  # MNIST: the image
CENTRE = 14.0  # MNIST digits' mean centre of mass (row, column), measured on the bundled digits
MIN_CONTRAST = 24.0  # grey levels between paper and ink below which an image counts as blank
HAZE = 0.1  # in pictures of 64 px and more, ink fainter than 10 % of the strokes' core is dropped
SPECK_FRACTION = 0.02  # connected blobs with less than this share of the ink are specks
TARGET_STROKE = 2.5  # MNIST strokes are about 2-3 px wide at the 20 px scale
FORMATS = "PNG, JPEG, BMP, GIF or WebP"
HIGH_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "F")  # Pillow modes of 16-bit and float pixels


class ImageError(ExplorerError, ValueError):
    """The picture cannot be used as a digit: the message says why and what to do."""


@dataclass
class PreprocessResult:
    """The 28x28 input a model sees, and how it was made."""

    final: np.ndarray  # uint8 (28, 28), white ink on black, like MNIST
    stages: list[tuple[str, np.ndarray]]  # (name, uint8 image) in order, for the page to show
    inverted: bool  # True when the input was dark ink on light paper (and was inverted)
    bbox: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right of the ink (working image)
    scale: float = 1.0  # working pixels -> 20 px box
    thickened_by: int = 0  # pixels added to the stroke width before shrinking
    specks_removed: int = 0
    notes: list[str] = field(default_factory=list)  # one sentence per decision, for the page


# ----------------------------------------------------------------------------- reading images
def load_image_bytes(data: bytes, name: str = "the image") -> Image.Image:
    """Decode PNG/JPEG/BMP/GIF/WebP bytes into a loaded PIL image, or raise ImageError.

    Refuses files over MAX_PIXELS before decoding them (a small file can claim a huge size: a
    decompression bomb), truncated or damaged files, and anything Pillow cannot identify. Photos
    are turned upright from their EXIF orientation; an animation gives its first frame. Big JPEGs
    are decoded at a reduced scale (JPEG's draft mode), which is faster and needs less memory.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageError(f"{name}: expected the bytes of an image file, got {type(data).__name__}.")
    if len(data) == 0:
        raise ImageError(f"{name} is empty (0 bytes). Choose a {FORMATS} file of a digit.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(bytes(data)))
            width, height = image.size
            _check_pixel_count(width, height, name)
            if image.format == "JPEG":
                image.draft("L" if image.mode == "L" else "RGB", (WORKING_SIZE, WORKING_SIZE))
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{name} is too large to open safely ({exc}). Shrink it below 40 megapixels.") from exc
    except UnidentifiedImageError as exc:
        raise ImageError(f"{name} is not an image this app can read. Use a {FORMATS} file.") from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageError(f"{name} is damaged or truncated ({detail}). Save or export it again.") from exc
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the rotation
        pass
    return image


def load_image_file(path: str, name: str | None = None) -> Image.Image:
    """Read an image file from disk (see load_image_bytes), with the file named in any error."""
    label = name or str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PIXELS * 4 + 1)
    except FileNotFoundError as exc:
        raise ImageError(f"{label}: no such file.") from exc
    except IsADirectoryError as exc:
        raise ImageError(f"{label} is a folder, not an image file.") from exc
    except OSError as exc:
        raise ImageError(f"{label} cannot be read: {exc.strerror or exc}.") from exc
    return load_image_bytes(data, label)


def _check_pixel_count(width: int, height: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError(f"{name} has no pixels ({width}x{height}).")
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{name} is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); the limit is "
            f"{MAX_PIXELS / 1e6:.0f} megapixels. Crop or shrink it first."
        )


# ----------------------------------------------------------------------------- stage 1: greyscale
def _luminance(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, the weights Pillow's "L" mode uses."""
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def _composite_alpha(grey: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Put a partly transparent drawing on a background that contrasts with its strokes.

    A canvas gives white strokes on transparent (or black) pixels; a PNG export often gives black
    strokes on transparent ones. The strokes' own brightness (weighted by their opacity) says which:
    bright strokes go on black, dark strokes on white.
    """
    a = alpha / 255.0
    if a.min() >= 254 / 255:
        return grey
    weight = a.sum()
    if weight <= 0:
        return np.zeros_like(grey)  # fully transparent: blank
    ink_brightness = float((grey * a).sum() / weight)
    background = 0.0 if ink_brightness >= 127.5 else 255.0
    return grey * a + background * (1.0 - a)


def _array_to_grey(array: np.ndarray, name: str) -> np.ndarray:
    """Any (H, W), (H, W, 1|2|3|4) bool/int/float array -> float32 greyscale in [0, 255]."""
    x = np.asarray(array)
    if x.ndim == 3 and x.shape[2] == 1:
        x = x[..., 0]
    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[2] not in (2, 3, 4)):
        raise ImageError(f"{name}: expected an image array of shape (H, W) or (H, W, 3|4), got {x.shape}.")
    _check_pixel_count(x.shape[1], x.shape[0], name)
    if x.dtype == bool:
        x = x.astype(np.float32) * 255.0
    elif np.issubdtype(x.dtype, np.integer):
        top = 255.0 if x.max(initial=0) <= 255 else float(np.iinfo(x.dtype).max)
        x = x.astype(np.float32) * (255.0 / top)
    elif np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
        if not np.isfinite(x).all():
            raise ImageError(f"{name} contains NaN or infinite values.")
        if x.max(initial=0) <= 1.0:
            x = x * 255.0
        x = np.clip(x, 0.0, 255.0)
    else:
        raise ImageError(f"{name}: cannot read pixels of type {x.dtype}.")
    if x.ndim == 2:
        return x
    channels = x.shape[2]
    if channels == 2:  # grey + alpha
        return _composite_alpha(x[..., 0], x[..., 1])
    grey = _luminance(x[..., :3])
    return _composite_alpha(grey, x[..., 3]) if channels == 4 else grey


def stretch_levels(values: np.ndarray) -> np.ndarray:
    """16-bit or float pixels as float32 grey levels: the darkest 0, the brightest 255 (flat: all 0)."""
    values = np.asarray(values, dtype=np.float32)
    low, high = float(values.min()), float(values.max())
    return (values - low) * (255.0 / (high - low)) if high > low else np.zeros_like(values)


def _image_to_grey(image: Image.Image, name: str) -> np.ndarray:
    _check_pixel_count(image.width, image.height, name)
    mode = image.mode
    if mode in HIGH_DEPTH_MODES:
        return stretch_levels(np.asarray(image, dtype=np.float32))
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    target = "RGBA" if has_alpha else ("L" if mode in ("L", "1", "P") and not has_alpha else "RGB")
    converted = image.convert(target) if image.mode != target else image
    return _array_to_grey(np.asarray(converted), name)


def _shrink(grey: np.ndarray, longest: int) -> np.ndarray:
    """Area-average a float image down so that its longer side is at most `longest`."""
    h, w = grey.shape
    if max(h, w) <= longest:
        return grey
    s = longest / max(h, w)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(Image.fromarray(grey.astype(np.float32), "F").resize(size, Image.Resampling.BOX))


# ----------------------------------------------------------------------------- stage 2: white ink on black
def _ink_is_dark(grey: np.ndarray) -> bool:
    """Is the ink darker than the paper? The paper is the typical (median) tone; the ink is the tail
    that departs further from it."""
    low, median, high = np.percentile(grey, [0.5, 50, 99.5])
    dark_tail, bright_tail = median - low, high - median
    if abs(dark_tail - bright_tail) < 1e-6:
        return bool(median > 127.5)
    return bool(dark_tail > bright_tail)


def _paper_level(ink: np.ndarray) -> np.ndarray:
    """The paper's brightness at each pixel (ink is bright here): a lower envelope at coarse scale.

    Shrink to about 32 px, take the minimum over 5x5 cells (which steps over strokes narrower than
    about a sixth of the image), and stretch it back smoothly. Uneven lighting in a photo becomes a
    smooth background that is subtracted; a flat background gives a constant.
    """
    h, w = ink.shape
    if max(h, w) < 64:
        return np.full_like(ink, float(np.median(ink)))
    small = Image.fromarray(_shrink(ink, 32).astype(np.float32), "F")
    envelope = small.filter(ImageFilter.MinFilter(5)).filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.MinFilter(3))
    return np.asarray(envelope.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)


def _white_ink_on_black(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    """Invert if needed, subtract the paper, stretch the ink's core to 255. Returns (image, inverted)."""
    inverted = _ink_is_dark(grey)
    ink = 255.0 - grey if inverted else grey.copy()
    residual = np.clip(ink - _paper_level(ink), 0.0, None)
    # The paper's remaining noise: most pixels are paper, so the lower half of the values is noise.
    p10, p50 = np.percentile(residual, [10, 50])
    floor = p50 + 4.0 * max(p50 - p10, 0.0) / 1.28
    cleaned = np.clip(residual - floor, 0.0, None)
    if cleaned.max(initial=0) < MIN_CONTRAST:
        raise ImageError(
            "The image looks blank: no ink stands out from the background. "
            "Draw a digit, or upload a picture of one (dark on light or light on dark)."
        )
    peak = float(np.percentile(cleaned[cleaned > 0], 95))
    ink = np.clip(cleaned * (255.0 / max(peak, MIN_CONTRAST)), 0.0, 255.0)
    if max(ink.shape) >= 64:  # a scan or photo: drop the faint haze that JPEG/WebP leave around strokes
        ink[ink < HAZE * 255.0] = 0.0  # (MNIST-sized inputs keep every faint edge pixel)
    return ink, inverted


# ----------------------------------------------------------------------------- stage 3: crop to the ink
def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of a boolean mask: (labels, count), labels 1..count, 0 for background.

    Run-length labelling: find the horizontal runs of each row, join runs of neighbouring rows that
    touch (diagonals included) with union-find, then paint each run with its component's label.
    The Python loops go over runs, not pixels, so a 128x128 drawing takes about a millisecond.
    """
    h, w = mask.shape
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    run_rows, run_starts = np.nonzero(edges == 1)
    run_ends = np.nonzero(edges == -1)[1]  # exclusive; same order as the starts
    n = len(run_rows)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(run_rows, np.arange(h + 1))  # runs of row r: first[r] .. first[r + 1]
    rows, starts, ends = run_rows.tolist(), run_starts.tolist(), run_ends.tolist()
    for r in range(1, h):
        above, j_end = first[r - 1], first[r]
        for i in range(first[r], first[r + 1]):
            j = above
            while j < j_end and ends[j] < starts[i]:  # runs above that end before this one (diagonal: <=)
                j += 1
            above = j
            while j < j_end and starts[j] <= ends[i]:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
                j += 1
    labels = np.zeros((h, w), dtype=np.int32)
    ids: dict[int, int] = {}
    for i in range(n):
        root = find(i)
        label = ids.setdefault(root, len(ids) + 1)
        labels[rows[i], starts[i]:ends[i]] = label
    return labels, len(ids)


def _drop_specks(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Zero the blobs that hold less than SPECK_FRACTION of the ink (dust, noise, a stray dot).

    Components are found on a copy shrunk to at most 128 px (fast), and each kept blob keeps a
    one-cell margin, so nothing of the digit itself is trimmed.
    """
    small = _shrink(ink, 128)
    mask = small > 0.05 * 255
    labels, count = components(mask)
    if count <= 1:
        return ink, 0
    mass = np.bincount(labels.ravel(), weights=small.ravel(), minlength=count + 1)[1:]
    keep_ids = np.nonzero(mass >= SPECK_FRACTION * mass.sum())[0] + 1
    dropped = count - len(keep_ids)
    if dropped == 0:
        return ink, 0
    keep = np.isin(labels, keep_ids)
    keep = _dilate(keep.astype(np.float32), 3) > 0  # one cell of margin
    if keep.shape != ink.shape:
        keep = np.asarray(Image.fromarray(keep.astype(np.uint8) * 255).resize(
            (ink.shape[1], ink.shape[0]), Image.Resampling.NEAREST)) > 0
    return np.where(keep, ink, 0.0), dropped


def _bounding_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.nonzero(ink.any(axis=1))[0]
    cols = np.nonzero(ink.any(axis=0))[0]
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


# ----------------------------------------------------------------------------- stage 4: scale to 20 px
def _dilate(image: np.ndarray, size: int) -> np.ndarray:
    """Grey-level dilation with a size x size square (separable running maximum, numpy only)."""
    if size <= 1:
        return image
    before, after = (size - 1) // 2, size // 2
    out = image
    for axis in (0, 1):
        padded = np.pad(out, [(before, after) if a == axis else (0, 0) for a in (0, 1)])
        n = out.shape[axis]
        result = np.take(padded, range(0, n), axis=axis)
        for shift in range(1, size):
            result = np.maximum(result, np.take(padded, range(shift, shift + n), axis=axis))
        out = result
    return out


def stroke_width(ink: np.ndarray) -> float:
    """Typical stroke width in pixels: 2 x area / boundary length of the ink above half its peak."""
    mask = ink > 127.5
    area = int(mask.sum())
    if area == 0:
        return 0.0
    p = np.pad(mask, 1)
    interior = p[1:-1, 1:-1] & p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    boundary = int((mask & ~interior).sum())
    return 2.0 * area / max(boundary, 1)


def _scale_to_box(crop: np.ndarray) -> tuple[np.ndarray, float, int]:
    """Longer side -> 20 px, keeping the aspect ratio. Returns (image, scale, pixels of thickening)."""
    h, w = crop.shape
    scale = BOX_SIZE / max(h, w)
    thickened = 0
    if scale < 0.5:  # a real shrink: make sure the strokes survive it
        width_after = stroke_width(crop) * scale
        if width_after < 2.0:
            thickened = int(np.ceil(TARGET_STROKE / scale - stroke_width(crop)))
            thickened += thickened % 2 == 1  # an odd kernel (even growth) keeps the digit centred
            crop = _dilate(np.pad(crop, thickened // 2), thickened + 1)
            h, w = crop.shape
            scale = BOX_SIZE / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return crop, scale, thickened
    method = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    scaled = np.asarray(Image.fromarray(crop.astype(np.float32), "F").resize(size, method), dtype=np.float32)
    top = float(np.percentile(scaled[scaled > 0], 99)) if (scaled > 0).any() else 0.0
    if top > 0:
        scaled = np.clip(scaled * (255.0 / top), 0.0, 255.0)
    return scaled, scale, thickened


# ----------------------------------------------------------------------------- stage 5: centre by mass
def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, column) of the ink's centre of mass."""
    total = float(image.sum())
    if total <= 0:
        return (image.shape[0] - 1) / 2, (image.shape[1] - 1) / 2
    rows, cols = np.indices(image.shape)
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def centre_by_mass(box: np.ndarray, size: int = FIELD_SIZE) -> tuple[np.ndarray, tuple[int, int]]:
    """Paste into a size x size field so the centre of mass lands on CENTRE (whole-pixel shift,
    kept inside the field). Returns (image, (top, left))."""
    h, w = box.shape
    cy, cx = centre_of_mass(box)
    top = int(np.clip(round(CENTRE - cy), 0, size - h))
    left = int(np.clip(round(CENTRE - cx), 0, size - w))
    field_ = np.zeros((size, size), dtype=np.float32)
    field_[top:top + h, left:left + w] = box
    return field_, (top, left)


def _u8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- the pipeline
def to_greyscale(image: Image.Image | np.ndarray | bytes, name: str = "the image") -> np.ndarray:
    """Stage 1 on any accepted input: float32 (H, W) in [0, 255], shrunk to WORKING_SIZE at most."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        image = load_image_bytes(bytes(image), name)
    if isinstance(image, Image.Image):
        grey = _image_to_grey(image, name)
    elif isinstance(image, np.ndarray):
        if image.size == 0:
            raise ImageError(f"{name} has no pixels (shape {image.shape}).")
        grey = _array_to_grey(image, name)
    else:
        raise ImageError(f"{name}: expected a PIL image, a numpy array or image bytes, got {type(image).__name__}.")
    return _shrink(grey.astype(np.float32), WORKING_SIZE)


def preprocess_digit(image: Image.Image | np.ndarray | bytes, name: str = "the image") -> PreprocessResult:
    """Make an MNIST-style 28x28 input from a drawing, scan or photo (see the module docstring)."""
    grey = to_greyscale(image, name)
    stages: list[tuple[str, np.ndarray]] = [("greyscale", _u8(grey))]
    notes: list[str] = []
    if float(grey.max() - grey.min()) < MIN_CONTRAST:
        raise ImageError(
            f"There is no digit in {name}: it is one flat tone (blank paper, or all ink). "
            "Draw a digit, or choose a picture of one."
        )

    ink, inverted = _white_ink_on_black(grey)
    notes.append("The ink was darker than the paper, so the image was inverted (MNIST is white ink on black)."
                 if inverted else "The ink was already lighter than the background (like MNIST): no inversion.")
    ink, specks = _drop_specks(ink)
    if specks:
        notes.append(f"Ignored {specks} small speck{'s' if specks > 1 else ''} away from the digit.")
    stages.append(("white ink on black", _u8(ink)))

    solid = ink > 127.5
    if solid.sum() < 3:
        raise ImageError("There is hardly any ink: draw the digit larger or with a thicker stroke.")
    top, left, bottom, right = _bounding_box(ink > 0)
    crop = ink[top:bottom, left:right]
    stages.append(("cropped to the ink", _u8(crop)))

    box, scale, thickened = _scale_to_box(crop)
    if thickened:
        notes.append(f"The strokes were thin for this size, so they were thickened by {thickened} px "
                     "before shrinking (otherwise they would fade at 20 px).")
    notes.append(f"The {crop.shape[1]}x{crop.shape[0]} px ink box was scaled by {scale:.3g} to "
                 f"{box.shape[1]}x{box.shape[0]} (longer side {BOX_SIZE} px, aspect ratio kept).")
    stages.append((f"scaled to {BOX_SIZE} px", _u8(box)))

    final, (dy, dx) = centre_by_mass(box)
    final_u8 = _u8(final)
    cy, cx = centre_of_mass(final_u8.astype(np.float32))
    notes.append(f"Pasted at row {dy}, column {dx} of a 28x28 field: its centre of mass is at ({cy:.1f}, {cx:.1f}).")
    stages.append(("centred by mass (28x28)", final_u8))
    return PreprocessResult(final=final_u8, stages=stages, inverted=inverted, bbox=(top, left, bottom, right),
                            scale=scale, thickened_by=thickened, specks_removed=specks, notes=notes)


def is_blank_canvas(image_data: np.ndarray | None) -> bool:
    """True when a drawing canvas holds no strokes yet (None, fully transparent, or one flat tone)."""
    if image_data is None or np.asarray(image_data).size == 0:
        return True
    x = np.asarray(image_data)
    if x.ndim == 3 and x.shape[2] == 4 and not x[..., 3].any():
        return True
    grey = _array_to_grey(x, "the drawing")
    return float(grey.max() - grey.min()) < MIN_CONTRAST


__all__ = [
    "BOX_SIZE", "FIELD_SIZE", "HIGH_DEPTH_MODES", "MAX_PIXELS", "ImageError", "PreprocessResult", "centre_by_mass",
    "centre_of_mass", "components", "is_blank_canvas", "load_image_bytes", "load_image_file", "preprocess_digit",
    "stretch_levels", "stroke_width", "to_greyscale",
]
