"""Plain, frozen messages the GUI and its worker exchange (beside the engine's own entities)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.entities import DuplicateGroup, Tier
from core.models.manager import ModelStatus
from core.models.service import QueryResult
from core.tiers.keep import KeepRule


@dataclass(frozen=True)
class LibraryOpened:
    directory: Path
    keep_rules: tuple[KeepRule, ...]
    protected: tuple[str, ...]


@dataclass(frozen=True)
class GroupsQuery:
    """Regroup these tiers at these thresholds (None: the engine's default)."""

    thresholds: tuple[tuple[Tier, float | None], ...]
    generation: int = 0


@dataclass(frozen=True)
class GroupsResult:
    tier: Tier
    threshold: float | None
    groups: tuple[DuplicateGroup, ...]
    unavailable: str | None = None
    generation: int = 0

    @property
    def available(self) -> bool:
        return self.unavailable is None


@dataclass(frozen=True)
class WorkerFailure:
    action: str
    message: str


@dataclass(frozen=True)
class ImageQuery:
    """Find the photos closest to these image files (they need not be in the library)."""

    paths: tuple[Path, ...]
    k: int = 24
    generation: int = 0


@dataclass(frozen=True)
class TextQuery:
    """Find the photos that match a description (CLIP models only)."""

    text: str
    k: int = 24
    generation: int = 0


@dataclass(frozen=True)
class QueryAnswer:
    """Results of an ImageQuery or TextQuery, best first; `error` says in plain words why there are none."""

    label: str
    results: tuple[QueryResult, ...]
    model: str | None
    seconds: float
    generation: int = 0
    error: str | None = None


@dataclass(frozen=True)
class ModelsState:
    """What the model manager and the scan panel show: every registered model, the active one, the device."""

    statuses: tuple[ModelStatus, ...]
    active: str | None
    device: str
    devices: tuple[str, ...]
    offline: bool

    def status(self, name: str) -> ModelStatus | None:
        return next((s for s in self.statuses if s.name == name), None)

    def active_status(self) -> ModelStatus | None:
        return None if self.active is None else self.status(self.active)

    def scan_model(self) -> ModelStatus | None:
        """The active model when its weights are on this computer, else None (scan without a model)."""
        status = self.active_status()
        return status if status is not None and status.weights is not None else None


@dataclass(frozen=True)
class WeightsImported:
    name: str
    path: Path
