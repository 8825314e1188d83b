"""Every pair of 64-bit hashes within a Hamming distance, exactly: each new hash against the old ones and the new
ones before it, in cache-sized tiles, on every core.

Why no index: at the distance the perceptual tier stores (16 of 64 bits) an index cannot skip much. Multi-index
hashing (four 16-bit parts, budgets 5+4+4+4 by the general pigeonhole principle) still probes 4,608 buckets and
verifies about 7 % of all hashes per query; in numpy that measured ~500 µs per query over 100,000 hashes, against
~65 µs for this scan of the lower triangle (1.1-1.5 ns per pair: XOR, popcount and compare on uint64 tiles). A
BK-tree fares worse: unrelated pHashes lie about 32 ± 4 bits apart, so a 16-bit radius prunes almost no subtree.
The pairs themselves grow as N² at that radius (1 in 2,300 pairs of benchmarks/scale_bench.py's distinct photos
lies within 16), so the work left is kept small and parallel rather than avoided.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

# Tiles of 32 queries × 4,096 hashes (1 MiB of uint64) stay in a core's L2 cache; measured fastest of 8-64 × 2-32 K.
_QUERIES = 32
_COLUMNS = 4096
# Queries handed to the threads between two reports (numpy releases the GIL inside each ufunc).
_WAVE = 2048


@dataclass(frozen=True)
class Pairs:
    """Close pairs as parallel arrays of positions in old + new, each `later` after its `earlier`."""

    later: np.ndarray
    earlier: np.ndarray

    def __len__(self) -> int:
        return len(self.later)


def as_unsigned(hashes: list[int] | np.ndarray) -> np.ndarray:
    """Hashes as uint64 (SQLite stores them as signed 64-bit ints; the bits are the same)."""
    return np.asarray(hashes, dtype=np.int64).view(np.uint64)


def new_pairs(
    old: np.ndarray, new: np.ndarray, max_distance: int, threads: int | None = None
) -> Iterator[tuple[int, Pairs]]:
    """(new hashes done, pairs found among them) for successive runs of the new hashes: each new hash is paired
    with every old hash and every earlier new hash within max_distance, so each pair comes once. Positions count
    the old hashes first, then the new ones."""
    hashes = np.ascontiguousarray(np.concatenate([old, new]))
    starts = range(len(old), len(hashes), _QUERIES)
    with ThreadPoolExecutor(threads or min(4, os.cpu_count() or 1)) as pool:
        for wave in range(0, len(starts), _WAVE // _QUERIES):
            blocks = starts[wave : wave + _WAVE // _QUERIES]
            found = list(pool.map(lambda start: _pairs_before(hashes, start, max_distance), blocks))
            done = min(blocks[-1] + _QUERIES, len(hashes)) - len(old)
            yield done, Pairs(*(np.concatenate([p[i] for p in found]) for i in (0, 1)))


def _pairs_before(hashes: np.ndarray, start: int, max_distance: int) -> tuple[np.ndarray, np.ndarray]:
    """(later, earlier) positions of the pairs within max_distance between hashes[start:start + _QUERIES] and
    every hash before each of them."""
    stop = min(start + _QUERIES, len(hashes))
    queries = hashes[start:stop, None]
    xor = np.empty((stop - start, _COLUMNS), dtype=np.uint64)
    bits = np.empty(xor.shape, dtype=np.uint8)
    close = np.empty(xor.shape, dtype=np.bool_)
    later, earlier = [], []
    for left in range(0, stop, _COLUMNS):
        width = min(_COLUMNS, stop - left)
        np.bitwise_xor(queries, hashes[None, left : left + width], out=xor[:, :width])
        np.bitwise_count(xor[:, :width], out=bits[:, :width])
        np.less_equal(bits[:, :width], max_distance, out=close[:, :width])
        if not close[:, :width].any():  # most tiles: cheaper than looking for the positions
            continue
        row, column = np.divmod(np.flatnonzero(close[:, :width]), width)
        row += start
        column += left
        before = column < row
        later.append(row[before])
        earlier.append(column[before])
    nothing = np.empty(0, dtype=np.int64)
    return np.concatenate([nothing, *later]), np.concatenate([nothing, *earlier])
