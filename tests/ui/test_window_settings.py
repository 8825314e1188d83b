"""Settings that persist across sessions (window geometry; folders moved from QSettings into the library) and the
download progress/cancel path."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QSettings
from pytest import MonkeyPatch

from core.cancel import CancelToken
from core.library import Library
from tests.ui.conftest import OPEN_TIMEOUT_MS
from ui.ops.runner import OpRunner
from ui.shell.main_window import MainWindow
from ui.shell.settings import FolderSettings, load_geometry


def test_window_geometry_is_restored(qtbot, tmp_path: Path, settings: QSettings) -> None:  # type: ignore[no-untyped-def]
    def open_window() -> MainWindow:
        runner = OpRunner(tmp_path / "library")
        main = MainWindow(runner, settings, picker=lambda parent, title: "")
        qtbot.addWidget(main)
        with qtbot.waitSignal(main.opened, timeout=OPEN_TIMEOUT_MS):
            runner.start()
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


def test_folders_kept_in_qsettings_move_into_the_library_once(qtbot, tmp_path: Path, settings: QSettings) -> None:  # type: ignore[no-untyped-def]
    photos, archive = tmp_path / "photos", tmp_path / "archive"
    (photos / "references").mkdir(parents=True)
    link = tmp_path / "photos-link"
    link.symlink_to(photos, target_is_directory=True)
    settings.setValue("library/folders", [str(link), str(tmp_path / "elsewhere")])
    settings.setValue("library/protected", str(link / "references"))  # INI files hold a one-item list as a string
    settings.sync()
    library = Library(tmp_path / "library")
    library.set_protected_folders([archive])  # protected with `twinlens protect` before the app first started
    library.close()
    expected = FolderSettings(
        folders=(str(photos), str(tmp_path / "elsewhere")), protected=(str(archive), str(photos / "references"))
    )

    def folders_shown() -> FolderSettings:
        runner = OpRunner(tmp_path / "library")
        main = MainWindow(runner, settings, picker=lambda parent, title: "")
        qtbot.addWidget(main)
        with qtbot.waitSignal(main.opened, timeout=OPEN_TIMEOUT_MS):
            runner.start()
        shown = main.library_panel.folders
        assert main.library_panel.isEnabled()
        main.close()
        return shown

    assert folders_shown() == expected, "merged with the library's own, under their canonical spelling"
    assert not [key for key in settings.allKeys() if key.startswith("library/")], "moved, not copied"
    assert folders_shown() == expected, "from the library from now on"
    library = Library(tmp_path / "library")
    try:
        assert library.scan_folders() == list(expected.folders)
        assert library.protected_folders() == list(expected.protected)
    finally:
        library.close()


def test_download_progress_and_cancel(qtbot, window: MainWindow, monkeypatch: MonkeyPatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    halfway = threading.Event()

    def slow_download(name: str, progress, cancel: CancelToken) -> Path:  # type: ignore[no-untyped-def]
        progress(44_000_000, 88_000_000)
        halfway.set()
        while True:  # the real one raises Cancelled from its next chunk
            cancel.raise_if_cancelled()
            threading.Event().wait(0.01)

    monkeypatch.setattr("ui.models.download.download_weights", slow_download)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    with qtbot.waitSignal(window.models.ready, timeout=OPEN_TIMEOUT_MS):
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
