"""Faults around the trash: an emptied trash, a file that appears during a restore, a full disk, a backend that
does not say where a file went, a volume without a trash. Each test drives the real SystemTrash (in a private
HOME/XDG_DATA_HOME) and real moves; only the fault itself is injected.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.hashing import hash_file
from core.library import Library
from core.places import QUARANTINE_DIR
from core.safety import backend as trash_backend
from core.safety.backend import VolumeProbe
from core.safety.trash import SystemTrash, TrashRequest, request_extras
from core.store.catalog import Catalog
from tests.core.test_trash import exact_group, ids_of, make_library, status_of


def hashes(paths: list[Path]) -> dict[Path, str]:
    return {p: hash_file(str(p)) for p in paths}


def trash_status(lib: Library, path: Path) -> str:
    rows = list(lib.catalog.db.query("SELECT status FROM journal WHERE action = 'trash' AND path = ?", [str(path)]))
    return str(rows[-1]["status"])


# --- undo steps aside when the newest batch cannot be restored --------------------------------------------------


def test_plain_undo_steps_past_a_batch_whose_trash_was_emptied(lib: Library, tmp_path: Path) -> None:
    photos = make_library(lib, tmp_path, copies=2)
    group = exact_group(lib)
    older = lib.trash(TrashRequest(ids_of(group, photos.copies[:1]), (group,)))
    group = exact_group(lib)
    newer = lib.trash(TrashRequest(ids_of(group, photos.copies[1:]), (group,)))
    for moved in newer.trashed:  # the person empties the trash of the newer batch's file
        os.remove(moved.trash_path)
        os.remove(Path(moved.trash_path).parent.parent / "info" / (Path(moved.trash_path).name + ".trashinfo"))

    first = lib.undo()
    assert first.batch_id == newer.batch_id and first.restored == ()
    ((path, reason),) = first.failed
    assert path == str(photos.copies[1]) and "no longer in the trash" in reason and "emptied" in reason

    second = lib.undo()  # steps past the batch that cannot be restored
    assert second.batch_id == older.batch_id and second.restored == (str(photos.copies[0]),)
    assert photos.copies[0].is_file()

    assert first.stepped_aside and older.batch_id in first.note and "steps past" in first.note
    last = lib.undo()
    assert last.batch_id == "" and newer.batch_id in last.note and "no longer in the trash" in last.note
    states = {b.batch_id: b for b in lib.journal()}
    assert states[newer.batch_id].stepped_aside and "undo failed" in states[newer.batch_id].state
    assert states[older.batch_id].undone


# --- restore never replaces a file ------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["renameat2", "link", "copy across volumes"])
def test_restore_never_replaces_a_file_that_appears_after_the_check(
    lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    photos = make_library(lib, tmp_path, copies=1)
    group = exact_group(lib)
    (moved,) = lib.trash(TrashRequest(ids_of(group, photos.copies), (group,))).trashed
    original, trashed_hash = photos.copies[0], hash_file(moved.trash_path)
    intruder = b"a new photo the person saved here meanwhile"
    real_lexists, real_link = os.path.lexists, os.link

    def lexists_then_appears(path: object) -> bool:
        """Every check of the original path sees it free; the new file appears right after the first one."""
        if os.fspath(path) == str(original):  # type: ignore[call-overload]
            if not real_lexists(original):
                original.write_bytes(intruder)
            return False
        return bool(real_lexists(path))  # type: ignore[arg-type]

    def link_across_volumes(src: str, dst: str, **kwargs: object) -> None:
        if os.fspath(src) == moved.trash_path:
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_link(src, dst, **kwargs)  # type: ignore[arg-type]

    if way != "renameat2":
        monkeypatch.setattr(trash_backend, "_RENAMEAT2", None, raising=False)
    if way == "copy across volumes":
        monkeypatch.setattr(os, "link", link_across_volumes)
    monkeypatch.setattr(os.path, "lexists", lexists_then_appears)

    undo = lib.undo()

    monkeypatch.undo()
    assert original.read_bytes() == intruder, "never overwritten"
    assert undo.restored == () and "not overwritten" in undo.failed[0][1] and moved.trash_path in undo.failed[0][1]
    assert hash_file(moved.trash_path) == trashed_hash, "the trashed photo is still in the trash"
    assert [p.name for p in original.parent.iterdir()] == [original.name], "no partial copy left behind"
    assert status_of(lib, original) == "trashed"


# --- a full disk ------------------------------------------------------------------------------------------------


def fill_database(catalog: Catalog) -> None:
    """SQLITE_FULL from here on for any write that needs room: no new pages, and the journal's page packed."""
    pages = catalog.db.execute("PRAGMA page_count").fetchone()[0]
    catalog.db.execute(f"PRAGMA max_page_count = {pages}")
    size = 4096
    while size:
        try:
            catalog.db.execute(
                "INSERT INTO journal (at, action, batch, path, status, detail) "
                "VALUES (0, 'ballast', 'ballast', '', 'ballast', ?)",
                ["x" * size],
            )
        except sqlite3.OperationalError as error:
            assert "full" in str(error)
            size //= 2


def free_database(catalog: Catalog) -> None:
    catalog.db.execute("DELETE FROM journal WHERE action = 'ballast'")
    catalog.db.execute("PRAGMA max_page_count = 1073741823")


class DiskFillsDuringMove(SystemTrash):
    """The real system trash; on the n-th move the library's disk fills up right after the file moved."""

    def __init__(self, catalog: Catalog, on_move: int) -> None:
        super().__init__()
        self.catalog, self.on_move, self.moves = catalog, on_move, 0

    def move_to_trash(self, path: str) -> str | None:
        self.moves += 1
        location = super().move_to_trash(path)
        if self.moves == self.on_move:
            fill_database(self.catalog)
        return location


def test_disk_full_in_the_journal_write_stops_the_batch_and_loses_nothing(lib: Library, tmp_path: Path) -> None:
    photos = make_library(lib, tmp_path, copies=3)
    before = hashes(photos.all_copies)
    group = exact_group(lib)
    request = request_extras([group])
    by_id = {m.file.id: Path(m.file.path) for m in group.members}
    first, second, third = (by_id[i] for i in request.file_ids)  # the order they are moved in

    outcome = lib.trash(request, backend=DiskFillsDuringMove(lib.catalog, on_move=2))

    assert [t.path for t in outcome.trashed] == [str(first)]
    reasons = dict(outcome.failed)
    assert set(reasons) == {str(second), str(third)}, "never a silent skip"
    assert "journal could not be written" in reasons[str(second)] and "put back" in reasons[str(second)]
    assert "not moved" in reasons[str(third)] and "full" in reasons[str(third)]
    assert hashes([photos.original, second, third]) == {p: before[p] for p in (photos.original, second, third)}
    assert hash_file(outcome.trashed[0].trash_path) == before[first]
    assert trash_status(lib, first) == "ok" and trash_status(lib, second) != "ok", "the journal is truthful"

    free_database(lib.catalog)
    undo = lib.undo()
    assert str(first) in undo.restored and undo.failed == ()
    assert hashes(photos.all_copies) == before


def test_disk_full_before_the_batch_moves_nothing_and_says_so(lib: Library, tmp_path: Path) -> None:
    photos = make_library(lib, tmp_path, copies=2)
    group = exact_group(lib)
    fill_database(lib.catalog)

    outcome = lib.trash(request_extras([group]))

    assert outcome.trashed == () and len(outcome.failed) == 2
    assert all("journal could not be written" in reason for _, reason in outcome.failed)
    assert all(p.is_file() for p in photos.all_copies)


class FullWhileRecording(SystemTrash):
    """The real move happens, then the trash's disk is full while it writes its own record: ENOSPC."""

    def move_to_trash(self, path: str) -> str | None:
        super().move_to_trash(path)
        raise OSError(errno.ENOSPC, "No space left on device")


def test_backend_failing_after_the_move_is_journaled_truthfully_and_undone(lib: Library, tmp_path: Path) -> None:
    photos = make_library(lib, tmp_path, copies=1)
    before = hashes(photos.all_copies)
    group = exact_group(lib)

    outcome = lib.trash(request_extras([group]), backend=FullWhileRecording())

    ((path, reason),) = outcome.failed
    assert path == str(photos.copies[0])
    assert "No space left" in reason and "no longer at its place" in reason
    assert "still at its place" not in reason, "the journal must not claim the file stayed"
    assert trash_status(lib, photos.copies[0]) == "pending"
    undo = lib.undo()
    assert undo.restored == (str(photos.copies[0]),) and undo.failed == ()
    assert hashes(photos.all_copies) == before


class FullTrash(SystemTrash):
    def move_to_trash(self, path: str) -> str | None:
        raise OSError(errno.ENOSPC, "No space left on device")


def test_backend_refusing_with_enospc_leaves_every_file_and_reports_each(lib: Library, tmp_path: Path) -> None:
    photos = make_library(lib, tmp_path, copies=2)
    outcome = lib.trash(request_extras([exact_group(lib)]), backend=FullTrash())
    assert outcome.trashed == () and len(outcome.failed) == 2
    assert all("No space left" in r and "still at its place" in r for _, r in outcome.failed)
    assert all(p.is_file() for p in photos.all_copies)
    assert {trash_status(lib, p) for p in photos.copies} == {"failed"}


# --- a backend that does not say where the file went ------------------------------------------------------------


class SilentRecycleBin(SystemTrash):
    """Like send2trash on Windows: the file goes somewhere Twinlens cannot look, and no location comes back."""

    def __init__(self, bin_folder: Path) -> None:
        super().__init__()
        self.bin = bin_folder

    def move_to_trash(self, path: str) -> str | None:
        self.bin.mkdir(exist_ok=True)
        os.rename(path, self.bin / Path(path).name)
        return None


class DoesNothing(SystemTrash):
    def move_to_trash(self, path: str) -> str | None:
        return None


def test_a_move_without_a_reported_location_is_not_undoable_and_the_person_is_told(
    lib: Library, tmp_path: Path
) -> None:
    photos = make_library(lib, tmp_path, copies=1)
    outcome = lib.trash(request_extras([exact_group(lib)]), backend=SilentRecycleBin(tmp_path / "recycle-bin"))

    assert outcome.trashed == () and outcome.failed == ()
    ((path, reason),) = outcome.lost
    assert path == str(photos.copies[0]) and "did not say where" in reason and "cannot put it back" in reason
    assert trash_status(lib, photos.copies[0]) == "lost-location"
    assert lib.undo().batch_id == "", "plain undo does not pretend it can bring it back"
    explicit = lib.undo(outcome.batch_id)
    assert explicit.restored == () and explicit.failed == ((path, reason),)
    (batch,) = lib.journal()
    assert not batch.undoable and "cannot be undone" in batch.state


def test_a_backend_that_reports_nothing_and_moved_nothing_is_a_failure(lib: Library, tmp_path: Path) -> None:
    photos = make_library(lib, tmp_path, copies=1)
    outcome = lib.trash(request_extras([exact_group(lib)]), backend=DoesNothing())
    assert outcome.trashed == () and "still at its place" in outcome.failed[0][1]
    assert trash_status(lib, photos.copies[0]) == "failed" and status_of(lib, photos.copies[0]) == "present"


# --- a volume without a trash: the quarantine -------------------------------------------------------------------


class NasProbe(VolumeProbe):
    """Treats one folder as the top of a volume without a trash (a NAS share); everything else as it is."""

    def __init__(self, nas: Path) -> None:
        self.nas = str(nas)

    def _on_nas(self, path: str) -> bool:
        return path.startswith(self.nas + os.sep)

    def mount_point(self, path: str) -> str:
        return self.nas if self._on_nas(path) else REAL_MOUNT_POINT(self, path)

    def has_trash(self, path: str) -> bool:
        return not self._on_nas(path) and REAL_HAS_TRASH(self, path)


REAL_MOUNT_POINT, REAL_HAS_TRASH = VolumeProbe.mount_point, VolumeProbe.has_trash


@pytest.fixture
def nas(tmp_path: Path) -> Path:
    return tmp_path / "nas"


def nas_library(lib: Library, nas: Path) -> tuple[list[Path], SystemTrash]:
    photos = make_library(lib, nas, copies=2)
    return photos.copies, SystemTrash(NasProbe(nas))


def test_no_trash_without_consent_moves_nothing_and_asks(lib: Library, nas: Path, private_trash: Path) -> None:
    copies, backend = nas_library(lib, nas)
    group = exact_group(lib)

    preview = lib.preview_trash(request_extras([group]), backend)
    outcome = lib.trash(request_extras([group]), backend)

    assert preview.will_trash == () and preview.needs_consent == (str(nas),)
    assert all("has no trash" in r.reason and QUARANTINE_DIR in r.reason for r in preview.refused)
    assert outcome.trashed == () and all(p.is_file() for p in copies)
    assert not (nas / QUARANTINE_DIR).exists() and not private_trash.exists()


def test_quarantine_with_consent_is_journaled_and_undone(lib: Library, nas: Path, private_trash: Path) -> None:
    copies, backend = nas_library(lib, nas)
    before = hashes(copies)
    lib.allow_quarantine([str(nas)])
    group = exact_group(lib)

    preview = lib.preview_trash(request_extras([group]), backend)
    outcome = lib.trash(request_extras([group]), backend)

    assert set(preview.quarantined) == set(ids_of(group, copies)) and preview.needs_consent == ()
    assert {t.place for t in outcome.trashed} == {"quarantine"} and outcome.failed == ()
    for moved in outcome.trashed:
        assert moved.trash_path.startswith(str(nas / QUARANTINE_DIR / "files") + os.sep)
        assert hash_file(moved.trash_path) == before[Path(moved.path)]
        info = nas / QUARANTINE_DIR / "info" / (Path(moved.trash_path).name + ".trashinfo")
        assert f"Path={moved.path}".replace(" ", "%20") in info.read_text()
    assert not any(p.exists() for p in copies) and not private_trash.exists()
    assert {trash_status(lib, p) for p in copies} == {"ok"}

    undo = lib.undo(backend=backend)
    assert set(undo.restored) == {str(p) for p in copies} and undo.failed == ()
    assert hashes(copies) == before
    assert list((nas / QUARANTINE_DIR / "files").iterdir()) == [] == list((nas / QUARANTINE_DIR / "info").iterdir())


def test_quarantine_goes_beside_the_files_when_the_top_cannot_hold_it(lib: Library, nas: Path) -> None:
    copies, backend = nas_library(lib, nas)
    (nas / QUARANTINE_DIR).write_bytes(b"a file of the person's that happens to have this name")
    lib.allow_quarantine([str(nas)])

    outcome = lib.trash(request_extras([exact_group(lib)]), backend)

    beside = copies[0].parent / QUARANTINE_DIR / "files"
    assert {Path(t.trash_path).parent for t in outcome.trashed} == {beside}
    assert (nas / QUARANTINE_DIR).read_bytes().startswith(b"a file of the person's")
    assert len(lib.undo(backend=backend).restored) == 2 and all(p.is_file() for p in copies)


def test_cli_asks_for_quarantine_then_uses_it_and_undoes(
    tmp_path: Path, nas: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI builds its own SystemTrash: the probe's decision is injected into every VolumeProbe."""
    nas_probe = NasProbe(nas)
    monkeypatch.setattr(VolumeProbe, "mount_point", lambda self, path: nas_probe.mount_point(path))
    monkeypatch.setattr(VolumeProbe, "has_trash", lambda self, path: nas_probe.has_trash(path))
    library_dir = str(tmp_path / "cli-library")
    lib = Library(library_dir)
    copies = make_library(lib, nas, copies=2).copies
    lib.close()
    trash = ["trash", "--group-tier", "exact", "--extras", "--library", library_dir, "--yes"]

    assert cli_main(trash) == 0
    out = capsys.readouterr().out
    assert "has no trash" in out and "--allow-quarantine" in out and all(p.is_file() for p in copies)

    assert cli_main([*trash, "--allow-quarantine"]) == 0
    assert "2 of them to a quarantine folder" in capsys.readouterr().out and not any(p.exists() for p in copies)
    assert cli_main(["journal", "--library", library_dir]) == 0
    assert "in the trash" in capsys.readouterr().out
    assert cli_main(["undo", "--library", library_dir]) == 0
    assert "2 restored" in capsys.readouterr().out and all(p.is_file() for p in copies)
