"""No photo is ever lost through a path: the trash is never a surviving copy, and every path has one spelling.

A file inside a trash folder is already deleted: it is never catalogued and never counts as the copy that stays.
A folder given through a symlink, with `..` or as a single file is the same folder (or file) however it is
spelled: it is catalogued once, and a protection given in one spelling protects it in every other.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.entities import ScanRequest, Tier
from core.library import Library
from core.places import QUARANTINE_DIR
from core.safety.trash import SystemTrash
from tests.images import save_photo


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """$HOME in tmp (tests/conftest.py): the real system trash lands in <home>/.local/share/Trash."""
    return tmp_path / "home"


@pytest.fixture
def library_dir(tmp_path: Path) -> str:
    return str(tmp_path / "cli-library")


@pytest.fixture
def lib(library_dir: str) -> Iterator[Library]:
    library = Library(library_dir)
    yield library
    library.close()


def twins(folder: Path) -> tuple[Path, Path]:
    """A photo and a byte-identical copy whose name makes the keep rules keep the photo."""
    photo = save_photo(folder / "beach.jpg", seed=1)
    twin = folder / "beach copy.jpg"
    shutil.copyfile(photo, twin)
    return photo, twin


def cli_scan(library_dir: str, *roots: Path, hidden: bool = False) -> None:
    args = ["scan", *map(str, roots), "--library", library_dir, "--no-embed", "--quiet", "--workers", "1"]
    assert cli_main([*args, "--include-hidden"] if hidden else args) == 0


def cli_trash_extras(library_dir: str) -> int:
    return cli_main(["trash", "--group-tier", "exact", "--extras", "--yes", "--library", library_dir])


def present(library: Library) -> set[str]:
    return {f.path for f in library.catalog.files.present()}


# --- the trash is never a surviving copy ------------------------------------------------------------------------


def test_home_trash_scanned_with_hidden_folders_never_keeps_the_last_photo_alive(home: Path, library_dir: str) -> None:
    photo, twin = twins(home / "Pictures")
    cli_scan(library_dir, home, hidden=True)
    trashed = SystemTrash().move_to_trash(str(photo))  # the person deletes one of the two, outside Twinlens
    assert trashed is not None and Path(trashed).is_file()
    cli_scan(library_dir, home, hidden=True)
    cli_trash_extras(library_dir)
    assert twin.is_file(), "the last copy outside the trash was trashed"
    library = Library(library_dir)
    try:
        assert trashed not in present(library), "a photo in the home trash was catalogued as present"
    finally:
        library.close()


def test_a_catalogued_copy_in_the_trash_never_counts_as_the_one_that_stays(
    home: Path, library_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A catalogue written before trash folders were skipped may still list a photo there as present."""
    photo, twin = twins(tmp_path / "photos")
    cli_scan(library_dir, tmp_path / "photos")
    trashed = SystemTrash().move_to_trash(str(photo))
    assert trashed is not None
    library = Library(library_dir)
    try:
        library.catalog.db.execute("UPDATE files SET path = ? WHERE path = ?", [trashed, str(photo)])
    finally:
        library.close()
    capsys.readouterr()
    cli_trash_extras(library_dir)
    assert twin.is_file(), "a photo inside the trash counted as the surviving copy"
    assert "inside a trash folder" in capsys.readouterr().out


def test_recycle_bins_and_volume_trashes_are_never_catalogued(lib: Library, tmp_path: Path) -> None:
    volume = tmp_path / "volume"
    kept = save_photo(volume / "DCIM" / "kept.jpg", seed=1)
    trashes = ["$Recycle.Bin/S-1-5-21", "$RECYCLE.BIN", ".Trash-1000/files", ".Trash/1000/files", ".Trashes/501"]
    for seed, folder in enumerate([*trashes, f"DCIM/{QUARANTINE_DIR}"], start=2):
        save_photo(volume / folder / f"deleted_{seed}.jpg", seed=seed)
    summary = lib.scan(ScanRequest(roots=(volume,), include_hidden=True, workers=1))
    assert present(lib) == {str(kept)} and summary.seen == 1


def test_a_scan_root_inside_a_trash_catalogues_nothing(lib: Library, tmp_path: Path) -> None:
    bin_folder = tmp_path / "volume" / "$Recycle.Bin"
    deleted = save_photo(bin_folder / "S-1-5-21" / "deleted.jpg", seed=1)
    for root in (bin_folder / "S-1-5-21", deleted):
        lib.scan(ScanRequest(roots=(root,), workers=1))
        assert present(lib) == set()
        assert str(root) in {p.path for p in lib.problems() if p.code == "in-trash"}, "and it says why"


# --- one spelling for every path --------------------------------------------------------------------------------


def test_a_protected_folder_given_through_a_symlink_is_protected(lib: Library, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    reference = save_photo(photos / "references" / "beach copy.jpg", seed=1)  # the rules would not keep it
    shutil.copyfile(reference, photos / "beach.jpg")
    link = tmp_path / "photos-link"
    link.symlink_to(photos, target_is_directory=True)
    lib.scan(ScanRequest(roots=(link,), workers=1))  # the GUI passes folders as they were picked
    lib.set_protected_folders([link / "references"])
    (group,) = lib.groups(Tier.EXACT)
    (member,) = [m for m in group.members if m.file.path.endswith(os.path.join("references", reference.name))]
    assert member.protected and member.keep
    assert member.file.path == str(reference), "catalogued under its real path"


def test_a_folder_scanned_under_two_spellings_is_catalogued_once(lib: Library, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    made = {str(save_photo(photos / f"img_{seed}.jpg", seed=seed)) for seed in range(3)}
    (photos / "sub").mkdir()
    link = tmp_path / "photos-link"
    link.symlink_to(photos, target_is_directory=True)
    lib.scan(ScanRequest(roots=(link,), workers=1))
    again = lib.scan(ScanRequest(roots=(photos / "sub" / "..",), workers=1))
    assert (again.new, again.unchanged) == (0, 3)
    assert present(lib) == made and lib.groups(Tier.EXACT) == []


def test_rows_stored_under_a_symlink_spelling_come_back_under_the_real_path(lib: Library, tmp_path: Path) -> None:
    """A catalogue written when scan roots were not resolved: its rows keep their ids, under the real path."""
    photos = tmp_path / "photos"
    made = {str(save_photo(photos / f"img_{seed}.jpg", seed=seed)) for seed in range(2)}
    link = tmp_path / "photos-link"
    link.symlink_to(photos, target_is_directory=True)
    lib.scan(ScanRequest(roots=(photos,), workers=1))
    ids = {f.id for f in lib.catalog.files.present()}
    lib.catalog.db.execute("UPDATE files SET path = replace(path, ?, ?)", [str(photos), str(link)])
    summary = lib.scan(ScanRequest(roots=(link,), workers=1))
    assert present(lib) == made and {f.id for f in lib.catalog.files.present()} == ids
    assert (summary.new, summary.moved) == (0, 2)


def test_files_under_a_symlinked_subfolder_are_catalogued_under_their_real_path(lib: Library, tmp_path: Path) -> None:
    photos, elsewhere = tmp_path / "photos", tmp_path / "elsewhere"
    own = save_photo(photos / "own.jpg", seed=1)
    linked = save_photo(elsewhere / "linked.jpg", seed=2)
    (photos / "album").symlink_to(elsewhere, target_is_directory=True)
    (photos / "own-alias.jpg").symlink_to(own)
    lib.scan(ScanRequest(roots=(photos,), workers=1))
    assert present(lib) == {str(own), str(linked)}
    aliases = [p for p in lib.problems() if p.code == "alias"]
    assert [p.path for p in aliases] == [str(photos / "own-alias.jpg")], "the second way to a file is reported"
    rescan = lib.scan(ScanRequest(roots=(photos,), workers=1))
    assert (rescan.new, rescan.unchanged, rescan.removed) == (0, 2, 0)
    lib.scan(ScanRequest(roots=(elsewhere,), workers=1))
    assert present(lib) == {str(own), str(linked)}


def test_a_single_file_root_scanned_twice(lib: Library, tmp_path: Path) -> None:
    photo = save_photo(tmp_path / "photos" / "one.jpg", seed=1)
    lib.scan(ScanRequest(roots=(photo,), workers=1))
    again = lib.scan(ScanRequest(roots=(photo,), workers=1))  # crashed: UNIQUE constraint failed: files.path
    assert (again.new, again.unchanged) == (0, 1) and present(lib) == {str(photo)}


def test_a_single_unreadable_file_root_is_not_read_again(lib: Library, tmp_path: Path) -> None:
    broken = tmp_path / "photos" / "broken.jpg"
    broken.parent.mkdir()
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    lib.scan(ScanRequest(roots=(broken,), workers=1))
    assert str(broken) in lib.catalog.problems.under([str(broken)])


# --- twinlens protect -------------------------------------------------------------------------------------------


def test_protect_adds_lists_and_removes_in_any_spelling(
    library_dir: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    references = tmp_path / "photos" / "references"
    references.mkdir(parents=True)
    link = tmp_path / "references-link"
    link.symlink_to(references, target_is_directory=True)
    real = str(references)

    assert cli_main(["protect", str(link), "--library", library_dir]) == 0
    assert cli_main(["protect", str(references / ".." / "references"), "--list", "--library", library_dir]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[-2:] == [real, "1 protected folder(s)"], "one folder, however it is spelled"
    library = Library(library_dir)
    try:
        assert library.protected_folders() == [real], "the setting the app reads"
    finally:
        library.close()

    assert cli_main(["protect", str(tmp_path / "nowhere"), "--library", library_dir]) == 2
    assert cli_main(["protect", str(link), "--remove", "--library", library_dir]) == 0
    assert cli_main(["protect", "--library", library_dir]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 protected folder(s)"
    assert cli_main(["protect", str(link), "--remove", "--library", library_dir]) == 2


def test_the_library_s_excluded_folders_apply_to_cli_scans(library_dir: str, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    kept = save_photo(photos / "kept.jpg", seed=1)
    save_photo(photos / "skip-me" / "private.jpg", seed=2)
    library = Library(library_dir)
    try:
        library.set_excluded_folders([photos / "skip-me"])  # as the app's folder settings store it
    finally:
        library.close()
    cli_scan(library_dir, photos)
    library = Library(library_dir)
    try:
        assert [f.path for f in library.catalog.files.present()] == [str(kept)]
    finally:
        library.close()
