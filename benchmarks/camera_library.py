"""Build camera-like test libraries from the real photos in ../shared/bench (cached under .bench/)."""

from __future__ import annotations

import csv
import functools
import json
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

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


SHUTTER_START = datetime(2015, 3, 31, 8, 0, 0)
BURST_GAP = timedelta(minutes=7)


def shutter_time(index: int, burst: int = 1) -> datetime:
    """A distinct shutter time per photo: bursts of `burst` consecutive photos 1 s apart, bursts 7 min apart,
    sub-seconds that differ from photo to photo (real cameras write SubSecTimeOriginal)."""
    start = SHUTTER_START + (index // burst) * BURST_GAP
    return start + timedelta(seconds=index % burst, milliseconds=10 * (index * 37 % 100))


def camera_exif(when: datetime, make: str = "Twinlens Bench", model: str = "Camera 12MP") -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = model
    exif[0x0112] = 1
    exif[0x0132] = when.strftime("%Y:%m:%d %H:%M:%S")  # IFD0 DateTime: editors rewrite it, the reader ignores it
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = when.strftime("%Y:%m:%d %H:%M:%S")
    sub[0x9291] = f"{when.microsecond // 10_000:02d}"
    return exif


def _camera_exif(index: int) -> Image.Exif:
    return camera_exif(shutter_time(index))


@functools.cache
def _sensor_noise(size: tuple[int, int] = CAMERA_SIZE) -> np.ndarray:
    """Fixed-pattern grain, shifted per frame: upscaled photos alone compress far better than camera files
    (1.4 MB against 3-5 MB), which would make decoding look cheaper than it is on real photos."""
    rng = np.random.default_rng(12)
    return rng.integers(-NOISE, NOISE + 1, size=(size[1], size[0], 3), dtype=np.int16)


def camera_jpeg(source: Path, index: int, seed: int) -> Image.Image:
    """A distinct 12 MP frame: a random crop of a real photo, upscaled, with sensor-like grain."""
    rng = random.Random(seed)
    with Image.open(source) as image:
        image = image.convert("RGB")
        width, height = image.size
        crop_w, crop_h = int(width * rng.uniform(0.6, 0.95)), int(height * rng.uniform(0.6, 0.95))
        left, top = rng.randrange(width - crop_w + 1), rng.randrange(height - crop_h + 1)
        return with_grain(image.crop((left, top, left + crop_w, top + crop_h)), CAMERA_SIZE, rng)


def with_grain(region: Image.Image, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A region of a real photo upscaled to a camera frame, with sensor-like grain."""
    frame = region.resize(size, Image.Resampling.BILINEAR)
    grain = np.roll(_sensor_noise(size), (rng.randrange(size[1]), rng.randrange(size[0])), axis=(0, 1))
    return Image.fromarray(np.clip(np.asarray(frame, dtype=np.int16) + grain, 0, 255).astype(np.uint8))


def build_camera_library(count: int, exact_copies: int = 0) -> Path:
    """count distinct 12 MP JPEGs (q90, baseline, with EXIF), plus byte copies of the first exact_copies."""
    folder = CACHE / f"camera-shutter-{count}-{exact_copies}"  # renamed when shutter times became unique
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


# --- a photographer's library: camera originals and what becomes of them ------------------------------------

KEEP_FRAME = (3000, 2000)  # 6 MP: camera-like files at a size that two shared cores build and scan in minutes


@dataclass(frozen=True)
class Camera:
    make: str
    model: str
    pattern: str  # the original's path, formatted with the shutter time `t` and the frame number `n`


CAMERAS = (
    Camera("NIKON CORPORATION", "NIKON D7500", "DCIM/100NIKON/DSC_{n:04d}.JPG"),
    Camera("Canon", "Canon EOS 80D", "DCIM/101CANON/IMG_{n:04d}.JPG"),
    Camera("Google", "Pixel 7", "Camera/{t:%Y}/{t:%Y-%m-%d}/PXL_{t:%Y%m%d_%H%M%S}{ms:03d}.jpg"),
    Camera("samsung", "SM-G991B", "Pictures/{t:%Y}/{t:%Y-%m}/{t:%Y%m%d_%H%M%S}.jpg"),
)
# Share of originals that get each kind of copy (drawn independently per original, seeded).
COPY_KINDS = {
    "identical": 0.35,  # the same bytes in a backup, a Takeout export or a "to sort" folder
    "export": 0.45,  # resized to 2048 px, EXIF kept
    "png": 0.25,  # full-size PNG conversion without EXIF
    "upscaled": 0.2,  # 1.5x, without EXIF
    "captioned": 0.2,  # a caption drawn in, EXIF kept, full size
    "chat": 0.35,  # WhatsApp/Telegram-like: 1600 px, recompressed, no EXIF
}


def scene_regions(min_side: int = 200) -> list[tuple[Path, tuple[int, int, int, int]]]:
    """Non-overlapping regions (up to 3x3) of one photo per ground-truth group of ../shared/bench: distinct
    scenes, so no two originals are copies of each other."""
    with open(BENCH / "groundtruth.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    regions: list[tuple[Path, tuple[int, int, int, int]]] = []
    seen: set[str] = set()
    for row in rows:
        path = BENCH / row["path"]
        if row["group"] in seen or row["kind"].strip() not in ("photo", "same-scene", "stereo-pair"):
            continue
        with Image.open(path) as image:
            width, height = image.size
        cols, rows_ = min(3, width // min_side), min(3, height // min_side)
        if cols and rows_:
            seen.add(row["group"])
            w, h = width // cols, height // rows_
            regions += [(path, (c * w, r * h, (c + 1) * w, (r + 1) * h)) for r in range(rows_) for c in range(cols)]
    return regions


def build_keep_library(count: int, seed: int = 7) -> Path:
    """count camera originals with the copies a real library holds (COPY_KINDS), in realistic folders, and
    manifest.json: for each original its path, its byte copies and its edited copies (path, kind)."""
    folder = CACHE / f"keep-{count}-{seed}"
    if (folder / "manifest.json").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    regions = scene_regions()
    if count > len(regions):
        raise ValueError(f"../shared/bench has {len(regions)} distinct scenes; ask for at most that many")
    rng = random.Random(seed)
    manifest = [_keep_photo(folder, index, regions[index], rng) for index in range(count)]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return folder


def _keep_photo(
    folder: Path, index: int, region: tuple[Path, tuple[int, int, int, int]], rng: random.Random
) -> dict[str, object]:
    camera = CAMERAS[index % len(CAMERAS)]
    when = shutter_time(index, burst=3)
    relative = camera.pattern.format(t=when, n=100 + index, ms=when.microsecond // 1000)
    original = folder / relative
    exif = camera_exif(when, camera.make, camera.model)
    with Image.open(region[0]) as image:
        frame = with_grain(image.convert("RGB").crop(region[1]), KEEP_FRAME, rng)
    _write(frame, original, quality=92, exif=exif)
    shot = _Shot(folder, original, frame, exif, when, index)
    entry: dict[str, object] = {"original": relative, "identical": [], "edited": []}
    for kind, share in COPY_KINDS.items():
        if rng.random() < share:
            copy = _make_copy(kind, shot, rng)
            copies = entry["identical" if kind == "identical" else "edited"]
            assert isinstance(copies, list)
            copies.append({"path": str(copy.relative_to(folder)), "kind": kind})
    return entry


@dataclass(frozen=True)
class _Shot:
    folder: Path
    original: Path
    frame: Image.Image
    exif: Image.Exif
    when: datetime
    index: int


def _make_copy(kind: str, shot: _Shot, rng: random.Random) -> Path:
    folder, original, frame, exif, when = shot.folder, shot.original, shot.frame, shot.exif, shot.when
    stem, name = original.stem, original.name
    if kind == "identical":
        takeout = f"Takeout/Google Photos/Photos from {when:%Y}/{name}"
        target = folder / rng.choice([f"Backup/Camera {when:%Y}/{name}", takeout, f"to sort/{name}"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, target)
        return target
    if kind == "export":
        target = folder / rng.choice([f"Export/{stem}_2048.jpg", f"Exports/Lightroom/{stem}-2.jpg"])
        _write(_fit(frame, 2048), target, quality=88, exif=exif)
    elif kind == "png":
        target = rng.choice([original.with_suffix(".png"), folder / f"Converted/{stem}.png"])
        _write(frame, target, compress_level=1)
    elif kind == "upscaled":
        target = rng.choice([original.with_name(f"{stem}-upscaled.jpg"), folder / f"Upscaled/{stem}_x1.5.jpg"])
        size = (frame.width * 3 // 2, frame.height * 3 // 2)
        _write(frame.resize(size, Image.Resampling.BICUBIC), target, quality=90)
    elif kind == "captioned":
        target = rng.choice([original.with_name(f"{stem} captioned.jpg"), folder / f"Edited/{stem}.jpg"])
        captioned = frame.copy()
        ImageDraw.Draw(captioned).text((120, frame.height - 260), "Holiday 2015", fill="white", font_size=160)
        _write(captioned, target, quality=92, exif=exif)
    else:
        number = 1000 + shot.index  # chat apps number what they receive
        target = folder / rng.choice(
            [f"WhatsApp Images/IMG-{when:%Y%m%d}-WA{number:04d}.jpg", f"Telegram Desktop/photo_{number}.jpg"]
        )
        _write(_fit(frame, 1600), target, quality=72)
    return target


def _fit(frame: Image.Image, long_side: int) -> Image.Image:
    scale = long_side / max(frame.size)
    return frame.resize((round(frame.width * scale), round(frame.height * scale)), Image.Resampling.LANCZOS)


def _write(image: Image.Image, target: Path, **args: object) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, **args)
