"""Problems panel: files and folders that could not be read, with the reason in plain words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from core.entities import Changes, Problem
from ui.ops import library_ops
from ui.ops.runner import OpChanges, OpRunner
from ui.shell.format import count

HEADERS = ("File", "Problem", "Reason")


class ProblemsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []

    def set_problems(self, problems: Sequence[Problem]) -> None:
        self.beginResetModel()
        self._problems = list(problems)
        self.endResetModel()

    def problem(self, row: int) -> Problem:
        return self._problems[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._problems)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        problem = self._problems[index.row()]
        return (problem.path, problem.code, problem.reason)[index.column()]


class ProblemsPanel(QWidget):
    """Lists the library's problems again whenever an op changes them (a scan, a library opened)."""

    def __init__(self, runner: OpRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        runner.changed.connect(self.on_changed)
        self.model = ProblemsModel(self)
        self.summary = QLabel("No problems: every file could be read.")
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setColumnWidth(0, 480)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)

    def on_changed(self, changed: OpChanges) -> None:
        if changed.changes & Changes.PROBLEMS:
            self._runner.run(library_ops.problems(), on_done=self.on_problems)

    def on_problems(self, problems: Sequence[Problem]) -> None:
        self.model.set_problems(problems)
        found = len(problems)
        self.summary.setText(
            f"{count(found, 'file or folder', 'files or folders')} could not be read."
            if found
            else "No problems: every file could be read."
        )
