"""Twinlens' own trash for volumes that have none (SMB/NAS shares, some USB sticks), used only with consent.

A folder named QUARANTINE_DIR at the top of the volume (or beside the photos when the top cannot be written),
laid out like a freedesktop trash: `files/<name>` and `info/<name>.trashinfo` (absolute Path, DeletionDate), so
a person can find a file's original place without Twinlens, and undo restores exactly as from the system trash.
Files never leave their volume: moving one in is a rename, never a copy. The person agrees once per volume;
the consent is stored in the library's settings, keyed by the volume's mount point.
"""

from __future__ import annotations

import contextlib
import errno
import os
import time
from collections.abc import Iterable
from urllib.parse import quote

from core.hashing import hash_file
from core.pathrules import path_rules
from core.places import QUARANTINE_DIR
from core.safety.backend import INFO_SUFFIX, RestoreError, link_then_unlink, put_back, rename_noreplace
from core.store.catalog import Catalog

QUARANTINE_NAME = f"quarantine folder ({QUARANTINE_DIR})"


class QuarantineError(OSError):
    """No quarantine folder can be made for a file; nothing was moved."""


# --- consent ----------------------------------------------------------------------------------------------------


def allow_quarantine(catalog: Catalog, volumes: Iterable[str]) -> None:
    """Remember that the person agreed to a quarantine folder on these volumes (mount points)."""
    catalog.settings.quarantine_volumes = catalog.settings.quarantine_volumes | set(volumes)


def is_quarantined(path: str) -> bool:
    """Whether a path lies in a quarantine folder (its `files/`)."""
    rules = path_rules()
    folders = rules.parts(rules.module.normpath(path))[:-1]
    return any(rules.same(folder, QUARANTINE_DIR) for folder in folders)


# --- moving in --------------------------------------------------------------------------------------------------


def quarantine_folder(volume_top: str, path: str) -> str:
    """The usable quarantine folder for path: at the volume's top, else beside the file."""
    problems = []
    for parent in dict.fromkeys((volume_top, os.path.dirname(os.path.abspath(path)))):
        folder = os.path.join(parent, QUARANTINE_DIR)
        problem = _usable_folder(folder, path)
        if problem is None:
            return folder
        problems.append(f"{folder}: {problem}")
    raise QuarantineError(errno.EACCES, "no quarantine folder could be made (" + "; ".join(problems) + ")")


def _usable_folder(folder: str, path: str) -> str | None:
    """None when folder (with files/ and info/) exists or was created, is a real folder and is on path's device."""
    if os.path.islink(folder):
        return "it is a symbolic link"
    try:
        for sub in ("files", "info"):
            os.makedirs(os.path.join(folder, sub), 0o700, exist_ok=True)
        same_device = os.lstat(folder).st_dev == os.lstat(path).st_dev
    except OSError as error:
        return error.strerror or str(error)
    return None if same_device else "it is on another volume"


def move_to_quarantine(path: str, volume_top: str) -> str:
    """Move a file into its volume's quarantine folder; returns where it now lies."""
    folder = quarantine_folder(volume_top, path)
    name = _reserve_name(folder, path)
    target = os.path.join(folder, "files", name)
    try:
        _move_in(path, target)
    except BaseException:
        _drop_record(folder, name)
        raise
    return target


def _reserve_name(folder: str, path: str) -> str:
    """Create `info/<name>.trashinfo` exclusively for a free name (`photo.jpg`, `photo 1.jpg`, ...)."""
    stem, ext = os.path.splitext(os.path.basename(path))
    record = f"[Trash Info]\nPath={quote(os.fsencode(os.path.abspath(path)))}\n"
    record += f"DeletionDate={time.strftime('%Y-%m-%dT%H:%M:%S')}\n"
    for counter in range(100_000):
        name = f"{stem}{ext}" if counter == 0 else f"{stem} {counter}{ext}"
        if os.path.lexists(os.path.join(folder, "files", name)):
            continue
        try:
            handle = os.open(os.path.join(folder, "info", name + INFO_SUFFIX), os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as info:
            info.write(record)
        return name
    raise QuarantineError(errno.EEXIST, f"no free name in {folder} for {os.path.basename(path)}")


def _move_in(path: str, target: str) -> None:
    """A rename within the volume that never replaces anything. Where the file system offers neither
    renameat2 nor hard links (FAT, many SMB shares), a plain rename onto the name reserved above."""
    if rename_noreplace(path, target) or link_then_unlink(path, target):
        return
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, "the reserved quarantine name is taken", target)
    os.rename(path, target)


def _drop_record(folder: str, name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(folder, "info", name + INFO_SUFFIX))


# --- moving out -------------------------------------------------------------------------------------------------


def restore_from_quarantine(quarantine_path: str, original_path: str) -> None:
    """Back to original_path, never replacing a file there (RestoreError says why not and where it is)."""
    if not put_back(quarantine_path, original_path, f"the {QUARANTINE_NAME}"):
        # No rename and no hard links on this file system: the bytes were copied. Ours to tidy once verified.
        if hash_file(original_path) != hash_file(quarantine_path):
            raise RestoreError(f"the copy at {original_path} differs from {quarantine_path}; both were kept")
        os.remove(quarantine_path)
    _drop_record(os.path.dirname(os.path.dirname(quarantine_path)), os.path.basename(quarantine_path))
