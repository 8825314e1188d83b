"""Out of the box in the app: a fresh library's first scan embeds with the packaged SSCD and the Scan tab says
so; a library with a model keeps it; the title names the app once; folder dialogs start in Pictures; the
model-switch dialog tells the truth about an empty library."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QFileDialog, QWidget

from core.cancel import NEVER_CANCELLED
from core.entities import ScanRequest, ScanSummary
from core.library import Library
from tests.models import tiny_dinov2_in_hf_cache
from tests.ui.conftest import add_scan_folder, make_photo, open_window, scan
from ui.models.manager import ModelManagerDialog
from ui.ops import library_ops
from ui.scan.library import pick_folder
from ui.scan.panel import scan_request
from ui.shell.main_window import WINDOW_TITLE, MainWindow

FOLDERS = ScanRequest(roots=(Path("/photos"),))


def test_a_fresh_library_scans_with_the_packaged_sscd_and_says_so(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, settings: QSettings
) -> None:
    windows = open_window(qtbot, tmp_path / "library", settings, models=True)
    window = next(windows)
    try:
        state = window.models.state
        assert state is not None and state.active is None
        assert scan_request(FOLDERS, state).model == "sscd"
        text = window.scan_panel.model_label.text()
        assert text.startswith("sscd (packaged copy detector, found on this computer) — scans also embed photos")
        assert "Other models are in Models…" in text
        folder = tmp_path / "shots"
        for seed in range(3):
            make_photo(folder / f"p{seed}.jpg", seed)
        add_scan_folder(window, folder)
        with qtbot.waitSignal(window.models.ready, timeout=30_000):
            summary = scan(qtbot, window)
        assert isinstance(summary, ScanSummary) and summary.embedded == 3
        assert window.models.state is not None and window.models.state.active == "sscd"
        assert window.scan_panel.model_label.text().startswith("sscd (this library's model) — scans also embed")
    finally:
        next(windows, None)


def test_a_library_with_another_active_model_keeps_it(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_dinov2_in_hf_cache(tmp_path / "hf", monkeypatch)
    library.models.set_active_model("dinov2-small")
    state = library_ops.models_state().fn(library, NEVER_CANCELLED, lambda progress: None)
    assert scan_request(FOLDERS, state).model == "dinov2-small" and state.scan_reason() == "this library's model"
    library.models.set_active_model("clip-b32")  # chosen, weights not here: a model-free scan, not sscd behind its back
    state = library_ops.models_state().fn(library, NEVER_CANCELLED, lambda progress: None)
    assert scan_request(FOLDERS, state).model is None


def test_the_title_names_the_app_once(window: MainWindow) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setApplicationDisplayName("Twinlens")  # as app/gui.py does: Qt appends it to the title
    try:
        assert window.windowTitle() == WINDOW_TITLE and "Twinlens" not in WINDOW_TITLE
    finally:
        app.setApplicationDisplayName("")


def test_folder_dialogs_start_in_pictures_else_home(monkeypatch: pytest.MonkeyPatch, qtbot) -> None:  # type: ignore[no-untyped-def]
    started: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, title, folder: started.append(folder) or "")
    parent = QWidget()
    qtbot.addWidget(parent)
    home = Path.home()  # the test's own (tests/conftest.py)
    pick_folder(parent, "Add folder")
    (home / "Pictures").mkdir()
    pick_folder(parent, "Add folder")
    assert started == [str(home), str(home / "Pictures")]
    assert Path.cwd() != home


def test_the_switch_dialog_on_an_empty_library(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.models.ready, timeout=30_000):
        window.actions_.models.trigger()
    dialog = window.model_manager
    assert isinstance(dialog, ModelManagerDialog)
    dialog.select("sscd")
    dialog.use_button.click()
    qtbot.waitUntil(lambda: dialog.switch_box is not None, timeout=30_000)
    box = dialog.switch_box
    assert box is not None and "The library has no photos yet: its first scan embeds them with sscd." in box.text()
    assert "already embedded" not in box.text()
    box.reject()


def test_a_scan_asked_for_before_the_models_answer_waits_for_them_and_embeds(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, settings: QSettings
) -> None:
    """A click on Scan right after the window opened, before the models' state came back from the library
    thread, used to scan without any model; it now starts once that state is in, with the packaged model."""
    windows = open_window(qtbot, tmp_path / "library", settings)
    window = next(windows)
    try:
        folder = tmp_path / "shots"
        for seed in range(2):
            make_photo(folder / f"p{seed}.jpg", seed)
        add_scan_folder(window, folder)
        window.models.state = None  # as it is until the library thread answers
        with qtbot.waitSignal(window.scans.finished, timeout=120_000) as finished:
            window.actions_.scan.trigger()
            assert not window.scans.running, "no scan before it is known which model to embed with"
            window.models.refresh()
        summary = finished.args[0]
        assert isinstance(summary, ScanSummary) and summary.embedded == 2
    finally:
        next(windows, None)
