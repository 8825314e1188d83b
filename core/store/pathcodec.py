"""Store any file name SQLite can hold.

POSIX file names are bytes; Python maps bytes that are not UTF-8 to lone surrogates (U+DC80..U+DCFF), which
SQLite cannot store. We map those surrogates to plane-16 private-use code points (U+10FF80..U+10FFFF), a
reversible mapping that leaves every valid UTF-8 name unchanged.
"""

from __future__ import annotations

_OFFSET = 0x10FF80 - 0xDC80
_TO_DB = {cp: cp + _OFFSET for cp in range(0xDC80, 0xDD00)}
_FROM_DB = {cp + _OFFSET: cp for cp in range(0xDC80, 0xDD00)}


def to_db(path: str) -> str:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return path.translate(_TO_DB)
    return path


def from_db(stored: str) -> str:
    if stored.isascii():
        return stored
    return stored.translate(_FROM_DB)


def display(path: str) -> str:
    """A printable form of a path for messages and JSON (undecodable bytes shown as U+FFFD)."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
