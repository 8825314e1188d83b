"""Search results: a list model over QueryResults and a virtualised icon-mode grid (thumbnail, score, path).

Thumbnails come from the catalog through a ThumbnailCache (off the GUI thread); the view only asks for the
items it paints, so thousands of results cost nothing until they scroll into sight.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QAction, QFont, QPainter, QPalette
from PySide6.QtWidgets import QListView, QMenu, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from core.models.service import QueryResult
from ui.shell.thumbnails import ThumbnailCache

AnyIndex = QModelIndex | QPersistentModelIndex
RESULT_ROLE = Qt.ItemDataRole.UserRole + 1
TEXT_LINES = 3
CELL_PADDING = 8


class ResultsModel(QAbstractListModel):
    def __init__(self, thumbnails: ThumbnailCache, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thumbnails = thumbnails
        self._results: list[QueryResult] = []
        self._row_of_file: dict[int, int] = {}
        thumbnails.thumbnail_ready.connect(self._on_thumbnail)

    @property
    def thumb_size(self) -> QSize:
        return self._thumbnails.size

    @property
    def results(self) -> Sequence[QueryResult]:
        return self._results

    def set_results(self, results: Sequence[QueryResult]) -> None:
        self.beginResetModel()
        self._results = list(results)
        self._row_of_file = {r.file.id: row for row, r in enumerate(self._results)}
        self.endResetModel()

    def result_at(self, index: AnyIndex) -> QueryResult | None:
        return self._results[index.row()] if index.isValid() and index.row() < len(self._results) else None

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._results)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        result = self.result_at(index)
        if result is None:
            return None
        if role == RESULT_ROLE:
            return result
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{result.score:.3f}  {os.path.basename(result.file.path)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            info = result.file
            return f"{info.path}\n{info.width} × {info.height} · {info.format} · similarity {result.score:.3f}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.pixmap_or_placeholder(result.file.id)
        return None

    def _on_thumbnail(self, file_id: int) -> None:
        row = self._row_of_file.get(file_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


class ResultDelegate(QStyledItemDelegate):
    """A tile: the thumbnail centred on top, then the score (bold), the file name and its folder (elided)."""

    def __init__(self, thumb: QSize, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thumb = thumb

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        line = option.fontMetrics.height()
        height = self._thumb.height() + TEXT_LINES * line + 3 * CELL_PADDING
        return QSize(self._thumb.width() + 2 * CELL_PADDING, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        result = index.data(RESULT_ROLE)
        if not isinstance(result, QueryResult):
            return
        rect: QRect = option.rect
        palette: QPalette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.save()
        if selected:
            painter.fillRect(rect, palette.highlight())
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        top = rect.top() + CELL_PADDING
        if pixmap is not None and not pixmap.isNull():
            x = rect.left() + (rect.width() - pixmap.width()) // 2
            y = top + (self._thumb.height() - pixmap.height()) // 2
            painter.drawPixmap(QPoint(x, y), pixmap)
        text_color = palette.highlightedText().color() if selected else palette.text().color()
        line = option.fontMetrics.height()
        text_rect = QRect(rect.left() + 4, top + self._thumb.height() + CELL_PADDING // 2, rect.width() - 8, line)
        bold = QFont(option.font)
        bold.setBold(True)
        lines = [
            (f"{result.score:.3f}", bold, text_color),
            (os.path.basename(result.file.path), option.font, text_color),
            (os.path.dirname(result.file.path), option.font, palette.placeholderText().color()),
        ]
        for text, font, color in lines:
            painter.setFont(font)
            painter.setPen(color)
            elide = Qt.TextElideMode.ElideMiddle if text is lines[2][0] else Qt.TextElideMode.ElideRight
            shown = painter.fontMetrics().elidedText(text, elide, text_rect.width())
            painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, shown)
            text_rect.translate(0, line)
        painter.restore()


class ResultsGrid(QListView):
    """Icon mode, uniform tiles, laid out in batches: smooth with any number of results."""

    def __init__(self, model: ResultsModel, actions: Sequence[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._actions = list(actions)
        self.setModel(model)
        self.setItemDelegate(ResultDelegate(model.thumb_size, self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(200)
        self.setSpacing(6)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

    def current_result(self) -> QueryResult | None:
        return self._model.result_at(self.currentIndex())

    def _menu(self, pos: QPoint) -> None:
        if self._model.result_at(self.indexAt(pos)) is None:
            return
        menu = QMenu(self)
        for action in self._actions:
            menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))
