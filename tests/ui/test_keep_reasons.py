"""The Review and the compare view show why a file is kept; the trash preview warns about metadata that would go
and its "Keep this one instead" swaps the marks in the review."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from core.entities import Tier
from tests.core.test_metadata_loss import write_geotagged_export
from tests.ui.conftest import add_scan_folder, scan
from ui.review.compare import CompareDialog
from ui.review.model import KEEP_REASON_ROLE, Column
from ui.shell.main_window import MainWindow


@pytest.fixture
def export_window(qtbot, model_free: None, window: MainWindow, tmp_path: Path) -> tuple[MainWindow, Path, Path]:  # type: ignore[no-untyped-def]
    """The window on the near-identical tier: a camera original and its geotagged, rated, keyworded export.
    model_free comes before window: the window asks which model to scan with as it opens, so the packaged weights
    must already be out of reach then (after it, the answer already in said sscd, whose weights were then gone)."""
    photos = tmp_path / "photos"
    original, export = write_geotagged_export(photos)
    add_scan_folder(window, photos)
    scan(qtbot, window)
    panel = window.review_panel
    qtbot.waitUntil(lambda: (r := panel.result(Tier.PERCEPTUAL)) is not None and len(r.groups) == 1, timeout=20_000)
    panel.tiers.setCurrentIndex(list(Tier).index(Tier.PERCEPTUAL))
    return window, original, export


def test_review_and_compare_show_the_keep_reason(qtbot, export_window: tuple[MainWindow, Path, Path]) -> None:  # type: ignore[no-untyped-def]
    window, original, _ = export_window
    model = window.review_panel.model
    reason = model.index(0, 0).data(KEEP_REASON_ROLE)
    assert reason == "in a camera folder (DCIM/100NIKON); the other is in Export/"
    kept_row = next(i for i, m in enumerate(model.groups[0].members) if m.keep)
    kept = model.member_index(0, kept_row, Column.FILE)
    assert kept.data() == f"{original.name}\nkeep · {reason}"
    assert f"Kept: {reason}" in kept.data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == f"Keeps {original.name}: {reason}"
    other = model.member_index(0, 1 - kept_row, Column.FILE)
    assert other.data(KEEP_REASON_ROLE) == "" and "\n" not in other.data()
    dialog = CompareDialog(model.groups[0], model.is_marked, QSettings())
    qtbot.addWidget(dialog)
    assert dialog.keep_reason.text() == f"Kept by the rules: {original.name} — {reason}"


def test_trash_preview_warns_and_keeps_the_geotagged_file_instead(
    qtbot,  # type: ignore[no-untyped-def]
    export_window: tuple[MainWindow, Path, Path],
) -> None:
    window, original, export = export_window
    panel = window.review_panel
    panel.auto_select()
    window.actions_.trash.trigger()
    qtbot.waitUntil(lambda: window.trash_flow.preview_dialog is not None, timeout=20_000)
    dialog = window.trash_flow.preview_dialog
    assert dialog is not None
    [warning] = dialog.preview.warnings
    assert warning.file.path == str(export) and "GPS location" in warning.text
    assert "1 file to be trashed carries metadata" in dialog.headline.text()
    section = dialog.details.topLevelItem(0)
    assert section.text(0) == "Metadata that would go (1)" and section.child(0).text(0) == str(export)
    assert section.child(0).text(1).startswith("⚠ carries GPS location, rating and keywords")

    dialog.keep_buttons[warning.file.id].click()
    qtbot.waitUntil(lambda: [f.path for f in dialog.preview.will_trash] == [str(original)], timeout=20_000)
    assert dialog.preview.warnings == (), "the export keeps everything the original carries"
    assert [m.file.path for m in panel.model.shown_marked()] == [str(original)]
    assert dialog.confirm_button.text() == "Move 1 file to trash"
    dialog.reject()
    assert original.exists() and export.exists()
