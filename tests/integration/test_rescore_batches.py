"""The re-checks (core/rescore) hand the encoder full batches across files and pairs, and score every pair as when
each file's rotations, or each pair's two images, were embedded on their own."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.embed.encoders import Encoder
from core.entities import ScanRequest
from core.library import Library
from core.rescore.batches import BatchedEmbedder
from core.rescore.crops import aligned_images, check_crops
from core.rescore.orientation import check_rotations, oriented_score, rotated_vectors, rotations_to_try, thumbnail_image
from core.tiers.graph import ALIGNED_SUFFIX, ORIENTED_SUFFIX
from tests.images import photo

BATCH = 4


class CallSizes:
    """An encoder that records how many images each call embeds."""

    def __init__(self, encoder: Encoder, batch_size: int = BATCH) -> None:
        self.encoder = encoder
        self.model_id, self.dim, self.spec, self.device = encoder.model_id, encoder.dim, encoder.spec, "cpu"
        self.batch_size = batch_size
        self.calls: list[int] = []

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        self.calls.append(len(images))
        return self.encoder.embed_images(images)


class MeanColour:
    """A fake encoder whose vector of an image is its mean colour: the same whatever batch it is in."""

    model_id, dim, spec, device = "mean-colour", 3, None, "cpu"

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.asarray([np.asarray(image, dtype=np.float32).mean(axis=(0, 1)) for image in images])


def assert_full_batches(calls: list[int], images: int) -> None:
    assert sum(calls) == images
    assert calls[:-1] == [BATCH] * (len(calls) - 1) and 0 < calls[-1] <= BATCH, calls


def test_every_call_but_the_last_is_full_and_each_key_gets_its_own_vectors() -> None:
    images = {key: [photo(10 * key + i, (40, 30)) for i in range(1 + key % 3)] for key in range(9)}
    recorder = CallSizes(MeanColour())  # type: ignore[arg-type]
    embedder: BatchedEmbedder[int] = BatchedEmbedder(recorder)  # type: ignore[arg-type]
    assert embedder.batch_size == BATCH  # the encoder's own batch size
    got: dict[int, np.ndarray] = {}
    for key, own in images.items():
        for done, vectors in embedder.add(key, own):
            assert done not in got
            got[done] = vectors
    got.update(embedder.finish())
    assert sorted(got) == sorted(images)
    for key, own in images.items():
        np.testing.assert_allclose(got[key], MeanColour().embed_images(own))
    assert_full_batches(recorder.calls, sum(len(own) for own in images.values()))
    with pytest.raises(ValueError):
        embedder.add(0, images[0])
        embedder.add(0, images[0])


def _library_with_copies(library: Library, folder: Path) -> dict[str, int]:
    """Five photos, a crop and a copy turned by 90 degrees of each, and the pairs between them in the re-checks'
    bands (scores made up: the re-checks only read which pairs are uncertain)."""
    for seed in range(5):
        original = photo(40 + seed, (640, 480))
        folder.mkdir(parents=True, exist_ok=True)
        original.save(folder / f"p{seed}.jpg", quality=92)
        original.crop((40, 20, 600, 440)).save(folder / f"p{seed}_crop.jpg", quality=92)
        original.rotate(90, expand=True).save(folder / f"p{seed}_turned.jpg", quality=92)
    library.scan(ScanRequest(roots=(folder,), model="dinov2-small", workers=2))
    by_name = {Path(f.path).stem: f.id for f in library.catalog.files.present()}
    store = library.models.store("dinov2-small")
    assert store is not None
    pairs = [(by_name[f"p{s}"], by_name[f"p{s}{kind}"], 0.6) for s in range(5) for kind in ("_crop", "_turned")]
    with library.catalog.transaction():
        library.catalog.db.execute("DELETE FROM neighbours")
        library.catalog.neighbours.add(store.model_id, pairs)
    return by_name


def test_rotation_and_crop_checks_embed_full_batches_with_the_scores_of_one_file_or_pair_at_a_time(
    tiny_library: Library, tmp_path: Path
) -> None:
    _library_with_copies(tiny_library, tmp_path / "photos")
    catalog = tiny_library.catalog
    store = tiny_library.models.store("dinov2-small")
    assert store is not None
    encoder = CallSizes(tiny_library.models.encoder("dinov2-small"))
    pairs = catalog.neighbours.pairs(store.model_id, 0.0)
    files = catalog.files.by_ids({n for a, b, _ in pairs for n in (a, b)})
    sizes = {f.id: (f.width, f.height) for f in files.values()}
    ids, vectors = store.vectors()
    vector_of = dict(zip(ids.tolist(), vectors, strict=True))
    thumb = {fid: thumbnail_image(catalog, fid) for fid in files}

    assert check_rotations(catalog, encoder, store, band_high=1.01) == len(pairs)  # type: ignore[arg-type]
    rotations = sum(len(rotations_to_try(sizes[a], sizes[b])) for a, b, _ in pairs)
    assert_full_batches(encoder.calls, rotations)
    for a, b, score in catalog.neighbours.pairs(store.model_id + ORIENTED_SUFFIX, 0.0):
        angles = rotations_to_try(sizes[a], sizes[b])
        alone = rotated_vectors(encoder.encoder, thumb[b], angles)  # type: ignore[arg-type]
        assert score == pytest.approx(oriented_score(0.6, vector_of[a], alone, angles), abs=1e-5)

    encoder.calls.clear()
    assert check_crops(catalog, encoder, store, copy_threshold=0.7) == len(pairs)  # type: ignore[arg-type]
    found = {(a, b): aligned_images(thumb[a], thumb[b]) for a, b, _ in pairs}  # type: ignore[arg-type]
    assert sum(1 for images in found.values() if images) >= 5, "the crops must be found inside their photos"
    assert_full_batches(encoder.calls, 2 * sum(1 for images in found.values() if images))
    for a, b, score in catalog.neighbours.pairs(store.model_id + ALIGNED_SUFFIX, 0.0):
        images = found[(a, b)]
        expected = 0.6
        if images is not None:
            region, whole = encoder.encoder.embed_images(images)
            expected = max(0.6, float(region @ whole))
        assert score == pytest.approx(expected, abs=1e-5)
