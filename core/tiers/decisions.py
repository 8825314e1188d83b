"""Decisions a person made about groups, keyed by content hash so they survive renames, moves and rescans."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from itertools import combinations

from core.store.catalog import Catalog


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def mark_not_duplicates(catalog: Catalog, content_hashes: Sequence[str], paths: Sequence[str] = ()) -> str:
    """These files are not duplicates of one another: never group them together again.

    Journaled like a trash batch (action 'not-duplicates'), recording only the pairs this call added, so
    undoing it (core/safety/undo.py) takes back exactly this decision. Returns the journal batch id."""
    unique = sorted(set(content_hashes))
    pairs = list(combinations(unique, 2)) if len(unique) > 1 else [(unique[0], unique[0])]
    return _record(catalog, pairs, paths)


def mark_not_duplicate(catalog: Catalog, content_hash: str, others: Sequence[str], path: str) -> str:
    """One photo (by content) is not a duplicate of the others of its group: it never joins them again, while
    they stay together. Journaled and undoable like `mark_not_duplicates`; returns the journal batch id."""
    unique = sorted(set(others) - {content_hash})
    if not unique:
        raise ValueError("a photo cannot be marked 'not a duplicate' of files with the same bytes")
    return _record(catalog, [_pair(content_hash, other) for other in unique], [path])


def _record(catalog: Catalog, pairs: Sequence[tuple[str, str]], paths: Sequence[str]) -> str:
    existing = catalog.decisions.not_duplicate_pairs()
    added = [pair for pair in pairs if pair not in existing]
    now = time.time()
    batch = secrets.token_hex(8)
    with catalog.transaction():
        catalog.decisions.add_not_duplicates(added, now)
        catalog.journal.add_decision(batch, paths, added, now)
    return batch


def forget_decision(catalog: Catalog, batch: str) -> list[str]:
    """Take back one journaled "not duplicates" decision; returns the paths it concerned."""
    decision = catalog.journal.decision(batch)
    if decision is None:
        raise LookupError(f"no decision {batch!r} in the journal")
    paths, pairs = decision
    with catalog.transaction():
        catalog.decisions.forget_not_duplicates(pairs)
        catalog.journal.add_decision_undo(batch, paths)
    return paths


def is_separated(separated: set[tuple[str, str]], hash_a: str, hash_b: str) -> bool:
    return _pair(hash_a, hash_b) in separated
