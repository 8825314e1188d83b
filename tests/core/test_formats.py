"""Images recognised by content in every format Twinlens promises: HEIC, RAW previews, WebP, TIFF, BMP, GIF,
and names that lie about what a file is."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from PIL import Image

from core.scan.decode import DecodeOutcome, ReadFailure, read_and_decode
from tests.images import photo


def _decode(path: Path) -> DecodeOutcome:
    outcome = read_and_decode(str(path), path.stat().st_size, path.stat().st_mtime_ns)
    assert isinstance(outcome, DecodeOutcome), outcome
    return outcome


def test_heic_is_decoded_through_pillow_heif(tmp_path: Path) -> None:
    path = tmp_path / "IMG_0001.HEIC"
    photo(1, (640, 480)).save(path, "HEIF")
    decoded = _decode(path).decoded
    assert decoded.format in ("HEIF", "HEIC")
    assert (decoded.width, decoded.height) == (640, 480)


def _fake_raw(preview: bytes) -> bytes:
    """A TIFF-structured file (as NEF, CR2, ARW and DNG are) with an embedded full-size JPEG preview."""
    header = b"II*\x00" + struct.pack("<I", 8) + b"\x00" * 120
    small_thumb = io.BytesIO()
    photo(2, (160, 120)).save(small_thumb, "JPEG")
    return header + small_thumb.getvalue() + b"\x00" * 64 + preview + b"\x00" * 32


def test_raw_file_uses_its_largest_embedded_preview(tmp_path: Path) -> None:
    preview = io.BytesIO()
    photo(3, (1200, 800)).save(preview, "JPEG", quality=90)
    path = tmp_path / "DSC_0001.NEF"
    path.write_bytes(_fake_raw(preview.getvalue()))
    decoded = _decode(path).decoded
    assert decoded.format == "RAW"
    assert (decoded.width, decoded.height) == (1200, 800)


def test_raw_without_preview_is_a_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "broken.CR2"
    path.write_bytes(b"II*\x00" + b"\x00" * 400)
    outcome = read_and_decode(str(path), 404, 0)
    assert isinstance(outcome, ReadFailure)
    assert outcome.problem.code == "unsupported" and "preview" in outcome.problem.reason


def test_formats_recognised_by_content_not_name(tmp_path: Path) -> None:
    image = photo(4, (320, 240))
    for fmt, name in (("WEBP", "a.jpg"), ("TIFF", "b.png"), ("BMP", "c"), ("GIF", "d.dat"), ("PNG", "e.JPEG")):
        path = tmp_path / name
        image.save(path, fmt)
        assert _decode(path).decoded.format == fmt, name


def test_exif_orientation_is_applied_to_size_and_pixels(tmp_path: Path) -> None:
    image = Image.new("RGB", (400, 200), (255, 0, 0))
    image.paste((0, 0, 255), (0, 0, 200, 200))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: displays turned 90° clockwise
    path = tmp_path / "rotated.jpg"
    image.save(path, "JPEG", exif=exif)
    outcome = _decode(path)
    assert (outcome.decoded.width, outcome.decoded.height) == (200, 400)
    thumb = Image.open(io.BytesIO(outcome.decoded.thumb_jpeg))
    assert thumb.height > thumb.width
    top = thumb.getpixel((thumb.width // 2, 5))
    assert isinstance(top, tuple) and top[2] > 200 and top[0] < 60  # the blue half is on top once upright
