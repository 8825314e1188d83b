"""Model downloads in the thread pool: they touch the network and the Hugging Face cache, never the library's
database, so they need not queue behind the library worker (a scan or a search goes on meanwhile)."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from core.cancel import Cancelled, CancelToken
from core.models.manager import download_weights

PROGRESS_INTERVAL_S = 0.1  # about ten updates a second, never one per chunk


class _Signals(QObject):
    progress = Signal(str, int, int)  # model, bytes done, bytes in all (0: unknown)
    finished = Signal(str, object)  # model, None on success, else the message to show


class _DownloadJob(QRunnable):
    def __init__(self, signals: _Signals, name: str, token: CancelToken) -> None:
        super().__init__()
        self._signals, self._name, self._token = signals, name, token
        self._last = 0.0

    def run(self) -> None:
        try:
            download_weights(self._name, self._progress, self._token)
        except Cancelled:
            self._signals.finished.emit(self._name, "Download cancelled.")
        except Exception as exc:  # shown to the person as is: MissingWeightsError says what to do
            self._signals.finished.emit(self._name, str(exc) or type(exc).__name__)
        else:
            self._signals.finished.emit(self._name, None)

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL_S or (total and done >= total):
            self._last = now
            self._signals.progress.emit(self._name, done, total)


class ModelDownloader(QObject):
    """One download at a time; `cancel()` stops it at the next chunk."""

    progress = Signal(str, int, int)
    finished = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._signals = _Signals()  # unparented: a job that ends after this object still has a live target
        self._signals.progress.connect(self.progress)
        self._signals.finished.connect(self._on_finished)
        self._token: CancelToken | None = None
        self.current: str | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self, name: str) -> bool:
        if self.current is not None:
            return False
        self.current = name
        self._token = CancelToken()
        QThreadPool.globalInstance().start(_DownloadJob(self._signals, name, self._token))
        return True

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def _on_finished(self, name: str, error: str | None) -> None:
        self.current = None
        self._token = None
        self.finished.emit(name, error)
