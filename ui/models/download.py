"""Model downloads in the thread pool (ui/ops/background.py): they touch the network and the Hugging Face cache,
never the library's database, so they need not queue behind the library's ops (a scan or a search goes on
meanwhile)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from core.cancel import Cancelled, CancelToken
from core.models.manager import download_weights
from ui.ops.background import run_in_background
from ui.ops.runner import Progress


@dataclass(frozen=True)
class FetchProgress:
    done: int  # bytes
    total: int  # bytes in all; 0 when unknown


class ModelDownloader(QObject):
    """One download at a time; `cancel()` stops it at the next chunk."""

    progress = Signal(str, int, int)  # model, bytes done, bytes in all (0: unknown)
    finished = Signal(str, object)  # model, None on success, else the message to show

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._token: CancelToken | None = None
        self.current: str | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self, name: str) -> bool:
        if self.current is not None:
            return False
        self.current = name
        token = self._token = CancelToken()

        def fetch(progress: Progress) -> Path:
            return download_weights(name, lambda done, total: progress(FetchProgress(done, total)), token)

        run_in_background(
            fetch,
            on_done=lambda _path: self._on_finished(name, None),
            on_error=lambda error: self._on_finished(name, _message(error)),
            on_progress=lambda p: self.progress.emit(name, p.done, p.total),
            context=self,
        )
        return True

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def _on_finished(self, name: str, error: str | None) -> None:
        self.current = None
        self._token = None
        self.finished.emit(name, error)


def _message(error: Exception) -> str:
    """Shown to the person as is: MissingWeightsError says what to do."""
    if isinstance(error, Cancelled):
        return "Download cancelled."
    return str(error) or type(error).__name__
