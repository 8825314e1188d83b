"""The GUI's face of the worker: sends requests across threads and re-emits the answers in the GUI thread."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QObject, QThread, Signal

from core.cancel import CancelToken
from core.entities import DuplicateGroup, ScanRequest, ScanSummary, Tier
from core.safety.trash import TrashRequest
from core.tiers.keep import KeepRule
from ui.ops.messages import GroupsQuery, ImageQuery, TextQuery
from ui.ops.worker import LibraryWorker
from ui.shell.settings import FolderSettings

log = logging.getLogger(__name__)
SCAN_RUNNING = "A scan is already running. Wait for it to finish or cancel it first."


class LibraryClient(QObject):
    # answers, always delivered in the GUI thread
    opened = Signal(object)
    folders_ready = Signal(object)  # FolderSettings, once when the library opens (before `opened`)
    scan_started = Signal()
    scan_progress = Signal(object)
    scan_finished = Signal(object)  # ScanSummary, or None when the scan failed
    groups_ready = Signal(object)
    problems_ready = Signal(object)
    keep_rules_ready = Signal(object)
    trash_preview_ready = Signal(object)
    trash_done = Signal(object)
    undo_done = Signal(object)
    journal_ready = Signal(object)  # tuple[JournalBatch, ...], newest first
    library_changed = Signal()
    failed = Signal(object)
    notice = Signal(str)  # something refused or worth telling, in plain words
    query_done = Signal(object)  # QueryAnswer
    models_ready = Signal(object)  # ModelsState
    switch_estimate_ready = Signal(object)  # SwitchEstimate
    weights_imported = Signal(object)  # WeightsImported

    # requests, queued to the worker thread
    _open = Signal(object)
    _close = Signal()
    _scan = Signal(object, object)
    _groups = Signal(object)
    _problems = Signal()
    _keep_rules = Signal(object)
    _folders = Signal(object)
    _not_duplicates = Signal(object)
    _preview_trash = Signal(object)
    _trash = Signal(object)
    _undo = Signal(object)  # batch id, or None for the newest undoable batch
    _journal = Signal(int)
    _allow_quarantine = Signal(object)
    _query_images = Signal(object)
    _query_text = Signal(object)
    _load_models = Signal()
    _import_weights = Signal(str, object)
    _estimate_switch = Signal(str)
    _set_active_model = Signal(str)
    _set_device = Signal(str)

    def __init__(self, library_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._token: CancelToken | None = None
        self._generation = 0
        self._thread = QThread()
        self._thread.setObjectName("twinlens-library")
        self._worker = LibraryWorker(library_dir)
        self._worker.moveToThread(self._thread)
        self._wire_requests()
        self._wire_answers()
        self._thread.finished.connect(self._worker.deleteLater)
        self._running = False
        self._legacy_folders = FolderSettings()

    def _wire_requests(self) -> None:
        w = self._worker
        pairs = [
            (self._open, w.open),
            (self._close, w.close),
            (self._scan, w.scan),
            (self._groups, w.load_groups),
            (self._problems, w.load_problems),
            (self._keep_rules, w.set_keep_rules),
            (self._folders, w.set_folders),
            (self._not_duplicates, w.mark_not_duplicates),
            (self._preview_trash, w.preview_trash),
            (self._trash, w.trash),
            (self._undo, w.undo),
            (self._journal, w.load_journal),
            (self._allow_quarantine, w.allow_quarantine),
            (self._query_images, w.query_images),
            (self._query_text, w.query_text),
            (self._load_models, w.load_models),
            (self._import_weights, w.import_weights),
            (self._estimate_switch, w.estimate_switch),
            (self._set_active_model, w.set_active_model),
            (self._set_device, w.set_device),
        ]
        for request, slot in pairs:
            request.connect(slot)

    def _wire_answers(self) -> None:
        w = self._worker
        w.opened.connect(self.opened)
        w.folders_ready.connect(self.folders_ready)
        w.scan_progress.connect(self.scan_progress)
        w.scan_finished.connect(self._on_scan_finished)
        w.groups_ready.connect(self.groups_ready)
        w.problems_ready.connect(self.problems_ready)
        w.keep_rules_ready.connect(self.keep_rules_ready)
        w.trash_preview_ready.connect(self.trash_preview_ready)
        w.trash_done.connect(self.trash_done)
        w.undo_done.connect(self.undo_done)
        w.journal_ready.connect(self.journal_ready)
        w.library_changed.connect(self.library_changed)
        w.failed.connect(self.failed)
        w.notice.connect(self.notice)
        w.query_done.connect(self.query_done)
        w.models_ready.connect(self.models_ready)
        w.switch_estimate_ready.connect(self.switch_estimate_ready)
        w.weights_imported.connect(self.weights_imported)

    # --- lifecycle --------------------------------------------------------------------------------------

    def migrate_folders(self, legacy: FolderSettings) -> None:
        """Before start: folders an earlier version kept in QSettings, added to the library's when it opens."""
        self._legacy_folders = legacy

    def start(self) -> None:
        """Start the worker thread; the Library is created there, never in the GUI thread."""
        self._thread.start()
        self._running = True
        self._open.emit(self._legacy_folders)

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Cancel a running scan, close the catalog in its own thread and wait for the thread to end."""
        if not self._running:
            return True
        self._running = False
        self.cancel_scan()
        self._close.emit()
        finished = self._thread.wait(QDeadlineTimer(timeout_ms))
        if not finished:
            log.error("the library worker did not stop within %d ms", timeout_ms)
        return bool(finished)

    @property
    def stopped(self) -> bool:
        """The worker thread has ended (after shutdown)."""
        return bool(self._thread.isFinished())

    # --- scanning ---------------------------------------------------------------------------------------

    @property
    def scanning(self) -> bool:
        return self._token is not None

    def start_scan(self, request: ScanRequest) -> bool:
        if self._token is not None:
            self.notice.emit(SCAN_RUNNING)
            return False
        self._token = CancelToken()
        self.scan_started.emit()
        self._scan.emit(request, self._token)
        return True

    def cancel_scan(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def _on_scan_finished(self, summary: ScanSummary | None) -> None:
        self._token = None
        self.scan_finished.emit(summary)

    # --- everything else --------------------------------------------------------------------------------

    def load_groups(self, thresholds: Sequence[tuple[Tier, float | None]]) -> int:
        """Ask for groups; answers carry the returned generation so stale ones can be ignored."""
        self._generation += 1
        self._groups.emit(GroupsQuery(tuple(thresholds), self._generation))
        return self._generation

    def load_problems(self) -> None:
        self._problems.emit()

    def set_keep_rules(self, rules: Sequence[KeepRule]) -> None:
        self._keep_rules.emit(tuple(rules))

    def set_folders(self, folders: FolderSettings) -> None:
        """Store the folders to scan, protected and excluded folders in the library."""
        self._folders.emit(folders)

    def mark_not_duplicates(self, group: DuplicateGroup) -> None:
        self._not_duplicates.emit(group)

    def preview_trash(self, request: TrashRequest) -> None:
        self._preview_trash.emit(request)

    def trash(self, request: TrashRequest) -> None:
        self._trash.emit(request)

    def undo(self, batch_id: str | None = None) -> None:
        """Undo one journal batch; None: the one plain undo takes (the newest that has not failed)."""
        self._undo.emit(batch_id)

    def load_journal(self, limit: int = 200) -> None:
        self._journal.emit(limit)

    def allow_quarantine(self, volumes: Sequence[str]) -> None:
        """The person agreed to a quarantine folder on these volumes (they have no trash)."""
        self._allow_quarantine.emit(tuple(volumes))

    # --- queries and models -----------------------------------------------------------------------------

    def query_images(self, paths: Sequence[Path], k: int = 24) -> int:
        """Search by example images; the answer carries the returned generation (older answers are stale)."""
        self._generation += 1
        self._query_images.emit(ImageQuery(tuple(paths), k, self._generation))
        return self._generation

    def query_text(self, text: str, k: int = 24) -> int:
        self._generation += 1
        self._query_text.emit(TextQuery(text, k, self._generation))
        return self._generation

    def load_models(self) -> None:
        self._load_models.emit()

    def import_weights(self, name: str, source: Path) -> None:
        self._import_weights.emit(name, source)

    def estimate_switch(self, name: str) -> None:
        self._estimate_switch.emit(name)

    def set_active_model(self, name: str) -> None:
        self._set_active_model.emit(name)

    def set_device(self, device: str) -> None:
        self._set_device.emit(device)
