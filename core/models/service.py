"""The library's models: which one is active, where its weights are, its encoder (built once, in the thread
that owns the library), its stored vectors, and queries by image or text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.cancel import CancelToken
from core.embed.encoders import Encoder, TextEncoder, build_encoder
from core.embed.registry import OUT_OF_THE_BOX_MODELS, ModelSpec, get_spec, text_models
from core.embed.weights import ResolvedWeights, WeightsSource, resolve_weights, weights_file
from core.entities import FileInfo, Tier
from core.rescore.stage import RescoreStage
from core.scan.decode import DecodeError, decode_user_file
from core.store.catalog import Catalog
from core.vectors.store import DEFAULT_K, EmbeddingStage, EmbeddingStore


@dataclass(frozen=True)
class QueryResult:
    file: FileInfo
    score: float


# Why an out-of-the-box model is used, by where its weights were found.
_FOUND = {
    WeightsSource.PACKAGED: "packaged copy detector, found on this computer",
    WeightsSource.HF_CACHE: "copy detector, found in the Hugging Face cache",
    WeightsSource.IMPORTED: "copy detector, imported into this library",
}


@dataclass(frozen=True)
class DefaultModel:
    """The model a scan embeds with when the person names none (ModelService.default_model), and why."""

    name: str
    chosen: bool  # True: the library's active model; False: an out-of-the-box model nobody chose
    reason: str  # "this library's model", "packaged copy detector, found on this computer"

    def describe(self) -> str:
        return f"{self.name} ({self.reason})"


class ModelService:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._encoders: dict[tuple[str, str], Encoder] = {}
        self._stores: dict[str, EmbeddingStore] = {}

    # --- settings ----------------------------------------------------------------------------------------

    def active_model(self) -> str | None:
        return self.catalog.settings.active_model

    def default_model(self) -> DefaultModel | None:
        """The model a scan uses when none is named (the CLI's `scan` without --model, the GUI's Scan): the
        library's active model; else, for a library nobody chose one for, the first out-of-the-box copy model
        (registry.OUT_OF_THE_BOX_MODELS) whose weights are on this computer; else None (scan without a model).
        The first scan that embeds makes it the active model, so a library keeps it until a person switches."""
        active = self.active_model()
        if active is not None:
            return DefaultModel(active, chosen=True, reason="this library's model")
        for name in OUT_OF_THE_BOX_MODELS:
            weights = self.weights(name)
            if weights.on_disk:
                return DefaultModel(name, chosen=False, reason=_FOUND.get(weights.source, "found on this computer"))
        return None

    def set_active_model(self, name: str) -> None:
        get_spec(name)
        self.catalog.settings.active_model = name

    def weights_for(self, name: str) -> Path | None:
        """The file imported for this model (`--weights`, the model manager's Import), if any."""
        return self.catalog.settings.weights(name)

    def weights(self, name: str) -> ResolvedWeights:
        """The weights a scan of this library uses for the model, and where they are (one resolver for the
        encoders, the model manager and the CLI: core.embed.weights.resolve_weights)."""
        return resolve_weights(get_spec(name), self.weights_for(name))

    def model_id(self, name: str) -> str | None:
        return self.catalog.settings.model_id(name)

    def threshold(self, name: str, tier: Tier) -> float | None:
        """The calibrated threshold for this model and tier, else the spec's shipped default."""
        model_id = self.model_id(name)
        stored = self.catalog.settings.threshold(model_id, tier) if model_id else None
        if stored is not None:
            return stored
        return get_spec(name).default_threshold(tier)

    def set_threshold(self, name: str, tier: Tier, value: float) -> None:
        self.catalog.settings.set_threshold(self._embedded_id(name), tier, value)

    def set_calibrated(self, name: str, target_precision: float) -> None:
        """Its thresholds were calibrated on this library for this precision."""
        self.catalog.settings.set_calibrated(self._embedded_id(name), target_precision)

    def _embedded_id(self, name: str) -> str:
        model_id = self.model_id(name)
        if model_id is None:
            raise ValueError(f"{name} has not embedded this library yet")
        return model_id

    # --- encoders and vectors ----------------------------------------------------------------------------

    def encoder(self, name: str, weights: Path | None = None, **overrides: object) -> Encoder:
        """Build (once) the encoder; raises MissingWeightsError with instructions when weights are absent.

        weights: a file to use from now on, remembered as this model's imported file (`twinlens scan --weights`);
        without it, the weights `self.weights(name)` resolves. Front ends pass a file only when the person chose
        one: the model id is made from the weights' identity, so a file found elsewhere must not be passed back."""
        key = (name, str(weights or self.weights_for(name) or ""))
        if key not in self._encoders:
            overrides.setdefault("device", self.device())
            resolved = weights_file(get_spec(name), weights) if weights is not None else self.weights(name)
            encoder = build_encoder(name, weights=resolved, **overrides)  # type: ignore[arg-type]
            self._encoders[key] = encoder
            if weights is not None:
                self.catalog.settings.set_weights(name, Path(weights).resolve())
            self._remember(name, encoder)
        return self._encoders[key]

    def forget_encoders(self, name: str) -> None:
        """Drop built encoders of a model, e.g. after new weights were imported."""
        for key in [key for key in self._encoders if key[0] == name]:
            del self._encoders[key]

    def device(self) -> str:
        return self.catalog.settings.device

    def set_device(self, device: str) -> None:
        if device not in ("auto", "cpu", "cuda", "mps"):
            raise ValueError(f"unknown device {device!r}")
        self.catalog.settings.device = device
        self._encoders.clear()

    def use_encoder(self, name: str, encoder: Encoder) -> None:
        """Adopt an encoder built elsewhere (tests build tiny random ones through the same factory)."""
        self._encoders[(name, str(self.weights_for(name) or ""))] = encoder
        self._remember(name, encoder)

    def _remember(self, name: str, encoder: Encoder) -> None:
        self.catalog.settings.set_model_id(name, encoder.model_id)
        self.catalog.settings.set_dim(name, encoder.dim)

    def stage(self, name: str, weights: Path | None, cancel: CancelToken) -> EmbeddingStage:
        encoder = self.encoder(name, weights)
        self.set_active_model(name)
        store = self.store(name)
        assert store is not None  # the encoder just recorded its model id
        stage = EmbeddingStage(encoder, store, cancel)
        stage.neighbours = self.neighbours()
        return stage

    def neighbours(self) -> int:
        """k of the stored k-NN graph: how many nearest photos each new photo is linked to."""
        return self.catalog.settings.neighbours or DEFAULT_K

    def set_neighbours(self, k: int) -> None:
        """Takes effect for photos embedded from now on (already linked photos keep their pairs)."""
        if not 1 <= k <= 256:
            raise ValueError("the number of neighbours must be between 1 and 256")
        self.catalog.settings.neighbours = k

    def rescore_stage(self, name: str) -> RescoreStage:
        """Re-scores uncertain pairs with one photo rotated or the crop undone (core/rescore/stage.py); runs after
        `stage`."""
        return RescoreStage(self.encoder(name), self.catalog, self.threshold(name, Tier.COPY))

    def is_calibrated(self, name: str) -> bool:
        model_id = self.model_id(name)
        return model_id is not None and self.catalog.settings.calibrated(model_id) is not None

    def store(self, name: str) -> EmbeddingStore | None:
        model_id = self.model_id(name)
        if model_id is None:
            return None
        if model_id not in self._stores:
            dim = self.catalog.settings.dim(name) or get_spec(name).dim
            self._stores[model_id] = EmbeddingStore(self.catalog, model_id, dim)
        return self._stores[model_id]

    def take_notices(self) -> list[str]:
        """What the vector stores repaired on their own since the last call (a damaged index rebuilt), once."""
        notices = [notice for store in self._stores.values() for notice in store.notices]
        for store in self._stores.values():
            store.notices.clear()
        return notices

    def spec(self, name: str) -> ModelSpec:
        return get_spec(name)

    # --- queries -----------------------------------------------------------------------------------------

    def query_image(self, path: Path, name: str, k: int = 10) -> list[QueryResult]:
        """The k photos closest to an image file, which need not be in the library (embedded on the fly). A file
        that is no photo, or too large, or cannot be read, is a ValueError with the reason."""
        try:
            image, _ = decode_user_file(path)
        except DecodeError as error:
            raise ValueError(f"{path}: {error.reason}") from error
        vector = self.encoder(name).embed_images([image])[0]
        return self._results(vector, name, k + 1, exclude=str(path.resolve()))[:k]

    def query_text(self, text: str, name: str, k: int = 20) -> list[QueryResult]:
        encoder = self.encoder(name)
        if not isinstance(encoder, TextEncoder) or not self.spec(name).supports_text:
            raise ValueError(f"{name} cannot search by text: use a model that can ({', '.join(text_models())})")
        return self._results(encoder.embed_text([text])[0], name, k)

    def _results(self, vector: np.ndarray, name: str, k: int, exclude: str | None = None) -> list[QueryResult]:
        store = self.store(name)
        if store is None:
            return []
        hits = store.search(np.asarray(vector, dtype=np.float32), k)
        files = self.catalog.files.by_ids(hit.file_id for hit in hits)
        return [
            QueryResult(files[hit.file_id], hit.score)
            for hit in hits
            if hit.file_id in files and files[hit.file_id].path != exclude
        ]
