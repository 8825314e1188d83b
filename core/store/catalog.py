"""The photo catalog: one SQLite database (WAL) per library, opened through sqlite-utils.

Only one thread may use a Catalog (the GUI's worker thread, or the CLI's main thread).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from core.entities import DecodedFile, FileInfo, Problem, ScanSummary
from core.store.migrations import SCHEMA_VERSION, migrate
from core.store.pathcodec import from_db, to_db
from core.store.writer_lock import WriterLock

DB_NAME = "twinlens.db"


@dataclass(frozen=True)
class KnownFile:
    """What the scanner needs to decide whether a path must be read again."""

    id: int
    size: int
    mtime_ns: int
    content_hash: str
    status: str


class Catalog:
    def __init__(self, library_dir: Path, readonly: bool = False) -> None:
        """readonly: a reader beside the owning connection (WAL lets it read while the owner writes); it neither
        creates nor migrates the database, and SQLite refuses any write through it."""
        self.library_dir = library_dir
        self.readonly = readonly
        self.writer: WriterLock | None = None  # set by Library: settings writes hold it
        if readonly:
            conn = _connect_readonly(library_dir / DB_NAME)
        else:
            library_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(library_dir / DB_NAME, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 5000")
        if readonly:
            return
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        migrate(self.db)

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    @property
    def generation(self) -> int:
        """Changes every time this connection changes a row: caches derived from the catalog (the vector index)
        compare it to know whether they may be stale."""
        return int(self.db.conn.total_changes)

    def change_marker(self) -> tuple[int, int]:
        """Differs whenever any connection (this one, another thread's or another process's) committed a change
        since it was last read: for caches of derived data that must never outlive the rows they came from."""
        data_version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        return data_version, int(self.db.conn.total_changes)

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        cursor = self.db.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

    # --- scans -------------------------------------------------------------------------------------------

    def start_scan(self, roots: Iterable[str]) -> int:
        row = {"started_at": time.time(), "roots": json.dumps([to_db(r) for r in roots]), "status": "running"}
        return int(self.db.table("scans").insert(row).last_pk or 0)

    def mark_interrupted_scans(self) -> int:
        """Scans still 'running' whose process is gone (a crash, kill -9, power loss) become 'interrupted'.
        Only for the holder of the writer lock (core/store/writer_lock.py): a live scan holds it for its whole run,
        so while nobody else holds the lock, no 'running' scan is alive. Returns how many were marked."""
        cursor = self.db.execute("UPDATE scans SET status = 'interrupted' WHERE status = 'running'")
        return int(cursor.rowcount)

    def fail_scan(self, scan_id: int) -> None:
        """A scan that ended with an error: said so if the database still takes the change (a full disk may
        refuse it; the scan then stays 'running' until the next open marks it 'interrupted')."""
        try:
            if self.db.conn.in_transaction:
                self.db.execute("ROLLBACK")
            self.db.execute("UPDATE scans SET status = 'failed', finished_at = ? WHERE id = ?", [time.time(), scan_id])
        except sqlite3.Error:
            pass

    def finish_scan(self, summary: ScanSummary) -> None:
        values: dict[str, object] = dict(summary.as_dict())
        del values["scan_id"], values["cancelled"]
        values["status"] = "cancelled" if summary.cancelled else "done"
        values["finished_at"] = time.time()
        self.db.table("scans").update(summary.scan_id, values)

    # --- files -------------------------------------------------------------------------------------------

    def known_files_under(self, roots: Sequence[str]) -> dict[str, KnownFile]:
        """Catalogued files (present or gone) whose path lies under one of the roots."""
        known: dict[str, KnownFile] = {}
        for root in roots:
            sql = "SELECT id, path, size, mtime_ns, content_hash, status FROM files WHERE " + _UNDER_ROOT
            for id_, path, size, mtime_ns, content_hash, status in self.db.execute(sql, _under_root_params(root)):
                known[from_db(path)] = KnownFile(id_, size, mtime_ns, content_hash, status)
        return known

    def mark_gone(self, file_ids: Iterable[int]) -> None:
        self.db.conn.executemany("UPDATE files SET status = 'gone' WHERE id = ?", ((i,) for i in file_ids))

    def gone_ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        wanted = list(set(hashes))
        found: dict[str, int] = {}
        for chunk_start in range(0, len(wanted), 500):
            chunk = wanted[chunk_start : chunk_start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT content_hash, id FROM files WHERE status = 'gone' AND content_hash IN ({marks})"
            for content_hash, file_id in self.db.execute(sql, chunk):
                found.setdefault(content_hash, file_id)
        return found

    def gone_hashes(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT content_hash FROM files WHERE status = 'gone'")}

    def store_decoded(self, item: DecodedFile, scan_id: int, existing_id: int | None) -> int:
        """Insert or update one file and its derived data; derived data is replaced when the bytes changed.

        Plain SQL rather than sqlite-utils' insert(): this runs once per new file on the scan's hot path."""
        values = (
            to_db(item.path), item.size, item.mtime_ns, item.content_hash, item.width, item.height, item.format,
            item.captured_at, item.camera, item.orientation, scan_id,
        )  # fmt: skip
        conn = self.db.conn
        if existing_id is None:
            cursor = conn.execute(
                "INSERT INTO files (path, size, mtime_ns, content_hash, width, height, format, captured_at, camera, "
                "orientation, last_scan, first_scan, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'present')",
                (*values, scan_id),
            )
            file_id = int(cursor.lastrowid or 0)
        else:
            file_id = existing_id
            conn.execute(
                "UPDATE files SET path = ?, size = ?, mtime_ns = ?, content_hash = ?, width = ?, height = ?, "
                "format = ?, captured_at = ?, camera = ?, orientation = ?, last_scan = ?, status = 'present' "
                "WHERE id = ?",
                (*values, file_id),
            )
            self.forget_derived(file_id)
        if item.phash is not None:
            conn.execute(
                "INSERT OR REPLACE INTO perceptual_hashes (file_id, phash) VALUES (?, ?)", (file_id, item.phash)
            )
        conn.execute(
            "INSERT OR REPLACE INTO thumbnails (file_id, width, height, jpeg) VALUES (?, ?, ?, ?)",
            (file_id, item.thumb_width, item.thumb_height, item.thumb_jpeg),
        )
        return file_id

    def forget_derived(self, file_id: int) -> None:
        """Drop data computed from a file's old bytes (hook for tables added by later modules)."""
        for table in self.derived_tables():
            self.db.execute(f"DELETE FROM [{table}] WHERE file_id = ?", [file_id])
        self.db.execute("DELETE FROM neighbours WHERE a = ? OR b = ?", [file_id, file_id])

    def derived_tables(self) -> list[str]:
        return [name for name in ("perceptual_hashes", "thumbnails", "embeddings") if self.db[name].exists()]

    def embedded_content_hashes(self, model_id: str) -> dict[int, str]:
        """file id -> content hash of the present files holding a vector of this model: the identity of each vector
        (a row id alone is not: a file overwritten in place keeps its id, and SQLite may reuse a deleted id)."""
        rows = self.db.execute(
            "SELECT f.id, f.content_hash FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model_id = ? AND f.status = 'present'",
            [model_id],
        )
        return {int(file_id): str(content_hash) for file_id, content_hash in rows}

    def move_file(self, file_id: int, new_path: str, size: int, mtime_ns: int, scan_id: int) -> None:
        """A file that reappeared at another path with the same bytes keeps its row, and so its history."""
        values = {
            "path": to_db(new_path),
            "size": size,
            "mtime_ns": mtime_ns,
            "status": "present",
            "last_scan": scan_id,
        }
        self.db.table("files").update(file_id, values)
        self.clear_problem(new_path)

    def touch_file(self, file_id: int, size: int, mtime_ns: int, scan_id: int) -> None:
        """Same bytes, new mtime: nothing derived needs recomputing."""
        values = {"size": size, "mtime_ns": mtime_ns, "status": "present", "last_scan": scan_id}
        self.db.table("files").update(file_id, values)

    def file_info(self, file_id: int) -> FileInfo:
        rows = self.query(f"SELECT {_FILE_COLUMNS} FROM files WHERE id = ?", [file_id])
        if not rows:
            raise KeyError(file_id)
        return file_info_from_row(rows[0])

    def present_files(self) -> list[FileInfo]:
        rows = self.query(f"SELECT {_FILE_COLUMNS} FROM files WHERE status = 'present' ORDER BY id")
        return [file_info_from_row(row) for row in rows]

    def count_present(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM files WHERE status = 'present'").fetchone()[0])

    def thumbnail(self, file_id: int) -> bytes | None:
        row = self.db.execute("SELECT jpeg FROM thumbnails WHERE file_id = ?", [file_id]).fetchone()
        return bytes(row[0]) if row else None

    def perceptual_hashes(self) -> tuple[list[int], list[int]]:
        """(file ids, 64-bit pHashes as signed ints) of present files."""
        rows = self.db.execute(
            "SELECT p.file_id, p.phash FROM perceptual_hashes p JOIN files f ON f.id = p.file_id "
            "WHERE f.status = 'present' ORDER BY p.file_id"
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def uncompared_phashes(self) -> tuple[list[int], list[int]]:
        rows = self.db.execute(
            "SELECT p.file_id, p.phash FROM perceptual_hashes p JOIN files f ON f.id = p.file_id "
            "WHERE f.status = 'present' AND p.compared = 0 ORDER BY p.file_id"
        ).fetchall()
        return [r[0] for r in rows], [r[1] for r in rows]

    def mark_phashes_compared(self, file_ids: Iterable[int]) -> None:
        self.db.conn.executemany(
            "UPDATE perceptual_hashes SET compared = 1 WHERE file_id = ?", ((i,) for i in file_ids)
        )

    def add_neighbours(self, source: str, pairs: Iterable[tuple[int, int, float]]) -> None:
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO neighbours (source, a, b, score) VALUES (?, ?, ?, ?)",
            ((source, min(a, b), max(a, b), score) for a, b, score in pairs),
        )

    def neighbours(self, source: str, min_score: float) -> list[tuple[int, int, float]]:
        """Pairs of present files from one source scoring at least min_score."""
        rows = self.db.execute(
            "SELECT n.a, n.b, n.score FROM neighbours n JOIN files fa ON fa.id = n.a JOIN files fb ON fb.id = n.b "
            "WHERE n.source = ? AND n.score >= ? AND fa.status = 'present' AND fb.status = 'present'",
            [source, min_score],
        ).fetchall()
        return [(int(a), int(b), float(score)) for a, b, score in rows]

    def files_by_ids(self, file_ids: Iterable[int]) -> dict[int, FileInfo]:
        wanted = list(file_ids)
        found: dict[int, FileInfo] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT {_FILE_COLUMNS} FROM files WHERE id IN ({marks})", chunk):
                found[row["id"]] = file_info_from_row(row)
        return found

    def exact_duplicate_sets(self) -> list[list[FileInfo]]:
        rows = self.query(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE status = 'present' AND content_hash IN ("
            "SELECT content_hash FROM files WHERE status = 'present' GROUP BY content_hash HAVING count(*) > 1) "
            "ORDER BY content_hash, id"
        )
        sets: dict[str, list[FileInfo]] = {}
        for row in rows:
            sets.setdefault(row["content_hash"], []).append(file_info_from_row(row))
        return list(sets.values())

    # --- problems ----------------------------------------------------------------------------------------

    def known_problems_under(self, roots: Sequence[str]) -> dict[str, tuple[int | None, int | None]]:
        found: dict[str, tuple[int | None, int | None]] = {}
        for root in roots:
            sql = "SELECT path, size, mtime_ns FROM problems WHERE " + _UNDER_ROOT
            for path, size, mtime_ns in self.db.execute(sql, _under_root_params(root)):
                found[from_db(path)] = (size, mtime_ns)
        return found

    def record_problem(self, problem: Problem, size: int | None = None, mtime_ns: int | None = None) -> None:
        row = {
            "path": to_db(problem.path),
            "code": problem.code,
            "reason": problem.reason,
            "scan_id": problem.scan_id,
            "size": size,
            "mtime_ns": mtime_ns,
        }
        self.db.table("problems").upsert(row, pk="path")

    def clear_problem(self, path: str) -> None:
        self.db.execute("DELETE FROM problems WHERE path = ?", [to_db(path)])

    def clear_problems(self, paths: Iterable[str]) -> None:
        self.db.conn.executemany("DELETE FROM problems WHERE path = ?", ((to_db(p),) for p in paths))

    def problems(self) -> list[Problem]:
        rows = self.db.execute("SELECT path, code, reason, scan_id FROM problems ORDER BY path").fetchall()
        return [Problem(from_db(p), c, r, s) for p, c, r, s in rows]

    # --- settings ----------------------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else default

    def set_setting(self, key: str, value: str) -> None:
        """Every settings write holds the library's writer lock (re-entrant: a scan's own writes go through),
        whoever calls it: the model service and calibration write settings outside Library's methods."""
        with self.writer.hold("settings change") if self.writer else contextlib.nullcontext():
            self.db.table("settings").upsert({"key": key, "value": value}, pk="key")

    def path_list_setting(self, key: str) -> list[str]:
        """A list of paths stored as JSON (undecodable bytes kept as escaped surrogates); [] when unset."""
        stored = self.get_setting(key)
        return [str(p) for p in json.loads(stored)] if stored else []

    def set_path_list_setting(self, key: str, paths: Sequence[str]) -> None:
        self.set_setting(key, json.dumps(list(paths)))


# A root is a folder (everything below it) or a single file (itself): the path itself, or a path in the range
# of strings that start with root + "/" (an index range scan, unlike LIKE).
_UNDER_ROOT = "(path = ? OR (path >= ? AND path < ?))"


def _under_root_params(root: str) -> list[str]:
    prefix = to_db(root.rstrip("/") + "/")
    return [to_db(root), prefix, prefix[:-1] + chr(ord("/") + 1)]


def schema_is_current(db_path: Path) -> bool:
    """Whether the database exists with every migration applied (or a newer schema, which Catalog refuses),
    read without writing anything."""
    if not db_path.is_file():
        return False
    try:
        with contextlib.closing(_connect_readonly(db_path)) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0]) >= SCHEMA_VERSION
    except sqlite3.Error:
        return False


def _connect_readonly(db_path: Path) -> sqlite3.Connection:
    """A connection through which SQLite refuses every write. On a read-only disk a WAL database whose -shm file
    is absent (closed cleanly) cannot be opened with mode=ro, since SQLite would have to create that file: there,
    where nobody can change the file anyway, it is opened as immutable."""
    if not db_path.is_file():
        raise FileNotFoundError(f"no Twinlens library at {db_path.parent} (no {db_path.name})")
    uri = db_path.resolve().as_uri()
    conn = sqlite3.connect(uri + "?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError:
        conn.close()
        if not _on_read_only_filesystem(db_path):
            raise
        conn = sqlite3.connect(uri + "?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    return conn


def _on_read_only_filesystem(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # no statvfs (Windows)
        return False


_FILE_COLUMNS = "id, path, size, mtime_ns, content_hash, width, height, format, captured_at, camera"


def file_info_from_row(row: sqlite3.Row) -> FileInfo:
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
    )
