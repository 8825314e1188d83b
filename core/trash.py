"""The safety layer: no photo is ever lost.

Deletion means the system trash, never unlink. Before a file is trashed it is verified to still be the one that
was scanned (size, mtime and content hash re-computed from its bytes). No request may trash every copy in a group:
at least one member outside the request must be verified present and unchanged on disk. Every move is journaled
before and after it happens (so a crash mid-batch leaves a truthful journal) and can be undone.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from core.catalog import Catalog, file_info_from_row
from core.entities import DuplicateGroup, FileInfo
from core.hashing import hash_file
from core.pathcodec import from_db, to_db
from core.places import in_trash
from core.trash_backend import TRASH_NAME, RestoreError, SystemTrash, TrashBackend

__all__ = [
    "JournalBatch",
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

TRASH = "trash"
UNDO = "undo"
EVERY_COPY = "would remove every copy in this group"


@dataclass(frozen=True)
class TrashRequest:
    file_ids: tuple[int, ...]
    groups: tuple[DuplicateGroup, ...]


@dataclass(frozen=True)
class Refusal:
    file: FileInfo
    reason: str


@dataclass(frozen=True)
class TrashPreview:
    will_trash: tuple[FileInfo, ...]
    refused: tuple[Refusal, ...]
    bytes_freed: int


@dataclass(frozen=True)
class TrashedFile:
    file_id: int
    path: str
    trash_path: str | None


@dataclass(frozen=True)
class TrashOutcome:
    batch_id: str
    trashed: tuple[TrashedFile, ...]
    failed: tuple[tuple[str, str], ...]  # (path, reason)


@dataclass(frozen=True)
class UndoOutcome:
    batch_id: str
    restored: tuple[str, ...]  # trash: files put back; not-duplicates: the photos grouped together again
    failed: tuple[tuple[str, str], ...]  # (path, reason): the reason says where the file is
    action: str = "trash"


@dataclass(frozen=True)
class JournalBatch:
    batch_id: str
    at: float
    action: str
    files: int  # files this batch moved to the trash
    undone: bool  # every one of them has been restored


def request_extras(groups: Sequence[DuplicateGroup]) -> TrashRequest:
    """Every member the keep rules did not keep (protected files are always kept)."""
    ids = tuple(m.file.id for g in groups for m in g.members if not m.keep and not m.protected)
    return TrashRequest(file_ids=tuple(dict.fromkeys(ids)), groups=tuple(groups))


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


def preview_trash(catalog: Catalog, request: TrashRequest) -> TrashPreview:
    """What trash_files would do now: every file is verified on disk (this reads their bytes)."""
    plan = _Plan(request, _catalog_rows(catalog, _all_ids(request)))
    requested = list(dict.fromkeys(request.file_ids))
    for file_id in requested:
        _judge_candidate(plan, file_id)
    for group in request.groups:
        _judge_group(plan, group, set(requested))
    will = tuple(plan.rows[i][0] for i in requested if i not in plan.refusals)
    refused = tuple(Refusal(_describe(plan, i), plan.refusals[i]) for i in requested if i in plan.refusals)
    return TrashPreview(will_trash=will, refused=refused, bytes_freed=sum(f.size for f in will))


def _all_ids(request: TrashRequest) -> set[int]:
    return set(request.file_ids) | {m.file.id for g in request.groups for m in g.members}


def _catalog_rows(catalog: Catalog, file_ids: Iterable[int]) -> dict[int, tuple[FileInfo, str]]:
    wanted = list(file_ids)
    rows: dict[int, tuple[FileInfo, str]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = (
            "SELECT id, path, size, mtime_ns, content_hash, width, height, format, captured_at, camera, status "
            f"FROM files WHERE id IN ({marks})"
        )
        for row in catalog.query(sql, chunk):
            rows[row["id"]] = (file_info_from_row(row), row["status"])
    return rows


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
    """Move what preview_trash allows to the system trash, one journaled file at a time."""
    backend = backend or SystemTrash()
    preview = preview_trash(catalog, request)
    batch_id = new_batch_id()
    if not preview.will_trash:
        return TrashOutcome(batch_id, (), ())
    _journal_refusals(catalog, batch_id, preview.refused)
    trashed: list[TrashedFile] = []
    failed: list[tuple[str, str]] = []
    for info in preview.will_trash:
        result = _trash_one(catalog, backend, batch_id, info)
        if isinstance(result, TrashedFile):
            trashed.append(result)
        else:
            failed.append((info.path, result))
    return TrashOutcome(batch_id, tuple(trashed), tuple(failed))


def _trash_one(catalog: Catalog, backend: TrashBackend, batch_id: str, info: FileInfo) -> TrashedFile | str:
    """The journal row is committed before the move and completed after it: a crash leaves it 'pending'."""
    with catalog.transaction():
        row_id = _journal(catalog, TRASH, batch_id, info, status="pending", detail="moving to the system trash")
    problem = check_on_disk(info).problem  # again, right before the move
    if problem is not None:
        _finish(catalog, row_id, "failed", problem)
        return problem
    try:
        trash_path = backend.move_to_trash(info.path)
    except OSError as error:
        reason = f"the system trash refused it ({error.strerror or error}); it is still at its place"
        _finish(catalog, row_id, "failed", reason)
        return reason
    with catalog.transaction():
        detail = "in the system trash" + ("" if trash_path else f" ({TRASH_NAME}), under its own name")
        _finish_in_transaction(catalog, row_id, "ok", detail, trash_path)
        catalog.db.execute("UPDATE files SET status = 'trashed' WHERE id = ?", [info.id])
    return TrashedFile(info.id, info.path, trash_path)


def _journal(
    catalog: Catalog,
    action: str,
    batch_id: str,
    info: FileInfo,
    status: str,
    detail: str,
    trash_path: str | None = None,
) -> int:
    row = {
        "at": time.time(),
        "action": action,
        "batch": batch_id,
        "file_id": info.id,
        "path": to_db(info.path),
        "content_hash": info.content_hash,
        "size": info.size,
        "mtime_ns": info.mtime_ns,
        "trash_path": to_db(trash_path) if trash_path else None,
        "status": status,
        "detail": detail,
    }
    return int(catalog.db.table("journal").insert(row).last_pk or 0)


def _finish(catalog: Catalog, row_id: int, status: str, detail: str, trash_path: str | None = None) -> None:
    with catalog.transaction():
        _finish_in_transaction(catalog, row_id, status, detail, trash_path)


def _finish_in_transaction(catalog: Catalog, row_id: int, status: str, detail: str, trash_path: str | None) -> None:
    catalog.db.execute(
        "UPDATE journal SET status = ?, detail = ?, trash_path = ?, at = ? WHERE id = ?",
        [status, detail, to_db(trash_path) if trash_path else None, time.time(), row_id],
    )


def _journal_refusals(catalog: Catalog, batch_id: str, refused: Sequence[Refusal]) -> None:
    with catalog.transaction():
        for refusal in refused:
            _journal(catalog, TRASH, batch_id, refusal.file, status="refused", detail=refusal.reason)


# --- undo -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Trashed:
    """One journaled move to the trash that has not been undone."""

    info: FileInfo
    trash_path: str | None
    status: str  # 'ok', or 'pending' when the batch was interrupted


def undo_batch(catalog: Catalog, batch_id: str | None = None, backend: TrashBackend | None = None) -> UndoOutcome:
    """Move a batch's files back to where they were. None: the newest batch with files still in the trash.

    With nothing to undo the outcome is empty (batch_id ""); an unknown batch id raises LookupError.
    """
    backend = backend or SystemTrash()
    if batch_id is None:
        batch_id = _last_undoable_batch(catalog)
        if batch_id is None:
            return UndoOutcome("", (), ())
    elif not catalog.query("SELECT 1 FROM journal WHERE batch = ? AND action = ? LIMIT 1", [batch_id, TRASH]):
        raise LookupError(f"no trash batch {batch_id!r} in the journal")
    restored: list[str] = []
    failed: list[tuple[str, str]] = []
    for item in _not_yet_restored(catalog, batch_id):
        reason = _undo_one(catalog, backend, batch_id, item)
        if reason is None:
            restored.append(item.info.path)
        else:
            failed.append((item.info.path, reason))
    return UndoOutcome(batch_id, tuple(restored), tuple(failed))


def _not_yet_restored(catalog: Catalog, batch_id: str) -> list[_Trashed]:
    rows = catalog.query(
        "SELECT t.file_id AS id, t.path, t.size, t.mtime_ns, t.content_hash, t.trash_path, t.status "
        "FROM journal t WHERE t.batch = ? AND t.action = ? AND t.status IN ('ok', 'pending') "
        "AND NOT EXISTS (SELECT 1 FROM journal u WHERE u.batch = t.batch AND u.action = ? "
        "AND u.file_id = t.file_id AND u.status = 'ok') ORDER BY t.id",
        [batch_id, TRASH, UNDO],
    )
    return [_trashed_from_row(row) for row in rows]


def _trashed_from_row(row: sqlite3.Row) -> _Trashed:
    info = FileInfo(
        id=row["id"],
        path=from_db(row["path"]),
        size=row["size"],
        mtime_ns=row["mtime_ns"],
        content_hash=row["content_hash"],
        width=0,
        height=0,
        format="",
    )
    trash_path = from_db(row["trash_path"]) if row["trash_path"] else None
    return _Trashed(info, trash_path, row["status"])


def _undo_one(catalog: Catalog, backend: TrashBackend, batch_id: str, item: _Trashed) -> str | None:
    """None when the file is back at its path; otherwise why not, and where it is."""
    reason = _restore(backend, item)
    status, detail = ("ok", "restored to its original path") if reason is None else ("failed", reason)
    with catalog.transaction():
        _journal(catalog, UNDO, batch_id, item.info, status=status, detail=detail, trash_path=item.trash_path)
        if reason is None:
            _mark_present(catalog, item.info)
    return reason


def _restore(backend: TrashBackend, item: _Trashed) -> str | None:
    original, trash_path = item.info.path, item.trash_path
    if os.path.lexists(original):
        if _already_back(item):
            return None
        return f"a file already exists at {original} and was not overwritten; {_whereabouts(item)}"
    if trash_path and os.path.isfile(trash_path) and hash_file(trash_path) != item.info.content_hash:
        return f"the file at {trash_path} is not the one Twinlens trashed (its bytes differ); nothing was moved"
    try:
        backend.restore(trash_path, original)
    except RestoreError as error:
        return str(error)
    except OSError as error:
        return f"it could not be moved back ({error.strerror or error}); {_whereabouts(item)}"
    return None


def _already_back(item: _Trashed) -> bool:
    """The same bytes at the original path, and no trashed copy left: an interrupted move or undo."""
    if item.trash_path and os.path.lexists(item.trash_path):
        return False
    return os.path.isfile(item.info.path) and hash_file(item.info.path) == item.info.content_hash


def _whereabouts(item: _Trashed) -> str:
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
    catalog.db.execute(
        "UPDATE files SET status = 'present', mtime_ns = ? WHERE id = ? AND content_hash = ? AND size = ?",
        [mtime_ns, info.id, info.content_hash, info.size],
    )


# --- the journal, by batch ------------------------------------------------------------------------------------


def journal_batches(catalog: Catalog, limit: int = 50) -> list[JournalBatch]:
    """Trash batches, newest first."""
    rows = catalog.query(
        "SELECT t.batch, min(t.at) AS at, "
        "sum(t.status IN ('ok', 'pending')) AS moved, "
        "sum(t.status IN ('ok', 'pending') AND NOT EXISTS (SELECT 1 FROM journal u WHERE u.batch = t.batch "
        "AND u.action = ? AND u.file_id = t.file_id AND u.status = 'ok')) AS left "
        "FROM journal t WHERE t.action = ? GROUP BY t.batch ORDER BY min(t.at) DESC, t.batch DESC LIMIT ?",
        [UNDO, TRASH, limit],
    )
    return [
        JournalBatch(
            batch_id=r["batch"], at=r["at"], action=TRASH, files=r["moved"], undone=r["moved"] > 0 and r["left"] == 0
        )
        for r in rows
    ]


def _last_undoable_batch(catalog: Catalog) -> str | None:
    for batch in journal_batches(catalog, limit=1_000_000):
        if batch.files and not batch.undone:
            return batch.batch_id
    return None
