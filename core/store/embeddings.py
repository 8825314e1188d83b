"""Embeddings (one vector per file and model id, the source of truth the vector index mirrors) and the stored
neighbour pairs each source links its files with (k-NN of a model, pHash pairs, re-scored pairs).

Vectors cross as the stored bytes (float16, core/vectors/store.py decodes them); reads of given files ask for
those files only, IN_CHUNK ids per query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from core.store.sql import IDS, Part

# (file id, content hash, vector bytes)
VectorRow = tuple[int, str, bytes]
# (a, b, score) with a < b
Pair = tuple[int, int, float]

_VECTORS = (
    "SELECT e.file_id, f.content_hash, e.vector FROM embeddings e JOIN files f ON f.id = e.file_id "
    "WHERE e.model_id = ? AND f.status = 'present'"
)


class Embeddings(Part):
    def put(self, model_id: str, vectors: Iterable[tuple[int, bytes]]) -> None:
        """Store (file id, vector bytes) pairs; each is new to the neighbour graph (not linked yet)."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO embeddings (file_id, model_id, vector, linked) VALUES (?, ?, ?, 0)",
            ((file_id, model_id, vector) for file_id, vector in vectors),
        )

    def vectors(self, model_id: str, file_ids: Iterable[int] | None = None) -> list[VectorRow]:
        """Vectors of present files, all of them or those of the given ids, by file id; each with the content
        hash of the file it was computed from (read together, so they cannot disagree)."""
        if file_ids is None:
            rows = self.db.execute(_VECTORS + " ORDER BY e.file_id", [model_id]).fetchall()
        else:
            wanted = sorted({int(i) for i in file_ids})  # chunks in id order: the rows come back by id
            rows = self.rows_in(f"{_VECTORS} AND e.file_id IN ({IDS}) ORDER BY e.file_id", wanted, [model_id])
        return [(int(r[0]), str(r[1]), bytes(r[2])) for r in rows]

    def count(self, model_id: str) -> int:
        """How many present files have a vector of this model."""
        sql = f"SELECT count(*) FROM ({_VECTORS})"
        return int(self.db.execute(sql, [model_id]).fetchone()[0])

    def content_hashes(self, model_id: str) -> dict[int, str]:
        """file id -> content hash of the present files holding a vector of this model: the identity of each vector
        (a row id alone is not: a file overwritten in place keeps its id, and SQLite may reuse a deleted id)."""
        rows = self.db.execute(
            "SELECT f.id, f.content_hash FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model_id = ? AND f.status = 'present'",
            [model_id],
        )
        return {int(file_id): str(content_hash) for file_id, content_hash in rows}

    def missing(self, model_id: str) -> set[int]:
        """Present files without a vector of this model."""
        rows = self.db.execute(
            "SELECT f.id FROM files f LEFT JOIN embeddings e ON e.file_id = f.id AND e.model_id = ? "
            "WHERE f.status = 'present' AND e.file_id IS NULL",
            [model_id],
        )
        return {int(r[0]) for r in rows}

    def unlinked(self, model_id: str) -> list[int]:
        """Present files whose vector has not been linked to its nearest neighbours yet."""
        rows = self.db.execute(
            "SELECT e.file_id FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model_id = ? AND e.linked = 0 AND f.status = 'present'",
            [model_id],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def mark_linked(self, model_id: str, file_ids: Iterable[int]) -> None:
        self.conn.executemany(
            "UPDATE embeddings SET linked = 1 WHERE file_id = ? AND model_id = ?",
            ((int(file_id), model_id) for file_id in file_ids),
        )


class Neighbours(Part):
    def add(self, source: str, pairs: Iterable[Pair]) -> None:
        """Store scored pairs (either order) of one source, replacing its earlier score of the same pair."""
        self.conn.executemany(
            "INSERT OR REPLACE INTO neighbours (source, a, b, score) VALUES (?, ?, ?, ?)",
            ((source, min(a, b), max(a, b), score) for a, b, score in pairs),
        )

    def pairs(self, source: str, min_score: float) -> list[Pair]:
        """Pairs of present files from one source scoring at least min_score."""
        rows = self.db.execute(
            "SELECT n.a, n.b, n.score FROM neighbours n JOIN files fa ON fa.id = n.a JOIN files fb ON fb.id = n.b "
            "WHERE n.source = ? AND n.score >= ? AND fa.status = 'present' AND fb.status = 'present'",
            [source, min_score],
        ).fetchall()
        return [(int(a), int(b), float(score)) for a, b, score in rows]

    def between_contents(self, sources: Sequence[str], min_score: float) -> list[tuple[int, int, float, str, str, str]]:
        """(a, b, score, content hash of a, of b, source) of the pairs of any of these sources between present files
        with different bytes scoring at least min_score (a range scan of the score index), one row per pair and
        source."""
        marks = ",".join("?" * len(sources))
        rows: list[tuple[int, int, float, str, str, str]] = self.db.execute(  # as SQLite returns them
            "SELECT n.a, n.b, n.score, fa.content_hash, fb.content_hash, n.source FROM neighbours n "
            "JOIN files fa ON fa.id = n.a JOIN files fb ON fb.id = n.b "
            f"WHERE n.source IN ({marks}) AND n.score >= ? AND fa.status = 'present' AND fb.status = 'present' "
            "AND fa.content_hash != fb.content_hash",
            [*sources, min_score],
        ).fetchall()
        return rows

    def unchecked(self, source: str, checked_source: str, low: float, high: float) -> list[Pair]:
        """Pairs of one source between present files with different bytes scoring in [low, high) that have no row
        under checked_source yet (the source a re-scoring stores its scores under), by (a, b)."""
        rows = self.db.execute(
            "SELECT n.a, n.b, n.score FROM neighbours n "
            "JOIN files fa ON fa.id = n.a AND fa.status = 'present' "
            "JOIN files fb ON fb.id = n.b AND fb.status = 'present' "
            "LEFT JOIN neighbours o ON o.source = ? AND o.a = n.a AND o.b = n.b "
            "WHERE n.source = ? AND n.score >= ? AND n.score < ? AND o.a IS NULL "
            "AND fa.content_hash != fb.content_hash ORDER BY n.a, n.b",
            [checked_source, source, low, high],
        ).fetchall()
        return [(int(a), int(b), float(s)) for a, b, s in rows]
