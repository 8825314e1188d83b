"""Synthetic copies and other shots of a photo, in broad families after the DISC21/AugLy taxonomy.

Calibration (core/models/calibrate.py) makes its positives from these families, and benchmarks/tiers_bench.py
builds its yardstick from the same families on other photos with other seeds. Each family draws its parameters
from wide ranges (`Family.ranges` says which) and says whether the tool that makes such a copy keeps the photo's
EXIF (an editor's export, a recompression, a format conversion) or drops it (chat apps, screenshots, story and
meme apps, PNG converters), so the shutter-time rule (core/tiers/graph.py) is tried on copies as they come.

Shots that are not copies: `burst` (a small camera move, a subject that moves, exposure changes) and
`other_angle` (the same scene from a few steps aside); both get shutter times of their own.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Edit = Callable[[Image.Image, random.Random], Image.Image]
Encoding = tuple[str, int]  # (Pillow format, quality)

_WORDS = ("Holiday", "2024", "lol", "Best day ever", "© my trip", "Mum's birthday", "#sunset", "look at this!")
_COLOURS = ((255, 255, 255), (0, 0, 0), (255, 220, 0), (230, 30, 60), (40, 120, 255))


@dataclass(frozen=True)
class Family:
    name: str
    kind: str  # overlay, framing, geometry, pixel, combination
    ranges: str
    keeps_exif: bool
    edit: Edit
    encoding: Callable[[random.Random], Encoding]


@dataclass(frozen=True)
class Made:
    """One synthetic file: its pixels, how it is saved, and whether it carries the photo's EXIF."""

    image: Image.Image
    encoding: Encoding
    keeps_exif: bool


def _jpeg(low: int, high: int) -> Callable[[random.Random], Encoding]:
    return lambda rng: ("JPEG", rng.randint(low, high))


def _fixed(fmt: str, low: int = 90, high: int = 90) -> Callable[[random.Random], Encoding]:
    return lambda rng: (fmt, rng.randint(low, high))


def _font(image: Image.Image, rng: random.Random, low: float, high: float) -> int:
    return max(8, int(image.height * rng.uniform(low, high)))


# --- overlays ----------------------------------------------------------------------------------------------


def _text(image: Image.Image, rng: random.Random) -> Image.Image:
    marked = image.copy()
    draw = ImageDraw.Draw(marked)
    for _ in range(rng.randint(1, 3)):
        size = _font(image, rng, 0.04, 0.12)
        at = (rng.randint(0, max(1, image.width * 2 // 3)), rng.randint(0, max(1, image.height - size)))
        draw.text(at, rng.choice(_WORDS), fill=rng.choice(_COLOURS), font_size=size)
    return marked


def _stickers(image: Image.Image, rng: random.Random) -> Image.Image:
    marked = image.copy()
    draw = ImageDraw.Draw(marked)
    for _ in range(rng.randint(1, 4)):
        side = int(min(image.size) * rng.uniform(0.08, 0.25))
        x, y = rng.randint(0, image.width - side), rng.randint(0, image.height - side)
        draw.ellipse((x, y, x + side, y + side), fill=rng.choice(_COLOURS[2:]), outline=(0, 0, 0), width=2)
        eye = max(1, side // 10)
        for ex in (x + side // 3, x + 2 * side // 3):
            draw.ellipse((ex - eye, y + side // 3 - eye, ex + eye, y + side // 3 + eye), fill=(0, 0, 0))
        draw.arc((x + side // 4, y + side // 3, x + 3 * side // 4, y + 3 * side // 4), 20, 160, (0, 0, 0), 3)
    return marked


def _caption_bar(image: Image.Image, rng: random.Random) -> Image.Image:
    bar = int(image.height * rng.uniform(0.10, 0.25))
    colour = rng.choice(_COLOURS[:2])
    canvas = Image.new("RGB", (image.width, image.height + bar), colour)
    top = rng.random() < 0.5
    canvas.paste(image, (0, bar if top else 0))
    size = max(8, int(bar * 0.5))
    ink = (0, 0, 0) if colour == (255, 255, 255) else (255, 255, 255)
    y = (bar - size) // 2 if top else image.height + (bar - size) // 2
    ImageDraw.Draw(canvas).text((image.width // 20, y), rng.choice(_WORDS), fill=ink, font_size=size)
    return canvas


# --- framing -----------------------------------------------------------------------------------------------


def _screenshot(image: Image.Image, rng: random.Random) -> Image.Image:
    """The photo shown in a phone app or a desktop browser window, captured at the screen's resolution."""
    phone = rng.random() < 0.5
    size = (1080, rng.randint(2200, 2400)) if phone else (rng.randint(1440, 1920), rng.randint(900, 1200))
    background = rng.choice(((255, 255, 255), (18, 18, 18), (240, 242, 245)))
    canvas = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(canvas)
    chrome = int(size[1] * rng.uniform(0.03, 0.08))
    draw.rectangle((0, 0, size[0], chrome), fill=(rng.randint(0, 80),) * 3)  # status or title bar
    draw.rectangle((0, chrome, size[0], 2 * chrome), fill=(rng.randint(180, 240),) * 3)  # toolbar / address bar
    draw.text((chrome, chrome + chrome // 4), "photos.example/album", fill=(60, 60, 60), font_size=chrome // 2)
    draw.rectangle((0, size[1] - chrome, size[0], size[1]), fill=(rng.randint(200, 250),) * 3)  # bottom bar
    share = rng.uniform(0.45, 0.9)
    room = (int(size[0] * share), size[1] - 3 * chrome)
    shown = ImageOps.contain(image, room, Image.Resampling.BILINEAR)
    x = (size[0] - shown.width) // 2 if phone else rng.randint(0, size[0] - shown.width)
    canvas.paste(shown, (x, 2 * chrome + (room[1] - shown.height) // 2))
    return canvas


def _padding(image: Image.Image, rng: random.Random) -> Image.Image:
    ratio = rng.choice((1.0, 0.8, 0.5625))  # square, 4:5, 9:16 (width / height)
    share = rng.uniform(0.6, 0.95)
    height = int(max(image.height, image.width / ratio) / share)
    width = int(height * ratio)
    if rng.random() < 0.5:
        canvas = image.resize((width, height)).filter(ImageFilter.GaussianBlur(max(4, width // 30)))
    else:
        canvas = Image.new("RGB", (width, height), rng.choice(_COLOURS[:2]))
    shown = ImageOps.contain(image, (int(width * share), int(height * share)))
    canvas.paste(shown, ((width - shown.width) // 2, (height - shown.height) // 2))
    return canvas


def _border(image: Image.Image, rng: random.Random) -> Image.Image:
    side = int(min(image.size) * rng.uniform(0.02, 0.10))
    return ImageOps.expand(image, side, fill=rng.choice(_COLOURS))


# --- geometry ----------------------------------------------------------------------------------------------


def _crop(image: Image.Image, rng: random.Random) -> Image.Image:
    keep_w, keep_h = rng.uniform(0.5, 0.95), rng.uniform(0.5, 0.95)
    width, height = max(1, int(image.width * keep_w)), max(1, int(image.height * keep_h))
    x0, y0 = rng.randint(0, image.width - width), rng.randint(0, image.height - height)
    return image.crop((x0, y0, x0 + width, y0 + height))


def _rotate_small(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(2, 8) * rng.choice((-1, 1))
    if rng.random() < 0.5:
        return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=rng.choice(_COLOURS[:2]))
    turned = image.rotate(angle, Image.Resampling.BICUBIC)  # straightened in an editor: cropped to fill
    inset = np.sin(np.radians(abs(angle)))
    dx, dy = int(image.height * inset), int(image.width * inset)
    return turned.crop((dx, dy, max(dx + 1, image.width - dx), max(dy + 1, image.height - dy)))


def _perspective_coefficients(source: list[tuple[float, float]], target: list[tuple[float, float]]) -> list[float]:
    """Coefficients Pillow's PERSPECTIVE transform takes to map output `target` corners onto input `source`."""
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    solution = np.linalg.solve(np.asarray(rows, float), np.asarray(source, float).reshape(8))
    return [float(c) for c in solution]


def perspective(image: Image.Image, rng: random.Random, low: float, high: float) -> Image.Image:
    w, h = image.size
    corners = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)]
    jitter = [(rng.uniform(low, high) * w, rng.uniform(low, high) * h) for _ in corners]
    signs = ((1, 1), (-1, 1), (-1, -1), (1, -1))
    moved = [(x + sx * jx, y + sy * jy) for (x, y), (sx, sy), (jx, jy) in zip(corners, signs, jitter, strict=True)]
    coefficients = _perspective_coefficients(moved, corners)
    return image.transform(image.size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC)


def _perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    return perspective(image, rng, 0.02, 0.12)


def _mirror(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.mirror(image)


def _aspect(image: Image.Image, rng: random.Random) -> Image.Image:
    factor = rng.uniform(0.65, 1.5)
    if rng.random() < 0.5:
        return image.resize((max(1, int(image.width * factor)), image.height), Image.Resampling.BICUBIC)
    return image.resize((image.width, max(1, int(image.height * factor))), Image.Resampling.BICUBIC)


def _rotate_90(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.rotate(rng.choice((90, 180, 270)), expand=True)


# --- pixel -------------------------------------------------------------------------------------------------


def _grayscale(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.grayscale(image).convert("RGB")


def _colour(image: Image.Image, rng: random.Random) -> Image.Image:
    edited = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    edited = ImageEnhance.Contrast(edited).enhance(rng.uniform(0.6, 1.5))
    edited = ImageEnhance.Color(edited).enhance(rng.uniform(0.3, 1.7))
    tint = np.asarray([rng.uniform(0.85, 1.15) for _ in range(3)], np.float32)
    pixels = np.asarray(edited, np.float32) * tint
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _blur(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(max(image.size) * rng.uniform(0.001, 0.005)))


def _noise(image: Image.Image, rng: random.Random) -> Image.Image:
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(5, 25), (image.height, image.width, 3))
    return Image.fromarray(np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8))


def _chat(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.contain(image, (1280, 1280)) if max(image.size) > 1280 else image


def _tiny(image: Image.Image, rng: random.Random) -> Image.Image:
    return ImageOps.contain(image, (side := rng.randint(96, 256), side), Image.Resampling.BICUBIC)


def _resized(image: Image.Image, rng: random.Random) -> Image.Image:
    scale = rng.uniform(0.25, 0.8)
    size = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _same(image: Image.Image, rng: random.Random) -> Image.Image:
    return image


FAMILIES: tuple[Family, ...] = (
    Family("text", "overlay", "1-3 captions, 4-12 % of the height, anywhere", True, _text, _jpeg(80, 95)),
    Family("stickers", "overlay", "1-4 emoji stickers, 8-25 % of the short side", False, _stickers, _jpeg(70, 90)),
    Family("caption-bar", "overlay", "bar of 10-25 % of the height above or below", False, _caption_bar, _jpeg(75, 92)),
    Family(
        "screenshot",
        "framing",
        "phone app or browser chrome; photo 45-90 % of the width; PNG",
        False,
        _screenshot,
        _fixed("PNG"),
    ),
    Family(
        "padding", "framing", "to 1:1, 4:5 or 9:16; photo 60-95 %; solid or blurred", False, _padding, _jpeg(75, 90)
    ),
    Family("border", "framing", "2-10 % of the short side, solid colour", True, _border, _jpeg(85, 95)),
    Family("crop", "geometry", "keeps 50-95 % of each side (crops 5-50 %), any offset", True, _crop, _jpeg(85, 95)),
    Family(
        "rotate-small",
        "geometry",
        "2-8 degrees either way, expanded or cropped to fill",
        True,
        _rotate_small,
        _jpeg(85, 95),
    ),
    Family("perspective", "geometry", "corners moved 2-12 % of each side", True, _perspective, _jpeg(85, 95)),
    Family("mirror", "geometry", "horizontal flip", True, _mirror, _jpeg(85, 95)),
    Family("aspect", "geometry", "one side scaled 0.65-1.5x", True, _aspect, _jpeg(85, 95)),
    Family("rotate-90", "geometry", "pixels turned 90, 180 or 270 degrees", True, _rotate_90, _jpeg(85, 95)),
    Family("grayscale", "pixel", "luminance only", True, _grayscale, _jpeg(85, 95)),
    Family(
        "colour",
        "pixel",
        "brightness 0.7-1.3, contrast 0.6-1.5, saturation 0.3-1.7, tint 0.85-1.15 per channel",
        True,
        _colour,
        _jpeg(85, 95),
    ),
    Family("blur", "pixel", "Gaussian radius 0.1-0.5 % of the long side", True, _blur, _jpeg(85, 95)),
    Family("noise", "pixel", "Gaussian sigma 5-25 of 255", True, _noise, _jpeg(85, 95)),
    Family("jpeg-heavy", "pixel", "chat app: at most 1280 px, JPEG quality 8-30", False, _chat, _jpeg(8, 30)),
    Family("tiny", "pixel", "long side 96-256 px (a preview)", False, _tiny, _jpeg(70, 90)),
    Family("resized", "pixel", "exported at 25-80 %, JPEG quality 75-95", True, _resized, _jpeg(75, 95)),
    Family("webp", "pixel", "WebP quality 40-90", True, _same, _fixed("WEBP", 40, 90)),
    Family("heic", "pixel", "HEIC quality 40-90", True, _same, _fixed("HEIF", 40, 90)),
    Family("png", "pixel", "PNG (converters drop EXIF)", False, _same, _fixed("PNG")),
)
BY_NAME = {family.name: family for family in FAMILIES}
COMBINABLE = tuple(f for f in FAMILIES if f.name not in ("webp", "heic", "png"))


def make(family: Family, image: Image.Image, rng: random.Random) -> Made:
    return Made(family.edit(image.convert("RGB"), rng), family.encoding(rng), family.keeps_exif)


def combination(rng: random.Random) -> Family:
    """Two families of different kinds, applied in turn; EXIF survives only if both keep it."""
    first = rng.choice(COMBINABLE)
    second = rng.choice([f for f in COMBINABLE if f.kind != first.kind])

    def edit(image: Image.Image, inner: random.Random) -> Image.Image:
        return second.edit(first.edit(image, inner), inner)

    return Family(
        f"{first.name}+{second.name}",
        "combination",
        "two families of different kinds, each in its own ranges",
        first.keeps_exif and second.keeps_exif,
        edit,
        second.encoding,
    )


# --- shots that are not copies -----------------------------------------------------------------------------


def burst(image: Image.Image, rng: random.Random, frames: int) -> list[Image.Image]:
    """Frames of one burst: the camera drifts 1-4 % between frames inside a 88-94 % window, exposure varies
    0.85-1.15, and in half the bursts a subject (15-30 % of each side) moves 2-6 % per frame."""
    keep = rng.uniform(0.88, 0.94)
    width, height = int(image.width * keep), int(image.height * keep)
    x, y = rng.uniform(0, image.width - width), rng.uniform(0, image.height - height)
    subject = _subject(image, rng) if rng.random() < 0.5 else None
    shots = []
    for frame in range(frames):
        x = min(max(0.0, x + rng.uniform(-0.04, 0.04) * image.width), image.width - width)
        y = min(max(0.0, y + rng.uniform(-0.04, 0.04) * image.height), image.height - height)
        scene = _moved(image, subject, frame, rng) if subject else image
        shot = scene.crop((int(x), int(y), int(x) + width, int(y) + height))
        shots.append(ImageEnhance.Brightness(shot).enhance(rng.uniform(0.85, 1.15)))
    return shots


def _subject(image: Image.Image, rng: random.Random) -> tuple[int, int, int, int]:
    w, h = int(image.width * rng.uniform(0.15, 0.3)), int(image.height * rng.uniform(0.15, 0.3))
    x, y = rng.randint(0, image.width - w), rng.randint(0, image.height - h)
    return x, y, x + w, y + h


def _moved(image: Image.Image, box: tuple[int, int, int, int], frame: int, rng: random.Random) -> Image.Image:
    step = int(image.width * rng.uniform(0.02, 0.06)) * frame
    scene = image.copy()
    patch = image.crop(box)
    scene.paste(patch, (min(image.width - patch.width, box[0] + step), box[1]))
    return scene


def other_angle(image: Image.Image, rng: random.Random) -> Image.Image:
    """The scene from a few steps aside: perspective 8-18 %, a 70-85 % window elsewhere, exposure 0.8-1.2."""
    turned = perspective(image, rng, 0.08, 0.18)
    window = ImageOps.crop(turned, int(min(image.size) * 0.05))
    cropped = _crop_window(window, rng, 0.70, 0.85)
    return ImageEnhance.Brightness(cropped).enhance(rng.uniform(0.8, 1.2))


def _crop_window(image: Image.Image, rng: random.Random, low: float, high: float) -> Image.Image:
    keep = rng.uniform(low, high)
    width, height = int(image.width * keep), int(image.height * keep)
    x0, y0 = rng.randint(0, image.width - width), rng.randint(0, image.height - height)
    return image.crop((x0, y0, x0 + width, y0 + height))


# --- files -------------------------------------------------------------------------------------------------


def shutter_exif(moment: datetime, subseconds: bool) -> Image.Exif:
    """EXIF carrying a shutter time (DateTimeOriginal, with SubSecTimeOriginal when `subseconds`)."""
    exif = Image.Exif()
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = moment.strftime("%Y:%m:%d %H:%M:%S")
    if subseconds:
        sub[0x9291] = f"{moment.microsecond // 10000:02d}"
    return exif


def burst_times(start: datetime, frames: int, rng: random.Random) -> list[datetime]:
    """Frames 0.1-0.5 s apart: some share a second and differ only in their sub-seconds."""
    times, moment = [], start
    for _ in range(frames):
        times.append(moment)
        moment += timedelta(seconds=rng.uniform(0.1, 0.5))
    return times


def encode(image: Image.Image, encoding: Encoding, exif: Image.Exif | None = None) -> bytes:
    fmt, quality = encoding
    if fmt == "HEIF":
        _heif_writer()
    buffer = io.BytesIO()
    args: dict[str, object] = {"quality": quality} if fmt != "PNG" else {"compress_level": 1}
    if exif is not None:
        args["exif"] = exif
    image.convert("RGB").save(buffer, fmt, **args)
    return buffer.getvalue()


def suffix(encoding: Encoding) -> str:
    return {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "HEIF": ".heic"}[encoding[0]]


def _heif_writer() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
