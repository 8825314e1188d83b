"""The review list: a QTreeView over GroupTreeModel, a delegate that paints group rows and thumbnails,
and the keyboard: arrows between members, Left/Right between groups, Space marks, K keeps one and marks the rest
of its group, N says a member is not a duplicate, Enter opens. A member's context menu offers the same and
Reveal in folder."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QFont, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from ui.review.model import IS_GROUP_ROLE, AnyIndex, Column, GroupTreeModel
from ui.shell.thumbnails import THUMB_SIZE

MEMBER_ROW_HEIGHT = THUMB_SIZE.height() + 8
GROUP_ROW_HEIGHT = 30


class GroupDelegate(QStyledItemDelegate):
    """Group rows: a bold band across the whole row. Member rows: the standard item look (check box,
    thumbnail as decoration, text) at a fixed row height."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        height = GROUP_ROW_HEIGHT if index.data(IS_GROUP_ROLE) else MEMBER_ROW_HEIGHT
        return QSize(super().sizeHint(option, index).width(), height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        if index.data(IS_GROUP_ROLE):
            self._paint_group(painter, option, index)
        else:
            super().paint(painter, option, index)

    def _paint_group(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        rect: QRect = option.rect
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


class GroupView(QTreeView):
    open_requested = Signal(str)  # a member's path
    compare_requested = Signal()  # Enter or double-click on a group row
    not_duplicate_requested = Signal(int, int)  # group row, file id: this member is not a duplicate of the rest
    reveal_requested = Signal(str)  # a member's path, to show in its folder

    def __init__(self, model: GroupTreeModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self._model = model
        self.setItemDelegate(GroupDelegate(self))
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setExpandsOnDoubleClick(False)
        self.setAllColumnsShowFocus(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # Per-item scrolling: the view only measures the rows it shows, so 10,000 groups stay smooth.
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setIconSize(THUMB_SIZE)
        self.setAlternatingRowColors(False)
        self.setUniformRowHeights(False)
        self.doubleClicked.connect(self._open_index)
        model.modelReset.connect(self._after_reset)

    def _after_reset(self) -> None:
        root = QModelIndex()
        for row in range(self._model.rowCount()):
            self.setFirstColumnSpanned(row, root, True)
        self.expandAll()
        if self._model.rowCount():
            self.setCurrentIndex(self._model.member_index(0, 0))

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
        if 0 <= target < self._model.rowCount():
            index = self._model.member_index(target, 0)
            self.setCurrentIndex(index)
            self.scrollTo(self._model.index(target, 0), QAbstractItemView.ScrollHint.PositionAtTop)

    def toggle_selected(self) -> None:
        """Space: toggle the selected members; on a group row, the members the keep rules do not keep."""
        ids: list[int] = []
        groups: list[int] = []
        for index in self.selectionModel().selectedRows(0) or [self.currentIndex()]:
            member = self._model.member_at(index)
            if member is not None:
                ids.append(member.file.id)
            elif index.isValid():
                groups.append(index.row())
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
        current = self.currentIndex()
        if not current.isValid():
            return None
        return current.row() if not current.parent().isValid() else current.parent().row()

    def _open_index(self, index: QModelIndex) -> None:
        member = self._model.member_at(index)
        if member is not None:
            self.open_requested.emit(member.file.path)
        elif self._model.group_at(index) is not None:
            self.compare_requested.emit()
