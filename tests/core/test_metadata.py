"""Shutter time, camera, location, rating and keywords: read at scan time, re-read once for older rows."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from core.cancel import NEVER_CANCELLED
from core.entities import ScanRequest
from core.scan.metadata import META_VERSION, read_metadata, refresh_metadata, shutter_times_differ
from tests.images import photo

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmp:Rating="4" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:subject><rdf:Bag><rdf:li>Paris</rdf:li>'
    b"<rdf:li>Tom &amp; Ann</rdf:li></rdf:Bag></dc:subject></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def camera_exif(
    original: str | None = "2015:03:31 12:00:01", subsec: str | None = "25", edited: str = "2020:01:01 09:00:00"
) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "NIKON CORPORATION"
    exif[0x0110] = "NIKON D7500"
    exif[0x0132] = edited  # IFD0 DateTime: what an editor rewrites on save
    sub = exif.get_ifd(0x8769)
    if original:
        sub[0x9003] = original
    if subsec:
        sub[0x9291] = subsec
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 29.0), "E", (2.0, 17.0, 40.0)
    return exif


def save_with(path: Path, seed: int, exif: Image.Exif | None = None, xmp: bytes | None = None) -> Path:
    args: dict[str, object] = {"quality": 90}
    if exif is not None:
        args["exif"] = exif
    if xmp is not None:
        args["xmp"] = xmp
    path.parent.mkdir(parents=True, exist_ok=True)
    photo(seed).save(path, "JPEG", **args)
    return path


def test_shutter_time_is_date_time_original_with_sub_seconds_never_the_editors_date(tmp_path: Path) -> None:
    path = save_with(tmp_path / "a.jpg", 1, camera_exif(), XMP)
    with Image.open(path) as image:
        meta = read_metadata(image)
    assert meta.captured_at == "2015-03-31T12:00:01.25"
    assert meta.camera == "NIKON D7500"
    assert meta.gps is True
    assert meta.rating == 4
    assert meta.keywords == "Paris; Tom & Ann"

    edited_only = save_with(tmp_path / "b.jpg", 1, camera_exif(original=None, subsec=None))
    with Image.open(edited_only) as image:
        assert read_metadata(image).captured_at is None  # IFD0 DateTime alone is no shutter time


def test_shutter_times_differ_only_when_both_exist_and_differ_at_their_common_precision() -> None:
    assert shutter_times_differ("2015-03-31T12:00:01", "2015-03-31T12:00:02")
    assert shutter_times_differ("2015-03-31T12:00:01.25", "2015-03-31T12:00:01.50")
    assert not shutter_times_differ("2015-03-31T12:00:01.25", "2015-03-31T12:00:01.25")
    assert not shutter_times_differ("2015-03-31T12:00:01.25", "2015-03-31T12:00:01")  # one has no sub-seconds
    assert not shutter_times_differ("2015-03-31T12:00:01.2", "2015-03-31T12:00:01.25")  # same at 1 digit
    assert not shutter_times_differ(None, "2015-03-31T12:00:01")
    assert not shutter_times_differ(None, None)


def test_a_library_read_by_an_older_reader_is_re_read_once_headers_only(library, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    save_with(root / "a.jpg", 1, camera_exif(), XMP)
    save_with(root / "b.jpg", 2)
    library.scan(ScanRequest(roots=(root,)))
    db = library.catalog.db
    db.execute("UPDATE files SET captured_at = '2020-01-01T09:00:00', gps = 0, rating = NULL, meta_version = 0")
    db.conn.commit()

    summary = library.scan(ScanRequest(roots=(root,)))

    assert (summary.new, summary.changed, summary.unchanged) == (0, 0, 2)
    rows = {r["path"].rsplit("/", 1)[1]: r for r in db.query("SELECT * FROM files")}
    assert rows["a.jpg"]["captured_at"] == "2015-03-31T12:00:01.25"
    assert (rows["a.jpg"]["gps"], rows["a.jpg"]["rating"], rows["a.jpg"]["keywords"]) == (1, 4, "Paris; Tom & Ann")
    assert rows["b.jpg"]["captured_at"] is None
    assert {r["meta_version"] for r in rows.values()} == {META_VERSION}


def test_a_vanished_or_damaged_file_is_marked_read_and_keeps_what_is_stored(library, tmp_path: Path) -> None:
    root = tmp_path / "photos"
    path = save_with(root / "a.jpg", 1, camera_exif())
    library.scan(ScanRequest(roots=(root,)))
    (file_id,) = [r["id"] for r in library.catalog.db.query("SELECT id FROM files")]
    path.write_bytes(b"garbage")
    seen: list[tuple[int, int]] = []
    refresh_metadata(library.catalog, [(file_id, str(path))], lambda d, t, _: seen.append((d, t)), NEVER_CANCELLED)
    row = next(library.catalog.db.query("SELECT captured_at, meta_version FROM files"))
    assert row == {"captured_at": "2015-03-31T12:00:01.25", "meta_version": META_VERSION}
    assert seen == [(1, 1)]
