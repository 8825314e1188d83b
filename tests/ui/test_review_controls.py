"""Keep-rules dialog and the per-tier threshold slider."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from core.entities import Changes, Tier
from core.library import Library
from core.tiers.keep import DEFAULT_RULES, KeepRule
from tests.ui.conftest import add_scan_folder, make_photo, scan
from ui.review.keep_rules import KeepRulesDialog
from ui.shell.main_window import MainWindow


def test_keep_rules_dialog_reorders_and_saves(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window.actions_.keep_rules.trigger()
    dialog = window.keep_rules_dialog
    assert isinstance(dialog, KeepRulesDialog) and dialog.rules() == DEFAULT_RULES
    dialog.list.setCurrentRow(5)  # capture time
    dialog.up_button.click()
    dialog.up_button.click()
    expected = (
        KeepRule.ORIGINAL,
        KeepRule.RESOLUTION,
        KeepRule.PATH,
        KeepRule.CAPTURE_TIME,
        KeepRule.FILE_SIZE,
        KeepRule.FORMAT,
    )
    assert dialog.rules() == expected
    assert dialog.list.currentRow() == 3
    dialog.list.setCurrentRow(0)
    assert not dialog.up_button.isEnabled()
    with qtbot.waitSignal(window.runner.changed, timeout=10_000) as saved:
        dialog.accept()
    assert saved.args[0].changes == Changes.SETTINGS | Changes.GROUPS
    assert window.keep_rules == expected
    window.close()
    library = Library(tmp_path / "library")
    try:
        assert library.keep_rules() == expected
    finally:
        library.close()


@pytest.fixture
def variants(tmp_path: Path) -> Path:
    """Originals and edited versions whose pHash distances spread over the slider's range."""
    root = tmp_path / "variants"
    for seed in range(4):
        original = make_photo(root / f"orig_{seed}.jpg", 500 + seed, size=(400, 300))
        with Image.open(original) as image:
            image.resize((200, 150)).save(root / f"small_{seed}.jpg", quality=70)
            edited = image.copy()
            ImageDraw.Draw(edited).rectangle((0, 0, 120 + 20 * seed, 90 + 15 * seed), fill=(250, 250, 250))
            edited.save(root / f"edited_{seed}.jpg", quality=85)
    return root


@pytest.mark.usefixtures("model_free")  # the Near-identical list is on show only without a model
def test_threshold_slider_regroups_in_the_library(qtbot, window: MainWindow, variants: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_scan_folder(window, variants)
    scan(qtbot, window)
    library = Library(tmp_path / "library")  # a second reader: what the engine says at each distance
    try:
        expected = {d: len(library.groups(Tier.PERCEPTUAL, d)) for d in (0, 16)}
        members = {d: sum(len(g.members) for g in library.groups(Tier.PERCEPTUAL, d)) for d in (0, 16)}
    finally:
        library.close()
    assert members[0] != members[16], "the generated variants must spread over the threshold range"
    panel = window.review_panel
    panel.tiers.select(Tier.PERCEPTUAL)
    assert panel.threshold.slider.isEnabled() and panel.threshold.slider.maximum() == 16
    for distance in (0, 16):
        with qtbot.waitSignal(
            panel.groups_ready, timeout=10_000, check_params_cb=lambda r, d=distance: r.threshold == d
        ):
            panel.threshold.slider.setValue(distance)
        qtbot.waitUntil(lambda d=distance: len(panel.model.groups) == expected[d], timeout=5000)
        assert sum(len(g.members) for g in panel.model.groups) == members[distance]
        assert f"({expected[distance]})" in panel.tiers.tabText(1)
    panel.tiers.setCurrentIndex(0)
    assert not panel.threshold.slider.isEnabled()
