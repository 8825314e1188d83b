"""Embeddings in the scan: a ScanStage that embeds each decoded image once, stores the vector (SQLite is the
source of truth), keeps the hnswlib index in step with the catalog, and links each new file to its nearest
neighbours so that copy and similar groups are read from the database, not searched again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.cancel import CancelToken
from core.embed.encoders import Encoder, encoder_batch_size, encoder_input_preparation
from core.entities import Phase
from core.scan.decode import PrepareImage
from core.scan.pipeline import StageReport
from core.store.catalog import Catalog
from core.vectors.index import VectorIndex

VECTOR_DTYPE = np.float16
# Each new file is linked to this many nearest neighbours; pairs below the floor are not worth storing.
DEFAULT_K = 16
LINK_FLOOR = 0.5
# The index and the catalog hold the same float32 values of each stored vector, so their scores of a pair differ by
# summation order only; a larger difference means the index holds a vector the catalog does not.
SCORE_TOLERANCE = 1e-3

log = logging.getLogger("twinlens")


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
    """Vectors of one model in the catalog, and the index that mirrors them.

    A vector's identity is (file id, content hash), not the row: the index records the content hash each vector
    was computed from and is checked against the catalog by both (see `sync_index`)."""

    def __init__(self, catalog: Catalog, model_id: str, dim: int) -> None:
        self.catalog = catalog
        self.model_id = model_id
        self.dim = dim
        self._index: VectorIndex | None = None
        self._synced_marker: tuple[int, int] | None = None
        # What was repaired (a damaged or half-saved index rebuilt), oldest first: for the CLI and the GUI to show.
        self.notices: list[str] = []

    def missing_file_ids(self) -> set[int]:
        return self.catalog.embeddings.missing(self.model_id)

    def count(self) -> int:
        """How many present files have a vector of this model."""
        return self.catalog.embeddings.count(self.model_id)

    def store(self, file_ids: Sequence[int], vectors: np.ndarray) -> None:
        rows = ((fid, encode_vector(v)) for fid, v in zip(file_ids, vectors, strict=True))
        with self.catalog.transaction():
            self.catalog.embeddings.put(self.model_id, rows)

    def vectors(self, file_ids: Iterable[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(ids, float32 unit vectors) of present files, all of them or the given ones, by id."""
        ids, _, vectors = self._vector_rows(file_ids)
        return ids, vectors

    def _vector_rows(self, file_ids: Iterable[int] | None) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(ids, content hashes, vectors) read together, so each vector comes with the content it belongs to."""
        rows = self.catalog.embeddings.vectors(self.model_id, file_ids)
        ids = np.asarray([r[0] for r in rows], dtype=np.int64)
        return ids, [r[1] for r in rows], decode_vectors([r[2] for r in rows], self.dim)

    def index(self) -> VectorIndex:
        """The hnswlib index, checked against the catalog and repaired or rebuilt when they differ."""
        if self._index is None:
            self._index = VectorIndex.open(index_path(self.catalog.library_dir, self.model_id), self.dim, self.model_id)
        # The marker also moves when another connection or process committed, e.g. a scan from the CLI.
        marker = self.catalog.change_marker()
        if self._synced_marker != marker:
            self.sync_index(self._index)
            self._synced_marker = marker
        return self._index

    def sync_index(self, index: VectorIndex) -> str | None:
        """Make the index hold exactly the catalog's vectors of this model, compared by (file id, content hash): an
        id whose vector came from other content (a photo overwritten in place, a reused row id) gets the stored
        vector. A damaged or half-saved index is rebuilt; returns the message when that happened."""
        if index.problem is not None:
            return self._rebuild(index, index.problem)
        removed, changed = index.differences(self.catalog.embeddings.content_hashes(self.model_id))
        if not removed and not changed:
            return None
        replaced = len(changed & index.ids())
        index.mark_deleted(removed)
        ids, versions, vectors = self._vector_rows(changed)
        index.add(ids, vectors, versions)
        index.save()
        log.info(
            "vector index %s: %d added, %d replaced (content changed), %d removed",
            index.manifest_path.name, len(changed) - replaced, replaced, len(removed),
        )  # fmt: skip
        return None

    def _rebuild(self, index: VectorIndex, reason: str) -> str:
        ids, versions, vectors = self._vector_rows(None)
        index.rebuild(ids, vectors, versions)
        index.problem = None
        index.save()
        message = f"The vector index {index.manifest_path} {reason}; rebuilt it from the {len(ids)} stored vectors."
        log.warning(message)
        self.notices.append(message)
        return message

    def link_new(self, k: int = DEFAULT_K, cancel: CancelToken | None = None) -> int:
        """Store each not-yet-linked file's nearest neighbours as pairs; returns how many files were linked."""
        pending = self.catalog.embeddings.unlinked(self.model_id)
        if not pending:
            return 0
        index = self.index()
        for start in range(0, len(pending), 256):
            if cancel is not None:
                cancel.raise_if_cancelled()
            ids, vectors = self.vectors(pending[start : start + 256])
            pairs, agreed = self._nearest_pairs(index, ids, vectors, k)
            if not agreed:
                self._rebuild(index, "disagreed with the stored vectors")
                pairs, _ = self._nearest_pairs(index, ids, vectors, k)
            with self.catalog.transaction():
                self.catalog.neighbours.add(self.model_id, pairs)
                self.catalog.embeddings.mark_linked(self.model_id, ids.tolist())
        return len(pending)

    def _nearest_pairs(
        self, index: VectorIndex, ids: np.ndarray, vectors: np.ndarray, k: int
    ) -> tuple[list[tuple[int, int, float]], bool]:
        """Pairs of each file with at most k nearest other files, scored from the stored vectors of both sides, and
        whether the index's scores agreed with them."""
        # k + 1 hits leave k others when the file finds itself; with ties it may not, so keep at most k others.
        nearest = [
            [(other, score) for other, score in hits if other != fid][:k]
            for fid, hits in zip(ids.tolist(), index.search_many(vectors, k + 1), strict=True)
        ]
        other_ids, other_vectors = self.vectors({other for hits in nearest for other, _ in hits})
        stored = dict(zip(other_ids.tolist(), other_vectors, strict=True))
        pairs, agreed = [], True
        for fid, vector, hits in zip(ids.tolist(), vectors, nearest, strict=True):
            for other, index_score in hits:
                if other not in stored:
                    continue  # removed since the index was synced
                score = float(vector @ stored[other])
                agreed = agreed and abs(score - index_score) <= SCORE_TOLERANCE
                if score >= LINK_FLOOR:
                    pairs.append((fid, other, score))
        return pairs, agreed

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
        # The encoder's own batch: a larger one would be split into a full and a part-filled forward pass.
        self.batch_size = batch_size or encoder_batch_size(encoder)
        self.pending: list[tuple[int, Image.Image]] = []
        self.cancel = cancel
        self.neighbours = DEFAULT_K

    def files_needing_images(self, catalog: Catalog) -> set[int]:
        return self.store.missing_file_ids()

    def image_preparation(self) -> PrepareImage | None:
        return encoder_input_preparation(self.encoder)

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
