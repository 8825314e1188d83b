"""The safety layer: no photo is ever lost.

Deletion means the system trash, never unlink. Before a file is trashed it is verified to still be the one that
was scanned (size, mtime and content hash re-computed from its bytes). No request may trash every copy in a group:
at least one member outside the request must be verified present and unchanged on disk. Every move is journaled
before and after it happens (so a crash mid-batch leaves a truthful journal) and can be undone.

A move counts as trashed ('ok', undoable) only when the backend reports where the file went and it is there. A
file that left its place for an unknown one is journaled 'lost-location', and undo never pretends it can help.
A volume without a trash gets a quarantine folder (core/safety/quarantine.py), only once the person has agreed for that
volume. When the journal cannot be written (disk full), the batch stops and a file just moved is put back.
An undo that fails leaves its batch aside: plain undo then takes the next older batch.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from core.entities import Changes, DuplicateGroup, FileInfo, TrashRequest
from core.hashing import hash_file
from core.places import QUARANTINE_DIR, in_trash
from core.safety.backend import TRASH_NAME, RestoreError, SystemTrash, TrashBackend
from core.safety.metadata_loss import MetadataWarning, metadata_warnings
from core.safety.quarantine import (
    QUARANTINE_NAME,
    is_quarantined,
    move_to_quarantine,
    restore_from_quarantine,
)
from core.store.catalog import Catalog
from core.store.files import TRASHED
from core.store.journal import FAILED, LOST, MOVED, OK, PENDING, REFUSED, TRASH, UNDO, TrashBatchCounts, TrashedEntry
from core.tiers.review import ReviewState

__all__ = [
    "MOVED",
    "TRASH",
    "JournalBatch",
    "MetadataWarning",
    "Refusal",
    "RestoreError",
    "SystemTrash",
    "TrashBackend",
    "TrashOutcome",
    "TrashPreview",
    "TrashRequest",
    "TrashedFile",
    "UndoOutcome",
    "journal_batches",
    "preview_trash",
    "request_extras",
    "trash_files",
    "undo_batch",
]

QUARANTINE = "quarantine"  # a destination, beside TRASH
NO_TRASH = "no-trash"  # a volume without a trash whose quarantine the person has not allowed
EVERY_COPY = "would remove every copy in this group"
T = TypeVar("T")


@dataclass(frozen=True)
class Refusal:
    file: FileInfo
    reason: str


@dataclass(frozen=True)
class TrashPreview:
    will_trash: tuple[FileInfo, ...]
    refused: tuple[Refusal, ...]
    bytes_freed: int
    quarantined: tuple[int, ...] = ()  # ids of will_trash that go to a quarantine folder (volume without a trash)
    needs_consent: tuple[str, ...] = ()  # volumes without a trash whose quarantine is not allowed yet
    # files of will_trash that carry metadata (capture time, GPS, ...) that no kept file of their group has
    warnings: tuple[MetadataWarning, ...] = ()


@dataclass(frozen=True)
class TrashedFile:
    file_id: int
    path: str
    trash_path: str  # where it lies now: the system trash or a quarantine folder
    place: str = TRASH  # TRASH or QUARANTINE


@dataclass(frozen=True)
class TrashOutcome:
    batch_id: str
    trashed: tuple[TrashedFile, ...]
    failed: tuple[tuple[str, str], ...]  # (path, reason): not trashed; the reason says where it is
    lost: tuple[tuple[str, str], ...] = ()  # (path, reason): gone to a place the trash did not report; no undo

    @property
    def changes(self) -> Changes:
        return Changes.FILES | Changes.JOURNAL

    @property
    def changed_paths(self) -> frozenset[str]:
        """Every file that left (or may have left) its place: only the groups holding one of them change.
        Failed ones are in too: a move that stopped midway leaves the file gone, and has no id here."""
        return frozenset([t.path for t in self.trashed] + [p for p, _ in (*self.failed, *self.lost)])


@dataclass(frozen=True)
class UndoOutcome:
    batch_id: str
    restored: tuple[str, ...]  # trash: files put back; not-duplicates: the photos grouped together again
    failed: tuple[tuple[str, str], ...]  # (path, reason): the reason says where the file is
    action: str = "trash"
    note: str = ""  # what this means for the next plain undo, when that is not obvious
    stepped_aside: bool = False  # files were not restored: plain undo no longer picks this batch

    @property
    def changes(self) -> Changes:
        """No changed_paths: restored files (or photos no longer kept apart) may join a group in any tier."""
        if not self.batch_id:
            return Changes.NONE
        if not self.restored:
            return Changes.JOURNAL
        return (Changes.FILES if self.action == TRASH else Changes.DECISIONS) | Changes.JOURNAL


@dataclass(frozen=True)
class JournalBatch:
    batch_id: str
    at: float
    action: str  # 'trash' or 'not-duplicates'
    files: int  # trash: files moved to the trash or quarantine; not-duplicates: the photos it concerned
    undone: bool  # every one of them has been restored (the decision was taken back)
    restored: int = 0  # files back at their place
    stuck: int = 0  # files not back whose last restore failed: the batch steps aside from plain undo
    lost: int = 0  # moved to a place the trash did not report: cannot be undone
    not_moved: int = 0  # refused or failed: still at their place
    reason: str = ""  # why the last restore failed

    @property
    def undoable(self) -> bool:
        """Something of it can still be taken back (by id, even when it stepped aside)."""
        return not self.undone and (self.action != TRASH or self.files > self.restored)

    @property
    def stepped_aside(self) -> bool:
        return self.undoable and self.stuck > 0

    @property
    def state(self) -> str:
        if self.action != TRASH:
            return "undone" if self.undone else "in effect"
        parts = [self._trash_state()]
        if self.lost:
            parts.append(f"{self.lost} moved to an unknown place (cannot be undone)")
        if self.not_moved:
            parts.append(f"{self.not_moved} not moved")
        return "; ".join(parts)

    def _trash_state(self) -> str:
        if self.files == 0:
            return "nothing to undo"
        if self.undone:
            return "undone"
        if self.stuck:
            return f"undo failed ({self.stuck} of {self.files} not restored): {self.reason}"
        if self.restored:
            return f"partly undone ({self.restored} of {self.files} restored)"
        return "in the trash"


def request_extras(groups: Sequence[DuplicateGroup]) -> TrashRequest:
    """Every member the keep rules did not keep (protected files are always kept): the review's auto-select."""
    review = ReviewState(groups)
    review.auto_select()
    return review.request()


# --- verification ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiskCheck:
    problem: str | None  # None: the file on disk is the one scanned
    identity: tuple[int, int] | None = None  # (device, inode) of what the path leads to


def check_on_disk(info: FileInfo) -> DiskCheck:
    try:
        st = os.stat(info.path)
    except FileNotFoundError:
        return DiskCheck("it is no longer on disk (moved or deleted since the scan)")
    except OSError as error:
        return DiskCheck(f"it cannot be read: {error.strerror or error}")
    identity = (st.st_dev, st.st_ino)
    if not stat.S_ISREG(st.st_mode):
        return DiskCheck("it is no longer a regular file", identity)
    if st.st_size != info.size:
        return DiskCheck(f"it changed since the scan (size {info.size} → {st.st_size} bytes)", identity)
    if st.st_mtime_ns != info.mtime_ns:
        return DiskCheck("it changed since the scan (its modification time differs)", identity)
    try:
        digest = hash_file(info.path)
    except OSError as error:
        return DiskCheck(f"it cannot be read: {error.strerror or error}", identity)
    if digest != info.content_hash:
        return DiskCheck("it changed since the scan (its bytes differ, though size and time match)", identity)
    return DiskCheck(None, identity)


# --- planning -------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    request: TrashRequest
    rows: dict[int, tuple[FileInfo, str]]  # catalog row and status, by file id
    checks: dict[int, DiskCheck] = field(default_factory=dict)
    refusals: dict[int, str] = field(default_factory=dict)

    def check(self, file_id: int) -> DiskCheck:
        if file_id not in self.checks:
            self.checks[file_id] = check_on_disk(self.rows[file_id][0])
        return self.checks[file_id]

    def refuse(self, file_id: int, reason: str) -> None:
        self.refusals.setdefault(file_id, reason)


@dataclass
class _Router:
    """Where files go: the system trash; a quarantine folder (no trash on the volume, the person agreed); or
    nowhere (no trash, not agreed). Decided once per folder for a preview or a batch."""

    backend: TrashBackend
    consented: frozenset[str]
    known: dict[str, tuple[str, str]] = field(default_factory=dict)  # folder -> (place, volume)

    def route(self, path: str) -> tuple[str, str]:
        folder = os.path.dirname(path)
        if folder not in self.known:
            self.known[folder] = self._decide(path)
        return self.known[folder]

    def _decide(self, path: str) -> tuple[str, str]:
        if self.backend.has_trash(path):
            return TRASH, ""
        volume = self.backend.volume(path)
        return (QUARANTINE if volume in self.consented else NO_TRASH), volume


def no_trash_reason(volume: str) -> str:
    return (
        f"its volume ({volume}) has no trash; nothing was moved. Twinlens can use a quarantine folder on it "
        f"({QUARANTINE_DIR}, undoable like the trash) once you allow it"
    )


def preview_trash(catalog: Catalog, request: TrashRequest, backend: TrashBackend | None = None) -> TrashPreview:
    """What trash_files would do now: every file is verified on disk (this reads their bytes)."""
    return _preview(catalog, request, _Router(backend or SystemTrash(), catalog.settings.quarantine_volumes))


def _preview(catalog: Catalog, request: TrashRequest, router: _Router) -> TrashPreview:
    plan = _Plan(request, catalog.files.with_status(_all_ids(request)))
    requested = list(dict.fromkeys(request.file_ids))
    for file_id in requested:
        _judge_candidate(plan, file_id)
    for group in request.groups:
        _judge_group(plan, group, set(requested))
    quarantined, needs_consent = _judge_destinations(plan, router, requested)
    will = tuple(plan.rows[i][0] for i in requested if i not in plan.refusals)
    refused = tuple(Refusal(_describe(plan, i), plan.refusals[i]) for i in requested if i in plan.refusals)
    return TrashPreview(
        will_trash=will,
        refused=refused,
        bytes_freed=sum(f.size for f in will),
        quarantined=tuple(i for i in quarantined if i not in plan.refusals),
        needs_consent=tuple(dict.fromkeys(needs_consent)),
        warnings=metadata_warnings(request.groups, will),
    )


def _judge_destinations(plan: _Plan, router: _Router, requested: list[int]) -> tuple[list[int], list[str]]:
    """Refuse what has nowhere to go (fewer files moved never endangers the copy that stays)."""
    quarantined: list[int] = []
    needs_consent: list[str] = []
    for file_id in requested:
        if file_id in plan.refusals:
            continue
        place, volume = router.route(plan.rows[file_id][0].path)
        if place == QUARANTINE:
            quarantined.append(file_id)
        elif place == NO_TRASH:
            plan.refuse(file_id, no_trash_reason(volume))
            needs_consent.append(volume)
    return quarantined, needs_consent


def _all_ids(request: TrashRequest) -> set[int]:
    return set(request.file_ids) | {m.file.id for g in request.groups for m in g.members}


def _describe(plan: _Plan, file_id: int) -> FileInfo:
    if file_id in plan.rows:
        return plan.rows[file_id][0]
    for group in plan.request.groups:
        for member in group.members:
            if member.file.id == file_id:
                return member.file
    return FileInfo(id=file_id, path="", size=0, mtime_ns=0, content_hash="", width=0, height=0, format="")


def _judge_candidate(plan: _Plan, file_id: int) -> None:
    members = [m for g in plan.request.groups for m in g.members if m.file.id == file_id]
    if file_id not in plan.rows:
        plan.refuse(file_id, "it is not in the catalog")
    elif plan.rows[file_id][1] != "present":
        plan.refuse(file_id, f"the catalog lists it as {plan.rows[file_id][1]}, not present")
    elif not members:
        plan.refuse(file_id, "it is not a member of any group in this request (only extras of a group are trashed)")
    elif any(m.protected for m in members):
        plan.refuse(file_id, "it is in a protected folder")
    elif any(m.file.content_hash != plan.rows[file_id][0].content_hash for m in members):
        plan.refuse(file_id, "it changed since this group was built; scan again")
    else:
        problem = plan.check(file_id).problem
        if problem:
            plan.refuse(file_id, problem)


def _judge_group(plan: _Plan, group: DuplicateGroup, requested: set[int]) -> None:
    """Refuse the request's members of a group unless another member is verified to stay on disk."""
    in_request = [m.file.id for m in group.members if m.file.id in requested]
    if not in_request:
        return
    leaving = {plan.checks[i].identity for i in in_request if i in plan.checks and plan.checks[i].identity}
    others = [m.file for m in group.members if m.file.id not in requested]
    problems: dict[int, str] = {}
    for scanned in others:  # one verified copy is enough: stop there
        problem = _survivor_problem(plan, scanned, leaving)
        if problem is None:
            return
        problems[scanned.id] = problem
    for file_id in in_request:
        plan.refuse(file_id, _every_copy_reason(plan, problems))


def _every_copy_reason(plan: _Plan, problems: dict[int, str]) -> str:
    if not problems:
        return EVERY_COPY
    details = "; ".join(f"{_describe(plan, i).path}: {problem}" for i, problem in problems.items())
    return f"{EVERY_COPY}: no other copy is verified present and unchanged on disk ({details})"


def _survivor_problem(plan: _Plan, scanned: FileInfo, leaving: set[tuple[int, int] | None]) -> str | None:
    """Why this group member cannot count as the copy that stays (None: it can)."""
    if scanned.id not in plan.rows:
        return "not in the catalog"
    info, status = plan.rows[scanned.id]
    if status != "present":
        return f"listed as {status}"
    if info.content_hash != scanned.content_hash:
        return "it changed since this group was built"
    if in_trash(info.path):
        return "it is inside a trash folder: it is already deleted"
    check = plan.check(scanned.id)
    if check.problem:
        return check.problem
    if check.identity in leaving:
        return "it is the same file on disk as one being trashed (a link)"
    return None


# --- trashing -------------------------------------------------------------------------------------------------


def new_batch_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


def trash_files(catalog: Catalog, request: TrashRequest, backend: TrashBackend | None = None) -> TrashOutcome:
    """Move what preview_trash allows to the system trash (or a quarantine folder), one journaled file at a time."""
    router = _Router(backend or SystemTrash(), catalog.settings.quarantine_volumes)
    preview = _preview(catalog, request, router)
    batch = _Batch(catalog, router, new_batch_id())
    if preview.will_trash:
        batch.run(preview)
    return TrashOutcome(batch.batch_id, tuple(batch.trashed), tuple(batch.failed), tuple(batch.lost))


class _JournalStop(Exception):
    """The journal cannot be written: nothing more may move. reason: what became of this file."""

    def __init__(self, reason: str, cause: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.cause = cause


@dataclass
class _Batch:
    catalog: Catalog
    router: _Router
    batch_id: str
    trashed: list[TrashedFile] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    lost: list[tuple[str, str]] = field(default_factory=list)

    def run(self, preview: TrashPreview) -> None:
        files, done = preview.will_trash, 0
        try:
            self._write(lambda: _journal_refusals(self.catalog, self.batch_id, preview.refused), None)
            for info in files:
                self._one(info)
                done += 1
        except _JournalStop as stop:
            self.failed.append((files[done].path, stop.reason))
            skipped = f"not moved: the batch stopped because the journal could not be written ({stop.cause})"
            self.failed.extend((later.path, skipped) for later in files[done + 1 :])

    def _write(self, write: Callable[[], T], moved_to: str | None) -> T:
        """One journal transaction; when it fails, _JournalStop (moved_to: where this file went, if it moved)."""
        try:
            with self.catalog.transaction():
                return write()
        except sqlite3.Error as error:
            cause = _first_database_error(error)
            where = "it is still at its place" if moved_to is None else f"it is at {moved_to}"
            raise _JournalStop(f"the journal could not be written ({cause}); {where}", cause) from error

    def _one(self, info: FileInfo) -> None:
        """The journal row is committed before the move and completed after it: a crash leaves it 'pending'."""
        place, volume = self.router.route(info.path)
        where = QUARANTINE_NAME if place == QUARANTINE else "the system trash"
        row_id = self._write(
            lambda: self.catalog.journal.add(TRASH, self.batch_id, info, status=PENDING, detail=f"moving to {where}"),
            None,
        )
        problem = check_on_disk(info).problem
        if problem is not None:  # checked again right before the move
            self._record_failure(row_id, info, problem)
            return
        try:
            location = self._move(info.path, place, volume)
        except OSError as error:
            self._move_failed(row_id, info, place, error)
            return
        self._moved(row_id, info, place, location)

    def _move(self, path: str, place: str, volume: str) -> str | None:
        if place == QUARANTINE:
            return move_to_quarantine(path, volume)
        return self.router.backend.move_to_trash(path)

    def _record_failure(self, row_id: int, info: FileInfo, reason: str) -> None:
        self._write(lambda: self.catalog.journal.complete(row_id, FAILED, reason, None), None)
        self.failed.append((info.path, reason))

    def _move_failed(self, row_id: int, info: FileInfo, place: str, error: OSError) -> None:
        """Where the file is now decides what the journal says: at its place, or gone (undo looks for it)."""
        what = QUARANTINE_NAME if place == QUARANTINE else f"system {TRASH_NAME}"
        text = error.strerror or str(error)
        if os.path.lexists(info.path):
            self._record_failure(row_id, info, f"the {what} refused it ({text}); it is still at its place")
            return
        reason = (
            f"the move to the {what} stopped midway ({text}): the file is no longer at its place; "
            "undo looks for it in the trash"
        )

        def record() -> None:
            self.catalog.journal.complete(row_id, PENDING, reason, None)
            self.catalog.files.set_status(info.id, TRASHED)

        self._write(record, "an unknown place")
        self.failed.append((info.path, reason))

    def _moved(self, row_id: int, info: FileInfo, place: str, location: str | None) -> None:
        if location is None or not os.path.lexists(location):
            self._unreported(row_id, info, location)
            return
        detail = f"in the {QUARANTINE_NAME}" if place == QUARANTINE else "in the system trash"

        def record() -> None:
            self.catalog.journal.complete(row_id, OK, detail, location)
            self.catalog.files.set_status(info.id, TRASHED)

        try:
            self._write(record, location)
        except _JournalStop as stop:
            raise _JournalStop(_put_back_after(stop, self.router.backend, info, location), stop.cause) from stop
        self.trashed.append(TrashedFile(info.id, info.path, location, place))

    def _unreported(self, row_id: int, info: FileInfo, location: str | None) -> None:
        """The backend did not say where the file went (or said a place where it is not)."""
        if os.path.lexists(info.path):
            reason = "the trash did not take it (it reported no place for it); it is still at its place"
            self._record_failure(row_id, info, reason)
            return
        name = os.path.basename(info.path)
        said = f" (it named {location}, where nothing is)" if location else ""
        reason = (
            f"the system {TRASH_NAME} took it but did not say where{said}: Twinlens cannot put it back; "
            f"look for {name!r} in the {TRASH_NAME}"
        )

        def record() -> None:
            self.catalog.journal.complete(row_id, LOST, reason, None)
            self.catalog.files.set_status(info.id, TRASHED)

        self._write(record, f"the {TRASH_NAME}, under the name {name!r}")
        self.lost.append((info.path, reason))


def _first_database_error(error: BaseException) -> str:
    """The error that started it: on SQLITE_FULL SQLite rolls back by itself, so the ROLLBACK that follows
    fails too ("no transaction is active") and would hide the cause."""
    first = error
    while isinstance(first.__context__, sqlite3.Error):
        first = first.__context__
    return str(first)


def _put_back_after(stop: _JournalStop, backend: TrashBackend, info: FileInfo, location: str) -> str:
    """The move could not be journaled: take it back at once, so the disk matches the journal."""
    try:
        _restore_from(backend, location, info.path)
    except (RestoreError, OSError) as error:
        return f"{stop.reason}; it could not be put back ({error})"
    return f"the journal could not be written ({stop.cause}); the file was put back at its place"


def _journal_refusals(catalog: Catalog, batch_id: str, refused: Sequence[Refusal]) -> None:
    for refusal in refused:
        catalog.journal.add(TRASH, batch_id, refusal.file, status=REFUSED, detail=refusal.reason)


# --- undo -----------------------------------------------------------------------------------------------------


def undo_batch(catalog: Catalog, batch_id: str, backend: TrashBackend | None = None) -> UndoOutcome:
    """Move a trash batch's files back to where they were (which batch plain undo takes: core/safety/undo.py).
    An unknown batch id raises LookupError."""
    backend = backend or SystemTrash()
    if catalog.journal.action_of(batch_id) != TRASH:
        raise LookupError(f"no trash batch {batch_id!r} in the journal")
    restored: list[str] = []
    failed: list[tuple[str, str]] = []
    for item in catalog.journal.not_yet_restored(batch_id):
        reason = _undo_one(catalog, backend, batch_id, item)
        if reason is None:
            restored.append(item.info.path)
        else:
            failed.append((item.info.path, reason))
    lost = catalog.journal.lost(batch_id)  # never pretend: these never were where undo can reach them
    return UndoOutcome(batch_id, tuple(restored), tuple(failed + lost), stepped_aside=bool(failed))


def _undo_one(catalog: Catalog, backend: TrashBackend, batch_id: str, item: TrashedEntry) -> str | None:
    """None when the file is back at its path; otherwise why not, and where it is."""
    reason = _restore(backend, item)
    status, detail = (OK, "restored to its original path") if reason is None else (FAILED, reason)
    with catalog.transaction():
        catalog.journal.add(UNDO, batch_id, item.info, status=status, detail=detail, trash_path=item.trash_path)
        if reason is None:
            _mark_present(catalog, item.info)
    return reason


def _restore(backend: TrashBackend, item: TrashedEntry) -> str | None:
    original, trash_path = item.info.path, item.trash_path
    if os.path.lexists(original):
        if _already_back(item):
            return None
        return f"a file already exists at {original} and was not overwritten; {_whereabouts(item)}"
    if trash_path and os.path.isfile(trash_path) and hash_file(trash_path) != item.info.content_hash:
        return f"the file at {trash_path} is not the one Twinlens trashed (its bytes differ); nothing was moved"
    try:
        _restore_from(backend, trash_path, original)
    except RestoreError as error:
        return str(error)
    except OSError as error:
        return f"it could not be moved back ({error.strerror or error}); {_whereabouts(item)}"
    return None


def _restore_from(backend: TrashBackend, trash_path: str | None, original: str) -> None:
    """Out of a quarantine folder (Twinlens' own), or out of the backend's trash."""
    if trash_path is not None and is_quarantined(trash_path):
        restore_from_quarantine(trash_path, original)
    else:
        backend.restore(trash_path, original)


def _already_back(item: TrashedEntry) -> bool:
    """The same bytes at the original path, and no trashed copy left: an interrupted move or undo."""
    if item.trash_path and os.path.lexists(item.trash_path):
        return False
    return os.path.isfile(item.info.path) and hash_file(item.info.path) == item.info.content_hash


def _whereabouts(item: TrashedEntry) -> str:
    if item.trash_path:
        return f"the trashed photo is still at {item.trash_path}"
    name = os.path.basename(item.info.path)
    return f"the trashed photo is in the system {TRASH_NAME} under the name {name!r}"


def _mark_present(catalog: Catalog, info: FileInfo) -> None:
    """Back in groups, unless the catalog row has since been reused for other bytes (a rescan then decides)."""
    try:
        mtime_ns = os.stat(info.path).st_mtime_ns
    except OSError:
        return
    catalog.files.mark_present_if_same(info, mtime_ns)


# --- the journal, by batch ------------------------------------------------------------------------------------


def journal_batches(catalog: Catalog, limit: int = 50) -> list[JournalBatch]:
    """Trash batches, newest first, with what became of their files."""
    return [_batch(catalog, counts) for counts in catalog.journal.trash_batches(limit)]


def _batch(catalog: Catalog, counts: TrashBatchCounts) -> JournalBatch:
    return JournalBatch(
        batch_id=counts.batch_id,
        at=counts.at,
        action=TRASH,
        files=counts.moved,
        undone=counts.moved > 0 and counts.restored == counts.moved,
        restored=counts.restored,
        stuck=counts.stuck,
        lost=counts.lost,
        not_moved=counts.not_moved,
        reason=catalog.journal.last_undo_failure(counts.batch_id) if counts.stuck else "",
    )
