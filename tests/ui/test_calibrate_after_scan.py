"""The app's scan op calibrates the model on the library's photos after its first model scan (as the CLI's scan
does: both call Library.scan), and the groups come back with the calibrated threshold in effect."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cancel import NEVER_CANCELLED
from core.entities import Changes, Phase, ScanProgress, ScanRequest, Tier
from core.library import Library
from core.models.calibrate import MIN_PHOTOS
from tests.images import save_photo
from ui.ops import library_ops


def _photos(folder: Path, count: int) -> Path:
    folder.mkdir()
    for seed in range(count):
        save_photo(folder / f"p{seed:03d}.jpg", seed, (320, 240))
    return folder


def test_the_scan_op_calibrates_after_the_first_model_scan(tiny_library: Library, tmp_path: Path) -> None:
    folder = _photos(tmp_path / "photos", MIN_PHOTOS)
    shipped = tiny_library.models.threshold("dinov2-small", Tier.COPY)
    phases: list[Phase] = []

    def progress(update: object) -> None:
        if isinstance(update, ScanProgress):
            phases.append(update.phase)

    op = library_ops.scan(ScanRequest(roots=(folder,), model="dinov2-small", workers=1))
    summary = op.fn(tiny_library, NEVER_CANCELLED, progress)

    assert summary.calibration and summary.calibration[0].startswith("calibrated dinov2-small")
    assert Phase.CALIBRATE in phases and Changes.GROUPS in summary.changes
    assert tiny_library.models.is_calibrated("dinov2-small")
    calibrated = tiny_library.models.threshold("dinov2-small", Tier.COPY)
    assert calibrated is not None and calibrated != shipped
    groups = library_ops.load_groups(Tier.COPY, None).fn(tiny_library, NEVER_CANCELLED, lambda p: None)
    assert groups.in_effect == pytest.approx(calibrated)

    again = op.fn(tiny_library, NEVER_CANCELLED, progress)
    assert again.calibration == (), "calibrated once per model and library"


def test_a_small_library_keeps_the_shipped_thresholds(tiny_library: Library, tmp_path: Path) -> None:
    folder = _photos(tmp_path / "photos", 6)
    summary = tiny_library.scan(ScanRequest(roots=(folder,), model="dinov2-small", workers=1))
    assert summary.calibration == () and not tiny_library.models.is_calibrated("dinov2-small")


def test_a_scan_asked_not_to_calibrate_leaves_it_for_later(tiny_library: Library, tmp_path: Path) -> None:
    folder = _photos(tmp_path / "photos", MIN_PHOTOS)
    request = ScanRequest(roots=(folder,), model="dinov2-small", workers=1, calibrate=False)  # `--no-calibrate`
    summary = tiny_library.scan(request)
    assert summary.calibration == () and not tiny_library.models.is_calibrated("dinov2-small")
