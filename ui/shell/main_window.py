"""The main window: holds the panels, routes the actions, and shuts the library thread down cleanly on close.

Panels ask the library for what they show through the op runner and refresh on its `changed` flags; the window
only opens the library, reports failures and notices, and routes the menu actions."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QIcon
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from core.entities import ScanSummary
from core.logs import log_dir
from core.tiers.keep import DEFAULT_RULES, KeepRule
from ui.models.download import ModelDownloader
from ui.models.feed import ModelsFeed
from ui.models.manager import ModelManagerDialog
from ui.ops import library_ops
from ui.ops.messages import LibraryOpened
from ui.ops.runner import OpFailure, OpRunner
from ui.query.panel import QueryPanel
from ui.review.keep_rules import KeepRulesDialog
from ui.review.panel import ReviewPanel
from ui.scan.control import ScanControl
from ui.scan.library import FolderPicker, LibraryPanel, pick_folder
from ui.scan.panel import ScanPanel, scan_request
from ui.scan.problems import ProblemsPanel
from ui.shell.actions import AppActions
from ui.shell.error_hook import open_log_folder
from ui.shell.settings import FolderSettings, forget_legacy_folders, load_geometry, load_legacy_folders, save_geometry
from ui.shell.thumbnails import ThumbnailCache
from ui.trash.flow import TrashFlow

log = logging.getLogger(__name__)
STATUS_TIMEOUT_MS = 8000
# Qt appends the application's display name (app/gui.py: "Twinlens"): the title shows "Duplicate photos — Twinlens".
WINDOW_TITLE = "Duplicate photos"
RESULT_THUMB_SIZE = QSize(160, 160)


def app_icon() -> QIcon:
    try:
        icon = resources.files("resources").joinpath("twinlens.svg")
        with resources.as_file(icon) as path:
            return QIcon(str(path)) if Path(path).is_file() else QIcon()
    except (ModuleNotFoundError, FileNotFoundError):
        return QIcon()


class MainWindow(QMainWindow):
    opened = Signal(object)  # LibraryOpened, once the library is open and its folders shown

    def __init__(
        self,
        runner: OpRunner,
        settings: QSettings,
        picker: FolderPicker = pick_folder,
        parent: QWidget | None = None,
    ) -> None:
        """Asks the runner to open the library (it does once started)."""
        super().__init__(parent)
        self.runner = runner
        self.settings = settings
        self.setWindowTitle(WINDOW_TITLE)  # the app's display name, "Twinlens", is added by Qt
        self.setWindowIcon(app_icon())
        self.resize(1280, 820)
        geometry = load_geometry(settings)
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.actions_ = AppActions(self)
        self.thumbnails = ThumbnailCache(parent=self)
        self.result_thumbnails = ThumbnailCache(RESULT_THUMB_SIZE, parent=self)
        self.downloader = ModelDownloader(self)
        self.scans = ScanControl(runner, self)
        self._scan_when_models_known = False
        self.models = ModelsFeed(runner, self)
        self.model_manager: ModelManagerDialog | None = None
        self._rules: tuple[KeepRule, ...] = DEFAULT_RULES
        self._legacy_folders = load_legacy_folders(settings)
        self.library_panel = LibraryPanel(FolderSettings(), picker)
        self.library_panel.setEnabled(False)  # until the library's folders arrive
        self.scan_panel = ScanPanel(self.actions_.scan, self.actions_.cancel_scan)
        a = self.actions_
        review_actions = [a.auto_select, a.keep_rules, a.clear_marks, a.not_duplicates, a.trash, a.undo]
        review_actions.insert(0, a.compare)
        self.review_panel = ReviewPanel(runner, self.thumbnails, review_actions, settings=settings)
        result_actions = [a.open_result, a.reveal_result, a.result_in_review]
        self.query_panel = QueryPanel(
            runner, self.models, self.result_thumbnails, settings, result_actions, a.choose_query
        )
        self.problems_panel = ProblemsPanel(runner)
        self.trash_flow = TrashFlow(runner, self.review_panel.trash_request, self, self.review_panel.keep_instead)
        self.keep_rules_dialog: KeepRulesDialog | None = None
        self.last_box: QMessageBox | None = None
        self.tabs = QTabWidget()
        for panel, title in self._panels():
            self.tabs.addTab(panel, title)
        self.setCentralWidget(self.tabs)
        self.setAcceptDrops(True)
        self._build_menus()
        self._connect_actions()
        self._connect_runner()
        runner.run(library_ops.open_library(self._legacy_folders), on_done=self._on_opened)

    def _panels(self) -> list[tuple[QWidget, str]]:
        return [
            (self.library_panel, "Library"),
            (self.scan_panel, "Scan"),
            (self.review_panel, "Review"),
            (self.query_panel, "Search"),
            (self.problems_panel, "Problems"),
        ]

    def _build_menus(self) -> None:
        a = self.actions_
        file_menu = self.menuBar().addMenu("&File")
        for action in (a.scan, a.cancel_scan, a.quit):
            file_menu.addAction(action)
        review_menu = self.menuBar().addMenu("&Review")
        for action in (a.compare, a.auto_select, a.keep_rules, a.clear_marks, a.not_duplicates, a.trash, a.undo):
            review_menu.addAction(action)
        review_menu.addAction(a.journal)
        a.journal.triggered.connect(self.trash_flow.show_journal)
        search_menu = self.menuBar().addMenu("&Search")
        for action in (a.choose_query, a.paste_query, a.open_result, a.reveal_result, a.result_in_review):
            search_menu.addAction(action)
        self.menuBar().addMenu("&Tools").addAction(a.models)
        self.menuBar().addMenu("&Help").addAction(a.open_log_folder)

    def _connect_actions(self) -> None:
        a = self.actions_
        a.scan.triggered.connect(self.start_scan)
        a.cancel_scan.triggered.connect(self.scans.cancel)
        a.auto_select.triggered.connect(self.review_panel.auto_select)
        a.keep_rules.triggered.connect(self.edit_keep_rules)
        a.clear_marks.triggered.connect(self.review_panel.clear_marks)
        a.not_duplicates.triggered.connect(self.review_panel.not_duplicates)
        a.trash.triggered.connect(self.trash_flow.start)
        a.undo.triggered.connect(self.trash_flow.undo)
        a.quit.triggered.connect(self.close)
        a.compare.triggered.connect(self.review_panel.compare)
        a.choose_query.triggered.connect(self._choose_query)
        a.paste_query.triggered.connect(self.paste)
        a.open_result.triggered.connect(self.query_panel.open_current)
        a.reveal_result.triggered.connect(self.query_panel.reveal_current)
        a.result_in_review.triggered.connect(self.query_panel.review_current)
        a.models.triggered.connect(self.open_models)
        a.open_log_folder.triggered.connect(self._open_log_folder)
        self.query_panel.connect_selection(a.set_result_selected)
        self.query_panel.review_requested.connect(self.show_in_review)
        self.library_panel.folders_changed.connect(self._on_folders_changed)
        self.review_panel.message.connect(self.show_message)
        self.trash_flow.message.connect(self.show_message)

    def _connect_runner(self) -> None:
        self.runner.failed.connect(self._on_failed)
        self.runner.notice.connect(self._on_notice)
        self.models.ready.connect(self.scan_panel.on_models)
        self.models.ready.connect(self._scan_if_asked)
        s = self.scans
        s.started.connect(self.scan_panel.on_started)
        s.started.connect(lambda: self.actions_.set_scanning(True))
        s.progress.connect(self.scan_panel.on_progress)
        s.finished.connect(self._on_scan_finished)
        s.refused.connect(self._on_notice)

    # --- reactions ------------------------------------------------------------------------------------------

    def _on_opened(self, opened: LibraryOpened) -> None:
        """The panels load what they show from the runner's `changed` (everything, for a library just opened)."""
        self._rules = opened.keep_rules
        self._show_folders(opened.folders)
        self.thumbnails.attach(opened.directory)
        self.result_thumbnails.attach(opened.directory)
        self.show_message(f"Library: {opened.directory}")
        log.info("library opened: %s", opened.directory)
        self.opened.emit(opened)

    def _show_folders(self, folders: FolderSettings) -> None:
        """The library's folders (the same the command line uses); any kept in QSettings are in there now."""
        self.library_panel.set_folders(folders)
        self.library_panel.setEnabled(True)
        if self._legacy_folders != FolderSettings():
            forget_legacy_folders(self.settings)
            self._legacy_folders = FolderSettings()

    def _on_folders_changed(self, folders: FolderSettings) -> None:
        self.runner.run(library_ops.set_folders(folders))

    def _on_scan_finished(self, summary: ScanSummary | None) -> None:
        self.actions_.set_scanning(False)
        self.scan_panel.on_finished(summary)
        self.thumbnails.invalidate()
        self.result_thumbnails.invalidate()
        if summary is not None:
            self.show_message("Scan cancelled." if summary.cancelled else f"Scan finished: {summary.seen:,} files.")

    def _on_failed(self, failure: OpFailure) -> None:
        self.show_message(f"Could not {failure.action}: {failure.message}")
        self._inform(QMessageBox.Icon.Warning, f"Could not {failure.action}.\n\n{failure.message}")

    def _on_notice(self, text: str) -> None:
        self.show_message(text)
        self._inform(QMessageBox.Icon.Information, text)

    def _inform(self, icon: QMessageBox.Icon, text: str) -> None:
        """A window-modal box that does not block the event loop (the library thread keeps reporting meanwhile)."""
        box = QMessageBox(icon, "Twinlens", text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.last_box = box
        box.open()

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_TIMEOUT_MS)

    # --- commands -------------------------------------------------------------------------------------------

    def start_scan(self) -> None:
        """Scan with the active model when its weights are here (embedding as it goes), else without one."""
        request = self.library_panel.folders.scan_request()
        if not request.roots:
            self.tabs.setCurrentWidget(self.library_panel)
            self.show_message("Add a folder to scan first (Library → Folders to scan).")
            return
        if self.models.state is None:  # which model to embed with is still on its way: scan as soon as it is here
            self._scan_when_models_known = True
            self.show_message("Checking which image model to scan with…")
            return
        request = scan_request(request, self.models.state)
        model = request.model
        if self.scans.start(request):
            self.tabs.setCurrentWidget(self.scan_panel)
            self.show_message(f"Scanning with {model}." if model else "Scanning without an image model.")

    def _scan_if_asked(self) -> None:
        """A scan asked for before the models' state arrived (a click right after the window opened) starts now,
        with the model it says, rather than without one."""
        if self._scan_when_models_known:
            self._scan_when_models_known = False
            self.start_scan()

    def open_models(self) -> None:
        if self.model_manager is None:
            self.model_manager = ModelManagerDialog(
                self.runner, self.models, self.downloader, self.settings, parent=self
            )
        self.model_manager.show()
        self.model_manager.raise_()

    def _open_log_folder(self) -> None:
        if not open_log_folder():
            self.show_message(f"Could not open the log folder: {log_dir()}")

    def show_in_review(self, file_id: int) -> None:
        if self.review_panel.show_file(file_id):
            self.tabs.setCurrentWidget(self.review_panel)
        else:
            self.show_message("That photo is not in any duplicate group at the current thresholds.")

    def _choose_query(self) -> None:
        self.tabs.setCurrentWidget(self.query_panel)
        self.query_panel.choose_files()

    def paste(self) -> None:
        """Ctrl+V: search with the image (or image file) on the clipboard."""
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and self.query_panel.paste(mime):
            self.tabs.setCurrentWidget(self.query_panel)
        else:
            self.show_message("The clipboard holds no image or image file to search with.")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.query_panel.accept_drag(event)

    def dropEvent(self, event: QDropEvent) -> None:
        """Photos dropped anywhere on the window are searched for."""
        if self.query_panel.drop(event.mimeData()):
            event.acceptProposedAction()
            self.tabs.setCurrentWidget(self.query_panel)

    def edit_keep_rules(self) -> None:
        dialog = KeepRulesDialog(self._rules, self)
        dialog.accepted.connect(lambda: self._apply_keep_rules(dialog))
        self.keep_rules_dialog = dialog
        dialog.open()

    def _apply_keep_rules(self, dialog: KeepRulesDialog) -> None:
        """The review panel regroups on the GROUPS this changes, then marks what the new rules do not keep."""
        rules = dialog.rules()
        self.review_panel.reselect_after_regroup()
        self.runner.run(library_ops.set_keep_rules(rules), on_done=lambda _changes: self._keep(rules))

    def _keep(self, rules: tuple[KeepRule, ...]) -> None:
        self._rules = rules

    @property
    def keep_rules(self) -> tuple[KeepRule, ...]:
        """The library's keep rules, as last stored."""
        return self._rules

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel a running scan and wait for the library thread to commit and close the catalog."""
        if self.scans.running:
            self.show_message("Cancelling the scan…")
        save_geometry(self.settings, self.saveGeometry())
        self.downloader.cancel()
        self.thumbnails.shutdown()
        self.result_thumbnails.shutdown()
        self.runner.shutdown()
        event.accept()
