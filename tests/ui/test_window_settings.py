"""Settings that persist across sessions (window geometry) and the download progress/cancel path."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSettings
from pytest import MonkeyPatch

from core.cancel import CancelToken
from tests.ui.conftest import OPEN_TIMEOUT_MS
from ui.client import LibraryClient
from ui.main_window import MainWindow
from ui.settings import load_geometry


def test_window_geometry_is_restored(qtbot, tmp_path: Path, settings: QSettings) -> None:  # type: ignore[no-untyped-def]
    def open_window() -> MainWindow:
        client = LibraryClient(tmp_path / "library")
        main = MainWindow(client, settings, picker=lambda parent, title: "")
        qtbot.addWidget(main)
        with qtbot.waitSignal(client.opened, timeout=OPEN_TIMEOUT_MS):
            client.start()
        return main

    first = open_window()
    first.resize(700, 500)
    first.show()
    qtbot.waitExposed(first)
    size = (first.width(), first.height())  # the width may be held at the panels' minimum
    first.close()
    assert load_geometry(settings) is not None and size[1] == 500
    second = open_window()
    assert second.height() == 500  # restored (the default is 820; offscreen screens are 800 px wide)
    second.close()


def test_download_progress_and_cancel(qtbot, window: MainWindow, monkeypatch: MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    halfway = threading.Event()

    def slow_download(name: str, progress, cancel: CancelToken) -> Path:  # type: ignore[no-untyped-def]
        progress(44_000_000, 88_000_000)
        halfway.set()
        while True:  # the real one raises Cancelled from its next chunk
            cancel.raise_if_cancelled()
            threading.Event().wait(0.01)

    monkeypatch.setattr("ui.model_download.download_weights", slow_download)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with qtbot.waitSignal(window.client.models_ready, timeout=OPEN_TIMEOUT_MS):
        window.actions_.models.trigger()
    dialog = window.model_manager
    assert dialog is not None
    dialog.select("dinov2-base")
    dialog.download_selected()
    qtbot.waitUntil(lambda: dialog.row_text("dinov2-base", 1) == "downloading 50 %", timeout=10_000)
    assert dialog.progress.isVisible() and dialog.progress.value() == 50
    assert dialog.cancel_button.isEnabled() and not dialog.download_button.isEnabled()
    with qtbot.waitSignal(window.downloader.finished, timeout=10_000):
        dialog.cancel_button.click()
    assert dialog.message.text() == "Could not download dinov2-base: Download cancelled."
    assert not dialog.progress.isVisible() and not dialog.cancel_button.isEnabled()
    assert dialog.row_text("dinov2-base", 1) != "downloading 50 %"
