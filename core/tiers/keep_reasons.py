"""The reason a keep suggestion carries: a short sentence comparing the kept file with the others, shown in the
Review and the compare view ("camera original with capture date; the PNG is a conversion without metadata").

core/tiers/keep.py decides; this module only phrases what decided: for the kept file the first rule that set it
apart, for each other file the rule on which it lost."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.entities import FileInfo
from core.tiers.keep_paths import path_look

if TYPE_CHECKING:
    from core.tiers.keep import Originals

MAX_PHRASES = 4  # beyond this the sentence stops being read; the rest is counted


@dataclass(frozen=True)
class Loss:
    file: FileInfo
    rule: str | None  # the KeepRule it lost on; None when only the path order parted it from the kept file


def protected_reason(kept: Sequence[FileInfo], files: Sequence[FileInfo]) -> str:
    if len(kept) == len(files):
        return "every file is in a protected folder"
    if len(kept) == 1:
        return "in a protected folder"
    return f"{len(kept)} files in protected folders"


def rules_reason(winner: FileInfo, losses: Sequence[Loss], lead: str | None, originals: Originals) -> str:
    phrases = [_why_kept(winner, lead, losses), *_why_not(winner, losses, originals)]
    if len(phrases) > MAX_PHRASES + 1:
        phrases = [*phrases[: MAX_PHRASES + 1], f"and {len(phrases) - MAX_PHRASES - 1} more"]
    return "; ".join(phrases)


# --- the kept file ----------------------------------------------------------------------------------------------


def _why_kept(winner: FileInfo, lead: str | None, losses: Sequence[Loss]) -> str:
    if lead is None:
        return "alike on every rule; kept the first by path"
    if lead == "original":
        if winner.captured_at and winner.camera:
            return "camera original with capture date"
        return "the only one with a capture date" if winner.captured_at else "the only one with camera metadata"
    if lead == "resolution":
        return f"largest resolution ({_pixels(winner)})"
    if lead == "path":
        return _path_kept(winner, [loss.file for loss in losses if loss.rule == "path"])
    if lead == "file_size":
        return f"largest file ({_size(winner.size)})"
    if lead == "format":
        return f"best format ({winner.format})"
    return "earliest capture time"


def _path_kept(winner: FileInfo, others: Sequence[FileInfo]) -> str:
    shared = set.intersection(*(set(path_look(f.path).original_like) for f in others)) if others else set()
    own = [part for part in path_look(winner.path).original_like if part not in shared]
    folders = [text for kind, text in own if kind != "camera file name"]
    if folders:
        kind = "camera" if any(kind == "camera folder" for kind, _ in own) else "date"
        return f"in a {kind} folder ({'/'.join(folders)})"
    if own:
        return "the camera's own file name"
    return "no copy-like folder or name"


# --- the others -------------------------------------------------------------------------------------------------


Said = tuple[str, str, str]  # (subject, predicate for one, predicate for several): alike predicates merge


def _why_not(winner: FileInfo, losses: Sequence[Loss], originals: Originals) -> list[str]:
    """One phrase per way of losing, in the order of the rules (the losses come in that order)."""
    in_folders = [loss.file for loss in losses if loss.rule == "path" and _copy_folders(loss.file, winner)]
    said: list[Said] = []
    for loss in losses:
        if loss.rule is None:
            continue
        if loss.file in in_folders:
            if loss.file is in_folders[0]:
                said.append(_in_copy_folders(winner, in_folders, len(losses)))
            continue
        said.append(_lost(loss.file, winner, loss.rule, originals, losses))
    merged: dict[tuple[str, str], list[str]] = {}
    for subject, one, several in said:
        merged.setdefault((one, several), []).append(subject)
    return [f"{_and(subjects)} {one if len(subjects) == 1 else several}" for (one, several), subjects in merged.items()]


def _lost(loser: FileInfo, winner: FileInfo, rule: str, originals: Originals, losses: Sequence[Loss]) -> Said:
    name = _name(loser, winner)
    derived = originals.derived(loser)
    if rule == "original":
        return _without_metadata(loser, winner, name, losses)
    if rule == "resolution":
        if derived and _area(loser) > _area(winner):
            pixels = _pixels(loser)
            return name, f"is an upscale ({pixels}) without camera metadata", f"are upscales ({pixels})"
        return name, f"is smaller ({_pixels(loser)})", f"are smaller ({_pixels(loser)})"
    if rule == "path":
        look = path_look(loser.path)
        if any(kind == "name" for kind, _ in look.edited):
            return name, "has an edited copy's name", "have edited copies' names"
        if any(kind == "name" for kind, _ in look.copied):
            return name, "has a copy's name", "have copies' names"
        return name, "is not in a camera or date folder", "are not in a camera or date folder"
    if rule == "file_size":
        if derived and loser.size > winner.size:
            return name, "is a larger re-encode without camera metadata", "are larger re-encodes without metadata"
        return name, f"is a smaller file ({_size(loser.size)})", "are smaller files"
    if rule == "format":
        if derived:
            return (
                f"the {loser.format}",
                f"is a re-encode of the {winner.format} original, no better than it",
                (f"are re-encodes of the {winner.format} original, no better than it"),
            )
        return name, f"is {loser.format}", f"are {loser.format}"
    if not loser.captured_at:
        return name, "has no capture time", "have no capture time"
    return name, "was taken later", "were taken later"


def _without_metadata(loser: FileInfo, winner: FileInfo, name: str, losses: Sequence[Loss]) -> Said:
    if loser.captured_at:
        return name, "has no camera in its metadata", "have no camera in their metadata"
    if loser.camera:
        return name, "has no capture date", "have no capture date"
    same_format = sum(1 for loss in losses if loss.rule == "original" and loss.file.format == loser.format)
    if loser.format != winner.format and same_format == 1:
        return f"the {loser.format}", "is a conversion without metadata", "are conversions without metadata"
    return name, "has no capture date or camera", "have no capture date or camera"


def _in_copy_folders(winner: FileInfo, losers: Sequence[FileInfo], all_losers: int) -> Said:
    folders = list(dict.fromkeys(folder for f in losers for folder in _copy_folders(f, winner)))
    where = _and([f"{folder}/" for folder in folders])
    if len(losers) > 1:  # a plural subject of its own: never merged with another phrase
        subject = "the others" if len(losers) == all_losers else _and([_name(f, winner) for f in losers])
        return subject, f"are in {where}", f"are in {where}"
    if len(losers) == all_losers:
        return "the other", f"is in {where}", f"are in {where}"
    if os.path.basename(losers[0].path) == os.path.basename(winner.path):
        return "a copy", f"is in {where}", f"are in {where}"
    return os.path.basename(losers[0].path), f"is in {where}", f"are in {where}"


def _copy_folders(loser: FileInfo, winner: FileInfo) -> list[str]:
    """The copy-like folders of the loser's path that the kept file's path does not share."""
    theirs = set(path_look(winner.path).copy_like)
    return [text for kind, text in path_look(loser.path).copy_like if kind == "folder" and (kind, text) not in theirs]


# --- words ------------------------------------------------------------------------------------------------------


def _name(loser: FileInfo, winner: FileInfo) -> str:
    """Its file name; for a file named like the kept one, the folder it is in."""
    name = os.path.basename(loser.path)
    if name != os.path.basename(winner.path):
        return name
    return f"the copy in {os.path.basename(os.path.dirname(loser.path))}/"


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _area(info: FileInfo) -> int:
    return info.width * info.height


def _pixels(info: FileInfo) -> str:
    return f"{info.width}×{info.height}"


def _size(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    value = size / 1000
    for unit in ("KB", "MB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"
