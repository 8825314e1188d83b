"""Catalogued files and what is derived from each file's bytes (thumbnail, perceptual hash)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from core.entities import DecodedFile, FileInfo, PhotoMetadata
from core.store.pathcodec import from_db, to_db
from core.store.sql import IDS, Part

PRESENT, GONE, TRASHED = "present", "gone", "trashed"
_COLUMNS = "id, path, size, mtime_ns, content_hash, width, height, format, captured_at, camera, gps, rating, keywords"
# Tables of data computed from a file's bytes: dropped when the bytes change.
_DERIVED = ("perceptual_hashes", "thumbnails", "embeddings")


@dataclass(frozen=True)
class KnownFile:
    """What the scanner needs to decide whether a path must be read again."""

    id: int
    size: int
    mtime_ns: int
    content_hash: str
    status: str
    meta_version: int = 0  # which metadata reader read it (core/scan/metadata.py META_VERSION)
    # Other present rows of the same file: its path in another case, on a volume where case does not tell names
    # apart (left by a catalogue written before paths were compared by the platform's rules).
    shadowed: tuple[int, ...] = ()


class Files(Part):
    # --- what a scan writes --------------------------------------------------------------------------------

    def known_under(self, roots: Sequence[str]) -> dict[str, KnownFile]:
        """Catalogued files (present or gone) whose path lies under one of the roots, by path key (the path
        itself where case tells names apart; core.pathrules). Of rows that share a key, the present one with
        the lowest id stands for the file, the others are `shadowed` by it."""
        rows: dict[str, list[KnownFile]] = {}
        sql = "SELECT path, id, size, mtime_ns, content_hash, status, meta_version FROM files"
        for key, _, (id_, size, mtime_ns, content_hash, status, meta) in self.under_roots(sql, roots):
            rows.setdefault(key, []).append(KnownFile(id_, size, mtime_ns, content_hash, status, meta))
        return {key: _standing_for(same) for key, same in rows.items()}

    def store_decoded(self, item: DecodedFile, scan_id: int, existing_id: int | None) -> int:
        """Insert or update one file and its derived data; derived data is replaced when the bytes changed.

        Plain SQL rather than sqlite-utils' insert(): this runs once per new file on the scan's hot path."""
        values = (
            to_db(item.path), item.size, item.mtime_ns, item.content_hash, item.width, item.height, item.format,
            item.captured_at, item.camera, item.gps, item.rating, item.keywords, item.meta_version, item.orientation,
            scan_id,
        )  # fmt: skip
        conn = self.conn
        if existing_id is None:
            cursor = conn.execute(
                "INSERT INTO files (path, size, mtime_ns, content_hash, width, height, format, captured_at, camera, "
                "gps, rating, keywords, meta_version, orientation, last_scan, first_scan, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'present')",
                (*values, scan_id),
            )
            file_id = int(cursor.lastrowid or 0)
        else:
            file_id = existing_id
            conn.execute(
                "UPDATE files SET path = ?, size = ?, mtime_ns = ?, content_hash = ?, width = ?, height = ?, "
                "format = ?, captured_at = ?, camera = ?, gps = ?, rating = ?, keywords = ?, meta_version = ?, "
                "orientation = ?, last_scan = ?, status = 'present' WHERE id = ?",
                (*values, file_id),
            )
            self._forget_derived(file_id)
        if item.phash is not None:
            conn.execute(
                "INSERT OR REPLACE INTO perceptual_hashes (file_id, phash) VALUES (?, ?)", (file_id, item.phash)
            )
        conn.execute(
            "INSERT OR REPLACE INTO thumbnails (file_id, width, height, jpeg) VALUES (?, ?, ?, ?)",
            (file_id, item.thumb_width, item.thumb_height, item.thumb_jpeg),
        )
        return file_id

    def _forget_derived(self, file_id: int) -> None:
        """Drop data computed from a file's old bytes."""
        for table in _DERIVED:
            self.db.execute(f"DELETE FROM [{table}] WHERE file_id = ?", [file_id])
        self.db.execute("DELETE FROM neighbours WHERE a = ? OR b = ?", [file_id, file_id])

    def move(self, file_id: int, new_path: str, size: int, mtime_ns: int, scan_id: int) -> None:
        """A file that reappeared at another path with the same bytes keeps its row, and so its history."""
        values = {"path": to_db(new_path), "size": size, "mtime_ns": mtime_ns, "status": PRESENT, "last_scan": scan_id}
        self.db.table("files").update(file_id, values)

    def touch(self, file_id: int, size: int, mtime_ns: int, scan_id: int) -> None:
        """Same bytes, new mtime: nothing derived needs recomputing."""
        values = {"size": size, "mtime_ns": mtime_ns, "status": PRESENT, "last_scan": scan_id}
        self.db.table("files").update(file_id, values)

    def store_metadata(self, file_id: int, meta: PhotoMetadata | None, version: int) -> None:
        """The one-time header re-read of a catalogued photo; None (the header could not be read) keeps what is
        stored and still marks the row read, so an unreadable header is not tried at every scan."""
        if meta is None:
            self.db.execute("UPDATE files SET meta_version = ? WHERE id = ?", [version, file_id])
            return
        self.db.execute(
            "UPDATE files SET captured_at = ?, camera = ?, gps = ?, rating = ?, keywords = ?, meta_version = ? "
            "WHERE id = ?",
            [meta.captured_at, meta.camera, meta.gps, meta.rating, meta.keywords, version, file_id],
        )

    def mark_gone(self, file_ids: Iterable[int]) -> None:
        self.conn.executemany("UPDATE files SET status = 'gone' WHERE id = ?", ((i,) for i in file_ids))

    def delete(self, file_id: int) -> None:
        self.db.table("files").delete(file_id)

    def gone_ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        sql = f"SELECT content_hash, id FROM files WHERE status = 'gone' AND content_hash IN ({IDS})"
        found: dict[str, int] = {}
        for content_hash, file_id in self.rows_in(sql, hashes):
            found.setdefault(content_hash, file_id)
        return found

    def gone_hashes(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT content_hash FROM files WHERE status = 'gone'")}

    # --- what the trash and its undo write -----------------------------------------------------------------

    def set_status(self, file_id: int, status: str) -> None:
        self.db.execute("UPDATE files SET status = ? WHERE id = ?", [status, file_id])

    def mark_present_if_same(self, info: FileInfo, mtime_ns: int) -> None:
        """Present again with this mtime, unless the row has since been reused for other bytes."""
        self.db.execute(
            "UPDATE files SET status = 'present', mtime_ns = ? WHERE id = ? AND content_hash = ? AND size = ?",
            [mtime_ns, info.id, info.content_hash, info.size],
        )

    # --- reads -------------------------------------------------------------------------------------------

    def with_status(self, file_ids: Iterable[int]) -> dict[int, tuple[FileInfo, str]]:
        """Catalogued files of these ids, whatever their status, with it."""
        rows = self.rows_in(f"SELECT {_COLUMNS}, status FROM files WHERE id IN ({IDS})", file_ids)
        return {row["id"]: (file_info_from_row(row), row["status"]) for row in rows}

    def by_ids(self, file_ids: Iterable[int]) -> dict[int, FileInfo]:
        return {file_id: info for file_id, (info, _) in self.with_status(file_ids).items()}

    def shutter_times(self, file_ids: Iterable[int]) -> dict[int, str]:
        """The shutter times of those of these files that carry one (core/scan/metadata.py)."""
        rows = self.rows_in(
            f"SELECT id, captured_at FROM files WHERE id IN ({IDS}) AND captured_at IS NOT NULL", file_ids
        )
        return {row["id"]: row["captured_at"] for row in rows}

    def present(self) -> list[FileInfo]:
        rows = self.rows(f"SELECT {_COLUMNS} FROM files WHERE status = 'present' ORDER BY id")
        return [file_info_from_row(row) for row in rows]

    def count_present(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM files WHERE status = 'present'").fetchone()[0])

    def exact_duplicate_sets(self) -> list[list[FileInfo]]:
        rows = self.rows(
            f"SELECT {_COLUMNS} FROM files WHERE status = 'present' AND content_hash IN ("
            "SELECT content_hash FROM files WHERE status = 'present' GROUP BY content_hash HAVING count(*) > 1) "
            "ORDER BY content_hash, id"
        )
        sets: dict[str, list[FileInfo]] = {}
        for row in rows:
            sets.setdefault(row["content_hash"], []).append(file_info_from_row(row))
        return list(sets.values())

    def thumbnail(self, file_id: int) -> bytes | None:
        row = self.db.execute("SELECT jpeg FROM thumbnails WHERE file_id = ?", [file_id]).fetchone()
        return bytes(row[0]) if row else None

    # --- perceptual hashes -------------------------------------------------------------------------------

    def phashes(self, compared: bool | None = None) -> tuple[list[int], list[int]]:
        """(file ids, 64-bit pHashes as signed ints) of present files, by id; with `compared`, only those that
        have (True) or have not (False) been compared with the others yet."""
        rows = self.db.execute(
            "SELECT p.file_id, p.phash FROM perceptual_hashes p JOIN files f ON f.id = p.file_id "
            "WHERE f.status = 'present' AND (? IS NULL OR p.compared = ?) ORDER BY p.file_id",
            [compared, compared],
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def store_phash_partners(self, rows: Iterable[tuple[bytes | None, int]]) -> None:
        """(partner ids packed as little-endian int64, or None; file id): mark each file compared, with the files
        found close to it then (core/scan/perceptual.py says which)."""
        self.conn.executemany("UPDATE perceptual_hashes SET partners = ?, compared = 1 WHERE file_id = ?", rows)

    def phash_partners(self) -> list[tuple[int, bytes]]:
        """(file id, packed partner ids) of the present files that have partners."""
        rows = self.db.execute(
            "SELECT p.file_id, p.partners FROM perceptual_hashes p JOIN files f ON f.id = p.file_id "
            "WHERE f.status = 'present' AND p.partners IS NOT NULL"
        ).fetchall()
        return [(int(file_id), partners) for file_id, partners in rows]


def _standing_for(same_file: list[KnownFile]) -> KnownFile:
    if len(same_file) == 1:
        return same_file[0]
    first, *others = sorted(same_file, key=lambda known: (known.status != PRESENT, known.id))
    return replace(first, shadowed=tuple(known.id for known in others if known.status == PRESENT))


def file_info_from_row(row: sqlite3.Row) -> FileInfo:
    """A FileInfo from a row with the columns of `files` that it holds (by name)."""
    return FileInfo(
        id=row["id"],
        path=from_db(row["path"]),
        size=row["size"],
        mtime_ns=row["mtime_ns"],
        content_hash=row["content_hash"],
        width=row["width"],
        height=row["height"],
        format=row["format"],
        captured_at=row["captured_at"],
        camera=row["camera"],
        gps=bool(row["gps"]),
        rating=row["rating"],
        keywords=row["keywords"],
    )
