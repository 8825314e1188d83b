"""Trash: the preview to confirm (what goes, what is refused and why, space freed), and the outcomes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.trash import TrashOutcome, TrashPreview, UndoOutcome
from ui.format import count, human_size


class TrashPreviewDialog(QDialog):
    def __init__(self, preview: TrashPreview, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move to trash?")
        self.preview = preview
        count = len(preview.will_trash)
        headline = QLabel(self._headline(preview))
        headline.setWordWrap(True)
        self.details = QTreeWidget()
        self.details.setHeaderLabels(["File", "Note"])
        self.details.setColumnWidth(0, 700)
        self.details.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._fill(preview)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = buttons.addButton(
            f"Move {count:,} file{'s' if count != 1 else ''} to trash", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.confirm_button.setEnabled(count > 0)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(headline)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(1000, 480)

    @staticmethod
    def _headline(preview: TrashPreview) -> str:
        text = (
            f"{count(len(preview.will_trash), 'file')} will be moved to the system trash, "
            f"freeing {human_size(preview.bytes_freed)}. You can undo this (Ctrl+Z)."
        )
        if preview.refused:
            text += f"\n{count(len(preview.refused), 'marked file')} will be left alone; the reasons are listed below."
        return text

    def _fill(self, preview: TrashPreview) -> None:
        going = QTreeWidgetItem(self.details, [f"Will be trashed ({len(preview.will_trash):,})", ""])
        for info in preview.will_trash:
            QTreeWidgetItem(going, [info.path, human_size(info.size)])
        if preview.refused:
            refused = QTreeWidgetItem(self.details, [f"Refused ({len(preview.refused):,})", ""])
            for refusal in preview.refused:
                QTreeWidgetItem(refused, [refusal.file.path, refusal.reason])
            refused.setExpanded(True)
        going.setExpanded(True)


def trash_outcome_text(outcome: TrashOutcome) -> tuple[str, str]:
    """(summary, details) of a finished trash batch."""
    summary = f"Moved {count(len(outcome.trashed), 'file')} to the trash."
    if outcome.failed:
        summary += f" {len(outcome.failed):,} could not be moved."
    return summary, _failures(outcome.failed)


def undo_outcome_text(outcome: UndoOutcome) -> tuple[str, str]:
    if not outcome.batch_id:
        return "There is nothing to undo.", ""
    if outcome.action == "not-duplicates":
        return f"Took back \u201cnot duplicates\u201d: {count(len(outcome.restored), 'photo')} can group again.", ""
    summary = f"Restored {count(len(outcome.restored), 'file')} to where they were."
    if outcome.failed:
        summary += f" {len(outcome.failed):,} could not be restored."
    return summary, _failures(outcome.failed)


def _failures(failed: tuple[tuple[str, str], ...]) -> str:
    return "\n".join(f"{path}: {reason}" for path, reason in failed)


def outcome_box(parent: QWidget, title: str, summary: str, details: str) -> QMessageBox:
    icon = QMessageBox.Icon.Warning if details else QMessageBox.Icon.Information
    box = QMessageBox(icon, title, summary, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setInformativeText("Files that were not handled, with the reason:")
        box.setDetailedText(details)
    return box
