"""How a photo's path looks to a photographer: original (camera and date folders, a camera's file name), copied as
it was (backup, Takeout, "to sort", downloads; "x copy", "x (1)") or edited (export, chat-app, converted, resized
folders; a camera name with something added, "DSC_2181 captioned").

An edited file is further from the original than a stored copy of it: a backup holds the camera's bytes, an
export or a chat app's copy does not. A date folder such as `2015-03-31` is original-looking, never a copy's `-1`
suffix. Parts shared by every member of a group (the scan root, say) count the same for each, so only the parts
where members differ decide.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass

# A part of a path: (kind, text), e.g. ("camera folder", "DCIM") or ("folder", "WhatsApp Images").
Part = tuple[str, str]

_CAMERA_FOLDER = re.compile(r"^(dcim|camera|camera roll|\d{3}[a-z_]{5}|originals?)$", re.IGNORECASE)
_YEAR = r"(?:19|20)\d{2}"
_DATE_FOLDER = re.compile(rf"^{_YEAR}(?:[-_. ]?(?:0[1-9]|1[0-2])(?:[-_. ]?(?:[0-2]\d|3[01]))?)?(?:$|[ _-]+\D)")
_MONTH = re.compile(r"^(0[1-9]|1[0-2])([ _-]+\D.*)?$")
_COPY_FOLDER = re.compile(
    r"\b(backups?|bak|takeout|to[ _-]?sort|unsorted|downloads?|copy|copies|kopie|copie|duplicates?)\b|\(\d+\)",
    re.IGNORECASE,
)
_EDIT_FOLDER = re.compile(
    r"\b(exports?|exported|whatsapp|telegram|signal|messenger|instagram|screenshots?|edited|edits?|resized|"
    r"converted|upscaled|thumbnails?|thumbs)\b",
    re.IGNORECASE,
)
# A camera's own file name: DSC_2181, DSCN0001, _DSC0001, DSCF0001, IMG_0001, IMG_20150331_120001,
# PXL_20150331_120001123, MVIMG_…, GOPR0001, DJI_0001, P1010001, 20150331_120001 (Samsung).
_CAMERA_NAME = r"(?:(?:_?dsc[fn_]?|img|pxl|mvimg|gopr|dji|p)_?\d{4,}(?:_\d{6,9})?|\d{8}_\d{6})"
_CAMERA_STEM = re.compile(rf"^{_CAMERA_NAME}$", re.IGNORECASE)
_CAMERA_PREFIX = re.compile(rf"^{_CAMERA_NAME}\S*?[ _.-]", re.IGNORECASE)
_COPY_NAME = re.compile(r"\b(copy|kopie|copie)\b|\(\d+\)", re.IGNORECASE)
_EDIT_NAME = re.compile(
    r"\b(edited|edit|export|resized|upscaled|captioned|screenshot|whatsapp)\b|-wa\d+", re.IGNORECASE
)


@dataclass(frozen=True)
class PathLook:
    edited: tuple[Part, ...]  # ("folder", name) or ("name", file name): the file was changed
    copied: tuple[Part, ...]  # ("folder", name) or ("name", file name): the file was copied as it was
    original_like: tuple[Part, ...]  # ("camera folder" | "date folder", name) or ("camera file name", file name)

    @property
    def copy_like(self) -> tuple[Part, ...]:
        return self.edited + self.copied

    def key(self) -> tuple[int, int, int]:
        """Fewer edited parts first, then fewer copied ones, then more original-looking ones; no preference for
        shorter paths."""
        return len(self.edited), len(self.copied), -len(self.original_like)


@functools.lru_cache(maxsize=1 << 18)
def path_look(path: str) -> PathLook:
    """Cached: regrouping at a new threshold looks at the same paths again (several regexes per path add up)."""
    folders = [part for part in os.path.dirname(path).split(os.sep) if part]
    name = os.path.basename(path)
    stem = os.path.splitext(name)[0]
    edited = [("folder", folder) for folder in folders if _EDIT_FOLDER.search(folder)]
    copied = [("folder", f) for f in folders if _COPY_FOLDER.search(f) and not _EDIT_FOLDER.search(f)]
    original_like = _original_folders(folders)
    if _CAMERA_STEM.match(stem):
        original_like.append(("camera file name", name))
    elif _COPY_NAME.search(stem):
        copied.append(("name", name))
    elif _EDIT_NAME.search(stem) or _CAMERA_PREFIX.match(stem):
        edited.append(("name", name))
    return PathLook(tuple(edited), tuple(copied), tuple(original_like))


def _original_folders(folders: list[str]) -> list[Part]:
    found: list[Part] = []
    for index, folder in enumerate(folders):
        if _CAMERA_FOLDER.match(folder):
            found.append(("camera folder", folder))
        elif _DATE_FOLDER.match(folder) or (index and _MONTH.match(folder) and _DATE_FOLDER.match(folders[index - 1])):
            found.append(("date folder", folder))
    return found
