"""Every name the OS can give is stored and found again: bytes that are not UTF-8, and the plane-16 private-use
characters U+10FF80..U+10FFFF the first path codec took for them (every scan then reported such a file removed).
A library written by that codec keeps finding its files after migration.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from core.entities import ScanRequest, ScanSummary, Tier, TrashRequest
from core.library import Library
from core.store.catalog import DB_NAME
from core.store.migrations import MIGRATIONS, PATH_KEY_TABLES
from core.store.pathcodec import from_db
from tests.images import save_photo

BYTE = os.fsdecode(b"caf\xe9.jpg")  # Latin-1 bytes: 0xE9 becomes the lone surrogate U+DCE9
NAMES = [
    "plain.jpg",
    BYTE,
    os.fsdecode(b"IMG_\x80.jpg"),  # U+DC80, which the first codec stored as U+10FF80 ...
    "IMG_\U0010ff80.jpg",  # ... as it stored this real character
    "IMG_\U0010ffff.jpg",  # the codec's escape character, in a name
]


def scan(lib: Library, root: Path) -> ScanSummary:
    return lib.scan(ScanRequest(roots=(root,), workers=1))


def counts(summary: ScanSummary) -> tuple[int, int, int, int]:
    return summary.new, summary.unchanged, summary.removed, summary.moved


def present(lib: Library) -> dict[str, int]:
    return {f.path: f.id for f in lib.catalog.files.present()}


def test_every_name_is_found_again(lib: Library, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    made = {str(save_photo(photos / name, seed=seed)) for seed, name in enumerate(NAMES)}
    assert counts(scan(lib, photos)) == (len(NAMES), 0, 0, 0)
    assert set(present(lib)) == made
    assert counts(scan(lib, photos)) == (0, len(NAMES), 0, 0), "a rescan finds every file unchanged"


def test_a_folder_with_an_undecodable_name_is_a_root_like_any(lib: Library, tmp_path: Path) -> None:
    folder = tmp_path / os.fsdecode(b"Fotos \xe9t\xe9")
    inside = str(save_photo(folder / BYTE, seed=1))
    beside = str(save_photo(tmp_path / (folder.name + " 2") / "plain.jpg", seed=2))
    scan(lib, tmp_path)
    assert counts(scan(lib, folder)) == (0, 1, 0, 0)
    assert set(present(lib)) == {inside, beside}


# --- a library written by the first codec --------------------------------------------------------------------


def first_codec(path: str) -> str:
    """How the first codec stored a path: U+DC80..U+DCFF as U+10FF80..U+10FFFF, everything else as itself."""
    return path.translate({code: code - 0xDC80 + 0x10FF80 for code in range(0xDC80, 0xDD00)})


def as_the_first_codec_wrote_it(library_dir: Path) -> None:
    """The library as Twinlens wrote it before migrations 6 and 7: paths in the first codec, no path keys."""
    conn = sqlite3.connect(library_dir / DB_NAME, isolation_level=None)
    try:
        for table in PATH_KEY_TABLES:
            conn.execute(f"DROP TRIGGER {table}_fold_new")
            conn.execute(f"DROP TRIGGER {table}_fold_moved")
            conn.execute(f"DROP INDEX {table}_path_fold")
            conn.execute(f"ALTER TABLE {table} DROP COLUMN path_fold")
        conn.execute("ALTER TABLE perceptual_hashes DROP COLUMN partners")  # migration 8 came later still
        for table, column in [("files", "path"), ("problems", "path"), ("journal", "path"), ("journal", "trash_path")]:
            rows = conn.execute(f"SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
            for rowid, stored in rows:
                old = first_codec(from_db(stored))
                conn.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", [old, rowid])
        codec_2 = next(number for number, script in enumerate(MIGRATIONS, start=1) if "path_from_codec1" in script)
        conn.execute(f"PRAGMA user_version = {codec_2 - 1}")
    finally:
        conn.close()


def test_a_library_of_the_first_codec_finds_its_files_after_migration(tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    odd = save_photo(photos / BYTE, seed=1)
    twin = photos / os.fsdecode(b"caf\xe9 copy.jpg")
    twin.write_bytes(odd.read_bytes())
    broken = photos / os.fsdecode(b"br\xf6ken.jpg")
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    library_dir = tmp_path / "library"
    lib = Library(library_dir)
    try:
        first = scan(lib, photos)
        (group,) = lib.groups(Tier.EXACT)
        twin_id = next(m.file.id for m in group.members if m.file.path == str(twin))
        (trashed,) = lib.trash(TrashRequest((twin_id,), (group,))).trashed
        ids = present(lib)
    finally:
        lib.close()
    as_the_first_codec_wrote_it(library_dir)
    with sqlite3.connect(library_dir / DB_NAME) as conn:
        assert conn.execute("SELECT path FROM files WHERE id = ?", [ids[str(odd)]]).fetchone() == (
            f"{photos}/caf\U0010ffe9.jpg",
        ), "written as the first codec wrote it"

    lib = Library(library_dir)
    try:
        assert counts(scan(lib, photos)) == (0, 1, 0, 0), "the file is found unchanged, not removed and new"
        assert present(lib) == ids
        (problem,) = lib.problems()
        assert (problem.path, problem.scan_id) == (str(broken), first.scan_id), "the broken file is not read again"
        undone = lib.undo()
        assert undone.restored == (str(twin),) and twin.is_file(), f"restored from {trashed.trash_path}"
    finally:
        lib.close()


def test_the_database_can_be_read_and_checked_without_twinlens_functions(tmp_path: Path) -> None:
    """Outside readers (the sqlite3 shell, a support script, the kill tests' integrity check) register nothing:
    the path keys are stored columns, not an index over a function only the catalog knows."""
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg", seed=1)
    lib = Library(tmp_path / "library")
    try:
        scan(lib, photos)
    finally:
        lib.close()
    uri = (tmp_path / "library" / DB_NAME).as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM files WHERE path_fold IS NOT NULL").fetchone() == (1,)
