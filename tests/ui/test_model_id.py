"""One model id whichever front end scans: a library embedded from the command line is not embedded again by its
first scan in the app (the request built by the app's own code, in the real window), and the thresholds set for
its model id still apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from core.cli import main
from core.embed.weights import WeightsSource
from core.entities import ScanRequest, ScanSummary, Tier
from core.library import Library
from core.models.manager import ModelStatus, WeightsState
from tests.models import tiny_dinov2_in_hf_cache
from tests.ui.conftest import make_photo, open_window, scan
from tests.ui.sscd_fixtures import SSCD_WEIGHTS
from ui.ops.messages import ModelsState
from ui.scan.panel import scan_request

PHOTOS = 4
THRESHOLD = 0.777


def cli_scan(folder: Path, library_dir: Path, model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["scan", str(folder), "--library", str(library_dir), "--model", model, "--quiet", "--workers", "1"]
    if model == "sscd":
        argv += ["--weights", str(SSCD_WEIGHTS)]  # imported from the command line
    else:
        tiny_dinov2_in_hf_cache(tmp_path / "hf", monkeypatch)  # found in the Hugging Face cache, as downloaded
    assert main(argv) == 0


@pytest.mark.parametrize("model", ["sscd", "dinov2-small"])
def test_a_cli_embedded_library_is_not_embedded_again_by_its_first_gui_scan(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, settings: QSettings, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    folder = tmp_path / "shots"
    for seed in range(PHOTOS):
        make_photo(folder / f"p{seed}.jpg", seed)
    library_dir = tmp_path / "library"
    cli_scan(folder, library_dir, model, tmp_path, monkeypatch)
    library = Library(library_dir)
    try:
        model_id = library.models.model_id(model)
        assert model_id is not None and library.models.active_model() == model
        library.models.set_threshold(model, Tier.COPY, THRESHOLD)
        library.set_scan_folders([folder])
    finally:
        library.close()

    windows = open_window(qtbot, library_dir, settings, models=True)
    window = next(windows)
    try:
        summary = scan(qtbot, window)
    finally:
        next(windows, None)  # closes the window and its library thread
    assert isinstance(summary, ScanSummary) and summary.seen == PHOTOS
    assert summary.embedded == 0, "the app embedded the library again under another model id"

    library = Library(library_dir)
    try:
        assert library.models.model_id(model) == model_id
        assert library.models.threshold(model, Tier.COPY) == THRESHOLD
        ids = [row[0] for row in library.catalog.db.execute("SELECT DISTINCT model_id FROM embeddings")]
        assert ids == [model_id]
    finally:
        library.close()


def status(name: str, weights: str | None, state: WeightsState, source: WeightsSource) -> ModelStatus:
    spec_facts = {"description": "", "licence": "", "download_mb": 0.0, "dim": 4, "supports_text": False}
    return ModelStatus(
        name, **spec_facts, state=state, weights=weights, active=True, embedded_files=0,
        thresholds_provisional=False, source=source,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("state", "source"),
    [(WeightsState.IMPORTED, WeightsSource.IMPORTED), (WeightsState.AVAILABLE, WeightsSource.HF_CACHE)],
)
def test_the_app_s_scan_request_names_the_model_and_never_a_weights_file(
    state: WeightsState, source: WeightsSource
) -> None:
    folders = ScanRequest(roots=(Path("/photos"),), excluded=(Path("/photos/tmp"),))
    shown = status("dinov2-small", "/somewhere/model.safetensors", state, source)
    models = ModelsState((shown,), "dinov2-small", "auto", ("auto",), offline=True)
    request = scan_request(folders, models)
    assert (request.model, request.weights) == ("dinov2-small", None)
    assert (request.roots, request.excluded) == (folders.roots, folders.excluded)
    missing = status("dinov2-small", None, WeightsState.NOT_DOWNLOADED, WeightsSource.MISSING)
    assert scan_request(folders, ModelsState((missing,), "dinov2-small", "auto", ("auto",), True)) == folders
    assert scan_request(folders, None) == folders
