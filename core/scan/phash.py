"""pHash: a 64-bit perceptual hash from the low frequencies of a 32×32 DCT (as in imagehash and pHash.org).

Robust to resizing, recompression and mild colour edits; not to crops, flips or rotations (the copy tier's
learned embeddings cover those).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

HASH_BITS = 64
_SIZE = 32
_LOW = 8


def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return np.asarray(matrix, dtype=np.float64)


_DCT = _dct_matrix(_SIZE)[:_LOW]
_WEIGHTS = (1 << np.arange(HASH_BITS - 1, -1, -1, dtype=np.uint64)).astype(np.uint64)


def phash(image: Image.Image) -> int:
    """The image's pHash as a signed 64-bit int (the form SQLite stores)."""
    # A box filter is a sound low-pass for this much downscaling and six times cheaper than Lanczos.
    gray = image.convert("L").resize((_SIZE, _SIZE), Image.Resampling.BOX)
    pixels = np.asarray(gray, dtype=np.float64)
    low = _DCT @ pixels @ _DCT.T
    bits = (low > np.median(low)).ravel().astype(np.uint64)
    value = int((bits * _WEIGHTS).sum(dtype=np.uint64))
    return value - (1 << 64) if value >= 1 << 63 else value


def similarity(distance: int | float) -> float:
    return 1.0 - float(distance) / HASH_BITS
