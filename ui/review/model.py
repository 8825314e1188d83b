"""A tree of duplicate groups (top level) and their members (children), with the person's marks.

Marks are file ids, so they survive regrouping (a new threshold, a rescan): a file stays marked for as long
as it is shown.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from enum import IntEnum
from functools import cache
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from core.entities import DuplicateGroup, GroupMember, Tier
from ui.shell.format import capture_date, human_size
from ui.shell.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex
NO_PARENT = 0  # internal id of group rows; member rows store their group's row + 1


class Column(IntEnum):
    FILE = 0
    SIZE = 1
    RESOLUTION = 2
    CAPTURED = 3
    FORMAT = 4
    SCORE = 5
    FOLDER = 6


HEADERS = ("File", "Size", "Resolution", "Captured", "Format", "Score", "Folder")
MEMBER_ROLE = Qt.ItemDataRole.UserRole + 1
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2
IS_GROUP_ROLE = Qt.ItemDataRole.UserRole + 3
TIER_NAMES = {
    Tier.EXACT: "identical bytes",
    Tier.PERCEPTUAL: "near-identical",
    Tier.COPY: "edited copy",
    Tier.SIMILAR: "similar",
}


def reclaimable(group: DuplicateGroup) -> int:
    return sum(m.file.size for m in group.members if not m.keep)


class GroupTreeModel(QAbstractItemModel):
    marks_changed = Signal()

    def __init__(self, thumbnails: ThumbnailCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._groups: list[DuplicateGroup] = []
        self._rows_of_file: dict[int, list[tuple[int, int]]] = {}
        self._marked: set[int] = set()
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)

    # --- content ----------------------------------------------------------------------------------------

    @property
    def groups(self) -> Sequence[DuplicateGroup]:
        return self._groups

    def set_groups(self, groups: Iterable[DuplicateGroup]) -> None:
        self.beginResetModel()
        self._groups = list(groups)
        self._rows_of_file = {}
        for g_row, group in enumerate(self._groups):
            for m_row, member in enumerate(group.members):
                self._rows_of_file.setdefault(member.file.id, []).append((g_row, m_row))
        self.endResetModel()
        self.marks_changed.emit()

    def group_at(self, index: AnyIndex) -> DuplicateGroup | None:
        if not index.isValid():
            return None
        g_row = index.row() if index.internalId() == NO_PARENT else index.internalId() - 1
        return self._groups[g_row]

    def member_at(self, index: AnyIndex) -> GroupMember | None:
        if not index.isValid() or index.internalId() == NO_PARENT:
            return None
        return self._groups[index.internalId() - 1].members[index.row()]

    def member_index(self, g_row: int, m_row: int, column: int = 0) -> QModelIndex:
        return self.index(m_row, column, self.index(g_row, 0))

    # --- marks ------------------------------------------------------------------------------------------

    def shown_marked(self) -> list[GroupMember]:
        """Marked members of the groups on show (each file once)."""
        seen: set[int] = set()
        found = []
        for group in self._groups:
            for member in group.members:
                if member.file.id in self._marked and member.file.id not in seen:
                    seen.add(member.file.id)
                    found.append(member)
        return found

    def groups_with_marks(self) -> list[DuplicateGroup]:
        return [g for g in self._groups if any(m.file.id in self._marked for m in g.members)]

    def is_marked(self, file_id: int) -> bool:
        return file_id in self._marked

    def set_marked(self, file_ids: Iterable[int], marked: bool) -> None:
        ids = set(file_ids)
        if marked:
            self._marked |= ids
        else:
            self._marked -= ids
        self._refresh_files(ids)
        self.marks_changed.emit()

    def toggle(self, file_ids: Sequence[int]) -> None:
        """Mark them all, unless all are already marked: then unmark them."""
        self.set_marked(file_ids, not all(i in self._marked for i in file_ids))

    def mark_all_but_keep(self, groups: Iterable[DuplicateGroup] | None = None) -> None:
        chosen = self._groups if groups is None else list(groups)
        self.set_marked([m.file.id for g in chosen for m in g.members if not m.keep], True)
        self.set_marked([m.file.id for g in chosen for m in g.members if m.keep], False)

    def clear_marks(self) -> None:
        previous = set(self._marked)
        self._marked.clear()
        self._refresh_files(previous)
        self.marks_changed.emit()

    def _refresh_files(self, file_ids: Iterable[int], roles: Sequence[int] = ()) -> None:
        group_rows: set[int] = set()
        for file_id in file_ids:
            for g_row, m_row in self._rows_of_file.get(file_id, ()):
                group_rows.add(g_row)
                first = self.member_index(g_row, m_row, 0)
                last = self.member_index(g_row, m_row, len(HEADERS) - 1)
                self.dataChanged.emit(first, last, list(roles))
        if Qt.ItemDataRole.DecorationRole not in roles:
            for g_row in group_rows:  # the title counts marks
                self.dataChanged.emit(self.index(g_row, 0), self.index(g_row, 0), [])

    def _on_thumbnail(self, file_id: int) -> None:
        self._refresh_files([file_id], [Qt.ItemDataRole.DecorationRole])

    # --- QAbstractItemModel -----------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not parent.isValid():
            if 0 <= row < len(self._groups) and 0 <= column < len(HEADERS):
                return self.createIndex(row, column, NO_PARENT)
            return QModelIndex()
        if parent.internalId() != NO_PARENT:
            return QModelIndex()
        members = self._groups[parent.row()].members
        if 0 <= row < len(members) and 0 <= column < len(HEADERS):
            return self.createIndex(row, column, parent.row() + 1)
        return QModelIndex()

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == NO_PARENT:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, NO_PARENT)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() == NO_PARENT and parent.column() == 0:
            return len(self._groups[parent.row()].members)
        return 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.internalId() != NO_PARENT and index.column() == Column.FILE:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == NO_PARENT:
            return self._group_data(index.row(), index.column(), role)
        member = self._groups[index.internalId() - 1].members[index.row()]
        return self._member_data(member, index.column(), role)

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        member = self.member_at(index)
        if member is None or role != Qt.ItemDataRole.CheckStateRole:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        self.set_marked([member.file.id], checked)
        return True

    def _group_data(self, g_row: int, column: int, role: int) -> Any:
        group = self._groups[g_row]
        if role == GROUP_ROLE:
            return group
        if role == IS_GROUP_ROLE:
            return True
        if role == Qt.ItemDataRole.DisplayRole and column == Column.FILE:
            return self.group_title(g_row)
        return None

    def group_title(self, g_row: int) -> str:
        group = self._groups[g_row]
        marked = sum(1 for m in group.members if m.file.id in self._marked)
        scores = (
            f"{group.min_score:.2f}"
            if group.min_score == group.max_score
            else (f"{group.min_score:.2f}–{group.max_score:.2f}")
        )
        parts = [
            f"Group {g_row + 1} of {len(self._groups)}",
            f"{len(group.members)} files, {TIER_NAMES.get(group.tier, str(group.tier))}",
            f"score {scores}",
            f"{human_size(reclaimable(group))} reclaimable",
        ]
        if marked:
            parts.append(f"{marked} marked")
        return "  ·  ".join(parts)

    def _member_data(self, member: GroupMember, column: int, role: int) -> Any:
        if role == MEMBER_ROLE:
            return member
        if role == IS_GROUP_ROLE:
            return False
        if role == Qt.ItemDataRole.DisplayRole:
            return _member_text(member, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return member.file.path
        if column != Column.FILE:
            return None
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if member.file.id in self._marked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.pixmap_or_placeholder(member.file.id)
        if role == Qt.ItemDataRole.FontRole and member.keep:
            return _bold_font()
        return None


@cache
def _bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _member_text(member: GroupMember, column: int) -> str:
    info = member.file
    if column == Column.FILE:
        badges = [b for b, on in (("keep", member.keep), ("protected", member.protected)) if on]
        name = os.path.basename(info.path)
        return f"{name}\n{' · '.join(badges)}" if badges else name
    if column == Column.SIZE:
        return human_size(info.size)
    if column == Column.RESOLUTION:
        return f"{info.width} × {info.height}"
    if column == Column.CAPTURED:
        return capture_date(info.captured_at)
    if column == Column.FORMAT:
        return info.format
    if column == Column.SCORE:
        return f"{member.score:.3f}"
    return os.path.dirname(info.path)
