"""Decisions a person made about groups, keyed by content hash so they survive renames, moves and rescans."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from itertools import combinations

from core.catalog import Catalog

NOT_DUPLICATES = "not-duplicates"


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def mark_not_duplicates(catalog: Catalog, content_hashes: Sequence[str]) -> None:
    """These files are not duplicates of one another: never group them together again."""
    unique = sorted(set(content_hashes))
    pairs = list(combinations(unique, 2)) if len(unique) > 1 else [(unique[0], unique[0])]
    now = time.time()
    rows = [{"kind": NOT_DUPLICATES, "hash_a": a, "hash_b": b, "at": now} for a, b in pairs]
    catalog.db.table("decisions").insert_all(rows, ignore=True)


def forget_not_duplicates(catalog: Catalog, content_hashes: Sequence[str]) -> None:
    unique = sorted(set(content_hashes))
    pairs = list(combinations(unique, 2)) if len(unique) > 1 else [(unique[0], unique[0])]
    catalog.db.conn.executemany(
        "DELETE FROM decisions WHERE kind = ? AND hash_a = ? AND hash_b = ?", ((NOT_DUPLICATES, a, b) for a, b in pairs)
    )


def not_duplicate_pairs(catalog: Catalog) -> set[tuple[str, str]]:
    rows = catalog.db.execute("SELECT hash_a, hash_b FROM decisions WHERE kind = ?", [NOT_DUPLICATES])
    return {(a, b) for a, b in rows}


def is_separated(separated: set[tuple[str, str]], hash_a: str, hash_b: str) -> bool:
    return _pair(hash_a, hash_b) in separated


def drop_separated_edges(
    edges: Iterable[tuple[int, int, float]], hashes: dict[int, str], separated: set[tuple[str, str]]
) -> list[tuple[int, int, float]]:
    if not separated:
        return list(edges)
    return [(a, b, s) for a, b, s in edges if _pair(hashes[a], hashes[b]) not in separated]
