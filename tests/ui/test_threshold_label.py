"""The Review's threshold says what was done: an untouched slider shows the threshold the library grouped at (a
model's calibrated one), not the slider's own default."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QSettings

from core.entities import Tier
from core.library import Library
from tests.ui.conftest import open_window
from tests.ui.sscd_fixtures import SscdLibrary


def test_an_untouched_slider_shows_the_calibrated_threshold(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, sscd_library_template: SscdLibrary
) -> None:
    library_dir = tmp_path / "library"
    shutil.copytree(sscd_library_template.library, library_dir)
    library = Library(library_dir)
    try:
        library.models.set_threshold("sscd", Tier.COPY, 0.82)  # as calibration on this library would
        assert library.threshold_in_effect(Tier.COPY) == 0.82
        assert library.threshold_in_effect(Tier.COPY, 0.9) == 0.9 and library.threshold_in_effect(Tier.EXACT) is None
    finally:
        library.close()
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    for window in open_window(qtbot, library_dir, settings, models=True):
        panel = window.review_panel
        qtbot.waitUntil(lambda: panel.result(Tier.COPY) is not None, timeout=20_000)  # noqa: B023
        assert panel.result(Tier.COPY).in_effect == 0.82  # type: ignore[union-attr]
        panel.tiers.select(Tier.COPY)
        assert panel.threshold.label.text() == "Min similarity 82% (higher is stricter)"
        assert panel.threshold.slider.value() == 82
        assert panel.threshold.threshold(Tier.COPY) is None, "still the library's own: it follows recalibration"
