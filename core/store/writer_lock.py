"""One writer per library: an OS lock on `<library>/twinlens.lock`, held only while something writes.

A scan, a trash, an undo, a "not duplicates" decision and a settings change each hold the lock for as long as
they write; the app does not hold it while it merely shows the library, and readers (SQLite WAL) never wait
for it. A second writer, in another process or another thread, waits with a message and gives up with
LibraryBusyError after a timeout. The kernel releases the lock when its process dies (a crash, kill -9).

Why POSIX record locks (fcntl.lockf) on Linux/macOS rather than flock() or the `filelock` package:
- a record lock is not inherited by fork()ed children, while a flock() lock belongs to the open file, which
  the scan's forked decoder processes share: a decoder left behind by a killed scan would hold the library
  locked for ever. (`filelock` uses flock(); it also truncates the lock file on every attempt, which would
  erase the holder's pid and start time that a waiter shows, and it has no hook for a waiting message.)
- its one pitfall, that closing any descriptor of the file drops the process's lock, is avoided by keeping
  one lock object per file per process (this module's registry) that alone opens the file.
Record locks do not exclude threads of one process, so the registry also makes other threads wait, and lets
the thread that holds the lock take it again (a scan's stages write settings).
On Windows, msvcrt.locking on one byte far past the holder's record (the handle is not inherited).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import inspect
import json
import os
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from core.cancel import Cancelled, CancelToken

LOCK_NAME = "twinlens.lock"
TIMEOUT_ENV = "TWINLENS_WRITE_TIMEOUT"
DEFAULT_TIMEOUT_S = 60.0
POLL_S = 0.1
# The locked byte lies past the holder's record, so the record stays readable while locked (Windows locks are
# mandatory) and rewriting the record never touches the locked range.
_LOCK_OFFSET = 1 << 20
_SQLITE_READONLY = 8
_SQLITE_FULL = 13

WaitCallback = Callable[[str], None]


class LibraryWriteError(RuntimeError):
    """A write to the library could not be done; the message says why and what to do (CLI: exit code 2)."""


class LibraryBusyError(LibraryWriteError):
    """Another Twinlens process (or task) kept writing to the library for longer than the wait allowed."""


class ReadOnlyLibraryError(LibraryWriteError):
    """The library is on a read-only disk or its files are not writable: it can be looked at, not changed."""


class DiskFullError(LibraryWriteError):
    """The disk holding the library filled up; what was committed before is kept."""


@dataclass(frozen=True)
class Holder:
    """Who holds the lock, as its holder recorded it in the lock file."""

    pid: int
    what: str
    since: float
    host: str = ""

    def describe(self) -> str:
        started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
        return f"{self.what} started at {started}, process {self.pid}"


def default_timeout() -> float:
    value = os.environ.get(TIMEOUT_ENV, "").strip()
    try:
        return float(value) if value else DEFAULT_TIMEOUT_S
    except ValueError:
        return DEFAULT_TIMEOUT_S


def read_only_reason(library_dir: Path, db_name: str) -> str:
    """Empty when the library can be written; otherwise why not (a read-only mount, a folder or catalog file
    without write permission). An absent folder counts as writable: creating it says whether it is."""
    if not library_dir.exists():
        return ""
    if not os.access(library_dir, os.W_OK):
        return f"the folder {library_dir} is not writable"
    for name in (db_name, LOCK_NAME):
        path = library_dir / name
        if path.exists() and not os.access(path, os.W_OK):
            return f"{path} is not writable"
    return ""


class _ProcessLock:
    """The lock file as this process holds it: one object per file, shared by every Library of the process."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.changed = threading.Condition()
        self.owner: int | None = None  # the thread holding (or taking) the lock
        self.depth = 0
        self.fd: int | None = None
        self.holder: Holder | None = None

    def acquire(self, what: str, timeout: float, on_wait: WaitCallback, cancel: CancelToken | None) -> None:
        me = threading.get_ident()
        deadline = time.monotonic() + timeout
        told = False
        with self.changed:
            if self.owner == me:
                self.depth += 1
                return
            while self.owner is not None:  # another thread of this process writes
                if not told:
                    on_wait(_waiting_message(self.holder, "another task of this Twinlens process", timeout))
                    told = True
                self._check(deadline, cancel, self.holder)
                self.changed.wait(POLL_S)
            self.owner = me
        try:
            fd = self._open()
            try:
                while not _try_lock(fd):
                    holder = _read_holder(fd)
                    if not told:
                        on_wait(_waiting_message(holder, "another Twinlens process", timeout))
                        told = True
                    self._check(deadline, cancel, holder)
                    time.sleep(POLL_S)
                self.holder = Holder(os.getpid(), what, time.time(), socket.gethostname())
                _write_holder(fd, self.holder)
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            with self.changed:
                self.owner = None
                self.changed.notify_all()
            raise
        with self.changed:
            self.fd, self.depth = fd, 1

    def try_acquire(self, what: str) -> bool:
        """Take the lock only if nobody (no process, no other thread) holds it; never waits."""
        with self.changed:
            if self.owner is not None:
                if self.owner != threading.get_ident():
                    return False
                self.depth += 1
                return True
            self.owner = threading.get_ident()
        try:
            fd = self._open()
            if not _try_lock(fd):
                os.close(fd)
                raise _Busy
            self.holder = Holder(os.getpid(), what, time.time(), socket.gethostname())
            _write_holder(fd, self.holder)
        except BaseException as error:
            with self.changed:
                self.owner = None
                self.changed.notify_all()
            if isinstance(error, _Busy):
                return False
            raise
        with self.changed:
            self.fd, self.depth = fd, 1
        return True

    def release(self) -> None:
        with self.changed:
            if self.owner != threading.get_ident() or self.fd is None:
                raise RuntimeError("the library's writer lock is not held by this thread")
            self.depth -= 1
            if self.depth:
                return
            fd, self.fd, self.holder = self.fd, None, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)  # no stale record for the next waiter to show
            _unlock(fd)
            os.close(fd)
            self.owner = None
            self.changed.notify_all()

    def _open(self) -> int:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise ReadOnlyLibraryError(f"cannot write to this library: {self.path}: {error.strerror}") from error
            raise

    def _check(self, deadline: float, cancel: CancelToken | None, holder: Holder | None) -> None:
        if cancel is not None and cancel.cancelled:
            raise Cancelled
        if time.monotonic() >= deadline:
            who = f" ({holder.describe()})" if holder else ""
            raise LibraryBusyError(
                f"another Twinlens process is still writing to this library{who}; gave up waiting. Try again "
                f"when it has finished (the lock is {self.path})"
            )


class _Busy(Exception):
    pass


_registry: dict[str, _ProcessLock] = {}
_registry_guard = threading.Lock()


def _process_lock(library_dir: Path) -> _ProcessLock:
    path = library_dir / LOCK_NAME
    key = os.path.normcase(os.path.realpath(path))
    with _registry_guard:
        lock = _registry.get(key)
        if lock is None:
            lock = _registry[key] = _ProcessLock(path)
        return lock


def _waiting_message(holder: Holder | None, who: str, timeout: float) -> str:
    detail = f" ({holder.describe()})" if holder else ""
    return f"{who} is writing to this library{detail}; waiting up to {timeout:.0f} s"


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        with contextlib.suppress(OSError):  # closing the handle releases it too
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _LOCK_OFFSET, os.SEEK_SET)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _LOCK_OFFSET, os.SEEK_SET)


def _write_holder(fd: int, holder: Holder) -> None:
    record = json.dumps({"pid": holder.pid, "what": holder.what, "since": holder.since, "host": holder.host})
    try:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, record.encode() + b"\n")
    except OSError:
        pass  # the record only informs waiters; the lock itself is what counts


def _read_holder(fd: int) -> Holder | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = json.loads(os.read(fd, 4096) or b"null")
        return Holder(int(data["pid"]), str(data["what"]), float(data["since"]), str(data.get("host", "")))
    except (OSError, ValueError, TypeError, KeyError):
        return None


class WriterLock:
    """A library's writer lock, as one Library object uses it."""

    def __init__(
        self,
        library_dir: Path,
        timeout: float | None = None,
        on_wait: WaitCallback | None = None,
        read_only: str = "",
    ) -> None:
        """read_only: why the library cannot be written ("" when it can); every hold then raises."""
        self.library_dir = library_dir
        self.timeout = default_timeout() if timeout is None else timeout
        self.on_wait = on_wait or _log_wait
        self.read_only = read_only
        self._lock = _process_lock(library_dir)

    @property
    def path(self) -> Path:
        return self._lock.path

    @contextmanager
    def hold(self, what: str, cancel: CancelToken | None = None) -> Iterator[None]:
        """Hold the lock while writing: waits (telling on_wait once) up to the timeout, then LibraryBusyError.
        SQLite's own refusals inside are translated: disk full → DiskFullError, read-only → ReadOnlyLibraryError.
        """
        if self.read_only:
            raise ReadOnlyLibraryError(
                f"this library is read-only ({self.read_only}): groups, problems and the journal can be "
                f"shown, but nothing can be scanned, trashed, undone or changed"
            )
        self._lock.acquire(what, self.timeout, self.on_wait, cancel)
        try:
            yield
        except sqlite3.OperationalError as error:
            translated = as_write_error(error)
            if translated is None:
                raise
            raise translated from error
        except OSError as error:
            if error.errno != errno.ENOSPC:
                raise
            raise DiskFullError(f"the disk holding {self.library_dir} is full: {error}") from error
        finally:
            self._lock.release()

    @contextmanager
    def try_hold(self, what: str) -> Iterator[bool]:
        """Hold the lock if it is free right now; yields whether it was."""
        if self.read_only:
            yield False
            return
        mine = self._lock.try_acquire(what)
        try:
            yield mine
        finally:
            if mine:
                self._lock.release()

    def holder(self) -> Holder | None:
        """Who holds the lock according to its record (None when free or unknown); for messages."""
        try:
            with self.path.open("rb") as handle:
                data = json.loads(handle.read(4096) or b"null")
            return Holder(int(data["pid"]), str(data["what"]), float(data["since"]), str(data.get("host", "")))
        except (OSError, ValueError, TypeError, KeyError):
            return None


def as_write_error(error: BaseException) -> LibraryWriteError | None:
    """The SQLite error a write can end with, as the person should read it (None: not one of those)."""
    chain: BaseException | None = error
    while chain is not None:  # a failed ROLLBACK after SQLITE_FULL hides the cause in the context
        code = getattr(chain, "sqlite_errorcode", None)
        if code is not None and code & 0xFF == _SQLITE_FULL:
            return DiskFullError(
                "the disk holding this library is full (or the catalog reached its size limit): the scan "
                "stopped; everything finished before is kept. Free some space and scan again to continue"
            )
        if code is not None and code & 0xFF == _SQLITE_READONLY:
            return ReadOnlyLibraryError(f"this library cannot be written: {chain}")
        chain = chain.__cause__ or chain.__context__
    return None


def _log_wait(message: str) -> None:
    import logging

    logging.getLogger("twinlens").warning("%s", message)


P = ParamSpec("P")
R = TypeVar("R")


class Writes(Protocol):
    writer: WriterLock


S = TypeVar("S", bound=Writes)


def writes(what: str) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Decorate a method that writes to the library: it runs holding `self.writer` (a WriterLock). A `cancel`
    argument (CancelToken), when the method has one, also ends the wait."""

    def decorate(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        signature = inspect.signature(method)
        takes_cancel = "cancel" in signature.parameters

        @functools.wraps(method)
        def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            cancel = None
            if takes_cancel:
                found = signature.bind_partial(self, *args, **kwargs).arguments.get("cancel")
                cancel = found if isinstance(found, CancelToken) else None
            with self.writer.hold(what, cancel):
                return method(self, *args, **kwargs)

        return wrapper

    return decorate
