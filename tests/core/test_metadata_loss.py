"""Warn before metadata goes: the trash preview (and `twinlens trash`) names each file that carries metadata no
kept file of its group has, and the review can keep that file instead without breaking its rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from core.cli import main as cli_main
from core.entities import ScanRequest, Tier
from core.library import Library
from core.safety.trash import request_extras
from core.tiers.review import PROTECTED, ReviewState
from tests.core.test_metadata import XMP, camera_exif

PIXELS = (320, 240)


def _photo() -> Image.Image:
    image = Image.new("RGB", PIXELS)
    image.putdata([((x * 7) % 256, (y * 5) % 256, (x * y) % 256) for y in range(PIXELS[1]) for x in range(PIXELS[0])])
    return image


def write_geotagged_export(root: Path) -> tuple[Path, Path]:
    """A camera original without GPS, and its export that a photo manager geotagged, rated and keyworded (in
    Export/, so the keep rules keep the original)."""
    original, export = root / "DCIM" / "100NIKON" / "DSC_0042.JPG", root / "Export" / "DSC_0042.jpg"
    for path in (original, export):
        path.parent.mkdir(parents=True, exist_ok=True)
    no_gps = camera_exif()
    del no_gps.get_ifd(0x8825)[2], no_gps.get_ifd(0x8825)[4]
    _photo().save(original, "JPEG", quality=95, exif=no_gps)
    _photo().save(export, "JPEG", quality=85, exif=camera_exif(), xmp=XMP)
    return original, export


def geotagged_export_library(library: Library, root: Path) -> tuple[Path, Path]:
    original, export = write_geotagged_export(root)
    library.scan(ScanRequest(roots=(root,), workers=1))
    return original, export


def test_the_preview_names_what_a_trashed_file_carries_that_the_kept_one_lacks(
    library: Library, tmp_path: Path
) -> None:
    original, export = geotagged_export_library(library, tmp_path / "photos")
    [group] = library.groups(Tier.PERCEPTUAL)
    assert [m.file.path for m in group.members if m.keep] == [str(original)]
    assert (
        group.as_json()["keep_reason"]
        == group.keep_reason
        == "in a camera folder (DCIM/100NIKON); the other is in Export/"
    )
    preview = library.preview_trash(request_extras([group]))
    [warning] = preview.warnings
    assert warning.file.path == str(export) and warning.kept.path == str(original)
    assert warning.missing == ("GPS location", "rating", "keywords"), "capture time and camera: the kept has them"
    assert warning.text == "carries GPS location, rating and keywords, which the kept file lacks"


def test_no_warning_when_the_kept_file_carries_as_much(library: Library, tmp_path: Path) -> None:
    original, export = geotagged_export_library(library, tmp_path / "photos")
    [group] = library.groups(Tier.PERCEPTUAL)
    review = ReviewState([group])
    export_id = next(m.file.id for m in group.members if m.file.path == str(export))
    original_id = next(m.file.id for m in group.members if m.file.path == str(original))
    review.auto_select()
    change = review.keep_instead(export_id, original_id)
    assert change.changed == {export_id, original_id} and not change.refused
    assert review.is_marked(original_id) and not review.is_marked(export_id)
    assert library.preview_trash(review.request()).warnings == (), "the original carries nothing the export lacks"


def test_keep_instead_leaves_a_protected_kept_file_unmarked(library: Library, tmp_path: Path) -> None:
    original, export = geotagged_export_library(library, tmp_path / "photos")
    library.set_protected_folders([original.parent])
    [group] = library.groups(Tier.PERCEPTUAL)
    ids = {m.file.path: m.file.id for m in group.members}
    review = ReviewState([group])
    review.auto_select()
    change = review.keep_instead(ids[str(export)], ids[str(original)])
    assert change.changed == {ids[str(export)]} and change.refused == ((ids[str(original)], PROTECTED),)
    assert review.marked_count == 0, "both stay: the swap never marks a protected file"


def test_cli_trash_prints_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library_dir = tmp_path / "cli-library"
    library = Library(library_dir)
    _, export = geotagged_export_library(library, tmp_path / "photos")
    library.close()
    assert cli_main(["groups", "--tier", "perceptual", "--library", str(library_dir)]) == 0
    assert "  why kept: in a camera folder (DCIM/100NIKON); the other is in Export/\n" in capsys.readouterr().out
    assert cli_main(["trash", "--group-tier", "perceptual", "--extras", "--library", str(library_dir)]) == 0
    out = capsys.readouterr().out
    assert f"warning  {export} carries GPS location, rating and keywords, which the kept file lacks" in out
    assert "1 file(s) carry metadata that the file kept in their group lacks" in out
