"""The Review stays virtual at scale: showing, scrolling and thumbnails arriving cost the rows in view, never every
row of 20,000 groups (the tree it replaced measured every row between the top and any row that changed)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QApplication

from core.entities import DuplicateGroup, FileInfo, GroupMember, Tier
from core.tiers.review import ShownGroups
from ui.ops.messages import GroupsResult
from ui.review.model import HEADERS, Column, GroupListModel
from ui.review.panel import tiers_holding
from ui.review.view import GROUP_ROW_HEIGHT, MEMBER_ROW_HEIGHT, GroupDelegate, GroupView
from ui.shell.collector import SlowRelease
from ui.shell.thumbnails import ThumbnailCache, _RequestQueue

MEMBERS = 5


def groups(count: int) -> list[DuplicateGroup]:
    made = []
    for g_row in range(count):
        members = []
        for m_row in range(MEMBERS):
            file_id = g_row * MEMBERS + m_row + 1
            info = FileInfo(file_id, f"/p/{g_row}/IMG_{file_id}.jpg", 1000, 0, f"h{g_row}", 640, 480, "JPEG")
            members.append(GroupMember(info, 1.0, keep=m_row == 0))
        made.append(DuplicateGroup(str(g_row), Tier.EXACT, tuple(members)))
    return made


@pytest.fixture
def shown_view(qtbot) -> Iterator[tuple[GroupListModel, GroupView, ThumbnailCache]]:  # type: ignore[no-untyped-def]
    cache = ThumbnailCache()
    model = GroupListModel(cache)
    view = GroupView(model)
    qtbot.addWidget(view)
    view.resize(1000, 700)
    view.show()
    qtbot.waitExposed(view)
    yield model, view, cache


class Counting:
    """Counts the delegate's sizeHint calls and the model's data/flags calls while it is installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        for cls, name in ((GroupDelegate, "sizeHint"), (GroupListModel, "data"), (GroupListModel, "flags")):
            monkeypatch.setattr(cls, name, self._counted(getattr(cls, name)))

    def _counted(self, method):  # type: ignore[no-untyped-def]
        def counted(*args):  # type: ignore[no-untyped-def]
            self.calls += 1
            return method(*args)

        return counted


def test_a_thumbnail_arriving_changes_only_its_cell(shown_view) -> None:  # type: ignore[no-untyped-def]
    model, _view, cache = shown_view
    model.set_groups(groups(20))
    changes: list[tuple[QModelIndex, QModelIndex, list[int]]] = []
    model.dataChanged.connect(lambda top, bottom, roles: changes.append((top, bottom, roles)))
    cache.thumbnail_ready.emit(model.groups[7].members[3].file.id)
    assert len(changes) == 1
    top, bottom, roles = changes[0]
    assert top == bottom == model.member_index(7, 3, Column.FILE)
    assert roles == [Qt.ItemDataRole.DecorationRole]


def test_a_thumbnail_far_below_the_view_measures_no_rows(shown_view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The tree measured every row between the top and the changed one: 84,000 sizeHint calls for 2,000 groups."""
    model, _view, cache = shown_view
    model.set_groups(ShownGroups.of(groups(2000)))
    QApplication.processEvents()
    counting = Counting(monkeypatch)
    for g_row in (1999, 1000, 3):
        cache.thumbnail_ready.emit(model.groups[g_row].members[-1].file.id)
    QApplication.processEvents()
    assert counting.calls < 500  # repainting the rows in view, at most


def test_showing_20000_groups_visits_only_the_rows_in_view(shown_view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, view, _cache = shown_view
    shown = ShownGroups.of(groups(20_000))
    counting = Counting(monkeypatch)
    model.set_groups(shown)
    QApplication.processEvents()
    assert model.rowCount() == 20_000 * (MEMBERS + 1)
    assert counting.calls < 2000  # the tree asked for each of the 120,000 rows' flags, and laid all out
    bar = view.verticalScrollBar()
    counting.calls = 0
    bar.setValue(bar.maximum() // 2)
    QApplication.processEvents()
    assert counting.calls < 2000


def test_group_rows_in_view_are_short_and_span_the_row(shown_view) -> None:  # type: ignore[no-untyped-def]
    model, view, _cache = shown_view
    model.set_groups(ShownGroups.of(groups(20_000)))
    for position in (0.0, 0.5, 1.0):
        bar = view.verticalScrollBar()
        bar.setValue(round(bar.maximum() * position))
        first, last = view.rows_in_view()
        assert last > first
        for row in range(first, last + 1):
            is_group = model.is_group_row(row)
            assert view.rowHeight(row) == (GROUP_ROW_HEIGHT if is_group else MEMBER_ROW_HEIGHT)
            assert view.columnSpan(row, 0) == (len(HEADERS) if is_group else 1)
    assert view.visualRect(model.group_index(19_999)).isValid()  # the last group is on screen at the bottom


def test_views_and_keys_still_find_their_groups(shown_view) -> None:  # type: ignore[no-untyped-def]
    model, view, _cache = shown_view
    model.set_groups(groups(30))
    assert view.current_group_row() == 0
    view.step_group(1)
    assert view.current_group_row() == 1 and model.member_at(view.currentIndex()) is model.groups[1].members[0]
    view.setCurrentIndex(model.group_index(4))
    assert model.member_at(view.currentIndex()) is None and model.group_at(view.currentIndex()) is model.groups[4]
    view.toggle_selected()  # Space on a group row marks the extras the keep rules do not keep
    assert [m.file.id for m in model.shown_marked()] == [m.file.id for m in model.groups[4].members[1:]]


def test_rows_out_of_view_drop_their_queued_thumbnails() -> None:
    queue = _RequestQueue()
    for file_id in range(10):
        queue.push(file_id)
    queue.retain([2, 7, 99])
    assert [queue.pop(), queue.pop(), queue.pop()] == [7, 2, None]


def test_a_scroll_keeps_only_the_rows_in_view_queued(shown_view, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    model, view, cache = shown_view
    retained: list[set[int]] = []
    monkeypatch.setattr(cache, "retain", lambda ids: retained.append(set(ids)))
    model.set_groups(ShownGroups.of(groups(1000)))
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    first, last = view.rows_in_view()
    assert retained[-1] == set(model.files_on_rows(first, last))
    assert 0 < len(retained[-1]) < 20


def test_a_result_carries_its_layout_and_says_which_tiers_hold_a_path() -> None:
    result = GroupsResult(Tier.EXACT, None, tuple(groups(3)))
    assert result.shown.groups is result.groups and result.shown.row_count == 3 * (MEMBERS + 1)
    assert tiers_holding({Tier.EXACT: result}, frozenset({"/p/2/IMG_15.jpg"})) == {Tier.EXACT}
    assert tiers_holding({Tier.EXACT: result}, frozenset({"/elsewhere.jpg"})) == set()


def test_a_replaced_grouping_is_freed_a_slice_at_a_time(qtbot) -> None:  # type: ignore[no-untyped-def]
    class Part:
        pass

    parts = [Part() for _ in range(SlowRelease.RELEASE_BATCH * 3)]
    watched = weakref.ref(parts[0])
    release = SlowRelease()
    release.later(parts)
    del parts
    gc.collect()
    assert release.holding == SlowRelease.RELEASE_BATCH * 3 and watched() is not None
    qtbot.waitUntil(lambda: release.holding == 0, timeout=2000)
    assert watched() is None
