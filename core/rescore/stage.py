"""The scan stage that re-scores uncertain pairs once the k-NN pairs of a model scan are stored: rotated copies
(core/rescore/orientation.py) and cropped copies (core/rescore/crops.py)."""

from __future__ import annotations

from PIL import Image

from core.cancel import CancelToken
from core.embed.encoders import Encoder
from core.entities import Phase
from core.rescore.crops import check_crops
from core.rescore.orientation import check_rotations
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

    def accept(self, catalog: Catalog, file_id: int, image: Image.Image) -> None:
        return None

    def flush(self, catalog: Catalog, final: bool) -> int:
        return 0

    def finish(self, catalog: Catalog, cancel: CancelToken, report: StageReport) -> None:
        check_rotations(catalog, self.encoder, self.store, self.rotation_band_high, cancel, report)
        if self.copy_threshold is not None:
            check_crops(catalog, self.encoder, self.store, self.copy_threshold, cancel, report)
