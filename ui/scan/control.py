"""One scan at a time, cancellable: a second scan while one runs is refused with a message, and cancelling keeps
the finished work (the catalog commits per batch; the next scan resumes)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.cancel import CancelToken
from core.entities import ScanRequest, ScanSummary
from ui.ops import library_ops
from ui.ops.runner import OpFailure, OpRunner

SCAN_RUNNING = "A scan is already running. Wait for it to finish or cancel it first."


class ScanControl(QObject):
    started = Signal()
    progress = Signal(object)  # ScanProgress, about ten a second
    finished = Signal(object)  # ScanSummary, or None when the scan failed (the runner reports why)
    refused = Signal(str)  # a second scan was asked for while one runs

    def __init__(self, runner: OpRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._token: CancelToken | None = None

    @property
    def running(self) -> bool:
        return self._token is not None

    def start(self, request: ScanRequest) -> bool:
        if self._token is not None:
            self.refused.emit(SCAN_RUNNING)
            return False
        self._token = CancelToken()
        self.started.emit()
        self._runner.run(
            library_ops.scan(request),
            on_done=self._finish,
            on_error=self._failed,
            on_progress=self.progress.emit,
            cancel=self._token,
        )
        return True

    def cancel(self) -> None:
        if self._token is not None:
            self._token.cancel()

    def _failed(self, _failure: OpFailure) -> None:
        self._finish(None)

    def _finish(self, summary: ScanSummary | None) -> None:
        self._token = None
        self.finished.emit(summary)
