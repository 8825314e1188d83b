"""Folder settings: stored in the library (the app and the command line see the same folders), and turned into
a scan request that never walks a folder twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QSettings

from core.library import Library
from tests.ui.conftest import OPEN_TIMEOUT_MS
from ui.ops.runner import OpRunner
from ui.scan.library import FolderPicker
from ui.shell.main_window import MainWindow
from ui.shell.settings import FolderSettings


def test_protected_folders_inside_a_scanned_folder_are_not_added_twice() -> None:
    folders = FolderSettings(
        folders=("/photos",), protected=("/photos/originals", "/archive"), excluded=("/photos/tmp",)
    )
    request = folders.scan_request()
    assert request.roots == (Path("/photos"), Path("/archive"))
    assert request.excluded == (Path("/photos/tmp"),)


@contextmanager
def window_over(qtbot, library: Path, settings: QSettings, picker: FolderPicker) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """A main window over `library`, closed (and its worker done with the catalog) on leaving."""
    runner = OpRunner(library)
    main = MainWindow(runner, settings, picker=picker)
    qtbot.addWidget(main)
    with qtbot.waitSignal(main.opened, timeout=OPEN_TIMEOUT_MS):
        runner.start()
    try:
        yield main
    finally:
        main.close()
        assert runner.shutdown()


def stored_folders(library: Path) -> FolderSettings:
    """What the command line sees."""
    lib = Library(library)
    try:
        return FolderSettings(tuple(lib.scan_folders()), tuple(lib.protected_folders()), tuple(lib.excluded_folders()))
    finally:
        lib.close()


def test_folders_survive_a_restart(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    library = tmp_path / "library"
    picked = iter([str(tmp_path / "a"), str(tmp_path / "b")])
    first_settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    with window_over(qtbot, library, first_settings, lambda parent, title: next(picked)) as window:
        panel = window.library_panel
        panel.scan_list.add_button.click()
        panel.protected_list.add_button.click()
        panel.scan_list.list.setCurrentRow(0)
        assert panel.scan_list.remove_button.isEnabled()
    expected = FolderSettings(folders=(str(tmp_path / "a"),), protected=(str(tmp_path / "b"),))
    assert stored_folders(library) == expected
    assert not [k for k in first_settings.allKeys() if k.startswith("library/")], "QSettings keeps window state only"

    other_computer = QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)
    with window_over(qtbot, library, other_computer, lambda parent, title: "") as window:
        assert window.library_panel.folders == expected, "the folders come from the library"
        window.library_panel.scan_list.list.setCurrentRow(0)
        window.library_panel.scan_list.remove_button.click()
    assert stored_folders(library).folders == ()
