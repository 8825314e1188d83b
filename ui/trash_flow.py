"""Trash marked → preview → confirm → outcome; and Undo → outcome. Every step runs in the worker."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from core.trash import TrashOutcome, TrashPreview, TrashRequest, UndoOutcome
from ui.client import LibraryClient
from ui.trash_dialogs import TrashPreviewDialog, outcome_box, trash_outcome_text, undo_outcome_text

NOTHING_MARKED = "Nothing is marked. Mark files with Space, or use Auto-select."


class TrashFlow(QObject):
    trashed = Signal(object)  # TrashOutcome, after the outcome is known
    message = Signal(str)  # a one-line report for the status bar

    def __init__(self, client: LibraryClient, request: Callable[[], TrashRequest | None], parent: QWidget) -> None:
        super().__init__(parent)
        self._client = client
        self._request = request
        self._window = parent
        self._pending: TrashRequest | None = None
        self.preview_dialog: TrashPreviewDialog | None = None
        self.last_box: QMessageBox | None = None
        client.trash_preview_ready.connect(self._on_preview)
        client.trash_done.connect(self._on_trashed)
        client.undo_done.connect(self._on_undone)

    def start(self) -> None:
        request = self._request()
        if request is None or not request.file_ids:
            self.message.emit(NOTHING_MARKED)
            return
        self._pending = request
        self._client.preview_trash(request)

    def undo(self) -> None:
        self._client.undo()

    def _on_preview(self, preview: TrashPreview) -> None:
        if self._pending is None:
            return
        dialog = TrashPreviewDialog(preview, self._window)
        dialog.finished.connect(lambda result: self._on_confirmed(result, preview))
        self.preview_dialog = dialog
        dialog.open()

    def _on_confirmed(self, result: int, preview: TrashPreview) -> None:
        request, self._pending = self._pending, None
        self.preview_dialog = None
        if result != QDialog.DialogCode.Accepted or request is None or not preview.will_trash:
            self.message.emit("Nothing was moved to the trash.")
            return
        # Only what the person saw and confirmed: refused files stay out of the request.
        confirmed = tuple(info.id for info in preview.will_trash)
        self._client.trash(TrashRequest(file_ids=confirmed, groups=request.groups))

    def _on_trashed(self, outcome: TrashOutcome) -> None:
        summary, details = trash_outcome_text(outcome)
        self._show("Moved to trash", summary, details)
        self.trashed.emit(outcome)

    def _on_undone(self, outcome: UndoOutcome) -> None:
        summary, details = undo_outcome_text(outcome)
        self._show("Undo", summary, details)

    def _show(self, title: str, summary: str, details: str) -> None:
        self.message.emit(summary)
        box = outcome_box(self._window, title, summary, details)
        self.last_box = box
        box.open()
