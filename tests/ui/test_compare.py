"""The compare view: opened from Review, keyboard driven, zoom shared by both panes, marks fed back to Review."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from core.entities import Tier
from tests.ui.conftest import add_scan_folder, make_photo, scan
from ui.review.compare import CompareDialog, load_full_image
from ui.shell.main_window import MainWindow
from ui.shell.settings import COMPARE_ZOOM, read_text

# Model-free scans: the trio is then the Near-identical list's one group (with the packaged copy model, which
# a scan uses when the models' state is in by then, the Review would list Duplicates and Similar instead).
pytestmark = pytest.mark.usefixtures("model_free")


@pytest.fixture
def trio(tmp_path: Path) -> Path:
    """One photo, a half-size copy and a re-encoded copy: a near-identical group of three, plus two others."""
    root = tmp_path / "trio"
    original = make_photo(root / "a_original.jpg", 42, size=(640, 480))
    with Image.open(original) as image:
        image.resize((320, 240)).save(root / "b_half.jpg", quality=85)
        image.save(root / "c_reencoded.jpg", quality=60)
    make_photo(root / "other_1.jpg", 7)
    make_photo(root / "other_2.jpg", 8)
    return root


def open_compare(qtbot, window: MainWindow, folder: Path) -> CompareDialog:  # type: ignore[no-untyped-def]
    add_scan_folder(window, folder)
    scan(qtbot, window)
    review = window.review_panel
    qtbot.waitUntil(lambda: (r := review.result(Tier.PERCEPTUAL)) is not None and len(r.groups) == 1, timeout=20_000)
    window.tabs.setCurrentWidget(review)
    review.tiers.select(Tier.PERCEPTUAL)
    review.view.setCurrentIndex(review.model.index(0, 0))  # the group row
    review.view.setFocus()
    qtbot.keyClick(review.view, Qt.Key.Key_Return)  # Enter on a group compares it
    dialog = review.compare_dialog
    assert isinstance(dialog, CompareDialog)
    qtbot.waitUntil(lambda: all(dialog.loaded(i) for i in range(3)), timeout=10_000)
    dialog.activateWindow()
    dialog.setFocus()
    return dialog


def test_keyboard_steps_swaps_and_zooms(qtbot, window: MainWindow, trio: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_compare(qtbot, window, trio)
    names = [Path(m.file.path).name for m in dialog.members]
    assert sorted(names) == ["a_original.jpg", "b_half.jpg", "c_reencoded.jpg"]
    assert dialog.members[dialog.a].keep and dialog.a != dialog.b
    a, b = dialog.a, dialog.b
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    assert dialog.a == a and dialog.b not in (a, b)
    qtbot.keyClick(dialog, Qt.Key.Key_Left)
    assert (dialog.a, dialog.b) == (a, b)
    qtbot.keyClick(dialog, Qt.Key.Key_Space)
    assert (dialog.a, dialog.b) == (b, a)
    qtbot.keyClick(dialog, Qt.Key.Key_Tab)
    assert (dialog.a, dialog.b) == (a, b)

    assert dialog.view.fit
    qtbot.keyClick(dialog, Qt.Key.Key_1)
    assert not dialog.view.fit and dialog.view.zoom == 1.0
    assert read_text(window.settings, COMPARE_ZOOM) == "actual"
    qtbot.keyClick(dialog, Qt.Key.Key_Plus)
    assert dialog.view.zoom == pytest.approx(1.25)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus)
    qtbot.keyClick(dialog, Qt.Key.Key_Minus)
    assert dialog.view.zoom == pytest.approx(0.8)
    qtbot.keyClick(dialog, Qt.Key.Key_0)
    assert dialog.view.fit and read_text(window.settings, COMPARE_ZOOM) == "fit"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: window.review_panel.compare_dialog is None, timeout=5_000)


def test_k_and_t_feed_back_to_review_marks(qtbot, window: MainWindow, trio: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_compare(qtbot, window, trio)
    model = window.review_panel.model
    current = dialog.members[dialog.b].file.id
    qtbot.keyClick(dialog, Qt.Key.Key_T)
    assert model.is_marked(current)
    assert "marked for trash" in dialog.right.title
    assert "Your mark" in dialog.table.differing()
    qtbot.keyClick(dialog, Qt.Key.Key_K)
    assert not model.is_marked(current)
    model.set_marked([current], True)  # and the other way: Review's marks show in a newly opened view
    dialog.close()
    again = CompareDialog(model.groups[0], model.is_marked, window.settings, current)
    qtbot.addWidget(again)
    assert again.members[again.b].file.id == current and "marked for trash" in again.right.title


def test_table_highlights_what_differs_and_panes_zoom_together(qtbot, window: MainWindow, trio: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_compare(qtbot, window, trio)
    half = next(i for i, m in enumerate(dialog.members) if m.file.path.endswith("b_half.jpg"))
    reencoded = next(i for i, m in enumerate(dialog.members) if m.file.path.endswith("c_reencoded.jpg"))
    dialog.a = next(i for i, m in enumerate(dialog.members) if m.file.path.endswith("a_original.jpg"))
    dialog.b = reencoded
    dialog.step(0)
    assert "File size" in dialog.table.differing() and "Resolution" not in dialog.table.differing()
    dialog.step(1)
    assert dialog.b == half and dialog.table.item(0, 1).text().startswith("320 × 240")
    assert {"Resolution", "File size", "Path"} <= set(dialog.table.differing())
    assert "Format" not in dialog.table.differing()
    dialog.resize(1000, 700)
    dialog.show()
    qtbot.waitExposed(dialog)
    left, right = dialog.left, dialog.right
    left.zoom_at(2.0, QPointF(left.width() / 4, left.height() / 4))
    assert not dialog.view.fit
    # the half-size copy is drawn twice as large per pixel, so both panes show the same part of the scene
    assert right.scale() == pytest.approx(2 * left.scale())
    assert right.origin().x() == pytest.approx(left.origin().x()) and right.origin().y() == pytest.approx(
        left.origin().y()
    )
    cx = dialog.view.cx
    qtbot.mousePress(right, Qt.MouseButton.LeftButton, pos=right.rect().center())
    qtbot.mouseMove(right, right.rect().center() + right.rect().topLeft() + QPointF(40, 0).toPoint())
    qtbot.mouseRelease(right, Qt.MouseButton.LeftButton)
    assert dialog.view.cx < cx  # dragging right shows more of the left side, in both panes


def test_full_image_applies_exif_orientation(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.new("RGB", (60, 20), (200, 30, 30)).save(path, exif=exif)
    image = load_full_image(str(path))
    assert (image.width(), image.height()) == (20, 60)
    assert load_full_image(str(tmp_path / "missing.jpg")).isNull()
