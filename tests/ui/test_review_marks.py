"""The Review's item model over the Qt-free ReviewState: check boxes follow the every-copy rule, K keeps one."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from core.tiers.review import LAST_COPY
from tests.ui.conftest import add_scan_folder, scan
from tests.ui.test_compare import open_compare, trio  # noqa: F401  (the fixture)
from tests.ui.test_review_flow import FIRST_LIST, wait_for_groups
from ui.review.model import Column
from ui.shell.main_window import MainWindow


def test_the_last_copy_is_not_offered_and_k_keeps_one(qtbot, window: MainWindow, photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    scan(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    panel = window.review_panel
    model, view = panel.model, panel.view
    panel.auto_select()
    kept_row = next(i for i, m in enumerate(model.groups[0].members) if m.keep)
    copy_row = 1 - kept_row
    kept, copy = model.member_index(0, kept_row), model.member_index(0, copy_row)
    kept_id, copy_id = model.groups[0].members[kept_row].file.id, model.groups[0].members[copy_row].file.id
    assert not model.flags(kept) & Qt.ItemFlag.ItemIsUserCheckable  # the group's last unmarked copy
    assert model.flags(copy) & Qt.ItemFlag.ItemIsUserCheckable
    assert LAST_COPY in model.data(kept, Qt.ItemDataRole.ToolTipRole)
    assert not model.setData(kept, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert not model.is_marked(kept_id)
    assert "1 marked" in model.data(model.index(0, 0))

    window.tabs.setCurrentWidget(panel)
    view.setFocus()
    view.setCurrentIndex(kept)
    with qtbot.waitSignal(panel.message, timeout=2000) as said:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert said.args[0].startswith("Not marked: ") and LAST_COPY in said.args[0]
    assert not model.is_marked(kept_id) and model.is_marked(copy_id)

    view.setCurrentIndex(copy)
    qtbot.keyClick(view, Qt.Key.Key_K)  # keep this one, mark the rest of its group
    assert model.is_marked(kept_id) and not model.is_marked(copy_id)
    assert not model.flags(model.member_index(0, copy_row, Column.FILE)) & Qt.ItemFlag.ItemIsUserCheckable
    assert panel.trash_request() is not None and kept_id in panel.trash_request().file_ids  # type: ignore[union-attr]
    assert "3 files marked" in panel.footer.text()


@pytest.mark.usefixtures("model_free")  # open_compare reviews the Near-identical list
def test_compare_does_not_offer_to_trash_the_last_unmarked_photo(qtbot, window: MainWindow, trio: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    dialog = open_compare(qtbot, window, trio)
    model = window.review_panel.model
    assert dialog.actions_.trash.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_T)  # B marked: A (kept) and the third stay unmarked
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.actions_.trash.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_T)
    assert sum(model.is_marked(m.file.id) for m in dialog.members) == 2
    qtbot.keyClick(dialog, Qt.Key.Key_Space)  # the kept photo as B: the group's last unmarked one
    assert not model.is_marked(dialog.members[dialog.b].file.id)
    assert not dialog.actions_.trash.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_T)
    assert not model.is_marked(dialog.members[dialog.b].file.id)
