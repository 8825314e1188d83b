"""A big library for the Review, built in seconds instead of a scan's minutes: tiny real JPEG files on disk and their
catalog rows written through core/store, as a scan would leave them.

Each of `files / 5` scenes has five files: three byte-identical copies (an exact group of 3) and two re-encoded
variants whose perceptual hashes lie 1-16 bits from the scene's (a perceptual group whose size depends on the
threshold, so moving the slider regroups). 100,000 files make 20,000 exact groups and up to 20,000 perceptual
ones. The files are real, with their true size, mtime and content hash, so they can be trashed and restored.

    .venv/bin/python benchmarks/review_library.py --out DIR [--files 100000]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from core.entities import DecodedFile, ScanSummary
from core.hashing import content_hash
from core.library import Library
from core.scan.perceptual import MAX_STORED_DISTANCE, SOURCE
from core.scan.phash import similarity

FILES_PER_SCENE = 5
COPIES = 3  # byte-identical files per scene; the rest are re-encoded variants
PHOTO_SIZE = (48, 36)


def scene_photo(scene: int, variant: int) -> bytes:
    """A tiny JPEG, distinct per scene; variants of a scene differ by a pixel and their JPEG quality."""
    rng = random.Random(scene)
    image = Image.new("RGB", PHOTO_SIZE, tuple(rng.randrange(256) for _ in range(3)))
    image.paste(tuple(rng.randrange(256) for _ in range(3)), (rng.randrange(24), rng.randrange(18), 40, 30))
    if variant:
        image.putpixel((0, 0), (variant * 40, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80 - variant)
    return buffer.getvalue()


def flip_bits(value: int, count: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), count):
        value ^= 1 << bit
    return value


def signed64(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def scene_files(photos: Path, scene: int, scan_id: int) -> Iterator[tuple[DecodedFile, int]]:
    """The scene's files, written to disk, each with its 64-bit pHash (unsigned)."""
    rng = random.Random(scene * 7919)
    base = rng.getrandbits(64)
    folder = photos / f"{scene // 500:03d}"
    folder.mkdir(parents=True, exist_ok=True)
    original = scene_photo(scene, 0)
    for index in range(FILES_PER_SCENE):
        variant = max(0, index - COPIES + 1)
        data = original if variant == 0 else scene_photo(scene, variant)
        phash = base if variant == 0 else flip_bits(base, rng.randrange(1, MAX_STORED_DISTANCE + 1), rng)
        path = folder / f"IMG_{scene:05d}_{index}.jpg"
        path.write_bytes(data)
        stat = path.stat()
        yield (
            DecodedFile(
                path=str(path), size=stat.st_size, mtime_ns=stat.st_mtime_ns, content_hash=content_hash(data),
                width=PHOTO_SIZE[0], height=PHOTO_SIZE[1], format="JPEG", captured_at=None, camera=None,
                orientation=1, phash=signed64(phash), thumb_jpeg=data, thumb_width=PHOTO_SIZE[0],
                thumb_height=PHOTO_SIZE[1],
            ),
            phash,
        )  # fmt: skip


def scene_pairs(ids: list[int], phashes: list[int]) -> list[tuple[int, int, float]]:
    """The pHash neighbour pairs a scan would store between the scene's files (within MAX_STORED_DISTANCE)."""
    pairs = []
    for i, (a, hash_a) in enumerate(zip(ids, phashes, strict=True)):
        for b, hash_b in zip(ids[i + 1 :], phashes[i + 1 :], strict=True):
            distance = (hash_a ^ hash_b).bit_count()
            if distance <= MAX_STORED_DISTANCE:
                pairs.append((a, b, similarity(distance)))
    return pairs


def build(out: Path, files: int = 100_000) -> Path:
    """Photos under out/photos and the library in out/library (returned)."""
    photos, library_dir = out / "photos", out / "library"
    library = Library(library_dir)
    catalog = library.catalog
    library.set_scan_folders([str(photos)])
    scan_id = catalog.scans.start([str(photos)])
    started = time.perf_counter()
    with catalog.transaction():
        for scene in range(files // FILES_PER_SCENE):
            ids, phashes = [], []
            for item, phash in scene_files(photos, scene, scan_id):
                ids.append(catalog.files.store_decoded(item, scan_id, None))
                phashes.append(phash)
            catalog.neighbours.add(SOURCE, scene_pairs(ids, phashes))
            catalog.files.store_phash_partners((None, file_id) for file_id in ids)  # pairs: in neighbours
        count = catalog.files.count_present()
        catalog.scans.finish(ScanSummary(scan_id, count, count, 0, 0, 0, 0, 0, 0, time.perf_counter() - started, False))
    library.close()
    return library_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="an empty folder for the photos and the library")
    parser.add_argument("--files", type=int, default=100_000)
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty")
    started = time.perf_counter()
    library_dir = build(args.out.resolve(), args.files)
    print(f"{args.files:,} files in {time.perf_counter() - started:.1f} s: library {library_dir}")
    os.sync()
    return 0


if __name__ == "__main__":
    sys.exit(main())
