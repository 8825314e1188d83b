"""Reveal a file in the system's file manager, selected where the platform allows, without blocking the GUI thread.

- Linux and other freedesktop systems: org.freedesktop.FileManager1.ShowItems over the session D-Bus (Nautilus,
  Dolphin, Nemo, Caja, Thunar answer it), sent asynchronously; with no session bus, or when nobody answers, the
  folder opens in the default file manager instead (QDesktopServices, which starts xdg-open detached).
- macOS: `open -R FILE`. Windows: `explorer /select,"FILE"`. Both started detached.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDir, QObject, QProcess, QUrl
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher
from PySide6.QtGui import QDesktopServices

FILE_MANAGER = ("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1", "org.freedesktop.FileManager1")


def start_detached(program: str, arguments: list[str]) -> bool:
    return _started(QProcess.startDetached(program, arguments))


def _started(result: object) -> bool:
    """startDetached answers (ok, pid) as a static function and ok alone as a method."""
    return bool(result[0] if isinstance(result, tuple) else result)


def start_explorer_select(path: str) -> bool:
    """explorer parses its own command line: `/select,"C:\\a b\\c.jpg"` works where Qt's quoting of the whole
    argument would open the Documents folder instead."""
    process = QProcess()
    process.setProgram("explorer.exe")
    native = QDir.toNativeSeparators(path)
    if hasattr(process, "setNativeArguments"):  # Windows builds of Qt only
        process.setNativeArguments(f'/select,"{native}"')
    else:
        process.setArguments([f"/select,{native}"])
    return _started(process.startDetached())


class Revealer(QObject):
    """`reveal(path)`; the launchers are attributes so tests (and other platforms) can replace them."""

    def __init__(self, parent: QObject | None = None, platform: str = sys.platform) -> None:
        super().__init__(parent)
        self.platform = platform
        self.launch: Callable[[str, list[str]], bool] = start_detached
        self.explorer_select: Callable[[str], bool] = start_explorer_select
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        self.show_items: Callable[[str], bool] = self._ask_file_manager
        self._pending: set[QDBusPendingCallWatcher] = set()

    def reveal(self, path: str) -> None:
        if self.platform == "darwin":
            shown = self.launch("open", ["-R", path])
        elif self.platform == "win32":
            shown = self.explorer_select(path)
        else:
            shown = self.show_items(path)
        if not shown:
            self.open_folder(path)

    def open_folder(self, path: str) -> None:
        self.open_url(QUrl.fromLocalFile(str(Path(path).parent)))

    def _ask_file_manager(self, path: str) -> bool:
        """Send ShowItems without waiting for the answer; an error answer opens the folder. False: no bus."""
        bus = QDBusConnection.sessionBus()
        if not bus.isConnected():
            return False
        message = QDBusMessage.createMethodCall(*FILE_MANAGER, "ShowItems")
        message.setArguments([[QUrl.fromLocalFile(path).toString()], ""])
        watcher = QDBusPendingCallWatcher(bus.asyncCall(message), self)
        self._pending.add(watcher)
        watcher.finished.connect(lambda done: self._answered(done, path))
        return True

    def _answered(self, watcher: QDBusPendingCallWatcher, path: str) -> None:
        self._pending.discard(watcher)
        if watcher.isError():
            self.open_folder(path)
        watcher.deleteLater()
