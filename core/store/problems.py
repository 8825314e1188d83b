"""Files a scan could not catalogue, and why (one row per path)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.entities import Problem
from core.pathrules import path_rules
from core.store.pathcodec import from_db, to_db
from core.store.sql import PATH_KEY, Part, stored_key

# One path's problem: the path itself, or, where case does not tell names apart, any spelling of it.
_SAME_PATH = f"{PATH_KEY} = ? AND (path = ? OR ?)"


class Problems(Part):
    def under(self, roots: Sequence[str]) -> dict[str, tuple[int | None, int | None]]:
        """(size, mtime_ns) the problem was recorded for, by path key (core.pathrules), for paths under one of
        the roots."""
        sql = "SELECT path, size, mtime_ns FROM problems"
        return {key: (size, mtime_ns) for key, _, (size, mtime_ns) in self.under_roots(sql, roots)}

    def record(self, problem: Problem, size: int | None = None, mtime_ns: int | None = None) -> None:
        """One problem per file: it replaces the one recorded before for the same path in any spelling."""
        self.clear(problem.path)
        row = {
            "path": to_db(problem.path),
            "code": problem.code,
            "reason": problem.reason,
            "scan_id": problem.scan_id,
            "size": size,
            "mtime_ns": mtime_ns,
        }
        self.db.table("problems").upsert(row, pk="path")

    def clear(self, path: str) -> None:
        self.db.execute(f"DELETE FROM problems WHERE {_SAME_PATH}", _same_path_params(path))

    def clear_many(self, paths: Iterable[str]) -> None:
        self.conn.executemany(f"DELETE FROM problems WHERE {_SAME_PATH}", map(_same_path_params, paths))

    def all(self) -> list[Problem]:
        rows = self.db.execute("SELECT path, code, reason, scan_id FROM problems ORDER BY path").fetchall()
        return [Problem(from_db(p), c, r, s) for p, c, r, s in rows]


def _same_path_params(path: str) -> tuple[str, str, bool]:
    return stored_key(path), to_db(path), path_rules().case_insensitive
