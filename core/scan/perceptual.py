"""Perceptual-hash neighbour pairs, computed once per new file and stored for instant regrouping.

Each pair within MAX_STORED_DISTANCE is stored once, with the file compared later: its row in perceptual_hashes
lists the ids of the present files it was found close to. Reading verifies every listed pair against the current
hashes, so a partner whose bytes changed since (its hash is compared afresh, against all) or that is no longer
present never yields a stale pair.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.cancel import NEVER_CANCELLED, CancelToken
from core.scan.hamming import Pairs, as_unsigned, new_pairs
from core.scan.phash import HASH_BITS, similarity
from core.store.catalog import Catalog

SOURCE = "phash"
# Pairs up to this Hamming distance are stored; the perceptual tier's threshold can move anywhere below it.
MAX_STORED_DISTANCE = 16
DEFAULT_DISTANCE = 10
_PACKED = np.dtype("<i8")

Pair = tuple[int, int, float]


def update_phash_neighbours(
    catalog: Catalog, on_progress: Callable[[int, int], None] = lambda d, t: None, cancel: CancelToken = NEVER_CANCELLED
) -> int:
    """Compare every not-yet-compared hash with all present hashes; returns how many files were compared.

    Committed in runs of files, each marked compared with its partners, so a cancelled or killed scan resumes
    where it stopped: a file compared later is paired with the earlier ones it missed."""
    new_ids, new_hashes = catalog.files.phashes(compared=False)
    if not new_ids:
        return 0
    old_ids, old_hashes = catalog.files.phashes(compared=True)
    ids = np.asarray(old_ids + new_ids, dtype=np.int64)
    stored = 0
    for done, pairs in new_pairs(as_unsigned(old_hashes), as_unsigned(new_hashes), MAX_STORED_DISTANCE):
        with catalog.transaction():
            catalog.files.store_phash_partners(_partner_rows(ids, pairs, len(old_ids) + stored, len(old_ids) + done))
        stored = done
        on_progress(done, len(new_ids))
        cancel.raise_if_cancelled()
    return len(new_ids)


def _partner_rows(ids: np.ndarray, pairs: Pairs, first: int, stop: int) -> list[tuple[bytes | None, int]]:
    """(packed partner ids or None, file id) for the files at positions first..stop - 1."""
    order = np.argsort(pairs.later, kind="stable")
    later, partners = pairs.later[order], ids[pairs.earlier[order]]
    bounds = np.searchsorted(later, np.arange(first, stop + 1))
    rows: list[tuple[bytes | None, int]] = []
    for position, (low, high) in enumerate(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True), first):
        rows.append((partners[low:high].astype(_PACKED).tobytes() if high > low else None, int(ids[position])))
    return rows


def stored_pairs(catalog: Catalog, max_distance: int, present: tuple[list[int], list[int]] | None = None) -> list[Pair]:
    """(a, b, score) with a < b of the present files whose pHashes are within max_distance, each pair once.
    `present`: catalog.files.phashes(), when the caller has it already."""
    file_ids, file_hashes = present or catalog.files.phashes()
    ids, hashes = np.asarray(file_ids, dtype=np.int64), as_unsigned(file_hashes)
    owners, partners = _positions(ids, *_unpacked(catalog.files.phash_partners()))
    distance = np.bitwise_count(hashes[owners] ^ hashes[partners])
    close = distance <= max_distance
    first, second, distance = _each_once(ids[owners[close]], ids[partners[close]], distance[close])
    scores = [similarity(d) for d in range(HASH_BITS + 1)]
    pairs = [(a, b, scores[d]) for a, b, d in zip(first.tolist(), second.tolist(), distance.tolist(), strict=True)]
    legacy = catalog.neighbours.pairs(SOURCE, similarity(max_distance))  # stored before partner lists
    if legacy:
        found = {(a, b) for a, b, _ in pairs}
        pairs += [pair for pair in legacy if (pair[0], pair[1]) not in found]
    return pairs


def _each_once(a: np.ndarray, b: np.ndarray, distance: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs as (smaller id, larger id), each once: a file compared again (its bytes changed) lists partners
    whose own lists may name it too."""
    low, high = np.minimum(a, b), np.maximum(a, b)
    order = np.lexsort((high, low))
    low, high, distance = low[order], high[order], distance[order]
    first = np.ones(len(low), dtype=np.bool_)
    first[1:] = (low[1:] != low[:-1]) | (high[1:] != high[:-1])
    return low[first], high[first], distance[first]


def _positions(ids: np.ndarray, owners: np.ndarray, partners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ids of each owner and partner, leaving out pairs with a file not among ids (not present)."""
    if not len(ids) or not len(owners):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # A table by file id: one gather per pair instead of a binary search (ids stay below a few times the count).
    position = np.full(int(max(ids.max(), owners.max(), partners.max())) + 1, -1, dtype=np.int64)
    position[ids] = np.arange(len(ids))
    at_owner, at_partner = position[owners], position[partners]
    known = (at_owner >= 0) & (at_partner >= 0)
    return at_owner[known], at_partner[known]


def _unpacked(rows: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    """(owner id, partner id) arrays, one entry per listed partner."""
    partners = np.frombuffer(b"".join(packed for _, packed in rows), dtype=_PACKED).astype(np.int64)
    counts = [len(packed) // _PACKED.itemsize for _, packed in rows]
    return np.repeat(np.asarray([owner for owner, _ in rows], dtype=np.int64), counts), partners


def distance_to_score(distance: int) -> float:
    return similarity(distance)
