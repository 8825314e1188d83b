"""What the person chose that belongs to this computer (folders to scan, protected and excluded folders, the
last folders used in file dialogs, the compare view's zoom mode, the window's geometry), kept with QSettings in
the platform's conventional place (~/.config/Twinlens/Twinlens.conf on Linux)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from core.entities import ScanRequest

ORGANIZATION = "Twinlens"
APPLICATION = "Twinlens"
_KEYS = {"folders": "library/folders", "protected": "library/protected", "excluded": "library/excluded"}
QUERY_FOLDER = "query/last_folder"
IMPORT_FOLDER = "models/last_import_folder"
COMPARE_ZOOM = "compare/zoom_mode"  # "fit" or "actual"
WINDOW_GEOMETRY = "window/geometry"


@dataclass(frozen=True)
class FolderSettings:
    folders: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    def with_list(self, name: str, values: tuple[str, ...]) -> FolderSettings:
        return replace(self, **{name: values})

    def scan_request(self) -> ScanRequest:
        """Protected folders are scanned too (their files are the references that are always kept), unless a
        folder to scan already contains them: the same folder must not be walked twice."""
        roots = list(dict.fromkeys(self.folders))
        roots += [p for p in dict.fromkeys(self.protected) if not any(_inside(p, r) for r in roots)]
        return ScanRequest(roots=tuple(Path(r) for r in roots), excluded=tuple(Path(e) for e in self.excluded))


def _inside(path: str, folder: str) -> bool:
    return Path(path) == Path(folder) or Path(folder) in Path(path).parents


def load_folders(settings: QSettings) -> FolderSettings:
    return FolderSettings(**{name: _read_list(settings, key) for name, key in _KEYS.items()})


def save_folders(settings: QSettings, folders: FolderSettings) -> None:
    for name, key in _KEYS.items():
        settings.setValue(key, list(getattr(folders, name)))
    settings.sync()


def _read_list(settings: QSettings, key: str) -> tuple[str, ...]:
    value = settings.value(key, [])
    if isinstance(value, str):  # QSettings returns a lone string for a one-item list in INI files
        return (value,) if value else ()
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return ()


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
