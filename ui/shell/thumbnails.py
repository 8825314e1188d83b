"""Thumbnails, loaded lazily off the GUI thread and cached.

A dedicated reader thread opens its own catalog connection (SQLite WAL allows readers beside the library thread's
writer), reads the stored JPEG bytes and decodes and scales them into a QImage; the GUI thread only turns
the finished QImage into a QPixmap. Requests are a bounded, newest-first queue: when the person scrolls fast,
rows that went by long ago are dropped instead of decoded.

The one named exception to "a single worker owns the library" (ui/ops/runner.py): this reader only reads, through
core's read-only Catalog (SQLite refuses any write on it), because thumbnails queued behind a scan or a regroup in
the library thread would leave the Review blank for as long as the scan runs.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QSize, Qt, QThread, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from core.store.catalog import Catalog

THUMB_SIZE = QSize(72, 72)
MAX_QUEUED = 256
CACHE_ENTRIES = 2000


class _RequestQueue:
    """Newest-first, bounded, de-duplicated; shared between the GUI thread and the reader thread."""

    def __init__(self, limit: int = MAX_QUEUED) -> None:
        self._lock = threading.Lock()
        self._ids: OrderedDict[int, None] = OrderedDict()
        self._limit = limit
        self._draining = False

    def push(self, file_id: int) -> bool:
        """Queue one id; True when the reader is idle and must be woken."""
        with self._lock:
            self._ids[file_id] = None
            self._ids.move_to_end(file_id)
            while len(self._ids) > self._limit:
                self._ids.popitem(last=False)
            wake = not self._draining
            self._draining = True
            return wake

    def pop(self) -> int | None:
        with self._lock:
            if not self._ids:
                self._draining = False
                return None
            return self._ids.popitem(last=True)[0]

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()

    def retain(self, file_ids: Iterable[int]) -> None:
        """Drop the queued ids not among these (rows scrolled out of view), keeping the order of the rest."""
        keep = set(file_ids)
        with self._lock:
            for file_id in [i for i in self._ids if i not in keep]:
                del self._ids[file_id]


class ThumbnailReader(QObject):
    ready = Signal(int, QImage)  # a null QImage when the file has no thumbnail

    def __init__(self, library_dir: Path, queue: _RequestQueue, size: QSize) -> None:
        super().__init__()
        self._library_dir = library_dir
        self._queue = queue
        self._size = size
        self._catalog: Catalog | None = None

    @Slot()
    def drain(self) -> None:
        while (file_id := self._queue.pop()) is not None:
            self.ready.emit(file_id, self._load(file_id))

    def _load(self, file_id: int) -> QImage:
        if self._catalog is None:
            self._catalog = Catalog(self._library_dir, readonly=True)
        data = self._catalog.files.thumbnail(file_id)
        image = QImage.fromData(data) if data else QImage()
        if image.isNull():
            return QImage()
        return image.scaled(self._size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)

    @Slot()
    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None
        QThread.currentThread().quit()


def _placeholder(size: QSize) -> QPixmap:
    """Shown while a thumbnail loads (or when a file has none): a soft grey tile, same size as thumbnails."""
    pixmap = QPixmap(size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(128, 128, 128, 60))
    painter.drawRoundedRect(pixmap.rect().adjusted(4, 4, -4, -4), 6, 6)
    painter.end()
    return pixmap


class ThumbnailCache(QObject):
    """GUI side: an LRU of pixmaps; `pixmap()` answers at once and queues a load on a miss."""

    thumbnail_ready = Signal(int)
    _wake = Signal()
    _close = Signal()

    def __init__(self, size: QSize = THUMB_SIZE, capacity: int = CACHE_ENTRIES, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.size = size
        self._capacity = capacity
        self._pixmaps: OrderedDict[int, QPixmap | None] = OrderedDict()
        self._queue = _RequestQueue()
        self._thread: QThread | None = None
        self._reader: ThumbnailReader | None = None
        self._placeholder: QPixmap | None = None

    def attach(self, library_dir: Path) -> None:
        """Start reading from this library (called once the library thread has opened it)."""
        if self._thread is not None:
            return
        self._thread = QThread()
        self._thread.setObjectName("twinlens-thumbnails")
        self._reader = ThumbnailReader(library_dir, self._queue, self.size)
        self._reader.moveToThread(self._thread)
        self._wake.connect(self._reader.drain)
        self._close.connect(self._reader.close)
        self._reader.ready.connect(self._on_ready)
        self._thread.finished.connect(self._reader.deleteLater)
        self._thread.start()

    def pixmap(self, file_id: int) -> QPixmap | None:
        if file_id in self._pixmaps:
            self._pixmaps.move_to_end(file_id)
            return self._pixmaps[file_id]
        if self._thread is not None and self._queue.push(file_id):  # re-pushing moves it to the front
            self._wake.emit()
        return None

    def cached(self, file_id: int) -> bool:
        """Loaded already (with a thumbnail, or found to have none); asks for nothing."""
        return file_id in self._pixmaps

    def pixmap_or_placeholder(self, file_id: int) -> QPixmap:
        found = self.pixmap(file_id)
        if found is not None:
            return found
        if self._placeholder is None:
            self._placeholder = _placeholder(self.size)
        return self._placeholder

    def retain(self, file_ids: Iterable[int]) -> None:
        """Only these files' thumbnails are still wanted (the rows in view): others queued are not loaded."""
        self._queue.retain(file_ids)

    def invalidate(self) -> None:
        """Forget everything (the files' bytes may have changed after a scan)."""
        self._pixmaps.clear()
        self._queue.clear()

    def _on_ready(self, file_id: int, image: QImage) -> None:
        self._pixmaps[file_id] = None if image.isNull() else QPixmap.fromImage(image)
        while len(self._pixmaps) > self._capacity:
            self._pixmaps.popitem(last=False)
        self.thumbnail_ready.emit(file_id)

    def shutdown(self) -> None:
        if self._thread is None:
            return
        self._queue.clear()
        self._close.emit()
        self._thread.wait()
        self._thread = None
