"""Thumbnail encodings for the Review: bytes stored and time to show, JPEG (what a scan stores) against WebP and AVIF.

Each photo under ../shared/bench/photos is decoded as a scan does and reduced to the stored thumbnail (about 256 px,
core/scan/decode.py) and to a Review-sized one (144 px: the 72 px cell at 2x). Each is encoded, then decoded and
scaled to the Review's 72 px the way the thumbnail reader does (Qt's QImage for JPEG and WebP; Pillow for AVIF,
which Qt here cannot read).

    .venv/bin/python benchmarks/thumb_format_bench.py [--photos DIR] [--limit 200]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage

from core.scan.decode import THUMB_QUALITY, decode_user_file, make_thumbnail

REVIEW = QSize(72, 72)
ENCODINGS: dict[str, dict[str, Any]] = {
    "JPEG q82": {"format": "JPEG", "quality": THUMB_QUALITY},
    "WebP q80": {"format": "WEBP", "quality": 80, "method": 4},
    "AVIF q60": {"format": "AVIF", "quality": 60, "speed": 8},
}


def qt_show(data: bytes) -> None:
    QImage.fromData(data).scaled(REVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def pillow_show(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    QImage(rgb.tobytes(), rgb.width, rgb.height, rgb.width * 3, QImage.Format.Format_RGB888).scaled(
        REVIEW, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=Path(__file__).resolve().parents[2] / "shared/bench/photos")
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    files = sorted(p for p in args.photos.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})[: args.limit]
    figures: dict[tuple[str, int], list[tuple[int, float, float]]] = {}
    for path in files:
        image, _meta = decode_user_file(path)
        stored = make_thumbnail(image.convert("RGB"))
        for side, thumb in ((max(stored.size), stored), (144, stored.copy())):
            thumb.thumbnail((side, side), Image.Resampling.LANCZOS)
            for name, options in ENCODINGS.items():
                buffer = io.BytesIO()
                encode_ms = timed(partial(thumb.save, buffer, **options))
                data = buffer.getvalue()
                show = pillow_show if options["format"] == "AVIF" else qt_show
                show_ms = min(timed(partial(show, data)) for _ in range(3))
                figures.setdefault((name, 256 if side > 144 else 144), []).append((len(data), encode_ms, show_ms))
    print(f"{len(files)} photos from {args.photos}")
    print(f"{'encoding':10} {'side':>5} {'median bytes':>13} {'encode ms':>10} {'decode+scale ms':>16}")
    for (name, side), rows in sorted(figures.items(), key=lambda item: (-item[0][1], item[0][0])):
        size, encode, show = (statistics.median(column) for column in zip(*rows, strict=True))
        print(f"{name:10} {side:5} {size:13,.0f} {encode:10.2f} {show:16.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
