"""Copy and similar tiers from the stored k-NN graph: no model, no index query, fast enough to regroup live.

Tier semantics (one scan, one model, nested tiers):

- **exact**: identical bytes (content hash). Handled in `core.tiers.groups.exact_groups`.
- **copy**: the same photo after resize, recompression, crop, colour edit, format change or rotation: the
  model's copy-detection score (cosine) is at least the copy threshold. Files with identical bytes count once
  (each content hash is one node, shown by its lowest file id); core/tiers/duplicates.py adds them back to
  the copy groups the Review shows.
- **similar**: different shots of one scene (bursts, retakes): score at least the (lower) similar threshold.
  Every copy group is first collapsed into one node, shown by its representative, so a similar group never
  repeats a copy group: a group whose members are all copies of each other is a copy group and never appears
  here, and two copies of one photo never sit in a similar group side by side.

Groups are star clusters (`core.tiers.clustering`): each member scores at least the tier's threshold against the
group's representative (chain-safe), and each group reports its lowest and highest pairwise score; pairs the
k-NN graph did not store are scored from the stored vectors of that group's members only.

The graph (the stored pairs of one source at or above the threshold) is read with a range scan
of the score index and kept in memory as numpy arrays until the database changes, so moving a threshold costs
a numpy filter and the clustering, and a first grouping reads only the pairs it can use.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from core.scan.metadata import shutter_times_differ
from core.store.catalog import Catalog
from core.tiers.clustering import Leaders, Star, build_adjacency, star_clusters
from core.tiers.decisions import is_separated
from core.tiers.relations import Via
from core.vectors.store import EmbeddingStore

_KEY_SHIFT = np.int64(1 << 32)
# Given a copy adjacency and its threshold, who leads the copy stars (None: the clustering's own order).
CentreOrder = Callable[[dict[int, dict[int, float]], float], Leaders]
# Pairs re-scored with one file rotated (core/rescore/orientation.py) or with the crop undone
# (core/rescore/crops.py) are stored under these source suffixes; a pair's score is the best of its plain and
# re-scored comparisons.
ORIENTED_SUFFIX = "#oriented"
ALIGNED_SUFFIX = "#aligned"
VIAS = (Via.PLAIN, Via.ORIENTED, Via.ALIGNED)  # in the order of _sources: a stored row's source is VIAS[index]
# How much closer an untimed file's best timed match must be than any shot of another moment for it to take that
# match's time (adopted_moments), as a ratio of distances (1 - score). Re-scoring alone moves a pair by up to ~0.07
# (tests/core/test_shutter_rule.py: a chat copy of one burst frame, 0.70 plain against it, 0.77 aligned against the
# next frame: 1.3 times closer, a guess); a copy is far closer to its own photo (benchmarks/keep_bench.py: a PNG
# conversion 0.996 with its photo, 0.897 with a shot 7 minutes later: 25 times closer).
ADOPT_CLOSER = 2.0
RESCORED_GAIN = 0.05  # what a re-scoring must add to the plain score to name the pair's relation (_credited)


def _sources(source: str) -> list[str]:
    return [source, source + ORIENTED_SUFFIX, source + ALIGNED_SUFFIX]


@dataclass(frozen=True)
class NeighbourGraph:
    """Stored pairs of one source among present files, distinct bytes only, as parallel arrays (a < b)."""

    a: np.ndarray
    b: np.ndarray
    score: np.ndarray
    keys: np.ndarray  # sorted a * 2**32 + b, for pair look-ups
    key_scores: np.ndarray  # scores in `keys` order
    content: dict[int, str]  # file id -> content hash, for files that appear in a pair
    key_via: np.ndarray  # the VIAS index its best score is credited to, in `keys` order

    def above(self, threshold: float) -> list[tuple[int, int, float]]:
        keep = self.score >= threshold
        return list(zip(self.a[keep].tolist(), self.b[keep].tolist(), self.score[keep].tolist(), strict=True))

    def lookup(self, pairs: Sequence[tuple[int, int]]) -> list[float | None]:
        """Stored scores of these pairs (None where the graph has none)."""
        return [float(self.key_scores[i]) if i is not None else None for i in self._find(pairs)]

    def lookup_via(self, pairs: Sequence[tuple[int, int]]) -> list[tuple[float, Via] | None]:
        """Stored best scores of these pairs with the comparison credited with them (None where none is stored)."""
        return [
            (float(self.key_scores[i]), VIAS[int(self.key_via[i])]) if i is not None else None
            for i in self._find(pairs)
        ]

    def _find(self, pairs: Sequence[tuple[int, int]]) -> list[int | None]:
        """Where each pair is in `keys` (None: not stored)."""
        if not pairs or not len(self.keys):
            return [None] * len(pairs)
        wanted = np.asarray([min(p) * _KEY_SHIFT + max(p) for p in pairs], dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        found = self.keys[at] == wanted
        return [i if ok else None for i, ok in zip(at.tolist(), found.tolist(), strict=True)]


@dataclass(frozen=True)
class _Cached:
    marker: tuple[int, int]
    floor: float
    graph: NeighbourGraph


_CACHE: weakref.WeakKeyDictionary[Catalog, dict[str, _Cached]] = weakref.WeakKeyDictionary()


def load_graph(catalog: Catalog, source: str, threshold: float) -> NeighbourGraph:
    """The stored pairs of one source scoring at least `threshold`, cached per catalog until anything in the
    database changes; a cached graph read for a lower threshold serves a higher one."""
    marker = catalog.change_marker()
    per_source = _CACHE.setdefault(catalog, {})
    cached = per_source.get(source)
    if cached is not None and cached.marker == marker and cached.floor <= threshold:
        return cached.graph
    graph = _read_graph(catalog, source, threshold)
    per_source[source] = _Cached(marker, threshold, graph)
    return graph


def _read_graph(catalog: Catalog, source: str, floor: float) -> NeighbourGraph:
    """Pairs between present files with different bytes, one row per pair: the best of its plain and its
    re-scored (oriented, aligned) scores, with which of them it was (`_credited`). Only pairs at or above the
    floor are read (a range scan)."""
    sources = _sources(source)
    rows = catalog.neighbours.between_contents(sources, floor)
    a = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    b = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    score = np.fromiter((r[2] for r in rows), dtype=np.float32, count=len(rows))
    code = {name: i for i, name in enumerate(sources)}
    via = np.fromiter((code[r[5]] for r in rows), dtype=np.int8, count=len(rows))
    content = {r[0]: r[3] for r in rows} | {r[1]: r[4] for r in rows}
    keys = a * _KEY_SHIFT + b
    order = np.lexsort((via, -score, keys))  # by pair, best score first, plain before re-scored
    first = np.ones(len(order), dtype=bool)
    first[1:] = keys[order][1:] != keys[order][:-1]
    best = order[first]
    credited = _credited(keys[best], score[best], via[best], keys[via == 0], score[via == 0])
    return NeighbourGraph(a[best], b[best], score[best], keys[best], score[best], content, credited)


def _credited(
    keys: np.ndarray, best: np.ndarray, via: np.ndarray, plain_keys: np.ndarray, plain: np.ndarray
) -> np.ndarray:
    """Which comparison a pair's best score is credited to: the re-scored one only when it beats the plain score
    by RESCORED_GAIN, or the plain score is below the floor (not read). Both re-scorings embed thumbnails, which
    moves the score of an untouched pair a little (SSCD, an edited and a resized copy: plain 0.750, turned
    0.784); a real rotation or crop gains far more (0.578 to 0.972 turned, 0.828 to 0.975 aligned)."""
    if not len(plain_keys):
        return via
    sort = np.argsort(plain_keys)
    at = np.minimum(np.searchsorted(plain_keys[sort], keys), len(plain_keys) - 1)
    has_plain = plain_keys[sort][at] == keys
    gain = best - np.where(has_plain, plain[sort][at], -np.inf)
    return np.where((via != 0) & (gain < RESCORED_GAIN), 0, via).astype(np.int8)


def content_edges(
    edges: list[tuple[int, int, float]], content: dict[int, str], separated: set[tuple[str, str]]
) -> list[tuple[int, int, float]]:
    """The pairs between distinct contents, each content shown by its lowest file id in `content` (file id ->
    content hash), with the best score of each pair, without the pairs a person marked "not duplicates".

    Byte-identical files are the exact tier's business: every other tier counts each content once."""
    if not edges:
        return []
    shown: dict[str, int] = {}
    for file_id, digest in sorted(content.items()):
        shown.setdefault(digest, file_id)
    best: dict[tuple[int, int], float] = {}
    for a, b, score in edges:
        ha, hb = content[a], content[b]
        if separated and is_separated(separated, ha, hb):
            continue
        na, nb = shown[ha], shown[hb]
        if na == nb:
            continue
        pair = (na, nb) if na < nb else (nb, na)
        if pair not in best or best[pair] < score:
            best[pair] = score
    return [(a, b, s) for (a, b), s in best.items()]


def _graph_edges(graph: NeighbourGraph, threshold: float, catalog: Catalog) -> list[tuple[int, int, float]]:
    return content_edges(graph.above(threshold), graph.content, catalog.decisions.not_duplicate_pairs())


class PairScorer:
    """Scores of pairs: stored ones from the graph, the rest from the stored vectors (fetched per group)."""

    def __init__(self, graph: NeighbourGraph, store: EmbeddingStore) -> None:
        self.graph, self.store = graph, store
        self._vectors: dict[int, np.ndarray] = {}

    def scores(self, pairs: Sequence[tuple[int, int]]) -> list[float | None]:
        found = self.graph.lookup(pairs)
        missing = [p for p, s in zip(pairs, found, strict=True) if s is None]
        if missing:
            self._fetch({n for p in missing for n in p})
            for i, (pair, score) in enumerate(zip(pairs, found, strict=True)):
                if score is None and pair[0] in self._vectors and pair[1] in self._vectors:
                    found[i] = float(self._vectors[pair[0]] @ self._vectors[pair[1]])
        return found

    def _fetch(self, file_ids: set[int]) -> None:
        ids, vectors = self.store.vectors(file_ids - self._vectors.keys())
        self._vectors.update(zip(ids.tolist(), vectors, strict=True))


def with_pairwise_range(stars: list[Star], scorer: PairScorer) -> list[Star]:
    """The same stars with min/max over every pair of members (stored or computed from vectors)."""
    pairs = [pair for star in stars for pair in combinations(sorted(m for m, _ in star.members), 2)]
    scores = iter(scorer.scores(pairs))
    result = []
    for star in stars:
        count = len(star.members) * (len(star.members) - 1) // 2
        known = [s for s in (next(scores) for _ in range(count)) if s is not None]
        low, high = (min(known), max(known)) if known else (star.min_score, star.max_score)
        result.append(Star(star.representative, star.members, low, high))
    return result


def copy_stars(
    graph: NeighbourGraph, catalog: Catalog, threshold: float, centres: CentreOrder | None = None
) -> list[Star]:
    """Copy stars over distinct contents: pairs at or above the threshold, less the pairs shot at different
    moments; `centres` orders who leads a star (core.tiers.duplicates leads each with the file the keep rules keep).

    The shutter-time rule (core.scan.metadata.shutter_times_differ): two files whose shutter times both exist and
    differ are different photos however alike they look, so they never share a copy group (the similar tier can
    still show them together). A copy keeps its photo's shutter time (editors, exports, recompressions) or has
    none (chat apps, screenshots), so the rule never parts a copy from its photo; equal times prove nothing (a
    burst shares its second; frames of one second without sub-seconds cannot be parted).

    Evidence, benchmarks/tiers_bench.py (generated bursts: a small camera move, a subject that moves, exposure
    changes; frames 0.1-0.5 s apart, each with its shutter time): all 57 burst pairs with distinct times in the
    tuning and test halves score 0.83-0.99 with sscd (0.87-0.99 with sscd-fast), above any copy threshold worth
    having (the old shipped 0.85 too), so without the rule nearly every one is a copy edge; with it none shares a
    copy group, and the threshold can come down to where heavy crops and overlays are (the tuning half
    calibrates 0.38 for sscd, 0.31 for sscd-fast).
    """
    edges = _graph_edges(graph, threshold, catalog)
    times = catalog.files.shutter_times({node for a, b, _ in edges for node in (a, b)})
    edges = [(a, b, s) for a, b, s in edges if not shutter_times_differ(times.get(a), times.get(b))]
    times = adopted_moments(edges, times)
    edges = [(a, b, s) for a, b, s in edges if not shutter_times_differ(times.get(a), times.get(b))]
    stars: list[Star] = []
    adjacency = build_adjacency(edges, threshold)
    leaders = centres(adjacency, threshold) if centres else None  # one order for every round (it knows every node)
    while edges:
        found, left = one_moment(star_clusters(adjacency, leaders=leaders), times)
        stars += found
        # Members one_moment sent away group again among themselves: the frame left out of a star that an untimed
        # copy led still goes with its own copies (seen on benchmarks/keep_bench.py: a captioned copy, 0.915 to its
        # photo, left in Similar because an upscale of the photo taken a second earlier had led them both).
        edges = [(a, b, s) for a, b, s in edges if a in left and b in left]
        adjacency = build_adjacency(edges, threshold)
    return respect_decisions(stars, graph, catalog)


def adopted_moments(edges: list[tuple[int, int, float]], times: dict[int, str]) -> dict[int, str]:
    """Shutter times with each untimed file given the time of the timed file it scores clearly highest with.

    A copy is a copy of one photo. An untimed copy (a chat-app copy, an upscale, a PNG conversion) also scores
    fairly high with the other shots of its photo's scene, which the shutter-time rule keeps apart from its
    photo; without this, the first of those shots to lead a star took it (benchmarks/keep_bench.py: upscales
    scoring 0.999 with their photos and 0.74-0.77 with another shot of the scene, all grouped with that shot;
    a PNG at 0.999 with its photo and 0.875 with one taken 7 minutes later). With its photo's time, it can only
    join its photo's moment, and two untimed copies of different moments part too. Where the best is not
    ADOPT_CLOSER times closer than a shot of another moment, the file stays untimed and the leaders' order decides."""
    scored: dict[int, list[tuple[float, str]]] = {}
    for a, b, score in edges:
        for node, other in ((a, b), (b, a)):
            when = times.get(other)
            if when and not times.get(node):
                scored.setdefault(node, []).append((score, when))
    adopted = {}
    for node, candidates in scored.items():
        best, when = max(candidates)
        rival = max((s for s, t in candidates if shutter_times_differ(t, when)), default=None)
        if rival is None or 1.0 - rival >= ADOPT_CLOSER * (1.0 - best):
            adopted[node] = when
    return times | adopted


def one_moment(stars: list[Star], times: dict[int, str]) -> tuple[list[Star], set[int]]:
    """Members shot at a moment other than someone already in the star leave it: a copy without a shutter time
    can lead a star that two frames of a burst both join (each against the leader, neither against the other).
    Returns the stars and the members that left them."""
    result, left = [], set()
    for star in stars:
        kept: list[tuple[int, float]] = []
        for member, score in star.members:
            if not any(shutter_times_differ(times.get(k), times.get(member)) for k, _ in kept):
                kept.append((member, score))
            else:
                left.add(member)
        if len(kept) > 1:
            result.append(Star(star.representative, tuple(kept), star.min_score, star.max_score))
    return result, left


def respect_decisions(stars: list[Star], graph: NeighbourGraph, catalog: Catalog) -> list[Star]:
    """Members marked "not duplicates" of someone already in the star leave it (in every tier)."""
    separated = catalog.decisions.not_duplicate_pairs()
    if not separated:
        return stars
    kept_stars = []
    for star in stars:
        kept: list[tuple[int, float]] = []
        for member, score in star.members:
            digest = graph.content.get(member, "")
            if not any(is_separated(separated, graph.content.get(k, ""), digest) for k, _ in kept):
                kept.append((member, score))
        if len(kept) > 1:
            kept_stars.append(Star(star.representative, tuple(kept), star.min_score, star.max_score))
    return kept_stars


def similar_stars(
    graph: NeighbourGraph,
    catalog: Catalog,
    scorer: PairScorer,
    copy_threshold: float | None,
    threshold: float,
    centres: CentreOrder | None = None,
) -> list[Star]:
    """Stars over copy clusters: each copy group is one node shown by its representative, and two nodes are
    linked when their representatives score at least the threshold (so every member really is within it).
    `centres` must be the copy tier's own, so the clusters are the ones the Duplicates list shows."""
    edges = _graph_edges(graph, threshold, catalog)
    node_of: dict[int, int] = {}
    if copy_threshold is not None and copy_threshold > threshold:
        for star in copy_stars(graph, catalog, copy_threshold, centres):
            node_of.update({member: star.representative for member, _ in star.members})
    candidates = {
        (min(na, nb), max(na, nb)) for a, b, _ in edges if (na := node_of.get(a, a)) != (nb := node_of.get(b, b))
    }
    pairs = sorted(candidates)
    scored = scorer.scores(pairs)
    node_edges = [(a, b, s) for (a, b), s in zip(pairs, scored, strict=True) if s is not None and s >= threshold]
    return respect_decisions(star_clusters(build_adjacency(node_edges, threshold)), graph, catalog)
