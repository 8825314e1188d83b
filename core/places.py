"""One spelling for every path Twinlens stores or compares, and the folders that never hold a surviving photo.

A folder given through a symlink, with `..`, `~` or a trailing separator is the same folder: everything that is
stored (scan roots, catalogued files, protected and excluded folders) or compared goes through `canonical_path`
first, so one folder never gets two catalogues and a protection never depends on how it was typed. Paths are
compared by the platform's rules (core.pathrules): on Windows and macOS, `C:\\Pictures` and `c:\\pictures\\` are
one folder.

A file inside a trash folder (the freedesktop home and volume trashes, macOS `.Trash`/`.Trashes`, Windows'
`$Recycle.Bin` in any case, Twinlens' own quarantine) is already deleted as far as its owner is concerned: it is
never catalogued, and never counts as the copy that stays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from core.pathrules import path_rules

QUARANTINE_DIR = ".twinlens-trash"
# Folder names that are a trash wherever they are; compared case-insensitively (Windows 10/11 write
# `$Recycle.Bin`, older ones `$RECYCLE.BIN`, and FAT/NTFS/APFS volumes are case-insensitive anyway).
_TRASH_NAMES = frozenset({".trash", ".trashes", "$recycle.bin", "recycler", "recycled", QUARANTINE_DIR})


def canonical_path(path: str | os.PathLike[str]) -> str:
    """The resolved real path: `~` expanded, symlinks followed, `.`/`..` and trailing separators gone."""
    module = path_rules().module
    return str(module.realpath(module.expanduser(os.fspath(path))))


def canonical_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Each path canonical, in the given order, every folder once however often and however it was spelled."""
    return distinct_paths(map(canonical_path, paths))


def distinct_paths(paths: Iterable[str]) -> list[str]:
    """Each path once, in the given order: two spellings the rules in force call one path (`C:\\Pictures` and
    `c:\\pictures\\` on Windows) count once, in the first spelling given."""
    key = path_rules().key
    unique: dict[str, str] = {}
    for path in paths:
        unique.setdefault(key(path), path)
    return list(unique.values())


def canonical_roots(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Scan roots: canonical, each once, and none that lies inside another (it would be walked twice)."""
    unique = canonical_paths(paths)
    return [p for p in unique if not any(other != p and is_inside(p, other) for other in unique)]


def is_trash_folder_name(name: str) -> bool:
    """True for a folder that is a trash by its name alone (`.Trash-1000` is the freedesktop volume trash)."""
    folded = name.casefold()
    return folded in _TRASH_NAMES or folded.startswith(".trash-")


def home_trash_dirs() -> tuple[str, ...]:
    """The per-user trash folders that are not recognisable by name (the freedesktop home trash)."""
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return (canonical_path(os.path.join(data_home, "Trash")),)


def is_inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or lies below it; both already canonical."""
    return path_rules().is_inside(path, folder)


def in_trash(path: str) -> bool:
    """Whether a path (canonical or not) lies inside any trash folder."""
    real = canonical_path(path)
    if any(is_inside(real, trash) for trash in home_trash_dirs()):
        return True
    folders = path_rules().parts(real)[:-1]  # the folders above the file; a photo named ".Trash" is still a photo
    return any(is_trash_folder_name(folder) for folder in folders)


def is_trash_folder(folder: str) -> bool:
    """Whether a folder (canonical or not) is a trash folder itself or lies inside one."""
    real = canonical_path(folder)
    return in_trash(real) or is_trash_folder_name(path_rules().basename(real))
