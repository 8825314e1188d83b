"""Store every file name the OS can give, as SQLite text, and read it back exactly.

A Python path may hold lone surrogates, which SQLite text cannot: POSIX maps bytes that are not UTF-8 to
U+DC80..U+DCFF, and Windows names may hold any unpaired UTF-16 surrogate. Each is stored as ESC (U+10FFFF)
followed by one plane-16 private-use character (U+10F000 + its offset from U+D800), and a real ESC as ESC ESC.
Every other character, U+10FF80..U+10FFFE included, is stored as itself, so a valid UTF-8 name is stored
unchanged. The mapping is character by character: the stored form of a folder is a prefix of the stored form
of every path below it, which the catalog's range queries rely on (core/store/sql.py).

The first codec (schema 4 and before) stored a surrogate U+DC80+n as U+10FF80+n, which a real name holding
those characters could not be told from; migration 5 re-encodes what it stored (`from_codec1`).
"""

from __future__ import annotations

import json
import re

ESC = "\U0010ffff"
_SURROGATE_BASE = 0x10F000  # ESC + chr(_SURROGATE_BASE + n) stands for chr(0xD800 + n)
_SPECIAL = re.compile("[\ud800-\udfff\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return ESC + (ESC if char == ESC else chr(_SURROGATE_BASE + ord(char) - 0xD800))


def to_db(path: str) -> str:
    if path.isascii():
        return path
    return _SPECIAL.sub(_escape, path)


def from_db(stored: str) -> str:
    if ESC not in stored:
        return stored
    out: list[str] = []
    chars = iter(stored)
    for char in chars:
        if char == ESC:
            char = _unescape(next(chars, ""))
        out.append(char)
    return "".join(out)


def _unescape(code: str) -> str:
    if code == ESC:
        return ESC
    if code and 0 <= ord(code) - _SURROGATE_BASE < 0x800:
        return chr(0xD800 + ord(code) - _SURROGATE_BASE)
    raise ValueError(f"not a stored path: ESC followed by {code!r}")


def display(path: str) -> str:
    """A printable form of a path for messages and JSON (each undecodable byte or lone surrogate shown as
    U+FFFD)."""
    return _SURROGATE.sub("\ufffd", path)


# --- the first codec, for migration 5 --------------------------------------------------------------------------

_CODEC1_OFFSET = 0x10FF80 - 0xDC80
_FROM_CODEC1 = {code + _CODEC1_OFFSET: code for code in range(0xDC80, 0xDD00)}


def from_codec1(stored: str) -> str:
    """A path as the first codec stored it, stored as this one does (its U+10FF80..U+10FFFF were surrogates)."""
    if stored.isascii():
        return stored
    return to_db(stored.translate(_FROM_CODEC1))


def roots_from_codec1(stored: str) -> str:
    """A scan's roots (a JSON list of stored paths) as the first codec stored them, stored as this one does."""
    return json.dumps([from_codec1(root) for root in json.loads(stored)])
