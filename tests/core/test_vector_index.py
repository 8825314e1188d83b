from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.vectors.index import ORPHAN_AGE_S, VectorIndex, build_index


def unit_vectors(count: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, count // 50), dim))
    vectors = centres[rng.integers(0, len(centres), count)] + 0.5 * rng.standard_normal((count, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("exact_below", [10_000, 0], ids=["exact", "hnsw"])
def test_search_finds_the_vector_itself_first_with_cosine_one(tmp_path: Path, exact_below: int) -> None:
    vectors = unit_vectors(200)
    index = VectorIndex(tmp_path / "v.hnsw", 32, exact_below=exact_below)
    index.add(np.arange(100, 300), vectors)
    best_id, best_score = index.search(vectors[17], k=5)[0]
    assert best_id == 117 and best_score == pytest.approx(1.0, abs=1e-5)
    assert index.count == 200


@pytest.mark.parametrize("exact_below", [10_000, 0], ids=["exact", "hnsw"])
def test_deleted_ids_are_not_returned_and_re_adding_revives_them(tmp_path: Path, exact_below: int) -> None:
    vectors = unit_vectors(50)
    index = VectorIndex(tmp_path / "v.hnsw", 32, exact_below=exact_below)
    index.add(np.arange(50), vectors)
    index.mark_deleted([3, 4, 999])
    assert 3 not in {i for i, _ in index.search(vectors[3], k=50)}
    assert index.count == 48
    index.add(np.array([3]), vectors[3:4])
    assert index.search(vectors[3], k=1)[0][0] == 3


def test_exact_and_hnsw_search_agree(tmp_path: Path) -> None:
    vectors, queries = unit_vectors(3000), unit_vectors(50, seed=1)
    exact = build_index(tmp_path / "a.hnsw", np.arange(3000), vectors)
    exact.exact_below = 10_000
    hnsw = build_index(tmp_path / "b.hnsw", np.arange(3000), vectors)
    hnsw.exact_below = 0
    overlap = [
        len({i for i, _ in e} & {i for i, _ in h}) / 10
        for e, h in zip(exact.search_many(queries, 10), hnsw.search_many(queries, 10), strict=True)
    ]
    assert np.mean(overlap) >= 0.98
    top_exact, top_hnsw = exact.search(queries[0], 1)[0], hnsw.search(queries[0], 1)[0]
    assert top_exact[1] == pytest.approx(top_hnsw[1], abs=1e-5)


def test_grows_past_its_initial_capacity(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "v.hnsw", 32)
    for start in range(0, 2500, 500):
        index.add(np.arange(start, start + 500), unit_vectors(500, seed=start))
    assert index.count == 2500


def test_save_and_open_round_trip_and_match_the_catalog(tmp_path: Path) -> None:
    path = tmp_path / "catalog.hnsw"
    vectors = unit_vectors(120)
    index = VectorIndex(path, 32, model_id="m1")
    index.add(np.arange(120), vectors, [f"hash{i}" for i in range(120)])
    index.mark_deleted([5])
    index.save()
    loaded = VectorIndex.open(path, 32, model_id="m1")
    expected = {i: f"hash{i}" for i in range(120) if i != 5}
    assert loaded.problem is None
    assert loaded.matches(expected, model_id="m1")
    assert not loaded.matches({**expected, 5: "hash5"})
    assert not loaded.matches({**expected, 9: "other content"})
    assert not loaded.matches(expected, model_id="m2")
    assert loaded.search(vectors[9], 3) == index.search(vectors[9], 3)


def test_differences_name_ids_whose_content_changed(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "v.hnsw", 32)
    index.add(np.arange(4), unit_vectors(4), ["a", "b", "c", "d"])
    removed, changed = index.differences({0: "a", 1: "B", 3: "d", 7: "h"})
    assert (removed, changed) == ({2}, {1, 7})


@pytest.mark.parametrize("exact_below", [10_000, 0], ids=["exact", "hnsw"])
def test_adding_an_id_again_replaces_its_vector(tmp_path: Path, exact_below: int) -> None:
    old, new = unit_vectors(2, seed=5)
    others = unit_vectors(20, seed=6)
    index = VectorIndex(tmp_path / "v.hnsw", 32, exact_below=exact_below)
    index.add(np.arange(1, 21), others)
    index.add(np.array([0]), old[None], ["old"])
    index.mark_deleted([0])
    index.add(np.array([0]), new[None], ["new"])
    assert index.versions()[0] == "new"
    best_id, best_score = index.search(new, 1)[0]
    assert best_id == 0 and best_score == pytest.approx(1.0, abs=1e-5)
    assert dict(index.search(old, 21))[0] == pytest.approx(float(old @ new), abs=1e-5)


def saved_index(path: Path, count: int = 10, seed: int = 0) -> VectorIndex:
    index = VectorIndex(path, 32, model_id="m1")
    index.add(np.arange(count), unit_vectors(count, seed=seed), [f"h{i}" for i in range(count)])
    index.save()
    return index


def test_open_starts_empty_for_another_model_or_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.hnsw"
    index = saved_index(path)
    assert VectorIndex.open(path, 32, model_id="m2").count == 0
    assert VectorIndex.open(path, 64, model_id="m1").count == 0
    assert index.data_path is not None
    index.data_path.write_bytes(b"damaged")
    damaged = VectorIndex.open(path, 32, model_id="m1")
    assert damaged.count == 0 and damaged.problem is not None and "half-saved or damaged" in damaged.problem
    missing = VectorIndex.open(tmp_path / "missing.hnsw", 32)
    assert missing.count == 0 and missing.problem is None, "no index saved yet is not a problem"


def test_a_data_file_from_another_save_is_refused(tmp_path: Path) -> None:
    """Half-saved: the manifest of one save beside the data file of another (same size, other content)."""
    path = tmp_path / "catalog.hnsw"
    first = saved_index(path, seed=1)
    assert first.data_path is not None
    earlier_data = first.data_path.read_bytes()
    second = saved_index(path, seed=2)
    assert second.data_path is not None and len(earlier_data) == second.data_path.stat().st_size
    second.data_path.write_bytes(earlier_data)
    reopened = VectorIndex.open(path, 32, model_id="m1")
    assert reopened.count == 0 and reopened.problem is not None and "does not match" in reopened.problem


@pytest.mark.parametrize(
    "damage",
    [
        lambda manifest: manifest.write_text(manifest.read_text()[:40]),
        lambda manifest: manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "data": "gone.data"})),
        lambda manifest: manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "data": "../x.data"})),
        lambda manifest: manifest.write_text(json.dumps({"dim": 32, "model_id": "m1", "ids": [1, 2]})),
    ],
    ids=["truncated", "missing-data-file", "outside-the-folder", "older-format"],
)
def test_a_damaged_manifest_is_reported(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    path = tmp_path / "catalog.hnsw"
    index = saved_index(path)
    damage(index.manifest_path)
    reopened = VectorIndex.open(path, 32, model_id="m1")
    assert reopened.count == 0 and reopened.problem


def test_a_crash_during_save_leaves_the_previous_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "index" / "catalog.hnsw"
    index = saved_index(path)
    index.add(np.arange(10, 15), unit_vectors(5, seed=4), ["n"] * 5)

    def killed(*args: object) -> None:
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        index.save()
    monkeypatch.undo()
    reopened = VectorIndex.open(path, 32, model_id="m1")
    assert reopened.problem is None and reopened.ids() == set(range(10))
    assert reopened.data_path is not None
    assert {p.name for p in path.parent.iterdir()} == {path.name + ".json", reopened.data_path.name}


def test_saves_use_their_own_file_names_and_remove_what_they_replaced(tmp_path: Path) -> None:
    path = tmp_path / "index" / "catalog.hnsw"
    path.parent.mkdir()
    path.write_bytes(b"an index file of the format before manifests")
    first = saved_index(path)
    other_process = VectorIndex.open(path, 32, model_id="m1")
    second = saved_index(path, seed=3)
    assert second.data_path is not None and first.data_path != second.data_path
    assert {p.name for p in path.parent.iterdir()} == {path.name + ".json", second.data_path.name}
    other_process.add(np.array([99]), unit_vectors(1), ["x"])
    other_process.save()
    assert VectorIndex.open(path, 32, model_id="m1").ids() == set(range(10)) | {99}


def test_files_left_by_crashed_saves_are_removed_once_old(tmp_path: Path) -> None:
    path = tmp_path / "catalog.hnsw"
    crashed = [tmp_path / f"{path.name}.{name}" for name in ("0123.data", "json.4567.tmp")]
    for leftover in crashed:
        leftover.write_bytes(b"x")
    young = tmp_path / f"{path.name}.89ab.data"  # may be another process's save in progress
    young.write_bytes(b"x")
    for leftover in crashed:
        os.utime(leftover, (time.time() - ORPHAN_AGE_S - 10,) * 2)
    saved_index(path)
    assert young.exists() and not any(leftover.exists() for leftover in crashed)


def test_rebuild_replaces_everything(tmp_path: Path) -> None:
    index = build_index(tmp_path / "v.hnsw", np.arange(10), unit_vectors(10))
    index.rebuild(np.array([100, 101]), unit_vectors(2, seed=3), ["x", "y"])
    assert index.matches({100: "x", 101: "y"})
    assert [i for i, _ in index.search(unit_vectors(1, seed=9)[0], 5)] in ([100, 101], [101, 100])


def test_search_on_an_empty_index_and_bad_input(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "v.hnsw", 32)
    assert index.search(unit_vectors(1)[0], 10) == []
    with pytest.raises(ValueError, match="ids for"):
        index.add(np.arange(3), unit_vectors(2))
    with pytest.raises(ValueError, match="non-negative"):
        index.add(np.array([-1]), unit_vectors(1))
    with pytest.raises(ValueError, match="versions for"):
        index.add(np.arange(2), unit_vectors(2), ["only one"])
