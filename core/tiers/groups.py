"""Duplicate groups per tier, from what the catalog stores (no decoding, no model, no index query).

Protected folders are canonicalised here, once per call, so a protection never depends on how it was spelled."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from core.entities import DuplicateGroup, FileInfo, GroupMember, Tier
from core.places import canonical_paths
from core.scan.perceptual import DEFAULT_DISTANCE, MAX_STORED_DISTANCE, distance_to_score, stored_pairs
from core.scan.phash import similarity
from core.store.catalog import Catalog
from core.tiers.clustering import Star, build_adjacency, star_clusters
from core.tiers.decisions import is_separated
from core.tiers.duplicates import KeepOrder, duplicate_groups, twins_of
from core.tiers.graph import PairScorer, content_edges, load_graph, similar_stars, with_pairwise_range
from core.tiers.keep import DEFAULT_RULES, KeepRule, choose_keep, is_protected
from core.vectors.store import EmbeddingStore


def exact_groups(
    catalog: Catalog, rules: Sequence[KeepRule] = DEFAULT_RULES, protected: Sequence[str] = ()
) -> list[DuplicateGroup]:
    separated = catalog.decisions.not_duplicate_pairs()
    protected = canonical_paths(protected)
    groups = []
    for files in catalog.files.exact_duplicate_sets():
        if is_separated(separated, files[0].content_hash, files[0].content_hash):
            continue
        members = [(f, 1.0) for f in files]
        groups.append(
            _make_group(Tier.EXACT, f"exact:{files[0].content_hash[:16]}", members, 1.0, 1.0, rules, protected)
        )
    return groups


_BITS_64 = (1 << 64) - 1


def perceptual_groups(
    catalog: Catalog,
    max_distance: int = DEFAULT_DISTANCE,
    rules: Sequence[KeepRule] = DEFAULT_RULES,
    protected: Sequence[str] = (),
) -> list[DuplicateGroup]:
    """pHash groups, chain-safe; files with identical bytes count once (the exact tier already shows them)."""
    if not 0 <= max_distance <= MAX_STORED_DISTANCE:
        raise ValueError(f"perceptual distance must be between 0 and {MAX_STORED_DISTANCE}")
    present = catalog.files.phashes()
    phashes = dict(zip(*present, strict=True))

    def pair_score(a: int, b: int) -> float:
        # As uint64: numpy counts the bits of a negative int64's absolute value.
        return similarity(int(np.bitwise_count(np.uint64((phashes[a] ^ phashes[b]) & _BITS_64))))

    edges = stored_pairs(catalog, max_distance, present)
    return neighbour_groups(
        catalog, Tier.PERCEPTUAL, edges, distance_to_score(max_distance), pair_score, rules, protected
    )


def embedding_groups(
    catalog: Catalog,
    tier: Tier,
    store: EmbeddingStore,
    threshold: float,
    rules: Sequence[KeepRule] = DEFAULT_RULES,
    protected: Sequence[str] = (),
    copy_threshold: float | None = None,
) -> list[DuplicateGroup]:
    """Copy or similar groups from the stored nearest-neighbour graph of one model (see core/tiers/graph.py).

    The copy tier is the Duplicates list (core/tiers/duplicates.py: every copy of a photo, identical files
    included, in one group). For the similar tier, `copy_threshold` collapses each of those copy groups into one
    node first."""
    protected = canonical_paths(protected)
    if tier == Tier.COPY:
        return duplicate_groups(catalog, store, threshold, rules, protected)
    graph = load_graph(catalog, store.model_id, threshold)
    scorer = PairScorer(graph, store)
    centres = KeepOrder(catalog, scorer, twins_of(catalog), rules, protected)
    stars = with_pairwise_range(similar_stars(graph, catalog, scorer, copy_threshold, threshold, centres), scorer)
    nodes = catalog.files.by_ids({member for star in stars for member, _ in star.members})
    files = {node: centres.best_of(info) for node, info in nodes.items()}  # a content shown by its kept file
    return _star_groups(tier, stars, files, rules, protected)


def neighbour_groups(
    catalog: Catalog,
    tier: Tier,
    edges: list[tuple[int, int, float]],
    min_score: float,
    pair_score: Callable[[int, int], float],
    rules: Sequence[KeepRule],
    protected: Sequence[str],
) -> list[DuplicateGroup]:
    """Chain-safe groups from scored pairs of present files (each pair once)."""
    protected = canonical_paths(protected)
    files = catalog.files.by_ids({n for a, b, _ in edges for n in (a, b)})
    hashes = {file_id: info.content_hash for file_id, info in files.items()}
    edges = content_edges(edges, hashes, catalog.decisions.not_duplicate_pairs())
    stars = star_clusters(build_adjacency(edges, min_score), pair_score)
    return _star_groups(tier, stars, files, rules, protected)


def _star_groups(
    tier: Tier, stars: list[Star], files: dict[int, FileInfo], rules: Sequence[KeepRule], protected: Sequence[str]
) -> list[DuplicateGroup]:
    """One group per star, named after its representative."""
    return [
        _make_group(
            tier,
            f"{tier}:{star.representative}",
            [(files[file_id], score) for file_id, score in star.members],
            star.min_score,
            star.max_score,
            rules,
            protected,
        )
        for star in stars
    ]


def _make_group(
    tier: Tier,
    group_id: str,
    members: list[tuple[FileInfo, float]],
    low: float,
    high: float,
    rules: Sequence[KeepRule],
    protected: Sequence[str],
) -> DuplicateGroup:
    choice = choose_keep([f for f, _ in members], rules, protected)
    return DuplicateGroup(
        id=group_id,
        tier=tier,
        members=tuple(
            GroupMember(f, score, f.id in choice.keep, is_protected(f.path, protected)) for f, score in members
        ),
        min_score=low,
        max_score=high,
        keep_reason=choice.reason,
    )
