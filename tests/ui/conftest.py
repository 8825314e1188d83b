"""GUI fixtures: a main window over a library in tmp_path, its settings in an INI file, photos made with Pillow."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.images import save_photo
from ui.ops.runner import OpRunner
from ui.shell.main_window import MainWindow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OPEN_TIMEOUT_MS = 15_000
SCAN_TIMEOUT_MS = 60_000


def make_photo(path: Path, seed: int, size: tuple[int, int] = (320, 240), quality: int = 90) -> Path:
    """A smooth picture of blurred shapes, distinct per seed (so pHashes differ)."""
    return save_photo(path, seed, size, quality=quality)


@pytest.fixture
def model_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """No packaged model weights are found: the window's scans are model-free (Identical, Near-identical)."""
    from core.embed import weights as weights_module

    monkeypatch.setattr(weights_module, "packaged_weights_file", lambda spec: None)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """8 distinct photos, 3 of them with byte-identical copies elsewhere, and one corrupt JPEG."""
    root = tmp_path / "photos"
    for seed in range(8):
        make_photo(root / "camera" / f"IMG_{seed:04d}.jpg", seed)
    (root / "backup").mkdir()
    for seed in range(3):
        shutil.copy2(root / "camera" / f"IMG_{seed:04d}.jpg", root / "backup" / f"IMG_{seed:04d} copy.jpg")
    (root / "camera" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    return root


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def open_window(qtbot, library: Path, settings: QSettings, models: bool = False) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The main window over a library, shown once it is open (with `models`: once the models' state is in too);
    closed cleanly afterwards."""
    runner = OpRunner(library)
    main = MainWindow(runner, settings, picker=lambda parent, title: "")
    qtbot.addWidget(main)
    with qtbot.waitSignal(main.models.ready if models else main.opened, timeout=OPEN_TIMEOUT_MS):
        runner.start()
    main.show()
    yield main
    main.close()
    assert runner.shutdown()


@pytest.fixture
def window(qtbot, tmp_path: Path, settings: QSettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    yield from open_window(qtbot, tmp_path / "library", settings)


def add_scan_folder(window: MainWindow, folder: Path) -> None:
    window.library_panel.scan_list.add_folder(str(folder))


def scan(qtbot, window: MainWindow) -> object:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.scans.finished, timeout=SCAN_TIMEOUT_MS) as finished:
        window.actions_.scan.trigger()
    return finished.args[0]


from tests.ui.sscd_fixtures import sscd_lib, sscd_library_template, sscd_window  # noqa: E402, F401  (SSCD-scanned library)
