"""Read a file once and derive everything downstream needs from that one read and one decode.

Runs in scanner worker processes, so it must stay importable without the catalog, Qt or torch.
"""

from __future__ import annotations

import errno
import io
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
from PIL import Image, ImageFile

from core.entities import DecodedFile, PhotoMetadata, Problem
from core.hashing import content_hash
from core.scan.metadata import META_VERSION, read_metadata
from core.scan.phash import phash
from core.scan.sniff import HEADER_BYTES, RAW_EXTENSIONS, sniff_format

try:
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_SUPPORTED = True
except ImportError:  # HEIC support is optional; such files are then reported as unsupported
    HEIF_SUPPORTED = False

# Above this many pixels a file is refused as a possible decompression bomb (largest cameras: ~200 MP).
MAX_PIXELS = 250_000_000
# Above this many bytes a file is refused before it is read: the largest camera RAW files are ~200-300 MB and an
# uncompressed 8-bit TIFF at MAX_PIXELS is 750 MB, while a file is held in memory whole to be hashed and decoded.
MAX_FILE_BYTES = 1 << 30
# An image longer than this on one side than on the other is refused: no camera or stitched panorama comes near
# it, and the models' "resize the short side" preprocessing would turn a 1x6000 strip into a 301-megapixel
# tensor. Refused rather than padded or cropped to a working image: such a strip is no photo to deduplicate, and
# a refused file is never put in a group, so it is never suggested for the trash.
MAX_ASPECT_RATIO = 50
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

# The decoded working image keeps at least this short side: enough for thumbnails and every model input.
WORK_SHORT_SIDE = 320
THUMB_SIZE = 256
THUMB_QUALITY = 82
# Below this size a perceptual hash says nothing (a 1×1 image hashes like every flat image): none is stored.
MIN_PHASH_SIDE = 16

_ROTATED_ORIENTATIONS = (5, 6, 7, 8)
_TRANSPOSE_FOR_ORIENTATION = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


class DecodeError(Exception):
    """transient: the file could not be read this time (an I/O error), which says nothing about its bytes."""

    def __init__(self, code: str, reason: str, transient: bool = False) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.transient = transient


@dataclass(frozen=True)
class HashedOnly:
    """A file whose bytes are already known to the catalog (a moved file): no decode needed."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str


@dataclass(frozen=True)
class ReadFailure:
    """transient: a read error, to be tried again on the next scan (the file may well be fine)."""

    problem: Problem
    size: int | None
    mtime_ns: int | None
    transient: bool = False


@dataclass(frozen=True)
class DecodeOutcome:
    decoded: DecodedFile
    work_image: Image.Image | None  # prepared, when read_and_decode was given a preparation


# What the scan's stages do first to each working image (e.g. the model's resize), done where it was decoded.
PrepareImage = Callable[[Image.Image], Image.Image]


Outcome = DecodeOutcome | HashedOnly | ReadFailure


def read_and_decode(
    path: str,
    size: int,
    mtime_ns: int,
    known_hashes: frozenset[str] = frozenset(),
    keep_image: bool = False,
    prepare: PrepareImage | None = None,
) -> Outcome:
    """Never raises for a bad file: every failure comes back as a ReadFailure with a reason. With keep_image, the
    outcome carries the working image, passed through `prepare` when given (thumbnail and hashes are made from the
    working image either way)."""
    try:
        data = read_user_file(path)
        digest = content_hash(data)
        if digest in known_hashes:
            return HashedOnly(path, len(data), mtime_ns, digest)
        image, info = decode_image(data, PurePath(path).suffix.lower())
        decoded = _derive(path, len(data), mtime_ns, digest, image, info)
        kept = (prepare(image) if prepare is not None else image) if keep_image else None
        return DecodeOutcome(decoded, kept)
    except DecodeError as error:
        return ReadFailure(Problem(path, error.code, error.reason), size, mtime_ns, error.transient)
    except Exception as error:  # a decoder bug must not stop the scan either
        return ReadFailure(Problem(path, "corrupt", f"could not decode: {error}"), size, mtime_ns)


def read_user_file(path: str | os.PathLike[str]) -> bytes:
    """The bytes of a file that should be an image: its first bytes are sniffed, and its size checked, before
    the rest is read, so a video or a huge file is refused with its reason without being read whole."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEADER_BYTES)
            if not head:
                raise DecodeError("empty", "zero-byte file")
            if sniff_format(head) is None:
                raise DecodeError("not-image", _describe_non_image(head))
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise DecodeError(
                    "too-large", f"refused: {size / 2**20:,.0f} MiB is more than a photo ({MAX_FILE_BYTES >> 20} MiB)"
                )
            handle.seek(0)
            data = handle.read()
    except FileNotFoundError as error:
        raise DecodeError("vanished", "the file disappeared during the scan") from error
    except PermissionError as error:
        raise DecodeError("unreadable", "permission denied", transient=True) from error
    except IsADirectoryError as error:
        raise DecodeError("unreadable", "is a directory") from error
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise DecodeError("symlink-loop", "symbolic link loop") from error
        # EIO, ETIMEDOUT, ESTALE...: a flaky disk, USB link or network share; the next scan tries again.
        raise DecodeError("unreadable", f"read error: {error.strerror or error}", transient=True) from error
    if not data:
        raise DecodeError("empty", "zero-byte file")
    return data


def decode_user_file(path: str | os.PathLike[str], full: bool = False) -> tuple[Image.Image, ImageMeta]:
    """Decode a user's file outside a scan (to display or compare it, to query with it): header sniffed and
    size checked before it is read, pixels and shape bounded before it is decoded, RGB and upright.

    full: at full resolution (to display it); otherwise the working image a scan embeds for the file.
    Every failure is a DecodeError with a reason for the user."""
    data = read_user_file(path)
    try:
        return decode_image(data, PurePath(path).suffix.lower(), full)
    except DecodeError:
        raise
    except Exception as error:  # a decoder bug or no memory: still a message, not a crash of the caller
        raise DecodeError("corrupt", f"could not decode: {error}") from error


@dataclass(frozen=True)
class ImageMeta:
    format: str
    width: int
    height: int
    orientation: int
    metadata: PhotoMetadata


def decode_image(data: bytes, suffix: str = "", full: bool = False) -> tuple[Image.Image, ImageMeta]:
    """Decode to an RGB working image (short side ≥ WORK_SHORT_SIDE when the file has it), upright; with full,
    at full resolution. Pixel count and shape are checked from the header, before the pixels are decoded."""
    sniffed = sniff_format(data[:HEADER_BYTES])
    if sniffed is None:
        raise DecodeError("not-image", _describe_non_image(data))
    if sniffed == "RAW" or (sniffed == "TIFF" and suffix in RAW_EXTENSIONS):
        return _decode_raw_preview(data, full)
    if sniffed == "HEIF" and not HEIF_SUPPORTED:
        raise DecodeError("unsupported", "HEIC/HEIF support (pillow-heif) is not installed")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            meta = _read_meta(image, sniffed)
            if image.format == "JPEG" and not full:
                image.draft("RGB", (WORK_SHORT_SIDE, WORK_SHORT_SIDE))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise DecodeError(
                "too-large", f"refused: more than {MAX_PIXELS // 1_000_000} megapixels ({error})"
            ) from error
        except OSError as error:
            text = str(error)
            code = "truncated" if "truncated" in text or "premature end" in text.lower() else "corrupt"
            raise DecodeError(code, f"{sniffed} data is damaged: {text}") from error
        except (SyntaxError, ValueError, EOFError) as error:
            raise DecodeError("corrupt", f"{sniffed} data is damaged: {error}") from error
    rgb = _to_rgb(image)
    work = _upright(rgb if full else _reduce(rgb), meta.orientation)
    return work, meta


def _read_meta(image: Image.Image, sniffed: str) -> ImageMeta:
    width, height = image.size
    if width < 1 or height < 1:
        raise DecodeError("corrupt", "image has no pixels")
    if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
        raise DecodeError(
            "odd-shape", f"refused: {width}×{height} pixels is longer than {MAX_ASPECT_RATIO}:1, a strip, not a photo"
        )
    exif = image.getexif()
    orientation = int(exif.get(0x0112, 1) or 1)
    if orientation not in range(1, 9):
        orientation = 1
    if orientation in _ROTATED_ORIENTATIONS:
        width, height = height, width
    return ImageMeta(
        format=(image.format or sniffed).upper(),
        width=width,
        height=height,
        orientation=orientation,
        metadata=read_metadata(image),
    )


def _to_rgb(image: Image.Image) -> Image.Image:
    """Normalise every colour mode Pillow gives us to 8-bit RGB (alpha flattened onto white)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return _high_depth_to_rgb(image)
    if mode == "P" or "transparency" in image.info:
        image = image.convert("RGBA")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    try:
        return image.convert("RGB")
    except ValueError:
        return image.convert("L").convert("RGB")


def _high_depth_to_rgb(image: Image.Image) -> Image.Image:
    pixels = np.asarray(image, dtype=np.float64)
    low, high = float(pixels.min()), float(pixels.max())
    if image.mode.startswith("I;16"):
        low, high = 0.0, 65535.0
    elif high <= 255 and low >= 0:
        low, high = 0.0, 255.0
    scale = 255.0 / (high - low) if high > low else 0.0
    eight_bit = np.clip((pixels - low) * scale, 0, 255).astype(np.uint8)
    return Image.fromarray(eight_bit, "L").convert("RGB")


def _reduce(image: Image.Image) -> Image.Image:
    factor = min(image.size) // WORK_SHORT_SIDE
    return image.reduce(factor) if factor >= 2 else image


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    for transpose in _TRANSPOSE_FOR_ORIENTATION.get(orientation, ()):
        image = image.transpose(transpose)
    return image


def _decode_raw_preview(data: bytes, full: bool = False) -> tuple[Image.Image, ImageMeta]:
    """Camera RAW: decode the largest JPEG preview the camera embedded (demosaicing is out of scope)."""
    best: tuple[int, int] | None = None
    start = data.find(b"\xff\xd8\xff")
    tries = 0
    while start != -1 and tries < 32:
        tries += 1
        try:
            with Image.open(io.BytesIO(data[start:])) as candidate:
                area = candidate.size[0] * candidate.size[1]
            if best is None or area > best[1]:
                best = (start, area)
        except Exception:  # not a JPEG after all: keep looking
            pass
        start = data.find(b"\xff\xd8\xff", start + 3)
    if best is None:
        raise DecodeError("unsupported", "camera RAW file without an embedded JPEG preview")
    image, meta = decode_image(data[best[0] :], full=full)
    return image, ImageMeta("RAW", meta.width, meta.height, meta.orientation, meta.metadata)


def _describe_non_image(data: bytes) -> str:
    head = data[:HEADER_BYTES]
    if head[4:8] == b"ftyp":
        return "not a photo: a video or other ISO media file"
    if head.startswith((b"\x1aE\xdf\xa3", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")) or (
        head.startswith(b"RIFF") and head[8:12] == b"AVI "
    ):
        return "not a photo: a video file"
    if head.startswith(b"%PDF"):
        return "not a photo: a PDF document"
    if head.startswith(b"PK\x03\x04"):
        return "not a photo: a ZIP archive or office document"
    try:
        head.decode("utf-8")
        return "not a photo: the file contains text"
    except UnicodeDecodeError:
        return "not a photo: unrecognised content"


def make_thumbnail(image: Image.Image) -> Image.Image:
    """About THUMB_SIZE on the long side (within 30 %): an integer box reduction where one gets there, which
    costs a fifth of a resample and is the scan's largest cost after decoding."""
    factor = round(max(image.size) / THUMB_SIZE)
    thumb = image.reduce(factor) if factor >= 2 else image.copy()
    if max(thumb.size) > THUMB_SIZE * 1.3:
        thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BILINEAR)
    return thumb


def _derive(path: str, size: int, mtime_ns: int, digest: str, image: Image.Image, meta: ImageMeta) -> DecodedFile:
    thumb = make_thumbnail(image)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=THUMB_QUALITY)
    return DecodedFile(
        path=path,
        size=size,
        mtime_ns=mtime_ns,
        content_hash=digest,
        width=meta.width,
        height=meta.height,
        format=meta.format,
        captured_at=meta.metadata.captured_at,
        camera=meta.metadata.camera,
        gps=meta.metadata.gps,
        rating=meta.metadata.rating,
        keywords=meta.metadata.keywords,
        meta_version=META_VERSION,
        orientation=meta.orientation,
        phash=phash(thumb) if min(meta.width, meta.height) >= MIN_PHASH_SIDE else None,
        thumb_jpeg=buffer.getvalue(),
        thumb_width=thumb.width,
        thumb_height=thumb.height,
    )
