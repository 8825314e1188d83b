"""What belongs to this computer and this window, kept with QSettings in the platform's conventional place
(~/.config/Twinlens/Twinlens.conf on Linux): the last folders used in file dialogs, the compare view's zoom mode,
the window's geometry.

The folders to scan, protected and excluded folders belong to the library (core.library.Library), so the app
and the command line see the same ones; `FolderSettings` is the window's copy of them. Earlier versions kept
them here: `load_legacy_folders` reads those once, to move them into the library.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths

from core.entities import ScanRequest
from core.places import is_inside

ORGANIZATION = "Twinlens"
APPLICATION = "Twinlens"
FOLDER_LISTS = ("folders", "protected", "excluded")
_LEGACY_KEYS = {name: f"library/{name}" for name in FOLDER_LISTS}
QUERY_FOLDER = "query/last_folder"
IMPORT_FOLDER = "models/last_import_folder"
COMPARE_ZOOM = "compare/zoom_mode"  # "fit" or "actual"
WINDOW_GEOMETRY = "window/geometry"


@dataclass(frozen=True)
class FolderSettings:
    """The library's folders, canonical (core.places.canonical_path), as the window shows and edits them."""

    folders: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def with_list(self, name: str, values: tuple[str, ...]) -> FolderSettings:
        return replace(self, **{name: values})

    def merged(self, other: FolderSettings) -> FolderSettings:
        """These folders, then the other's that are not among them (nobody's folder is dropped)."""
        lists = {name: tuple(dict.fromkeys((*getattr(self, name), *getattr(other, name)))) for name in FOLDER_LISTS}
        return FolderSettings(**lists)

    def scan_request(self) -> ScanRequest:
        """Protected folders are scanned too (their files are the references that are always kept), unless a
        folder to scan already contains them: the same folder must not be walked twice."""
        roots = list(dict.fromkeys(self.folders))
        roots += [p for p in dict.fromkeys(self.protected) if not any(is_inside(p, r) for r in roots)]
        return ScanRequest(roots=tuple(Path(r) for r in roots), excluded=tuple(Path(e) for e in self.excluded))


def load_legacy_folders(settings: QSettings) -> FolderSettings:
    """Folders an earlier version kept in QSettings (empty once they have moved into the library)."""
    return FolderSettings(**{name: _read_list(settings, key) for name, key in _LEGACY_KEYS.items()})


def forget_legacy_folders(settings: QSettings) -> None:
    """Once the library holds them: QSettings keeps window state only."""
    for key in _LEGACY_KEYS.values():
        settings.remove(key)
    settings.sync()


def _read_list(settings: QSettings, key: str) -> tuple[str, ...]:
    value = settings.value(key, [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list in INI files
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


def pictures_folder() -> str:
    """Where a dialog that picks photos or photo folders starts: the person's Pictures folder, else their home
    (never the working directory the app was started from)."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return pictures if pictures and Path(pictures).is_dir() else str(Path.home())


def read_text(settings: QSettings, key: str, default: str = "") -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) else default


def write_text(settings: QSettings, key: str, value: str) -> None:
    settings.setValue(key, value)
    settings.sync()


def load_geometry(settings: QSettings) -> QByteArray | None:
    value = settings.value(WINDOW_GEOMETRY)
    return value if isinstance(value, QByteArray) and not value.isEmpty() else None


def save_geometry(settings: QSettings, geometry: QByteArray) -> None:
    settings.setValue(WINDOW_GEOMETRY, geometry)
    settings.sync()
