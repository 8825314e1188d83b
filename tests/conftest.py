"""Shared fixtures: every test gets its own library folder and trash; images are generated at test time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.library import Library

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "bench"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user data dir or the real trash."""
    xdg = tmp_path / "xdg"
    (xdg / "data").mkdir(parents=True)
    monkeypatch.setenv("XDG_DATA_HOME", str(xdg / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg / "cache"))
    monkeypatch.setenv("TWINLENS_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "library")
    yield lib
    lib.close()


@pytest.fixture
def bench_photos() -> Path:
    photos = BENCH / "photos"
    if not photos.is_dir():
        raise FileNotFoundError(f"the shared benchmark photos are missing: {photos}")
    return photos


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0
