"""Getting, importing and switching models: what the model manager shows and does, headless.

Downloads go through huggingface_hub into its own cache (so timm and open_clip find the files the usual
way); an imported file is copied into the library folder, so moving or deleting the original breaks nothing.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.cancel import Cancelled, CancelToken
from core.embed.encoders import build_encoder
from core.embed.errors import MissingWeightsError
from core.embed.registry import all_specs, get_spec
from core.embed.weights import (
    ResolvedWeights,
    WeightsSource,
    hf_hub_cache_dir,
    hf_offline,
    missing_weights_message,
)
from core.entities import Tier
from core.models.service import ModelService

DownloadProgress = Callable[[int, int], None]


class WeightsState(StrEnum):
    AVAILABLE = "available"
    IMPORTED = "imported"
    NOT_DOWNLOADED = "not downloaded"


@dataclass(frozen=True)
class ModelStatus:
    name: str
    description: str
    licence: str
    download_mb: float
    dim: int
    supports_text: bool
    state: WeightsState
    weights: str | None
    active: bool
    embedded_files: int
    thresholds_provisional: bool
    tiers: tuple[Tier, ...] = ()  # the embedding tiers it finds (ModelSpec.tiers)
    source: WeightsSource = WeightsSource.MISSING
    weights_description: str = ""  # where the weights are, said plainly (ResolvedWeights.describe)


@dataclass(frozen=True)
class SwitchEstimate:
    model: str
    files_to_embed: int
    seconds: float
    library_files: int = 0  # photos in the library: none means its first scan embeds them


def weights_state(weights: ResolvedWeights) -> WeightsState:
    if weights.source == WeightsSource.IMPORTED:
        return WeightsState.IMPORTED
    return WeightsState.AVAILABLE if weights.on_disk else WeightsState.NOT_DOWNLOADED


def model_statuses(service: ModelService) -> list[ModelStatus]:
    active = service.active_model()
    statuses = []
    for spec in all_specs():
        resolved = service.weights(spec.name)  # what a scan would use: the manager shows the same file
        state, weights = weights_state(resolved), str(resolved.path) if resolved.path is not None else None
        store = service.store(spec.name)
        statuses.append(
            ModelStatus(
                name=spec.name,
                description=spec.description,
                licence=spec.licence,
                download_mb=spec.download_mb,
                dim=spec.dim,
                supports_text=spec.supports_text,
                state=state,
                weights=weights,
                active=spec.name == active,
                embedded_files=store.count() if store is not None else 0,
                thresholds_provisional=spec.thresholds_provisional,
                tiers=spec.tiers,
                source=resolved.source,
                weights_description=resolved.describe(),
            )
        )
    return statuses


def switch_estimate(service: ModelService, name: str) -> SwitchEstimate:
    """What switching the active model to `name` will re-embed, and about how long it takes here."""
    store = service.store(name)
    present = service.catalog.files.count_present()
    missing = len(store.missing_file_ids()) if store is not None else present
    rate = get_spec(name).cpu_images_per_second
    return SwitchEstimate(name, missing, missing / rate, present)


def import_weights(service: ModelService, name: str, source: Path) -> Path:
    """Check the file loads as this model's weights, then keep a copy in the library and use it.

    The copy is checked under a temporary name in the target folder and only then renamed over the target in
    one step: a file that does not load leaves a previously imported file of the same name as it was."""
    spec = get_spec(name)
    if not source.is_file():
        raise FileNotFoundError(f"no such file: {source}")
    target_dir = service.catalog.library_dir / "models" / name
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / source.name
    if source.resolve() != target.resolve():
        candidate = target_dir / f".import-{os.getpid()}-{source.name}"  # same ending: the format check reads it
        try:
            shutil.copyfile(source, candidate)
            # raises WeightsFormatError/MissingWeightsError for a wrong file
            build_encoder(spec.name, weights=candidate, device=service.device())
        except BaseException:
            candidate.unlink(missing_ok=True)
            raise
        os.replace(candidate, target)
    service.forget_encoders(spec.name)
    service.encoder(spec.name, target)
    return target


def download_weights(name: str, progress: DownloadProgress, cancel: CancelToken) -> Path:
    """Fetch the spec's weights into the Hugging Face cache, reporting bytes; Cancelled stops it."""
    spec = get_spec(name)
    if spec.hf_repo_id is None or not spec.hf_filenames:
        raise MissingWeightsError(name, f"{name} is not on the Hugging Face hub: {missing_weights_message(spec)}")
    if hf_offline():
        raise MissingWeightsError(name, missing_weights_message(spec))
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    reporter = _progress_class(progress, cancel)
    last_error: Exception | None = None
    for filename in spec.hf_filenames:
        try:
            path = hf_hub_download(spec.hf_repo_id, filename, cache_dir=hf_hub_cache_dir(), tqdm_class=reporter)
            return Path(str(path))
        except EntryNotFoundError as error:
            last_error = error
        except Cancelled:
            raise
        except OSError as error:  # no network, DNS, TLS: the offline message says what to do instead
            raise MissingWeightsError(name, f"download failed ({error}). {missing_weights_message(spec)}") from error
    raise MissingWeightsError(name, f"no weights file found in {spec.hf_repo_id}: {last_error}")


def _progress_class(progress: DownloadProgress, cancel: CancelToken) -> type:
    """A tqdm stand-in for huggingface_hub: forwards byte counts and stops the download when cancelled."""
    from tqdm.auto import tqdm

    class Reporter(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - tqdm closes it
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            cancel.raise_if_cancelled()
            result: bool | None = super().update(n)
            progress(int(self.n), int(self.total or 0))
            return result

    return Reporter
