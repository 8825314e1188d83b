"""Files a scan could not catalogue, and why (one row per path)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.entities import Problem
from core.store.pathcodec import from_db, to_db
from core.store.sql import UNDER_ROOT, Part, under_root_params


class Problems(Part):
    def under(self, roots: Sequence[str]) -> dict[str, tuple[int | None, int | None]]:
        """(size, mtime_ns) the problem was recorded for, by path, for paths under one of the roots."""
        found: dict[str, tuple[int | None, int | None]] = {}
        for root in roots:
            sql = "SELECT path, size, mtime_ns FROM problems WHERE " + UNDER_ROOT
            for path, size, mtime_ns in self.db.execute(sql, under_root_params(root)):
                found[from_db(path)] = (size, mtime_ns)
        return found

    def record(self, problem: Problem, size: int | None = None, mtime_ns: int | None = None) -> None:
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
        self.db.execute("DELETE FROM problems WHERE path = ?", [to_db(path)])

    def clear_many(self, paths: Iterable[str]) -> None:
        self.conn.executemany("DELETE FROM problems WHERE path = ?", ((to_db(p),) for p in paths))

    def all(self) -> list[Problem]:
        rows = self.db.execute("SELECT path, code, reason, scan_id FROM problems ORDER BY path").fetchall()
        return [Problem(from_db(p), c, r, s) for p, c, r, s in rows]
