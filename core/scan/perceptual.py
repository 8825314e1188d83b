"""Perceptual-hash neighbour pairs, computed once per new file and stored for instant regrouping."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from core.cancel import NEVER_CANCELLED, CancelToken
from core.scan.phash import similarity
from core.store.catalog import Catalog

SOURCE = "phash"
# Pairs up to this Hamming distance are stored; the perceptual tier's threshold can move anywhere below it.
MAX_STORED_DISTANCE = 16
DEFAULT_DISTANCE = 10
_CHUNK = 128


def update_phash_neighbours(
    catalog: Catalog, on_progress: Callable[[int, int], None] = lambda d, t: None, cancel: CancelToken = NEVER_CANCELLED
) -> int:
    """Compare every not-yet-compared hash with all present hashes; returns how many files were compared."""
    new_ids, new_hashes = catalog.files.phashes(uncompared_only=True)
    if not new_ids:
        return 0
    all_ids_list, all_hashes_list = catalog.files.phashes()
    all_ids = np.asarray(all_ids_list, dtype=np.int64)
    all_hashes = np.asarray(all_hashes_list, dtype=np.int64)
    for start in range(0, len(new_ids), _CHUNK):
        cancel.raise_if_cancelled()
        ids = np.asarray(new_ids[start : start + _CHUNK], dtype=np.int64)
        hashes = np.asarray(new_hashes[start : start + _CHUNK], dtype=np.int64)
        pairs = _close_pairs(ids, hashes, all_ids, all_hashes)
        with catalog.transaction():
            catalog.neighbours.add(SOURCE, pairs)
            catalog.files.mark_phashes_compared(ids.tolist())
        on_progress(min(start + _CHUNK, len(new_ids)), len(new_ids))
    return len(new_ids)


def _close_pairs(
    ids: np.ndarray, hashes: np.ndarray, all_ids: np.ndarray, all_hashes: np.ndarray
) -> list[tuple[int, int, float]]:
    distances = np.bitwise_count(np.bitwise_xor(hashes[:, None], all_hashes[None, :]))
    rows, cols = np.nonzero(distances <= MAX_STORED_DISTANCE)
    pairs = []
    for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
        a, b = int(ids[row]), int(all_ids[col])
        if a != b:
            pairs.append((a, b, similarity(int(distances[row, col]))))
    return pairs


def distance_to_score(distance: int) -> float:
    return similarity(distance)
