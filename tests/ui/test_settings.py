"""Folder settings: persisted with QSettings, and turned into a scan request that never walks a folder twice."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from ui.library_panel import LibraryPanel
from ui.settings import FolderSettings, load_folders, save_folders


def test_protected_folders_inside_a_scanned_folder_are_not_added_twice() -> None:
    folders = FolderSettings(
        folders=("/photos",), protected=("/photos/originals", "/archive"), excluded=("/photos/tmp",)
    )
    request = folders.scan_request()
    assert request.roots == (Path("/photos"), Path("/archive"))
    assert request.excluded == (Path("/photos/tmp"),)


def test_folders_survive_a_restart(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    picked = iter([str(tmp_path / "a"), str(tmp_path / "b")])
    panel = LibraryPanel(load_folders(settings), picker=lambda parent, title: next(picked))
    qtbot.addWidget(panel)
    panel.folders_changed.connect(lambda folders: save_folders(settings, folders))
    panel.scan_list.add_button.click()
    panel.protected_list.add_button.click()
    panel.scan_list.list.setCurrentRow(0)
    assert panel.scan_list.remove_button.isEnabled()
    reloaded = load_folders(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    assert reloaded == FolderSettings(folders=(str(tmp_path / "a"),), protected=(str(tmp_path / "b"),))
    panel.scan_list.remove_button.click()
    assert load_folders(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)).folders == ()
