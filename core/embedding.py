"""Embeddings in the scan: a ScanStage that embeds each decoded image once, stores the vector (SQLite is the
source of truth), keeps the hnswlib index in step with the catalog, and links each new file to its nearest
neighbours so that copy and similar groups are read from the database, not searched again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.cancel import CancelToken
from core.catalog import Catalog
from core.embed.encoders import Encoder
from core.entities import Phase
from core.scanner import StageReport
from core.vector_index import VectorIndex

VECTOR_DTYPE = np.float16
DEFAULT_BATCH = 16
# Each new file is linked to this many nearest neighbours; pairs below the floor are not worth storing.
DEFAULT_K = 16
LINK_FLOOR = 0.5


@dataclass(frozen=True)
class QueryHit:
    file_id: int
    score: float


def encode_vector(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()


def decode_vectors(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    raw = np.frombuffer(b"".join(blobs), dtype=VECTOR_DTYPE).reshape(len(blobs), dim).astype(np.float32)
    unit: np.ndarray = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
    return unit


def index_path(library_dir: Path, model_id: str) -> Path:
    digest = hashlib.sha1(model_id.encode()).hexdigest()[:12]
    return library_dir / "index" / f"{model_id.split(':')[0]}-{digest}.hnsw"


class EmbeddingStore:
    """Vectors of one model in the catalog, and the index that mirrors them."""

    def __init__(self, catalog: Catalog, model_id: str, dim: int) -> None:
        self.catalog = catalog
        self.model_id = model_id
        self.dim = dim
        self._index: VectorIndex | None = None
        self._synced_generation = -1

    def missing_file_ids(self) -> set[int]:
        rows = self.catalog.db.execute(
            "SELECT f.id FROM files f LEFT JOIN embeddings e ON e.file_id = f.id AND e.model_id = ? "
            "WHERE f.status = 'present' AND e.file_id IS NULL",
            [self.model_id],
        )
        return {int(r[0]) for r in rows}

    def store(self, file_ids: Sequence[int], vectors: np.ndarray) -> None:
        rows = ((fid, self.model_id, encode_vector(v)) for fid, v in zip(file_ids, vectors, strict=True))
        with self.catalog.transaction():
            self.catalog.db.conn.executemany(
                "INSERT OR REPLACE INTO embeddings (file_id, model_id, vector, linked) VALUES (?, ?, ?, 0)", rows
            )

    def vectors(self, file_ids: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float32 unit vectors) of present files, all of them or the given ones."""
        sql = (
            "SELECT e.file_id, e.vector FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model_id = ? AND f.status = 'present'"
        )
        rows = self.catalog.db.execute(sql + " ORDER BY e.file_id", [self.model_id]).fetchall()
        if file_ids is not None:
            wanted = set(file_ids)
            rows = [r for r in rows if r[0] in wanted]
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        return ids, decode_vectors([bytes(r[1]) for r in rows], self.dim)

    def index(self) -> VectorIndex:
        """The hnswlib index, checked against the catalog and repaired or rebuilt when they differ."""
        if self._index is None:
            self._index = VectorIndex.open(index_path(self.catalog.library_dir, self.model_id), self.dim, self.model_id)
        if self._synced_generation != self.catalog.generation:
            self.sync_index(self._index)
            self._synced_generation = self.catalog.generation
        return self._index

    def sync_index(self, index: VectorIndex) -> None:
        ids, vectors = self.vectors()
        if index.matches(ids.tolist(), self.model_id):
            return
        live = set(ids.tolist())
        index.mark_deleted(index.ids() - live)
        missing = np.asarray(sorted(live - index.ids()), dtype=np.int64)
        if len(missing):
            position = {int(fid): row for row, fid in enumerate(ids)}
            index.add(missing, vectors[[position[int(fid)] for fid in missing]])
        if not index.matches(live, self.model_id):
            index.rebuild(ids, vectors)
        index.save()

    def link_new(self, k: int = DEFAULT_K, cancel: CancelToken | None = None) -> int:
        """Store each not-yet-linked file's nearest neighbours as pairs; returns how many files were linked."""
        rows = self.catalog.db.execute(
            "SELECT e.file_id FROM embeddings e JOIN files f ON f.id = e.file_id "
            "WHERE e.model_id = ? AND e.linked = 0 AND f.status = 'present'",
            [self.model_id],
        ).fetchall()
        pending = [int(r[0]) for r in rows]
        if not pending:
            return 0
        index = self.index()
        for start in range(0, len(pending), 256):
            if cancel is not None:
                cancel.raise_if_cancelled()
            chunk = pending[start : start + 256]
            ids, vectors = self.vectors(chunk)
            pairs = [
                (int(fid), other, score)
                for fid, hits in zip(ids, index.search_many(vectors, k + 1), strict=True)
                for other, score in hits
                if other != fid and score >= LINK_FLOOR
            ]
            with self.catalog.transaction():
                self.catalog.add_neighbours(self.model_id, pairs)
                self.catalog.db.conn.executemany(
                    "UPDATE embeddings SET linked = 1 WHERE file_id = ? AND model_id = ?",
                    ((int(fid), self.model_id) for fid in ids),
                )
        return len(pending)

    def search(self, vector: np.ndarray, k: int) -> list[QueryHit]:
        return [QueryHit(fid, score) for fid, score in self.index().search(vector, k)]


class EmbeddingStage:
    """Feeds the scan's decoded images to the encoder in batches (the scan's thread owns the model)."""

    phase = Phase.EMBED

    def __init__(
        self,
        encoder: Encoder,
        store: EmbeddingStore,
        cancel: CancelToken | None = None,
        batch_size: int | None = None,
    ) -> None:
        self.encoder = encoder
        self.store = store
        self.batch_size = batch_size or DEFAULT_BATCH
        self.pending: list[tuple[int, Image.Image]] = []
        self.cancel = cancel
        self.neighbours = DEFAULT_K

    def files_needing_images(self, catalog: Catalog) -> set[int]:
        return self.store.missing_file_ids()

    def accept(self, catalog: Catalog, file_id: int, image: Image.Image) -> None:
        self.pending.append((file_id, image))

    def flush(self, catalog: Catalog, final: bool) -> int:
        """Embed full batches (a partial one only when final): batch size is what keeps the matmuls efficient."""
        done = 0
        while len(self.pending) >= self.batch_size or (final and self.pending):
            if self.cancel is not None and self.cancel.cancelled:
                self.pending.clear()
                self.cancel.raise_if_cancelled()
            batch, self.pending = self.pending[: self.batch_size], self.pending[self.batch_size :]
            vectors = self.encoder.embed_images([image for _, image in batch])
            self.store.store([file_id for file_id, _ in batch], vectors)
            done += len(batch)
        return done

    def finish(self, catalog: Catalog, cancel: CancelToken, report: StageReport) -> None:
        self.store.link_new(self.neighbours, cancel=cancel)
