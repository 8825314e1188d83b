"""The desktop app's composition root: logging and the error hook, the QApplication, the library's op runner and
the main window."""

from __future__ import annotations

import logging
import sys

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from core.logs import setup_logging
from ui.ops.runner import OpRunner
from ui.shell.collector import Collector
from ui.shell.error_hook import ErrorReporter
from ui.shell.main_window import MainWindow, app_icon
from ui.shell.settings import APPLICATION, ORGANIZATION

log = logging.getLogger("twinlens.app")


def run_gui(argv: list[str] | None = None) -> int:
    log_files = setup_logging("app", console_level=logging.INFO)
    app = QApplication.instance() or QApplication(sys.argv if argv is None else argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)  # Qt adds it to every window title
    app.setWindowIcon(app_icon())
    runner = OpRunner()  # the library folder: $TWINLENS_LIBRARY, else the platform's user data dir
    window = MainWindow(runner, QSettings())  # asks for the library to open
    Collector(runner, window)  # full garbage collections only while the library is idle
    ErrorReporter(window, log_files.log if log_files else None).install()
    runner.start()  # the library thread: it opens the library and runs the ops, in order
    window.show()
    code = int(app.exec())
    log.info("app session ended (exit code %d)", code)
    return code
