"""Where trashed photos go: the system trash, and back out of it.

`SystemTrash` is the platform's trash; `platform_trash` is the one place that picks it by `PLATFORM`:
- freedesktop (Linux and the other Unix desktops): the trash is a pair of folders (`files/` and `info/`); we find
  the `.trashinfo` that send2trash wrote, so the journal records the exact trash path and undo can move it back.
- macOS: NSFileManager's trashItemAtURL, which says where the file went (core/safety/backend_macos.py).
- Windows: the shell's IFileOperation, whose progress sink says which Recycle Bin item the file became
  (core/safety/backend_windows.py).
A backend that cannot say where a file went reports None, and core/safety/trash.py never journals such a move
as one that undo can take back.

A volume without a trash (an SMB/NAS share, some USB sticks) is recognised before anything moves
(`VolumeProbe.has_trash`): core/safety/trash.py then uses Twinlens' own quarantine folder
(core/safety/quarantine.py), with the person's consent. Putting a file back never replaces one:
`move_exclusive` refuses if the name is taken.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote_to_bytes

PLATFORM = sys.platform  # the only thing that decides which trash backend this system gets (platform_trash)
TRASH_NAME = {"darwin": "Trash", "win32": "Recycle Bin"}.get(PLATFORM, "trash")
INFO_SUFFIX = ".trashinfo"


class RestoreError(Exception):
    """A file could not be taken out of the trash; the message says exactly where it is."""


class TrashBackend(Protocol):
    """The contract core/safety/trash.py relies on. Only a move whose location is reported can be undone."""

    def has_trash(self, path: str) -> bool:
        """Whether the volume holding path has a trash this backend moves files into (no: use the quarantine)."""
        ...

    def volume(self, path: str) -> str:
        """The top folder (mount point) of the volume holding path: where its quarantine goes, how consent is keyed."""
        ...

    def move_to_trash(self, path: str) -> str | None:
        """Move one file to the trash; return where it now lies, or None when that is not known.

        None is never taken as success: core/safety/trash.py then checks the original path and journals the truth."""
        ...

    def restore(self, trash_path: str | None, original_path: str) -> None:
        """Move a trashed file back to original_path without replacing anything there; raise RestoreError when
        impossible (the message says where the file is)."""
        ...


class VolumeProbe:
    """Which volume a path is on, and whether that volume has a trash (replaceable in tests: a folder can be
    treated as a volume without a trash, while the moves stay real). This one answers for freedesktop systems;
    core/safety/backend_macos.py and backend_windows.py answer for theirs."""

    def mount_point(self, path: str) -> str:
        return mount_point(os.path.dirname(os.path.abspath(path)))

    def has_trash(self, path: str) -> bool:
        return freedesktop_has_trash(path, self.mount_point(path))


def platform_trash(probe: VolumeProbe | None = None) -> TrashBackend:
    """This system's trash backend. The platform modules are imported only here, and only on their platform."""
    if PLATFORM == "darwin":
        from core.safety.backend_macos import MacTrash

        return MacTrash(probe)
    if PLATFORM == "win32":
        from core.safety.backend_windows import WindowsTrash

        return WindowsTrash(probe)
    return FreedesktopTrash(probe)


class SystemTrash:
    """The system's trash, whichever platform this is. Never deletes anything."""

    def __init__(self, probe: VolumeProbe | None = None) -> None:
        self.platform = platform_trash(probe)

    def has_trash(self, path: str) -> bool:
        return self.platform.has_trash(path)

    def volume(self, path: str) -> str:
        return self.platform.volume(path)

    def move_to_trash(self, path: str) -> str | None:
        return self.platform.move_to_trash(path)

    def restore(self, trash_path: str | None, original_path: str) -> None:
        self.platform.restore(trash_path, original_path)


class FreedesktopTrash:
    """The freedesktop trash, through send2trash, whose `.trashinfo` tells where each file went."""

    def __init__(self, probe: VolumeProbe | None = None) -> None:
        self.probe = probe or VolumeProbe()

    def has_trash(self, path: str) -> bool:
        return self.probe.has_trash(path)

    def volume(self, path: str) -> str:
        return self.probe.mount_point(path)

    def move_to_trash(self, path: str) -> str | None:
        trash_dirs = candidate_trash_dirs(path)
        before = {entry.info_path for entry in read_trash_entries(trash_dirs)}
        _freedesktop_send2trash(path)
        return find_trashed(path, trash_dirs, before)

    def restore(self, trash_path: str | None, original_path: str) -> None:
        if trash_path is None:
            trash_path = find_trashed(original_path, candidate_trash_dirs(original_path), set())
            if trash_path is None:
                raise RestoreError(f"no entry for it was found in the trash folders ({_dirs_text(original_path)})")
        restore_freedesktop(trash_path, original_path)


# --- freedesktop trash (https://specifications.freedesktop.org/trash-spec/) ------------------------------------


@dataclass(frozen=True)
class TrashDir:
    root: str  # the folder holding files/ and info/
    base: str  # what relative Path= entries are relative to


@dataclass(frozen=True)
class TrashEntry:
    info_path: str
    files_path: str
    original: str
    deleted_at: str  # ISO 8601 local time, as written: compares correctly as text
    info_mtime_ns: int


def xdg_data_home() -> str:
    return os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")


def home_trash() -> TrashDir:
    data_home = xdg_data_home()
    return TrashDir(os.path.join(data_home, "Trash"), data_home)


def mount_point(path: str) -> str:
    path = os.path.realpath(path)
    while not os.path.ismount(path):
        path = os.path.dirname(path)
    return path


def freedesktop_has_trash(path: str, top: str) -> bool:
    """send2trash's choice, checked before it moves anything: the home trash serves the device of $HOME; any
    other volume needs a usable `.Trash/<uid>` (in a sticky, non-symlink `.Trash`) or `.Trash-<uid>` at its top."""
    try:
        device = _device(path)
        if device == _device(os.path.realpath(os.path.expanduser("~"))):
            return True
        if _device(top) != device:
            return False  # send2trash would not find the volume's top either
    except OSError:
        return False
    uid = str(os.getuid())
    shared = os.path.join(top, ".Trash")
    if _is_sticky_dir(shared) and _usable_trash_dir(os.path.join(shared, uid)):
        return True
    return _usable_trash_dir(os.path.join(top, f".Trash-{uid}"))


def _device(path: str) -> int:
    try:
        return os.lstat(path).st_dev
    except FileNotFoundError:
        return os.lstat(os.path.dirname(path)).st_dev


def _is_sticky_dir(path: str) -> bool:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) and bool(mode & stat.S_ISVTX)


def _usable_trash_dir(folder: str) -> bool:
    """Exists (or can be created, as send2trash would) as a real folder we can write into."""
    try:
        os.makedirs(folder, 0o700, exist_ok=True)
        mode = os.lstat(folder).st_mode
    except OSError:
        return False
    return stat.S_ISDIR(mode) and os.access(folder, os.W_OK | os.X_OK)


def candidate_trash_dirs(path: str) -> list[TrashDir]:
    """The home trash, then the two per-volume trash folders of the volume holding path."""
    top = mount_point(os.path.dirname(os.path.abspath(path)))
    uid = str(os.getuid())
    return [
        home_trash(),
        TrashDir(os.path.join(top, ".Trash", uid), top),
        TrashDir(os.path.join(top, f".Trash-{uid}"), top),
    ]


def _dirs_text(path: str) -> str:
    return ", ".join(d.root for d in candidate_trash_dirs(path))


def read_trash_entries(trash_dirs: list[TrashDir]) -> list[TrashEntry]:
    entries = []
    for trash in trash_dirs:
        info_dir = os.path.join(trash.root, "info")
        try:
            names = [n for n in os.listdir(info_dir) if n.endswith(INFO_SUFFIX)]
        except OSError:
            continue
        for name in names:
            entry = _read_info(trash, os.path.join(info_dir, name))
            if entry is not None:
                entries.append(entry)
    return entries


def _read_info(trash: TrashDir, info_path: str) -> TrashEntry | None:
    try:
        with open(info_path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
        mtime_ns = os.stat(info_path).st_mtime_ns
    except OSError:
        return None
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    if "Path" not in fields:
        return None
    original = os.fsdecode(unquote_to_bytes(fields["Path"]))
    name = os.path.basename(info_path)[: -len(INFO_SUFFIX)]
    return TrashEntry(
        info_path=info_path,
        files_path=os.path.join(trash.root, "files", name),
        original=os.path.normpath(os.path.join(trash.base, original)),
        deleted_at=fields.get("DeletionDate", ""),
        info_mtime_ns=mtime_ns,
    )


def find_trashed(path: str, trash_dirs: list[TrashDir], before: set[str]) -> str | None:
    """The trash path of the newest entry whose Path is `path` (entries new since `before` first)."""
    wanted = {os.path.normpath(os.path.abspath(path)), os.path.realpath(path)}
    matches = [e for e in read_trash_entries(trash_dirs) if e.original in wanted and os.path.lexists(e.files_path)]
    if not matches:
        return None
    best = max(matches, key=lambda e: (e.info_path not in before, e.deleted_at, e.info_mtime_ns))
    return best.files_path


def _freedesktop_send2trash(path: str) -> None:
    """send2trash's own freedesktop implementation, told the current $XDG_DATA_HOME.

    send2trash reads $XDG_DATA_HOME once, when imported; reading it again here keeps its trash and the one we
    search for the `.trashinfo` the same folder. The gio variant is not used: we must know where files land.
    """
    from send2trash import plat_other

    data_home = os.fsencode(xdg_data_home())
    plat_other.XDG_DATA_HOME = data_home
    plat_other.HOMETRASH_B = os.path.join(data_home, b"Trash")
    plat_other.HOMETRASH = os.fsdecode(plat_other.HOMETRASH_B)
    plat_other.send2trash(path)


def restore_freedesktop(trash_path: str, original_path: str) -> None:
    """Out of a freedesktop trash folder; its `.trashinfo` goes once the file itself has moved back."""
    if not put_back(trash_path, original_path, "the trash"):
        return  # copied across volumes: the trashed copy and its .trashinfo stay in the trash, nothing is deleted
    info_path = os.path.join(os.path.dirname(os.path.dirname(trash_path)), "info", os.path.basename(trash_path))
    _forget_info(info_path + INFO_SUFFIX)


def put_back(trash_path: str, original_path: str, where: str) -> bool:
    """Move a file out of a trash-like folder (`where`, for messages) to original_path; True: moved, False:
    copied across volumes. Whether anything is at original_path is decided by the move itself, never by a
    check before it: nothing is ever replaced."""
    if os.path.lexists(original_path):  # the early, friendly answer; the exclusive move is what guarantees it
        raise RestoreError(f"a file already exists at {original_path}; it was not overwritten")
    if not os.path.lexists(trash_path):
        raise RestoreError(f"it is no longer in {where} at {trash_path} (was {where} emptied?)")
    os.makedirs(os.path.dirname(original_path), exist_ok=True)
    try:
        return move_exclusive(trash_path, original_path)
    except FileExistsError as error:
        raise RestoreError(
            f"a file appeared at {original_path} meanwhile; it was not overwritten; it is still at {trash_path}"
        ) from error
    except OSError as error:
        raise RestoreError(f"it could not be moved back ({error.strerror}); it is still at {trash_path}") from error


# --- moves that never replace a file ----------------------------------------------------------------------------

AT_FDCWD = -100
RENAME_NOREPLACE = 1
# errno values meaning "this file system cannot do that here", not "no": the next way is tried.
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM, errno.EMLINK}


def _load_renameat2() -> Callable[[int, bytes, int, bytes, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None  # a C library older than glibc 2.28
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_RENAMEAT2 = _load_renameat2()
# Windows' rename (MoveFileEx without MOVEFILE_REPLACE_EXISTING) never replaces: FileExistsError when dst exists.
# It also works where hard links do not (FAT, exFAT), so the Recycle Bin's `$R` files go back by a plain rename.
_RENAME_NEVER_REPLACES = sys.platform == "win32"


def rename_noreplace(src: str, dst: str) -> bool:
    """renameat2(RENAME_NOREPLACE), or Windows' own rename: True when moved; False when this system or file
    system cannot do it. Raises FileExistsError when dst exists, OSError (EXDEV across volumes) otherwise."""
    if _RENAME_NEVER_REPLACES:
        os.rename(src, dst)
        return True
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(AT_FDCWD, os.fsencode(src), AT_FDCWD, os.fsencode(dst), RENAME_NOREPLACE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), src, None, dst)


def link_then_unlink(src: str, dst: str) -> bool:
    """Give the file its new name (link fails if dst exists), then drop the old name: the same inode throughout.
    False when the file system has no hard links."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno in _UNSUPPORTED:
            return False
        raise
    os.unlink(src)  # only a second name of the file now at dst
    return True


def move_exclusive(src: str, dst: str) -> bool:
    """Move src to dst, never replacing anything at dst (FileExistsError). True: moved. False: across volumes
    the bytes were copied to dst and src is left where it was."""
    try:
        if rename_noreplace(src, dst) or link_then_unlink(src, dst):
            return True
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise
    copy_exclusive(src, dst)
    return False


def copy_exclusive(src: str, dst: str) -> None:
    """Copy into a temporary file created exclusively beside dst, then link it to dst (fails if dst exists).
    Without hard links the copy is written into dst created exclusively (O_EXCL) instead."""
    staging = os.path.join(os.path.dirname(dst), f".{os.path.basename(dst)}.{secrets.token_hex(4)}.twinlens-restore")
    _copy_into_new(src, staging)
    try:
        placed = link_then_unlink(staging, dst)
    except BaseException:
        _discard(staging)
        raise
    if not placed:
        _discard(staging)
        _copy_into_new(src, dst)


def _copy_into_new(src: str, dst: str) -> None:
    """Create dst (it must not exist) and copy src's bytes and times into it; a failed copy is removed."""
    handle = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    try:
        with os.fdopen(handle, "wb") as target, open(src, "rb") as source:
            shutil.copyfileobj(source, target, 1 << 20)
            target.flush()
            os.fsync(target.fileno())
        shutil.copystat(src, dst)
    except BaseException:
        _discard(dst)
        raise


def _discard(path: str) -> None:
    """Only for a partial copy this module created itself."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


def _forget_info(info_path: str) -> None:
    """The `.trashinfo` is the trash's own bookkeeping (not a photo): once the file is back it must go."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(info_path)
