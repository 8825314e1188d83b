"""The photo inside a frame (core/embed/frames.py): cut from screenshots, padding, borders; plain photos untouched."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageFilter

from core.embed.frames import content_box, without_frame
from core.models import families


def _photo(seed: int, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """Busy everywhere, as a photo is: blurred noise with some large shapes."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    return Image.fromarray(pixels).resize(size, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))


@pytest.mark.parametrize("family", ["screenshot", "padding", "caption-bar"])  # borders: see below
@pytest.mark.parametrize("seed", range(4))
def test_the_frame_of_a_framed_copy_is_found(family: str, seed: int) -> None:
    photo = _photo(seed)
    framed = families.make(families.BY_NAME[family], photo, random.Random(seed)).image
    box = content_box(framed)
    if family == "padding" and box is None:  # a blurred background is not flat: left as it is
        return
    assert box is not None
    cut = without_frame(framed)
    assert cut.width * cut.height < 0.97 * framed.width * framed.height


@pytest.mark.parametrize("seed", range(6))
def test_a_busy_photo_keeps_every_pixel(seed: int) -> None:
    photo = _photo(seed, (640 + 40 * seed, 480))
    assert content_box(photo) is None
    assert without_frame(photo) is photo


def test_a_thin_dark_edge_is_no_frame() -> None:
    photo = _photo(1)
    edged = photo.copy()
    edged.paste((0, 0, 0), (0, 0, 800, 10))  # 1.7 % of the height
    assert content_box(edged) is None


def test_a_solid_border_is_cut_to_the_photo_and_a_thin_one_left() -> None:
    photo = _photo(2)
    bordered = Image.new("RGB", (1000, 800), (255, 255, 255))
    bordered.paste(photo, (100, 100))
    box = content_box(bordered)
    assert box is not None
    assert box == pytest.approx((0.1, 0.125, 0.9, 0.875), abs=0.02)
    thin = Image.new("RGB", (820, 620), (255, 255, 255))
    thin.paste(photo, (10, 10))  # under MIN_TRIM on every side: the model matches it as it is
    assert content_box(thin) is None


def test_a_phone_screenshot_keeps_the_photo_not_the_toolbar() -> None:
    photo = _photo(3)
    screenshot = families.make(families.BY_NAME["screenshot"], photo, random.Random(11)).image
    box = content_box(screenshot)
    assert box is not None
    cut = without_frame(screenshot)
    shown_ratio = photo.width / photo.height
    assert cut.width / cut.height == pytest.approx(shown_ratio, rel=0.1)


def test_a_flat_image_has_no_content_to_cut_to() -> None:
    assert content_box(Image.new("RGB", (300, 200), (40, 40, 40))) is None


def _with_band(photo: Image.Image, band: np.ndarray) -> Image.Image:
    """The photo with its top rows replaced by `band` (rows x width x 3, uint8)."""
    pixels = np.asarray(photo).copy()
    pixels[: len(band)] = band
    return Image.fromarray(pixels)


def test_a_smooth_gradient_edge_is_content_and_a_solid_pad_still_frame() -> None:
    """Fog or a sky fading across the top is flat line by line but drifts as a block: cutting it would cut the photo
    and not its crops (the plasma wallpapers on benchmarks/tiers_bench.py). A solid pad of that depth is cut."""
    photo = _photo(4)
    rows = 200  # a third of the height
    fade = np.linspace(200, 150, rows)[:, None, None] * np.ones((1, photo.width, 3))
    faded = _with_band(photo, fade.astype(np.uint8))
    assert content_box(faded) is None
    padded = _with_band(photo, np.full((rows, photo.width, 3), 200, dtype=np.uint8))
    box = content_box(padded)
    assert box is not None
    assert box[1] == pytest.approx(rows / photo.height, abs=0.02)


def test_a_grainy_flat_edge_is_content() -> None:
    """A dark floor or a carpet is within FLAT_TOLERANCE of its colour but grainy, which no added frame is."""
    photo = _photo(5)
    rng = np.random.default_rng(5)
    coarse = np.clip(rng.normal(40, 6, (50, photo.width // 4, 3)), 0, 255).astype(np.uint8)
    grain = Image.fromarray(coarse).resize((photo.width, 200), Image.Resampling.NEAREST)  # grains of 4 px
    assert content_box(_with_band(photo, np.asarray(grain))) is None
