"""Incremental scanning: unchanged files are not read again, removed ones go, moved ones keep their history,
and a cancelled scan resumes where it stopped."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import core.scan.pipeline
from core.cancel import CancelToken
from core.entities import Phase, ScanProgress, ScanRequest, Tier
from core.library import Library
from tests.images import save_photo


def make_photos(folder: Path, count: int, start: int = 0) -> list[Path]:
    return [save_photo(folder / f"img_{i:03d}.jpg", seed=i) for i in range(start, start + count)]


def scan(library: Library, folder: Path, **kwargs: object) -> object:
    return library.scan(ScanRequest(roots=(folder,), workers=kwargs.pop("workers", 1)), **kwargs)  # type: ignore[arg-type]


def test_first_scan_then_rescan_reads_nothing(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 5)
    first = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert (first.seen, first.new, first.unchanged) == (5, 5, 0)
    second = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert (second.seen, second.new, second.changed, second.unchanged) == (5, 0, 0, 5)


def test_changed_and_removed_files(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    paths = make_photos(folder, 4)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    save_photo(paths[0], seed=99)
    os.utime(paths[0], ns=(1, 10**18))
    paths[1].unlink()
    summary = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert (summary.changed, summary.removed, summary.unchanged) == (1, 1, 2)
    present = {f.path for f in library.catalog.files.present()}
    assert str(paths[1]) not in present and str(paths[0]) in present


def test_touched_file_keeps_its_derived_data(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (path,) = make_photos(folder, 1)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    file_id = library.catalog.files.present()[0].id
    os.utime(path, ns=(1, 10**18))
    summary = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert summary.changed == 0 and summary.new == 0
    assert library.catalog.files.thumbnail(file_id) is not None


def test_moved_file_keeps_its_row(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (path,) = make_photos(folder, 1)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    original_id = library.catalog.files.present()[0].id
    target = folder / "sub" / "renamed.jpg"
    target.parent.mkdir()
    shutil.move(path, target)
    summary = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert summary.moved == 1 and summary.new == 0
    (info,) = library.catalog.files.present()
    assert info.id == original_id and info.path == str(target)


@pytest.mark.parametrize("workers", [1, 2])
def test_cancel_keeps_finished_work_and_next_scan_resumes(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 40)
    token = CancelToken()
    monkeypatch.setattr(core.scan.pipeline, "PROGRESS_INTERVAL", 0.0)  # a progress call per file: cancel lands at 10

    def cancel_midway(progress: ScanProgress) -> None:
        if progress.phase == Phase.READ and progress.done >= 10:
            token.cancel()

    first = library.scan(ScanRequest(roots=(folder,), workers=workers), progress=cancel_midway, cancel=token)
    assert first.cancelled
    stored = library.catalog.files.count_present()
    assert 0 < stored < 40
    second = library.scan(ScanRequest(roots=(folder,), workers=2))
    assert not second.cancelled
    assert second.new == 40 - stored and second.unchanged == stored
    assert library.catalog.files.count_present() == 40


def test_progress_reports_phases_and_eta(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 12)
    seen: list[ScanProgress] = []
    library.scan(ScanRequest(roots=(folder,), workers=2), progress=seen.append)
    phases = [p.phase for p in seen]
    assert phases[0] == Phase.ENUMERATE and phases[-1] == Phase.DONE
    reads = [p for p in seen if p.phase == Phase.READ]
    assert reads and reads[-1].done == reads[-1].total == 12


def test_hidden_and_system_folders_are_skipped(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    make_photos(folder, 1)
    save_photo(folder / ".cache" / "hidden.jpg", seed=50)
    save_photo(folder / "@eaDir" / "thumb.jpg", seed=51)
    summary = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert summary.seen == 1
    with_hidden = library.scan(ScanRequest(roots=(folder,), include_hidden=True, workers=1))
    assert with_hidden.seen == 2


def test_exact_duplicates_across_folders(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    (original,) = make_photos(folder / "a", 1)
    copy = folder / "b" / "copy.jpg"
    copy.parent.mkdir(parents=True)
    shutil.copyfile(original, copy)
    make_photos(folder / "c", 2, start=10)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    (group,) = library.groups(Tier.EXACT)
    assert {m.file.path for m in group.members} == {str(original), str(copy)}
    assert sum(m.keep for m in group.members) == 1


def test_readonly_catalog_reads_beside_the_owner_and_cannot_write(library: Library, tmp_path: Path) -> None:
    import sqlite3

    import pytest

    from core.store.catalog import Catalog

    folder = tmp_path / "photos"
    make_photos(folder, 2)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    reader = Catalog(library.dir, readonly=True)
    try:
        file_id = library.catalog.files.present()[0].id
        assert reader.files.thumbnail(file_id) == library.catalog.files.thumbnail(file_id)
        with pytest.raises(sqlite3.OperationalError):
            reader.settings.device = "cpu"
    finally:
        reader.close()
