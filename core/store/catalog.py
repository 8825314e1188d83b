"""The photo catalog: one SQLite database (WAL) per library, opened through sqlite-utils.

The Catalog owns the connection, its transactions and the schema; what is stored is reached through one part
per concern, each over that connection (core/store/sql.py's Part), so a caller asks for what it needs by name
and the SQL of each table lives in one module:

- `catalog.files`: catalogued files and their derived data (thumbnails, perceptual hashes)
- `catalog.problems`: files a scan could not catalogue
- `catalog.scans`: the record of each scan
- `catalog.settings`: typed library settings (each write holds the writer lock)
- `catalog.journal`: trash moves, "not duplicates" decisions and their undos
- `catalog.decisions`: the "not duplicates" pairs grouping respects
- `catalog.embeddings`, `catalog.neighbours`: vectors per model and the stored neighbour pairs

Only one thread may use a Catalog (the GUI's worker thread, or the CLI's main thread).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from core.store.decisions import Decisions
from core.store.embeddings import Embeddings, Neighbours
from core.store.files import Files
from core.store.journal import Journal
from core.store.migrations import PATH_KEY_TABLES, SCHEMA_VERSION, migrate
from core.store.problems import Problems
from core.store.scans import Scans
from core.store.settings import Settings
from core.store.sql import register_functions
from core.store.writer_lock import WriterLock

DB_NAME = "twinlens.db"


class Catalog:
    def __init__(self, library_dir: Path, readonly: bool = False) -> None:
        """readonly: a reader beside the owning connection (WAL lets it read while the owner writes); it neither
        creates nor migrates the database, and SQLite refuses any write through it."""
        self.library_dir = library_dir
        self.readonly = readonly
        if readonly:
            conn = _connect_readonly(library_dir / DB_NAME)
        else:
            library_dir.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(library_dir / DB_NAME, isolation_level=None, check_same_thread=False)
        register_functions(conn)
        # The connection, for the store's parts (and tests that look at the raw database); nothing else runs SQL.
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA busy_timeout = 5000")
        if not readonly:
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            migrate(self.db)
        self.files = Files(self.db)
        self.problems = Problems(self.db)
        self.scans = Scans(self.db)
        self.settings = Settings(self.db)
        self.journal = Journal(self.db)
        self.decisions = Decisions(self.db)
        self.embeddings = Embeddings(self.db)
        self.neighbours = Neighbours(self.db)
        if not readonly:
            self._refresh_path_keys()

    @property
    def writer(self) -> WriterLock | None:
        """The library's writer lock, set by Library: settings writes hold it."""
        return self.settings.writer

    @writer.setter
    def writer(self, lock: WriterLock | None) -> None:
        self.settings.writer = lock

    def _refresh_path_keys(self) -> None:
        """path_fold holds what path_key() gave under the Unicode tables of the Python that wrote it; a Python
        with newer tables may fold a name differently, so the keys are computed again when the tables change."""
        if self.settings.path_key_unicode == unicodedata.unidata_version:
            return
        for table in PATH_KEY_TABLES:
            self.db.execute(f"UPDATE {table} SET path_fold = path_key(path)")
        self.settings.path_key_unicode = unicodedata.unidata_version

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

    def change_marker(self) -> tuple[int, int]:
        """Differs whenever any connection (this one, another thread's or another process's) committed a change
        since it was last read: for caches of derived data that must never outlive the rows they came from."""
        data_version = int(self.db.execute("PRAGMA data_version").fetchone()[0])
        return data_version, int(self.db.conn.total_changes)


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
