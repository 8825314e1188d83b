"""pHash pairs: the tiled search finds exactly the pairs a brute-force comparison finds, each once, and the catalog
keeps them right across incremental, resumed and changed scans."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from core.cancel import Cancelled, CancelToken
from core.entities import DecodedFile
from core.scan.hamming import new_pairs
from core.scan.perceptual import MAX_STORED_DISTANCE, SOURCE, stored_pairs, update_phash_neighbours
from core.scan.phash import similarity
from core.store.catalog import DB_NAME, Catalog
from core.store.migrations import MIGRATIONS
from core.tiers.groups import perceptual_groups


def planted_hashes(rng: np.random.Generator, count: int, distances: list[int]) -> np.ndarray:
    """Random hashes, and for each of the first len(distances) of them a copy that many bits away."""
    hashes = rng.integers(0, 2**64 - 1, size=count, dtype=np.uint64)
    near = []
    for source, distance in enumerate(distances):
        flip = sum(1 << int(bit) for bit in rng.choice(64, size=distance, replace=False))
        near.append(hashes[source] ^ np.uint64(flip))
    mixed = np.concatenate([hashes, np.asarray(near, dtype=np.uint64)])
    rng.shuffle(mixed)
    return mixed


def brute_force(hashes: np.ndarray, first_new: int, max_distance: int) -> set[tuple[int, int]]:
    distance = np.bitwise_count(hashes[:, None] ^ hashes[None, :])
    earlier, later = np.nonzero(np.triu(distance <= max_distance, 1))
    return {(int(b), int(a)) for a, b in zip(earlier, later, strict=True) if b >= first_new}


def found(hashes: np.ndarray, first_new: int, max_distance: int, threads: int) -> list[tuple[int, int]]:
    pairs = []
    for _, run in new_pairs(hashes[:first_new], hashes[first_new:], max_distance, threads):
        pairs += zip(run.later.tolist(), run.earlier.tolist(), strict=True)
    return pairs


@pytest.mark.parametrize("max_distance", [0, 1, 10, MAX_STORED_DISTANCE])
@pytest.mark.parametrize("first_new", [0, 1, 2500, 4099])
def test_tiled_search_finds_exactly_the_brute_force_pairs_each_once(max_distance: int, first_new: int) -> None:
    rng = np.random.default_rng(max_distance * 7919 + first_new)
    # Planted pairs at the boundary (max_distance and one past it) and well inside, over more than one tile.
    distances = [max_distance, max_distance + 1, max_distance // 2, 0] * 60
    hashes = planted_hashes(rng, 5000, distances)
    pairs = found(hashes, first_new, max_distance, threads=2)
    assert len(pairs) == len(set(pairs))
    expected = brute_force(hashes, first_new, max_distance)
    assert set(pairs) == expected
    assert any(int(np.bitwise_count(hashes[a] ^ hashes[b])) == max_distance for a, b in expected)


def decoded(index: int, phash: int) -> DecodedFile:
    return DecodedFile(
        f"/photos/{index}.jpg", 100, 1, f"hash{index}", 64, 48, "jpeg", None, None, 1, phash, b"", 32, 24
    )  # fmt: skip


def signed(value: np.uint64) -> int:
    return int(np.asarray(value, dtype=np.uint64).view(np.int64))


def add_files(catalog: Catalog, hashes: np.ndarray, start: int) -> list[int]:
    with catalog.transaction():
        return [catalog.files.store_decoded(decoded(start + i, signed(h)), 1, None) for i, h in enumerate(hashes)]


def expected_pairs(catalog: Catalog, max_distance: int) -> set[tuple[int, int]]:
    ids, hashes = catalog.files.phashes()
    values = np.asarray(hashes, dtype=np.int64)
    return {(ids[a], ids[b]) for b, a in brute_force(values.view(np.uint64), 0, max_distance)}


def as_set(pairs: list[tuple[int, int, float]]) -> set[tuple[int, int]]:
    return {(a, b) for a, b, _ in pairs}


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    catalog = Catalog(tmp_path / "library")
    catalog.scans.start(["/photos"])
    return catalog


def test_catalog_pairs_match_brute_force_across_incremental_scans(catalog: Catalog) -> None:
    rng = np.random.default_rng(5)
    hashes = planted_hashes(rng, 2400, [MAX_STORED_DISTANCE, MAX_STORED_DISTANCE + 1, 3, 0] * 100)
    add_files(catalog, hashes[:1500], 0)
    assert update_phash_neighbours(catalog) == 1500
    add_files(catalog, hashes[1500:], 1500)
    assert update_phash_neighbours(catalog) == len(hashes) - 1500
    assert update_phash_neighbours(catalog) == 0
    for max_distance in (MAX_STORED_DISTANCE, 10, 0):
        pairs = stored_pairs(catalog, max_distance)
        assert len(pairs) == len(as_set(pairs))
        assert as_set(pairs) == expected_pairs(catalog, max_distance)
    assert {score for _, _, score in stored_pairs(catalog, 0)} == {1.0}


def test_a_cancelled_comparison_resumes_without_losing_pairs(catalog: Catalog) -> None:
    hashes = planted_hashes(np.random.default_rng(6), 6000, [12, 16, 17] * 300)
    add_files(catalog, hashes, 0)
    token = CancelToken()
    with pytest.raises(Cancelled):
        update_phash_neighbours(catalog, lambda done, total: token.cancel(), token)
    remaining = len(catalog.files.phashes(compared=False)[0])
    assert 0 < remaining < len(hashes)
    assert update_phash_neighbours(catalog) == remaining
    assert as_set(stored_pairs(catalog, MAX_STORED_DISTANCE)) == expected_pairs(catalog, MAX_STORED_DISTANCE)


def test_changed_and_gone_files_leave_no_stale_pairs(catalog: Catalog) -> None:
    base = np.uint64(0x0F0F_0F0F_0F0F_0F0F)
    ids = add_files(catalog, np.asarray([base, base ^ np.uint64(0b111), base ^ np.uint64(0xFF)], np.uint64), 0)
    update_phash_neighbours(catalog)
    assert as_set(stored_pairs(catalog, MAX_STORED_DISTANCE)) == {(ids[0], ids[1]), (ids[0], ids[2]), (ids[1], ids[2])}
    with catalog.transaction():  # the first file's bytes change: its new hash is far from both others
        catalog.files.store_decoded(decoded(0, signed(~base)), 1, ids[0])
        catalog.files.mark_gone([ids[2]])
    update_phash_neighbours(catalog)
    assert as_set(stored_pairs(catalog, MAX_STORED_DISTANCE)) == set()


def test_pairs_stored_before_partner_lists_are_still_read(catalog: Catalog) -> None:
    ids = add_files(catalog, np.asarray([1, 2, 3], np.uint64), 0)
    with catalog.transaction():
        catalog.neighbours.add(SOURCE, [(ids[2], ids[0], similarity(2)), (ids[1], ids[2], similarity(14))])
        catalog.files.store_phash_partners((None, file_id) for file_id in ids)
    assert sorted(stored_pairs(catalog, 10)) == [(ids[0], ids[2], similarity(2))]


def test_group_scores_count_the_top_bit_like_any_other(catalog: Catalog) -> None:
    """B and C differ in the top bit and three others: distance 4, however the sign of their XOR comes out."""
    a = np.uint64(0x0123_4567_89AB_CDEF)
    hashes = np.asarray([a, a ^ np.uint64((1 << 63) | 1), a ^ np.uint64(0b110)], dtype=np.uint64)
    add_files(catalog, hashes, 0)
    update_phash_neighbours(catalog)
    (group,) = perceptual_groups(catalog, 2)
    assert len(group.members) == 3
    assert (group.min_score, group.max_score) == (similarity(4), similarity(2))


def test_a_library_from_before_partner_lists_keeps_its_pairs(tmp_path: Path) -> None:
    library = tmp_path / "old"
    library.mkdir()
    with closing(sqlite3.connect(library / DB_NAME)) as conn:
        conn.executescript(f"BEGIN; {'; '.join(MIGRATIONS[:4])}; PRAGMA user_version = 4; COMMIT;")
        conn.execute("INSERT INTO scans (id, started_at, roots, status) VALUES (1, 0, '[]', 'done')")
        for file_id, phash in ((1, 0b1), (2, 0b111), (3, 0b11111)):
            conn.execute(
                "INSERT INTO files (id, path, size, mtime_ns, content_hash, width, height, format, first_scan) "
                "VALUES (?, ?, 1, 1, ?, 64, 48, 'jpeg', 1)",
                (file_id, f"/photos/{file_id}.jpg", f"hash{file_id}"),
            )
            conn.execute("INSERT INTO perceptual_hashes (file_id, phash, compared) VALUES (?, ?, 1)", (file_id, phash))
        conn.executemany(
            "INSERT INTO neighbours (source, a, b, score) VALUES ('phash', ?, ?, ?)",
            [(1, 2, similarity(2)), (2, 3, similarity(2)), (1, 3, similarity(4))],
        )
        conn.commit()
    catalog = Catalog(library)
    assert sorted(stored_pairs(catalog, 2)) == [(1, 2, similarity(2)), (2, 3, similarity(2))]
    assert update_phash_neighbours(catalog) == 0  # nothing compared again


def test_a_file_compared_again_pairs_once_with_a_partner_that_lists_it(catalog: Catalog) -> None:
    base = np.uint64(0x0F0F_0F0F_0F0F_0F0F)
    first, second = add_files(catalog, np.asarray([base, base ^ np.uint64(0b11)], dtype=np.uint64), 0)
    update_phash_neighbours(catalog)  # the second lists the first
    with catalog.transaction():  # the first file's bytes change, its hash stays close: it lists the second
        catalog.files.store_decoded(decoded(0, signed(base ^ np.uint64(0b1100))), 1, first)
    update_phash_neighbours(catalog)
    assert stored_pairs(catalog, MAX_STORED_DISTANCE) == [(first, second, similarity(4))]
