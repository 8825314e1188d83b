"""Build camera-like test libraries from the real photos in ../shared/bench (cached under .bench/)."""

from __future__ import annotations

import functools
import random
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT.parent / "shared" / "bench"
CACHE = ROOT / ".bench"
CAMERA_SIZE = (4000, 3000)  # 12 MP
NOISE = 12


def source_photos(min_side: int = 300) -> list[Path]:
    photos = []
    for path in sorted((BENCH / "photos").rglob("*")):
        if path.suffix.lower() in (".jpg", ".jpeg", ".png") and path.is_file():
            with Image.open(path) as image:
                if min(image.size) >= min_side:
                    photos.append(path)
    return photos


def _camera_exif(index: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Twinlens Bench"
    exif[0x0110] = "Camera 12MP"
    exif[0x0112] = 1
    exif.get_ifd(0x8769)[0x9003] = f"2024:05:{1 + index % 28:02d} 12:{index % 60:02d}:00"
    return exif


@functools.cache
def _sensor_noise() -> np.ndarray:
    """Fixed-pattern grain, shifted per frame: upscaled photos alone compress far better than camera files
    (1.4 MB against 3-5 MB), which would make decoding look cheaper than it is on real photos."""
    rng = np.random.default_rng(12)
    return rng.integers(-NOISE, NOISE + 1, size=(CAMERA_SIZE[1], CAMERA_SIZE[0], 3), dtype=np.int16)


def camera_jpeg(source: Path, index: int, seed: int) -> Image.Image:
    """A distinct 12 MP frame: a random crop of a real photo, upscaled, with sensor-like grain."""
    rng = random.Random(seed)
    with Image.open(source) as image:
        image = image.convert("RGB")
        width, height = image.size
        crop_w, crop_h = int(width * rng.uniform(0.6, 0.95)), int(height * rng.uniform(0.6, 0.95))
        left, top = rng.randrange(width - crop_w + 1), rng.randrange(height - crop_h + 1)
        frame = image.crop((left, top, left + crop_w, top + crop_h)).resize(CAMERA_SIZE, Image.Resampling.BILINEAR)
    grain = np.roll(_sensor_noise(), (rng.randrange(CAMERA_SIZE[1]), rng.randrange(CAMERA_SIZE[0])), axis=(0, 1))
    return Image.fromarray(np.clip(np.asarray(frame, dtype=np.int16) + grain, 0, 255).astype(np.uint8))


def build_camera_library(count: int, exact_copies: int = 0) -> Path:
    """count distinct 12 MP JPEGs (q90, baseline, with EXIF), plus byte copies of the first exact_copies."""
    folder = CACHE / f"camera-grain-{count}-{exact_copies}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    sources = source_photos()
    for index in range(count):
        target = folder / f"DCIM/{index // 100:03d}CAMERA/IMG_{index:05d}.JPG"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame = camera_jpeg(sources[index % len(sources)], index, seed=index)
        frame.save(target, "JPEG", quality=90, exif=_camera_exif(index))
    originals = sorted(folder.rglob("*.JPG"))[:exact_copies]
    for index, original in enumerate(originals):
        copy = folder / f"Backup/{index:05d}_{original.name}"
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, copy)
    marker.touch()
    return folder


def build_small_library(count: int) -> Path:
    """count distinct small JPEGs, for measuring rescans of a large library (a rescan reads no pixels)."""
    folder = CACHE / f"small-{count}"
    marker = folder / ".complete"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    sources = [Image.open(p).convert("RGB").resize((160, 120)) for p in source_photos()[:40]]
    for index in range(count):
        rng = random.Random(index)
        base = sources[index % len(sources)]
        left, top = rng.randrange(40), rng.randrange(30)
        image = base.crop((left, top, left + 120, top + 90))
        target = folder / f"{index // 500:03d}/photo_{index:05d}.jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        image.save(target, "JPEG", quality=85)
    marker.touch()
    return folder
