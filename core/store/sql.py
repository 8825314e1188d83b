"""What every part of the store shares: its connection, rows by column name, and reads by many ids.

Only the store runs SQL (tests/core/test_store_owns_sql.py checks it); the rest of Twinlens asks a part of the
catalog for what it needs by name (core/store/catalog.py lists the parts).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlite_utils

from core.pathrules import fold_case, path_rules
from core.store.pathcodec import from_codec1, from_db, roots_from_codec1, to_db

# Ids per `IN (...)` query: below SQLite's host-parameter limit (999 before 3.32) with room for the other
# parameters of the query.
IN_CHUNK = 500
IDS = "{ids}"  # where a query passed to `Part.rows_in` takes its `?, ?, ...`

# Paths are found by their case-folded key (core.pathrules.fold_case of the stored path), which the indexed
# column path_fold holds, kept by triggers (migration 7): on a case-insensitive volume `c:\pictures` finds
# `C:\Pictures\a.jpg`. The triggers call this module's path_key(), registered on every connection the catalog
# opens (`register_functions`).
PATH_KEY = "path_fold"
# A root is a folder (everything below it) or a single file (itself): the key itself, or a key in the range of
# strings that start with the root's key and the platform's separator (an index range scan, unlike LIKE).
UNDER_ROOT = f"({PATH_KEY} = ? OR ({PATH_KEY} >= ? AND {PATH_KEY} < ?))"


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the schema uses: the path key of its indexes (migration 7), and those of migration 6."""
    conn.create_function("path_key", 1, fold_case, deterministic=True)
    conn.create_function("path_from_codec1", 1, from_codec1, deterministic=True)
    conn.create_function("roots_from_codec1", 1, roots_from_codec1, deterministic=True)


def stored_key(path: str) -> str:
    """What PATH_KEY gives for a path spelled as the rules in force spell it."""
    return fold_case(to_db(path_rules().normalise(path)))


def under_root_params(root: str) -> list[str]:
    """UNDER_ROOT's parameters. Folded, its range holds a superset where case tells names apart: the rows
    come back through `Part.under_roots`, which keeps those the rules in force put under the root."""
    rules = path_rules()
    key = stored_key(root)
    prefix = rules.folder_prefix(key)
    return [key, prefix, prefix[:-1] + chr(ord(rules.sep) + 1)]


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

    def under_roots(self, select: str, roots: Iterable[str]) -> Iterator[tuple[str, str, tuple[Any, ...]]]:
        """(path key, path, the other columns) of each row of `select` (`SELECT path, ... FROM table`) whose path
        is one of the roots or lies below one, each row once (path is unique in every table that has one); the key is
        the rules' (core.pathrules): two rows may share it where case does not tell names apart."""
        rules = path_rules()
        seen: set[str] = set()
        for root in roots:
            root_key = rules.key(root)
            for stored, *rest in self.db.execute(f"{select} WHERE {UNDER_ROOT}", under_root_params(root)):
                path = from_db(stored)
                key = rules.key(path)
                if stored not in seen and rules.key_is_inside(key, root_key):
                    seen.add(stored)
                    yield key, path, tuple(rest)
