"""Trash and undo on macOS and Windows, on Linux: the real backends (core/safety/backend_macos.py,
backend_windows.py) run on fakes of the platform layer written from its documented contracts
(tests/platform_trash_fakes.py), with real files moving. Each test would fail if its rule were broken:
nothing is journaled as trashed unless the backend says where the file went, undo brings it back without
replacing anything, and where a file cannot be found the message says where to look.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.hashing import hash_file
from core.library import Library
from core.safety import backend as trash_backend
from core.safety.backend import RestoreError, SystemTrash, move_exclusive
from core.safety.backend_macos import MacTrash, MacVolumeProbe
from core.safety.backend_windows import WindowsTrash, WindowsVolumeProbe, find_recycled, read_info
from core.safety.trash import request_extras
from tests.core.test_trash import exact_group, make_library, status_of
from tests.platform_trash_fakes import (
    DRIVE_FIXED,
    DRIVE_REMOTE,
    DRIVE_REMOVABLE,
    SID,
    FakeFoundation,
    FakePywin32,
    write_info,
)

ROOT = Path(__file__).resolve().parents[2]


def journal_statuses(lib: Library, action: str = "trash") -> list[str]:
    rows = lib.catalog.db.query("SELECT status FROM journal WHERE action = ? ORDER BY id", [action])
    return [str(r["status"]) for r in rows]


# --- macOS ----------------------------------------------------------------------------------------------------


@pytest.fixture
def mac(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeFoundation:
    return FakeFoundation(tmp_path / "home" / ".Trash").install(monkeypatch)


def test_mac_trash_journals_the_resulting_url_and_undo_puts_the_file_back(
    lib: Library, tmp_path: Path, mac: FakeFoundation
) -> None:
    photos = make_library(lib, tmp_path / "mac")
    before = {p: hash_file(str(p)) for p in photos.copies}

    outcome = lib.trash(request_extras([exact_group(lib)]), backend=MacTrash())

    assert {t.path for t in outcome.trashed} == {str(p) for p in photos.copies} and outcome.failed == ()
    assert {Path(t.trash_path).parent for t in outcome.trashed} == {mac.trash}
    assert journal_statuses(lib) == ["ok", "ok"] and not any(p.exists() for p in photos.copies)

    undo = lib.undo(backend=MacTrash())

    assert set(undo.restored) == {str(p) for p in photos.copies} and undo.failed == ()
    assert {p: hash_file(str(p)) for p in photos.copies} == before and list(mac.trash.iterdir()) == []
    assert journal_statuses(lib, "undo") == ["ok", "ok"] and status_of(lib, photos.copies[0]) == "present"


def test_mac_nil_resulting_url_is_not_journaled_as_trashed_and_undo_says_to_look_in_finder(
    lib: Library, tmp_path: Path, mac: FakeFoundation
) -> None:
    photos = make_library(lib, tmp_path / "mac", copies=1)
    mac.answer = "nil"
    loose = tmp_path / "loose.jpg"
    loose.write_bytes(b"jpeg")

    assert MacTrash().move_to_trash(str(loose)) is None and not loose.exists()  # moved, but macOS said nothing
    outcome = lib.trash(request_extras([exact_group(lib)]), backend=MacTrash())

    ((path, reason),) = outcome.lost
    assert outcome.trashed == () and path == str(photos.copies[0]) and "did not say where" in reason
    assert journal_statuses(lib) == ["lost-location"]
    with pytest.raises(RestoreError, match=r"'holiday copy 0\.jpg' in the Trash in Finder.*Put Back"):
        MacTrash().restore(None, path)


def test_mac_error_object_leaves_the_file_and_names_the_cause(
    lib: Library, tmp_path: Path, mac: FakeFoundation
) -> None:
    photos = make_library(lib, tmp_path / "mac", copies=1)
    mac.answer = "denied"

    with pytest.raises(PermissionError, match="NSCocoaErrorDomain 513"):
        MacTrash().move_to_trash(str(photos.copies[0]))
    outcome = lib.trash(request_extras([exact_group(lib)]), backend=MacTrash())

    ((_, reason),) = outcome.failed
    assert "permission" in reason and "still at its place" in reason and photos.copies[0].is_file()
    assert journal_statuses(lib) == ["failed"]


@pytest.mark.parametrize(
    ("answer", "expected_errno", "text"),
    [("unsupported", errno.ENOTSUP, "volume has no Trash"), ("silent", errno.EIO, "gave no reason")],
)
def test_mac_refusals_raise_with_the_reason_and_move_nothing(
    tmp_path: Path, mac: FakeFoundation, answer: str, expected_errno: int, text: str
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"jpeg")
    mac.answer = answer
    with pytest.raises(OSError, match=text) as raised:
        MacTrash().move_to_trash(str(photo))
    assert raised.value.errno == expected_errno and photo.read_bytes() == b"jpeg"


@pytest.mark.parametrize(("is_local", "has_trash"), [(True, True), (False, False), (None, False)])
def test_mac_only_local_volumes_have_a_trash(
    tmp_path: Path, mac: FakeFoundation, is_local: bool | None, has_trash: bool
) -> None:
    mac.volume_is_local = is_local  # None: the volume's kind cannot be read
    assert MacVolumeProbe().has_trash(str(tmp_path / "photo.jpg")) is has_trash


def test_mac_network_volume_goes_to_the_quarantine_only_with_consent(
    lib: Library, tmp_path: Path, mac: FakeFoundation
) -> None:
    make_library(lib, tmp_path / "mac", copies=1)
    mac.volume_is_local = False

    preview = lib.preview_trash(request_extras([exact_group(lib)]), MacTrash())

    assert preview.will_trash == () and len(preview.needs_consent) == 1
    assert "has no trash" in preview.refused[0].reason


def test_mac_restore_never_replaces_a_file_at_the_original_path(tmp_path: Path, mac: FakeFoundation) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"trashed")
    location = MacTrash().move_to_trash(str(photo))
    photo.write_bytes(b"a new photo with the same name")

    with pytest.raises(RestoreError, match="already exists"):
        MacTrash().restore(location, str(photo))
    assert photo.read_bytes() == b"a new photo with the same name" and Path(str(location)).read_bytes() == b"trashed"


# --- Windows --------------------------------------------------------------------------------------------------


class DriveC(WindowsVolumeProbe):
    """The test's folder `C` is the volume (the root of its `$Recycle.Bin`)."""

    def __init__(self, root: Path) -> None:
        self.root = str(root)

    def mount_point(self, path: str) -> str:
        return self.root


@pytest.fixture
def drive(tmp_path: Path) -> Path:
    return tmp_path / "C"


@pytest.fixture
def win(drive: Path, monkeypatch: pytest.MonkeyPatch) -> FakePywin32:
    return FakePywin32(drive).install(monkeypatch)


def test_windows_recycles_with_the_documented_flags_and_reports_the_r_file(drive: Path, win: FakePywin32) -> None:
    photo = drive / "photos" / "holiday.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg")

    location = WindowsTrash(DriveC(drive)).move_to_trash(str(photo))

    assert location is not None and Path(location).parent == drive / "$Recycle.Bin" / SID
    assert Path(location).name.startswith("$R") and Path(location).read_bytes() == b"jpeg" and not photo.exists()
    (operation,) = win.shell.operations
    # FOFX_RECYCLEONDELETE | FOF_NOCONFIRMATION | FOF_SILENT | FOF_NOERRORUI | FOFX_EARLYFAILURE
    assert operation.flags == 0x00080000 | 0x0010 | 0x0004 | 0x0400 | 0x00100000
    assert operation.sinks == {} and win.com_calls == ["init", "uninit"], "Unadvise and CoUninitialize, paired"


def test_windows_trash_and_undo_round_trip_removes_the_bin_records(lib: Library, drive: Path, win: FakePywin32) -> None:
    photos = make_library(lib, drive)
    backend = WindowsTrash(DriveC(drive))

    outcome = lib.trash(request_extras([exact_group(lib)]), backend=backend)

    assert len(outcome.trashed) == 2 and journal_statuses(lib) == ["ok", "ok"]
    bin_folder = drive / "$Recycle.Bin" / SID
    assert sorted(p.name[:2] for p in bin_folder.iterdir()) == ["$I", "$I", "$R", "$R"]
    undo = lib.undo(backend=backend)
    assert set(undo.restored) == {str(p) for p in photos.copies} and all(p.is_file() for p in photos.copies)
    assert list(bin_folder.iterdir()) == [], "the $R file went back and its $I record is gone"


def test_windows_restore_without_a_location_finds_the_newest_i_record(drive: Path, win: FakePywin32) -> None:
    """A crash between the move and the journal leaves no location: the volume's `$I` records are searched."""
    photo = drive / "photos" / "holiday.jpg"
    photo.parent.mkdir(parents=True)
    backend = WindowsTrash(DriveC(drive))
    photo.write_bytes(b"older")
    older = backend.move_to_trash(str(photo))
    photo.write_bytes(b"newer")
    backend.move_to_trash(str(photo))

    backend.restore(None, str(photo))

    assert photo.read_bytes() == b"newer" and Path(str(older)).read_bytes() == b"older"
    assert find_recycled(str(photo), str(drive)) == older, "the older one stays where it is"


@pytest.mark.parametrize("veto_raises", [True, False])
def test_windows_vetoes_a_delete_that_would_not_recycle(
    lib: Library, drive: Path, win: FakePywin32, veto_raises: bool
) -> None:
    """No TSF_DELETE_RECYCLE_IF_POSSIBLE in PreDeleteItem: the shell would delete it permanently."""
    photos = make_library(lib, drive, copies=1)
    win.shell.answer, win.shell.veto_raises = "too-large", veto_raises

    outcome = lib.trash(request_extras([exact_group(lib)]), backend=WindowsTrash(DriveC(drive)))

    ((_, reason),) = outcome.failed
    assert "deleted it permanently" in reason and "still at its place" in reason
    assert photos.copies[0].is_file() and journal_statuses(lib) == ["failed"]


def test_windows_hr_failure_leaves_the_file_and_says_why(lib: Library, drive: Path, win: FakePywin32) -> None:
    photos = make_library(lib, drive, copies=1)
    win.shell.answer = "denied"

    with pytest.raises(PermissionError, match="0x80070005"):
        WindowsTrash(DriveC(drive)).move_to_trash(str(photos.copies[0]))
    outcome = lib.trash(request_extras([exact_group(lib)]), backend=WindowsTrash(DriveC(drive)))

    assert "still at its place" in outcome.failed[0][1] and photos.copies[0].is_file()
    assert journal_statuses(lib) == ["failed"]


def test_windows_null_newly_created_item_is_never_journaled_as_trashed(
    lib: Library, drive: Path, win: FakePywin32
) -> None:
    """PostDeleteItem without a new item documents a permanent delete (the veto should make it impossible)."""
    photos = make_library(lib, drive, copies=1)
    win.shell.answer = "permanent"

    outcome = lib.trash(request_extras([exact_group(lib)]), backend=WindowsTrash(DriveC(drive)))

    assert outcome.trashed == () and journal_statuses(lib) == ["pending"]
    assert "deleted without going to the Recycle Bin" in outcome.failed[0][1]
    undo = lib.undo(backend=WindowsTrash(DriveC(drive)))
    ((_, reason),) = undo.failed
    assert "'holiday copy 0.jpg' in the Recycle Bin" in reason and str(photos.copies[0].parent) in reason


def test_windows_item_without_a_file_system_path_is_reported_as_unknown(
    lib: Library, drive: Path, win: FakePywin32
) -> None:
    make_library(lib, drive, copies=1)
    win.shell.answer = "virtual"

    outcome = lib.trash(request_extras([exact_group(lib)]), backend=WindowsTrash(DriveC(drive)))

    assert outcome.trashed == () and "did not say where" in outcome.lost[0][1]
    assert journal_statuses(lib) == ["lost-location"]


@pytest.mark.parametrize(
    ("drive_type", "has_trash"), [(DRIVE_FIXED, True), (DRIVE_REMOTE, False), (DRIVE_REMOVABLE, False)]
)
def test_windows_only_fixed_drives_have_a_recycle_bin(
    drive: Path, win: FakePywin32, drive_type: int, has_trash: bool
) -> None:
    win.drive_types[os.path.join(str(drive), "")] = drive_type  # GetDriveType wants the trailing separator
    assert DriveC(drive).has_trash(str(drive / "photo.jpg")) is has_trash


def test_windows_already_initialised_com_is_used_and_left_alone(drive: Path, win: FakePywin32) -> None:
    photo = drive / "photo.jpg"
    drive.mkdir()
    photo.write_bytes(b"jpeg")
    win.changed_mode = True
    assert WindowsTrash(DriveC(drive)).move_to_trash(str(photo)) is not None
    assert win.com_calls == [], "no CoUninitialize for an apartment this code did not start"


def test_windows_without_the_file_operation_class_moves_nothing(drive: Path, win: FakePywin32) -> None:
    photo = drive / "photo.jpg"
    drive.mkdir()
    photo.write_bytes(b"jpeg")
    win.class_not_registered = True
    with pytest.raises(OSError, match=r"could not be reached.*0x80040154"):
        WindowsTrash(DriveC(drive)).move_to_trash(str(photo))
    assert photo.read_bytes() == b"jpeg" and win.com_calls == ["init", "uninit"]


@pytest.mark.parametrize("version", [1, 2])
def test_windows_info_records_of_both_versions_are_read(tmp_path: Path, version: int) -> None:
    info = tmp_path / "$IAB12CD.jpg"
    write_info(info, "C:\\Users\\ana\\Pictures\\holiday copy.jpg", 1234, 133_500_000_000_000_000, version)
    record = read_info(str(info))
    assert record is not None and record.original == "C:\\Users\\ana\\Pictures\\holiday copy.jpg"
    assert record.deleted_at == 133_500_000_000_000_000


def test_windows_rename_never_replaces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows' rename raises FileExistsError when the target exists: move_exclusive relies on it there."""
    real_rename = os.rename

    def windows_rename(src: str, dst: str) -> None:
        if os.path.lexists(dst):
            raise FileExistsError(errno.EEXIST, "Cannot create a file when that file already exists", dst)
        real_rename(src, dst)

    monkeypatch.setattr(trash_backend, "_RENAME_NEVER_REPLACES", True)
    monkeypatch.setattr(os, "rename", windows_rename)
    monkeypatch.setattr(os, "link", lambda *args, **kwargs: pytest.fail("no hard link is needed on Windows"))
    src, taken, free = tmp_path / "$R1.jpg", tmp_path / "taken.jpg", tmp_path / "free.jpg"
    src.write_bytes(b"trashed")
    taken.write_bytes(b"someone else's")

    with pytest.raises(FileExistsError):
        move_exclusive(str(src), str(taken))
    assert move_exclusive(str(src), str(free)) is True
    assert taken.read_bytes() == b"someone else's" and free.read_bytes() == b"trashed" and not src.exists()


# --- one backend per platform, chosen in one place; the CLI undo on each ------------------------------------------


def test_linux_never_imports_the_platform_apis() -> None:
    script = (
        "import sys, core.safety.trash, core.safety.backend_macos, core.safety.backend_windows\n"
        "from core.safety.backend import SystemTrash\n"
        "apis = {'Foundation', 'pythoncom', 'win32com'} & set(sys.modules)\n"
        "print(type(SystemTrash().platform).__name__, sorted(apis))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["FreedesktopTrash", "[]"]


@pytest.mark.parametrize(("platform", "module"), [("darwin", "Foundation"), ("win32", "pythoncom")])
def test_a_missing_platform_package_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str, module: str
) -> None:
    monkeypatch.setattr(trash_backend, "PLATFORM", platform)
    monkeypatch.setitem(sys.modules, module, None)  # import fails as when the package is not installed
    with pytest.raises(OSError, match=r"(pyobjc-framework-Cocoa|pywin32) is not installed"):
        SystemTrash().move_to_trash(str(tmp_path / "photo.jpg"))


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_cli_trash_then_undo_on_macos_and_windows(
    platform: str, tmp_path: Path, drive: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`twinlens undo` restores on these platforms by design: the CLI picks the backend by the platform."""
    monkeypatch.setattr(trash_backend, "PLATFORM", platform)
    if platform == "darwin":
        FakeFoundation(tmp_path / "home" / ".Trash").install(monkeypatch)
    else:
        FakePywin32(drive).install(monkeypatch)
        monkeypatch.setattr(WindowsVolumeProbe, "mount_point", lambda self, path: str(drive))
    library_dir = str(tmp_path / "cli-library")
    lib = Library(library_dir)
    photos = make_library(lib, drive)
    lib.close()

    assert cli_main(["trash", "--group-tier", "exact", "--extras", "--library", library_dir, "--yes"]) == 0
    assert "2 file(s) moved" in capsys.readouterr().out and not any(p.exists() for p in photos.copies)
    assert cli_main(["undo", "--library", library_dir]) == 0

    assert "2 restored, 0 failed" in capsys.readouterr().out and all(p.is_file() for p in photos.copies)
    assert cli_main(["journal", "--json", "--library", library_dir]) == 0
    (batch,) = json.loads(capsys.readouterr().out)["batches"]
    assert batch["state"] == "undone" and batch["restored"] == 2
