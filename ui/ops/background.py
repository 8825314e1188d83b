"""Work that needs no database (full-size decodes for the compare view, model downloads, saving pasted pixels) runs
in the thread pool, never queued behind the library's ops; its answers come back in the GUI thread.

    run_in_background(lambda progress: decode(path), on_done=show, context=dialog)

`fn` gets a `progress` callable (about ten reports a second reach `on_progress`). With a `context`, nothing is
called back once that QObject is gone (a compare dialog closed while its photos still decode).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ui.ops.runner import Progress, Throttle

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Relay(QObject):
    """One for the app, living in the GUI thread: pool threads emit on it, so the answers arrive there."""

    done = Signal(int, object)
    failed = Signal(int, object)
    progress = Signal(int, object)


@dataclass(frozen=True)
class _Callbacks:
    on_done: Callable[[Any], None]
    on_error: Callable[[Exception], None] | None
    on_progress: Progress | None
    context: QObject | None

    def alive(self) -> bool:
        return self.context is None or shiboken6.isValid(self.context)


_relay: _Relay | None = None
_pending: dict[int, _Callbacks] = {}
_ids = itertools.count(1)


def _the_relay() -> _Relay:
    global _relay
    if _relay is None:  # made by the first call, in the GUI thread
        _relay = _Relay()
        _relay.done.connect(_on_done)
        _relay.failed.connect(_on_failed)
        _relay.progress.connect(_on_progress)
    return _relay


class _Task(QRunnable):
    def __init__(self, task_id: int, fn: Callable[[Progress], Any], relay: _Relay, reports_progress: bool) -> None:
        super().__init__()
        self._id, self._fn, self._relay, self._reports = task_id, fn, relay, reports_progress

    def run(self) -> None:
        send: Progress = Throttle(lambda report: self._relay.progress.emit(self._id, report))
        try:
            result = self._fn(send if self._reports else lambda _report: None)
        except Exception as exc:
            self._relay.failed.emit(self._id, exc)
        else:
            self._relay.done.emit(self._id, result)


def run_in_background(
    fn: Callable[[Progress], T],
    on_done: Callable[[T], None],
    on_error: Callable[[Exception], None] | None = None,
    on_progress: Progress | None = None,
    context: QObject | None = None,
) -> None:
    """Run fn(progress) in the thread pool; call on_done(result) or on_error(exception) in the GUI thread.
    Without on_error a failure is logged."""
    task_id = next(_ids)
    _pending[task_id] = _Callbacks(on_done, on_error, on_progress, context)
    QThreadPool.globalInstance().start(_Task(task_id, fn, _the_relay(), on_progress is not None))


def _on_done(task_id: int, result: object) -> None:
    callbacks = _pending.pop(task_id, None)
    if callbacks is not None and callbacks.alive():
        callbacks.on_done(result)


def _on_failed(task_id: int, error: Exception) -> None:
    callbacks = _pending.pop(task_id, None)
    if callbacks is None or not callbacks.alive():
        return
    if callbacks.on_error is None:
        log.error("background work failed: %s", error, exc_info=error)
        return
    callbacks.on_error(error)


def _on_progress(task_id: int, report: object) -> None:
    callbacks = _pending.get(task_id)
    if callbacks is not None and callbacks.on_progress is not None and callbacks.alive():
        callbacks.on_progress(report)
