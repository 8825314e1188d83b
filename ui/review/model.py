"""The groups on show as one flat list: each group's header row, then a row per member, with the person's marks.

Flat so that a QTableView (ui/review/view.py) can show it without visiting every row: a QTreeView over 20,000
expanded groups lays out all ~120,000 rows through Python calls on every reset (seconds), and with rows of two
heights measures every row between the top and any row that changes. The layout (which row shows what) comes
ready-made with the groups (core.tiers.review.ShownGroups, built in the library's thread).

A thin adapter: the groups and the marks live in a Qt-free core.tiers.review.ReviewState (auto-select, the
every-copy rule, protected members, what survives a regroup, the trash request). This model shows that state and
forwards edits to it, then tells the views which rows changed, and only those.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from enum import IntEnum
from functools import cache
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from core.entities import DuplicateGroup, GroupMember, Tier
from core.tiers.review import MarkChange, ReviewState, ShownGroups, reclaimable
from ui.shell.format import capture_date, human_size
from ui.shell.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    FILE = 0
    SIZE = 1
    RESOLUTION = 2
    CAPTURED = 3
    FORMAT = 4
    RELATION = 5
    SCORE = 6
    FOLDER = 7


HEADERS = ("File", "Size", "Resolution", "Captured", "Format", "Relation", "Score", "Folder")
MEMBER_ROLE = Qt.ItemDataRole.UserRole + 1
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2
IS_GROUP_ROLE = Qt.ItemDataRole.UserRole + 3
KEEP_REASON_ROLE = Qt.ItemDataRole.UserRole + 4  # why the keep rules keep what they keep (group and kept rows)
RELATION_ROLE = Qt.ItemDataRole.UserRole + 5  # how a member relates to its group's kept file ("" for that file)
TIER_NAMES = {
    Tier.EXACT: "identical bytes",
    Tier.PERCEPTUAL: "near-identical",
    Tier.COPY: "copies of one photo",
    Tier.SIMILAR: "similar",
}


class GroupListModel(QAbstractTableModel):
    marks_changed = Signal()
    marks_refused = Signal(object)  # MarkChange whose `refused` says which marks were not made, and why

    def __init__(self, thumbnails: ThumbnailCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self.state = ReviewState()
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)

    # --- content ----------------------------------------------------------------------------------------

    @property
    def groups(self) -> Sequence[DuplicateGroup]:
        return self.state.groups

    @property
    def shown(self) -> ShownGroups:
        return self.state.shown

    def set_groups(self, groups: Iterable[DuplicateGroup] | ShownGroups) -> None:
        """Show a grouping; a ShownGroups (GroupsResult.shown) costs the GUI thread nothing per file."""
        self.beginResetModel()
        self.state.set_groups(groups)
        self.endResetModel()
        self.marks_changed.emit()

    def place(self, index: AnyIndex) -> tuple[int, int | None] | None:
        """(group row, member row) an index shows; member row None on a group's header row."""
        return self.shown.place_of_row(index.row()) if index.isValid() else None

    def is_group_row(self, row: int) -> bool:
        return self.shown.place_of_row(row)[1] is None

    def group_at(self, index: AnyIndex) -> DuplicateGroup | None:
        place = self.place(index)
        return None if place is None else self.groups[place[0]]

    def member_at(self, index: AnyIndex) -> GroupMember | None:
        place = self.place(index)
        if place is None or place[1] is None:
            return None
        return self.groups[place[0]].members[place[1]]

    def group_index(self, g_row: int, column: int = 0) -> QModelIndex:
        """A group's header row."""
        return self.index(self.shown.row_of(g_row), column)

    def member_index(self, g_row: int, m_row: int, column: int = 0) -> QModelIndex:
        return self.index(self.shown.row_of(g_row, m_row), column)

    def files_on_rows(self, first: int, last: int) -> Iterator[int]:
        """The file ids shown on rows first..last (the rows in view)."""
        for row in range(max(0, first), min(last, self.shown.row_count - 1) + 1):
            g_row, m_row = self.shown.place_of_row(row)
            if m_row is not None:
                yield self.groups[g_row].members[m_row].file.id

    def load_thumbnails_for(self, first: int, last: int) -> None:
        """Thumbnails still queued for rows out of view are dropped: the rows in view load first."""
        self._thumbnails.retain(self.files_on_rows(first, last))

    # --- marks: read from the state, edits forwarded to it ------------------------------------------------

    def shown_marked(self) -> list[GroupMember]:
        """Marked members of the groups on show (each file once)."""
        return self.state.marked_members()

    def is_marked(self, file_id: int) -> bool:
        return self.state.is_marked(file_id)

    def set_marked(self, file_ids: Iterable[int], marked: bool) -> MarkChange:
        return self._apply(self.state.set_marked(file_ids, marked))

    def toggle(self, file_ids: Iterable[int] = (), groups: Iterable[int] = ()) -> MarkChange:
        """Members by file id, and group rows (their files the keep rules do not keep)."""
        return self._apply(self.state.toggle(file_ids, groups))

    def keep_only(self, file_id: int) -> MarkChange:
        return self._apply(self.state.keep_only(file_id))

    def keep_instead(self, file_id: int, kept_id: int) -> MarkChange:
        return self._apply(self.state.keep_instead(file_id, kept_id))

    def mark_all_but_keep(self) -> MarkChange:
        return self._apply(self.state.auto_select())

    def clear_marks(self) -> MarkChange:
        return self._apply(self.state.clear())

    def _apply(self, change: MarkChange) -> MarkChange:
        if change.changed:
            self._refresh_groups_of(change.changed)
            self.marks_changed.emit()
        if change.refused:
            self.marks_refused.emit(change)
        return change

    def _refresh_groups_of(self, file_ids: Iterable[int]) -> None:
        """Whole groups (a mark changes the group's title and whether its other members may still be marked), as
        one range per run of adjacent groups: auto-select over 20,000 groups is one signal, not 40,000."""
        g_rows = sorted({g_row for i in file_ids for g_row, _ in self.state.places(i)})
        for first, last in _runs(g_rows):
            last_row = self.shown.row_of(last, len(self.groups[last].members) - 1)
            self.dataChanged.emit(self.group_index(first), self.index(last_row, len(HEADERS) - 1), [])

    def _on_thumbnail(self, file_id: int) -> None:
        """Only the cells that show this file's thumbnail."""
        for g_row, m_row in self.state.places(file_id):
            index = self.member_index(g_row, m_row, Column.FILE)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    # --- QAbstractItemModel -----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.shown.row_count

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        """A member's check box is offered only where the state allows the mark (never a protected file, never a
        group's last unmarked copy); unmarking is always offered."""
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
        member = self.member_at(index)
        if member is not None and index.column() == Column.FILE and self.state.can_mark(member.file.id):
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        place = self.place(index)
        if place is None:
            return None
        g_row, m_row = place
        if m_row is None:
            return self._group_data(g_row, index.column(), role)
        group = self.groups[g_row]
        return self._member_data(group, group.members[m_row], index.column(), role)

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        member = self.member_at(index)
        if member is None or role != Qt.ItemDataRole.CheckStateRole:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        return bool(self.set_marked([member.file.id], checked).changed)

    def _group_data(self, g_row: int, column: int, role: int) -> Any:
        group = self.groups[g_row]
        if role == GROUP_ROLE:
            return group
        if role == IS_GROUP_ROLE:
            return True
        if role == KEEP_REASON_ROLE:
            return group.keep_reason
        if role == Qt.ItemDataRole.DisplayRole and column == Column.FILE:
            return self.group_title(g_row)
        if role == Qt.ItemDataRole.ToolTipRole and group.keep_reason:
            kept = ", ".join(os.path.basename(m.file.path) for m in group.members if m.keep)
            return f"Keeps {kept}: {group.keep_reason}"
        return None

    def group_title(self, g_row: int) -> str:
        group = self.groups[g_row]
        marked = self.state.marked_in(g_row)
        scores = (
            f"{group.min_score:.2f}"
            if group.min_score == group.max_score
            else (f"{group.min_score:.2f}–{group.max_score:.2f}")
        )
        parts = [
            f"Group {g_row + 1} of {len(self.groups)}",
            f"{len(group.members)} files, {TIER_NAMES.get(group.tier, str(group.tier))}",
            f"score {scores}",
            f"{human_size(reclaimable(group))} reclaimable",
        ]
        if relations := relation_summary(group):
            parts.insert(2, relations)
        if marked:
            parts.append(f"{marked} marked")
        return "  ·  ".join(parts)

    def _member_data(self, group: DuplicateGroup, member: GroupMember, column: int, role: int) -> Any:
        if role == MEMBER_ROLE:
            return member
        if role == IS_GROUP_ROLE:
            return False
        reason = group.keep_reason if member.keep else ""
        if role == KEEP_REASON_ROLE:
            return reason
        if role == RELATION_ROLE:
            return member.relation
        if role == Qt.ItemDataRole.DisplayRole:
            return _member_text(member, column, reason)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _member_tip(member, reason, self.state.refusal(member.file.id))
        if column != Column.FILE:
            return None
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if self.state.is_marked(member.file.id) else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.pixmap_or_placeholder(member.file.id)
        if role == Qt.ItemDataRole.FontRole and member.keep:
            return _bold_font()
        return None


def relation_summary(group: DuplicateGroup) -> str:
    """'2 identical, 1 resized, 1 rotated': the members' relations to the kept file, in the group's order."""
    counts = Counter(m.relation for m in group.members if m.relation)
    return ", ".join(f"{count} {relation}" for relation, count in counts.items())


def _runs(rows: Sequence[int]) -> Iterator[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers in a sorted sequence."""
    if not rows:
        return
    first = previous = rows[0]
    for row in rows[1:]:
        if row != previous + 1:
            yield first, previous
            first = row
        previous = row
    yield first, previous


@cache
def _bold_font() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _member_tip(member: GroupMember, reason: str, refusal: str | None) -> str:
    lines = [member.file.path]
    if member.relation:
        lines.append(f"{member.relation.capitalize()} copy of the kept file, score {member.score:.3f}")
    if reason:
        lines.append(f"Kept: {reason}")
    if refusal:
        lines.append(f"Not offered for the trash: {refusal}.")
    return "\n".join(lines)


def _member_text(member: GroupMember, column: int, reason: str = "") -> str:
    """reason: the group's keep reason, for its kept member (shown after the badges, elided by the view)."""
    info = member.file
    if column == Column.FILE:
        badges = [b for b, on in (("keep", member.keep), ("protected", member.protected)) if on] + [reason]
        badges = [b for b in badges if b]
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
    if column == Column.RELATION:
        return member.relation
    if column == Column.SCORE:
        return f"{member.score:.3f}"
    return os.path.dirname(info.path)
