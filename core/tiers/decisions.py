"""Decisions a person made about groups, keyed by content hash so they survive renames, moves and rescans."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable, Sequence
from itertools import combinations

from core.store.catalog import Catalog

NOT_DUPLICATES = "not-duplicates"


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def mark_not_duplicates(catalog: Catalog, content_hashes: Sequence[str], paths: Sequence[str] = ()) -> str:
    """These files are not duplicates of one another: never group them together again.

    Journaled like a trash batch (action 'not-duplicates'), recording only the pairs this call added, so
    undoing it (core/safety/undo.py) takes back exactly this decision. Returns the journal batch id."""
    unique = sorted(set(content_hashes))
    pairs = list(combinations(unique, 2)) if len(unique) > 1 else [(unique[0], unique[0])]
    existing = not_duplicate_pairs(catalog)
    added = [pair for pair in pairs if pair not in existing]
    now = time.time()
    batch = secrets.token_hex(8)
    with catalog.transaction():
        catalog.db.conn.executemany(
            "INSERT OR IGNORE INTO decisions (kind, hash_a, hash_b, at) VALUES (?, ?, ?, ?)",
            ((NOT_DUPLICATES, a, b, now) for a, b in added),
        )
        catalog.db.execute(
            "INSERT INTO journal (at, action, batch, path, status, detail) VALUES (?, ?, ?, ?, 'ok', ?)",
            [now, NOT_DUPLICATES, batch, "\n".join(paths), json.dumps({"pairs": added})],
        )
    return batch


def forget_decision(catalog: Catalog, batch: str) -> list[str]:
    """Take back one journaled "not duplicates" decision; returns the paths it concerned."""
    rows = catalog.query("SELECT path, detail FROM journal WHERE batch = ? AND action = ?", [batch, NOT_DUPLICATES])
    if not rows:
        raise LookupError(f"no decision {batch!r} in the journal")
    pairs = [tuple(pair) for pair in json.loads(rows[0]["detail"])["pairs"]]
    with catalog.transaction():
        catalog.db.conn.executemany(
            "DELETE FROM decisions WHERE kind = ? AND hash_a = ? AND hash_b = ?",
            ((NOT_DUPLICATES, a, b) for a, b in pairs),
        )
        catalog.db.execute(
            "INSERT INTO journal (at, action, batch, path, status) VALUES (?, 'undo', ?, ?, 'ok')",
            [time.time(), batch, rows[0]["path"]],
        )
    return [path for path in str(rows[0]["path"]).split("\n") if path]


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
