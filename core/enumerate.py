"""Walk the scan roots: every candidate image file once, every folder problem recorded, loops detected."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.cancel import NEVER_CANCELLED, CancelToken
from core.entities import Problem
from core.sniff import wants_sniffing

SYSTEM_FOLDERS = frozenset(
    {"$RECYCLE.BIN", "System Volume Information", "@eaDir", "lost+found", "__MACOSX", "#recycle", "#snapshot"}
)


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int


@dataclass
class Enumeration:
    files: list[FileEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class WalkOptions:
    include_hidden: bool = False
    excluded: tuple[str, ...] = ()


def is_skipped_folder(name: str, options: WalkOptions) -> bool:
    if name in SYSTEM_FOLDERS or name.startswith(".Trash"):
        return True
    return name.startswith(".") and not options.include_hidden


def enumerate_files(
    roots: list[str],
    options: WalkOptions = WalkOptions(),
    on_count: Callable[[int], None] = lambda n: None,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Enumeration:
    walker = _Walker(options, on_count, cancel)
    for root in roots:
        walker.walk_root(os.path.abspath(root))
    return walker.result


class _Walker:
    def __init__(self, options: WalkOptions, on_count: Callable[[int], None], cancel: CancelToken) -> None:
        self.options = options
        self.on_count = on_count
        self.cancel = cancel
        self.result = Enumeration()
        self.visited_dirs: set[tuple[int, int]] = set()
        self.seen_files: dict[tuple[int, int], str] = {}
        self.excluded = tuple(os.path.abspath(p).rstrip(os.sep) + os.sep for p in options.excluded)

    def problem(self, path: str, code: str, reason: str) -> None:
        self.result.problems.append(Problem(path, code, reason))

    def walk_root(self, root: str) -> None:
        try:
            info = os.stat(root)
        except OSError as error:
            self.problem(root, "folder-unreadable", f"cannot open: {error.strerror or error}")
            return
        if stat.S_ISREG(info.st_mode):
            self.add_file(root, info)
            return
        stack = [root]
        while stack:
            self.cancel.raise_if_cancelled()
            self.walk_dir(stack.pop(), stack)

    def walk_dir(self, folder: str, stack: list[str]) -> None:
        try:
            info = os.stat(folder)
        except OSError as error:
            self.problem(folder, "folder-unreadable", f"cannot open folder: {error.strerror or error}")
            return
        key = (info.st_dev, info.st_ino)
        if key in self.visited_dirs:
            self.problem(folder, "symlink-loop", "folder reached twice through a symbolic link: skipped")
            return
        self.visited_dirs.add(key)
        try:
            with os.scandir(folder) as entries:
                subfolders = self.visit_entries(entries)
        except OSError as error:
            self.problem(folder, "folder-unreadable", f"cannot list folder: {error.strerror or error}")
            return
        stack.extend(reversed(sorted(subfolders)))

    def visit_entries(self, entries: Iterable[os.DirEntry[str]]) -> list[str]:
        subfolders: list[str] = []
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not is_skipped_folder(name, self.options) and not self.is_excluded(entry.path):
                    subfolders.append(entry.path)
                continue
            if name.startswith(".") and not self.options.include_hidden:
                continue
            if wants_sniffing(os.path.splitext(name)[1].lower()):
                self.visit_file(entry)
        return subfolders

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
        if stat.S_ISREG(info.st_mode):
            self.add_file(entry.path, info)

    def add_file(self, path: str, info: os.stat_result) -> None:
        key = (info.st_dev, info.st_ino)
        first = self.seen_files.get(key)
        if first is not None:
            reason = f"same file as {first} (a hard or symbolic link), counted once"
            self.problem(path, "alias", reason)
            return
        self.seen_files[key] = path
        self.result.files.append(FileEntry(path, info.st_size, info.st_mtime_ns))
        if len(self.result.files) % 1024 == 0:
            self.on_count(len(self.result.files))

    def is_excluded(self, path: str) -> bool:
        return bool(self.excluded) and (path + os.sep).startswith(self.excluded)
