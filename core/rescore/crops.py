"""Cropped copies: re-score uncertain pairs with the crop undone (run after a model scan by core/rescore/stage.py).

A crop and its photo score lower than the copy threshold when much was cut away (SSCD on
benchmarks/tiers_bench.py: 0.78-0.85 for a 90 % off-centre crop) while two overlapping burst frames can score
0.85-0.88. For each pair scoring in the band just below the copy threshold, `core.rescore.containment` looks for one
photo inside the other on their thumbnails; when it finds it (correlation at least MIN_CORRELATION: crops
0.67-0.92, burst frames at most 0.47, the shared bench's same-scene pairs 0.16-0.76), the matching region of
the outer photo and the inner photo are embedded by the same model and compared: crops then score 0.88-0.98,
while a burst frame's best region scores below its plain score. The best of the plain and the aligned score is
stored under the model's source plus `#aligned` (one row per checked pair, so none is checked twice), which
`core.tiers.graph` reads. So the geometry only nominates a region; the model still decides whether it is a copy.
The two images of many pairs share each encoder call (core/rescore/batches.py).
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
from PIL import Image

from core.cancel import CancelToken
from core.embed.encoders import Encoder
from core.rescore.batches import BatchedEmbedder
from core.rescore.containment import Detail, DetailCache, Placement, detail, find_inside
from core.rescore.orientation import ThumbnailSource, taken_at_different_moments, thumbnail_image
from core.scan.pipeline import StageReport
from core.store.catalog import Catalog
from core.tiers.graph import ALIGNED_SUFFIX
from core.vectors.store import EmbeddingStore

ALIGN_BAND = 0.2  # pairs scoring at least copy threshold - ALIGN_BAND (and below it) are checked
MIN_CORRELATION = 0.6
COMMIT_EVERY = 32
THUMBNAILS_KEPT = 256  # decoded 256 px thumbnails, ~0.2 MB each


def placement_between(
    image_a: Image.Image, image_b: Image.Image, details: Detail = detail
) -> tuple[Placement, Image.Image, Image.Image]:
    """The better of "b inside a" and "a inside b", with (outer, inner) in that order."""
    best: tuple[Placement, Image.Image, Image.Image] | None = None
    for outer, inner in ((image_a, image_b), (image_b, image_a)):
        found = find_inside(outer, inner, details=details)
        if found is not None and (best is None or found.correlation > best[0].correlation):
            best = (found, outer, inner)
    if best is None:  # both flat: nothing to align, the plain score stands
        return Placement(0.0, (0.0, 0.0, 1.0, 1.0)), image_a, image_b
    return best


def aligned_images(
    image_a: Image.Image, image_b: Image.Image, details: Detail = detail
) -> tuple[Image.Image, Image.Image] | None:
    """(the region of the outer photo the inner one was found in, the inner photo), or None when neither photo lies
    inside the other."""
    placement, outer, inner = placement_between(image_a, image_b, details)
    if placement.correlation < MIN_CORRELATION:
        return None
    return placement.crop(outer), inner


def check_crops(
    catalog: Catalog,
    encoder: Encoder,
    store: EmbeddingStore,
    copy_threshold: float,
    cancel: CancelToken | None = None,
    progress: StageReport | None = None,
    thumbnails: ThumbnailSource | None = None,
) -> int:
    """Re-score every unchecked pair in [copy_threshold - ALIGN_BAND, copy_threshold); returns how many.
    Committed in small batches, so a cancelled check keeps its work and the next scan goes on from there (a pair
    is committed once its score is final: its images may wait for the next full encoder batch).
    thumbnails: decoded thumbnails by file id (RescoreStage shares one cache with the rotation check)."""
    source = store.model_id
    pairs = catalog.neighbours.unchecked(source, source + ALIGNED_SUFFIX, copy_threshold - ALIGN_BAND, copy_threshold)
    files = catalog.files.by_ids({n for a, b, _ in pairs for n in (a, b)})
    # Pairs come in file order, so a file's thumbnail is mostly wanted again soon: decode it once while it is.
    thumbnail = thumbnails or lru_cache(maxsize=THUMBNAILS_KEPT)(partial(thumbnail_image, catalog))
    embedder: BatchedEmbedder[int] = BatchedEmbedder(encoder)
    details = DetailCache()
    rows: list[tuple[int, int, float]] = []

    def scored(completed: list[tuple[int, np.ndarray]]) -> None:
        for index, (region, whole) in completed:
            a, b, score = pairs[index]
            rows.append((a, b, max(score, float(np.dot(region, whole)))))

    for done, (a, b, score) in enumerate(pairs, start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        images = None
        if not taken_at_different_moments(files.get(a), files.get(b)):
            image_a, image_b = thumbnail(a), thumbnail(b)
            images = aligned_images(image_a, image_b, details) if image_a and image_b else None
        if images is None:
            rows.append((a, b, score))
        else:
            scored(embedder.add(done - 1, images))
        if done == len(pairs):
            scored(embedder.finish())
        if len(rows) >= COMMIT_EVERY or done == len(pairs):
            with catalog.transaction():
                catalog.neighbours.add(source + ALIGNED_SUFFIX, rows)
            rows.clear()
        if progress is not None:
            progress(done, len(pairs), files[b].path if b in files else "")
    return len(pairs)
