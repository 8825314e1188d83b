"""Bad input gets a clear error and the scan goes on: a corpus of broken and odd files made at test time."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

import core.scan.pipeline
import core.scan.walk
from core.entities import ScanRequest
from core.library import Library
from tests.conftest import running_as_root
from tests.images import photo, save_photo


def _png_claiming(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def _jpeg_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    photo(seed).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def build_corpus(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True)
    files: dict[str, Path] = {}
    files["good"] = save_photo(root / "good.jpg", 1)
    data = _jpeg_bytes(2)
    files["truncated"] = root / "truncated.jpg"
    files["truncated"].write_bytes(data[: len(data) * 6 // 10])
    files["empty"] = root / "empty.jpg"
    files["empty"].write_bytes(b"")
    files["text"] = root / "notes.jpg"
    files["text"].write_text("this is not a photo\n")
    files["tiny"] = root / "tiny.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(files["tiny"])
    files["bomb"] = root / "bomb.png"
    files["bomb"].write_bytes(_png_claiming(60000, 60000))
    files["cmyk"] = root / "cmyk.jpg"
    photo(3).convert("CMYK").save(files["cmyk"], "JPEG")
    files["png16"] = root / "deep.png"
    Image.new("I;16", (64, 48), 40000).save(files["png16"])
    files["palette"] = root / "palette.png"
    palette = photo(4).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.info["transparency"] = 0
    palette.save(files["palette"], transparency=0)
    files["animated"] = root / "anim.gif"
    frames = [photo(5 + i).convert("P") for i in range(3)]
    frames[0].save(files["animated"], save_all=True, append_images=frames[1:], duration=100, loop=0)
    locked = root / "locked"
    files["locked_photo"] = save_photo(locked / "inside.jpg", 9)
    files["locked"] = locked
    loop_parent = root / "album"
    files["album_photo"] = save_photo(loop_parent / "in_album.jpg", 10)
    files["loop"] = loop_parent / "loop"
    os.symlink(loop_parent, files["loop"])
    odd = os.fsdecode(os.fsencode(str(root)) + b"/caf\xe9 \xff.jpg")
    files["non_utf8"] = Path(odd)
    files["non_utf8"].write_bytes(_jpeg_bytes(11))
    files["vanishing"] = save_photo(root / "vanishing.jpg", 12)
    return files


@pytest.fixture
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    files = build_corpus(tmp_path / "photos")
    locked = str(files["locked"])
    if running_as_root():  # root reads anything, so simulate the permission error the OS would raise
        real_scandir = os.scandir

        def scandir(path: str) -> object:
            if os.path.abspath(path) == locked:
                raise PermissionError(13, "Permission denied", path)
            return real_scandir(path)

        monkeypatch.setattr(core.scan.walk.os, "scandir", scandir)
    else:
        files["locked"].chmod(0)
    real_enumerate = core.scan.pipeline.enumerate_files

    def enumerate_then_delete(*args: object, **kwargs: object) -> object:
        result = real_enumerate(*args, **kwargs)  # type: ignore[arg-type]
        files["vanishing"].unlink(missing_ok=True)
        return result

    monkeypatch.setattr(core.scan.pipeline, "enumerate_files", enumerate_then_delete)
    yield files
    files["locked"].chmod(0o755)


def test_scan_survives_bad_input_and_reports_each_problem(library: Library, corpus: dict[str, Path]) -> None:
    summary = library.scan(ScanRequest(roots=(corpus["good"].parent,), workers=2))
    assert not summary.cancelled
    problems = {p.path: p for p in library.problems()}
    expected_codes = {
        "truncated": "truncated",
        "empty": "empty",
        "text": "not-image",
        "bomb": "too-large",
        "locked": "folder-unreadable",
        "loop": "symlink-loop",
        "vanishing": "vanished",
    }
    for name, code in expected_codes.items():
        problem = problems.get(str(corpus[name]))
        assert problem is not None, f"{name} was not reported; problems: {sorted(problems)}"
        assert problem.code == code, f"{name}: {problem.code} ({problem.reason})"
        assert problem.reason
    assert "text" in problems[str(corpus["text"])].reason
    assert "megapixels" in problems[str(corpus["bomb"])].reason
    assert summary.problems == len(expected_codes)


def test_odd_but_valid_files_are_catalogued(library: Library, corpus: dict[str, Path]) -> None:
    library.scan(ScanRequest(roots=(corpus["good"].parent,), workers=2))
    catalogued = {f.path: f for f in library.catalog.files.present()}
    for name in ("good", "tiny", "cmyk", "png16", "palette", "animated", "album_photo", "non_utf8"):
        assert str(corpus[name]) in catalogued, f"{name} missing from the catalog"
    assert catalogued[str(corpus["tiny"])].width == 1
    assert catalogued[str(corpus["png16"])].format == "PNG"
    assert catalogued[str(corpus["cmyk"])].format == "JPEG"
    assert str(corpus["locked_photo"]) not in catalogued


def test_non_utf8_name_round_trips_through_the_catalog(library: Library, corpus: dict[str, Path]) -> None:
    library.scan(ScanRequest(roots=(corpus["good"].parent,), workers=1))
    paths = {f.path for f in library.catalog.files.present()}
    odd = str(corpus["non_utf8"])
    assert odd in paths
    assert os.path.exists(odd)
    second = library.scan(ScanRequest(roots=(corpus["good"].parent,), workers=1))
    assert second.new == 0 and second.changed == 0


def test_unchanged_bad_files_are_not_read_again(library: Library, corpus: dict[str, Path]) -> None:
    root = corpus["good"].parent
    library.scan(ScanRequest(roots=(root,), workers=1))
    second = library.scan(ScanRequest(roots=(root,), workers=1))
    assert second.new == 0 and second.changed == 0
    assert str(corpus["truncated"]) in {p.path for p in library.problems()}
    corpus["truncated"].write_bytes(_jpeg_bytes(2))
    third = library.scan(ScanRequest(roots=(root,), workers=1))
    assert third.new == 1
    assert str(corpus["truncated"]) not in {p.path for p in library.problems()}
