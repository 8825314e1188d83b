"""The scan pipeline: enumerate → diff against the catalog → read, hash and decode once (worker processes)
→ store in batches (→ optional stages such as embedding) → perceptual neighbours.

Cancelling keeps every committed batch; the next scan only does what is left.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from core.cancel import NEVER_CANCELLED, Cancelled, CancelToken
from core.catalog import Catalog, KnownFile
from core.decode import DecodeOutcome, HashedOnly, Outcome, ReadFailure, read_and_decode
from core.entities import Phase, Problem, ScanProgress, ScanRequest, ScanSummary
from core.enumerate import Enumeration, FileEntry, WalkOptions, enumerate_files
from core.perceptual import update_phash_neighbours

ProgressCallback = Callable[[ScanProgress], None]
# A stage's progress after all files were read: (done, total, the file it is working on).
StageReport = Callable[[int, int, str], None]
# Problems found while walking are re-detected on every scan; decode problems persist while the file is unchanged.
WALK_PROBLEM_CODES = ("folder-unreadable", "symlink-loop", "alias", "broken-link")
COMMIT_EVERY_FILES = 64
COMMIT_EVERY_SECONDS = 1.0
INLINE_BELOW = 8
CHUNK_FILES = 4
IN_FLIGHT_PER_WORKER = 3
PROGRESS_INTERVAL = 0.1


class ScanStage(Protocol):
    """A step fed with each decoded working image, e.g. the embedding model (owned by the scan's thread)."""

    phase: Phase

    def files_needing_images(self, catalog: Catalog) -> set[int]:
        """Unchanged files that still need an image (e.g. no vector for the active model yet)."""

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
    plan = ScanPlan()
    for entry in files:
        existing = known.get(entry.path)
        unchanged = existing is not None and existing.size == entry.size and existing.mtime_ns == entry.mtime_ns
        if unchanged and existing is not None and existing.status == "present":
            plan.unchanged += 1
            if existing.id in need_images:
                plan.jobs.append(ReadJob(entry.path, entry.size, entry.mtime_ns, existing, image_only=True))
        elif known_problems.get(entry.path) == (entry.size, entry.mtime_ns):
            plan.skipped_problem_paths.append(entry.path)
        else:
            plan.jobs.append(ReadJob(entry.path, entry.size, entry.mtime_ns, existing))
            if existing is None:
                plan.new += 1
            else:
                plan.changed += 1
    seen = {entry.path for entry in files}
    plan.removed_ids = [k.id for path, k in known.items() if k.status == "present" and path not in seen]
    return plan


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
        roots = [os.path.abspath(r) for r in request.roots]
        scan_id = self.catalog.start_scan(roots)
        counts, seen, unchanged, removed, cancelled = _Counts(), 0, 0, 0, False
        try:
            walk = self._enumerate(roots, request)
            seen = len(walk.files)
            plan = self._plan(roots, walk.files)
            unchanged, removed = plan.unchanged, len(plan.removed_ids)
            self._record_walk(roots, walk, plan, scan_id)
            self._read_all(plan.jobs, scan_id, counts, request.workers)
            self._finish_stages()
        except Cancelled:
            cancelled = True
        except Exception:
            self.catalog.fail_scan(scan_id)  # e.g. the disk is full: committed batches stay, the next scan resumes
            raise
        summary = ScanSummary(
            scan_id=scan_id,
            seen=seen,
            new=counts.new,
            changed=counts.changed,
            unchanged=unchanged,
            removed=removed,
            moved=counts.moved,
            problems=len(self._problems_under(roots)),
            embedded=counts.embedded,
            seconds=round(time.monotonic() - started, 3),
            cancelled=cancelled,
        )
        self.catalog.finish_scan(summary)
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
        known = self.catalog.known_files_under(roots)
        return plan_scan(files, known, self.catalog.known_problems_under(roots), need_images)

    def _record_walk(self, roots: list[str], walk: Enumeration, plan: ScanPlan, scan_id: int) -> None:
        """Walk problems are found afresh each scan; a file problem goes when its file does."""
        seen = {entry.path for entry in walk.files}
        stale = [p for p in self._problems_under(roots) if p.code in WALK_PROBLEM_CODES or p.path not in seen]
        with self.catalog.transaction():
            self.catalog.mark_gone(plan.removed_ids)
            self.catalog.clear_problems(p.path for p in stale)
            for problem in walk.problems:
                self.catalog.record_problem(Problem(problem.path, problem.code, problem.reason, scan_id))

    def _problems_under(self, roots: list[str]) -> list[Problem]:
        prefixes = tuple(r.rstrip(os.sep) + os.sep for r in roots)
        return [p for p in self.catalog.problems() if p.path.startswith(prefixes) or p.path in roots]

    def _read_all(self, jobs: list[ReadJob], scan_id: int, counts: _Counts, workers: int | None) -> None:
        if not jobs:
            return
        gone = frozenset(self.catalog.gone_hashes())
        keep_image = bool(self.stages)
        batch = _Batch(self, scan_id, counts)
        eta = _Eta(len(jobs))
        try:
            for done, (job, outcome) in enumerate(_run_jobs(jobs, gone, keep_image, workers, self.cancel), start=1):
                batch.add(job, outcome)
                self.progress.emit(ScanProgress(Phase.READ, done, len(jobs), eta.remaining(done), job.path))
        finally:
            batch.commit(final=True)  # cancelled or not, what was read is kept

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
        for job in retries:  # a second new copy of a moved file's bytes: decode it after all
            outcome = read_and_decode(job.path, job.size, job.mtime_ns, keep_image=bool(self.scanner.stages))
            self.pending.append((job, outcome))
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
                problem = outcome.problem
                self.catalog.record_problem(
                    Problem(problem.path, problem.code, problem.reason, self.scan_id), outcome.size, outcome.mtime_ns
                )
                if existing_id is not None:
                    self.catalog.mark_gone([existing_id])
            return None
        if isinstance(outcome, HashedOnly):
            return self._store_known_bytes(job, outcome, retries)
        if job.image_only:
            return existing_id
        if job.existing and job.existing.content_hash == outcome.decoded.content_hash:
            self.catalog.touch_file(job.existing.id, outcome.decoded.size, outcome.decoded.mtime_ns, self.scan_id)
            return job.existing.id
        self._count(job)
        self.catalog.clear_problem(job.path)
        return self.catalog.store_decoded(outcome.decoded, self.scan_id, existing_id)

    def _store_known_bytes(self, job: ReadJob, outcome: HashedOnly, retries: list[ReadJob]) -> int | None:
        if job.existing and job.existing.content_hash == outcome.content_hash:
            self.catalog.touch_file(job.existing.id, outcome.size, outcome.mtime_ns, self.scan_id)
            return job.existing.id
        gone_id = self.catalog.gone_ids_by_hash([outcome.content_hash]).get(outcome.content_hash)
        if gone_id is None or gone_id in self.claimed_gone:
            retries.append(ReadJob(job.path, job.size, job.mtime_ns, job.existing))
            return None
        self.claimed_gone.add(gone_id)
        if job.existing is not None and job.existing.id != gone_id:
            self.catalog.db.table("files").delete(job.existing.id)
        self.catalog.move_file(gone_id, outcome.path, outcome.size, outcome.mtime_ns, self.scan_id)
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
    torch's own OpenMP pool is no obstacle: the workers never call torch (as with its DataLoader's fork)."""
    if sys.platform == "linux" and threading.active_count() == 1 and "PySide6.QtCore" not in sys.modules:
        return "fork"
    return "spawn"


# Hashes of files marked gone, set once per worker process: a new path with these bytes is a moved file.
_gone_hashes: frozenset[str] = frozenset()


def _init_worker(gone: frozenset[str]) -> None:
    global _gone_hashes
    _gone_hashes = gone


JobArgs = tuple[str, int, int, str | None, bool]


def _read_job(path: str, size: int, mtime_ns: int, old_hash: str | None, keep_image: bool) -> Outcome:
    known = _gone_hashes | {old_hash} if old_hash else _gone_hashes
    return read_and_decode(path, size, mtime_ns, known, keep_image)


def _read_chunk(chunk: list[JobArgs]) -> list[Outcome]:
    return [_read_job(*args) for args in chunk]


def _job_args(job: ReadJob, keep_image: bool) -> JobArgs:
    old_hash = job.existing.content_hash if job.existing and not job.image_only else None
    return job.path, job.size, job.mtime_ns, old_hash, keep_image


def _run_jobs(
    jobs: list[ReadJob], gone: frozenset[str], keep_image: bool, workers: int | None, cancel: CancelToken
) -> Iterator[tuple[ReadJob, Outcome]]:
    n_workers = workers or os.cpu_count() or 1
    if len(jobs) < INLINE_BELOW or n_workers <= 1:
        _init_worker(gone)
        for job in jobs:
            cancel.raise_if_cancelled()
            yield job, _read_job(*_job_args(job, keep_image))
        return
    context = multiprocessing.get_context(_start_method())
    # A few files per task: one future per file costs the scan's own process ~1 ms of CPU per file, taken
    # from the two cores the workers decode on. Small chunks keep cancel prompt and the pipeline full.
    size = CHUNK_FILES if len(jobs) >= n_workers * CHUNK_FILES * 4 else 1
    chunks = (jobs[start : start + size] for start in range(0, len(jobs), size))
    # While a model embeds in this process, decoders running ahead would take its cores (measured: the
    # embedding ran at 22 img/s with three chunks in flight per worker, 27 with one).
    in_flight = 1 if keep_image else IN_FLIGHT_PER_WORKER
    with ProcessPoolExecutor(n_workers, mp_context=context, initializer=_init_worker, initargs=(gone,)) as pool:
        pending: dict[Future[list[Outcome]], list[ReadJob]] = {}
        try:
            while True:
                while len(pending) < n_workers * in_flight:
                    chunk = next(chunks, None)
                    if chunk is None:
                        break
                    pending[pool.submit(_read_chunk, [_job_args(job, keep_image) for job in chunk])] = chunk
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    cancel.raise_if_cancelled()
                    yield from zip(pending.pop(future), future.result(), strict=True)
        finally:
            for future in pending:
                future.cancel()


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
