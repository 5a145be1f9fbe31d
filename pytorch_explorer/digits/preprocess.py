"""Turn a digit as people make one (a drawing, a scan, a phone photo) into a 28x28 MNIST-style input.

MNIST's digits were made like this: black ink on white paper, scanned, the digit's bounding box
scaled so that its longer side is 20 pixels (keeping the aspect ratio, anti-aliased to grey
levels), then pasted into a 28x28 field so that its centre of mass sits at the centre, and stored
as white ink on black. A model trained on MNIST expects exactly that, so `preprocess_digit` repeats
it, one visible stage at a time:

1. greyscale: luminance of the colours (transparent pixels composited on a suitable background);
2. white ink on black: if the ink is darker than the paper, invert; then remove the paper's
   brightness, estimated locally (tinted paper, uneven light, shadows), drop the ink that is not
   the digit (specks, strips and blobs along the picture's edge, blobs far thicker than a stroke)
   and stretch the contrast so the ink's core is 255;
3. cropped to the ink: the bounding box of the ink (a dot or a dash is refused: not a digit);
4. scaled to 20 px: the longer side becomes 20 pixels (thin strokes are thickened first, so a
   pen line in a big photo does not vanish when shrunk);
5. centred by mass: pasted into 28x28 with the centre of mass at pixel (14, 14).

Big photos are shrunk as they are loaded (up to MAX_PIXELS). Bad input (not an image, a truncated
file, a decompression bomb, a blank or all-ink picture, a dot) raises
`ImageError` with a message that says what to do; nothing here guesses a digit from nothing.
The stages' names and the notes are written in the learner's language (`lang`), an ImageError's message
in either (`exc.message(lang)`): the probe page shows them as they come.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pytorch_explorer.core.errors import ExplorerError, Term
from pytorch_explorer.i18n import translate

MAX_PIXELS = 120_000_000  # larger pictures are refused before decoding (a decompression bomb claims billions)
MAX_DECODED_BYTES = 64 << 20  # formats decoded at full size (PNG, GIF, BMP, WebP, CMYK JPEG): 48 MP of grey
MAX_FILE_BYTES = 50 << 20  # an image file read from disk or uploaded
MAX_ASPECT = 200  # longer side / shorter side: a 40,000,000 x 1 picture holds no digit
_BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "LA": 2, "La": 2, "PA": 2, "I;16": 2, "RGB": 3, "YCbCr": 3}
LOAD_SIZE = 2048  # pictures up to MAX_PIXELS are shrunk to this longer side as they are loaded
WORKING_SIZE = 1024  # larger images are shrunk to this longer side first (detail beyond it cannot reach 20 px)
BOX_SIZE = 20  # MNIST: the digit's longer side
FIELD_SIZE = 28  # MNIST: the image
CENTRE = 14.0  # MNIST digits' mean centre of mass (row, column), measured on the bundled digits
MIN_CONTRAST = 24.0  # grey levels between paper and ink below which an image counts as blank
HAZE = 0.1  # in pictures of 64 px and more, ink fainter than 10 % of the strokes' core is dropped
SPECK_FRACTION = 0.02  # connected blobs with less than this share of the ink are specks
BACKGROUND_SIZE = 128  # the paper's level is estimated on a copy this size (longer side) ...
BACKGROUND_WINDOW = 31  # ... over windows of 31 px (a quarter of the side): wider than a stroke's blots
CLUTTER_SIZE = 128  # ink blobs are sorted (digit, speck, edge, shadow) on a copy this size
STRIP_COVER = 0.5  # a row or column along the picture's side that is half ink or more is not the digit
BLOB_FACTOR = 3.0  # a blob more than 3x as thick as the digit's strokes is not part of it (a shadow, a thumb)
MIN_EXTENT = 2.2  # ink under 2.2 stroke widths across is a dot or a dash (a disc: 1.7; MNIST: 2.5 and up)
TARGET_STROKE = 2.5  # MNIST strokes are about 2-3 px wide at the 20 px scale
HIGH_DEPTH_MODES = ("I", "I;16", "I;16B", "I;16L", "F")  # Pillow modes of 16-bit and float pixels


class ImageError(ExplorerError, ValueError):
    """The picture cannot be used as a digit: the message says why and what to do."""


@dataclass
class PreprocessResult:
    """The 28x28 input a model sees, and how it was made."""

    final: np.ndarray  # uint8 (28, 28), white ink on black, like MNIST
    stages: list[tuple[str, np.ndarray]]  # (name, uint8 image) in order, for the page to show, in its language
    inverted: bool  # True when the input was dark ink on light paper (and was inverted)
    bbox: tuple[int, int, int, int] = (0, 0, 0, 0)  # top, left, bottom, right of the ink (working image)
    scale: float = 1.0  # working pixels -> 20 px box
    thickened_by: int = 0  # pixels added to the stroke width before shrinking
    specks_removed: int = 0
    clutter_removed: dict[str, int] = field(default_factory=dict)  # {"speck"|"edge"|"blob": blobs dropped}
    notes: list[str] = field(default_factory=list)  # one sentence per decision, for the page, in its language


# ----------------------------------------------------------------------------- reading images
def load_image_bytes(data: bytes, name: str = Term("the image")) -> Image.Image:
    """Decode PNG/JPEG/BMP/GIF/WebP bytes into a loaded PIL image, or raise ImageError.

    The size a file declares is checked before anything is decoded (Image.open reads the header
    only): up to MAX_PIXELS (a 48 or 108 megapixel phone photo is fine) the picture is loaded and
    shrunk to LOAD_SIZE (JPEGs are decoded at a reduced scale in the first place, JPEG's draft mode);
    beyond it, or a file that claims a huge size (a decompression bomb), it is refused. Truncated or
    damaged files and anything Pillow cannot identify are refused too. Photos are turned upright from
    their EXIF orientation; an animation gives its first frame.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ImageError("{name}: expected the bytes of an image file, got {kind}.", name=name,
                         kind=type(data).__name__)
    if len(data) == 0:
        raise ImageError("{name} is empty (0 bytes). Choose a PNG, JPEG, BMP, GIF or WebP file of a digit.", name=name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is checked below
            if len(data) > MAX_FILE_BYTES:
                raise ImageError("{name} is {size} MB; image files of up to {most} MB are read here. Shrink it first.",
                                 name=name, size=len(data) >> 20, most=MAX_FILE_BYTES >> 20)
            image = Image.open(io.BytesIO(bytes(data)))
            _check_pixel_count(image.width, image.height, name)
            drafted = image.format == "JPEG" and image.mode in ("L", "RGB")  # decoded at 1/8 scale: MAX_PIXELS
            decoded = image.width * image.height * _BYTES_PER_PIXEL.get(image.mode, 4)
            if not drafted and decoded > MAX_DECODED_BYTES:
                raise ImageError("{name} is {width}x{height} pixels ({mode}): a {format} is decoded whole, and this "
                                 "one would take {size} MB; the limit is {most} MB (a JPEG photo may have up to "
                                 "{megapixels} megapixels). Crop or shrink it first.", name=name, width=image.width,
                                 height=image.height, mode=image.mode, format=image.format or Term("picture"),
                                 size=decoded >> 20, most=MAX_DECODED_BYTES >> 20,
                                 megapixels=MAX_PIXELS // 1_000_000)
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)
            image = shrink_on_load(image)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageError("{name} is too large to open safely ({error}). Pictures up to {most} megapixels are shrunk "
                         "as they are loaded; larger ones are refused. Crop or shrink it first.", name=name,
                         error=str(exc), most=MAX_PIXELS // 1_000_000) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("{name} is not an image this app can read. Use a PNG, JPEG, BMP, GIF or WebP file.",
                         name=name) from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImageError("{name} is damaged or truncated ({detail}). Save or export it again.", name=name,
                         detail=detail) from exc
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a broken EXIF block only loses the rotation
        pass
    return image


def shrink_on_load(image: Image.Image) -> Image.Image:
    """Load an opened image, shrunk so that its longer side is at most LOAD_SIZE.

    A JPEG is decoded at 1/2, 1/4 or 1/8 scale when that is still large enough (`draft`), then
    Pillow's `thumbnail` area-averages the rest. 1-bit and palette pictures become grey or colour
    first (a palette can only be resized pixel by pixel, which would drop thin strokes).
    """
    original = image.size
    if max(original) <= LOAD_SIZE:
        image.load()
        return image
    if image.format == "JPEG" and image.mode in ("L", "RGB"):
        image.draft(image.mode, (LOAD_SIZE, LOAD_SIZE))
    if image.mode == "1":
        image = image.convert("L")
    elif image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image.thumbnail((LOAD_SIZE, LOAD_SIZE), Image.Resampling.BOX)
    image.info["original_size"] = original  # (width, height) as the file declared it, for the page to say
    return image


def load_image_file(path: str, name: str | None = None) -> Image.Image:
    """Read an image file from disk (see load_image_bytes), with the file named in any error."""
    label = name or str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError as exc:
        raise ImageError("{name}: no such file.", name=label) from exc
    except IsADirectoryError as exc:
        raise ImageError("{name} is a folder, not an image file.", name=label) from exc
    except OSError as exc:
        raise ImageError("{name} cannot be read: {reason}.", name=label, reason=str(exc.strerror or exc)) from exc
    return load_image_bytes(data, label)


def limit_note(lang: str = "en") -> str:
    """What the uploader says of the size a picture may have, in `lang`."""
    return translate("a photo is fine, up to {n} megapixels", lang).format(n=MAX_PIXELS // 1_000_000)


LIMIT_NOTE = limit_note()


def _check_pixel_count(width: int, height: int, name: str) -> None:
    if width <= 0 or height <= 0:
        raise ImageError("{name} has no pixels ({width}x{height}).", name=name, width=width, height=height)
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageError("{name} is {width}x{height} pixels: too thin to hold a digit (the longer side may be at most "
                         "{most} times the shorter). Crop it around the digit.", name=name, width=width,
                         height=height, most=MAX_ASPECT)
    if width * height > MAX_PIXELS:
        raise ImageError("{name} is {width}x{height} pixels ({megapixels:.0f} megapixels). Pictures up to {most} "
                         "megapixels are shrunk as they are loaded; larger ones are refused. Crop or shrink it first.",
                         name=name, width=width, height=height, megapixels=width * height / 1e6,
                         most=MAX_PIXELS // 1_000_000)


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
        raise ImageError("{name}: expected an image array of shape (H, W) or (H, W, 3|4), got {shape}.", name=name,
                         shape=x.shape)
    _check_pixel_count(x.shape[1], x.shape[0], name)
    if x.dtype == bool:
        x = x.astype(np.float32) * 255.0
    elif np.issubdtype(x.dtype, np.integer):
        top = 255.0 if x.max(initial=0) <= 255 else float(np.iinfo(x.dtype).max)
        x = x.astype(np.float32) * (255.0 / top)
    elif np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float32)
        if not np.isfinite(x).all():
            raise ImageError("{name} contains NaN or infinite values.", name=name)
        if x.max(initial=0) <= 1.0:
            x = x * 255.0
        x = np.clip(x, 0.0, 255.0)
    else:
        raise ImageError("{name}: cannot read pixels of type {dtype}.", name=name, dtype=str(x.dtype))
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


def _background(ink: np.ndarray) -> np.ndarray:
    """The paper's level at each pixel, estimated locally (ink is bright here).

    A grey-level opening on a copy shrunk to BACKGROUND_SIZE: the darkest value over a window of
    BACKGROUND_WINDOW (wider than a stroke), then the brightest over the same window. Strokes narrower
    than the window vanish; lighting gradients, shadows and tinted paper, which are wider, stay (a
    shadow's edge included). Stretched back to full size. Pictures under 64 px (MNIST-sized) have no room for
    uneven light: their background is their median.
    """
    h, w = ink.shape
    if max(h, w) < 64:
        return np.full_like(ink, float(np.median(ink)))
    small = _shrink(ink, BACKGROUND_SIZE).astype(np.float32)
    window = BACKGROUND_WINDOW if max(small.shape) >= BACKGROUND_SIZE else max(3, max(small.shape) // 4 | 1)
    opened = Image.fromarray(_dilate(-_dilate(-small, window), window), "F")  # erode (min), then dilate (max)
    return np.asarray(opened.resize((w, h), Image.Resampling.BILINEAR), dtype=np.float32)


def _white_ink_on_black(grey: np.ndarray) -> tuple[np.ndarray, bool]:
    """Invert if needed, remove the local background, stretch the ink's core to 255. Returns (image, inverted).

    Dark ink on paper: the ink is measured as a fraction of the paper's local brightness (what a
    shadow or a dim corner takes from the paper it takes from the ink too), so a stroke in the shade
    counts as much as one in the light. Light ink on a dark ground: the background is subtracted.
    """
    inverted = _ink_is_dark(grey)
    ink = 255.0 - grey if inverted else grey.copy()
    background = _background(ink)
    residual = np.clip(ink - background, 0.0, None)
    if inverted and max(ink.shape) >= 64:  # relative to the paper's local brightness (255 - background)
        paper = np.maximum(255.0 - background, MIN_CONTRAST)
        residual = np.clip(residual * (float(np.median(paper)) / paper), 0.0, 255.0)
    # The paper's remaining noise: most pixels are paper, so the lower half of the values is noise.
    p10, p50 = np.percentile(residual, [10, 50])
    floor = p50 + 4.0 * max(p50 - p10, 0.0) / 1.28
    cleaned = np.clip(residual - floor, 0.0, None)
    if cleaned.max(initial=0) < MIN_CONTRAST:
        raise ImageError(
            "The image looks blank: no ink stands out from the background. "
            "Draw a digit, or upload a picture of one (dark on light or light on dark)."
        )
    return cleaned, inverted


def _stretch_ink(cleaned: np.ndarray) -> np.ndarray:
    """The ink's core (95th percentile of the inked pixels) to 255; in photos, the faint haze dropped."""
    peak = float(np.percentile(cleaned[cleaned > 0], 95))
    ink = np.clip(cleaned * (255.0 / max(peak, MIN_CONTRAST)), 0.0, 255.0)
    if max(ink.shape) >= 64:  # a scan or photo: drop the faint haze that JPEG/WebP leave around strokes
        ink[ink < HAZE * 255.0] = 0.0  # (MNIST-sized inputs keep every faint edge pixel)
    return ink


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


CLUTTER_NOTES = {  # kind: (the note for one blob, for several)
    "speck": ("Ignored {n} small speck away from the digit.", "Ignored {n} small specks away from the digit."),
    "edge": ("Ignored {n} ink blob touching the picture's edge (the page's edge, a table, a darker strip).",
             "Ignored {n} ink blobs touching the picture's edge (the page's edge, a table, a darker strip)."),
    "blob": ("Ignored {n} blob far thicker than the digit's strokes (a shadow, a thumb).",
             "Ignored {n} blobs far thicker than the digit's strokes (a shadow, a thumb)."),
}


@dataclass
class Blob:
    """One connected piece of ink (on the CLUTTER_SIZE copy): how much ink, how thick, where."""

    label: int
    mass: float  # summed ink
    thickness: float  # 2 x area / boundary: a stroke's width, half a disc's diameter
    on_edge: int  # its pixels in the picture's outermost rows and columns (0: it does not touch the edge)


def edge_strips(mask: np.ndarray) -> np.ndarray:
    """The rows and columns, from each side of the picture inwards, that are mostly ink (at least
    STRIP_COVER of their length): a darker strip, a table or the page's edge along the photo's side.
    Returns a boolean mask of them."""
    strips = np.zeros_like(mask, dtype=bool)
    for axis in (0, 1):  # 0: rows from the top and the bottom; 1: columns from the left and the right
        cover = mask.mean(axis=1 - axis)
        for order in (range(len(cover)), range(len(cover) - 1, -1, -1)):
            for i in order:
                if cover[i] < STRIP_COVER:
                    break
                if axis == 0:
                    strips[i, :] = True
                else:
                    strips[:, i] = True
    return strips


def _blobs(small: np.ndarray) -> tuple[np.ndarray, list[Blob]]:
    mask = small > 0.05 * 255
    strips = edge_strips(mask)
    labels, count = components(mask & ~strips)
    mass = np.bincount(labels.ravel(), weights=small.ravel(), minlength=count + 1)
    area = np.bincount(labels.ravel(), minlength=count + 1)
    padded = np.pad(labels, 1)
    interior = (padded[1:-1, 1:-1] == padded[:-2, 1:-1]) & (padded[1:-1, 1:-1] == padded[2:, 1:-1]) & (
        padded[1:-1, 1:-1] == padded[1:-1, :-2]) & (padded[1:-1, 1:-1] == padded[1:-1, 2:])
    boundary = np.bincount(labels[~interior].ravel(), minlength=count + 1)
    rim = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
    on_edge = np.bincount(rim, minlength=count + 1)
    blobs = [Blob(i, float(mass[i]), 2.0 * area[i] / max(boundary[i], 1), int(on_edge[i])) for i in range(1, count + 1)]
    if strips.any():  # the strips, as one blob on the edge
        labels[strips] = count + 1
        blobs.append(Blob(count + 1, float(small[strips].sum()), float("inf"), int(strips.sum())))
    return labels, blobs


def _drop_clutter(ink: np.ndarray) -> tuple[np.ndarray, dict[str, int]]:
    """Zero the ink that is not the digit; returns (ink, {kind: blobs dropped}), kinds as in CLUTTER_NOTES.

    Sorted on a copy shrunk to CLUTTER_SIZE, in this order:
    - specks: blobs holding less than SPECK_FRACTION of the ink (dust, noise, a stray dot);
    - the picture's edge: blobs that touch the border (a table, the page's edge, a darker strip along
      the photo's side), when ink that does not touch it remains (a digit drawn up to the edge of a
      canvas is kept);
    - shadows and thumbs: blobs more than BLOB_FACTOR times as thick as the remaining ink's strokes.
    Each kept blob keeps a one-cell margin, so nothing of the digit itself is trimmed.
    """
    small = _shrink(ink, CLUTTER_SIZE)
    labels, blobs = _blobs(small)
    if len(blobs) <= 1:
        return ink, {}
    total = sum(b.mass for b in blobs)
    kept = [b for b in blobs if b.mass >= SPECK_FRACTION * total]
    dropped = {"speck": len(blobs) - len(kept), "edge": 0, "blob": 0}
    inside = [b for b in kept if not b.on_edge]
    if inside and len(inside) < len(kept):
        dropped["edge"], kept = len(kept) - len(inside), inside
    stroke = max(kept, key=lambda b: b.mass).thickness
    thin = [b for b in kept if b.thickness <= BLOB_FACTOR * stroke]
    dropped["blob"], kept = len(kept) - len(thin), thin
    if len(kept) == len(blobs):
        return ink, {}
    keep = np.isin(labels, [b.label for b in kept])
    keep = _dilate(keep.astype(np.float32), 3) > 0  # one cell of margin
    if keep.shape != ink.shape:
        keep = np.asarray(Image.fromarray(keep.astype(np.uint8) * 255).resize(
            (ink.shape[1], ink.shape[0]), Image.Resampling.NEAREST)) > 0
    return np.where(keep, ink, 0.0), {kind: n for kind, n in dropped.items() if n}


def _check_extent(crop: np.ndarray, name: str) -> None:
    """Refuse a dot or a dash: ink whose longer side is under MIN_EXTENT stroke widths is not a digit."""
    width = stroke_width(crop)
    if width > 0 and max(crop.shape) < MIN_EXTENT * width:
        raise ImageError(
            "This does not look like a digit: the ink in {name} is a dot or a short dash ({px} px across, with strokes "
            "{width:.0f} px wide). Draw the whole digit, several times taller than the pen is wide.",
            name=name, px=max(crop.shape), width=width,
        )


def _bounding_box(ink: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.nonzero(ink.any(axis=1))[0]
    cols = np.nonzero(ink.any(axis=0))[0]
    return int(rows[0]), int(cols[0]), int(rows[-1]) + 1, int(cols[-1]) + 1


# ----------------------------------------------------------------------------- stage 4: scale to 20 px
def _dilate(image: np.ndarray, size: int) -> np.ndarray:
    """Grey-level dilation with a size x size square (separable running maximum, numpy only); the
    picture's edge values extend beyond it, so `-_dilate(-image, size)` is the matching erosion."""
    if size <= 1:
        return image
    before, after = (size - 1) // 2, size // 2
    out = image
    for axis in (0, 1):
        padded = np.pad(out, [(before, after) if a == axis else (0, 0) for a in (0, 1)], mode="edge")
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
def to_greyscale(image: Image.Image | np.ndarray | bytes, name: str = Term("the image")) -> np.ndarray:
    """Stage 1 on any accepted input: float32 (H, W) in [0, 255], shrunk to WORKING_SIZE at most."""
    if isinstance(image, (bytes, bytearray, memoryview)):
        image = load_image_bytes(bytes(image), name)
    if isinstance(image, Image.Image):
        _check_pixel_count(image.width, image.height, name)
        if max(image.size) > LOAD_SIZE:  # shrunk in Pillow before it becomes a float array
            image = shrink_on_load(image.copy())
        grey = _image_to_grey(image, name)
    elif isinstance(image, np.ndarray):
        if image.size == 0:
            raise ImageError("{name} has no pixels (shape {shape}).", name=name, shape=image.shape)
        grey = _array_to_grey(image, name)
    else:
        raise ImageError("{name}: expected a PIL image, a numpy array or image bytes, got {kind}.", name=name,
                         kind=type(image).__name__)
    return _shrink(grey.astype(np.float32), WORKING_SIZE)


def preprocess_digit(image: Image.Image | np.ndarray | bytes, name: str = Term("the image"),
                     lang: str = "en") -> PreprocessResult:
    """Make an MNIST-style 28x28 input from a drawing, scan or photo (see the module docstring); the stages' names
    and the notes are written in `lang` ("en" or "zh"), a refusal is an ImageError (its `message(lang)`)."""
    grey = to_greyscale(image, name)
    stages: list[tuple[str, np.ndarray]] = [(translate("greyscale", lang), _u8(grey))]
    notes: list[str] = []
    if float(grey.max() - grey.min()) < MIN_CONTRAST:
        raise ImageError(
            "There is no digit in {name}: it is one flat tone (blank paper, or all ink). Draw a digit, or choose a "
            "picture of one.", name=name,
        )

    cleaned, inverted = _white_ink_on_black(grey)
    notes.append(translate("The ink was darker than the paper, so the image was inverted (MNIST is white ink on black)."
                           if inverted else
                           "The ink was already lighter than the background (like MNIST): no inversion.", lang))
    if max(grey.shape) >= 64:
        notes.append(translate("The paper's brightness was estimated locally (uneven light and shadows removed).", lang))
    ink, dropped = _drop_clutter(_stretch_ink(cleaned))
    if dropped:
        ink = _stretch_ink(ink)  # the ink's core again, without what was dropped
    notes += [translate(CLUTTER_NOTES[kind][n > 1], lang).format(n=n) for kind, n in dropped.items()]
    stages.append((translate("white ink on black", lang), _u8(ink)))

    solid = ink > 127.5
    if solid.sum() < 3:
        raise ImageError("There is hardly any ink: draw the digit larger or with a thicker stroke.")
    top, left, bottom, right = _bounding_box(ink > 0)
    crop = ink[top:bottom, left:right]
    _check_extent(crop, name)
    stages.append((translate("cropped to the ink", lang), _u8(crop)))

    box, scale, thickened = _scale_to_box(crop)
    if thickened:
        notes.append(translate("The strokes were thin for this size, so they were thickened by {px} px before "
                               "shrinking (otherwise they would fade at 20 px).", lang).format(px=thickened))
    notes.append(translate("The {w}x{h} px ink box was scaled by {scale} to {bw}x{bh} (longer side {side} px, aspect "
                           "ratio kept).", lang).format(w=crop.shape[1], h=crop.shape[0], scale=f"{scale:.3g}",
                                                        bw=box.shape[1], bh=box.shape[0], side=BOX_SIZE))
    stages.append((translate("scaled to {px} px", lang).format(px=BOX_SIZE), _u8(box)))

    final, (dy, dx) = centre_by_mass(box)
    final_u8 = _u8(final)
    cy, cx = centre_of_mass(final_u8.astype(np.float32))
    notes.append(translate("Pasted at row {row}, column {col} of a 28x28 field: its centre of mass is at ({cy}, {cx}).",
                           lang).format(row=dy, col=dx, cy=f"{cy:.1f}", cx=f"{cx:.1f}"))
    stages.append((translate("centred by mass (28x28)", lang), final_u8))
    return PreprocessResult(final=final_u8, stages=stages, inverted=inverted, bbox=(top, left, bottom, right),
                            scale=scale, thickened_by=thickened, specks_removed=dropped.get("speck", 0),
                            clutter_removed=dropped, notes=notes)


def is_blank_canvas(image_data: np.ndarray | None) -> bool:
    """True when a drawing canvas holds no strokes yet (None, fully transparent, or one flat tone)."""
    if image_data is None or np.asarray(image_data).size == 0:
        return True
    x = np.asarray(image_data)
    if x.ndim == 3 and x.shape[2] == 4 and not x[..., 3].any():
        return True
    grey = _array_to_grey(x, Term("the drawing"))
    return float(grey.max() - grey.min()) < MIN_CONTRAST


__all__ = [
    "BOX_SIZE", "FIELD_SIZE", "HIGH_DEPTH_MODES", "LIMIT_NOTE", "LOAD_SIZE", "MAX_PIXELS", "ImageError",
    "PreprocessResult", "centre_by_mass", "centre_of_mass", "components", "edge_strips", "is_blank_canvas",
    "limit_note", "load_image_bytes", "load_image_file", "preprocess_digit", "shrink_on_load", "stretch_levels",
    "stroke_width", "to_greyscale",
]
