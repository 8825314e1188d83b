"""The journal: every move to the trash, every "not duplicates" decision and every undo of either, one row each,
grouped by batch. The one place that reads or writes the `journal` table (core/safety/trash.py, core/safety/undo.py
and core/tiers/decisions.py go through it).

A trash row is written before its file moves ('pending') and completed after it, so a crash leaves a truthful
journal; an undo adds rows (action 'undo') and never edits the rows it takes back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from core.entities import FileInfo
from core.store.files import file_info_from_row
from core.store.pathcodec import from_db, to_db
from core.store.sql import Part

# actions
TRASH, UNDO, NOT_DUPLICATES = "trash", "undo", "not-duplicates"
# statuses of a trash row (an undo row is OK or FAILED; a decision row is OK)
PENDING, OK, FAILED, REFUSED, LOST = "pending", "ok", "failed", "refused", "lost-location"
MOVED = (OK, PENDING)  # what undo takes back: 'pending' rows were interrupted, undo looks for the file


@dataclass(frozen=True)
class TrashedEntry:
    """A journaled move to the trash that has not been undone. info has the file as it was scanned (id, path,
    size, mtime, content hash; no image facts)."""

    info: FileInfo
    trash_path: str | None
    status: str  # OK, or PENDING when the batch was interrupted


@dataclass(frozen=True)
class TrashBatchCounts:
    """What became of the files of one trash batch."""

    batch_id: str
    at: float  # when it started
    moved: int  # moved to the trash or a quarantine folder (or interrupted while moving)
    restored: int  # of those, back at their place
    stuck: int  # of those, not back, and the last try to restore them failed
    lost: int  # moved to a place the trash did not report
    not_moved: int  # refused or failed: still at their place


@dataclass(frozen=True)
class DecisionEntry:
    batch_id: str
    at: float
    paths: tuple[str, ...]  # the photos it concerned
    undone: bool


_BATCH_SQL = (
    "SELECT t.batch, min(t.at) AS at, "
    "sum(t.status IN (:ok, :pending)) AS moved, "
    "sum(t.status IN (:ok, :pending) AND EXISTS ({undone})) AS restored, "
    "sum(t.status IN (:ok, :pending) AND NOT EXISTS ({undone}) AND EXISTS ({tried})) AS stuck, "
    "sum(t.status = :lost) AS lost, "
    "sum(t.status IN (:failed, :refused)) AS not_moved "
    "FROM journal t WHERE t.action = :trash GROUP BY t.batch ORDER BY min(t.at) DESC, t.batch DESC LIMIT :limit"
).format(
    undone="SELECT 1 FROM journal u WHERE u.batch = t.batch AND u.action = :undo AND u.file_id = t.file_id "
    "AND u.status = :ok",
    tried="SELECT 1 FROM journal u WHERE u.batch = t.batch AND u.action = :undo AND u.file_id = t.file_id "
    "AND u.status = :failed",
)


class Journal(Part):
    # --- trash batches -------------------------------------------------------------------------------------

    def add(
        self, action: str, batch_id: str, info: FileInfo, status: str, detail: str, trash_path: str | None = None
    ) -> int:
        """One row about one file (a move to the trash, or the undo of one); returns its id."""
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
        return int(self.db.table("journal").insert(row).last_pk or 0)

    def complete(self, row_id: int, status: str, detail: str, trash_path: str | None) -> None:
        """What became of a row's file once the move was tried."""
        self.db.execute(
            "UPDATE journal SET status = ?, detail = ?, trash_path = ?, at = ? WHERE id = ?",
            [status, detail, to_db(trash_path) if trash_path else None, time.time(), row_id],
        )

    def action_of(self, batch_id: str) -> str | None:
        """TRASH or NOT_DUPLICATES; None for a batch the journal does not know."""
        rows = self.rows(
            "SELECT action FROM journal WHERE batch = ? AND action IN (?, ?) LIMIT 1",
            [batch_id, TRASH, NOT_DUPLICATES],
        )
        return str(rows[0]["action"]) if rows else None

    def not_yet_restored(self, batch_id: str) -> list[TrashedEntry]:
        rows = self.rows(
            "SELECT t.file_id AS id, t.path, t.size, t.mtime_ns, t.content_hash, 0 AS width, 0 AS height, "
            "'' AS format, NULL AS captured_at, NULL AS camera, 0 AS gps, NULL AS rating, NULL AS keywords, "
            "t.trash_path, t.status "
            "FROM journal t WHERE t.batch = ? AND t.action = ? AND t.status IN (?, ?) "
            "AND NOT EXISTS (SELECT 1 FROM journal u WHERE u.batch = t.batch AND u.action = ? "
            "AND u.file_id = t.file_id AND u.status = 'ok') ORDER BY t.id",
            [batch_id, TRASH, *MOVED, UNDO],
        )
        return [
            TrashedEntry(
                file_info_from_row(row), from_db(row["trash_path"]) if row["trash_path"] else None, row["status"]
            )
            for row in rows
        ]

    def lost(self, batch_id: str) -> list[tuple[str, str]]:
        """(path, why) of the batch's files that went to a place the trash did not report."""
        rows = self.rows(
            "SELECT path, detail FROM journal WHERE batch = ? AND action = ? AND status = ? ORDER BY id",
            [batch_id, TRASH, LOST],
        )
        return [(from_db(row["path"]), str(row["detail"])) for row in rows]

    def trash_batches(self, limit: int) -> list[TrashBatchCounts]:
        """Trash batches, newest first."""
        params = {"ok": OK, "pending": PENDING, "lost": LOST, "failed": FAILED, "refused": REFUSED}
        rows = self.rows(_BATCH_SQL, {**params, "trash": TRASH, "undo": UNDO, "limit": limit})
        return [
            TrashBatchCounts(
                batch_id=row["batch"],
                at=row["at"],
                moved=int(row["moved"]),
                restored=int(row["restored"]),
                stuck=int(row["stuck"]),
                lost=int(row["lost"]),
                not_moved=int(row["not_moved"]),
            )
            for row in rows
        ]

    def last_undo_failure(self, batch_id: str) -> str:
        """Why the newest failed undo of a file of this batch failed ("" when none did)."""
        rows = self.rows(
            "SELECT detail FROM journal WHERE batch = ? AND action = ? AND status = ? ORDER BY id DESC LIMIT 1",
            [batch_id, UNDO, FAILED],
        )
        return str(rows[0]["detail"]) if rows else ""

    # --- "not duplicates" decisions ------------------------------------------------------------------------

    def add_decision(self, batch_id: str, paths: Sequence[str], pairs: Sequence[tuple[str, str]], at: float) -> None:
        """A "not duplicates" decision: the photos it concerned, and the content-hash pairs it added."""
        self.db.execute(
            "INSERT INTO journal (at, action, batch, path, status, detail) VALUES (?, ?, ?, ?, 'ok', ?)",
            [at, NOT_DUPLICATES, batch_id, to_db("\n".join(paths)), json.dumps({"pairs": list(pairs)})],
        )

    def decision(self, batch_id: str) -> tuple[list[str], list[tuple[str, str]]] | None:
        """(paths, pairs added) of a "not duplicates" decision; None for a batch that is none."""
        rows = self.rows("SELECT path, detail FROM journal WHERE batch = ? AND action = ?", [batch_id, NOT_DUPLICATES])
        if not rows:
            return None
        pairs = [(str(a), str(b)) for a, b in json.loads(rows[0]["detail"])["pairs"]]
        return _paths_of(rows[0]["path"]), pairs

    def add_decision_undo(self, batch_id: str, paths: Sequence[str]) -> None:
        self.db.execute(
            "INSERT INTO journal (at, action, batch, path, status) VALUES (?, 'undo', ?, ?, 'ok')",
            [time.time(), batch_id, to_db("\n".join(paths))],
        )

    def decisions(self, limit: int) -> list[DecisionEntry]:
        """ "Not duplicates" decisions, newest first."""
        rows = self.rows(
            "SELECT d.batch, d.at, d.path, EXISTS (SELECT 1 FROM journal u WHERE u.batch = d.batch "
            "AND u.action = 'undo') AS undone FROM journal d WHERE d.action = ? ORDER BY d.at DESC, d.batch DESC "
            "LIMIT ?",
            [NOT_DUPLICATES, limit],
        )
        return [
            DecisionEntry(row["batch"], row["at"], tuple(_paths_of(row["path"])), bool(row["undone"])) for row in rows
        ]

    def decision_undone(self, batch_id: str) -> bool:
        rows = self.rows("SELECT 1 FROM journal WHERE batch = ? AND action = ? LIMIT 1", [batch_id, UNDO])
        return bool(rows)


def _paths_of(stored: str) -> list[str]:
    """The paths of a decision row, stored one a line."""
    return [path for path in from_db(str(stored)).split("\n") if path]
