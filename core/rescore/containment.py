"""Cropped copies: where one photo sits inside another, so a model can compare like with like.

A crop of a photo and the photo itself differ by the content cut away, so a copy-detection model scores them
lower the more was cut (SSCD: 0.78-0.85 for a 90 % off-centre crop), while two overlapping frames of a burst
can score as high (0.85-0.88). What separates them is geometry: a crop lies wholly inside the other photo at
some scale, a burst frame does not. `find_inside` searches for that placement on small gray thumbnails with
the fine detail kept (a box blur subtracted, so smooth gradients and exposure do not match by themselves):
the other photo, scaled to 50-97 % of the width, slid over every position, scored by normalised
cross-correlation (computed for all positions at once with FFTs, local statistics from integral images).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

SIDE = 128
SCALES = tuple(float(s) for s in np.linspace(0.5, 0.97, 24))
_BLUR_RADIUS = 4  # a 9 px box


@dataclass(frozen=True)
class Placement:
    """Where the inner photo lies in the outer one: normalised cross-correlation and the box, as fractions of
    the outer photo's width and height (left, top, right, bottom)."""

    correlation: float
    box: tuple[float, float, float, float]

    def crop(self, outer: Image.Image) -> Image.Image:
        left, top, right, bottom = self.box
        w, h = outer.size
        return outer.crop((round(left * w), round(top * h), round(right * w), round(bottom * h)))


def detail(image: Image.Image, width: int) -> np.ndarray:
    """Gray pixels at `width` (height by aspect) less their local mean: edges and texture, no gradients."""
    height = max(8, round(image.height * width / image.width))
    gray = image.convert("L").resize((width, height), Image.Resampling.BILINEAR)
    blurred = gray.filter(ImageFilter.BoxBlur(_BLUR_RADIUS))
    return np.asarray(gray, dtype=np.float32) - np.asarray(blurred, dtype=np.float32)


Detail = Callable[[Image.Image, int], np.ndarray]


class DetailCache:
    """`detail` of the images asked about last, by identity: the crop check searches a file that is in several pairs
    at the same 25 widths each time, and computing them was half of its search (resize and blur)."""

    def __init__(self, images: int = 64) -> None:
        self.images = images  # ~0.7 MB of arrays each
        self._by_image: OrderedDict[int, tuple[Image.Image, dict[int, np.ndarray]]] = OrderedDict()

    def __call__(self, image: Image.Image, width: int) -> np.ndarray:
        entry = self._by_image.get(id(image))
        if entry is None or entry[0] is not image:  # the image itself is kept, so its id is not reused meanwhile
            entry = (image, {})
            self._by_image[id(image)] = entry
            if len(self._by_image) > self.images:
                self._by_image.popitem(last=False)
        self._by_image.move_to_end(id(image))
        widths = entry[1]
        if width not in widths:
            widths[width] = detail(image, width)
        return widths[width]


def find_inside(
    outer: Image.Image, inner: Image.Image, scales: tuple[float, ...] = SCALES, details: Detail = detail
) -> Placement | None:
    """The best placement of `inner` inside `outer` over the scales (inner's width / outer's width). details:
    `detail` itself or a DetailCache (the arrays are only read)."""
    big = details(outer, SIDE)
    spectrum = np.fft.rfft2(big)
    sums, squares = _integral(big), _integral(big * big)
    best: Placement | None = None
    for scale in scales:
        template = details(inner, max(8, round(SIDE * scale)))
        th, tw = template.shape
        if th > big.shape[0] or tw > big.shape[1]:
            continue
        found = _best_match(big.shape, spectrum, sums, squares, template)
        if found is not None and (best is None or found[0] > best.correlation):
            correlation, y, x = found
            height, width = big.shape
            box = (x / width, y / height, (x + tw) / width, (y + th) / height)
            best = Placement(correlation, box)
    return best


def _integral(values: np.ndarray) -> np.ndarray:
    padded = np.zeros((values.shape[0] + 1, values.shape[1] + 1), dtype=np.float64)
    padded[1:, 1:] = values.cumsum(0).cumsum(1)
    return padded


def _window_sums(integral: np.ndarray, th: int, tw: int) -> np.ndarray:
    sums: np.ndarray = integral[th:, tw:] - integral[:-th, tw:] - integral[th:, :-tw] + integral[:-th, :-tw]
    return sums


def _best_match(
    shape: tuple[int, ...], spectrum: np.ndarray, sums: np.ndarray, squares: np.ndarray, template: np.ndarray
) -> tuple[float, int, int] | None:
    th, tw = template.shape
    centred = template - template.mean()
    norm = float(np.sqrt((centred * centred).sum()))
    if norm < 1e-6:
        return None  # a flat template matches anything
    kernel = np.zeros(shape, dtype=np.float32)
    kernel[:th, :tw] = centred[::-1, ::-1]
    full = np.fft.irfft2(spectrum * np.fft.rfft2(kernel), s=shape)
    products = full[th - 1 :, tw - 1 :]  # valid positions: the template wholly inside
    count = th * tw
    local_sum = _window_sums(sums, th, tw)
    local_var = _window_sums(squares, th, tw) - local_sum * local_sum / count
    correlation = products / (np.sqrt(np.maximum(local_var, 1e-6)) * norm)
    y, x = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    return float(correlation[y, x]), int(y), int(x)
