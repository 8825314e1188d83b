"""The review list: a QTableView over GroupListModel, a delegate that paints group rows and thumbnails,
and the keyboard: arrows between members, Left/Right between groups, Space marks, K keeps one and marks the rest
of its group, N says a member is not a duplicate, Enter opens. A member's context menu offers the same and
Reveal in folder.

Virtual at any size: the table places rows by its vertical header (a fixed height each, no per-row measuring) and
scrolls per row, so a reset, a thumbnail arriving or a scroll costs the rows in view, never all 120,000 rows of
20,000 groups. Group header rows are shorter and span every column; both are set as such rows come into view
(and for the last screenful, which sets the scroll range): setting them for 20,000 groups at every reset would cost
more than the rest of the reset together.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFont, QKeyEvent, QPainter, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from ui.review.model import HEADERS, IS_GROUP_ROLE, AnyIndex, Column, GroupListModel
from ui.shell.thumbnails import THUMB_SIZE

MEMBER_ROW_HEIGHT = THUMB_SIZE.height() + 8
GROUP_ROW_HEIGHT = 30
TEXT_MARGIN = 12


class GroupDelegate(QStyledItemDelegate):
    """Group rows: a bold band across the whole row. Member rows: the standard item look (check box,
    thumbnail as decoration, text) at a fixed row height."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        """By row kind, from the text alone: the standard hint reads every role, the thumbnail's included, and so
        would load the thumbnail of every row it measures."""
        if index.data(IS_GROUP_ROLE):
            return QSize(0, GROUP_ROW_HEIGHT)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "").split("\n")[0]
        icon = THUMB_SIZE.width() + TEXT_MARGIN if index.column() == Column.FILE else 0
        return QSize(option.fontMetrics.horizontalAdvance(text) + icon + TEXT_MARGIN, MEMBER_ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        if index.data(IS_GROUP_ROLE):
            self._paint_group(painter, option, index)
        else:
            super().paint(painter, option, index)

    def _paint_group(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.fillRect(rect, palette.highlight() if selected else palette.alternateBase())
        painter.setPen(palette.highlightedText().color() if selected else palette.text().color())
        font = QFont(option.font)
        font.setBold(True)
        painter.setFont(font)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        text_rect = rect.adjusted(8, 0, -8, 0)
        elided = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
        painter.restore()


class GroupView(QTableView):
    open_requested = Signal(str)  # a member's path
    compare_requested = Signal()  # Enter or double-click on a group row
    not_duplicate_requested = Signal(int, int)  # group row, file id: this member is not a duplicate of the rest
    reveal_requested = Signal(str)  # a member's path, to show in its folder

    def __init__(self, model: GroupListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._model = model
        self._shaped: set[int] = set()  # group header rows given their height and span since the last reset
        self.setItemDelegate(GroupDelegate(self))
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setIconSize(THUMB_SIZE)
        self.setAlternatingRowColors(False)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumSectionSize(1)
        rows.setDefaultSectionSize(MEMBER_ROW_HEIGHT)
        columns = self.horizontalHeader()
        columns.setStretchLastSection(True)
        columns.setHighlightSections(False)
        columns.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.doubleClicked.connect(self._open_index)
        self.verticalScrollBar().valueChanged.connect(self._shape_rows_in_view)
        model.modelReset.connect(self._after_reset)

    def _after_reset(self) -> None:
        self.clearSpans()
        self._shaped.clear()
        self._shape_rows_in_view()
        if self._model.rowCount():
            self.setCurrentIndex(self._model.member_index(0, 0))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._shape_rows_in_view()

    # --- rows in view ---------------------------------------------------------------------------------------

    def rows_in_view(self) -> tuple[int, int]:
        """(first, last) row on screen, from the rows' heights by kind (those not yet shaped included)."""
        first = self.verticalScrollBar().value()
        return first, self._rows_filling(first, 1)

    def _rows_filling(self, start: int, step: int) -> int:
        """The last row reached from `start`, going by `step`, when the rows fill the viewport's height."""
        count, height, row = self._model.rowCount(), 0, start
        while 0 <= row < count:
            height += GROUP_ROW_HEIGHT if self._model.is_group_row(row) else MEMBER_ROW_HEIGHT
            if height >= self.viewport().height() or not 0 <= row + step < count:
                break
            row += step
        return max(0, min(row, count - 1))

    def _shape_rows_in_view(self) -> None:
        """Group header rows in view, and in the last screenful (they set the scroll range), get their height and
        span; thumbnails queued for rows out of view are dropped."""
        count = self._model.rowCount()
        if not count:
            return
        first, last = self.rows_in_view()
        tail = self._rows_filling(count - 1, -1)
        header = self.verticalHeader()
        for row in [*range(first, last + 1), *range(tail, count)]:
            if row not in self._shaped and self._model.is_group_row(row):
                self._shaped.add(row)
                self.setSpan(row, 0, 1, len(HEADERS))
                header.resizeSection(row, GROUP_ROW_HEIGHT)
        self._model.load_thumbnails_for(*self.rows_in_view())

    def set_column_widths(self) -> None:
        widths = {Column.FILE: 340, Column.SIZE: 80, Column.RESOLUTION: 100, Column.CAPTURED: 130}
        widths |= {Column.FORMAT: 60, Column.RELATION: 80, Column.SCORE: 60}
        for column, width in widths.items():
            self.setColumnWidth(column, width)

    # --- keyboard ---------------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.toggle_selected()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_index(self.currentIndex())
        elif key == Qt.Key.Key_K and not event.modifiers():
            self.keep_current()
        elif key == Qt.Key.Key_N and not event.modifiers():
            self.not_duplicate_current()
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            self.step_group(1 if key == Qt.Key.Key_Right else -1)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def step_group(self, step: int) -> None:
        g_row = self.current_group_row()
        target = 0 if g_row is None else g_row + step
        if 0 <= target < len(self._model.groups):
            index = self._model.member_index(target, 0)
            self.setCurrentIndex(index)
            self.scrollTo(self._model.group_index(target), QAbstractItemView.ScrollHint.PositionAtTop)

    def toggle_selected(self) -> None:
        """Space: toggle the selected members; on a group row, the members the keep rules do not keep."""
        ids: list[int] = []
        groups: list[int] = []
        for index in self.selectionModel().selectedRows(0) or [self.currentIndex()]:
            place = self._model.place(index)
            if place is not None and place[1] is not None:
                ids.append(self._model.groups[place[0]].members[place[1]].file.id)
            elif place is not None:
                groups.append(place[0])
        if ids or groups:
            self._model.toggle(ids, groups)

    def keep_current(self) -> None:
        """K: keep the current member, mark the rest of its group."""
        member = self._model.member_at(self.currentIndex())
        if member is not None:
            self._model.keep_only(member.file.id)

    def not_duplicate_current(self) -> None:
        """N: the current member is not a duplicate of the rest of its group."""
        member = self._model.member_at(self.currentIndex())
        row = self.current_group_row()
        if member is not None and row is not None:
            self.not_duplicate_requested.emit(row, member.file.id)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if self._model.member_at(index) is None:
            super().contextMenuEvent(event)
            return
        self.setCurrentIndex(index)
        self.member_menu().popup(self.viewport().mapToGlobal(event.pos()))
        event.accept()

    def member_menu(self) -> QMenu:
        """The current member's actions (a new menu each time; it deletes itself once closed)."""
        member = self._model.member_at(self.currentIndex())
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if member is None:
            return menu
        path = member.file.path
        menu.addAction("Open", "Return", lambda: self.open_requested.emit(path))
        menu.addAction("Reveal in folder", lambda: self.reveal_requested.emit(path))
        menu.addSeparator()
        menu.addAction("Keep only this, mark the rest of the group", "K", self.keep_current)
        menu.addAction("Not a duplicate (take it out of this group)", "N", self.not_duplicate_current)
        return menu

    def current_group_row(self) -> int | None:
        place = self._model.place(self.currentIndex())
        return None if place is None else place[0]

    def _open_index(self, index: QModelIndex) -> None:
        member = self._model.member_at(index)
        if member is not None:
            self.open_requested.emit(member.file.path)
        elif self._model.group_at(index) is not None:
            self.compare_requested.emit()
