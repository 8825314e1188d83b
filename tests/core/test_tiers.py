"""Copy and similar tiers from a stored graph: semantics, chain safety, pairwise ranges (no model)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from core.entities import Tier
from core.library import Library
from core.vectors.store import encode_vector

MODEL_ID = "test-model"


def _fill(
    library: Library, vectors: np.ndarray, pairs: list[tuple[int, int, float]], same: frozenset[int] = frozenset()
) -> None:
    db = library.catalog.db.conn
    scan = library.catalog.scans.start(["/x"])
    for i in range(1, len(vectors) + 1):
        digest = "f" * 64 if i in same else f"{i:064x}"
        db.execute(
            "INSERT INTO files (id, path, size, mtime_ns, content_hash, width, height, format, last_scan, first_scan, "
            "status) VALUES (?, ?, ?, 0, ?, 100, 100, 'JPEG', ?, ?, 'present')",
            (i, f"/x/p{i}.jpg", 1000 + i, digest, scan, scan),
        )
        db.execute(
            "INSERT INTO embeddings (file_id, model_id, vector, linked) VALUES (?, ?, ?, 1)",
            (i, MODEL_ID, encode_vector(vectors[i - 1])),
        )
    library.catalog.neighbours.add(MODEL_ID, pairs)
    library.catalog.settings.active_model = "sscd"
    library.catalog.settings.set_model_id("sscd", MODEL_ID)
    library.catalog.settings.set_dim("sscd", vectors.shape[1])


def _unit(*rows: list[float]) -> np.ndarray:
    array = np.asarray(rows, dtype=np.float32)
    return array / np.linalg.norm(array, axis=1, keepdims=True)


def _names(groups: list) -> list[set[str]]:  # type: ignore[type-arg]
    return [{m.file.path.rsplit("/", 1)[-1] for m in g.members} for g in groups]


def test_chain_is_cut_and_ranges_reported(library: Library) -> None:
    # Five photos 25 degrees apart on an arc: neighbours score 0.906, the ends only -0.5. A chain, not one group.
    # The copy tier's groups are led by the file they keep (the largest here: p5, in the middle of the arc), so
    # p5 takes its two neighbours, and the ends, within the threshold of those neighbours only, stay out.
    angles = np.radians([0, 25, 75, 100, 50])  # by file id; arc order: p1 p2 p5 p3 p4
    vectors = _unit(*[[float(np.cos(a)), float(np.sin(a)), 0.0] for a in angles])
    scores = vectors @ vectors.T
    arc = [1, 2, 5, 3, 4]
    _fill(library, vectors, [(a, b, float(scores[a - 1, b - 1])) for a, b in pairwise(arc)])
    groups = library.groups(Tier.COPY, 0.85)
    assert _names(groups) == [{"p2.jpg", "p5.jpg", "p3.jpg"}]
    for group in groups:
        rep = group.members[0].file.id
        assert all(float(vectors[rep - 1] @ vectors[m.file.id - 1]) >= 0.85 - 1e-3 for m in group.members)
        ids = [m.file.id - 1 for m in group.members]
        every_pair = [float(scores[a, b]) for i, a in enumerate(ids) for b in ids[i + 1 :]]
        assert abs(group.min_score - min(every_pair)) < 2e-3 and abs(group.max_score - max(every_pair)) < 2e-3
    assert min(g.min_score for g in groups) < 0.85, "the ends of a star may differ more than the threshold"


def test_similar_tier_never_repeats_a_copy_group(library: Library) -> None:
    # 1,2 copies (0.95); 3 a similar shot of 1 (0.7); 4,5 copies of each other only.
    vectors = _unit([1, 0, 0, 0], [0.95, 0.31, 0, 0], [0.7, 0, 0.71, 0], [0, 0, 0, 1], [0, 0.1, 0, 0.99])
    scores = vectors @ vectors.T
    pairs = [
        (a, b, float(scores[a - 1, b - 1])) for a in range(1, 6) for b in range(a + 1, 6) if scores[a - 1, b - 1] > 0.5
    ]
    _fill(library, vectors, pairs)
    copies = _names(library.groups(Tier.COPY, 0.9))
    assert {"p1.jpg", "p2.jpg"} in copies and {"p4.jpg", "p5.jpg"} in copies
    similar = library.groups(Tier.SIMILAR, 0.6)
    assert len(similar) == 1
    names = _names(similar)[0]
    assert "p3.jpg" in names and len(names & {"p1.jpg", "p2.jpg"}) == 1, "one file stands for the copy group"
    low, high = similar[0].min_score, similar[0].max_score
    assert 0.6 <= low <= high < 0.9


def test_byte_identical_files_join_their_copy_group_once(library: Library) -> None:
    # The copy tier is the Review's Duplicates list: a photo's identical files sit in its one group (the copy
    # graph still counts their bytes once; core/tiers/duplicates.py adds them back).
    vectors = _unit([1, 0, 0], [1, 0, 0], [0.95, 0.31, 0])
    _fill(library, vectors, [(1, 2, 1.0), (1, 3, 0.95), (2, 3, 0.95)], same=frozenset({1, 2}))
    groups = library.groups(Tier.COPY, 0.9)
    assert _names(groups) == [{"p1.jpg", "p2.jpg", "p3.jpg"}]
    relations = {m.file.path.rsplit("/", 1)[-1]: m.relation for m in groups[0].members}
    assert relations == {"p3.jpg": "", "p1.jpg": "edited", "p2.jpg": "edited"}, "p3 is kept: the largest file"


def test_regrouping_uses_the_cached_graph_until_pairs_change(library: Library) -> None:
    vectors = _unit([1, 0], [0.96, 0.28], [0, 1])
    _fill(library, vectors, [(1, 2, 0.96)])
    assert len(library.groups(Tier.COPY, 0.9)) == 1
    assert library.groups(Tier.COPY, 0.97) == []
    library.catalog.neighbours.add(MODEL_ID, [(2, 3, 0.99)])
    assert {"p2.jpg", "p3.jpg"} in _names(library.groups(Tier.COPY, 0.97))


def test_lower_threshold_reads_the_pairs_the_cached_graph_left_out(library: Library) -> None:
    vectors = _unit([1, 0], [0.96, 0.28], [0.8, 0.6])
    _fill(library, vectors, [(1, 2, 0.96), (1, 3, 0.8)])
    assert _names(library.groups(Tier.COPY, 0.9)) == [{"p1.jpg", "p2.jpg"}]
    assert _names(library.groups(Tier.COPY, 0.75)) == [{"p1.jpg", "p2.jpg", "p3.jpg"}]
    assert _names(library.groups(Tier.COPY, 0.9)) == [{"p1.jpg", "p2.jpg"}]


def test_a_change_by_another_connection_is_seen(library: Library) -> None:
    vectors = _unit([1, 0], [0.96, 0.28], [0, 1])
    _fill(library, vectors, [(1, 2, 0.96)])
    assert len(library.groups(Tier.COPY, 0.9)) == 1
    other = Library(library.catalog.library_dir)
    other.catalog.db.execute("UPDATE files SET status = 'removed' WHERE id = 2")
    other.catalog.db.conn.commit()
    other.close()
    assert library.groups(Tier.COPY, 0.9) == []
