"""The app's log, error dialog and Help → Open log folder: a GUI session's scan lands in the app log; an exception
in a slot is logged with its traceback and shown in a dialog that does not block; the menu opens the log folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMessageBox

from core.logs import LOG_DIR_ENV, LogFiles, setup_logging, stop_logging
from tests.ui.conftest import add_scan_folder, scan
from ui.shell import error_hook
from ui.shell.error_hook import ErrorReporter
from ui.shell.main_window import MainWindow

pytestmark = pytest.mark.usefixtures("model_free")


@pytest.fixture
def app_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LogFiles]:
    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path / "logs"))
    yield setup_logging("app")
    stop_logging()


@pytest.fixture
def reporter(window: MainWindow, app_log: LogFiles) -> Iterator[ErrorReporter]:
    hook = ErrorReporter(window, app_log.log)
    hook.install()
    yield hook
    hook.uninstall()


def test_a_gui_session_logs_its_scan(  # type: ignore[no-untyped-def]
    qtbot, app_log: LogFiles, window: MainWindow, photos: Path, tmp_path: Path
) -> None:
    add_scan_folder(window, photos)
    scan(qtbot, window)
    text = app_log.log.read_text(encoding="utf-8")
    assert "INFO twinlens: app started" in text
    assert f"library opened: {tmp_path / 'library'}" in text
    assert f"scan of {photos.resolve()} started (model: none)" in text
    assert "scan done: scan_id 1 seen 12 new 11" in text
    assert "scan 1: 1 problem(s) (corrupt 1)" in text


def shown_error_dialogs() -> list[QMessageBox]:
    return [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, QMessageBox) and widget.isVisible() and "unexpected error" in widget.text()
    ]


@pytest.mark.qt_no_exception_capture  # the app's own hook is what is tested
def test_an_exception_in_a_slot_is_logged_and_shown(qtbot, window: MainWindow, reporter: ErrorReporter) -> None:  # type: ignore[no-untyped-def]
    def forced_failure() -> None:
        raise RuntimeError("forced for the test")

    action = QAction("fail", window)
    action.triggered.connect(forced_failure)
    action.trigger()  # returns: the dialog comes later, from the event loop, and does not block it
    qtbot.waitUntil(lambda: len(shown_error_dialogs()) == 1, timeout=5000)
    (dialog,) = shown_error_dialogs()
    assert "RuntimeError: forced for the test" in dialog.informativeText()
    assert str(reporter.log_file) in dialog.informativeText()
    assert "in forced_failure" in dialog.detailedText()
    assert dialog.parent() is window and dialog.windowModality() == Qt.WindowModality.WindowModal
    assert reporter.log_file is not None
    text = reporter.log_file.read_text(encoding="utf-8")
    assert "CRITICAL twinlens.uncaught: uncaught RuntimeError: forced for the test" in text
    assert "Traceback (most recent call last)" in text and "in forced_failure" in text

    action.trigger()  # a second error while the dialog is up: the same dialog counts it
    qtbot.waitUntil(lambda: "2 unexpected errors" in dialog.text(), timeout=5000)
    assert len(shown_error_dialogs()) == 1
    dialog.button(QMessageBox.StandardButton.Close).click()
    qtbot.waitUntil(lambda: not shown_error_dialogs(), timeout=5000)
    assert reporter.log_file.read_text(encoding="utf-8").count("uncaught RuntimeError") == 2


def test_help_opens_the_log_folder(window: MainWindow, app_log: LogFiles, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(error_hook.QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    (help_menu,) = [action.menu() for action in window.menuBar().actions() if action.text() == "&Help"]
    (entry,) = [action for action in help_menu.actions() if action.text() == "Open &log folder"]
    entry.trigger()
    assert opened == [QUrl.fromLocalFile(str(app_log.folder))]
