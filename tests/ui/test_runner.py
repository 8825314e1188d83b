"""The op runner on its own: the library lives in one thread, ops run there in order and answer in the GUI thread,
failures and notices come back in plain words, progress is throttled, shutdown cancels and closes; and the thread
pool helper for database-free work."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject

from core.cancel import Cancelled, CancelToken
from core.entities import Changes, Phase, ScanProgress
from core.library import Library
from core.store.writer_lock import LibraryBusyError
from core.tiers.keep import KeepRule
from ui.ops.background import run_in_background
from ui.ops.runner import Op, OpChanges, OpFailure, OpRunner, Progress

TIMEOUT_MS = 10_000


class Recorder(Library):
    """A real library that notes which threads open and close it, and has one notice to tell."""

    threads: list[tuple[str, int]]

    def __init__(self, library_dir: Path) -> None:
        self.threads = [("open", threading.get_ident())]
        super().__init__(library_dir)
        self._notices = ["the similarity index was rebuilt"]

    def take_notices(self) -> list[str]:
        notices, self._notices = self._notices, []
        return notices

    def close(self) -> None:
        self.threads.append(("close", threading.get_ident()))
        super().close()


@pytest.fixture
def opened(tmp_path: Path) -> list[Recorder]:
    return []


@pytest.fixture
def runner(qtbot, tmp_path: Path, opened: list[Recorder]) -> Iterator[OpRunner]:  # type: ignore[no-untyped-def]
    def open_library() -> Library:
        opened.append(Recorder(tmp_path / "library"))
        return opened[-1]

    runner = OpRunner(open_library=open_library)
    runner.start()
    yield runner
    assert runner.shutdown()


def op(fn: Any, action: str = "test") -> Op[Any]:
    return Op(action, fn)


def run_and_wait(qtbot, runner: OpRunner, the_op: Op[Any], **callbacks: Any) -> object:  # type: ignore[no-untyped-def]
    """Run an op; the value passed to on_done (or the OpFailure passed to on_error)."""
    answers: list[object] = []
    runner.run(the_op, on_done=answers.append, on_error=answers.append, **callbacks)
    qtbot.waitUntil(lambda: bool(answers), timeout=TIMEOUT_MS)
    return answers[0]


def test_ops_run_in_order_in_the_library_thread_and_answer_in_the_gui_thread(  # type: ignore[no-untyped-def]
    qtbot, runner: OpRunner, opened: list[Recorder]
) -> None:
    ran: list[tuple[int, int]] = []
    answered: list[tuple[int, int]] = []
    for n in range(20):
        runner.run(
            op(lambda library, cancel, progress, n=n: ran.append((n, threading.get_ident())) or n),
            on_done=lambda n: answered.append((n, threading.get_ident())),
        )
    qtbot.waitUntil(lambda: len(answered) == 20, timeout=TIMEOUT_MS)
    assert [n for n, _ in ran] == list(range(20)) and [n for n, _ in answered] == list(range(20))
    assert len(opened) == 1 and opened[0].threads == [("open", ran[0][1])]
    assert {thread for _, thread in ran} == {ran[0][1]} != {threading.main_thread().ident}
    assert {thread for _, thread in answered} == {threading.main_thread().ident}


def test_a_failure_reaches_its_caller_and_the_window_in_plain_words(qtbot, runner: OpRunner) -> None:  # type: ignore[no-untyped-def]
    def busy(library: Library, cancel: CancelToken, progress: Progress) -> None:
        raise LibraryBusyError("another Twinlens process is writing to this library; try again when it is done")

    with qtbot.waitSignal(runner.failed, timeout=TIMEOUT_MS) as reported:
        failure = run_and_wait(qtbot, runner, op(busy, "save keep rules"))
    assert isinstance(failure, OpFailure) and reported.args[0] == failure
    assert failure.action == "save keep rules" and failure.message.startswith("another Twinlens process")
    assert isinstance(failure.error, LibraryBusyError)
    silent = run_and_wait(qtbot, runner, op(lambda library, cancel, progress: 1 / 0))
    assert isinstance(silent, OpFailure) and silent.message == "division by zero"
    assert run_and_wait(qtbot, runner, op(lambda library, cancel, progress: "still works")) == "still works"


def test_changes_are_announced_after_on_done_and_only_for_writes(qtbot, runner: OpRunner) -> None:  # type: ignore[no-untyped-def]
    events: list[object] = []
    runner.changed.connect(events.append)
    runner.run(op(lambda library, cancel, progress: library.problems()), on_done=lambda _: events.append("read"))
    runner.run(op(lambda library, cancel, progress: library.set_keep_rules(library.keep_rules())))
    runner.run(op(lambda library, cancel, progress: library.set_scan_folders([])), on_done=events.append)
    runner.run(op(lambda library, cancel, progress: library.allow_quarantine([])), on_done=events.append)
    qtbot.waitUntil(lambda: len(events) == 5, timeout=TIMEOUT_MS)
    settings = OpChanges(Changes.SETTINGS)
    # keep rules: regroup; an unchanged folder list: nothing to announce; a consent: settings only
    assert events == ["read", OpChanges(Changes.SETTINGS | Changes.GROUPS), Changes.NONE, Changes.SETTINGS, settings]


def test_progress_is_throttled_but_every_new_phase_gets_through(qtbot, runner: OpRunner) -> None:  # type: ignore[no-untyped-def]
    def chatty(library: Library, cancel: CancelToken, progress: Progress) -> int:
        for phase in (Phase.ENUMERATE, Phase.READ, Phase.DONE):
            for done in range(2000):
                progress(ScanProgress(phase, done, 2000))
        return 0

    reports: list[ScanProgress] = []
    run_and_wait(qtbot, runner, op(chatty), on_progress=reports.append)
    assert [r.phase for r in reports][:1] == [Phase.ENUMERATE] and Phase.DONE in {r.phase for r in reports}
    assert len(reports) < 100, "about ten a second, never one per file"


def test_notices_the_library_gives_are_forwarded_once(qtbot, runner: OpRunner) -> None:  # type: ignore[no-untyped-def]
    notices: list[str] = []
    runner.notice.connect(notices.append)
    run_and_wait(qtbot, runner, op(lambda library, cancel, progress: None))
    run_and_wait(qtbot, runner, op(lambda library, cancel, progress: None))
    assert notices == ["the similarity index was rebuilt"]


def test_shutdown_cancels_what_runs_and_closes_the_library_in_its_thread(  # type: ignore[no-untyped-def]
    qtbot, runner: OpRunner, opened: list[Recorder]
) -> None:
    started = threading.Event()

    def long_job(library: Library, cancel: CancelToken, progress: Progress) -> str:
        started.set()
        while not cancel.cancelled:
            time.sleep(0.01)
        return "cancelled"

    answered: list[object] = []
    runner.run(op(long_job), on_done=answered.append)
    assert started.wait(5)
    assert runner.shutdown(timeout_ms=5_000) and runner.stopped
    (opening, where), (closing, there) = opened[0].threads
    assert (opening, closing) == ("open", "close") and where == there != threading.main_thread().ident
    qtbot.wait(50)
    assert answered == [], "nothing is called back after shutdown"
    assert runner.run(op(lambda library, cancel, progress: None)) == 0


def test_a_library_that_cannot_open_is_not_retried_by_every_op(qtbot) -> None:  # type: ignore[no-untyped-def]
    attempts: list[int] = []

    def refuse() -> Library:
        attempts.append(1)
        raise LibraryBusyError("another Twinlens process is creating or upgrading this library; gave up waiting")

    runner = OpRunner(open_library=refuse)
    runner.start()
    try:
        first = run_and_wait(qtbot, runner, op(lambda library, cancel, progress: None, "open the library"))
        second = run_and_wait(qtbot, runner, op(lambda library, cancel, progress: None, "list problems"))
    finally:
        assert runner.shutdown()
    assert isinstance(first, OpFailure) and "gave up waiting" in first.message
    assert isinstance(second, OpFailure) and "the library is not open" in second.message
    assert len(attempts) == 1


def test_background_work_answers_in_the_gui_thread_and_not_to_a_closed_window(qtbot) -> None:  # type: ignore[no-untyped-def]
    answers: list[tuple[object, str]] = []

    def work(progress: Progress) -> str:
        progress("half")
        return threading.current_thread().name

    run_in_background(
        work,
        on_done=lambda name: answers.append((name, threading.current_thread().name)),
        on_progress=lambda p: answers.append((p, threading.current_thread().name)),
    )
    qtbot.waitUntil(lambda: len(answers) == 2, timeout=TIMEOUT_MS)
    main = threading.main_thread().name
    assert answers[0] == ("half", main) and answers[1][0] != main and answers[1][1] == main

    def cancelled(progress: Progress) -> None:
        raise Cancelled

    errors: list[Exception] = []
    run_in_background(cancelled, on_done=print, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT_MS)
    assert isinstance(errors[0], Cancelled)

    release = threading.Event()
    late: list[object] = []
    owner = QObject()
    run_in_background(lambda progress: release.wait(5), on_done=late.append, context=owner)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=TIMEOUT_MS)
    release.set()
    qtbot.wait(200)
    assert late == []


def _alive(obj: QObject) -> bool:
    import shiboken6

    return bool(shiboken6.isValid(obj))


def test_a_write_that_waits_for_another_writer_says_so_at_once(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The real opener: while another writer (here another thread's Library on the same folder) holds the lock, the
    window hears that the write is waiting, and the write goes through once the lock is free."""
    other = Library(tmp_path / "library")
    runner = OpRunner(tmp_path / "library")
    runner.start()
    notices: list[str] = []
    runner.notice.connect(notices.append)
    done: list[object] = []
    release = threading.Event()

    def hold() -> None:
        with other.writer.hold("scan"):
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        qtbot.waitUntil(lambda: other.writer.holder() is not None, timeout=TIMEOUT_MS)
        keep_path = Op("keep rules", lambda library, cancel, progress: library.set_keep_rules([KeepRule.PATH]))
        runner.run(keep_path, done.append)
        qtbot.waitUntil(lambda: bool(notices), timeout=TIMEOUT_MS)
        assert "writing to this library (scan started at" in notices[0] and not done
        release.set()
        qtbot.waitUntil(lambda: bool(done), timeout=TIMEOUT_MS)
    finally:
        release.set()
        holder.join(10)
        assert runner.shutdown()
        other.close()
