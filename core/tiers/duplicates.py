"""The Duplicates list (the copy tier as the Review shows it): one group per photo, holding every copy of it.

A group is a copy star (core/tiers/graph.py: distinct contents linked by the model's score, after rotation and
crop re-scoring) grown by the byte-identical twins of its members, plus one group per set of identical files that
has no copy. Each photo is in one group only, so trashing in this list never moves a photo into another group.

Groups never chain, measured from the file the group keeps: stars are led in the keep rules' order (protected
files first), so a star's representative is the best of its star by those rules (core/tiers/clustering.py says
why), and every member is then scored against the kept file's content: a member below the threshold leaves the
group (that happens only where the keep rules choose another file than their own ranking would; see `_anchor`).
Byte-identical twins of a member join with it. Each member carries its relation to the kept file
(core/tiers/relations.py) and the score that put it there (1.0 for identical bytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

from core.entities import DuplicateGroup, FileInfo, GroupMember, Tier
from core.store.catalog import Catalog
from core.tiers.clustering import Leaders, Star
from core.tiers.decisions import is_separated
from core.tiers.graph import NeighbourGraph, PairScorer, copy_stars, load_graph, with_pairwise_range
from core.tiers.keep import DEFAULT_RULES, KeepRule, choose_keep, is_protected, rank, suggest_keep
from core.tiers.relations import Relation, Via, relation
from core.vectors.store import EmbeddingStore

Twins = dict[str, list[FileInfo]]  # content hash -> its present files, where there are two or more


class KeepOrder:
    """The copy stars' centre order: content nodes by their best file under the keep rules, protected first.

    Called by the clustering with the copy adjacency; keeps the files it read for the groups that follow."""

    def __init__(
        self,
        catalog: Catalog,
        scorer: PairScorer,
        twins: Twins,
        rules: Sequence[KeepRule],
        protected: Sequence[str],
    ) -> None:
        self.catalog, self.scorer, self.twins, self.rules, self.protected = catalog, scorer, twins, rules, protected
        self.files: dict[int, FileInfo] = {}

    def __call__(self, adjacency: dict[int, dict[int, float]], threshold: float) -> Leaders:
        self.files = self.catalog.files.by_ids(adjacency)
        node_of = {f.id: node for node, info in self.files.items() for f in self.files_of(info)}
        every = [f for info in self.files.values() for f in self.files_of(info)]
        order = list(dict.fromkeys(node_of[f.id] for f in keep_ranked(every, self.rules, self.protected)))
        return Leaders(order, self._scores, threshold)

    def _scores(self, leader: int, others: list[int]) -> list[float | None]:
        return self.scorer.scores([(leader, other) for other in others])

    def best_of(self, info: FileInfo) -> FileInfo:
        """The file the keep rules would keep among a content node's files."""
        return keep_ranked(self.files_of(info), self.rules, self.protected)[0]

    def files_of(self, info: FileInfo) -> list[FileInfo]:
        """A content node's files: its byte-identical twins (itself among them), else itself."""
        return self.twins.get(info.content_hash, [info])


def keep_ranked(files: Sequence[FileInfo], rules: Sequence[KeepRule], protected: Sequence[str]) -> list[FileInfo]:
    """Best first by the keep rules, protected files before the rest (suggest_keep always keeps them)."""
    ranked = rank(files, rules)
    return [f for f in ranked if is_protected(f.path, protected)] + [
        f for f in ranked if not is_protected(f.path, protected)
    ]


def duplicate_groups(
    catalog: Catalog,
    store: EmbeddingStore,
    threshold: float,
    rules: Sequence[KeepRule] = DEFAULT_RULES,
    protected: Sequence[str] = (),
) -> list[DuplicateGroup]:
    """Every photo with a copy or an identical file, once; `protected` canonical (core.tiers.groups does that)."""
    graph = load_graph(catalog, store.model_id, threshold)
    scorer = PairScorer(graph, store)
    order = KeepOrder(catalog, scorer, twins_of(catalog), rules, protected)
    stars = with_pairwise_range(copy_stars(graph, catalog, threshold, order), scorer)
    builder = _GroupBuilder(order, graph, scorer, threshold)
    groups = [group for star in stars if (group := builder.group(star)) is not None]
    shown = {m.file.content_hash for g in groups for m in g.members}
    groups += [exact_only(files, rules, protected) for digest, files in order.twins.items() if digest not in shown]
    return groups


def twins_of(catalog: Catalog) -> Twins:
    """Sets of byte-identical present files, without those a person marked "not duplicates" of one another."""
    separated = catalog.decisions.not_duplicate_pairs()
    sets = catalog.files.exact_duplicate_sets()
    return {f[0].content_hash: f for f in sets if not is_separated(separated, f[0].content_hash, f[0].content_hash)}


def exact_only(files: list[FileInfo], rules: Sequence[KeepRule], protected: Sequence[str]) -> DuplicateGroup:
    """A photo whose only copies are identical files."""
    choice = choose_keep(files, rules, protected)
    ranked = keep_ranked(files, rules, protected)
    members = tuple(
        GroupMember(f, 1.0, f.id in choice.keep, is_protected(f.path, protected), "" if i == 0 else Relation.IDENTICAL)
        for i, f in enumerate(ranked)
    )
    return DuplicateGroup(f"{Tier.COPY}:{files[0].id}", Tier.COPY, members, keep_reason=choice.reason)


class _GroupBuilder:
    """One group from one copy star: its contents' files, the kept file, and each member against it."""

    def __init__(self, order: KeepOrder, graph: NeighbourGraph, scorer: PairScorer, threshold: float) -> None:
        self.order, self.graph, self.scorer, self.threshold = order, graph, scorer, threshold

    def group(self, star: Star) -> DuplicateGroup | None:
        """None when fewer than two files are left within the threshold of the kept one."""
        nodes = {node: self.order.files_of(self.order.files[node]) for node, _ in star.members}
        files = [f for node in nodes.values() for f in node]
        kept = suggest_keep(files, self.order.rules, self.order.protected)
        anchor_node, anchor = _anchor(nodes, kept, self.order)
        members: list[tuple[FileInfo, float, str]] = [(f, 1.0, Relation.IDENTICAL) for f in anchor]
        others = {node: node_files for node, node_files in nodes.items() if node != anchor_node}
        for node, (score, via) in zip(others, self._against((anchor_node, anchor), others), strict=True):
            if score >= self.threshold:
                members += [(f, score, relation(anchor[0], f, via)) for f in others[node]]
        if len(members) < 2:
            return None
        return self._make(star, members, kept)

    def _against(
        self, anchor: tuple[int, list[FileInfo]], others: dict[int, list[FileInfo]]
    ) -> list[tuple[float, Via]]:
        """Per other content node: the best stored score between it and the anchor (any of their files) and how
        it was scored, else the score of the vectors of the nodes' files (a pair the k-NN graph did not keep).
        One look-up per group: regrouping 100,000 files makes thousands of groups."""
        pairs = [(a.id, b.id, node) for node, files in others.items() for a, b in product(anchor[1], files)]
        best: dict[int, tuple[float, Via]] = {}
        for (_, _, node), found in zip(pairs, self.graph.lookup_via([(a, b) for a, b, _ in pairs]), strict=True):
            if found is not None and (node not in best or _better(found, best[node])):
                best[node] = found
        missing = [node for node in others if node not in best]
        computed = self.scorer.scores([(anchor[0], node) for node in missing]) if missing else []
        best |= {node: (score or 0.0, Via.PLAIN) for node, score in zip(missing, computed, strict=True)}
        return [best[node] for node in others]

    def _make(self, star: Star, members: list[tuple[FileInfo, float, str]], kept: set[int]) -> DuplicateGroup:
        protected = self.order.protected
        head = members[0][0]
        # Why, said of the files the group shows (some of the star's may have left it, out of the kept file's reach).
        reason = choose_keep([f for f, _, _ in members], self.order.rules, protected).reason
        identical = len({f.content_hash for f, _, _ in members}) < len(members)
        return DuplicateGroup(
            id=f"{Tier.COPY}:{star.representative}",
            tier=Tier.COPY,
            members=tuple(
                GroupMember(f, score, f.id in kept, is_protected(f.path, protected), "" if f is head else rel)
                for f, score, rel in members
            ),
            min_score=star.min_score,
            max_score=1.0 if identical else star.max_score,
            keep_reason=reason,
        )


def _better(found: tuple[float, Via], than: tuple[float, Via]) -> bool:
    """A higher score; at an equal score, the plain comparison."""
    return found[0] > than[0] or (found[0] == than[0] and found[1] == Via.PLAIN and than[1] != Via.PLAIN)


def _anchor(nodes: dict[int, list[FileInfo]], kept: set[int], order: KeepOrder) -> tuple[int, list[FileInfo]]:
    """The content node of the file the group keeps (the best kept one) and its files, that file first. It is the
    star's representative whenever suggest_keep keeps the best file of keep_ranked, as it does today; the members
    are measured against it either way."""
    every = [f for files in nodes.values() for f in files]
    best = keep_ranked([f for f in every if f.id in kept], order.rules, order.protected)[0]
    node = next(n for n, files in nodes.items() if best in files)
    return node, [best, *(f for f in keep_ranked(nodes[node], order.rules, order.protected) if f is not best)]
