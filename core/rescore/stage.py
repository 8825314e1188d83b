"""The scan stage that re-scores uncertain pairs once the k-NN pairs of a model scan are stored: rotated copies
(core/rescore/orientation.py) and cropped copies (core/rescore/crops.py)."""

from __future__ import annotations

from functools import lru_cache, partial

from PIL import Image

from core.cancel import CancelToken
from core.embed.encoders import Encoder
from core.entities import Phase
from core.rescore.crops import THUMBNAILS_KEPT, check_crops
from core.rescore.orientation import check_rotations, thumbnail_image
from core.scan.decode import PrepareImage
from core.scan.pipeline import StageReport
from core.store.catalog import Catalog
from core.vectors.store import EmbeddingStore


class RescoreStage:
    """A ScanStage that runs after the embedding stage (it needs the stored pairs, not the decoded images)."""

    phase = Phase.VERIFY

    def __init__(self, encoder: Encoder, catalog: Catalog, copy_threshold: float | None) -> None:
        self.encoder = encoder
        self.store = EmbeddingStore(catalog, encoder.model_id, encoder.dim)
        self.copy_threshold = copy_threshold
        # Rotations: every pair below this (a rotated copy can score as low as 0.48, see core/rescore/orientation.py).
        self.rotation_band_high = 0.95 if copy_threshold is None else max(copy_threshold, 0.95)

    def files_needing_images(self, catalog: Catalog) -> set[int]:
        return set()

    def image_preparation(self) -> PrepareImage | None:
        return None  # it takes no images

    def accept(self, catalog: Catalog, file_id: int, image: Image.Image) -> None:
        return None

    def flush(self, catalog: Catalog, final: bool) -> int:
        return 0

    def finish(self, catalog: Catalog, cancel: CancelToken, report: StageReport) -> None:
        # Both checks read the same files' thumbnails: each is decoded once while it is kept.
        thumbnails = lru_cache(maxsize=THUMBNAILS_KEPT)(partial(thumbnail_image, catalog))
        check_rotations(catalog, self.encoder, self.store, self.rotation_band_high, cancel, report, thumbnails)
        if self.copy_threshold is not None:
            check_crops(catalog, self.encoder, self.store, self.copy_threshold, cancel, report, thumbnails)
