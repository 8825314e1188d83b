from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.vector_index import VectorIndex, build_index


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
    index.add(np.arange(120), vectors)
    index.mark_deleted([5])
    index.save()
    loaded = VectorIndex.open(path, 32, model_id="m1")
    expected = set(range(120)) - {5}
    assert loaded.matches(expected, model_id="m1")
    assert not loaded.matches(expected | {5})
    assert not loaded.matches(expected, model_id="m2")
    assert loaded.search(vectors[9], 3) == index.search(vectors[9], 3)


def test_open_starts_empty_for_another_model_or_a_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "catalog.hnsw"
    index = VectorIndex(path, 32, model_id="m1")
    index.add(np.arange(10), unit_vectors(10))
    index.save()
    assert VectorIndex.open(path, 32, model_id="m2").count == 0
    assert VectorIndex.open(path, 64, model_id="m1").count == 0
    path.write_bytes(b"damaged")
    assert VectorIndex.open(path, 32, model_id="m1").count == 0
    assert VectorIndex.open(tmp_path / "missing.hnsw", 32).count == 0


def test_rebuild_replaces_everything(tmp_path: Path) -> None:
    index = build_index(tmp_path / "v.hnsw", np.arange(10), unit_vectors(10))
    index.rebuild(np.array([100, 101]), unit_vectors(2, seed=3))
    assert index.matches({100, 101})
    assert [i for i, _ in index.search(unit_vectors(1, seed=9)[0], 5)] in ([100, 101], [101, 100])


def test_search_on_an_empty_index_and_bad_input(tmp_path: Path) -> None:
    index = VectorIndex(tmp_path / "v.hnsw", 32)
    assert index.search(unit_vectors(1)[0], 10) == []
    with pytest.raises(ValueError, match="ids for"):
        index.add(np.arange(3), unit_vectors(2))
    with pytest.raises(ValueError, match="non-negative"):
        index.add(np.array([-1]), unit_vectors(1))
