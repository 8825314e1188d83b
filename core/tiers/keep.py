"""Which member of a group to keep: rules in a person's order of priority, protected folders never offered."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from enum import StrEnum

from core.entities import FileInfo
from core.places import is_inside


class KeepRule(StrEnum):
    RESOLUTION = "resolution"
    FILE_SIZE = "file_size"
    FORMAT = "format"
    CAPTURE_TIME = "capture_time"
    PATH = "path"


DEFAULT_RULES: tuple[KeepRule, ...] = (
    KeepRule.RESOLUTION,
    KeepRule.FILE_SIZE,
    KeepRule.FORMAT,
    KeepRule.CAPTURE_TIME,
    KeepRule.PATH,
)
RULE_LABELS = {
    KeepRule.RESOLUTION: "Highest resolution",
    KeepRule.FILE_SIZE: "Largest file",
    KeepRule.FORMAT: "Best format (RAW, HEIC, PNG/TIFF, JPEG, WebP)",
    KeepRule.CAPTURE_TIME: "Earliest capture time",
    KeepRule.PATH: "Original-looking path (not a copy, backup or export)",
}
# Lower is better: originals and lossless formats before lossy re-encodes.
FORMAT_RANK = {"RAW": 0, "HEIF": 1, "HEIC": 1, "AVIF": 2, "PNG": 3, "TIFF": 3, "JPEG": 4, "MPO": 4, "WEBP": 5}
_COPY_LIKE = re.compile(
    r"(copy|kopie|copie|\(\d+\)|[-_ ]\d{1,2}$|whatsapp|telegram|backup|export|resized|thumb|screenshot|edited)",
    re.IGNORECASE,
)


def _path_penalty(info: FileInfo) -> tuple[int, int, str]:
    return _path_penalty_of(info.path)


@functools.lru_cache(maxsize=1 << 18)
def _path_penalty_of(path: str) -> tuple[int, int, str]:
    """Cached: regrouping at a new threshold ranks the same paths again (two regexes per path add up at 100k)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    copy_like = len(_COPY_LIKE.findall(stem)) + len(_COPY_LIKE.findall(os.path.dirname(path)))
    return copy_like, len(path), path


_RULE_KEYS: dict[KeepRule, Callable[[FileInfo], object]] = {
    KeepRule.RESOLUTION: lambda f: -(f.width * f.height),
    KeepRule.FILE_SIZE: lambda f: -f.size,
    KeepRule.FORMAT: lambda f: FORMAT_RANK.get(f.format.upper(), 6),
    KeepRule.CAPTURE_TIME: lambda f: f.captured_at or "9999",
    KeepRule.PATH: _path_penalty,
}


def is_protected(path: str, protected: Sequence[str]) -> bool:
    """Whether a catalogued path lies in a protected folder; both canonical (core.places.canonical_path: the
    catalog stores canonical paths, the library canonical folders, and grouping canonicalises what it is given)."""
    return any(is_inside(path, folder) for folder in protected)


def rank(files: Sequence[FileInfo], rules: Sequence[KeepRule] = DEFAULT_RULES) -> list[FileInfo]:
    """Best first; ties broken by path so the order is stable."""
    keys = [_RULE_KEYS[rule] for rule in rules]
    return sorted(files, key=lambda f: (*[key(f) for key in keys], f.path))


def suggest_keep(
    files: Sequence[FileInfo], rules: Sequence[KeepRule] = DEFAULT_RULES, protected: Sequence[str] = ()
) -> set[int]:
    """Ids to keep: the best file, plus every file in a protected folder. Never empty for a non-empty group."""
    if not files:
        return set()
    keep = {f.id for f in files if is_protected(f.path, protected)}
    if not keep:
        keep.add(rank(files, rules)[0].id)
    return keep


def parse_rules(text: str) -> tuple[KeepRule, ...]:
    rules = tuple(KeepRule(part.strip()) for part in text.split(",") if part.strip())
    missing = [rule for rule in DEFAULT_RULES if rule not in rules]
    return rules + tuple(missing)
