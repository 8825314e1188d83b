"""Re-prioritize which file of a group is kept (like dupeGuru's re-prioritize dialog)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.tiers.keep import DEFAULT_RULES, RULE_LABELS, KeepRule

RULE_ROLE = Qt.ItemDataRole.UserRole


class KeepRulesDialog(QDialog):
    def __init__(self, rules: Sequence[KeepRule], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keep rules")
        self.list = QListWidget()
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.reset_button = QPushButton("Reset to defaults")
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(1))
        self.reset_button.clicked.connect(lambda: self.set_rules(DEFAULT_RULES))
        self.list.currentRowChanged.connect(self._update_buttons)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Apply and re-select")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        side = QVBoxLayout()
        for button in (self.up_button, self.down_button, self.reset_button):
            side.addWidget(button)
        side.addStretch()
        row = QHBoxLayout()
        row.addWidget(self.list, 1)
        row.addLayout(side)
        intro = QLabel(
            "In each group the file that wins on the first rule is kept; ties go to the next rule.\n"
            "A copy without camera metadata never beats its camera original on resolution, file size or format.\n"
            "Files in protected folders are always kept. Applying re-marks every other file."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(buttons)
        self.set_rules(rules)
        self.resize(860, 340)

    def set_rules(self, rules: Sequence[KeepRule]) -> None:
        self.list.clear()
        for rule in rules:
            item = QListWidgetItem(RULE_LABELS[rule])
            item.setData(RULE_ROLE, str(rule))
            self.list.addItem(item)
        self.list.setCurrentRow(0)

    def rules(self) -> tuple[KeepRule, ...]:
        return tuple(KeepRule(self.list.item(i).data(RULE_ROLE)) for i in range(self.list.count()))

    def move_current(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def _update_buttons(self, row: int) -> None:
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < self.list.count() - 1)
