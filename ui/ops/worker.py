"""The one background worker: owns the Library (and so the SQLite connection) inside its own thread.

The GUI never calls these slots directly; `LibraryClient` reaches them through queued signal connections,
and every answer goes back as a signal carrying plain frozen dataclasses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.cancel import CancelToken
from core.embed.errors import EmbedError
from core.embed.weights import hf_offline
from core.entities import DuplicateGroup, ScanRequest
from core.library import Library
from core.models.manager import import_weights, model_statuses, switch_estimate
from core.models.service import QueryResult
from core.safety.trash import TrashRequest
from core.store.writer_lock import LibraryWriteError
from core.tiers.keep import KeepRule
from ui.ops.messages import (
    GroupsQuery,
    GroupsResult,
    ImageQuery,
    LibraryOpened,
    ModelsState,
    QueryAnswer,
    TextQuery,
    WeightsImported,
    WorkerFailure,
)
from ui.shell.settings import FolderSettings

log = logging.getLogger(__name__)
DEVICES = ("auto", "cpu", "cuda", "mps")
NO_MODEL = (
    "Searching needs an image model that has embedded this library. Open Models…, choose a model whose "
    "weights are on this computer (e.g. import the SSCD ONNX file), then scan again."
)


class LibraryWorker(QObject):
    opened = Signal(object)  # LibraryOpened
    folders_ready = Signal(object)  # FolderSettings: the library's folders (sent before `opened`)
    scan_progress = Signal(object)  # ScanProgress
    scan_finished = Signal(object)  # ScanSummary
    groups_ready = Signal(object)  # GroupsResult
    problems_ready = Signal(object)  # tuple[Problem, ...]
    keep_rules_ready = Signal(object)  # tuple[KeepRule, ...]
    trash_preview_ready = Signal(object)  # TrashPreview
    trash_done = Signal(object)  # TrashOutcome
    undo_done = Signal(object)  # UndoOutcome
    journal_ready = Signal(object)  # tuple[JournalBatch, ...], newest first
    library_changed = Signal()  # groups must be fetched again
    failed = Signal(object)  # WorkerFailure
    notice = Signal(str)  # something the library repaired on its own (a damaged index rebuilt)
    query_done = Signal(object)  # QueryAnswer
    models_ready = Signal(object)  # ModelsState
    switch_estimate_ready = Signal(object)  # SwitchEstimate
    weights_imported = Signal(object)  # WeightsImported

    def __init__(self, library_dir: Path | None) -> None:
        super().__init__()
        self._library_dir = library_dir
        self._library: Library | None = None

    @property
    def library(self) -> Library:
        if self._library is None:
            raise RuntimeError("the library is not open")
        return self._library

    def _guard(self, action: str, job: Callable[[], None]) -> None:
        try:
            job()
            for text in self._library.take_notices() if self._library is not None else ():
                self.notice.emit(text)
        except LibraryWriteError as exc:  # another process writing, a read-only library, a full disk: no bug
            log.warning("worker: %s refused: %s", action, exc)
            self.failed.emit(WorkerFailure(action, str(exc)))
        except Exception as exc:  # reported to the person, never lost in the thread
            log.exception("worker: %s failed", action)
            self.failed.emit(WorkerFailure(action, str(exc) or type(exc).__name__))

    @Slot(object)
    def open(self, legacy: FolderSettings) -> None:
        """Open the library; folders an earlier version kept in QSettings (`legacy`) are added to its own."""

        def job() -> None:
            self._library = Library(self._library_dir, on_wait=lambda message: log.warning("%s", message))
            lib = self._library
            if legacy != FolderSettings():
                self._store_folders(self._folders().merged(legacy))
            self.folders_ready.emit(self._folders())
            self.opened.emit(LibraryOpened(lib.dir, tuple(lib.keep_rules()), tuple(lib.protected_folders())))
            self.problems_ready.emit(tuple(lib.problems()))
            self._emit_models()

        self._guard("open the library", job)

    @Slot()
    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None
        thread = QThread.currentThread()
        thread.quit()

    @Slot(object, object)
    def scan(self, request: ScanRequest, token: CancelToken) -> None:
        def job() -> None:
            try:
                summary = self.library.scan(request, self.scan_progress.emit, token)
            except BaseException:
                self.scan_finished.emit(None)
                raise
            self.scan_finished.emit(summary)
            self.problems_ready.emit(tuple(self.library.problems()))
            self.library_changed.emit()
            if request.model:
                self._emit_models()  # embedded counts changed

        self._guard("scan", job)

    @Slot(object)
    def load_groups(self, query: GroupsQuery) -> None:
        self._guard("group duplicates", lambda: self._emit_groups(query))

    def _emit_groups(self, query: GroupsQuery) -> None:
        for tier, threshold in query.thresholds:
            try:
                groups = tuple(self.library.groups(tier, threshold))
            except ValueError as exc:
                self.groups_ready.emit(GroupsResult(tier, threshold, (), str(exc), query.generation))
                continue
            self.groups_ready.emit(GroupsResult(tier, threshold, groups, None, query.generation))

    @Slot()
    def load_problems(self) -> None:
        self._guard("list problems", lambda: self.problems_ready.emit(tuple(self.library.problems())))

    @Slot(object)
    def set_keep_rules(self, rules: Sequence[KeepRule]) -> None:
        def job() -> None:
            self.library.set_keep_rules(rules)
            self.keep_rules_ready.emit(tuple(self.library.keep_rules()))
            self.library_changed.emit()

        self._guard("save keep rules", job)

    @Slot(object)
    def set_folders(self, folders: FolderSettings) -> None:
        def job() -> None:
            protected = self.library.protected_folders()
            self._store_folders(folders)
            if self.library.protected_folders() != protected:
                self.library_changed.emit()  # what is kept changed: groups must be fetched again

        self._guard("save the folders", job)

    def _folders(self) -> FolderSettings:
        lib = self.library
        return FolderSettings(tuple(lib.scan_folders()), tuple(lib.protected_folders()), tuple(lib.excluded_folders()))

    def _store_folders(self, folders: FolderSettings) -> None:
        self.library.set_scan_folders(folders.folders)
        self.library.set_protected_folders(folders.protected)
        self.library.set_excluded_folders(folders.excluded)

    @Slot(object)
    def mark_not_duplicates(self, group: DuplicateGroup) -> None:
        def job() -> None:
            self.library.mark_not_duplicates(group)
            self.library_changed.emit()

        self._guard("mark as not duplicates", job)

    @Slot(object)
    def preview_trash(self, request: TrashRequest) -> None:
        self._guard("preview the trash", lambda: self.trash_preview_ready.emit(self.library.preview_trash(request)))

    @Slot(object)
    def trash(self, request: TrashRequest) -> None:
        def job() -> None:
            self.trash_done.emit(self.library.trash(request))
            self.library_changed.emit()

        self._guard("move files to the trash", job)

    @Slot(object)
    def undo(self, batch_id: str | None) -> None:
        def job() -> None:
            self.undo_done.emit(self.library.undo(batch_id))
            self.library_changed.emit()

        self._guard("undo", job)

    @Slot(int)
    def load_journal(self, limit: int) -> None:
        self._guard("read the journal", lambda: self.journal_ready.emit(tuple(self.library.journal(limit))))

    @Slot(object)
    def allow_quarantine(self, volumes: Sequence[str]) -> None:
        self._guard("allow the quarantine folder", lambda: self.library.allow_quarantine(volumes))

    # --- queries ----------------------------------------------------------------------------------------------

    @Slot(object)
    def query_images(self, query: ImageQuery) -> None:
        label = ", ".join(p.name for p in query.paths)
        self._guard("search", lambda: self._answer(label, query.generation, lambda m: self._by_images(query, m)))

    @Slot(object)
    def query_text(self, query: TextQuery) -> None:
        run = lambda model: self.library.models.query_text(query.text, model, query.k)  # noqa: E731
        self._guard("search", lambda: self._answer(f"“{query.text}”", query.generation, run))

    def _answer(self, label: str, generation: int, run: Callable[[str], list[QueryResult]]) -> None:
        start = time.perf_counter()
        model = self.library.models.active_model()
        results: list[QueryResult] = []
        error = None
        try:
            if model is None or self.library.models.store(model) is None:
                raise ValueError(NO_MODEL)
            results = run(model)
        except (ValueError, EmbedError, OSError) as exc:  # a plain answer, not a failure of the app
            error = str(exc)
        seconds = time.perf_counter() - start
        self.query_done.emit(QueryAnswer(label, tuple(results), model, seconds, generation, error))

    def _by_images(self, query: ImageQuery, model: str) -> list[QueryResult]:
        """Several images: each file's best score over the queries, the query files themselves left out."""
        best: dict[int, QueryResult] = {}
        own = {str(p.resolve()) for p in query.paths}
        for path in query.paths:
            for result in self.library.models.query_image(path, model, query.k + len(query.paths)):
                if result.file.path in own:
                    continue
                if result.file.id not in best or result.score > best[result.file.id].score:
                    best[result.file.id] = result
        return sorted(best.values(), key=lambda r: -r.score)[: query.k]

    # --- models -----------------------------------------------------------------------------------------------

    @Slot()
    def load_models(self) -> None:
        self._guard("list the models", self._emit_models)

    def _emit_models(self) -> None:
        models = self.library.models
        statuses = tuple(model_statuses(models))
        self.models_ready.emit(ModelsState(statuses, models.active_model(), models.device(), DEVICES, hf_offline()))

    @Slot(str, object)
    def import_weights(self, name: str, source: Path) -> None:
        def job() -> None:
            try:
                target = import_weights(self.library.models, name, source)
            finally:
                self._emit_models()
            self.weights_imported.emit(WeightsImported(name, target))

        self._guard(f"import weights for {name}", job)

    @Slot(str)
    def estimate_switch(self, name: str) -> None:
        estimate = lambda: self.switch_estimate_ready.emit(switch_estimate(self.library.models, name))  # noqa: E731
        self._guard("estimate the switch", estimate)

    @Slot(str)
    def set_active_model(self, name: str) -> None:
        def job() -> None:
            self.library.models.set_active_model(name)
            self._emit_models()
            self.library_changed.emit()

        self._guard("choose the model", job)

    @Slot(str)
    def set_device(self, device: str) -> None:
        def job() -> None:
            try:
                self.library.models.set_device(device)
            finally:
                self._emit_models()

        self._guard("choose the device", job)
