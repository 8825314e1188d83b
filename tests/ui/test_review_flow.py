"""Scan through the GUI's op runner, review the groups, mark, trash with a preview, undo."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from core.entities import ScanSummary, Tier
from tests.ui.conftest import add_scan_folder, scan
from ui.review.model import Column
from ui.shell.main_window import MainWindow

# The window's scan uses the packaged copy model when its state is in by then, else none: the first list is
# Duplicates or Identical, and either holds the fixture's identical pairs, one group each.
FIRST_LIST = None


def wait_for_groups(qtbot, window: MainWindow, tier: Tier | None, count: int) -> None:  # type: ignore[no-untyped-def]
    """Until the tier's groups (None: the first list on show) number `count`."""

    def shown() -> None:
        panel = window.review_panel
        result = panel.result(tier or panel.tiers.shown[0])
        assert result is not None and len(result.groups) == count

    qtbot.waitUntil(shown, timeout=20_000)


def test_scan_shows_identical_files_as_duplicates_with_details(qtbot, window: MainWindow, photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    summary = scan(qtbot, window)
    assert isinstance(summary, ScanSummary) and not summary.cancelled
    assert summary.seen == 12 and summary.problems == 1
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    model = window.review_panel.model
    assert len(model.groups) == 3
    assert all(len(g.members) == 2 for g in model.groups)
    assert window.review_panel.tiers.tabText(0) in ("Identical (3)", "Duplicates (3)")
    first = model.member_index(0, 0)
    member = model.member_at(first)
    assert member is not None
    assert model.data(model.member_index(0, 0, Column.RESOLUTION)) == "320 × 240"
    assert model.data(model.member_index(0, 0, Column.FORMAT)) == "JPEG"
    assert model.data(model.member_index(0, 0, Column.FOLDER)) == str(Path(member.file.path).parent)
    window.tabs.setCurrentWidget(window.review_panel)
    model.data(first, Qt.ItemDataRole.DecorationRole)  # a visible row asks for its thumbnail
    qtbot.waitUntil(lambda: window.thumbnails.pixmap(member.file.id) is not None, timeout=10_000)
    pixmap = window.thumbnails.pixmap(member.file.id)
    assert pixmap is not None and max(pixmap.width(), pixmap.height()) == 72


def test_mark_trash_with_preview_then_undo(qtbot, window: MainWindow, photos: Path, private_trash: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    scan(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    panel = window.review_panel
    panel.auto_select()
    marked = panel.model.shown_marked()
    assert len(marked) == 3 and not any(m.keep for m in marked)
    paths = [Path(m.file.path) for m in marked]

    window.actions_.trash.trigger()
    qtbot.waitUntil(lambda: window.trash_flow.preview_dialog is not None, timeout=20_000)
    dialog = window.trash_flow.preview_dialog
    assert dialog is not None
    assert {Path(f.path) for f in dialog.preview.will_trash} == set(paths)
    assert dialog.preview.bytes_freed == sum(p.stat().st_size for p in paths)
    with qtbot.waitSignal(window.trash_flow.trashed, timeout=20_000) as done:
        dialog.done(QDialog.DialogCode.Accepted)
    assert len(done.args[0].trashed) == 3 and not done.args[0].failed
    assert not any(p.exists() for p in paths)
    assert len(list((private_trash / "files").iterdir())) == 3
    wait_for_groups(qtbot, window, FIRST_LIST, 0)

    with qtbot.waitSignal(window.trash_flow.undone, timeout=20_000) as undone:
        window.actions_.undo.trigger()
    assert len(undone.args[0].restored) == 3
    assert all(p.exists() for p in paths)
    box = window.trash_flow.last_box
    assert box is not None and "Restored 3 files" in box.text()


def test_keyboard_marks_navigates_and_trashes(qtbot, window: MainWindow, photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    scan(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    window.tabs.setCurrentWidget(window.review_panel)
    view = window.review_panel.view
    model = window.review_panel.model
    view.setFocus()
    view.setCurrentIndex(model.member_index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.current_group_row() == 1
    qtbot.keyClick(view, Qt.Key.Key_Down)
    member = model.member_at(view.currentIndex())
    assert member is not None and member is model.groups[1].members[1]
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert model.is_marked(member.file.id)
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert not model.is_marked(member.file.id)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert view.current_group_row() == 0
    qtbot.keyClick(view, Qt.Key.Key_Space)
    marked = model.shown_marked()
    assert len(marked) == 1
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.trash_flow.preview_dialog is not None, timeout=20_000)
    dialog = window.trash_flow.preview_dialog
    assert dialog is not None and [f.id for f in dialog.preview.will_trash] == [marked[0].file.id]
    dialog.reject()
    assert Path(marked[0].file.path).exists()


def test_not_duplicates_removes_the_group(qtbot, window: MainWindow, photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    scan(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    view = window.review_panel.view
    view.setCurrentIndex(window.review_panel.model.member_index(1, 0))
    separated = window.review_panel.current_group()
    assert separated is not None
    window.actions_.not_duplicates.trigger()
    wait_for_groups(qtbot, window, FIRST_LIST, 2)
    assert separated.id not in {g.id for g in window.review_panel.model.groups}


def test_problems_panel_lists_the_corrupt_file(qtbot, window: MainWindow, photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    scan(qtbot, window)
    model = window.problems_panel.model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=20_000)
    problem = model.problem(0)
    assert problem.path == str(photos / "camera" / "broken.jpg")
    assert problem.reason
    assert model.data(model.index(0, 2)) == problem.reason
    assert window.problems_panel.summary.text() == "1 file or folder could not be read."


def test_without_a_model_the_review_lists_identical_and_near_identical_and_explains(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.review_panel.result(Tier.PERCEPTUAL) is not None, timeout=10_000)
    tiers = window.review_panel.tiers
    assert tiers.shown == (Tier.EXACT, Tier.PERCEPTUAL)
    assert [tiers.tabText(i).split(" (")[0] for i in range(tiers.count())] == ["Identical", "Near-identical"]
    assert tiers.isTabEnabled(0) and tiers.isTabEnabled(1)
    assert window.review_panel.model_help.isVisibleTo(window.review_panel)
    assert "Tools → Models…" in window.review_panel.model_help.text()  # where a person gets one, not a terminal


def trash_marked(qtbot, window: MainWindow) -> object:  # type: ignore[no-untyped-def]
    """Trash what is marked, accepting the preview; returns the TrashOutcome."""
    window.actions_.trash.trigger()
    qtbot.waitUntil(lambda: window.trash_flow.preview_dialog is not None, timeout=20_000)
    dialog = window.trash_flow.preview_dialog
    assert dialog is not None
    with qtbot.waitSignal(window.trash_flow.trashed, timeout=20_000) as done:
        dialog.done(QDialog.DialogCode.Accepted)
    return done.args[0]


def test_journal_lists_batches_and_undoes_the_one_chosen(qtbot, window: MainWindow, photos: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, photos)
    scan(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    window.review_panel.auto_select()
    older = trash_marked(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 0)
    window.actions_.journal.trigger()
    dialog = window.trash_flow.journal_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: len(dialog.batches) == 1, timeout=10_000)
    assert dialog.isVisible() and dialog.tree.topLevelItemCount() == 1
    assert dialog.tree.topLevelItem(0).text(3) == "in the trash" and dialog.tree.topLevelItem(0).text(2) == "3"

    with qtbot.waitSignal(window.trash_flow.undone, timeout=20_000) as undone:
        dialog.undo_buttons[older.batch_id].click()  # type: ignore[attr-defined]
    assert undone.args[0].batch_id == older.batch_id and len(undone.args[0].restored) == 3
    assert all(Path(t.path).exists() for t in older.trashed)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: bool(dialog.batches) and dialog.batches[0].undone, timeout=10_000)
    assert dialog.tree.topLevelItem(0).text(3) == "undone"
    assert not dialog.undo_buttons[older.batch_id].isEnabled()  # type: ignore[attr-defined]


def no_trash_under(monkeypatch, root: Path) -> None:  # type: ignore[no-untyped-def]
    """Treat `root` as the top of a volume without a trash (a NAS share), for every SystemTrash."""
    from core.safety.backend import VolumeProbe

    real_mount, real_has = VolumeProbe.mount_point, VolumeProbe.has_trash
    inside = lambda path: path.startswith(str(root) + "/")  # noqa: E731
    monkeypatch.setattr(VolumeProbe, "mount_point", lambda self, p: str(root) if inside(p) else real_mount(self, p))
    monkeypatch.setattr(VolumeProbe, "has_trash", lambda self, p: not inside(p) and real_has(self, p))


def ask_to_trash_where_there_is_no_trash(qtbot, window: MainWindow, photos: Path, monkeypatch) -> QMessageBox:  # type: ignore[no-untyped-def]
    """Scan `photos` as a volume without a trash, auto-select the Identical extras, ask to trash them: the consent
    box the person sees."""
    no_trash_under(monkeypatch, photos)
    add_scan_folder(window, photos)
    scan(qtbot, window)
    wait_for_groups(qtbot, window, FIRST_LIST, 3)
    window.review_panel.auto_select()
    window.actions_.trash.trigger()
    qtbot.waitUntil(lambda: window.trash_flow.consent_box is not None, timeout=20_000)
    box = window.trash_flow.consent_box
    assert box is not None
    return box


def test_volume_without_trash_asks_then_quarantines_and_undoes(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, photos: Path, private_trash: Path, monkeypatch
) -> None:
    box = ask_to_trash_where_there_is_no_trash(qtbot, window, photos, monkeypatch)
    paths = [Path(m.file.path) for m in window.review_panel.model.shown_marked()]
    assert str(photos) in box.text() and ".twinlens-trash" in box.text()
    use = next(b for b in box.buttons() if b.text() == "Use a quarantine folder")
    use.click()
    qtbot.waitUntil(lambda: window.trash_flow.preview_dialog is not None, timeout=20_000)
    preview = window.trash_flow.preview_dialog
    assert preview is not None and len(preview.preview.quarantined) == 3 and not preview.preview.refused
    with qtbot.waitSignal(window.trash_flow.trashed, timeout=20_000) as done:
        preview.done(QDialog.DialogCode.Accepted)
    assert {t.place for t in done.args[0].trashed} == {"quarantine"}
    assert not any(p.exists() for p in paths) and len(list((photos / ".twinlens-trash" / "files").iterdir())) == 3
    assert not private_trash.exists()

    with qtbot.waitSignal(window.trash_flow.undone, timeout=20_000) as undone:
        window.actions_.undo.trigger()
    assert len(undone.args[0].restored) == 3 and all(p.exists() for p in paths)


def test_volume_without_trash_left_alone_when_the_person_declines(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, photos: Path, monkeypatch
) -> None:
    box = ask_to_trash_where_there_is_no_trash(qtbot, window, photos, monkeypatch)
    next(b for b in box.buttons() if b.text() == "Leave those files").click()
    qtbot.waitUntil(lambda: window.trash_flow.preview_dialog is not None, timeout=20_000)
    dialog = window.trash_flow.preview_dialog
    assert dialog is not None and dialog.preview.will_trash == () and len(dialog.preview.refused) == 3
    assert not dialog.confirm_button.isEnabled()
    assert all("has no trash" in r.reason for r in dialog.preview.refused)
