"""The app's error hook: an exception nobody caught (in a slot, on any thread) is logged with its traceback and
shown in a dialog that says where the log is; the app carries on.

A bundled app has no console, so without this an error in a slot would leave nothing behind."""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from core.logs import log_dir, log_uncaught

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]
ThreadExceptHook = Callable[[threading.ExceptHookArgs], object]


def open_log_folder() -> bool:
    """Show the log folder in the file manager (Help → Open log folder, and the error dialog)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir())))


class ErrorReporter(QObject):
    """Install once the main window exists: the dialog is window-modal over it and never blocks the event loop."""

    _report = Signal(str, str)  # what happened (one line), the traceback

    def __init__(self, window: QWidget, log_file: Path | None) -> None:
        super().__init__(window)
        self.window = window
        self.log_file = log_file
        self.dialog: QMessageBox | None = None
        self.errors = 0  # since the dialog was last shown
        self._previous: tuple[ExceptHook, ThreadExceptHook] | None = None
        # Queued: the hook may run on any thread, and mid-slot on the GUI thread; the dialog is built later, there.
        self._report.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def install(self) -> None:
        self._previous = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def excepthook(self, exc_type: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        log_uncaught(exc_type, value, tb)
        if sys.stderr is not None:  # a terminal, when there is one
            sys.__excepthook__(exc_type, value, tb)
        summary = "".join(traceback.format_exception_only(exc_type, value)).strip()
        self._report.emit(summary, "".join(traceback.format_exception(exc_type, value, tb)))

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, summary: str, details: str) -> None:
        self.errors += 1
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.setText(self._headline())  # one dialog at a time: a burst of errors says how many
            return
        self.errors = 1
        self.dialog = self._dialog(summary, details)
        self.dialog.open()

    def _headline(self) -> str:
        if self.errors == 1:
            return "Twinlens ran into an unexpected error and carried on."
        return f"Twinlens ran into {self.errors} unexpected errors and carried on."

    def _dialog(self, summary: str, details: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.Critical, "Twinlens", self._headline(), parent=self.window)
        where = f"The details are in the log:\n{self.log_file}" if self.log_file else "The details are below."
        box.setInformativeText(f"{summary}\n\n{where}\nPlease send it with a description of what you did.")
        box.setDetailedText(details)
        box.addButton(QMessageBox.StandardButton.Close)
        box.addButton("Open log folder", QMessageBox.ButtonRole.ActionRole).clicked.connect(open_log_folder)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(self._forget_dialog)
        return box

    def _forget_dialog(self) -> None:
        self.dialog = None
