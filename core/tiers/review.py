"""The review of one tier's groups, without Qt: which members are marked for the trash, auto-select by the keep
rules, and the TrashRequest that the marks make. The Qt item model (ui/review/model.py) reads from a ReviewState
and forwards the person's edits to it, as dupeGuru keeps marks in Qt-free objects tested without a window.

Two rules hold after every edit, so the review never offers what the safety layer (core/safety/trash.py) would
refuse anyway:
- a protected member (in a protected folder) is never marked;
- a group keeps an unmarked member: its last unmarked member cannot be marked.

A grouping is shown as a ShownGroups: one list of rows (each group's header, then its members) with where each file
is, built where the groups are made (off the GUI thread), so showing 20,000 groups costs the thread that shows them
nothing per file; a regroup then costs the marks in force, not the files on show.

Marks are keyed by file id and content hash. A regroup (another tier or threshold, a rescan, a trash or an undo)
keeps the marks of files shown again with the same bytes and drops those whose file changed; marks of files not on
show are kept aside and count for nothing until a grouping shows them again, so a look at another tier loses no work.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from core.entities import DuplicateGroup, GroupMember, TrashRequest

PROTECTED = "it is in a protected folder"
LAST_COPY = "it is the last unmarked copy in its group"
NOT_SHOWN = "it is not in a group on show"

Place = tuple[int, int]  # (group row, member row) in the groups on show


@dataclass(frozen=True)
class MarkChange:
    """What an edit did: the files whose mark flipped, and the marks it would not make (file id, why)."""

    changed: frozenset[int] = field(default_factory=frozenset)
    refused: tuple[tuple[int, str], ...] = ()

    def __or__(self, other: MarkChange) -> MarkChange:
        return MarkChange(self.changed | other.changed, self.refused + other.refused)


def extras(group: DuplicateGroup) -> list[GroupMember]:
    """The members the keep rules do not keep (a protected member is always kept)."""
    return [m for m in group.members if not m.keep and not m.protected]


def reclaimable(group: DuplicateGroup) -> int:
    """Bytes the keep rules would free in a group."""
    return sum(m.file.size for m in extras(group))


def find_member(groups: Sequence[DuplicateGroup], file_id: int) -> Place | None:
    """Where a file is first shown in these groups."""
    for g_row, group in enumerate(groups):
        for m_row, member in enumerate(group.members):
            if member.file.id == file_id:
                return g_row, m_row
    return None


@dataclass(frozen=True, eq=False)
class ShownGroups:
    """Groups laid out as one list of rows, each group's header row followed by a row per member, with every place
    a file is shown and the paths on show. Immutable: built once per grouping, in the thread that made it."""

    groups: tuple[DuplicateGroup, ...] = ()
    places: Mapping[int, tuple[Place, ...]] = field(default_factory=dict)
    header_rows: tuple[int, ...] = ()  # the row of each group's header
    paths: frozenset[str] = frozenset()

    @classmethod
    def of(cls, groups: Iterable[DuplicateGroup]) -> ShownGroups:
        shown = tuple(groups)
        places: dict[int, list[Place]] = {}
        for g_row, group in enumerate(shown):
            for m_row, member in enumerate(group.members):
                places.setdefault(member.file.id, []).append((g_row, m_row))
        headers = tuple(accumulate((1 + len(g.members) for g in shown[:-1]), initial=0)) if shown else ()
        paths = frozenset(m.file.path for g in shown for m in g.members)
        return cls(shown, {i: tuple(found) for i, found in places.items()}, headers, paths)

    @property
    def row_count(self) -> int:
        return self.header_rows[-1] + 1 + len(self.groups[-1].members) if self.groups else 0

    def row_of(self, g_row: int, m_row: int | None = None) -> int:
        """The row of a group's header (m_row None) or of one of its members."""
        return self.header_rows[g_row] + (0 if m_row is None else 1 + m_row)

    def place_of_row(self, row: int) -> tuple[int, int | None]:
        """(group row, member row) shown on a row; member row None on a group's header."""
        g_row = bisect_right(self.header_rows, row) - 1
        offset = row - self.header_rows[g_row]
        return g_row, (None if offset == 0 else offset - 1)


class ReviewState:
    def __init__(self, groups: Iterable[DuplicateGroup] | ShownGroups = ()) -> None:
        self._shown = ShownGroups()
        self._marks: dict[int, str] = {}  # file id -> the content hash it had when marked
        self.set_groups(groups)

    # --- the groups on show -----------------------------------------------------------------------------------

    @property
    def groups(self) -> tuple[DuplicateGroup, ...]:
        return self._shown.groups

    @property
    def shown(self) -> ShownGroups:
        return self._shown

    @property
    def _groups(self) -> tuple[DuplicateGroup, ...]:
        return self._shown.groups

    @property
    def _places(self) -> Mapping[int, tuple[Place, ...]]:
        return self._shown.places

    def set_groups(self, groups: Iterable[DuplicateGroup] | ShownGroups) -> MarkChange:
        """Show a new grouping; returns the marks it dropped (changed files, protected ones, a group's last copy).
        Costs the marks in force when handed a ShownGroups; the files on show only when it must lay them out."""
        self._shown = groups if isinstance(groups, ShownGroups) else ShownGroups.of(groups)
        stale = {i for i in self._marks if i in self._places and (self._bytes_changed(i) or self._is_protected(i))}
        for file_id in stale:
            del self._marks[file_id]
        return MarkChange(frozenset(stale)) | self._leave_a_copy_in_each_group()

    def places(self, file_id: int) -> tuple[Place, ...]:
        """Every (group row, member row) that shows this file; empty when it is not on show."""
        return self._places.get(file_id, ())

    def member(self, file_id: int) -> GroupMember:
        g_row, m_row = self._places[file_id][0]
        return self._groups[g_row].members[m_row]

    # --- reading the marks ----------------------------------------------------------------------------------

    def is_marked(self, file_id: int) -> bool:
        """Marked for the trash, and on show."""
        return file_id in self._marks and file_id in self._places

    def refusal(self, file_id: int) -> str | None:
        """Why this file cannot be marked now; None when it can (or already is)."""
        if file_id not in self._places:
            return NOT_SHOWN
        if self.is_marked(file_id):
            return None
        if self._is_protected(file_id):
            return PROTECTED
        if any(self._unmarked_others(g_row, file_id) == 0 for g_row, _ in self._places[file_id]):
            return LAST_COPY
        return None

    def can_mark(self, file_id: int) -> bool:
        return self.refusal(file_id) is None

    def marked_in(self, g_row: int) -> int:
        return sum(1 for m in self._groups[g_row].members if m.file.id in self._marks)

    def marked_members(self) -> list[GroupMember]:
        """The marked members on show, each file once, in the order the groups show them."""
        shown = sorted((self._places[i][0], i) for i in self._marks if i in self._places)
        return [self._groups[g_row].members[m_row] for (g_row, m_row), _ in shown]

    @property
    def marked_count(self) -> int:
        return sum(1 for i in self._marks if i in self._places)

    @property
    def marked_bytes(self) -> int:
        return sum(m.file.size for m in self.marked_members())

    def groups_with_marks(self) -> list[DuplicateGroup]:
        return [self._groups[g_row] for g_row in self._rows_with_marks()]

    def request(self) -> TrashRequest:
        """The marked files on show, with the groups they were marked in (the safety layer checks each group)."""
        ids = tuple(m.file.id for m in self.marked_members())
        return TrashRequest(file_ids=ids, groups=tuple(self.groups_with_marks()))

    # --- edits ----------------------------------------------------------------------------------------------

    def mark(self, file_ids: Iterable[int] = (), groups: Iterable[int] = ()) -> MarkChange:
        """Mark these members and the extras of these group rows, in order, each only if it may be marked."""
        changed: set[int] = set()
        refused: list[tuple[int, str]] = []
        for file_id in self._ids(file_ids, groups):
            reason = self.refusal(file_id)
            if reason is not None:
                refused.append((file_id, reason))
            elif file_id not in self._marks:
                self._marks[file_id] = self.member(file_id).file.content_hash
                changed.add(file_id)
        return MarkChange(frozenset(changed), tuple(refused))

    def unmark(self, file_ids: Iterable[int] = (), groups: Iterable[int] = ()) -> MarkChange:
        changed = {i for i in self._ids(file_ids, groups) if self._marks.pop(i, None) is not None}
        return MarkChange(frozenset(changed))

    def set_marked(self, file_ids: Iterable[int], marked: bool) -> MarkChange:
        return self.mark(file_ids) if marked else self.unmark(file_ids)

    def toggle(self, file_ids: Iterable[int] = (), groups: Iterable[int] = ()) -> MarkChange:
        """Mark them (members, and the extras of group rows); when that marks nothing new and some are marked,
        unmark them all. So Space flips a selection even where the every-copy rule leaves one unmarked."""
        ids = self._ids(file_ids, groups)
        attempt = self.mark(ids)
        if attempt.changed or not any(self.is_marked(i) for i in ids):
            return attempt
        return self.unmark(ids)

    def keep_only(self, file_id: int) -> MarkChange:
        """Keep this one, mark the rest: in every group that shows it, it is unmarked and the others marked
        (protected ones excepted)."""
        others = [m.file.id for g_row, _ in self.places(file_id) for m in self._groups[g_row].members]
        return self.unmark([file_id]) | self.mark(i for i in others if i != file_id and not self._is_protected(i))

    def keep_instead(self, file_id: int, kept_id: int) -> MarkChange:
        """Keep this marked file and mark the one kept in its place (the trash preview's answer to a file that
        carries metadata the kept one lacks). The swap is an unmark then a mark, so the rules still hold: a
        protected kept file stays unmarked (the refusal says so) and the group keeps a copy either way."""
        return self.unmark([file_id]) | self.mark([kept_id])

    def auto_select(self) -> MarkChange:
        """Mark what the keep rules do not keep in every group on show, and unmark what they keep.

        Files kept (or protected) anywhere are never chosen and end unmarked, so a chosen file whose every group
        keeps a member is marked without asking `refusal` (which counts each group's unmarked members: 0.9 s of
        1.3 s over 40,000 files); the others are asked."""
        kept = {m.file.id for g in self._groups for m in g.members if m.keep or m.protected}
        chosen = [m.file.id for g in self._groups for m in extras(g) if m.file.id not in kept]
        chosen_set = set(chosen)
        unmarked = self.unmark(i for i in self._places if i not in chosen_set)
        keeping = [any(m.keep or m.protected for m in g.members) for g in self._groups]
        safe = [i for i in chosen if all(keeping[g_row] for g_row, _ in self._places[i])]
        newly = {i for i in safe if i not in self._marks}
        self._marks.update((i, self.member(i).file.content_hash) for i in newly)
        safe_set = set(safe)
        return unmarked | MarkChange(frozenset(newly)) | self.mark(i for i in chosen if i not in safe_set)

    def clear(self) -> MarkChange:
        """Unmark every file, on show or not."""
        cleared = frozenset(self._marks)
        self._marks.clear()
        return MarkChange(cleared)

    # --- the rules ------------------------------------------------------------------------------------------

    def _ids(self, file_ids: Iterable[int], groups: Iterable[int]) -> list[int]:
        group_extras = (m.file.id for g_row in groups for m in extras(self._groups[g_row]))
        return list(dict.fromkeys([*file_ids, *group_extras]))

    def _bytes_changed(self, file_id: int) -> bool:
        """The file shown under this id is not the one that was marked (a rescan read other bytes)."""
        return self.member(file_id).file.content_hash != self._marks[file_id]

    def _is_protected(self, file_id: int) -> bool:
        return any(self._groups[g_row].members[m_row].protected for g_row, m_row in self._places[file_id])

    def _unmarked_others(self, g_row: int, file_id: int) -> int:
        return sum(1 for m in self._groups[g_row].members if m.file.id != file_id and m.file.id not in self._marks)

    def _rows_with_marks(self) -> list[int]:
        """The group rows that hold a marked file, in order (found from the marks, not by visiting every group)."""
        return sorted({g_row for i in self._marks for g_row, _ in self._places.get(i, ())})

    def _leave_a_copy_in_each_group(self) -> MarkChange:
        """After a regroup, a group whose members are all marked gets its kept member (else its first) back."""
        freed: set[int] = set()
        for group in (self._groups[g_row] for g_row in self._rows_with_marks()):
            if all(m.file.id in self._marks for m in group.members):
                spared = next((m for m in group.members if m.keep), group.members[0])
                del self._marks[spared.file.id]
                freed.add(spared.file.id)
        return MarkChange(frozenset(freed))
