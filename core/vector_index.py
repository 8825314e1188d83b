"""Nearest-neighbour search over L2-normalised embeddings: hnswlib, with exact numpy search for small sets.

Scores are cosine similarities (hnswlib space 'ip' on unit vectors; its distance is 1 - dot product).
The index is a rebuildable cache stored beside the database: `<name>.hnsw` (hnswlib's own file) and
`<name>.hnsw.json` (dimension, model id and the live ids, because hnswlib cannot list which labels are
deleted). SQLite holds the vectors; call `matches()` at start and `rebuild()` when it says False.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

import hnswlib
import numpy as np

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 200
# benchmarks/index_bench.py, 100k clustered 384-d vectors, 2 cores: recall@10 0.9915 at ef=32 (0.08 ms),
# 1.000 at ef=64 (0.13 ms per query).
HNSW_EF_SEARCH = 64
# Below this many live vectors a numpy matmul over all of them is as fast as an hnswlib query, and exact:
# one 384-d query, 2 cores: 5k vectors 0.080 ms exact vs 0.083 ms hnswlib; 20k 0.72 ms vs 0.14 ms.
EXACT_SEARCH_BELOW = 5_000
_INITIAL_CAPACITY = 1_024

Neighbour = tuple[int, float]


class VectorIndex:
    def __init__(self, path: Path, dim: int, model_id: str = "", *, exact_below: int = EXACT_SEARCH_BELOW) -> None:
        self.path = path
        self.dim = dim
        self.model_id = model_id
        self.exact_below = exact_below
        self._hnsw = _new_hnsw(dim, _INITIAL_CAPACITY)
        self._live: set[int] = set()
        self._exact_cache: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def open(cls, path: Path, dim: int, model_id: str = "", *, exact_below: int = EXACT_SEARCH_BELOW) -> VectorIndex:
        """Load the index at `path`, or start an empty one when it is missing, unreadable or for another model."""
        index = cls(path, dim, model_id, exact_below=exact_below)
        index._load_if_compatible()
        return index

    @property
    def count(self) -> int:
        return len(self._live)

    def ids(self) -> set[int]:
        return set(self._live)

    def matches(self, ids: Iterable[int], model_id: str | None = None) -> bool:
        """True when the index holds exactly these ids (and vectors from `model_id`, when given)."""
        if model_id is not None and model_id != self.model_id:
            return False
        return self._live == {int(i) for i in ids}

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace vectors (rows L2-normalised) under int64 ids; re-adding a deleted id revives it."""
        ids, vectors = _checked(ids, vectors, self.dim)
        if len(ids) == 0:
            return
        self._ensure_capacity(self._hnsw.get_current_count() + len(ids))
        self._hnsw.add_items(vectors, ids.astype(np.uint64))
        self._live.update(int(i) for i in ids)
        self._exact_cache = None

    def mark_deleted(self, ids: Iterable[int]) -> None:
        for item in {int(i) for i in ids} & self._live:
            self._hnsw.mark_deleted(item)
            self._live.discard(item)
        self._exact_cache = None

    def search(self, vector: np.ndarray, k: int) -> list[Neighbour]:
        """The k nearest live ids to one vector, best first, as (id, cosine similarity)."""
        return self.search_many(np.asarray(vector, dtype=np.float32).reshape(1, -1), k)[0]

    def search_many(self, vectors: np.ndarray, k: int) -> list[list[Neighbour]]:
        queries = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, self.count)
        if k == 0:
            return [[] for _ in range(len(queries))]
        if self.count < self.exact_below:
            return self._exact_search(queries, k)
        return self._hnsw_search(queries, k)

    def save(self) -> None:
        """Write both files atomically (temp file + rename), so a crash leaves the old index or the new one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp_index = self.path.with_name(self.path.name + ".tmp")
        self._hnsw.save_index(str(temp_index))
        meta = {"dim": self.dim, "model_id": self.model_id, "ids": sorted(self._live)}
        temp_meta = _meta_path(self.path).with_name(_meta_path(self.path).name + ".tmp")
        temp_meta.write_text(json.dumps(meta))
        os.replace(temp_index, self.path)
        os.replace(temp_meta, _meta_path(self.path))

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the whole content with these vectors (the catalog's); capacity fits them exactly."""
        ids, vectors = _checked(ids, vectors, self.dim)
        self._hnsw = _new_hnsw(self.dim, max(len(ids), _INITIAL_CAPACITY))
        self._live = set()
        self._exact_cache = None
        self.add(ids, vectors)

    def _ensure_capacity(self, needed: int) -> None:
        capacity = self._hnsw.get_max_elements()
        if needed > capacity:
            self._hnsw.resize_index(max(needed, capacity * 2))

    def _hnsw_search(self, queries: np.ndarray, k: int) -> list[list[Neighbour]]:
        self._hnsw.set_ef(max(HNSW_EF_SEARCH, k))
        labels, distances = self._hnsw.knn_query(queries, k=k)
        return [
            [(int(label), float(1.0 - distance)) for label, distance in zip(row_labels, row_distances, strict=True)]
            for row_labels, row_distances in zip(labels, distances, strict=True)
        ]

    def _exact_search(self, queries: np.ndarray, k: int) -> list[list[Neighbour]]:
        ids, matrix = self._exact_vectors()
        scores = queries @ matrix.T
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        results = []
        for row, candidates in enumerate(top):
            ordered = candidates[np.argsort(-scores[row, candidates], kind="stable")]
            results.append([(int(ids[c]), float(scores[row, c])) for c in ordered])
        return results

    def _exact_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        if self._exact_cache is None:
            ids = np.fromiter(sorted(self._live), dtype=np.int64, count=len(self._live))
            matrix = np.asarray(self._hnsw.get_items(ids.astype(np.uint64), return_type="numpy"), dtype=np.float32)
            self._exact_cache = (ids, matrix.reshape(len(ids), self.dim))
        return self._exact_cache

    def _load_if_compatible(self) -> None:
        meta_path = _meta_path(self.path)
        if not (self.path.is_file() and meta_path.is_file()):
            return
        try:
            meta = json.loads(meta_path.read_text())
            if meta["dim"] != self.dim or meta["model_id"] != self.model_id:
                return
            hnsw = hnswlib.Index(space="ip", dim=self.dim)
            hnsw.load_index(str(self.path), allow_replace_deleted=False)
        except (OSError, ValueError, KeyError, RuntimeError):
            return  # unreadable cache: start empty; matches() then tells the caller to rebuild
        hnsw.set_num_threads(_thread_count())
        self._hnsw = hnsw
        self._live = {int(i) for i in meta["ids"]}


def build_index(path: Path, ids: np.ndarray, vectors: np.ndarray, model_id: str = "") -> VectorIndex:
    """A fresh index holding exactly (ids, vectors); not saved until `save()`."""
    index = VectorIndex(path, int(np.asarray(vectors).shape[1]), model_id)
    index.rebuild(ids, vectors)
    return index


def _new_hnsw(dim: int, capacity: int) -> hnswlib.Index:
    hnsw = hnswlib.Index(space="ip", dim=dim)
    hnsw.init_index(max_elements=capacity, ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_M)
    hnsw.set_ef(HNSW_EF_SEARCH)
    hnsw.set_num_threads(_thread_count())
    return hnsw


def _thread_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _checked(ids: np.ndarray, vectors: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
    if len(ids) and ids.min() < 0:
        raise ValueError("ids must be non-negative (hnswlib labels are unsigned)")
    return ids, vectors
