"""Walk the scan roots: every candidate image file once, every folder problem recorded, loops detected."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.cancel import NEVER_CANCELLED, CancelToken
from core.entities import Problem
from core.places import (
    canonical_path,
    canonical_paths,
    canonical_roots,
    home_trash_dirs,
    in_trash,
    is_inside,
    is_trash_folder,
    is_trash_folder_name,
)
from core.scan.sniff import wants_sniffing

SYSTEM_FOLDERS = frozenset(
    {"System Volume Information", "@eaDir", "lost+found", "__MACOSX", "#recycle", "#snapshot"}
)  # trash folders ($Recycle.Bin in any case, .Trash-1000, ...) are core.places' business
IN_TRASH = "inside a trash folder: what is there is already deleted, so it is not catalogued"


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int


@dataclass
class Enumeration:
    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Real folders and files reached through a symbolic link that lie outside every root: their files are
    # catalogued under these real paths, so the scan must treat them as walked roots too.
    linked: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WalkOptions:
    include_hidden: bool = False
    excluded: tuple[str, ...] = ()


def is_skipped_folder(name: str, options: WalkOptions) -> bool:
    if name in SYSTEM_FOLDERS or is_trash_folder_name(name):
        return True
    return name.startswith(".") and not options.include_hidden


def enumerate_files(
    roots: list[str],
    options: WalkOptions = WalkOptions(),
    on_count: Callable[[int], None] = lambda n: None,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Enumeration:
    """Every file under the roots once, under its canonical path (see core.places); a file or folder reached
    a second time (a hard or symbolic link) is reported as a problem under the spelling that was not kept."""
    real_roots = canonical_roots(roots)
    walker = _Walker(real_roots, options, on_count, cancel)
    for root in real_roots:
        walker.walk_root(root)
    return walker.result


# (canonical path walked or catalogued, the spelling it was first reached by), by (device, inode)
_Reached = tuple[str, str]


def _alias_spelling(first: _Reached, real: str, reached_as: str) -> str:
    """The spelling to report when something is reached again: never the canonical path that is kept."""
    first_real, first_reached = first
    return first_reached if real == first_real and reached_as == real else reached_as


class _Walker:
    def __init__(
        self, roots: list[str], options: WalkOptions, on_count: Callable[[int], None], cancel: CancelToken
    ) -> None:
        self.roots = roots
        self.options = options
        self.on_count = on_count
        self.cancel = cancel
        self.result = Enumeration()
        self.visited_dirs: dict[tuple[int, int], _Reached] = {}
        self.seen_files: dict[tuple[int, int], _Reached] = {}
        self.excluded = canonical_paths(options.excluded)
        self.home_trash = home_trash_dirs()

    def problem(self, path: str, code: str, reason: str) -> None:
        self.result.problems.append(Problem(path, code, reason))

    def walk_root(self, root: str) -> None:
        try:
            info = os.stat(root)
        except OSError as error:
            self.problem(root, "folder-unreadable", f"cannot open: {error.strerror or error}")
            return
        is_file = stat.S_ISREG(info.st_mode)
        if in_trash(root) if is_file else is_trash_folder(root):
            self.problem(root, "in-trash", IN_TRASH)
            return
        if is_file:
            self.add_file(root, root, info)
            return
        stack = [(root, root)]
        while stack:
            self.cancel.raise_if_cancelled()
            self.walk_dir(*stack.pop(), stack)

    def walk_dir(self, folder: str, reached_as: str, stack: list[tuple[str, str]]) -> None:
        try:
            info = os.stat(folder)
        except OSError as error:
            self.problem(reached_as, "folder-unreadable", f"cannot open folder: {error.strerror or error}")
            return
        key = (info.st_dev, info.st_ino)
        first = self.visited_dirs.get(key)
        if first is not None:
            reason = "folder reached twice through a symbolic link: skipped"
            self.problem(_alias_spelling(first, folder, reached_as), "symlink-loop", reason)
            return
        self.visited_dirs[key] = (folder, reached_as)
        try:
            with os.scandir(folder) as entries:
                subfolders = self.visit_entries(entries)
        except OSError as error:
            self.problem(reached_as, "folder-unreadable", f"cannot list folder: {error.strerror or error}")
            return
        stack.extend(reversed(sorted(subfolders, key=lambda pair: pair[1])))

    def visit_entries(self, entries: Iterable[os.DirEntry[str]]) -> list[tuple[str, str]]:
        """The subfolders to walk as (canonical path, spelling), after visiting the files."""
        subfolders: list[tuple[str, str]] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                self.visit_folder(entry, subfolders)
                continue
            if name.startswith(".") and not self.options.include_hidden:
                continue
            if wants_sniffing(os.path.splitext(name)[1].lower()):
                self.visit_file(entry)
        return subfolders

    def visit_folder(self, entry: os.DirEntry[str], subfolders: list[tuple[str, str]]) -> None:
        if is_skipped_folder(entry.name, self.options):
            return
        linked = _is_link(entry)
        real = canonical_path(entry.path) if linked else entry.path
        if self.is_excluded(entry.path) or self.is_excluded(real):
            return
        if is_trash_folder(real) if linked else any(is_inside(real, trash) for trash in self.home_trash):
            return
        if linked:
            self.note_linked(real)
        subfolders.append((real, entry.path))

    def visit_file(self, entry: os.DirEntry[str]) -> None:
        try:
            info = entry.stat()
        except FileNotFoundError:
            if entry.is_symlink():
                self.problem(entry.path, "broken-link", "symbolic link to a file that does not exist")
            return  # vanished between listing and stat: nothing to report, it is simply gone
        except OSError as error:
            if entry.is_symlink():
                self.problem(entry.path, "symlink-loop", f"symbolic link cannot be followed: {error.strerror}")
            else:
                self.problem(entry.path, "unreadable", f"cannot stat: {error.strerror or error}")
            return
        if not stat.S_ISREG(info.st_mode):
            return
        if not _is_link(entry):
            self.add_file(entry.path, entry.path, info)
            return
        real = canonical_path(entry.path)
        if not in_trash(real):
            self.note_linked(real)
            self.add_file(real, entry.path, info)

    def add_file(self, real: str, reached_as: str, info: os.stat_result) -> None:
        """Catalogue a file under its canonical path, once; a second way to it is reported as an alias."""
        key = (info.st_dev, info.st_ino)
        first = self.seen_files.get(key)
        if first is not None:
            reason = f"same file as {first[0]} (a hard or symbolic link), counted once"
            self.problem(_alias_spelling(first, real, reached_as), "alias", reason)
            return
        self.seen_files[key] = (real, reached_as)
        self.result.files.append(FileEntry(real, info.st_size, info.st_mtime_ns))
        if len(self.result.files) % 1024 == 0:
            self.on_count(len(self.result.files))

    def note_linked(self, real: str) -> None:
        """A link led outside every root (and every folder already noted): remember where it led."""
        if not any(is_inside(real, folder) for folder in (*self.roots, *self.result.linked)):
            self.result.linked.append(real)

    def is_excluded(self, path: str) -> bool:
        return any(is_inside(path, folder) for folder in self.excluded)


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False
