"""Where trashed photos go: the system trash, through send2trash, and back out of it where the platform allows.

On Linux and other freedesktop systems the trash is a pair of folders (`files/` and `info/`); we find the
`.trashinfo` that send2trash wrote, so the journal records the exact trash path and undo can move the file back.
On macOS and Windows send2trash cannot tell where the file landed; undo then says where to look.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import unquote_to_bytes

FREEDESKTOP = sys.platform not in ("darwin", "win32")
TRASH_NAME = {"darwin": "Trash", "win32": "Recycle Bin"}.get(sys.platform, "trash")
INFO_SUFFIX = ".trashinfo"


class RestoreError(Exception):
    """A file could not be taken out of the trash; the message says exactly where it is."""


class TrashBackend(Protocol):
    def move_to_trash(self, path: str) -> str | None:
        """Move one file to the trash; return where it now lies, or None when that cannot be known."""
        ...

    def restore(self, trash_path: str | None, original_path: str) -> None:
        """Move a trashed file back to original_path (which must not exist); raise RestoreError when impossible."""
        ...


class SystemTrash:
    """The platform's trash, through send2trash. Never deletes anything."""

    def move_to_trash(self, path: str) -> str | None:
        if not FREEDESKTOP:
            from send2trash import send2trash

            send2trash(path)
            return None
        trash_dirs = candidate_trash_dirs(path)
        before = {entry.info_path for entry in read_trash_entries(trash_dirs)}
        _freedesktop_send2trash(path)
        return find_trashed(path, trash_dirs, before)

    def restore(self, trash_path: str | None, original_path: str) -> None:
        if not FREEDESKTOP:
            name = os.path.basename(trash_path or original_path)
            raise RestoreError(
                f"Twinlens cannot take files out of the {TRASH_NAME} on this system: it is in the {TRASH_NAME} "
                f"under the name {name!r}; restore it from there"
            )
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
    if os.path.lexists(original_path):
        raise RestoreError(f"a file already exists at {original_path}; it was not overwritten")
    if not os.path.lexists(trash_path):
        raise RestoreError(f"it is no longer in the trash at {trash_path} (was the trash emptied?)")
    os.makedirs(os.path.dirname(original_path), exist_ok=True)
    try:
        os.rename(trash_path, original_path)
    except OSError as error:
        if error.errno != errno.EXDEV:
            raise RestoreError(f"it could not be moved back ({error.strerror}); it is still at {trash_path}") from error
        _copy_back(trash_path, original_path)
        return  # the trashed copy and its .trashinfo stay in the trash: nothing is deleted
    info_path = os.path.join(os.path.dirname(os.path.dirname(trash_path)), "info", os.path.basename(trash_path))
    _forget_info(info_path + INFO_SUFFIX)


def _copy_back(trash_path: str, original_path: str) -> None:
    """Across volumes: copy to a temporary name beside the original, then rename into place."""
    staging = os.path.join(os.path.dirname(original_path), f".{os.path.basename(original_path)}.twinlens-restore")
    shutil.copy2(trash_path, staging)
    if os.path.getsize(staging) != os.path.getsize(trash_path) or os.path.lexists(original_path):
        raise RestoreError(f"it could not be copied back; it is still at {trash_path} (partial copy: {staging})")
    os.rename(staging, original_path)


def _forget_info(info_path: str) -> None:
    """The `.trashinfo` is the trash's own bookkeeping (not a photo): once the file is back it must go."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(info_path)
