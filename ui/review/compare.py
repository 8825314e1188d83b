"""Compare the photos of a duplicate group: two full-resolution views side by side that zoom and pan together,
a flip to see A and B in the same place, and a table of their details with the differences highlighted.

A (left) is the reference, at first the photo the keep rules keep; B (right) is the current photo, which
←/→ step through the others and which K (keep) and T (mark for trash) act on. Space or Tab swaps A and B, so
flicking it shows both photos in the same place. Marks go straight back to Review's marks, and T is not offered where
Review would refuse the mark (a protected photo, or the last unmarked one of the group).

Full-resolution images are decoded with Pillow in the thread pool (ui/ops/background.py; EXIF orientation applied
there); the GUI thread only paints the finished QImage.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from PySide6.QtCore import QObject, QPointF, QRectF, QSettings, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.entities import DuplicateGroup, GroupMember
from core.scan.decode import DecodeError, decode_user_file
from ui.ops.background import run_in_background
from ui.ops.runner import Progress
from ui.shell.format import capture_date, human_size
from ui.shell.settings import COMPARE_ZOOM, read_text, write_text

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.02, 32.0
DIFFERS = QColor(255, 196, 0, 110)
CURRENT_FRAME = QColor(48, 140, 255)
KEYS_HELP = (
    "←/→ next/previous photo as B · Space or Tab: swap A and B · +/−: zoom · 0: fit · 1: actual pixels · "
    "wheel: zoom · drag: pan · K: keep B · T: mark B for trash · Esc: close"
)


def _decode(path: str, _progress: Progress) -> QImage:
    return load_full_image(path)


def load_full_image(path: str) -> QImage:
    """Decode at full resolution, upright (EXIF orientation applied); a null QImage when unreadable, not a photo
    or too large (core.scan.decode checks the header, the size and the pixel count before decoding)."""
    try:
        rgb, _ = decode_user_file(path, full=True)
    except DecodeError:
        return QImage()
    data = rgb.tobytes()
    image = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels: `data` goes away with this function


@dataclass
class ZoomState:
    """Shared by both panes, so they always show the same part of the picture.

    fit: each pane fits its whole image. Otherwise `zoom` is screen pixels per pixel of the wider image
    (1.0 = actual pixels), and (cx, cy) is the point of the picture, as a fraction of its size, that sits at
    the pane's centre. Fractions keep a resized copy aligned with its original."""

    fit: bool = True
    zoom: float = 1.0
    cx: float = 0.5
    cy: float = 0.5
    ref_width: int = 1


class ImagePane(QWidget):
    view_changed = Signal()

    def __init__(self, view: ZoomState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.image: QImage | None = None
        self.title = ""
        self.message = "Loading…"
        self.current = False
        self._drag: QPointF | None = None
        self.setMinimumSize(200, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.OpenHandCursor)

    def show_image(self, title: str, image: QImage | None, current: bool) -> None:
        self.title, self.current = title, current
        self.image = image if image is not None and not image.isNull() else None
        self.message = "Loading…" if image is None else "Could not read this file." if image.isNull() else ""
        self.update()

    # --- geometry -----------------------------------------------------------------------------------------

    def scale(self) -> float:
        if self.image is None:
            return 1.0
        width, height = self.image.width(), self.image.height()
        if self.view.fit:
            return min(self.width() / width, self.height() / height)
        return self.view.zoom * self.view.ref_width / width

    def fit_zoom(self) -> float:
        """The zoom (in the shared unit) that fit mode shows in this pane."""
        if self.image is None:
            return 1.0
        return min(self.width() / self.image.width(), self.height() / self.image.height()) * (
            self.image.width() / self.view.ref_width
        )

    def origin(self) -> QPointF:
        assert self.image is not None
        s = self.scale()
        width, height = self.image.width() * s, self.image.height() * s
        if self.view.fit:
            return QPointF((self.width() - width) / 2, (self.height() - height) / 2)
        return QPointF(self.width() / 2 - self.view.cx * width, self.height() / 2 - self.view.cy * height)

    def zoom_at(self, factor: float, pos: QPointF) -> None:
        """Zoom by `factor`, keeping the picture point under `pos` where it is."""
        if self.image is None:
            return
        s, origin = self.scale(), self.origin()
        width, height = self.image.width(), self.image.height()
        u, v = (pos.x() - origin.x()) / (width * s), (pos.y() - origin.y()) / (height * s)
        zoom = min(MAX_ZOOM, max(MIN_ZOOM, s * width / self.view.ref_width * factor))
        self.view.fit, self.view.zoom = False, zoom
        s = self.scale()
        self.view.cx = _clamp(u - (pos.x() - self.width() / 2) / (width * s))
        self.view.cy = _clamp(v - (pos.y() - self.height() / 2) / (height * s))
        self.view_changed.emit()

    def pan(self, dx: float, dy: float) -> None:
        if self.image is None or self.view.fit:
            return
        s = self.scale()
        self.view.cx = _clamp(self.view.cx - dx / (self.image.width() * s))
        self.view.cy = _clamp(self.view.cy - dy / (self.image.height() * s))
        self.view_changed.emit()

    # --- events -------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(34, 34, 34))
        if self.image is not None:
            s, origin = self.scale(), self.origin()
            target = QRectF(origin.x(), origin.y(), self.image.width() * s, self.image.height() * s)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, s < 1)
            painter.drawImage(target, self.image)
        else:
            painter.setPen(QColor(220, 220, 220))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
        self._paint_title(painter)
        painter.end()

    def _paint_title(self, painter: QPainter) -> None:
        band = QRectF(0, 0, self.width(), painter.fontMetrics().height() + 10)
        painter.fillRect(band, CURRENT_FRAME if self.current else QColor(0, 0, 0, 170))
        painter.setPen(QColor(255, 255, 255))
        text = painter.fontMetrics().elidedText(self.title, Qt.TextElideMode.ElideMiddle, self.width() - 16)
        painter.drawText(band.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        if self.current:
            painter.setPen(CURRENT_FRAME)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_at(ZOOM_STEP**steps, event.position())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = event.position()
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag is not None:
            delta = event.position() - self._drag
            self._drag = event.position()
            self.pan(delta.x(), delta.y())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._drag = None
        self.setCursor(Qt.CursorShape.OpenHandCursor)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


ROWS: tuple[tuple[str, Callable[[GroupMember], str]], ...] = (
    ("Resolution", lambda m: f"{m.file.width} × {m.file.height} ({m.file.width * m.file.height / 1e6:.1f} MP)"),
    ("File size", lambda m: human_size(m.file.size)),
    ("Format", lambda m: m.file.format),
    ("Captured", lambda m: capture_date(m.file.captured_at)),
    ("Camera", lambda m: m.file.camera or "—"),
    ("Score", lambda m: f"{m.score:.3f}"),
    ("Kept by rules", lambda m: "yes" + (" (protected)" if m.protected else "") if m.keep else "no"),
    ("Path", lambda m: m.file.path),
)
MARK_ROW = "Your mark"


def keep_reason_text(group: DuplicateGroup) -> str:
    """What the keep rules keep in this group, and why ("Kept by the rules: DSC_2181.JPG: camera original …")."""
    kept = ", ".join(os.path.basename(m.file.path) for m in group.members if m.keep)
    if not kept:
        return ""
    return f"Kept by the rules: {kept}" + (f" — {group.keep_reason}" if group.keep_reason else "")


class MetadataTable(QTableWidget):
    """A's and B's details side by side (a row per field); rows where they differ are highlighted.

    Only the two photos on show: a group can hold dozens, and a column each would be unreadable."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setColumnCount(2)
        self.setRowCount(len(ROWS) + 1)
        self.setVerticalHeaderLabels([name for name, _ in ROWS] + [MARK_ROW])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        rows = sum(self.rowHeight(r) for r in range(self.rowCount())) or (len(ROWS) + 1) * 24
        return QSize(super().sizeHint().width(), rows + self.horizontalHeader().height() + 4)

    def show_pair(self, members: tuple[GroupMember, ...], a: int, b: int, marks: list[bool]) -> None:
        self.setHorizontalHeaderLabels([f"A · #{a + 1} of {len(members)}", f"B · #{b + 1} of {len(members)}"])
        for row, (_, value) in enumerate(ROWS):
            self._set_row(row, value(members[a]), value(members[b]))
        self._set_row(len(ROWS), *("marked for trash" if marks[i] else "keep" for i in (a, b)))
        self.setFixedHeight(self.sizeHint().height())

    def _set_row(self, row: int, a_text: str, b_text: str) -> None:
        for col, text in enumerate((a_text, b_text)):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            if a_text != b_text:
                item.setBackground(QBrush(DIFFERS))
            self.setItem(row, col, item)

    def differing(self) -> list[str]:
        """The names of the highlighted rows (for tests and tooling)."""
        found = []
        for row in range(self.rowCount()):
            item, header = self.item(row, 1), self.verticalHeaderItem(row)
            if item is not None and header is not None and item.background().color() == DIFFERS:
                found.append(header.text())
        return found


class CompareActions(QObject):
    """The compare view's commands: its buttons show them, their shortcuts are the keyboard."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.previous = self._make(parent, "◀ Previous", ["Left"], "Show the previous photo as B")
        self.next = self._make(parent, "Next ▶", ["Right"], "Show the next photo as B")
        self.swap = self._make(parent, "Swap A/B", ["Space", "Tab"], "Swap A and B: flick to spot differences")
        self.zoom_in = self._make(parent, "Zoom in", ["+", "="], "Zoom in (or use the wheel)")
        self.zoom_out = self._make(parent, "Zoom out", ["-"], "Zoom out")
        self.fit = self._make(parent, "Fit", ["0"], "Fit the whole photo")
        self.actual = self._make(parent, "1:1", ["1"], "Actual pixels (of the larger photo)")
        self.keep = self._make(parent, "Keep B", ["K"], "Keep photo B (unmark it)")
        self.trash = self._make(parent, "Trash B", ["T"], "Mark photo B for the trash")

    def _make(self, parent: QWidget, text: str, keys: list[str], tip: str) -> QAction:
        action = QAction(text, parent)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setToolTip(f"{tip} ({' or '.join(keys)})")
        parent.addAction(action)
        return action

    def all(self) -> list[QAction]:
        return [self.previous, self.next, self.swap, self.zoom_in, self.zoom_out, self.fit, self.actual]


class CompareDialog(QDialog):
    mark_changed = Signal(int, bool)  # file id, marked for the trash

    def __init__(
        self,
        group: DuplicateGroup,
        is_marked: Callable[[int], bool],
        settings: QSettings,
        start_file: int | None = None,
        parent: QWidget | None = None,
        can_mark: Callable[[int], bool] = lambda _file_id: True,
    ) -> None:
        super().__init__(parent)
        if len(group.members) < 2:
            raise ValueError("a comparison needs at least two photos")
        self.group = group
        self.members = group.members
        self._is_marked = is_marked
        self._can_mark = can_mark  # Review's rules: never a protected photo, never a group's last unmarked one
        self._settings = settings
        self._images: dict[int, QImage] = {}
        self.a = next((i for i, m in enumerate(self.members) if m.keep), 0)
        ids = [m.file.id for m in self.members]
        start = ids.index(start_file) if start_file in ids else -1
        self.b = start if start not in (-1, self.a) else (self.a + 1) % len(self.members)
        self.view = ZoomState(fit=read_text(settings, COMPARE_ZOOM, "fit") != "actual")
        self.left, self.right = ImagePane(self.view), ImagePane(self.view)
        for pane in (self.left, self.right):
            pane.view_changed.connect(self._repaint)
        self.table = MetadataTable()
        self.actions_ = CompareActions(self)
        self._connect()
        self._layout()
        self.setWindowTitle(f"Compare — {len(self.members)} photos")
        self.resize(1240, 820)
        self._load_all()
        self._show()

    def _connect(self) -> None:
        a = self.actions_
        a.previous.triggered.connect(lambda: self.step(-1))
        a.next.triggered.connect(lambda: self.step(1))
        a.swap.triggered.connect(self.swap)
        a.zoom_in.triggered.connect(lambda: self.zoom(ZOOM_STEP))
        a.zoom_out.triggered.connect(lambda: self.zoom(1 / ZOOM_STEP))
        a.fit.triggered.connect(lambda: self.set_fit(True))
        a.actual.triggered.connect(lambda: self.set_fit(False))
        a.keep.triggered.connect(lambda: self.mark_current(False))
        a.trash.triggered.connect(lambda: self.mark_current(True))

    def _layout(self) -> None:
        bar = QHBoxLayout()
        for action in [*self.actions_.all(), None, self.actions_.keep, self.actions_.trash]:
            if action is None:
                bar.addStretch()
                continue
            button = QToolButton()
            button.setDefaultAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            bar.addWidget(button)
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.left)
        panes.addWidget(self.right)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(panes)
        split.addWidget(self.table)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 0)
        split.setCollapsible(0, False)
        self.keys = QLabel(KEYS_HELP)
        self.keys.setWordWrap(True)
        self.keep_reason = QLabel(keep_reason_text(self.group))
        self.keep_reason.setWordWrap(True)
        self.keep_reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.keep_reason)
        layout.addWidget(self.keys)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab swaps A and B instead of moving the focus

    # --- images -------------------------------------------------------------------------------------------

    def _load_all(self) -> None:
        """A and B first. A decode that finishes after the dialog closed is dropped (context)."""
        for index in [self.a, self.b] + [i for i in range(len(self.members)) if i not in (self.a, self.b)]:
            file = self.members[index].file
            run_in_background(partial(_decode, file.path), partial(self._on_loaded, file.id), context=self)

    def _on_loaded(self, file_id: int, image: QImage) -> None:
        self._images[file_id] = image
        self._show()

    def loaded(self, index: int) -> bool:
        return self.members[index].file.id in self._images

    # --- commands -----------------------------------------------------------------------------------------

    def step(self, step: int) -> None:
        """B moves to the next (or previous) photo other than A."""
        n = len(self.members)
        b = self.b
        for _ in range(n):
            b = (b + step) % n
            if b != self.a:
                break
        self.b = b
        self._show()

    def swap(self) -> None:
        self.a, self.b = self.b, self.a
        self._show()

    def zoom(self, factor: float) -> None:
        pane = self.right
        if self.view.fit:
            self.view.zoom = pane.fit_zoom()
            self.view.cx = self.view.cy = 0.5
        self.view.fit = False
        self.view.zoom = min(MAX_ZOOM, max(MIN_ZOOM, self.view.zoom * factor))
        self._repaint()

    def set_fit(self, fit: bool) -> None:
        self.view.fit = fit
        if not fit:
            self.view.zoom = 1.0
        write_text(self._settings, COMPARE_ZOOM, "fit" if fit else "actual")
        self._repaint()

    def mark_current(self, marked: bool) -> None:
        self.mark_changed.emit(self.members[self.b].file.id, marked)
        self._show()

    # --- display ------------------------------------------------------------------------------------------

    def _show(self) -> None:
        for pane, index, side in ((self.left, self.a, "A"), (self.right, self.b, "B")):
            member = self.members[index]
            mark = "marked for trash" if self._is_marked(member.file.id) else "kept" if member.keep else "unmarked"
            title = f"{side} · #{index + 1} of {len(self.members)} · {os.path.basename(member.file.path)} · {mark}"
            pane.show_image(title, self._images.get(member.file.id), pane is self.right)
        marks = [self._is_marked(m.file.id) for m in self.members]
        self.table.show_pair(self.members, self.a, self.b, marks)
        self.actions_.trash.setEnabled(self._can_mark(self.members[self.b].file.id))
        self._repaint()

    def _repaint(self) -> None:
        widths = [p.image.width() for p in (self.left, self.right) if p.image is not None]
        self.view.ref_width = max(widths, default=1)
        self.left.update()
        self.right.update()
