"""Trash: the preview to confirm (what goes, what is refused and why, space freed), and the outcomes."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.places import QUARANTINE_DIR
from core.safety.trash import QUARANTINE, MetadataWarning, TrashOutcome, TrashPreview, UndoOutcome, no_trash_reason
from ui.shell.format import count, human_size


class TrashPreviewDialog(QDialog):
    """keep_instead(file id, kept id): the person wants to keep a file that carries metadata its group's kept
    file lacks, and trash the kept one instead (offered only when `can_keep_instead`)."""

    keep_instead = Signal(int, int)

    def __init__(self, preview: TrashPreview, parent: QWidget | None = None, can_keep_instead: bool = False) -> None:
        super().__init__(parent)
        self.setWindowTitle("Move to trash?")
        self._can_keep_instead = can_keep_instead
        self.keep_buttons: dict[int, QPushButton] = {}  # by the id of the file that carries the metadata
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        self.details = QTreeWidget()
        self.details.setHeaderLabels(["File", "Note", ""])
        self.details.setColumnWidth(0, 560)
        self.details.setColumnWidth(1, 420)
        self.details.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = buttons.addButton("Move to trash", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.headline)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(1200, 520)
        self.show_preview(preview)

    def show_preview(self, preview: TrashPreview) -> None:
        """Show this preview (again after a "keep this one instead": the marks changed)."""
        self.preview = preview
        going = len(preview.will_trash)
        self.headline.setText(self._headline(preview))
        self.details.clear()
        self.keep_buttons = {}
        self._fill(preview)
        self.confirm_button.setText(f"Move {count(going, 'file')} to trash")
        self.confirm_button.setEnabled(going > 0)

    @staticmethod
    def _headline(preview: TrashPreview) -> str:
        text = (
            f"{count(len(preview.will_trash), 'file')} will be moved to the system trash, "
            f"freeing {human_size(preview.bytes_freed)}. You can undo this (Ctrl+Z)."
        )
        if preview.quarantined:
            text += (
                f"\n{count(len(preview.quarantined), 'file')} of them are on a volume without a trash: they go into "
                f"its quarantine folder ({QUARANTINE_DIR}) instead, and Undo brings them back the same way."
            )
        if preview.refused:
            text += f"\n{count(len(preview.refused), 'marked file')} will be left alone; the reasons are listed below."
        if preview.warnings:
            verb = "carries" if len(preview.warnings) == 1 else "carry"
            text += (
                f"\n{count(len(preview.warnings), 'file')} to be trashed {verb} metadata (capture time, GPS, camera, "
                "rating, keywords) that the file kept in its group lacks: listed first, each with a way to keep it."
            )
        return text

    def _fill(self, preview: TrashPreview) -> None:
        if preview.warnings:
            self._fill_warnings(preview.warnings)
        going = QTreeWidgetItem(self.details, [f"Will be trashed ({len(preview.will_trash):,})", ""])
        quarantined = set(preview.quarantined)
        for info in preview.will_trash:
            where = f", to the quarantine folder ({QUARANTINE_DIR})" if info.id in quarantined else ""
            QTreeWidgetItem(going, [info.path, human_size(info.size) + where])
        if preview.refused:
            refused = QTreeWidgetItem(self.details, [f"Refused ({len(preview.refused):,})", ""])
            for refusal in preview.refused:
                QTreeWidgetItem(refused, [refusal.file.path, refusal.reason])
            refused.setExpanded(True)
        going.setExpanded(True)

    def _fill_warnings(self, warnings: tuple[MetadataWarning, ...]) -> None:
        section = QTreeWidgetItem(self.details, [f"Metadata that would go ({len(warnings):,})", ""])
        section.setExpanded(True)
        for warning in warnings:
            note = f"⚠ {warning.text} ({os.path.basename(warning.kept.path)})"
            item = QTreeWidgetItem(section, [warning.file.path, note])
            item.setToolTip(1, f"{note}\nKept: {warning.kept.path}")
            if self._can_keep_instead:
                button = QPushButton("Keep this one instead")
                button.setToolTip(f"Keep {warning.file.path} and mark {warning.kept.path} for the trash instead")
                button.clicked.connect(lambda _=False, w=warning: self.keep_instead.emit(w.file.id, w.kept.id))
                self.details.setItemWidget(item, 2, button)
                self.keep_buttons[warning.file.id] = button


def trash_outcome_text(outcome: TrashOutcome) -> tuple[str, str]:
    """(summary, details) of a finished trash batch."""
    summary = f"Moved {count(len(outcome.trashed), 'file')} to the trash."
    quarantined = sum(1 for t in outcome.trashed if t.place == QUARANTINE)
    if quarantined:
        summary += f" {quarantined:,} of them went to a quarantine folder ({QUARANTINE_DIR}) on their volume."
    if outcome.failed:
        summary += f" {len(outcome.failed):,} could not be moved."
    if outcome.lost:
        summary += (
            f" {count(len(outcome.lost), 'file')} left for a place the system trash did not report: "
            "Twinlens cannot undo that; the details say where to look."
        )
    return summary, _failures(outcome.failed + outcome.lost)


def undo_outcome_text(outcome: UndoOutcome) -> tuple[str, str]:
    if not outcome.batch_id:
        return "There is nothing to undo." + (f"\n\n{outcome.note}" if outcome.note else ""), ""
    if outcome.action == "not-duplicates":
        return f"Took back \u201cnot duplicates\u201d: {count(len(outcome.restored), 'photo')} can group again.", ""
    summary = f"Restored {count(len(outcome.restored), 'file')} to where they were."
    if outcome.failed:
        summary += f" {len(outcome.failed):,} could not be restored."
    if outcome.note:
        summary += f"\n\n{outcome.note}"
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


def quarantine_consent_box(parent: QWidget, preview: TrashPreview) -> tuple[QMessageBox, QPushButton]:
    """Asked once per volume without a trash; returns the box and its "use the quarantine" button."""
    volumes = "\n".join(f"    {volume}" for volume in preview.needs_consent)
    reasons = {no_trash_reason(volume) for volume in preview.needs_consent}
    waiting = sum(1 for r in preview.refused if r.reason in reasons)
    text = (
        f"There is no trash on:\n{volumes}\n\n{count(waiting, 'marked file')} there can go into a quarantine "
        f"folder ({QUARANTINE_DIR}) at the top of that volume instead, or beside the files where the top cannot be "
        "written. They stay on the volume, are listed in the journal, and Undo brings them back like the trash."
    )
    box = QMessageBox(
        QMessageBox.Icon.Question, "No trash on this volume", text, QMessageBox.StandardButton.NoButton, parent
    )
    box.setInformativeText("Twinlens asks once per volume and remembers the answer yes.")
    use = box.addButton("Use a quarantine folder", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Leave those files", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(use)
    return box, use
