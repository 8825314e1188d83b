"""Nearest-neighbour search over L2-normalised embeddings: hnswlib, with exact numpy search for small sets.

Scores are cosine similarities (hnswlib space 'ip' on unit vectors; its distance is 1 - dot product).
The index is a rebuildable cache stored beside the database. Each save writes hnswlib's own file under a new
unique name (`<name>.<token>.data`), then the manifest `<name>.json`, which is replaced in one atomic rename and
names that data file with its size and SHA-256, the dimension, the model id, and the live ids, each with the
version (the file's content hash) its vector was computed from: hnswlib cannot list which labels are deleted, and
a row id alone does not say which content a vector belongs to. A crash mid-save leaves the old manifest and its
data file; a data file that is missing or does not match its manifest makes `open` start empty and say why in
`problem`. SQLite holds the vectors; callers compare the index to the catalog with `differences()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

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
MANIFEST_FORMAT = 2
# Data and temporary files that no manifest names are removed once this old: a younger one may belong to a save
# still running in another process, which writes its data file a moment before its manifest.
ORPHAN_AGE_S = 3_600

Neighbour = tuple[int, float]


class VectorIndex:
    def __init__(self, path: Path, dim: int, model_id: str = "", *, exact_below: int = EXACT_SEARCH_BELOW) -> None:
        self.path = path
        self.dim = dim
        self.model_id = model_id
        self.exact_below = exact_below
        # Why the saved index could not be used (damaged, half-saved, another model); None when it loaded or when
        # none was saved. The owner rebuilds from the database and clears it.
        self.problem: str | None = None
        self._hnsw = _new_hnsw(dim, _INITIAL_CAPACITY)
        self._live: dict[int, str] = {}
        self._exact_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._data_name: str | None = None

    @classmethod
    def open(cls, path: Path, dim: int, model_id: str = "", *, exact_below: int = EXACT_SEARCH_BELOW) -> VectorIndex:
        """Load the index saved at `path`, or start an empty one (with `problem` set unless none was saved)."""
        index = cls(path, dim, model_id, exact_below=exact_below)
        index.problem = index._load()
        return index

    @property
    def manifest_path(self) -> Path:
        return self.path.with_name(self.path.name + ".json")

    @property
    def data_path(self) -> Path | None:
        """The data file the loaded or last saved manifest names."""
        return self.path.with_name(self._data_name) if self._data_name else None

    @property
    def count(self) -> int:
        return len(self._live)

    def ids(self) -> set[int]:
        return set(self._live)

    def versions(self) -> dict[int, str]:
        """Live id -> the version (content hash) its vector was computed from."""
        return dict(self._live)

    def matches(self, expected: Mapping[int, str], model_id: str | None = None) -> bool:
        """True when the index holds exactly these ids at these versions (and vectors from `model_id`, if given)."""
        if model_id is not None and model_id != self.model_id:
            return False
        return self._live == {int(i): v for i, v in expected.items()}

    def differences(self, expected: Mapping[int, str]) -> tuple[set[int], set[int]]:
        """(ids to delete, ids to add or replace) to make the index hold exactly `expected` (id -> version)."""
        removed = set(self._live) - set(expected)
        changed = {int(i) for i, version in expected.items() if self._live.get(int(i)) != version}
        return removed, changed

    def add(self, ids: np.ndarray, vectors: np.ndarray, versions: Sequence[str] | None = None) -> None:
        """Add or replace vectors (rows L2-normalised) under int64 ids; re-adding a deleted id revives it.

        `versions` says which content each vector was computed from; without it the version is unknown ("")."""
        ids, vectors = _checked(ids, vectors, self.dim)
        labels = [""] * len(ids) if versions is None else [str(v) for v in versions]
        if len(labels) != len(ids):
            raise ValueError(f"{len(labels)} versions for {len(ids)} ids")
        if len(ids) == 0:
            return
        self._ensure_capacity(self._hnsw.get_current_count() + len(ids))
        # hnswlib replaces the stored vector of a label it already holds (and revives a deleted one).
        self._hnsw.add_items(vectors, ids.astype(np.uint64))
        self._live.update(zip((int(i) for i in ids), labels, strict=True))
        self._exact_cache = None

    def mark_deleted(self, ids: Iterable[int]) -> None:
        for item in {int(i) for i in ids} & set(self._live):
            self._hnsw.mark_deleted(item)
            del self._live[item]
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
        """Write a new data file, then the manifest naming it (one atomic rename): a crash at any point leaves the
        old manifest with its data file or the new pair, never a mix. Unique names keep processes apart."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = self.path.with_name(f"{self.path.name}.{uuid.uuid4().hex}.data")
        superseded = {self._data_name, self._named_data()}
        try:
            self._hnsw.save_index(str(data))
            _fsync(data)
            _write_atomically(self.manifest_path, json.dumps(self._manifest(data)))
        except BaseException:
            data.unlink(missing_ok=True)
            raise
        self._data_name = data.name
        self._remove_leftovers(superseded)

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray, versions: Sequence[str] | None = None) -> None:
        """Replace the whole content with these vectors (the catalog's); capacity fits them exactly."""
        ids, vectors = _checked(ids, vectors, self.dim)
        self._hnsw = _new_hnsw(self.dim, max(len(ids), _INITIAL_CAPACITY))
        self._live = {}
        self._exact_cache = None
        self.add(ids, vectors, versions)

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

    def _manifest(self, data: Path) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "dim": self.dim,
            "model_id": self.model_id,
            "data": data.name,
            "size": data.stat().st_size,
            "sha256": _sha256(data),
            "ids": sorted([item, version] for item, version in self._live.items()),
        }

    def _load(self) -> str | None:
        """Load the saved index; returns why it cannot be used (None when it loaded or when none was saved)."""
        problem = None
        # A second try when the manifest changed meanwhile: another process's save may have replaced it and removed
        # the data file this one had just read the name of.
        for _ in range(2):
            try:
                text = self.manifest_path.read_text()
            except FileNotFoundError:
                return None
            except OSError as error:
                return f"has an unreadable manifest ({error})"
            problem = self._load_manifest(text)
            if problem is None or not self._manifest_changed(text):
                return problem
        return problem

    def _load_manifest(self, text: str) -> str | None:
        try:
            manifest = json.loads(text)
        except ValueError as error:
            return f"has an unreadable manifest ({error})"
        problem = self._manifest_problem(manifest)
        if problem is not None:
            return problem
        data = self.path.with_name(str(manifest["data"]))
        try:
            live = {int(item): str(version) for item, version in manifest["ids"]}
            hnsw = hnswlib.Index(space="ip", dim=self.dim)
            hnsw.load_index(str(data), allow_replace_deleted=False)
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as error:
            return f"could not be read ({error})"
        hnsw.set_num_threads(_thread_count())
        self._hnsw, self._live, self._data_name = hnsw, live, data.name
        return None

    def _manifest_changed(self, text: str) -> bool:
        try:
            return self.manifest_path.read_text() != text
        except OSError:
            return True

    def _manifest_problem(self, manifest: Any) -> str | None:
        """Why the manifest and its data file cannot be loaded, from the manifest and the file's size and hash."""
        if not isinstance(manifest, dict) or manifest.get("format") != MANIFEST_FORMAT:
            return "was written in another format"
        if manifest.get("dim") != self.dim or manifest.get("model_id") != self.model_id:
            return f"holds another model's vectors ({manifest.get('model_id')}, {manifest.get('dim')} dimensions)"
        name = manifest.get("data")
        if not self._is_own_file(name):
            return f"names no data file of its own ({name!r}): it was damaged"
        data = self.path.with_name(str(name))
        if not data.is_file():
            return f"names a data file that is missing ({data.name}): it was half-saved or damaged"
        if data.stat().st_size != manifest.get("size") or _sha256(data) != manifest.get("sha256"):
            return f"has a data file that does not match its manifest ({data.name}): it was half-saved or damaged"
        return None

    def _is_own_file(self, name: object) -> bool:
        """A plain file name beside the manifest, of this index: never a path that leads elsewhere."""
        return isinstance(name, str) and Path(name).name == name and name.startswith(self.path.name + ".")

    def _named_data(self) -> str | None:
        """The data file the manifest on disk names, if it names one of this index's files."""
        try:
            name = json.loads(self.manifest_path.read_text()).get("data")
        except (OSError, ValueError, AttributeError):
            return None
        return str(name) if self._is_own_file(name) else None

    def _remove_leftovers(self, superseded: set[str | None]) -> None:
        """Remove the data files this save replaced, data and temporary files of crashed saves, and the index file
        of the format before manifests (`<name>` itself)."""
        for name in superseded - {None, self._data_name}:
            self.path.with_name(str(name)).unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)
        cutoff = time.time() - ORPHAN_AGE_S
        for leftover in self.path.parent.iterdir():
            if not leftover.name.startswith(self.path.name + ".") or leftover.name in (
                self._data_name,
                self.manifest_path.name,
            ):
                continue
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()
            except FileNotFoundError:
                continue  # another process removed it first


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


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file of this save's own, then rename it over `path` (atomic on POSIX and Windows)."""
    temp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _checked(ids: np.ndarray, vectors: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
    if len(ids) != len(vectors):
        raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
    if len(ids) and ids.min() < 0:
        raise ValueError("ids must be non-negative (hnswlib labels are unsigned)")
    return ids, vectors
