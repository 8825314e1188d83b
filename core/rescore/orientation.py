"""Rotated copies: re-score uncertain pairs with one photo turned upright again (run by core/rescore/stage.py).

Copy-detection models match resized, recompressed, cropped and recoloured copies, but a copy whose pixels
were rotated by 90 or 180 degrees (an editor that "applied" the EXIF orientation, a phone that saved it
turned) scores like a different photo of the same scene: SSCD gives 0.58-0.81 for 90 degrees and 0.48-0.86
for 180 degrees, where crops of other photos also land. Embedding every photo four times would quadruple the
scan. Instead, after the k-NN pairs are stored, each pair whose score lies in the uncertain band (at least
the link floor, below the copy threshold) is scored again from the stored 256 px thumbnail of one photo,
turned by 90 and 270 degrees when the two photos have opposite orientations, else by 180 degrees, against
the other photo's stored vector. A rotated copy then scores 0.79-0.99 (median 0.96); the best of the plain and
the rotated score is stored under the model's source plus `#oriented`, which `core.tiers.graph` reads. Each file
is embedded at most once per rotation, only when it has a pair in the band; the rotations of many files share each
encoder call (core/rescore/batches.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
from PIL import Image

from core.cancel import CancelToken
from core.embed.encoders import Encoder
from core.entities import FileInfo
from core.rescore.batches import BatchedEmbedder
from core.scan.decode import decode_image
from core.scan.metadata import shutter_times_differ
from core.scan.pipeline import StageReport
from core.store.catalog import Catalog
from core.tiers.graph import ORIENTED_SUFFIX
from core.vectors.store import LINK_FLOOR, EmbeddingStore

_ROTATIONS_SWAPPED = (90, 270)
_ROTATIONS_SAME = (180,)


def rotations_to_try(size_a: tuple[int, int], size_b: tuple[int, int]) -> tuple[int, ...]:
    """90/270 when one photo is landscape and the other portrait, else 180 (square photos: all three)."""
    landscape_a, landscape_b = size_a[0] >= size_a[1], size_b[0] >= size_b[1]
    if size_a[0] == size_a[1] or size_b[0] == size_b[1]:
        return (*_ROTATIONS_SWAPPED, *_ROTATIONS_SAME)
    return _ROTATIONS_SWAPPED if landscape_a != landscape_b else _ROTATIONS_SAME


ThumbnailSource = Callable[[int], Image.Image | None]


def rotations_of(image: Image.Image, angles: Sequence[int]) -> list[Image.Image]:
    return [image.rotate(angle, expand=True) for angle in angles]


def rotated_vectors(encoder: Encoder, image: Image.Image, angles: Sequence[int]) -> dict[int, np.ndarray]:
    return dict(zip(angles, encoder.embed_images(rotations_of(image, angles)), strict=True))


def oriented_score(
    plain: float, vector_a: np.ndarray, rotated_b: dict[int, np.ndarray], angles: Sequence[int]
) -> float:
    scores = [float(vector_a @ rotated_b[angle]) for angle in angles if angle in rotated_b]
    return max([plain, *scores])


def taken_at_different_moments(a: FileInfo | None, b: FileInfo | None) -> bool:
    """Two shots the copy tier never joins (core/scan/metadata.py shutter_times_differ): re-scoring them as a
    rotated or cropped copy could only raise a score that is not used, so they keep their plain score unchecked."""
    return a is not None and b is not None and shutter_times_differ(a.captured_at, b.captured_at)


def thumbnail_image(catalog: Catalog, file_id: int) -> Image.Image | None:
    """The stored thumbnail, or None when there is none or it cannot be decoded (its pair keeps its plain score)."""
    data = catalog.files.thumbnail(file_id)
    if data is None:
        return None
    try:
        image, _ = decode_image(data, full=True)
    except Exception:  # DecodeError, or a decoder bug: a damaged thumbnail must not stop the check
        return None
    return image


def check_rotations(
    catalog: Catalog,
    encoder: Encoder,
    store: EmbeddingStore,
    band_high: float,
    cancel: CancelToken | None = None,
    progress: StageReport | None = None,
    thumbnails: ThumbnailSource | None = None,
) -> int:
    """Re-score every unchecked pair in [LINK_FLOOR, band_high) with the newer photo rotated; returns how many.
    thumbnails: decoded thumbnails by file id (RescoreStage shares one cache with the crop check)."""
    source = store.model_id
    pairs = catalog.neighbours.unchecked(source, source + ORIENTED_SUFFIX, LINK_FLOOR, band_high)
    if not pairs:
        return 0
    ids = sorted({n for a, b, _ in pairs for n in (a, b)})
    files = catalog.files.by_ids(ids)
    sizes = {f.id: (f.width, f.height) for f in files.values()}
    wanted: dict[int, set[int]] = {}
    for a, b, _ in pairs:
        if not taken_at_different_moments(files.get(a), files.get(b)):
            wanted.setdefault(b, set()).update(rotations_to_try(sizes[a], sizes[b]))
    thumbnail = thumbnails or partial(thumbnail_image, catalog)
    rotated = _embed_rotations(wanted, encoder, thumbnail, cancel, progress, files)
    file_ids, vectors = store.vectors(ids)
    vector_of = {int(f): v for f, v in zip(file_ids, vectors, strict=True)}
    rows = [
        (a, b, oriented_score(s, vector_of[a], rotated.get(b, {}), rotations_to_try(sizes[a], sizes[b])))
        for a, b, s in pairs
        if a in vector_of
    ]
    with catalog.transaction():
        catalog.neighbours.add(source + ORIENTED_SUFFIX, rows)
    return len(rows)


def _embed_rotations(
    wanted: dict[int, set[int]],
    encoder: Encoder,
    thumbnail: ThumbnailSource,
    cancel: CancelToken | None,
    progress: StageReport | None,
    files: dict[int, FileInfo],
) -> dict[int, dict[int, np.ndarray]]:
    """The vectors of each wanted file's thumbnail turned by each of its angles (none for a file without a
    readable thumbnail), embedded in full batches across files."""
    embedder: BatchedEmbedder[int] = BatchedEmbedder(encoder)
    rotated: dict[int, dict[int, np.ndarray]] = {}

    def keep(completed: list[tuple[int, np.ndarray]]) -> None:
        for file_id, vectors in completed:
            rotated[file_id] = dict(zip(sorted(wanted[file_id]), vectors, strict=True))

    for done, (file_id, angles) in enumerate(wanted.items()):
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(done, len(wanted), files[file_id].path)
        thumb = thumbnail(file_id)
        if thumb is not None:  # else its pairs keep their plain score
            keep(embedder.add(file_id, rotations_of(thumb, sorted(angles))))
    keep(embedder.finish())
    if progress is not None:
        progress(len(wanted), len(wanted), "")
    return rotated
