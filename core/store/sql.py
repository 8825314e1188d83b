"""What every part of the store shares: its connection, rows by column name, and reads by many ids.

Only the store runs SQL (tests/core/test_store_owns_sql.py checks it); the rest of Twinlens asks a part of the
catalog for what it needs by name (core/store/catalog.py lists the parts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from core.store.pathcodec import from_codec1, roots_from_codec1, to_db

# Ids per `IN (...)` query: below SQLite's host-parameter limit (999 before 3.32) with room for the other
# parameters of the query.
IN_CHUNK = 500
IDS = "{ids}"  # where a query passed to `Part.rows_in` takes its `?, ?, ...`

# A root is a folder (everything below it) or a single file (itself): the path itself, or a path in the range
# of strings that start with root + "/" (an index range scan, unlike LIKE).
UNDER_ROOT = "(path = ? OR (path >= ? AND path < ?))"


def under_root_params(root: str) -> list[str]:
    prefix = to_db(root.rstrip("/") + "/")
    return [to_db(root), prefix, prefix[:-1] + chr(ord("/") + 1)]


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the schema uses: those of migration 6."""
    conn.create_function("path_from_codec1", 1, from_codec1, deterministic=True)
    conn.create_function("roots_from_codec1", 1, roots_from_codec1, deterministic=True)


class Part:
    """One concern of the catalog (files, settings, the journal, ...) over the catalog's one connection."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.conn = db.conn

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        """Rows that can be read by column name (and by position)."""
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

    def rows_in(
        self, sql: str, ids: Iterable[Any], before: Sequence[Any] = (), after: Sequence[Any] = ()
    ) -> list[sqlite3.Row]:
        """Rows of `sql` for every one of `ids` (each once), asked IN_CHUNK at a time: `{ids}` in the query
        stands for the chunk's placeholders, `before` and `after` are the parameters around them."""
        wanted = list(dict.fromkeys(ids))
        found: list[sqlite3.Row] = []
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            query = sql.replace(IDS, ",".join("?" * len(chunk)))
            found += self.rows(query, [*before, *chunk, *after])
        return found
