"""Views refresh from what an op changed: a trash regroups only the tiers that held its files, an undo every tier,
a setting only when it changes groups (counted with a spy on Library.groups, which runs in the library thread)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from core.entities import Tier
from core.library import MODEL_FREE_TIERS, Library
from tests.ui.conftest import add_scan_folder, make_photo, scan
from tests.ui.test_review_flow import trash_marked
from ui.ops.runner import Op
from ui.shell.main_window import MainWindow

TIMEOUT_MS = 20_000
# The tiers counted here are the model-free ones: with the out-of-the-box SSCD, the Review would list Duplicates
# and Similar instead (tests/ui/test_review_duplicates.py), which is not what these tests are about.
pytestmark = pytest.mark.usefixtures("model_free")


@pytest.fixture
def two_kinds(tmp_path: Path) -> Path:
    """An Identical pair (a byte copy) and a Near-identical trio (half size, re-encoded), plus one other photo."""
    root = tmp_path / "two_kinds"
    original = make_photo(root / "trio" / "a_original.jpg", 42, size=(640, 480))
    with Image.open(original) as image:
        image.resize((320, 240)).save(root / "trio" / "b_half.jpg", quality=85)
        image.save(root / "trio" / "c_reencoded.jpg", quality=60)
    make_photo(root / "pair" / "d.jpg", 7)
    (root / "backup").mkdir()
    shutil.copy2(root / "pair" / "d.jpg", root / "backup" / "d copy.jpg")
    make_photo(root / "e.jpg", 8)
    return root


@pytest.fixture
def regrouped(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[Tier]]:
    """Library.groups calls per tier, from the moment the test clears it."""
    calls: Counter[Tier] = Counter()
    real = Library.groups

    def spy(self: Library, tier: Tier, threshold: float | None = None) -> object:
        calls[tier] += 1
        return real(self, tier, threshold)

    monkeypatch.setattr(Library, "groups", spy)
    yield calls


def settle(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Ops run in order: once a marker op answers, every op asked for before it has answered too. Twice: the
    answers before the first marker may ask for more ops (a change answered → regroups), and those are asked for
    before the first marker's own answer is handled, so the second marker comes after them."""
    for _ in range(2):
        done: list[object] = []
        window.runner.run(Op("wait", lambda library, cancel, progress: None), on_done=done.append)
        qtbot.waitUntil(lambda: bool(done), timeout=TIMEOUT_MS)  # noqa: B023 (waited for within the loop)


def scanned(qtbot, window: MainWindow, folder: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, folder)
    scan(qtbot, window)
    settle(qtbot, window)
    panel = window.review_panel
    assert [len(panel.result(tier).groups) for tier in (Tier.EXACT, Tier.PERCEPTUAL)] == [1, 1]  # type: ignore[union-attr]


def mark(window: MainWindow, tier: Tier, name: str) -> None:
    panel = window.review_panel
    panel.tiers.select(tier)
    member = next(m for g in panel.model.groups for m in g.members if Path(m.file.path).name == name)
    panel.model.set_marked([member.file.id], True)


def test_a_trash_regroups_only_the_tiers_that_held_its_files(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, two_kinds: Path, regrouped: Counter[Tier]
) -> None:
    scanned(qtbot, window, two_kinds)
    panel = window.review_panel

    regrouped.clear()
    mark(window, Tier.EXACT, "d copy.jpg")
    assert len(trash_marked(qtbot, window).trashed) == 1  # type: ignore[attr-defined]
    settle(qtbot, window)
    assert regrouped == Counter({Tier.EXACT: 1}), "Near-identical does not hold the copy"
    assert len(panel.result(Tier.EXACT).groups) == 0  # type: ignore[union-attr]

    regrouped.clear()
    mark(window, Tier.PERCEPTUAL, "b_half.jpg")
    assert len(trash_marked(qtbot, window).trashed) == 1  # type: ignore[attr-defined]
    settle(qtbot, window)
    assert regrouped == Counter({Tier.PERCEPTUAL: 1}), "Identical does not hold the half-size copy"
    assert len(panel.result(Tier.PERCEPTUAL).groups[0].members) == 2  # type: ignore[union-attr]

    regrouped.clear()
    with qtbot.waitSignal(window.trash_flow.undone, timeout=TIMEOUT_MS):
        window.actions_.undo.trigger()
    settle(qtbot, window)
    assert regrouped == Counter(dict.fromkeys(MODEL_FREE_TIERS, 1)), "a restored file may join any list on show"
    assert len(panel.result(Tier.PERCEPTUAL).groups[0].members) == 3  # type: ignore[union-attr]


def test_settings_regroup_only_when_they_change_groups(  # type: ignore[no-untyped-def]
    qtbot, window: MainWindow, two_kinds: Path, regrouped: Counter[Tier]
) -> None:
    scanned(qtbot, window, two_kinds)

    regrouped.clear()
    window.library_panel.excluded_list.add_folder(str(two_kinds / "elsewhere"))
    settle(qtbot, window)
    assert regrouped == Counter(), "an excluded folder changes the next scan, not the groups"

    window.library_panel.protected_list.add_folder(str(two_kinds / "backup"))
    settle(qtbot, window)
    assert regrouped == Counter(dict.fromkeys(MODEL_FREE_TIERS, 1)), "a protected folder changes every group's keep"
    members = [m for g in window.review_panel.result(Tier.EXACT).groups for m in g.members]  # type: ignore[union-attr]
    assert [m.keep for m in members if m.protected] == [True]
