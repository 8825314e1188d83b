"""The review's marks without Qt: auto-select, toggles, the every-copy rule, protected members, regroups, requests."""

from __future__ import annotations

import itertools
import random

import pytest

from core.entities import DuplicateGroup, FileInfo, GroupMember, Tier, TrashRequest
from core.safety.trash import request_extras
from core.tiers.review import LAST_COPY, NOT_SHOWN, PROTECTED, ReviewState, extras, find_member, reclaimable


def member(
    file_id: int, size: int = 1000, keep: bool = False, protected: bool = False, content: str = ""
) -> GroupMember:
    info = FileInfo(file_id, f"/photos/{file_id}.jpg", size, 0, content or f"h{file_id}", 640, 480, "JPEG")
    return GroupMember(info, 1.0, keep=keep or protected, protected=protected)


def group(*members: GroupMember, name: str = "g") -> DuplicateGroup:
    return DuplicateGroup(id=name, tier=Tier.EXACT, members=tuple(members))


def three_groups() -> list[DuplicateGroup]:
    """Group 0: 1 (keep), 2, 3. Group 1: 4 (keep), 5. Group 2: 6 (protected, kept), 7, 8."""
    return [
        group(member(1, keep=True), member(2, size=200), member(3, size=300), name="a"),
        group(member(4, keep=True), member(5, size=500), name="b"),
        group(member(6, protected=True), member(7, size=700), member(8, size=800), name="c"),
    ]


def marked(state: ReviewState) -> list[int]:
    return [m.file.id for m in state.marked_members()]


# --- auto-select ----------------------------------------------------------------------------------------------


def test_auto_select_marks_what_the_keep_rules_do_not_keep() -> None:
    state = ReviewState(three_groups())
    change = state.auto_select()
    assert marked(state) == [2, 3, 5, 7, 8]
    assert change.changed == {2, 3, 5, 7, 8} and not change.refused
    assert state.marked_count == 5 and state.marked_bytes == 200 + 300 + 500 + 700 + 800
    assert [state.marked_in(g) for g in range(3)] == [2, 1, 2]


def test_auto_select_unmarks_what_the_keep_rules_keep() -> None:
    state = ReviewState(three_groups())
    state.mark([1])
    state.auto_select()
    assert not state.is_marked(1) and marked(state) == [2, 3, 5, 7, 8]


def test_auto_select_in_a_group_without_a_kept_member_leaves_one() -> None:
    state = ReviewState([group(member(1), member(2), member(3))])
    change = state.auto_select()
    assert marked(state) == [1, 2] and change.refused == ((3, LAST_COPY),)


def test_extras_and_reclaimable_follow_the_keep_rules() -> None:
    first, _, protected = three_groups()
    assert [m.file.id for m in extras(first)] == [2, 3] and reclaimable(first) == 500
    assert [m.file.id for m in extras(protected)] == [7, 8]


# --- toggles and per-group edits -------------------------------------------------------------------------------


def test_toggle_marks_then_unmarks() -> None:
    state = ReviewState(three_groups())
    assert state.toggle([2]).changed == {2} and state.is_marked(2)
    assert state.toggle([2]).changed == {2} and not state.is_marked(2)


def test_toggle_a_mixed_selection_marks_first() -> None:
    state = ReviewState(three_groups())
    state.mark([2])
    state.toggle([2, 3])
    assert marked(state) == [2, 3]
    state.toggle([2, 3])
    assert marked(state) == []


def test_toggle_a_group_row_acts_on_its_extras() -> None:
    state = ReviewState(three_groups())
    state.toggle(groups=[0])
    assert marked(state) == [2, 3]
    state.toggle(groups=[0])
    assert marked(state) == []
    state.mark(groups=[1, 2])
    assert marked(state) == [5, 7, 8]
    state.unmark(groups=[2])
    assert marked(state) == [5]


def test_toggle_flips_back_where_the_every_copy_rule_stopped_a_mark() -> None:
    state = ReviewState(three_groups())
    state.mark([1])  # the person marks the kept one by hand
    first = state.toggle(groups=[0])
    assert marked(state) == [1, 2] and first.refused == ((3, LAST_COPY),)
    second = state.toggle(groups=[0])  # nothing more can be marked: Space unmarks
    assert second.changed == {2} and marked(state) == [1]


def test_keep_only_marks_the_rest_of_the_group() -> None:
    state = ReviewState(three_groups())
    state.auto_select()
    state.keep_only(3)
    assert [state.is_marked(i) for i in (1, 2, 3)] == [True, True, False]
    state.keep_only(7)  # the protected member is kept whatever is chosen
    assert [state.is_marked(i) for i in (6, 7, 8)] == [False, False, True]


def test_clear_unmarks_everything() -> None:
    state = ReviewState(three_groups())
    state.auto_select()
    assert state.clear().changed == {2, 3, 5, 7, 8} and state.marked_count == 0


# --- the every-copy rule and protected members -----------------------------------------------------------------


def test_the_last_unmarked_member_of_a_group_cannot_be_marked() -> None:
    state = ReviewState(three_groups())
    state.mark([5])
    assert state.refusal(4) == LAST_COPY and not state.can_mark(4)
    change = state.mark([4])
    assert change.refused == ((4, LAST_COPY),) and not change.changed and not state.is_marked(4)
    state.unmark([5])
    assert state.can_mark(4)


def test_marking_a_whole_group_stops_before_the_last_member() -> None:
    state = ReviewState(three_groups())
    change = state.mark([1, 2, 3])
    assert change.changed == {1, 2} and change.refused == ((3, LAST_COPY),)
    assert state.marked_in(0) == 2


def test_a_file_in_two_groups_keeps_a_copy_in_each() -> None:
    shared = member(9)
    state = ReviewState([group(member(1), shared, name="x"), group(shared, member(2), name="y")])
    state.mark([2])
    assert state.refusal(9) == LAST_COPY  # in y it would be the last one
    assert state.places(9) == ((0, 1), (1, 0))


def test_protected_members_are_never_marked() -> None:
    state = ReviewState(three_groups())
    assert state.refusal(6) == PROTECTED
    assert state.mark([6, 7]).refused == ((6, PROTECTED),)
    assert state.toggle([6]).refused == ((6, PROTECTED),) and not state.is_marked(6)
    state.keep_only(8)
    assert not state.is_marked(6)


def test_files_not_on_show_cannot_be_marked() -> None:
    state = ReviewState(three_groups())
    assert state.refusal(99) == NOT_SHOWN and state.mark([99]).refused == ((99, NOT_SHOWN),)


# --- regroups --------------------------------------------------------------------------------------------------


def test_a_regroup_keeps_the_marks_that_still_apply() -> None:
    state = ReviewState(three_groups())
    state.auto_select()
    looser = [
        group(member(1, keep=True), member(2), member(3), member(4), member(5), name="ab"),
        group(member(7, keep=True), member(8), name="c"),  # 6 gone (trashed, or another tier)
    ]
    change = state.set_groups(looser)
    assert marked(state) == [2, 3, 5, 8] and change.changed == {7}  # 7 is the last copy the new group keeps
    assert state.marked_in(0) == 3


def test_a_regroup_drops_marks_of_files_whose_bytes_changed() -> None:
    state = ReviewState(three_groups())
    state.mark([2, 5])
    rescanned = [group(member(1, keep=True), member(2, content="other bytes"), member(3)), three_groups()[1]]
    change = state.set_groups(rescanned)
    assert marked(state) == [5] and change.changed == {2}


def test_a_regroup_drops_marks_of_newly_protected_files() -> None:
    state = ReviewState(three_groups())
    state.mark([2])
    state.set_groups([group(member(1, keep=True), member(2, protected=True), member(3))])
    assert marked(state) == []


def test_a_regroup_never_leaves_a_group_all_marked() -> None:
    state = ReviewState([group(member(1), member(2), member(3), name="x"), group(member(4), member(5), name="y")])
    state.mark([2, 3, 5])
    state.set_groups([group(member(2), member(3, keep=True), member(5), name="merged")])
    assert marked(state) == [2, 5] and not state.is_marked(3)


def test_marks_off_show_wait_for_the_next_grouping_that_shows_them() -> None:
    exact = three_groups()
    state = ReviewState(exact)
    state.auto_select()
    state.set_groups([group(member(10, keep=True), member(11), name="other tier")])
    assert state.marked_count == 0 and not state.is_marked(2) and state.request().file_ids == ()
    state.set_groups(exact)
    assert marked(state) == [2, 3, 5, 7, 8]


# --- requests --------------------------------------------------------------------------------------------------


def test_request_holds_the_marked_files_and_their_groups() -> None:
    groups = three_groups()
    state = ReviewState(groups)
    state.mark([3, 8])
    assert state.request() == TrashRequest(file_ids=(3, 8), groups=(groups[0], groups[2]))


def test_nothing_marked_makes_an_empty_request() -> None:
    assert ReviewState(three_groups()).request() == TrashRequest((), ())


def test_request_extras_is_the_auto_selected_request() -> None:
    groups = three_groups()
    state = ReviewState(groups)
    state.auto_select()
    assert request_extras(groups) == state.request()
    assert request_extras(groups).file_ids == (2, 3, 5, 7, 8)


@pytest.mark.parametrize("seed", range(20))
def test_random_edits_never_mark_a_whole_group_or_a_protected_file(seed: int) -> None:
    rng = random.Random(seed)
    ids = itertools.count(1)
    groups = [
        group(*(member(next(ids), protected=rng.random() < 0.1) for _ in range(rng.randint(2, 5))), name=str(g))
        for g in range(6)
    ]
    state = ReviewState(groups)
    every = [m.file.id for g in groups for m in g.members]
    for _ in range(60):
        edit = rng.choice(["mark", "toggle", "keep_only", "auto", "unmark", "group"])
        if edit == "mark":
            state.mark(rng.sample(every, 3))
        elif edit == "toggle":
            state.toggle(rng.sample(every, 2))
        elif edit == "keep_only":
            state.keep_only(rng.choice(every))
        elif edit == "auto":
            state.auto_select()
        elif edit == "unmark":
            state.unmark(rng.sample(every, 2))
        else:
            state.toggle(groups=[rng.randrange(len(groups))])
        for g in groups:
            assert not all(state.is_marked(m.file.id) for m in g.members)
            assert not any(state.is_marked(m.file.id) for m in g.members if m.protected)
    assert find_member(groups, every[-1]) == (len(groups) - 1, len(groups[-1].members) - 1)


# --- the layout a grouping is shown in ----------------------------------------------------------------------------


def test_shown_groups_lay_out_a_header_row_then_the_members_of_each_group() -> None:
    from core.tiers.review import ShownGroups

    shown = ShownGroups.of(three_groups())
    assert shown.header_rows == (0, 4, 7)
    assert shown.row_count == 11
    every_row = [shown.place_of_row(row) for row in range(shown.row_count)]
    assert every_row[:5] == [(0, None), (0, 0), (0, 1), (0, 2), (1, None)]
    assert all(shown.row_of(*place) == row for row, place in enumerate(every_row))
    assert shown.places[5] == ((1, 1),)
    assert "/photos/7.jpg" in shown.paths and len(shown.paths) == 8
    assert ShownGroups.of([]).row_count == 0


def test_a_regroup_handed_its_layout_keeps_the_rules() -> None:
    """set_groups(ShownGroups) finds the groups to check from the marks: a group left all marked still gets a copy."""
    from core.tiers.review import ShownGroups

    state = ReviewState(ShownGroups.of(three_groups()))
    state.mark([2, 3, 5])
    change = state.set_groups(ShownGroups.of([group(member(2), member(3), name="both marked"), group(member(5))]))
    assert change.changed == {2, 5}  # the first member of each group left without an unmarked copy
    assert marked(state) == [3]
