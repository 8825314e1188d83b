"""Where a library (database, index, caches) lives."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Twinlens"
LIBRARY_ENV = "TWINLENS_LIBRARY"


def default_library_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "library"


def resolve_library_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--library DIR wins, then $TWINLENS_LIBRARY, then the platform's user data dir."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(LIBRARY_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return default_library_dir()
