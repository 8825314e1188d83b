"""Trash marked → (quarantine consent) → preview → confirm → outcome; Undo → outcome; the journal with an Undo
per batch. Every step is an op in the library's thread; the journal shows again whenever an op changes it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

from core.entities import Changes
from core.safety.trash import JournalBatch, TrashOutcome, TrashPreview, TrashRequest, UndoOutcome
from ui.ops import library_ops
from ui.ops.runner import OpChanges, OpRunner
from ui.trash.dialogs import (
    TrashPreviewDialog,
    outcome_box,
    quarantine_consent_box,
    trash_outcome_text,
    undo_outcome_text,
)
from ui.trash.journal import JournalDialog

NOTHING_MARKED = "Nothing is marked. Mark files with Space, or use Auto-select."


class TrashFlow(QObject):
    trashed = Signal(object)  # TrashOutcome, after the outcome is shown
    undone = Signal(object)  # UndoOutcome, after the outcome is shown
    message = Signal(str)  # a one-line report for the status bar

    def __init__(
        self,
        runner: OpRunner,
        request: Callable[[], TrashRequest | None],
        parent: QWidget,
        keep_instead: Callable[[int, int], None] | None = None,
    ) -> None:
        """keep_instead(file id, kept id): swap two marks in the review (the preview then shows again)."""
        super().__init__(parent)
        self._runner = runner
        self._request = request
        self._keep_instead = keep_instead
        self._window = parent
        self._pending: TrashRequest | None = None
        self._consent_asked = False
        self.preview_dialog: TrashPreviewDialog | None = None
        self.consent_box: QMessageBox | None = None
        self.journal_dialog: JournalDialog | None = None
        self.last_box: QMessageBox | None = None
        runner.changed.connect(self._on_changed)

    def start(self) -> None:
        request = self._request()
        if request is None or not request.file_ids:
            self.message.emit(NOTHING_MARKED)
            return
        self._pending = request
        self._consent_asked = False
        self._preview(request)

    def _preview(self, request: TrashRequest) -> None:
        self._runner.run(library_ops.preview_trash(request), on_done=self._on_preview)

    def undo(self) -> None:
        """Plain undo: the newest batch that can be undone and has not failed before."""
        self._runner.run(library_ops.undo(), on_done=self._on_undone)

    def undo_batch(self, batch_id: str) -> None:
        self._runner.run(library_ops.undo(batch_id), on_done=self._on_undone)

    def show_journal(self) -> None:
        if self.journal_dialog is None:
            self.journal_dialog = JournalDialog(self._window)
            self.journal_dialog.undo_requested.connect(self.undo_batch)
            self.journal_dialog.refresh_requested.connect(self.load_journal)
        self.journal_dialog.show()
        self.journal_dialog.raise_()
        self.load_journal()

    def load_journal(self) -> None:
        self._runner.run(library_ops.journal(), on_done=self._on_journal)

    # --- the trash: consent for volumes without a trash, then the preview -----------------------------------------

    def _on_preview(self, preview: TrashPreview) -> None:
        if self._pending is None:
            return
        if preview.needs_consent and not self._consent_asked:
            self._consent_asked = True  # once per request: after a "no", the preview shows those files refused
            self._ask_consent(preview)
            return
        dialog = TrashPreviewDialog(preview, self._window, can_keep_instead=self._keep_instead is not None)
        dialog.finished.connect(lambda result: self._on_confirmed(result, dialog.preview))
        dialog.keep_instead.connect(self._on_keep_instead)
        self.preview_dialog = dialog
        dialog.open()

    def _on_keep_instead(self, file_id: int, kept_id: int) -> None:
        """Swap the marks in the review, then preview what is marked now in the same dialog."""
        if self._keep_instead is None or self._pending is None:
            return
        self._keep_instead(file_id, kept_id)
        request = self._request()
        if request is None or not request.file_ids:
            if self.preview_dialog is not None:
                self.preview_dialog.reject()
            return
        self._pending = request
        self._runner.run(library_ops.preview_trash(request), on_done=self._on_repreview)

    def _on_repreview(self, preview: TrashPreview) -> None:
        if self.preview_dialog is not None and self._pending is not None:
            self.preview_dialog.show_preview(preview)

    def _ask_consent(self, preview: TrashPreview) -> None:
        box, use = quarantine_consent_box(self._window, preview)
        box.finished.connect(lambda _result: self._on_consent(box.clickedButton() is use, preview))
        self.consent_box = box
        box.open()

    def _on_consent(self, agreed: bool, preview: TrashPreview) -> None:
        self.consent_box = None
        if agreed and self._pending is not None:
            self._runner.run(library_ops.allow_quarantine(preview.needs_consent))
            self._preview(self._pending)  # runs after the consent: the files now have a place
            return
        self._on_preview(preview)

    def _on_confirmed(self, result: int, preview: TrashPreview) -> None:
        request, self._pending = self._pending, None
        self.preview_dialog = None
        if result != QDialog.DialogCode.Accepted or request is None or not preview.will_trash:
            self.message.emit("Nothing was moved to the trash.")
            return
        # Only what the person saw and confirmed: refused files stay out of the request.
        confirmed = TrashRequest(tuple(info.id for info in preview.will_trash), request.groups)
        self._runner.run(library_ops.trash(confirmed), on_done=self._on_trashed)

    # --- outcomes -------------------------------------------------------------------------------------------------

    def _on_trashed(self, outcome: TrashOutcome) -> None:
        summary, details = trash_outcome_text(outcome)
        self._show("Moved to trash", summary, details)
        self.trashed.emit(outcome)

    def _on_undone(self, outcome: UndoOutcome) -> None:
        summary, details = undo_outcome_text(outcome)
        self._show("Undo", summary, details)
        self.undone.emit(outcome)

    def _on_journal(self, batches: Sequence[JournalBatch]) -> None:
        if self.journal_dialog is not None:
            self.journal_dialog.show_batches(batches)

    def _on_changed(self, changed: OpChanges) -> None:
        """A trash, an undo or a "not duplicates" decision: the open journal shows it."""
        if changed.changes & Changes.JOURNAL and self.journal_dialog is not None and self.journal_dialog.isVisible():
            self.load_journal()

    def _show(self, title: str, summary: str, details: str) -> None:
        self.message.emit(summary)
        box = outcome_box(self._window, title, summary, details)
        self.last_box = box
        box.open()
