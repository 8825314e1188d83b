"""The journal: every trash batch and "not duplicates" decision, newest first, each with its state and an Undo."""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.safety.trash import TRASH, JournalBatch

EXPLANATION = (
    "Every batch moved to the trash (or to a quarantine folder) and every \u201cnot duplicates\u201d decision, "
    "newest first. Undo (Ctrl+Z) takes the newest batch that can be undone. A batch whose restore failed is "
    "stepped past; undo it here once the cause is fixed."
)
EMPTY = "Nothing in the journal yet."
COLUMNS = ("When", "Action", "Files", "State", "")
STUCK_COLOUR = QColor(170, 40, 20)


class JournalDialog(QDialog):
    undo_requested = Signal(str)  # a batch id
    refresh_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Journal")
        self.batches: tuple[JournalBatch, ...] = ()
        self.undo_buttons: dict[str, QPushButton] = {}
        explanation = QLabel(EXPLANATION)
        explanation.setWordWrap(True)
        self.empty = QLabel(EMPTY)
        self.tree = self._make_tree()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        refresh = buttons.addButton("&Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        refresh.clicked.connect(self.refresh_requested)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (explanation, self.empty, self.tree, buttons):
            layout.addWidget(widget)
        self.resize(980, 420)

    @staticmethod
    def _make_tree() -> QTreeWidget:
        tree = QTreeWidget()
        tree.setHeaderLabels(list(COLUMNS))
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = tree.header()
        for column in (0, 1, 2, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        return tree

    def show_batches(self, batches: Sequence[JournalBatch]) -> None:
        self.batches = tuple(batches)
        self.tree.clear()
        self.undo_buttons = {}
        for batch in self.batches:
            self._add_row(batch)
        self.empty.setVisible(not self.batches)
        self.tree.setVisible(bool(self.batches))

    def _add_row(self, batch: JournalBatch) -> None:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(batch.at))
        action = "Trash" if batch.action == TRASH else "Not duplicates"
        item = QTreeWidgetItem(self.tree, [when, action, f"{batch.files:,}", batch.state, ""])
        item.setData(0, Qt.ItemDataRole.UserRole, batch.batch_id)
        item.setToolTip(3, f"Batch {batch.batch_id}: {batch.state}")
        if batch.stepped_aside:
            item.setForeground(3, QBrush(STUCK_COLOUR))
        button = QPushButton("Undo")
        button.setEnabled(batch.undoable)
        button.setToolTip(f"Undo batch {batch.batch_id}" if batch.undoable else "Nothing left to undo")
        button.clicked.connect(lambda _checked=False, b=batch.batch_id: self.undo_requested.emit(b))
        self.tree.setItemWidget(item, 4, button)
        self.undo_buttons[batch.batch_id] = button
