"""Log files a person can send: one per process, in the user log folder (platformdirs' user_log_dir, or
$TWINLENS_LOG_DIR).

Each process writes its own `KIND-YYYYmmdd-HHMMSS-PID.log` (KIND: app or cli) and never renames a file, so
several processes at once, and Windows (which cannot rename a file another process has open), are safe by
construction: rotation is a new file per process start, and old files are pruned at start. Native crashes (a
segfault in a decoder library, an abort in Qt) go through faulthandler to the process's own `.crash` file, opened
for the life of the process and removed at a clean exit when empty, so only crashes leave one behind.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import platformdirs

LOG_DIR_ENV = "TWINLENS_LOG_DIR"
APP_NAME = "Twinlens"
# Pruning: a file goes only when it is neither among its kind's newest KEEP_FILES nor written to in KEEP_DAYS, so a
# long-running process's file is never pulled from under it by a burst of short ones.
KEEP_FILES = 20
KEEP_DAYS = 14
LOG_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("twinlens")
# Uncaught exceptions go to the file only: Python's own hook (or the app's dialog) already tells the console.
uncaught_log = logging.getLogger("twinlens.uncaught")
uncaught_log.propagate = False


@dataclass(frozen=True)
class LogFiles:
    folder: Path
    log: Path
    crash: Path


@dataclass
class _Installed:
    kind: str
    files: LogFiles
    handler: logging.Handler
    crash_stream: IO[str]
    faulthandler_was_on: bool


_installed: _Installed | None = None


def log_dir() -> Path:
    override = os.environ.get(LOG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def setup_logging(kind: str, console_level: int | None = logging.WARNING) -> LogFiles | None:
    """Send this process's log to its file (INFO and up) and its native crashes to its crash file; also to stderr
    at console_level when there is a stderr (a bundled app on Windows has none). Called again with the same kind
    and folder it changes nothing; with another folder it moves there (tests give each its own).

    None when the folder cannot be written (a read-only home, a full disk): said on the console, and the process
    carries on without a log file."""
    folder = log_dir()
    if _installed is not None and _installed.kind == kind and _installed.files.folder == folder:
        return _installed.files
    stop_logging()
    _add_console(console_level)
    try:
        return _start_files(folder, kind)
    except OSError as error:
        log.warning("no log file for this run: cannot write to %s (%s)", folder, error.strerror or error)
        return None


def _start_files(folder: Path, kind: str) -> LogFiles:
    global _installed
    folder.mkdir(parents=True, exist_ok=True)
    prune(folder, kind)
    files = _new_files(folder, kind)
    handler = logging.FileHandler(files.log, encoding="utf-8", delay=False)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    uncaught_log.addHandler(handler)
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    try:
        crash_stream = files.crash.open("w", encoding="utf-8")
    except OSError:
        root.removeHandler(handler)
        uncaught_log.removeHandler(handler)
        handler.close()
        raise
    was_on = faulthandler.is_enabled()
    faulthandler.enable(crash_stream, all_threads=True)
    _installed = _Installed(kind, files, handler, crash_stream, was_on)
    _hook_uncaught()
    log.info("%s started: Twinlens, Python %s, %s, pid %d", kind, sys.version.split()[0], sys.platform, os.getpid())
    return files


def log_uncaught(exc_type: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """Write an exception nobody caught, with its traceback, to the log file (not the console)."""
    uncaught_log.critical("uncaught %s: %s", exc_type.__name__, value, exc_info=(exc_type, value, tb))


def _hook_uncaught() -> None:
    """Log what reaches Python's default hooks, then let them print it; a hook someone else installed (the app's
    error dialog, which logs by itself) is left alone."""
    if sys.excepthook is sys.__excepthook__:
        sys.excepthook = _log_then_print
    if threading.excepthook is threading.__excepthook__:
        threading.excepthook = _log_thread_then_print


def _log_then_print(exc_type: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    log_uncaught(exc_type, value, tb)
    sys.__excepthook__(exc_type, value, tb)


def _log_thread_then_print(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)
    threading.__excepthook__(args)


def _new_files(folder: Path, kind: str) -> LogFiles:
    stem = f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    return LogFiles(folder, folder / f"{stem}.log", folder / f"{stem}.crash")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to sys.stderr as it is when a record comes (as Python's last-resort handler does), not as it was when
    the handler was made: tests and tools swap it."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


_console: logging.Handler | None = None


def _add_console(level: int | None) -> None:
    """Once per process: what Python's last-resort handler printed before a file handler took its place."""
    global _console
    if level is None or sys.stderr is None or _console is not None:
        return
    _console = _StderrHandler()
    _console.setLevel(level)
    _console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(_console)


def stop_logging() -> None:
    """Undo setup_logging (at exit, and in tests): close the log, drop the crash file when empty, and give
    faulthandler and the exception hooks back to what they were."""
    global _installed
    if _installed is None:
        return
    logging.getLogger().removeHandler(_installed.handler)
    uncaught_log.removeHandler(_installed.handler)
    _installed.handler.close()
    faulthandler.disable()
    if _installed.faulthandler_was_on and sys.__stderr__ is not None:
        with contextlib.suppress(OSError, ValueError):  # a stderr without a file descriptor
            faulthandler.enable(sys.__stderr__, all_threads=True)
    _close_crash_file(_installed)
    if sys.excepthook is _log_then_print:
        sys.excepthook = sys.__excepthook__
    if threading.excepthook is _log_thread_then_print:
        threading.excepthook = threading.__excepthook__
    _installed = None


# A clean exit drops the empty crash file; a native crash never gets here, so its file stays.
atexit.register(stop_logging)


def _close_crash_file(installed: _Installed) -> None:
    installed.crash_stream.close()
    try:
        if installed.files.crash.stat().st_size == 0:
            installed.files.crash.unlink()
    except OSError:
        pass  # already gone, or held by another process (Windows): pruning takes it later


def prune(folder: Path, kind: str, now: float | None = None) -> list[Path]:
    """Remove old files of this kind: those beyond the newest KEEP_FILES (by name: the start time) and unwritten for
    KEEP_DAYS. Returns what was removed; a file another process holds (Windows) stays until a later start."""
    cutoff = (time.time() if now is None else now) - KEEP_DAYS * 86400
    removed = []
    for suffix in (".log", ".crash"):
        for path in sorted(folder.glob(f"{kind}-*{suffix}"), reverse=True)[KEEP_FILES:]:
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except OSError:
                continue
    return removed
