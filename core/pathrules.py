"""How this platform spells and compares paths: its separator(s), and whether names differ by case.

Every comparison of paths in Twinlens (a file under a scan root, a protected or excluded folder, a trash folder,
a rescan finding its catalogued rows) goes through the rules in force, never through a literal "/" or a plain
string comparison: on Windows `C:\\Pictures` and `c:\\pictures\\` are one folder, and a file below it starts
with `C:\\Pictures\\`, not `C:\\Pictures/`.

The rules are chosen from the platform at import (Windows and macOS volumes are case-insensitive by default,
Linux ones case-sensitive); tests switch to another platform's rules with `set_path_rules`, so the Windows rules
run on Linux through the real catalog and scanner.
"""

from __future__ import annotations

import functools
import ntpath
import posixpath
import sys
from dataclasses import dataclass
from types import ModuleType


@functools.cache
def _upper_table() -> dict[int, int]:
    """Each character of the Basic Multilingual Plane that has a one-character uppercase, to it: the shape of
    the table NTFS compares names with. A character whose uppercase is longer keeps itself (full folding would
    make `straße.jpg` and `strasse.jpg`, two files on NTFS, one name)."""
    table: dict[int, int] = {}
    for code in range(0x10000):
        upper = chr(code).upper()
        if len(upper) == 1 and upper != chr(code):
            table[code] = ord(upper)
    return table


def fold_case(text: str) -> str:
    """The form two names that differ only by case share (on a case-insensitive volume, one name).

    Character by character, so the fold of a prefix is a prefix of the fold: the catalog finds the files under
    a folder by the range of folded paths that start with the folded folder."""
    if text.isascii():
        return text.upper()
    return text.translate(_upper_table())


@dataclass(frozen=True)
class PathRules:
    name: str
    module: ModuleType  # posixpath or ntpath: how paths are joined, split and made absolute
    case_insensitive: bool

    @property
    def sep(self) -> str:
        return str(self.module.sep)

    @property
    def altsep(self) -> str | None:
        altsep: str | None = self.module.altsep
        return altsep

    def normalise(self, path: str) -> str:
        """One spelling for the separators: the alternative one replaced, no trailing one (but a lone root)."""
        if self.altsep:
            path = path.replace(self.altsep, self.sep)
        return path.rstrip(self.sep) or path[:1]

    def key(self, path: str) -> str:
        """What two spellings of one path share: compare and look up paths by it, never by the path itself."""
        normal = self.normalise(path)
        return fold_case(normal) if self.case_insensitive else normal

    def folder_prefix(self, folder_key: str) -> str:
        """The key every path below the folder of this key starts with."""
        return folder_key if folder_key.endswith(self.sep) else folder_key + self.sep

    def key_is_inside(self, path_key: str, folder_key: str) -> bool:
        return path_key == folder_key or path_key.startswith(self.folder_prefix(folder_key))

    def is_inside(self, path: str, folder: str) -> bool:
        """Whether `path` is `folder` or lies below it."""
        return self.key_is_inside(self.key(path), self.key(folder))

    def same(self, path: str, other: str) -> bool:
        return self.key(path) == self.key(other)

    def parts(self, path: str) -> list[str]:
        """The names along a path (the drive or share, then each folder, then the file); empty ones dropped."""
        return [part for part in self.normalise(path).split(self.sep) if part]

    def basename(self, path: str) -> str:
        return str(self.module.basename(self.normalise(path)))


POSIX = PathRules("posix", posixpath, case_insensitive=False)
MACOS = PathRules("macos", posixpath, case_insensitive=True)  # APFS and HFS+ as macOS formats them
WINDOWS = PathRules("windows", ntpath, case_insensitive=True)  # NTFS, FAT, exFAT and SMB shares


def platform_rules(platform: str = sys.platform) -> PathRules:
    if platform == "win32":
        return WINDOWS
    return MACOS if platform == "darwin" else POSIX


_rules = platform_rules()


def path_rules() -> PathRules:
    """The rules in force (read at each call: tests switch them)."""
    return _rules


def set_path_rules(rules: PathRules) -> PathRules:
    """Put other rules in force (tests: Windows rules on Linux); returns the ones that were."""
    global _rules
    previous, _rules = _rules, rules
    return previous
