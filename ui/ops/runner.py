"""The one way from the GUI to the library: an op runner (Anki's QueryOp/CollectionOp shape).

An op is a plain function `fn(library, cancel, progress) -> T` (ui/ops/library_ops.py holds them), paired in an
`Op` with the words a failure is told in. The runner owns the one thread where the Library is created and lives;
the GUI thread never touches it. Ops run there one at a time, in the order they were asked for, and their
`on_done(result)`, `on_error(failure)` and `on_progress(p)` are called back in the GUI thread.

A result that is a `Changes`, or carries one as `changes` (ScanSummary, TrashOutcome, UndoOutcome…), is announced
right after its `on_done` as `changed(OpChanges)`; views subscribe to the flags they show instead of being called
by whoever asked for the change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QDeadlineTimer, QObject, QThread, Signal, Slot

from core.cancel import CancelToken
from core.entities import Changes
from core.library import Library
from core.store.writer_lock import LibraryWriteError

log = logging.getLogger(__name__)
T = TypeVar("T")
Progress = Callable[[Any], None]  # takes a plain dataclass (ScanProgress…)
PROGRESS_INTERVAL_S = 0.1  # about ten reports a second, never one per file


@dataclass(frozen=True)
class Op(Generic[T]):
    """An op function and what it does, in words that complete "Could not …" when it fails."""

    action: str
    fn: Callable[[Library, CancelToken, Progress], T]


@dataclass(frozen=True)
class OpFailure:
    action: str
    message: str  # plain words: a LibraryWriteError's own, else the exception's text
    error: Exception | None = field(default=None, compare=False)


@dataclass(frozen=True)
class OpChanges:
    """What a finished op changed. `paths`: when the change is limited to some files, those (a trash); None when
    it may concern any (a scan, an undo)."""

    changes: Changes
    paths: frozenset[str] | None = None


def changes_of(result: object) -> OpChanges:
    if isinstance(result, Changes):
        return OpChanges(result)
    changes = getattr(result, "changes", Changes.NONE)
    if not isinstance(changes, Changes):
        return OpChanges(Changes.NONE)
    return OpChanges(changes, getattr(result, "changed_paths", None))


class Throttle:
    """Passes on about ten reports a second; a report of a new phase (ScanProgress.phase) always goes through, so
    a view never stays on a step that is over."""

    def __init__(self, send: Progress, interval: float = PROGRESS_INTERVAL_S) -> None:
        self._send, self._interval = send, interval
        self._last = -interval
        self._phase: object = None

    def __call__(self, report: Any) -> None:
        now, phase = time.monotonic(), getattr(report, "phase", None)
        if now - self._last >= self._interval or phase != self._phase:
            self._last, self._phase = now, phase
            self._send(report)


def _ignore(_report: Any) -> None:
    pass


@dataclass(frozen=True)
class _Job:
    op_id: int
    op: Op[Any]
    cancel: CancelToken
    reports_progress: bool


@dataclass(frozen=True)
class _Callbacks:
    on_done: Callable[[Any], None] | None
    on_error: Callable[[OpFailure], None] | None
    on_progress: Progress | None
    cancel: CancelToken


class _Executor(QObject):
    """Lives in the library thread: opens the Library there on the first op, runs each op, reports by id."""

    done = Signal(int, object)
    failed = Signal(int, object)  # op id, OpFailure
    progress = Signal(int, object)
    notice = Signal(str)

    def __init__(self, open_library: Callable[[], Library]) -> None:
        super().__init__()
        self._open = open_library
        self._library: Library | None = None
        self._open_error: str | None = None

    @Slot(object)
    def execute(self, job: _Job) -> None:
        send = Throttle(lambda report: self.progress.emit(job.op_id, report)) if job.reports_progress else _ignore
        try:
            result = job.op.fn(self._opened(), job.cancel, send)
        except LibraryWriteError as exc:  # another process writing, a read-only library, a full disk: no bug
            log.warning("library: %s refused: %s", job.op.action, exc)
            self.failed.emit(job.op_id, OpFailure(job.op.action, str(exc), exc))
        except Exception as exc:  # reported to the person, never lost in the thread
            log.exception("library: %s failed", job.op.action)
            self.failed.emit(job.op_id, OpFailure(job.op.action, str(exc) or type(exc).__name__, exc))
        else:
            self.done.emit(job.op_id, result)
        finally:
            for text in self._library.take_notices() if self._library is not None else ():
                self.notice.emit(text)

    def _opened(self) -> Library:
        """Opened once, in this thread. A library that could not open is not tried again by every op (a busy one
        would make each wait a minute): they fail at once with the first reason."""
        if self._library is None:
            if self._open_error is not None:
                raise RuntimeError(f"the library is not open ({self._open_error})")
            try:
                self._library = self._open()
            except Exception as exc:
                self._open_error = str(exc) or type(exc).__name__
                raise
        return self._library

    @Slot()
    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None
        QThread.currentThread().quit()


class OpRunner(QObject):
    changed = Signal(object)  # OpChanges, after the on_done of an op that changed something
    failed = Signal(object)  # OpFailure: every failure, for the window to report (on_error is called as well)
    notice = Signal(str)  # something the library repaired on its own (a damaged index rebuilt), said once

    _submit = Signal(object)
    _close = Signal()

    def __init__(
        self,
        library_dir: Path | None = None,
        parent: QObject | None = None,
        open_library: Callable[[], Library] | None = None,
    ) -> None:
        """library_dir None: $TWINLENS_LIBRARY, else the platform's user data dir. open_library replaces how the
        Library is made (it is still called in the library thread)."""
        super().__init__(parent)
        opener = open_library or (lambda: Library(library_dir, on_wait=self._tell_waiting))
        self._thread = QThread()
        self._thread.setObjectName("twinlens-library")
        self._executor = _Executor(opener)
        self._executor.moveToThread(self._thread)
        self._submit.connect(self._executor.execute)
        self._close.connect(self._executor.close)
        self._executor.done.connect(self._on_done)
        self._executor.failed.connect(self._on_failed)
        self._executor.progress.connect(self._on_progress)
        self._executor.notice.connect(self.notice)
        self._thread.finished.connect(self._executor.deleteLater)
        self._pending: dict[int, _Callbacks] = {}
        self._last_id = 0
        self._started = self._closed = False

    def _tell_waiting(self, message: str) -> None:
        """Called in the library thread when a write must wait for another writer (another Twinlens process, or
        the CLI): the person hears it at once, not only when the wait gives up."""
        log.warning("%s", message)
        self._executor.notice.emit(message)

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the library thread. Ops asked for before run once it is up, in order (the first opens it)."""
        self._thread.start()
        self._started = True

    def shutdown(self, timeout_ms: int = 120_000) -> bool:
        """Cancel what runs (a scan stops at its next file, keeping its finished work), let the ops already asked
        for finish, close the catalog in its own thread and wait for the thread to end. Nothing is called back
        after this."""
        if self._closed:
            return not self._started or self.stopped
        self._closed = True
        for callbacks in self._pending.values():
            callbacks.cancel.cancel()
        self._pending.clear()
        if not self._started:
            return True
        self._close.emit()
        finished = bool(self._thread.wait(QDeadlineTimer(timeout_ms)))
        if not finished:
            log.error("the library thread did not stop within %d ms", timeout_ms)
        return finished

    @property
    def idle(self) -> bool:
        """No op is waiting or running."""
        return not self._pending

    @property
    def stopped(self) -> bool:
        """The library thread has ended (after shutdown)."""
        return bool(self._thread.isFinished())

    # --- ops --------------------------------------------------------------------------------------------------

    def run(
        self,
        op: Op[T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[OpFailure], None] | None = None,
        on_progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> int:
        """Queue an op behind those asked for before; returns its id (increasing). `cancel` lets the caller stop
        it; shutdown cancels it too. After shutdown nothing runs: 0."""
        if self._closed:
            log.warning("library: %s asked for after shutdown; not run", op.action)
            return 0
        self._last_id += 1
        token = cancel if cancel is not None else CancelToken()
        self._pending[self._last_id] = _Callbacks(on_done, on_error, on_progress, token)
        self._submit.emit(_Job(self._last_id, op, token, on_progress is not None))
        return self._last_id

    def _on_done(self, op_id: int, result: object) -> None:
        callbacks = self._pending.pop(op_id, None)
        if callbacks is None:
            return  # shut down meanwhile
        try:
            if callbacks.on_done is not None:
                callbacks.on_done(result)
        finally:
            changed = changes_of(result)
            if changed.changes:
                self.changed.emit(changed)

    def _on_failed(self, op_id: int, failure: OpFailure) -> None:
        callbacks = self._pending.pop(op_id, None)
        if callbacks is None:
            return
        try:
            if callbacks.on_error is not None:
                callbacks.on_error(failure)
        finally:
            self.failed.emit(failure)

    def _on_progress(self, op_id: int, report: object) -> None:
        callbacks = self._pending.get(op_id)
        if callbacks is not None and callbacks.on_progress is not None:
            callbacks.on_progress(report)
