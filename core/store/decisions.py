"""Decisions a person made about photos, keyed by content hash so they survive renames, moves and rescans.
Each is journaled (core/store/journal.py) by the code that makes it, in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable

from core.store.journal import NOT_DUPLICATES
from core.store.sql import Part


class Decisions(Part):
    def not_duplicate_pairs(self) -> set[tuple[str, str]]:
        """Content-hash pairs (a <= b) marked "not duplicates"; (h, h) keeps copies of one content apart."""
        rows = self.db.execute("SELECT hash_a, hash_b FROM decisions WHERE kind = ?", [NOT_DUPLICATES])
        return {(a, b) for a, b in rows}

    def add_not_duplicates(self, pairs: Iterable[tuple[str, str]], at: float) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO decisions (kind, hash_a, hash_b, at) VALUES (?, ?, ?, ?)",
            ((NOT_DUPLICATES, a, b, at) for a, b in pairs),
        )

    def forget_not_duplicates(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.conn.executemany(
            "DELETE FROM decisions WHERE kind = ? AND hash_a = ? AND hash_b = ?",
            ((NOT_DUPLICATES, a, b) for a, b in pairs),
        )
