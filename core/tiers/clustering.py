"""Chain-safe grouping: star clusters around a representative.

Single-linkage (connected components) chains: A~B and B~C puts A and C together however different they are,
which is how "similar" leaks into unrelated photos. Here every member is within the threshold of its group's
representative, so no group is wider than twice the threshold. Complete linkage would be stricter still but is
O(n²) per merge and order-dependent; stars are linear in the edges and give each group one photo to compare
against, which is also what a person reviewing the group looks at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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


class Leaders:
    """Who may lead a star, best first, and how a leader scores nodes the stored graph does not link to it.

    The stored graph keeps each photo's k nearest pairs only, so a copy of a copy can be within the threshold of
    the leader without a stored pair: with Leaders, a star also takes its members' free neighbours that rank after
    its leader and score at least `threshold` against it (`score(leader, nodes)`, None: cannot tell)."""

    def __init__(
        self, order: Sequence[int], score: Callable[[int, list[int]], list[float | None]], threshold: float
    ) -> None:
        self.order, self.score, self.threshold = order, score, threshold
        self._rank = {node: i for i, node in enumerate(order)}

    def second_hop(
        self, node: int, members: list[tuple[int, float]], adjacency: dict[int, dict[int, float]], assigned: set[int]
    ) -> list[tuple[int, float]]:
        direct = {node, *(m for m, _ in members)}
        after = self._rank.get(node, -1)
        candidates = sorted(
            {
                n
                for m, _ in members
                for n in adjacency[m]
                if n not in assigned and n not in direct and self._rank.get(n, -1) > after
            }
        )
        scores = self.score(node, candidates) if candidates else []
        return [(n, s) for n, s in zip(candidates, scores, strict=True) if s is not None and s >= self.threshold]


def star_clusters(
    adjacency: dict[int, dict[int, float]],
    pair_score: Callable[[int, int], float] | None = None,
    leaders: Leaders | None = None,
) -> list[Star]:
    """Greedy stars: each node in the leaders' order (default: the most, then strongest, neighbours first) that is
    still free leads a star, and takes its free neighbours (and, with leaders, their free neighbours within the
    threshold of it). With leaders ranked best first, every star's representative is the best of its star: a
    better neighbour came first, and would have taken it while both were free; a second hop takes only worse."""
    order = leaders.order if leaders is not None else _by_degree(adjacency)
    assigned: set[int] = set()
    stars: list[Star] = []
    for node in order:
        if node in assigned or node not in adjacency:
            continue
        members = [(other, score) for other, score in adjacency[node].items() if other not in assigned]
        if leaders is not None and members:
            members += leaders.second_hop(node, members, adjacency, assigned)
        if not members:
            continue
        members.sort(key=lambda item: (-item[1], item[0]))
        group = ((node, 1.0), *members)
        assigned.update(member for member, _ in group)
        low, high = _pairwise_range([m for m, _ in group], adjacency, pair_score)
        stars.append(Star(node, group, low, high))
    return stars


def _by_degree(adjacency: dict[int, dict[int, float]]) -> list[int]:
    return sorted(adjacency, key=lambda n: (-len(adjacency[n]), -sum(adjacency[n].values()), n))


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
