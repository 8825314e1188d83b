"""What a photo says about itself: shutter time, camera, location, rating and keywords (EXIF and XMP).

The shutter time is EXIF DateTimeOriginal with SubSecTimeOriginal where the file has it (DateTimeDigitized and
its sub-seconds where it has no DateTimeOriginal: scanners write only that). It is never IFD0 DateTime: editors
rewrite that one when they save, so it says when a copy was made, not when the photo was taken.

Stored times keep the precision the file carries: "2015-03-31T12:00:01" or "2015-03-31T12:00:01.25".
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PIL import Image

from core.cancel import CancelToken
from core.entities import PhotoMetadata
from core.scan.sniff import HEADER_BYTES, sniff_format
from core.store.catalog import Catalog

# Bumped when the reader learns something new; files read by an older reader get a one-time header re-read
# on the next scan (core/scan/pipeline.py), not a full decode.
META_VERSION = 1

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL, _SUBSEC_ORIGINAL = 0x9003, 0x9291
_DATETIME_DIGITIZED, _SUBSEC_DIGITIZED = 0x9004, 0x9292
_MAKE, _MODEL = 0x010F, 0x0110
_RATING = 0x4746  # Windows' rating tag in IFD0 (0-5)
_XP_KEYWORDS = 0x9C9E  # Windows' keywords in IFD0, UTF-16LE
_GPS_LATITUDE, _GPS_LONGITUDE = 2, 4

_REFRESH_BATCH = 256
_PYTHON_HEADERS = ("JPEG", "PNG", "TIFF", "RAW", "GIF", "BMP", "MPO")
_XMP_RATING = re.compile(rb"xmp:Rating(?:=\"|>)\s*(-?\d+)")
_XMP_SUBJECT = re.compile(rb"<dc:subject>(.*?)</dc:subject>", re.DOTALL)
_XMP_ITEM = re.compile(rb"<rdf:li[^>]*>(.*?)</rdf:li>", re.DOTALL)


def read_metadata(image: Image.Image) -> PhotoMetadata:
    """Metadata of an opened (not necessarily loaded) image; whatever is unreadable is left out."""
    exif = image.getexif()
    xmp = _xmp_packet(image)
    return PhotoMetadata(
        captured_at=shutter_time(exif),
        camera=camera_name(exif),
        gps=_has_gps(exif),
        rating=_rating(exif, xmp),
        keywords=_keywords(exif, xmp),
    )


def shutter_time(exif: Image.Exif) -> str | None:
    sub = exif.get_ifd(_EXIF_IFD)
    for time_tag, subsec_tag in ((_DATETIME_ORIGINAL, _SUBSEC_ORIGINAL), (_DATETIME_DIGITIZED, _SUBSEC_DIGITIZED)):
        stamp = _exif_datetime(sub.get(time_tag))
        if stamp is not None:
            fraction = _text(sub.get(subsec_tag))
            digits = "".join(ch for ch in fraction if ch.isdigit())
            return f"{stamp}.{digits}" if digits else stamp
    return None


def shutter_times_differ(a: str | None, b: str | None) -> bool:
    """Whether two photos were certainly taken at different moments: both carry a shutter time, and the times
    differ at the precision both carry (sub-seconds only when both have them). Equal times prove nothing (a
    burst shares its second); a missing time proves nothing (chat apps and screenshots drop EXIF)."""
    if not a or not b:
        return False
    whole_a, _, frac_a = a.partition(".")
    whole_b, _, frac_b = b.partition(".")
    if whole_a != whole_b:
        return True
    digits = min(len(frac_a), len(frac_b))
    return digits > 0 and frac_a[:digits] != frac_b[:digits]


def camera_name(exif: Image.Exif) -> str | None:
    make = _text(exif.get(_MAKE))
    model = _text(exif.get(_MODEL))
    brand = make.split(" ")[0].lower()  # "NIKON CORPORATION" + "NIKON D7500": the model already names it
    if model.lower().startswith(brand):
        make = ""
    return f"{make} {model}".strip() or None


def _exif_datetime(raw: object) -> str | None:
    text = _text(raw)
    if len(text) < 19 or text.startswith("0000") or not text[:4].isdigit():
        return None
    return f"{text[0:4]}-{text[5:7]}-{text[8:10]}T{text[11:19]}"


def _has_gps(exif: Image.Exif) -> bool:
    gps = exif.get_ifd(_GPS_IFD)
    return bool(gps.get(_GPS_LATITUDE)) and bool(gps.get(_GPS_LONGITUDE))


def _rating(exif: Image.Exif, xmp: bytes) -> int | None:
    value = exif.get(_RATING)
    if isinstance(value, int) and value > 0:
        return min(value, 5)
    found = _XMP_RATING.search(xmp)
    if found and int(found.group(1)) > 0:
        return min(int(found.group(1)), 5)
    return None


def _keywords(exif: Image.Exif, xmp: bytes) -> str | None:
    words: list[str] = []
    subject = _XMP_SUBJECT.search(xmp)
    if subject:
        words += [_xml_text(item) for item in _XMP_ITEM.findall(subject.group(1))]
    xp = exif.get(_XP_KEYWORDS)
    if isinstance(xp, bytes | tuple):
        raw = bytes(xp).decode("utf-16-le", "ignore").rstrip("\x00")
        words += [word.strip() for word in raw.split(";")]
    unique = list(dict.fromkeys(word for word in words if word))
    return "; ".join(unique) or None


def _xmp_packet(image: Image.Image) -> bytes:
    for key in ("xmp", "XML:com.adobe.xmp"):
        value = image.info.get(key)
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode("utf-8", "ignore")
    return b""


def _xml_text(raw: bytes) -> str:
    text = raw.decode("utf-8", "ignore").strip()
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')


def _text(raw: object) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "ignore")
    return str(raw or "").strip().strip("\x00").strip()


def refresh_metadata(
    catalog: Catalog,
    stale: list[tuple[int, str]],
    report: Callable[[int, int, str], None],
    cancel: CancelToken,
) -> None:
    """The one-time re-read of catalogued, unchanged photos read by an older reader: headers only, in batches
    that commit (a cancelled or killed scan keeps what was re-read). Only container formats whose headers
    Pillow parses in Python are opened here, in the scan's process; a HEIF/AVIF header needs a native decoder,
    which runs only in the decoder processes, so those keep what they have until their bytes change."""
    for start in range(0, len(stale), _REFRESH_BATCH):
        cancel.raise_if_cancelled()
        with catalog.transaction():
            for file_id, path in stale[start : start + _REFRESH_BATCH]:
                catalog.files.store_metadata(file_id, _header_metadata(path), META_VERSION)
        done = min(start + _REFRESH_BATCH, len(stale))
        report(done, len(stale), stale[done - 1][1])


def _header_metadata(path: str) -> PhotoMetadata | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEADER_BYTES)
            if sniff_format(head) not in _PYTHON_HEADERS:
                return None
            handle.seek(0)
            with Image.open(handle) as image:
                return read_metadata(image)
    except Exception:  # vanished, unreadable or damaged: the scan's own read of it reports that, not this one
        return None
