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
    """The first that holds: same bytes; scored best turned upright (rotated); scored best with the crop undone,
    or another shape (cropped; sides swapped: rotated); the same shape at another pixel count (resized); the
    same pixels in another format (converted); else edited (recompressed, filtered, retouched).

    `via` is credited to a re-scoring only when it gained notably over the plain score (core.tiers.graph), so a
    resized copy stays resized. A crop that keeps the photo's shape and scores as a copy plainly reads resized."""
    if kept.content_hash == member.content_hash:
        return Relation.IDENTICAL
    if via == Via.ORIENTED:
        return Relation.ROTATED
    if via == Via.ALIGNED:
        return Relation.CROPPED
    kept_aspect, member_aspect = _aspect(kept), _aspect(member)
    if not _close(kept_aspect, member_aspect):
        return Relation.ROTATED if _close(kept_aspect, 1 / member_aspect) else Relation.CROPPED
    if kept.width * kept.height != member.width * member.height:
        return Relation.RESIZED
    if kept.format.upper() != member.format.upper():
        return Relation.CONVERTED
    return Relation.EDITED


def _aspect(info: FileInfo) -> float:
    return max(info.width, 1) / max(info.height, 1)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= SAME_ASPECT * max(a, b)
