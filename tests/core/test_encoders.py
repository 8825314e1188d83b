"""Tiny randomly initialised models built through the real factories, and their weights files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import save_file

from core.embed import MissingWeightsError, WeightsFormatError, build_encoder
from tests.images import photo
from tests.models import TINY_CLIP, TINY_CLIP_DIM, TINY_DINOV2, TINY_DINOV2_DIM, tiny_clip, tiny_dinov2


def photos(count: int = 4) -> list[Image.Image]:
    rng = np.random.default_rng(7)
    return [Image.fromarray(rng.integers(0, 255, (240 + 10 * i, 320, 3), dtype=np.uint8)) for i in range(count)]


def assert_unit_rows(vectors: np.ndarray, dim: int, count: int) -> None:
    assert vectors.shape == (count, dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_tiny_dinov2_gives_unit_vectors_of_its_dimension() -> None:
    encoder = tiny_dinov2(batch_size=3)
    assert (encoder.dim, encoder.device) == (TINY_DINOV2_DIM, "cpu")  # type: ignore[attr-defined]
    assert_unit_rows(encoder.embed_images(photos(5)), TINY_DINOV2_DIM, 5)
    assert encoder.embed_images([]).shape == (0, TINY_DINOV2_DIM)


@pytest.mark.parametrize("build", [tiny_dinov2, tiny_clip], ids=["dinov2", "clip"])
def test_tiny_models_keep_different_photos_apart_and_find_a_resized_copy(build: Any) -> None:
    """A test model that gives every photo the same vector (cosine 1.0) cannot see a mixed-up or stale vector."""
    images = [photo(seed) for seed in range(100, 112)]
    encoder = build()
    vectors = encoder.embed_images([*images, images[3].resize((320, 240))])
    originals, copy = vectors[:-1], vectors[-1]
    different = (originals @ originals.T)[~np.eye(len(images), dtype=bool)]
    assert different.max() < 0.99, f"different photos score up to {different.max():.6f}"
    assert float(np.median(different)) < 0.9
    assert int(np.argmax(originals @ copy)) == 3 and float(originals[3] @ copy) > 0.99


def test_timm_preprocessing_comes_from_timm_at_the_built_size() -> None:
    transform = repr(tiny_dinov2().transform)  # type: ignore[attr-defined]
    assert "CenterCrop(size=(56, 56))" in transform and "bicubic" in transform


def test_tiny_open_clip_embeds_images_and_text_in_one_space() -> None:
    encoder = tiny_clip()
    assert_unit_rows(encoder.embed_images(photos(2)), TINY_CLIP_DIM, 2)
    assert_unit_rows(encoder.embed_text(["a dog on a beach", "a receipt"]), TINY_CLIP_DIM, 2)  # type: ignore[attr-defined]


def test_model_id_depends_on_architecture_and_weights_but_not_on_the_run() -> None:
    first, again = tiny_dinov2(), tiny_dinov2()
    deeper = build_encoder(
        "dinov2-small", pretrained=False, timm_name=TINY_DINOV2["timm_name"], timm_kwargs={**TINY_DINOV2["timm_kwargs"]}
    )
    assert first.model_id == again.model_id == deeper.model_id
    wider = build_encoder(
        "dinov2-small", pretrained=False, timm_name=TINY_DINOV2["timm_name"], timm_kwargs={
            **TINY_DINOV2["timm_kwargs"], "img_size": 42}
    )  # fmt: skip
    assert wider.model_id != first.model_id
    assert first.model_id.startswith("dinov2-small@")


@pytest.mark.parametrize("name", ["dinov2-small", "clip-b32"])
def test_offline_without_cached_weights_says_which_file_and_how_to_import_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    with pytest.raises(MissingWeightsError) as caught:
        build_encoder(name)
    message = str(caught.value)
    assert caught.value.model == name
    assert "huggingface.co/" in message and ".safetensors" in message
    assert f"--model {name} --weights FILE" in message


def test_safetensors_weights_round_trip_through_the_factory(tmp_path: Path) -> None:
    original = tiny_dinov2()
    path = tmp_path / "tiny.safetensors"
    save_file({k: v.contiguous() for k, v in original.model.state_dict().items()}, str(path))  # type: ignore[attr-defined]
    torch.manual_seed(1)  # the loaded model must not depend on the random init
    loaded = build_encoder("dinov2-small", weights=path, **TINY_DINOV2)
    images = photos(3)
    np.testing.assert_allclose(loaded.embed_images(images), original.embed_images(images), atol=1e-5)
    assert loaded.model_id != original.model_id


def test_open_clip_safetensors_weights_round_trip(tmp_path: Path) -> None:
    original = tiny_clip()
    path = tmp_path / "clip.safetensors"
    save_file({k: v.contiguous() for k, v in original.model.state_dict().items()}, str(path))  # type: ignore[attr-defined]
    torch.manual_seed(1)
    loaded = build_encoder("clip-b32", weights=path, **TINY_CLIP)
    np.testing.assert_allclose(loaded.embed_images(photos(2)), original.embed_images(photos(2)), atol=1e-5)


def test_pt_weights_are_loaded_with_weights_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = tiny_dinov2()
    path = tmp_path / "tiny.pth"
    torch.save({"state_dict": original.model.state_dict()}, path)  # type: ignore[attr-defined]
    calls: list[dict[str, Any]] = []
    real_load = torch.load

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    loaded = build_encoder("dinov2-small", weights=path, **TINY_DINOV2)
    assert calls and all(call.get("weights_only") is True for call in calls)
    np.testing.assert_allclose(loaded.embed_images(photos(2)), original.embed_images(photos(2)), atol=1e-5)


class NotATensor:
    pass


def test_pickles_with_arbitrary_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {"x": NotATensor()}}, path)
    with pytest.raises(WeightsFormatError, match="refused to unpickle"):
        build_encoder("dinov2-small", weights=path, **TINY_DINOV2)


def test_weights_file_with_the_wrong_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.onnx"
    path.write_bytes(b"x")
    with pytest.raises(WeightsFormatError, match=r"\.safetensors"):
        build_encoder("dinov2-small", weights=path, **TINY_DINOV2)


def test_explicit_precision_is_honoured() -> None:
    assert tiny_dinov2(precision="fp32").bf16 is False  # type: ignore[attr-defined]
    assert tiny_dinov2(precision="bf16").bf16 is True  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="precision"):
        tiny_dinov2(precision="fp8")


def test_fp32_on_cpu_runs_through_onnxruntime_with_torch_results(tmp_path: Path) -> None:
    images = photos(3)
    reference = tiny_dinov2(precision="fp32", runtime="torch")
    through_ort = tiny_dinov2(precision="fp32")
    assert through_ort.forward is not reference.forward
    exported = list((tmp_path / "xdg" / "cache").rglob("*.onnx"))
    assert len(exported) == 1, "the export is cached in the user cache folder"
    np.testing.assert_allclose(through_ort.embed_images(images), reference.embed_images(images), atol=1e-4)
    again = tiny_dinov2(precision="fp32")
    assert list((tmp_path / "xdg" / "cache").rglob("*.onnx")) == exported
    np.testing.assert_allclose(again.embed_images(images), reference.embed_images(images), atol=1e-4)


def test_random_weights_never_reuse_another_seed_s_export() -> None:
    images = photos(2)
    for seed in (1, 2):
        reference = tiny_dinov2(seed, precision="fp32", runtime="torch")
        through_ort = tiny_dinov2(seed, precision="fp32")
        np.testing.assert_allclose(through_ort.embed_images(images), reference.embed_images(images), atol=1e-4)


def test_onnxruntime_failure_falls_back_to_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    import core.embed.onnx_runtime as onnx_runtime

    def broken_export(*args: Any) -> None:
        raise RuntimeError("exporter cannot handle this model")

    monkeypatch.setattr(onnx_runtime, "_export", broken_export)
    encoder = tiny_dinov2(precision="fp32")
    assert encoder.forward == encoder.model.forward
    assert_unit_rows(encoder.embed_images(photos(2)), TINY_DINOV2_DIM, 2)
