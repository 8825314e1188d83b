"""The main window: holds the panels, routes the actions, and shuts the worker down cleanly on close."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QIcon
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget, QWidget

from core.entities import ScanSummary
from core.tiers.keep import DEFAULT_RULES, KeepRule
from ui.models.download import ModelDownloader
from ui.models.manager import ModelManagerDialog
from ui.ops.client import LibraryClient
from ui.ops.messages import LibraryOpened, ModelsState, WorkerFailure
from ui.query.panel import QueryPanel
from ui.review.keep_rules import KeepRulesDialog
from ui.review.panel import ReviewPanel
from ui.scan.library import FolderPicker, LibraryPanel, pick_folder
from ui.scan.panel import ScanPanel, scan_request
from ui.scan.problems import ProblemsPanel
from ui.shell.actions import AppActions
from ui.shell.settings import FolderSettings, forget_legacy_folders, load_geometry, load_legacy_folders, save_geometry
from ui.shell.thumbnails import ThumbnailCache
from ui.trash.flow import TrashFlow

STATUS_TIMEOUT_MS = 8000
RESULT_THUMB_SIZE = QSize(160, 160)


def app_icon() -> QIcon:
    try:
        icon = resources.files("resources").joinpath("twinlens.svg")
        with resources.as_file(icon) as path:
            return QIcon(str(path)) if Path(path).is_file() else QIcon()
    except (ModuleNotFoundError, FileNotFoundError):
        return QIcon()


class MainWindow(QMainWindow):
    def __init__(
        self,
        client: LibraryClient,
        settings: QSettings,
        picker: FolderPicker = pick_folder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.settings = settings
        self.setWindowTitle("Twinlens — duplicate photos")
        self.setWindowIcon(app_icon())
        self.resize(1280, 820)
        geometry = load_geometry(settings)
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.actions_ = AppActions(self)
        self.thumbnails = ThumbnailCache(parent=self)
        self.result_thumbnails = ThumbnailCache(RESULT_THUMB_SIZE, parent=self)
        self.downloader = ModelDownloader(self)
        self.models_state: ModelsState | None = None
        self.model_manager: ModelManagerDialog | None = None
        self._rules: tuple[KeepRule, ...] = DEFAULT_RULES
        self._legacy_folders = load_legacy_folders(settings)
        client.migrate_folders(self._legacy_folders)
        self.library_panel = LibraryPanel(FolderSettings(), picker)
        self.library_panel.setEnabled(False)  # until the library's folders arrive
        self.scan_panel = ScanPanel(self.actions_.scan, self.actions_.cancel_scan)
        a = self.actions_
        review_actions = [a.auto_select, a.keep_rules, a.clear_marks, a.not_duplicates, a.trash, a.undo]
        review_actions.insert(0, a.compare)
        self.review_panel = ReviewPanel(client, self.thumbnails, review_actions, settings=settings)
        result_actions = [a.open_result, a.reveal_result, a.result_in_review]
        self.query_panel = QueryPanel(client, self.result_thumbnails, settings, result_actions, a.choose_query)
        self.problems_panel = ProblemsPanel()
        self.trash_flow = TrashFlow(client, self.review_panel.trash_request, self)
        self.keep_rules_dialog: KeepRulesDialog | None = None
        self.last_box: QMessageBox | None = None
        self.tabs = QTabWidget()
        for panel, title in self._panels():
            self.tabs.addTab(panel, title)
        self.setCentralWidget(self.tabs)
        self.setAcceptDrops(True)
        self._build_menus()
        self._connect_actions()
        self._connect_client()

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

    def _connect_actions(self) -> None:
        a = self.actions_
        a.scan.triggered.connect(self.start_scan)
        a.cancel_scan.triggered.connect(self.client.cancel_scan)
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
        self.query_panel.connect_selection(a.set_result_selected)
        self.query_panel.review_requested.connect(self.show_in_review)
        self.library_panel.folders_changed.connect(self._on_folders_changed)
        self.review_panel.message.connect(self.show_message)
        self.trash_flow.message.connect(self.show_message)

    def _connect_client(self) -> None:
        c = self.client
        c.opened.connect(self._on_opened)
        c.folders_ready.connect(self._on_folders_loaded)
        c.scan_started.connect(self.scan_panel.on_started)
        c.scan_started.connect(lambda: self.actions_.set_scanning(True))
        c.scan_progress.connect(self.scan_panel.on_progress)
        c.scan_finished.connect(self._on_scan_finished)
        c.groups_ready.connect(self.review_panel.on_groups)
        c.problems_ready.connect(self.problems_panel.on_problems)
        c.keep_rules_ready.connect(self._on_keep_rules)
        c.library_changed.connect(self.review_panel.refresh_all)
        c.failed.connect(self._on_failed)
        c.notice.connect(self._on_notice)
        c.models_ready.connect(self._on_models)

    # --- reactions ------------------------------------------------------------------------------------------

    def _on_opened(self, opened: LibraryOpened) -> None:
        self._rules = opened.keep_rules
        self.thumbnails.attach(opened.directory)
        self.result_thumbnails.attach(opened.directory)
        self.review_panel.refresh_all()
        self.show_message(f"Library: {opened.directory}")

    def _on_keep_rules(self, rules: tuple[KeepRule, ...]) -> None:
        self._rules = rules

    def _on_folders_loaded(self, folders: FolderSettings) -> None:
        """The library's folders (the same the command line uses); any kept in QSettings are in there now."""
        self.library_panel.set_folders(folders)
        self.library_panel.setEnabled(True)
        if self._legacy_folders != FolderSettings():
            forget_legacy_folders(self.settings)
            self._legacy_folders = FolderSettings()

    def _on_folders_changed(self, folders: FolderSettings) -> None:
        self.client.set_folders(folders)

    def _on_scan_finished(self, summary: ScanSummary | None) -> None:
        self.actions_.set_scanning(False)
        self.scan_panel.on_finished(summary)
        self.thumbnails.invalidate()
        self.result_thumbnails.invalidate()
        if summary is not None:
            self.show_message("Scan cancelled." if summary.cancelled else f"Scan finished: {summary.seen:,} files.")

    def _on_models(self, state: ModelsState) -> None:
        self.models_state = state
        self.scan_panel.on_models(state)

    def _on_failed(self, failure: WorkerFailure) -> None:
        self.show_message(f"Could not {failure.action}: {failure.message}")
        self._inform(QMessageBox.Icon.Warning, f"Could not {failure.action}.\n\n{failure.message}")

    def _on_notice(self, text: str) -> None:
        self.show_message(text)
        self._inform(QMessageBox.Icon.Information, text)

    def _inform(self, icon: QMessageBox.Icon, text: str) -> None:
        """A window-modal box that does not block the event loop (the worker keeps reporting meanwhile)."""
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
        request = scan_request(request, self.models_state)
        model = request.model
        if self.client.start_scan(request):
            self.tabs.setCurrentWidget(self.scan_panel)
            self.show_message(f"Scanning with {model}." if model else "Scanning without an image model.")

    def open_models(self) -> None:
        if self.model_manager is None:
            self.model_manager = ModelManagerDialog(self.client, self.downloader, self.settings, parent=self)
        self.model_manager.show()
        self.model_manager.raise_()

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
        self.review_panel.reselect_after_regroup()
        self.client.set_keep_rules(dialog.rules())

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel a running scan and wait for the worker to commit and close the catalog."""
        if self.client.scanning:
            self.show_message("Cancelling the scan…")
        save_geometry(self.settings, self.saveGeometry())
        self.downloader.cancel()
        self.thumbnails.shutdown()
        self.result_thumbnails.shutdown()
        self.client.shutdown()
        event.accept()
