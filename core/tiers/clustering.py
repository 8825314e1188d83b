"""Chain-safe grouping: star clusters around a representative.

Single-linkage (connected components) chains: A~B and B~C puts A and C together however different they are,
which is how "similar" leaks into unrelated photos. Here every member is within the threshold of its group's
representative, so no group is wider than twice the threshold. Complete linkage would be stricter still but is
O(n²) per merge and order-dependent; stars are linear in the edges and give each group one photo to compare
against, which is also what a person reviewing the group looks at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Star:
    representative: int
    members: tuple[tuple[int, float], ...]  # (file id, score against the representative), representative first
    min_score: float
    max_score: float


def build_adjacency(edges: Iterable[tuple[int, int, float]], threshold: float) -> dict[int, dict[int, float]]:
    adjacency: dict[int, dict[int, float]] = {}
    for a, b, score in edges:
        if score >= threshold and a != b:
            adjacency.setdefault(a, {})[b] = score
            adjacency.setdefault(b, {})[a] = score
    return adjacency


def star_clusters(
    adjacency: dict[int, dict[int, float]], pair_score: Callable[[int, int], float] | None = None
) -> list[Star]:
    """Greedy stars: the node with the most (then strongest) neighbours leads, and takes its free neighbours."""
    order = sorted(adjacency, key=lambda n: (-len(adjacency[n]), -sum(adjacency[n].values()), n))
    assigned: set[int] = set()
    stars: list[Star] = []
    for node in order:
        if node in assigned:
            continue
        members = [(other, score) for other, score in adjacency[node].items() if other not in assigned]
        if not members:
            continue
        members.sort(key=lambda item: (-item[1], item[0]))
        group = ((node, 1.0), *members)
        assigned.update(member for member, _ in group)
        low, high = _pairwise_range([m for m, _ in group], adjacency, pair_score)
        stars.append(Star(node, group, low, high))
    return stars


def _pairwise_range(
    ids: list[int], adjacency: dict[int, dict[int, float]], pair_score: Callable[[int, int], float] | None
) -> tuple[float, float]:
    scores = []
    for a, b in combinations(ids, 2):
        known = adjacency.get(a, {}).get(b)
        if known is None and pair_score is not None:
            known = pair_score(a, b)
        if known is not None:
            scores.append(known)
    return (min(scores), max(scores)) if scores else (1.0, 1.0)
