"""Which member of a group to keep: rules in a person's order of priority, protected folders never offered.

The defaults pick what a photographer would: the camera original (capture time and camera in its metadata) over
conversions and exports of it; real resolution over upscales; original-looking folders over backups, exports and
chat apps; then file size, format and capture time. A file without camera metadata in a group that holds a camera
original is a copy of it, made after it: it carries no more of the photo than the original does, so its larger
pixel count (an upscale), larger file (a lossless re-encode) or "better" format (a PNG or TIFF of a JPEG) never
beats the original's, whatever the order of the rules. Every choice comes with its reason (core/tiers/keep_reasons.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.entities import FileInfo
from core.places import is_inside
from core.tiers.keep_paths import path_look
from core.tiers.keep_reasons import Loss, protected_reason, rules_reason


class KeepRule(StrEnum):
    ORIGINAL = "original"
    RESOLUTION = "resolution"
    PATH = "path"
    FILE_SIZE = "file_size"
    FORMAT = "format"
    CAPTURE_TIME = "capture_time"


DEFAULT_RULES: tuple[KeepRule, ...] = (
    KeepRule.ORIGINAL,
    KeepRule.RESOLUTION,
    KeepRule.PATH,
    KeepRule.FILE_SIZE,
    KeepRule.FORMAT,
    KeepRule.CAPTURE_TIME,
)
# What settings stored as the default before the camera-original rule existed: read as today's default.
_FORMER_DEFAULT = "resolution,file_size,format,capture_time,path"
RULE_LABELS = {
    KeepRule.ORIGINAL: "Camera original (capture time and camera in its metadata) over conversions and exports",
    KeepRule.RESOLUTION: "Highest real resolution (an upscale of the camera original does not count)",
    KeepRule.PATH: "Original-looking folder (DCIM, camera, date) over backups, exports, chat apps, 'to sort'",
    KeepRule.FILE_SIZE: "Largest file",
    KeepRule.FORMAT: "Best format (RAW, HEIC, PNG/TIFF, JPEG, WebP; a PNG of a JPEG original is no better)",
    KeepRule.CAPTURE_TIME: "Earliest capture time",
}
# Lower is better: originals and lossless formats before lossy re-encodes.
FORMAT_RANK = {"RAW": 0, "HEIF": 1, "HEIC": 1, "AVIF": 2, "PNG": 3, "TIFF": 3, "JPEG": 4, "MPO": 4, "WEBP": 5}
UNKNOWN_FORMAT_RANK = 6


def is_camera_original(info: FileInfo) -> bool:
    return bool(info.captured_at and info.camera)


def format_rank(info: FileInfo) -> int:
    return FORMAT_RANK.get(info.format.upper(), UNKNOWN_FORMAT_RANK)


@dataclass(frozen=True)
class Originals:
    """The best of a group's camera originals on each measure: what no copy of them can beat."""

    present: bool = False
    pixels: int = 0
    size: int = 0
    format_rank: int = UNKNOWN_FORMAT_RANK

    @classmethod
    def of(cls, files: Sequence[FileInfo]) -> Originals:
        found = [f for f in files if is_camera_original(f)]
        if not found:
            return cls()
        return cls(
            True, max(f.width * f.height for f in found), max(f.size for f in found), min(map(format_rank, found))
        )

    def derived(self, info: FileInfo) -> bool:
        """A copy made from a camera original of the group: it has no camera metadata of its own."""
        return self.present and not is_camera_original(info)


Key = tuple[object, ...]


def _capped(value: int, best: int, derived: bool) -> tuple[int, int]:
    """Lower is better. A derived file never beats the originals' best, and ties with it come after it (flag 1)."""
    if derived and value < best:
        return best, 1
    return value, 0


def _original_key(info: FileInfo, _originals: Originals) -> Key:
    return (-(bool(info.captured_at) + bool(info.camera)),)


def _resolution_key(info: FileInfo, originals: Originals) -> Key:
    return _capped(-(info.width * info.height), -originals.pixels, originals.derived(info))


def _size_key(info: FileInfo, originals: Originals) -> Key:
    return _capped(-info.size, -originals.size, originals.derived(info))


def _format_key(info: FileInfo, originals: Originals) -> Key:
    return _capped(format_rank(info), originals.format_rank, originals.derived(info))


def _capture_key(info: FileInfo, _originals: Originals) -> Key:
    return (info.captured_at or "9999",)


def _path_key(info: FileInfo, _originals: Originals) -> Key:
    return path_look(info.path).key()


RULE_KEYS: dict[KeepRule, Callable[[FileInfo, Originals], Key]] = {
    KeepRule.ORIGINAL: _original_key,
    KeepRule.RESOLUTION: _resolution_key,
    KeepRule.PATH: _path_key,
    KeepRule.FILE_SIZE: _size_key,
    KeepRule.FORMAT: _format_key,
    KeepRule.CAPTURE_TIME: _capture_key,
}


def is_protected(path: str, protected: Sequence[str]) -> bool:
    """Whether a catalogued path lies in a protected folder; both canonical (core.places.canonical_path: the
    catalog stores canonical paths, the library canonical folders, and grouping canonicalises what it is given)."""
    return any(is_inside(path, folder) for folder in protected)


def rule_keys(info: FileInfo, rules: Sequence[KeepRule], originals: Originals) -> list[Key]:
    return [RULE_KEYS[rule](info, originals) for rule in rules]


def rank(files: Sequence[FileInfo], rules: Sequence[KeepRule] = DEFAULT_RULES) -> list[FileInfo]:
    """Best first; ties broken by path so the order is stable."""
    originals = Originals.of(files)
    return sorted(files, key=lambda f: (*rule_keys(f, rules, originals), f.path))


@dataclass(frozen=True)
class KeepChoice:
    keep: frozenset[int]
    reason: str  # a short sentence comparing the kept file with the others


def choose_keep(
    files: Sequence[FileInfo], rules: Sequence[KeepRule] = DEFAULT_RULES, protected: Sequence[str] = ()
) -> KeepChoice:
    """The ids to keep (the best file, or every file in a protected folder; never empty for a non-empty group)
    and why."""
    if not files:
        return KeepChoice(frozenset(), "")
    kept = [f for f in files if is_protected(f.path, protected)]
    if kept:
        return KeepChoice(frozenset(f.id for f in kept), protected_reason(kept, files))
    originals = Originals.of(files)
    ranked = rank(files, rules)
    winner = rule_keys(ranked[0], rules, originals)
    losses = [Loss(f, _deciding_rule(winner, rule_keys(f, rules, originals), rules)) for f in ranked[1:]]
    order = {rule: index for index, rule in enumerate(rules)}
    losses.sort(key=lambda loss: len(rules) if loss.rule is None else order[KeepRule(loss.rule)])
    lead = next((rule for rule in rules if any(loss.rule == rule for loss in losses)), None)
    return KeepChoice(frozenset({ranked[0].id}), rules_reason(ranked[0], losses, lead, originals))


def _deciding_rule(winner: list[Key], loser: list[Key], rules: Sequence[KeepRule]) -> KeepRule | None:
    """The first rule on which the loser ranks below the winner; None when only the path order parted them."""
    return next((rule for rule, w, k in zip(rules, winner, loser, strict=True) if w != k), None)


def suggest_keep(
    files: Sequence[FileInfo], rules: Sequence[KeepRule] = DEFAULT_RULES, protected: Sequence[str] = ()
) -> set[int]:
    """Ids to keep: the best file, plus every file in a protected folder. Never empty for a non-empty group."""
    return set(choose_keep(files, rules, protected).keep)


def parse_rules(text: str) -> tuple[KeepRule, ...]:
    """Stored rule names in order; names this version does not know are skipped, and rules the stored order
    lacks follow it in the default order. The former default (stored before the camera-original rule) reads as
    today's default: the person chose no order then, the program did."""
    if text.replace(" ", "") == _FORMER_DEFAULT:
        return DEFAULT_RULES
    known = {str(rule) for rule in KeepRule}
    rules = tuple(dict.fromkeys(KeepRule(part.strip()) for part in text.split(",") if part.strip() in known))
    return rules + tuple(rule for rule in DEFAULT_RULES if rule not in rules)
