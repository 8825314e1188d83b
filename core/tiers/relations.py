"""How a group member relates to the file its group keeps, decided from stored facts only (no decoding).

The facts: the content hash (same bytes), which comparison scored the pair best (plain, with one photo turned
upright: core/rescore/orientation.py, or with the crop undone: core/rescore/crops.py), the stored pixel size
(already turned upright by the EXIF orientation) and the format.
"""

from __future__ import annotations

from enum import StrEnum

from core.entities import FileInfo

# Two aspect ratios closer than this count as the same shape: a resize rounds each side to whole pixels, which
# moves the ratio of a 12 MP photo scaled to 320 px wide by about 0.3 %.
SAME_ASPECT = 0.01


class Relation(StrEnum):
    IDENTICAL = "identical"
    RESIZED = "resized"
    CONVERTED = "converted"
    EDITED = "edited"
    CROPPED = "cropped"
    ROTATED = "rotated"


class Via(StrEnum):
    """Which comparison gave a pair its best score (the neighbour source suffix it was stored under)."""

    PLAIN = ""
    ORIENTED = "oriented"
    ALIGNED = "aligned"


def relation(kept: FileInfo, member: FileInfo, via: Via = Via.PLAIN) -> Relation:
    """The first that holds: same bytes; sides swapped (turned a quarter); another shape (cropped); the same shape
    at another pixel count (resized); at the same size, scored best turned upright (rotated half a turn or
    flipped) or with the crop undone (cropped, then scaled back); another format (converted); else edited
    (recompressed, filtered, retouched).

    The shape comes before the re-scoring that won: both re-scorings embed 256 px thumbnails, which lifts plain
    resized copies as well (SSCD on a 400 x 300 photo and its half-size copy: plain 0.752, with the crop undone
    0.937, the crop box being the whole photo; an edited and a resized copy: plain 0.750, turned 0.784)."""
    if kept.content_hash == member.content_hash:
        return Relation.IDENTICAL
    kept_aspect, member_aspect = _aspect(kept), _aspect(member)
    if not _close(kept_aspect, member_aspect):
        return Relation.ROTATED if _close(kept_aspect, 1 / member_aspect) else Relation.CROPPED
    if kept.width * kept.height != member.width * member.height:
        return Relation.RESIZED
    if via == Via.ORIENTED:
        return Relation.ROTATED
    if via == Via.ALIGNED:
        return Relation.CROPPED
    if kept.format.upper() != member.format.upper():
        return Relation.CONVERTED
    return Relation.EDITED


def _aspect(info: FileInfo) -> float:
    return max(info.width, 1) / max(info.height, 1)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_ASPECT * max(a, b)
