"""Windows paths, on Linux: rescans, moved files, problems and protected folders under a root typed any way.

`C:\\Pictures` and `c:\\pictures\\` are one folder, below which every path starts with `C:\\Pictures\\`; a share
`\\\\nas\\photos` and a drive's root `D:\\` are folders too. With the Windows rules in force (core.pathrules), the
real library, catalog and scanner run over a `WindowsDrive`: a folder whose files are each named by a whole
Windows path (a legal Linux file name), and the scan's working directory, so the scan's decoders open each
Windows path as it is. Only the walk is the drive's own, since a Linux walk cannot list a Windows folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from core.cancel import NEVER_CANCELLED
from core.entities import Problem, ScanRequest, ScanSummary, Tier
from core.library import Library
from core.pathrules import PathRules
from core.places import canonical_roots, in_trash, is_trash_folder
from core.safety.quarantine import is_quarantined
from core.scan import pipeline
from core.scan.walk import Enumeration, FileEntry, WalkOptions, _Walker
from core.store.catalog import DB_NAME, Catalog
from tests.images import save_photo

PICTURES = "C:\\Pictures"


class WindowsDrive:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.unreadable: set[str] = set()  # folders the walk reports it cannot open
        folder.mkdir()

    def photo(self, path: str, seed: int) -> str:
        save_photo(self.folder / path, seed=seed)
        return path

    def copy(self, path: str, to: str) -> str:
        shutil.copyfile(self.folder / path, self.folder / to)
        return to

    def move(self, path: str, to: str) -> str:
        (self.folder / path).rename(self.folder / to)
        return to

    def write(self, path: str, data: bytes) -> str:
        (self.folder / path).write_bytes(data)
        return path

    def remove(self, path: str) -> None:
        (self.folder / path).unlink()

    def walk(self, roots: list[str], options: WalkOptions, *progress_and_cancel: object) -> Enumeration:
        """The files below each root (a case-insensitive match, as Windows finds them) as the disk spells them, as
        os.scandir does below a root that realpath resolved to its case on disk."""
        found = Enumeration()
        for root in (root.rstrip("\\").casefold() for root in roots):
            for name in sorted(os.listdir(self.folder)):
                if name.casefold() == root or name.casefold().startswith(root + "\\"):
                    info = (self.folder / name).stat()
                    found.files.append(FileEntry(name, info.st_size, info.st_mtime_ns))
            below = [f for f in self.unreadable if f.casefold().startswith(root + "\\")]
            found.problems += [Problem(f, "folder-unreadable", "cannot open folder: Access is denied") for f in below]
        return found


@pytest.fixture
def drive(tmp_path: Path, windows_rules: PathRules, monkeypatch: pytest.MonkeyPatch) -> WindowsDrive:
    drive = WindowsDrive(tmp_path / "drive")
    monkeypatch.chdir(drive.folder)
    monkeypatch.setattr(pipeline, "enumerate_files", drive.walk)
    return drive


def scan(lib: Library, *roots: str) -> ScanSummary:
    return lib.scan(ScanRequest(roots=tuple(Path(root) for root in roots), workers=1))


def present(lib: Library) -> dict[str, int]:
    return {f.path: f.id for f in lib.catalog.files.present()}


def counts(summary: ScanSummary) -> tuple[int, int, int, int]:
    return summary.new, summary.unchanged, summary.removed, summary.moved


# --- rescans ----------------------------------------------------------------------------------------------------


def test_a_rescan_finds_its_files_however_the_root_is_typed(lib: Library, drive: WindowsDrive) -> None:
    made = [drive.photo(f"{PICTURES}\\IMG_{seed}.jpg", seed) for seed in range(2)]
    made.append(drive.photo(f"{PICTURES}\\2024\\Trip\\IMG_9.jpg", 9))
    assert counts(scan(lib, PICTURES)) == (3, 0, 0, 0)
    catalogued = present(lib)
    assert set(catalogued) == set(made)
    for typed in ("c:\\pictures\\", "C:/Pictures", "C:\\PICTURES\\2024\\..", PICTURES):
        # main: the second scan of C:\Pictures failed on "UNIQUE constraint failed: files.path"
        assert counts(scan(lib, typed)) == (0, 3, 0, 0), typed
        assert present(lib) == catalogued, "every file keeps its one row"


def test_a_folder_beside_the_root_is_not_under_it(lib: Library, drive: WindowsDrive) -> None:
    own = drive.photo(f"{PICTURES}\\IMG_1.jpg", 1)
    beside = [drive.photo(f"{PICTURES} Old\\IMG_2.jpg", 2), drive.photo(f"{PICTURES}-2\\IMG_3.jpg", 3)]
    scan(lib, PICTURES, f"{PICTURES} Old", f"{PICTURES}-2")
    drive.remove(own)
    again = scan(lib, "c:\\pictures")
    assert (again.removed, again.unchanged) == (1, 0), "only the file under the root was looked for"
    assert set(present(lib)) == set(beside)


def test_a_share_and_a_drive_root_are_folders_too(lib: Library, drive: WindowsDrive) -> None:
    share = [drive.photo("\\\\nas\\photos\\IMG_1.jpg", 1), drive.photo("\\\\nas\\photos\\2024\\IMG_2.jpg", 2)]
    card = [drive.photo("D:\\IMG_3.jpg", 3), drive.photo("D:\\DCIM\\IMG_4.jpg", 4)]
    assert counts(scan(lib, "\\\\nas\\photos", "D:\\")) == (4, 0, 0, 0)
    assert counts(scan(lib, "\\\\NAS\\Photos\\", "d:\\")) == (0, 4, 0, 0)
    assert set(present(lib)) == {*share, *card}


def test_rows_of_one_file_under_two_cases_become_one(lib: Library, drive: WindowsDrive) -> None:
    """A catalogue written before paths were compared by the platform's rules may hold one file twice, under two
    cases: the two rows are exact duplicates of each other, and trashing the "extra" would trash the photo."""
    photo = drive.photo(f"{PICTURES}\\IMG_1.jpg", 1)
    scan(lib, PICTURES)
    columns = "size, mtime_ns, content_hash, width, height, format, status"
    lib.catalog.db.execute(f"INSERT INTO files (path, {columns}) SELECT lower(path), {columns} FROM files")
    assert len(lib.groups(Tier.EXACT)) == 1
    scan(lib, "c:\\pictures")
    assert list(present(lib)) == [photo] and lib.groups(Tier.EXACT) == []


def test_path_keys_written_under_other_unicode_tables_are_rebuilt(tmp_path: Path, windows_rules: PathRules) -> None:
    """A Python with other Unicode tables folds some names differently: the path keys are computed again."""
    library_dir = tmp_path / "library"
    Catalog(library_dir).close()
    conn = sqlite3.connect(library_dir / DB_NAME, isolation_level=None)
    conn.create_function("path_key", 1, lambda path: path, deterministic=True)  # tables that fold nothing
    conn.execute("INSERT INTO problems (path, code, reason) VALUES (?, 'corrupt', 'x')", [f"{PICTURES}\\a.jpg"])
    conn.execute("UPDATE settings SET value = '1.1.0' WHERE key = 'path_key_unicode'")
    conn.close()
    catalog = Catalog(library_dir)
    try:
        assert list(catalog.problems.under(["c:\\pictures"])) == [windows_rules.key(f"{PICTURES}\\a.jpg")]
    finally:
        catalog.close()


# --- moved files ------------------------------------------------------------------------------------------------


def test_a_moved_file_keeps_its_row(lib: Library, drive: WindowsDrive) -> None:
    photo = drive.photo(f"{PICTURES}\\IMG_1.jpg", 1)
    drive.photo(f"{PICTURES}\\IMG_2.jpg", 2)
    scan(lib, PICTURES)
    file_id = present(lib)[photo]
    moved = drive.move(photo, f"{PICTURES}\\2024\\IMG_1.jpg")
    assert counts(scan(lib, "c:\\PICTURES\\")) == (0, 1, 1, 1)
    assert present(lib)[moved] == file_id and photo not in present(lib)


# --- problems ---------------------------------------------------------------------------------------------------


def test_problems_under_a_root_are_found_again_and_cleared(lib: Library, drive: WindowsDrive) -> None:
    drive.photo(f"{PICTURES}\\IMG_1.jpg", 1)
    broken = drive.write(f"{PICTURES}\\broken.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
    drive.unreadable.add(f"{PICTURES}\\Private")
    first = scan(lib, PICTURES)
    assert first.problems == 2
    drive.unreadable.clear()
    again = scan(lib, "c:\\pictures\\")
    assert again.problems == 1, "the folder problem went, the file's problem stays"
    (problem,) = lib.problems()
    assert (problem.path, problem.scan_id) == (broken, first.scan_id), "an unchanged broken file is not read again"
    drive.remove(broken)
    assert scan(lib, "C:/PICTURES").problems == 0 and lib.problems() == []


def test_a_file_renamed_in_case_is_the_same_file(lib: Library, drive: WindowsDrive) -> None:
    photo = drive.photo(f"{PICTURES}\\IMG_1.JPG", 1)
    scan(lib, PICTURES)
    file_id = present(lib)[photo]
    drive.move(photo, f"{PICTURES}\\img_1.jpg")  # a rename keeps the mtime
    assert counts(scan(lib, PICTURES)) == (0, 1, 0, 0)
    assert list(present(lib).values()) == [file_id]


def test_a_mended_file_clears_its_problem_in_any_case(lib: Library, drive: WindowsDrive) -> None:
    broken = drive.write(f"{PICTURES}\\IMG_1.JPG", b"\xff\xd8\xff\xe0 not really a jpeg")
    scan(lib, PICTURES)
    assert [p.path for p in lib.problems()] == [broken]
    drive.remove(broken)
    drive.photo(f"{PICTURES}\\img_1.jpg", 1)
    assert counts(scan(lib, PICTURES)) == (1, 0, 0, 0)
    assert lib.problems() == []


# --- protected and excluded folders, trash folders ----------------------------------------------------------------


def test_a_protected_folder_protects_in_any_case(lib: Library, drive: WindowsDrive) -> None:
    reference = drive.photo(f"{PICTURES}\\Keep\\beach copy.jpg", 1)  # the keep rules alone would not keep it
    drive.copy(reference, f"{PICTURES}\\beach.jpg")
    scan(lib, PICTURES)
    lib.set_protected_folders([Path("c:\\pictures\\KEEP\\")])
    (group,) = lib.groups(Tier.EXACT)
    (member,) = [m for m in group.members if m.file.path == reference]
    assert member.protected and member.keep


def test_an_excluded_folder_is_skipped_in_any_case(windows_rules: PathRules) -> None:
    walker = _Walker([PICTURES], WalkOptions(excluded=("c:\\pictures\\private\\",)), lambda n: None, NEVER_CANCELLED)
    assert walker.is_excluded("C:\\Pictures\\Private") and walker.is_excluded("C:\\Pictures\\PRIVATE\\2024")
    assert not walker.is_excluded("C:\\Pictures\\Private 2") and not walker.is_excluded(PICTURES)


def test_roots_are_one_folder_however_typed(windows_rules: PathRules) -> None:
    typed = [PICTURES, "c:\\pictures\\", "C:/Pictures/2024", f"{PICTURES} Old", "\\\\nas\\photos\\", "\\\\NAS\\Photos"]
    assert canonical_roots(typed) == [PICTURES, f"{PICTURES} Old", "\\\\nas\\photos\\"]


def test_trash_folders_are_found_by_windows_paths(windows_rules: PathRules) -> None:
    assert in_trash("C:\\$Recycle.Bin\\S-1-5-21\\$RAB12CD.jpg") and in_trash("d:\\RECYCLER\\IMG_1.jpg")
    assert is_trash_folder("E:\\$RECYCLE.BIN") and is_trash_folder("\\\\nas\\photos\\.Trash-1000")
    assert not in_trash("C:\\Pictures\\$Recycle.Bin.jpg")
    assert is_quarantined("\\\\nas\\photos\\.Twinlens-Trash\\files\\IMG_1.jpg")
    assert not is_quarantined("C:\\Pictures\\.twinlens-trash")
