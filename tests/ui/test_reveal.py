"""Reveal in folder: the platform's way of showing a file selected, else its folder (launchers replaced)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl

from ui.shell import reveal as reveal_module
from ui.shell.reveal import Revealer

PHOTO = "/photos/2024/IMG 0001.jpg"


def recording(platform: str, started: bool = True) -> tuple[Revealer, list[object]]:
    calls: list[object] = []
    revealer = Revealer(platform=platform)
    revealer.launch = lambda program, arguments: calls.append((program, arguments)) or started
    revealer.explorer_select = lambda path: calls.append(("explorer", path)) or started
    revealer.open_url = calls.append
    return revealer, calls


def test_macos_selects_the_file_in_finder(qtbot) -> None:  # type: ignore[no-untyped-def]
    revealer, calls = recording("darwin")
    revealer.reveal(PHOTO)
    assert calls == [("open", ["-R", PHOTO])]


def test_windows_selects_the_file_in_explorer(qtbot) -> None:  # type: ignore[no-untyped-def]
    revealer, calls = recording("win32")
    revealer.reveal(PHOTO)
    assert calls == [("explorer", PHOTO)]


def test_a_launcher_that_cannot_start_opens_the_folder(qtbot) -> None:  # type: ignore[no-untyped-def]
    revealer, calls = recording("darwin", started=False)
    revealer.reveal(PHOTO)
    assert calls[1:] == [QUrl.fromLocalFile(str(Path(PHOTO).parent))]


class NoBus:
    @staticmethod
    def sessionBus() -> NoBus:
        return NoBus()

    def isConnected(self) -> bool:
        return False


def test_linux_without_a_session_bus_opens_the_folder(qtbot, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(reveal_module, "QDBusConnection", NoBus)
    revealer, calls = recording("linux")
    revealer.reveal(PHOTO)
    assert calls == [QUrl.fromLocalFile(str(Path(PHOTO).parent))]


def test_linux_asks_the_file_manager_to_show_the_file(qtbot) -> None:  # type: ignore[no-untyped-def]
    revealer, calls = recording("linux")
    asked: list[str] = []
    revealer.show_items = lambda path: asked.append(path) or True
    revealer.reveal(PHOTO)
    assert asked == [PHOTO] and calls == []
