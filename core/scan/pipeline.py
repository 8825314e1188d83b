"""The scan pipeline: enumerate → diff against the catalog → read, hash and decode once (worker processes)
→ store in batches (→ optional stages such as embedding) → perceptual neighbours.

Cancelling keeps every committed batch; the next scan only does what is left.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol

from PIL import Image

from core.cancel import NEVER_CANCELLED, Cancelled, CancelToken
from core.entities import Phase, Problem, ScanProgress, ScanRequest, ScanSummary
from core.pathrules import path_rules
from core.places import canonical_roots, distinct_paths, is_inside
from core.scan.decode import DecodeOutcome, HashedOnly, Outcome, PrepareImage, ReadFailure, read_and_decode
from core.scan.metadata import META_VERSION, refresh_metadata
from core.scan.perceptual import update_phash_neighbours
from core.scan.walk import Enumeration, FileEntry, WalkOptions, enumerate_files
from core.store.catalog import Catalog
from core.store.files import KnownFile

ProgressCallback = Callable[[ScanProgress], None]
# A stage's progress after all files were read: (done, total, the file it is working on).
StageReport = Callable[[int, int, str], None]
# Problems found while walking are re-detected on every scan; decode problems persist while the file is unchanged.
WALK_PROBLEM_CODES = ("folder-unreadable", "symlink-loop", "alias", "broken-link")
# A decoder process died or hung on the file: nothing is known about its bytes.
DECODER_FAILURES = ("decoder-crashed", "decoder-timeout")
COMMIT_EVERY_FILES = 64
COMMIT_EVERY_SECONDS = 1.0
CHUNK_FILES = 4
IN_FLIGHT_PER_WORKER = 3
PROGRESS_INTERVAL = 0.1
# A file may take DECODE_SECONDS plus its size at SLOW_READ_BYTES_PER_SECOND before its decoder is stopped.
DECODE_SECONDS = 60.0
SLOW_READ_BYTES_PER_SECOND = 2_000_000
STARTUP_SECONDS = 120.0
MAX_FAILED_STARTS = 3
POLL_SECONDS = 0.2  # how often the scan looks at cancel and at its decoders while none answers


class ScanStage(Protocol):
    """A step fed with each decoded working image, e.g. the embedding model (owned by the scan's thread)."""

    phase: Phase

    def files_needing_images(self, catalog: Catalog) -> set[int]:
        """Unchanged files that still need an image (e.g. no vector for the active model yet)."""

    def image_preparation(self) -> PrepareImage | None:
        """What the stage does first to each working image (e.g. the model's resize to its input), for the
        decoders to do before they send it: picklable, and the same for every image. None: any image will do."""

    def accept(self, catalog: Catalog, file_id: int, image: Image.Image) -> None: ...

    def flush(self, catalog: Catalog, final: bool) -> int:
        """Do the work that is due (e.g. embed full batches; with final, also the last partial one) and commit
        it; returns files completed."""

    def finish(self, catalog: Catalog, cancel: CancelToken, report: StageReport) -> None:
        """After all files: e.g. update the vector index and neighbour graph."""


@dataclass(frozen=True)
class ReadJob:
    path: str
    size: int
    mtime_ns: int
    existing: KnownFile | None
    image_only: bool = False


@dataclass
class ScanPlan:
    jobs: list[ReadJob] = field(default_factory=list)
    unchanged: int = 0
    new: int = 0
    changed: int = 0
    removed_ids: list[int] = field(default_factory=list)
    skipped_problem_paths: list[str] = field(default_factory=list)
    stale_metadata: list[tuple[int, str]] = field(default_factory=list)  # unchanged, read by an older reader


@dataclass
class _Counts:
    new: int = 0
    changed: int = 0
    moved: int = 0
    embedded: int = 0


def plan_scan(
    files: list[FileEntry],
    known: dict[str, KnownFile],
    known_problems: dict[str, tuple[int | None, int | None]],
    need_images: set[int],
) -> ScanPlan:
    """known and known_problems are by path key (core.pathrules): on a case-insensitive volume a file is found
    again however its folder's name was typed."""
    key = path_rules().key
    plan = ScanPlan()
    for entry in files:
        entry_key = key(entry.path)
        existing = known.get(entry_key)
        unchanged = existing is not None and existing.size == entry.size and existing.mtime_ns == entry.mtime_ns
        if unchanged and existing is not None and existing.status == "present":
            plan.unchanged += 1
            if existing.meta_version < META_VERSION:
                plan.stale_metadata.append((existing.id, entry.path))
            if existing.id in need_images:
                plan.jobs.append(ReadJob(entry.path, entry.size, entry.mtime_ns, existing, image_only=True))
        elif known_problems.get(entry_key) == (entry.size, entry.mtime_ns):
            plan.skipped_problem_paths.append(entry.path)
        else:
            plan.jobs.append(ReadJob(entry.path, entry.size, entry.mtime_ns, existing))
            if existing is None:
                plan.new += 1
            else:
                plan.changed += 1
    seen = {key(entry.path) for entry in files}
    plan.removed_ids = [k.id for path_key, k in known.items() if k.status == "present" and path_key not in seen]
    plan.removed_ids += [shadow for k in known.values() for shadow in k.shadowed]
    return plan


def covered_roots(given: Iterable[str | os.PathLike[str]], roots: list[str], linked: list[str]) -> list[str]:
    """What a scan answers for in the catalog: the canonical roots, where links led outside them, and the roots
    as they were spelled before paths were canonical (rows stored under that spelling are found again under
    the canonical one: they are marked gone and come back as moves, keeping their history)."""
    spelled = [path_rules().module.abspath(os.fspath(p)) for p in given]
    return distinct_paths([*roots, *linked, *spelled])


class Scanner:
    def __init__(
        self,
        catalog: Catalog,
        progress: ProgressCallback = lambda p: None,
        cancel: CancelToken = NEVER_CANCELLED,
        stages: Iterable[ScanStage] = (),
    ) -> None:
        self.catalog = catalog
        self.progress = _Throttled(progress)
        self.cancel = cancel
        self.stages = list(stages)

    def scan(self, request: ScanRequest) -> ScanSummary:
        started = time.monotonic()
        roots = canonical_roots(request.roots)
        scan_id = self.catalog.scans.start(roots)
        counts, seen, unchanged, removed, cancelled = _Counts(), 0, 0, 0, False
        covered = roots
        try:
            walk = self._enumerate(roots, request)
            covered = covered_roots(request.roots, roots, walk.linked)
            seen = len(walk.files)
            plan = self._plan(covered, walk.files)
            unchanged, removed = plan.unchanged, len(plan.removed_ids)
            self._record_walk(covered, walk, plan, scan_id)
            refresh_metadata(self.catalog, plan.stale_metadata, self._stage_reporter(Phase.METADATA), self.cancel)
            self._read_all(plan.jobs, scan_id, counts, request.workers)
            self._finish_stages()
        except Cancelled:
            cancelled = True
        except Exception:
            self.catalog.scans.fail(scan_id)  # e.g. the disk is full: committed batches stay, the next scan resumes
            raise
        summary = ScanSummary(
            scan_id=scan_id,
            seen=seen,
            new=counts.new,
            changed=counts.changed,
            unchanged=unchanged,
            removed=removed,
            moved=counts.moved,
            problems=len(self._problems_under(covered)),
            embedded=counts.embedded,
            seconds=round(time.monotonic() - started, 3),
            cancelled=cancelled,
        )
        self.catalog.scans.finish(summary)
        self.progress.emit(ScanProgress(Phase.DONE, seen, seen), force=True)
        return summary

    def _enumerate(self, roots: list[str], request: ScanRequest) -> Enumeration:
        options = WalkOptions(request.include_hidden, tuple(str(p) for p in request.excluded))
        on_count = lambda n: self.progress.emit(ScanProgress(Phase.ENUMERATE, n, 0))  # noqa: E731
        self.progress.emit(ScanProgress(Phase.ENUMERATE, 0, 0), force=True)
        return enumerate_files(roots, options, on_count, self.cancel)

    def _plan(self, roots: list[str], files: list[FileEntry]) -> ScanPlan:
        self.progress.emit(ScanProgress(Phase.COMPARE, 0, len(files)), force=True)
        need_images: set[int] = set()
        for stage in self.stages:
            need_images |= stage.files_needing_images(self.catalog)
        known = self.catalog.files.known_under(roots)
        return plan_scan(files, known, self.catalog.problems.under(roots), need_images)

    def _record_walk(self, roots: list[str], walk: Enumeration, plan: ScanPlan, scan_id: int) -> None:
        """Walk problems are found afresh each scan; a file problem goes when its file does."""
        key = path_rules().key
        seen = {key(entry.path) for entry in walk.files}
        stale = [p for p in self._problems_under(roots) if p.code in WALK_PROBLEM_CODES or key(p.path) not in seen]
        with self.catalog.transaction():
            self.catalog.files.mark_gone(plan.removed_ids)
            self.catalog.problems.clear_many(p.path for p in stale)
            for problem in walk.problems:
                self.catalog.problems.record(Problem(problem.path, problem.code, problem.reason, scan_id))

    def _problems_under(self, roots: list[str]) -> list[Problem]:
        return [p for p in self.catalog.problems.all() if any(is_inside(p.path, root) for root in roots)]

    def _read_all(self, jobs: list[ReadJob], scan_id: int, counts: _Counts, workers: int | None) -> None:
        if not jobs:
            return
        gone = frozenset(self.catalog.files.gone_hashes())
        keep_image, prepare = bool(self.stages), self.image_preparation()
        batch = _Batch(self, scan_id, counts)
        eta = _Eta(len(jobs))
        outcomes = _run_jobs(jobs, gone, keep_image, workers, self.cancel, prepare)
        try:
            for done, (job, outcome) in enumerate(outcomes, start=1):
                batch.add(job, outcome)
                self.progress.emit(ScanProgress(Phase.READ, done, len(jobs), eta.remaining(done), job.path))
        finally:
            batch.commit(final=True)  # cancelled or not, what was read is kept

    def image_preparation(self) -> PrepareImage | None:
        """The one preparation the stages ask for, done in the decoders: the scan's thread then receives the model's
        input instead of the larger working image (a fifth of the bytes through the pipe at 224 px) and spends no
        time resizing it while the decoders wait for their next files. None when the stages ask for none or differ."""
        asked = {prepare for stage in self.stages if (prepare := stage.image_preparation()) is not None}
        return asked.pop() if len(asked) == 1 else None

    def _stage_reporter(self, phase: Phase) -> StageReport:
        """Progress with an ETA that starts again whenever the stage moves on to another step (a new total, or
        the count going back)."""
        eta, last = _Eta(0), 0

        def report(done: int, total: int, current: str) -> None:
            nonlocal eta, last
            if total != eta.total or done < last:
                eta = _Eta(total)
            last = done
            self.progress.emit(ScanProgress(phase, done, total, eta.remaining(done), current))

        return report

    def _finish_stages(self) -> None:
        self.progress.emit(ScanProgress(Phase.GROUP, 0, 0), force=True)
        for stage in self.stages:
            self.progress.emit(ScanProgress(stage.phase, 0, 0), force=True)
            stage.finish(self.catalog, self.cancel, self._stage_reporter(stage.phase))
        update_phash_neighbours(
            self.catalog, lambda d, t: self.progress.emit(ScanProgress(Phase.GROUP, d, t)), self.cancel
        )


class _Batch:
    """Outcomes waiting to be committed together (one transaction per batch keeps a scan resumable)."""

    def __init__(self, scanner: Scanner, scan_id: int, counts: _Counts) -> None:
        self.scanner = scanner
        self.catalog = scanner.catalog
        self.scan_id = scan_id
        self.counts = counts
        self.pending: list[tuple[ReadJob, Outcome]] = []
        self.claimed_gone: set[int] = set()
        self.last_commit = time.monotonic()

    def add(self, job: ReadJob, outcome: Outcome) -> None:
        self.pending.append((job, outcome))
        if len(self.pending) >= COMMIT_EVERY_FILES or time.monotonic() - self.last_commit > COMMIT_EVERY_SECONDS:
            self.commit()

    def commit(self, final: bool = False) -> None:
        retries: list[ReadJob] = []
        images: list[tuple[int, Image.Image]] = []
        with self.catalog.transaction():
            for job, outcome in self.pending:
                file_id = self._store(job, outcome, retries)
                if file_id is not None and isinstance(outcome, DecodeOutcome) and outcome.work_image is not None:
                    images.append((file_id, outcome.work_image))
        self.pending.clear()
        self.last_commit = time.monotonic()
        if retries:  # a second new copy of a moved file's bytes: decode it after all (in a decoder process too)
            keep_image, prepare = bool(self.scanner.stages), self.scanner.image_preparation()
            self.pending.extend(_run_jobs(retries, frozenset(), keep_image, 1, NEVER_CANCELLED, prepare))
        for stage in self.scanner.stages:
            for file_id, image in images:
                stage.accept(self.catalog, file_id, image)
            self.counts.embedded += stage.flush(self.catalog, final)
        if self.pending:
            self.commit(final)

    def _store(self, job: ReadJob, outcome: Outcome, retries: list[ReadJob]) -> int | None:
        existing_id = job.existing.id if job.existing else None
        if isinstance(outcome, ReadFailure):
            if not job.image_only:
                self._store_failure(job, outcome)
            return None
        if isinstance(outcome, HashedOnly):
            return self._store_known_bytes(job, outcome, retries)
        if job.image_only:
            return existing_id
        if job.existing and job.existing.content_hash == outcome.decoded.content_hash:
            self.catalog.files.touch(job.existing.id, outcome.decoded.size, outcome.decoded.mtime_ns, self.scan_id)
            self.catalog.problems.clear(job.path)
            return job.existing.id
        self._count(job)
        self.catalog.problems.clear(job.path)
        return self.catalog.files.store_decoded(outcome.decoded, self.scan_id, existing_id)

    def _store_failure(self, job: ReadJob, outcome: ReadFailure) -> None:
        """A problem for this scan. Keyed by the file's size and mtime, it is not looked at again until the
        file changes; a transient one (a read error) is keyed by nothing, so the next scan tries again.

        The catalogued photo is marked gone only when it is not at its path any more: the file vanished, or
        its bytes were read and are something else now that is no photo. A read error, or a decoder that
        crashed or hung, says nothing about the bytes: the photo stays present, and so in its groups (the trash
        verifies every file's bytes before it moves anything)."""
        problem = outcome.problem
        key = (None, None) if outcome.transient else (outcome.size, outcome.mtime_ns)
        self.catalog.problems.record(Problem(problem.path, problem.code, problem.reason, self.scan_id), *key)
        if job.existing is not None and not outcome.transient and problem.code not in DECODER_FAILURES:
            self.catalog.files.mark_gone([job.existing.id])

    def _store_known_bytes(self, job: ReadJob, outcome: HashedOnly, retries: list[ReadJob]) -> int | None:
        if job.existing and job.existing.content_hash == outcome.content_hash:
            self.catalog.files.touch(job.existing.id, outcome.size, outcome.mtime_ns, self.scan_id)
            self.catalog.problems.clear(job.path)
            return job.existing.id
        gone_id = self.catalog.files.gone_ids_by_hash([outcome.content_hash]).get(outcome.content_hash)
        if gone_id is None or gone_id in self.claimed_gone:
            retries.append(ReadJob(job.path, job.size, job.mtime_ns, job.existing))
            return None
        self.claimed_gone.add(gone_id)
        if job.existing is not None and job.existing.id != gone_id:
            self.catalog.files.delete(job.existing.id)
        self.catalog.files.move(gone_id, outcome.path, outcome.size, outcome.mtime_ns, self.scan_id)
        self.catalog.problems.clear(outcome.path)
        self.counts.moved += 1
        return gone_id

    def _count(self, job: ReadJob) -> None:
        if job.existing is None:
            self.counts.new += 1
        else:
            self.counts.changed += 1


def _start_method() -> str:
    """fork starts workers in milliseconds; it is unsafe where other threads may hold locks at the moment of
    the fork (a Qt application, any second Python thread). Then spawn, which re-imports the decoder (~0.3 s).
    torch's own OpenMP pool is no obstacle: the workers never call torch (as with its DataLoader's fork).
    The decoder pool itself starts no thread in this process, so a replacement worker forks as safely as the
    first ones did. QtCore imported without an application (the bundle's PyInstaller hook imports it in the CLI
    too) starts no thread: spawning there cost a 3-photo scan 3-6 s."""
    if sys.platform == "linux" and threading.active_count() == 1 and not _qt_application_running():
        return "fork"
    return "spawn"


def _qt_application_running() -> bool:
    qt_core = sys.modules.get("PySide6.QtCore")  # looked up, never imported: core does not import Qt
    return qt_core is not None and qt_core.QCoreApplication.instance() is not None


# Set once per worker process: hashes of files marked gone (a new path with these bytes is a moved file), and what
# is done to each kept working image before it is sent (ScanStage.image_preparation).
_gone_hashes: frozenset[str] = frozenset()
_prepare: PrepareImage | None = None


def _init_worker(gone: frozenset[str], prepare: PrepareImage | None) -> None:
    global _gone_hashes, _prepare
    _gone_hashes, _prepare = gone, prepare


JobArgs = tuple[str, int, int, str | None, bool]


def _read_job(path: str, size: int, mtime_ns: int, old_hash: str | None, keep_image: bool) -> Outcome:
    known = _gone_hashes | {old_hash} if old_hash else _gone_hashes
    return read_and_decode(path, size, mtime_ns, known, keep_image, _prepare)


def _job_args(job: ReadJob, keep_image: bool) -> JobArgs:
    old_hash = job.existing.content_hash if job.existing and not job.image_only else None
    return job.path, job.size, job.mtime_ns, old_hash, keep_image


def decode_time_limit(size: int) -> float:
    """How long one file may take to read and decode before its decoder is stopped: generous, since a slow
    share reads at a few MB/s and a progressive 25-megapixel JPEG takes ~1 s here."""
    return DECODE_SECONDS + size / SLOW_READ_BYTES_PER_SECOND


# --- worker processes ---------------------------------------------------------------------------------------

_READY = "ready"
_PR_SET_PDEATHSIG = 1


def _worker_main(conn: Connection, parent_pid: int, gone: frozenset[str], prepare: PrepareImage | None) -> None:
    """A decoder process: answers each file it is sent with its Outcome, one message per file, in order; the
    parent therefore knows which file a decoder that died or hung was working on."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the scan's to handle: it stops the decoders
    _init_worker(gone, prepare)
    conn.send(_READY)
    while True:
        try:
            chunk: list[JobArgs] | None = conn.recv()
        except EOFError:
            return
        if chunk is None:
            return
        for args in chunk:
            conn.send(_read_job(*args))


def _die_with_parent(parent_pid: int) -> None:
    """A decoder must not outlive the scan, even when the scan's process is killed with SIGKILL. Linux: the
    kernel sends SIGKILL when the parent dies (strictly, when the thread that started this process ends: the
    pool lives within one call on one thread). Elsewhere: a thread that exits when the parent is gone."""
    armed = False
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="parent-watchdog").start()


def _watch_parent(parent_pid: int) -> None:
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        multiprocessing.connection.wait([parent.sentinel])
    else:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
    os._exit(1)


@dataclass
class _Pending:
    job: ReadJob
    retry: bool = False  # it crashed a decoder once already


class _Decoder:
    """One worker process and the files sent to it that it has not answered yet, in the order it works on them."""

    def __init__(self, gone: frozenset[str], prepare: PrepareImage | None) -> None:
        context: Any = multiprocessing.get_context(_start_method())  # typeshed: only its subclasses have Process
        parent_end, child_end = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child_end, os.getpid(), gone, prepare), name="twinlens-decoder", daemon=True
        )
        self.process.start()
        child_end.close()  # only the worker holds its end: its death then reads as the end of the pipe here
        self.conn = parent_end
        self.held: deque[_Pending] = deque()
        self.ready = False
        self.since = time.monotonic()  # when it was last heard from, or given work while idle

    def deadline(self) -> float:
        if not self.ready:
            return self.since + STARTUP_SECONDS
        if not self.held:
            return float("inf")
        return self.since + decode_time_limit(self.held[0].job.size)

    def stop(self, graceful: bool) -> None:
        if graceful and self.process.is_alive():
            with contextlib.suppress(OSError):
                self.conn.send(None)
            self.process.join(timeout=2.0)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class DecoderStartError(RuntimeError):
    pass


class _DecoderPool:
    """Worker processes that read and decode files, supervised: a decoder that dies (the OOM killer, a native
    codec crash) or hangs costs only the file it was working on, which comes back as a ReadFailure with the
    reason; the files queued behind it are sent again, and a new decoder takes its place. A file that crashed a
    decoder is tried once more, alone, before it is blamed (the OOM killer may have picked the wrong process)."""

    def __init__(
        self,
        jobs: list[ReadJob],
        gone: frozenset[str],
        keep_image: bool,
        workers: int | None,
        prepare: PrepareImage | None = None,
    ) -> None:
        self.queue = deque(_Pending(job) for job in jobs)
        self.gone = gone
        self.keep_image = keep_image
        self.prepare = prepare
        self.size = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
        # A few files per message keep the scan's own process from spending ~1 ms per file on the pipeline,
        # taken from the cores the workers decode on; one file per message while there are few.
        self.chunk = CHUNK_FILES if len(jobs) >= self.size * CHUNK_FILES * 4 else 1
        # While a model embeds in this process, decoders running ahead would take its cores (measured: the
        # embedding ran at 22 img/s with three chunks in flight per worker, 27 with one).
        self.in_flight = self.chunk * (1 if keep_image else IN_FLIGHT_PER_WORKER)
        self.decoders: list[_Decoder] = []
        self.failed_starts = 0

    def run(self, cancel: CancelToken) -> Iterator[tuple[ReadJob, Outcome]]:
        while self.queue or any(d.held for d in self.decoders):
            cancel.raise_if_cancelled()
            while self.queue and len(self.decoders) < self.size:
                self.decoders.append(_Decoder(self.gone, self.prepare))
            self._feed()
            deadline = min(d.deadline() for d in self.decoders)
            timeout = min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))
            waitables = [d.conn for d in self.decoders] + [d.process.sentinel for d in self.decoders]
            ready = multiprocessing.connection.wait(waitables, timeout)
            for decoder in list(self.decoders):
                if decoder.conn in ready or decoder.process.sentinel in ready:
                    yield from self._answers(decoder, cancel)
            yield from self._supervise(cancel)

    def close(self) -> None:
        graceful = not self.queue and not any(d.held for d in self.decoders)
        for decoder in self.decoders:
            decoder.stop(graceful)
        self.decoders.clear()

    def _feed(self) -> None:
        for decoder in self.decoders:
            while self.queue and len(decoder.held) + self.chunk <= self.in_flight:
                chunk = [self.queue.popleft()]
                while len(chunk) < self.chunk and self.queue and not chunk[0].retry and not self.queue[0].retry:
                    chunk.append(self.queue.popleft())
                if not decoder.held:
                    decoder.since = time.monotonic()
                decoder.held.extend(chunk)
                try:
                    decoder.conn.send([_job_args(p.job, self.keep_image) for p in chunk])
                except OSError:
                    break  # it died: _supervise() takes its files back

    def _answers(self, decoder: _Decoder, cancel: CancelToken) -> Iterator[tuple[ReadJob, Outcome]]:
        try:
            while decoder.conn.poll():
                message = decoder.conn.recv()
                decoder.since = time.monotonic()
                if isinstance(message, str):
                    decoder.ready = True
                    self.failed_starts = 0
                    continue
                pending = decoder.held.popleft()
                cancel.raise_if_cancelled()
                yield pending.job, message
        except (EOFError, OSError):
            return  # it died: _supervise() deals with it

    def _supervise(self, cancel: CancelToken) -> Iterator[tuple[ReadJob, Outcome]]:
        now = time.monotonic()
        for decoder in list(self.decoders):
            if decoder.process.is_alive():
                if now <= decoder.deadline():
                    continue
                decoder.process.kill()
                decoder.process.join()
                yield from self._answers(decoder, cancel)  # what it finished before it was stopped
                if decoder.ready and decoder.held:
                    limit = decode_time_limit(decoder.held[0].job.size)
                    yield from self._blame(decoder, "decoder-timeout", f"decoding took longer than {limit:.0f} s")
            else:
                decoder.process.join()
                yield from self._answers(decoder, cancel)
                if decoder.ready and decoder.held:
                    yield from self._blame(decoder, "decoder-crashed", _crash_reason(decoder.process.exitcode))
            self.decoders.remove(decoder)
            decoder.stop(graceful=False)
            if not decoder.ready:
                self.failed_starts += 1
                if self.failed_starts >= MAX_FAILED_STARTS:
                    raise DecoderStartError(
                        f"the decoder processes could not start (exit status {decoder.process.exitcode})"
                    )
            self.queue.extendleft(reversed(decoder.held))  # never started: not theirs to blame
            decoder.held.clear()

    def _blame(self, decoder: _Decoder, code: str, reason: str) -> Iterator[tuple[ReadJob, Outcome]]:
        pending = decoder.held.popleft()
        if code == "decoder-crashed" and not pending.retry:
            self.queue.append(_Pending(pending.job, retry=True))
            return
        job = pending.job
        yield job, ReadFailure(Problem(job.path, code, reason), job.size, job.mtime_ns)


def _crash_reason(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        return f"the decoder crashed on this file (signal {-exitcode}, {name})"
    return f"the decoder stopped on this file (exit status {exitcode})"


def _run_jobs(
    jobs: list[ReadJob],
    gone: frozenset[str],
    keep_image: bool,
    workers: int | None,
    cancel: CancelToken,
    prepare: PrepareImage | None = None,
) -> Iterator[tuple[ReadJob, Outcome]]:
    """Every file is read and decoded in a supervised worker process, a scan of one file too: a codec that
    crashes then costs a problem report, never the app."""
    if not jobs:
        return
    pool = _DecoderPool(jobs, gone, keep_image, workers, prepare)
    try:
        yield from pool.run(cancel)
    finally:
        pool.close()


class _Eta:
    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()

    def remaining(self, done: int) -> float | None:
        elapsed = time.monotonic() - self.started
        if done < 3 or elapsed < 0.5:
            return None
        return (self.total - done) * elapsed / done


class _Throttled:
    """Progress at most ~10 times a second, never once per file; phase changes always get through."""

    def __init__(self, callback: ProgressCallback) -> None:
        self.callback = callback
        self.last = 0.0

    def emit(self, progress: ScanProgress, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_INTERVAL or progress.done == progress.total:
            self.last = now
            self.callback(progress)
