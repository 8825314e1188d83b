"""Metadata that would go with a trashed file: what it carries (capture time, GPS, camera, rating, keywords) that
every file kept in its group lacks. The trash preview lists it per file, so a person can keep that file instead
(core.tiers.review.ReviewState.keep_instead) before the only copy with the location or the shutter time goes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.entities import DuplicateGroup, FileInfo

FIELDS: tuple[tuple[str, Callable[[FileInfo], bool]], ...] = (
    ("capture time", lambda f: bool(f.captured_at)),
    ("GPS location", lambda f: f.gps),
    ("camera", lambda f: bool(f.camera)),
    ("rating", lambda f: bool(f.rating)),
    ("keywords", lambda f: bool(f.keywords)),
)


@dataclass(frozen=True)
class MetadataWarning:
    file: FileInfo  # will be trashed
    kept: FileInfo  # the file its group keeps (the first, when it keeps several): the one to swap it with
    missing: tuple[str, ...]  # what `file` carries that no kept member of its group does

    @property
    def text(self) -> str:
        what = self.missing[0] if len(self.missing) == 1 else f"{', '.join(self.missing[:-1])} and {self.missing[-1]}"
        return f"carries {what}, which the kept file lacks"


def metadata_warnings(groups: Sequence[DuplicateGroup], leaving: Sequence[FileInfo]) -> tuple[MetadataWarning, ...]:
    """One warning per leaving file that carries metadata no staying member of its group has (its first such
    group), in the order of `leaving`."""
    leaving_ids = {f.id for f in leaving}
    found: dict[int, MetadataWarning] = {}
    for group in groups:
        staying = [m.file for m in group.members if m.file.id not in leaving_ids]
        if not staying:
            continue
        for member in group.members:
            if member.file.id in leaving_ids and member.file.id not in found:
                missing = tuple(name for name, has in FIELDS if has(member.file) and not any(map(has, staying)))
                if missing:
                    found[member.file.id] = MetadataWarning(member.file, _kept(group, staying), missing)
    return tuple(found[f.id] for f in leaving if f.id in found)


def _kept(group: DuplicateGroup, staying: list[FileInfo]) -> FileInfo:
    """The member the keep rules kept, if it stays; else the first that stays."""
    return next((m.file for m in group.members if m.keep and m.file in staying), staying[0])
