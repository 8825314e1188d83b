"""The library thread seen from the window: cancel mid-scan, a refused second scan, closing while scanning."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.entities import Phase, ScanProgress, ScanSummary
from core.library import Library
from tests.ui.conftest import SCAN_TIMEOUT_MS, add_scan_folder, make_photo, scan
from ui.scan.control import SCAN_RUNNING
from ui.shell.main_window import MainWindow

MANY = 400


# Model-free scans: 400 photos embedded with the out-of-the-box SSCD take minutes on 2 cores.
pytestmark = pytest.mark.usefixtures("model_free")


@pytest.fixture
def many_photos(tmp_path: Path) -> Path:
    root = tmp_path / "many"
    for seed in range(MANY):
        make_photo(root / f"{seed // 100:02d}" / f"P{seed:05d}.jpg", 10_000 + seed, size=(160, 120))
    return root


def wait_for_reading(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    def reading(progress: ScanProgress) -> bool:
        return progress.phase == Phase.READ and progress.done > 0

    with qtbot.waitSignal(window.scans.progress, timeout=SCAN_TIMEOUT_MS, check_params_cb=reading):
        window.actions_.scan.trigger()


def test_cancel_mid_scan_keeps_finished_work_and_the_next_scan_resumes(
    qtbot, window: MainWindow, many_photos: Path
) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, many_photos)
    wait_for_reading(qtbot, window)
    assert window.scans.running and window.actions_.cancel_scan.isEnabled()
    with qtbot.waitSignal(window.scans.finished, timeout=SCAN_TIMEOUT_MS) as finished:
        window.actions_.cancel_scan.trigger()
    cancelled = finished.args[0]
    assert isinstance(cancelled, ScanSummary) and cancelled.cancelled
    assert 0 < cancelled.new < MANY
    assert "Cancelled" in window.scan_panel.summary_label.text()
    assert window.actions_.scan.isEnabled() and not window.actions_.cancel_scan.isEnabled()

    resumed = scan(qtbot, window)
    assert isinstance(resumed, ScanSummary) and not resumed.cancelled
    assert resumed.new == MANY - cancelled.new
    assert resumed.unchanged == cancelled.new


def test_a_second_scan_is_refused_while_one_runs(qtbot, window: MainWindow, many_photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, many_photos)
    wait_for_reading(qtbot, window)
    with qtbot.waitSignal(window.scans.refused, timeout=1000) as notice:
        window.start_scan()
    assert notice.args[0] == SCAN_RUNNING
    assert window.last_box is not None and window.last_box.text() == SCAN_RUNNING
    with qtbot.waitSignal(window.scans.finished, timeout=SCAN_TIMEOUT_MS):
        window.scans.cancel()


def test_closing_during_a_scan_cancels_and_leaves_a_consistent_catalog(
    qtbot, window: MainWindow, many_photos: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, many_photos)
    wait_for_reading(qtbot, window)
    assert window.close()
    assert window.runner.stopped
    library = Library(tmp_path / "library")
    try:
        assert library.catalog.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        last = next(library.catalog.db.query("SELECT status FROM scans ORDER BY id DESC LIMIT 1"))["status"]
        assert last == "cancelled"
        stored = library.catalog.files.count_present()
        assert 0 < stored < MANY
        summary = library.scan(window.library_panel.folders.scan_request())
        assert summary.new == MANY - stored
    finally:
        library.close()
