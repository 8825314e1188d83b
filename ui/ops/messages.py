"""Plain, frozen answers of the GUI's ops (beside the engine's own entities)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.entities import Changes, DuplicateGroup, Tier
from core.models.manager import ModelStatus
from core.models.service import QueryResult
from core.tiers.keep import KeepRule
from ui.shell.settings import FolderSettings


@dataclass(frozen=True)
class LibraryOpened:
    directory: Path
    keep_rules: tuple[KeepRule, ...]
    folders: FolderSettings  # the library's own, with any an earlier version kept in QSettings added

    @property
    def changes(self) -> Changes:
        """Every view shows this library for the first time."""
        return Changes.ALL


@dataclass(frozen=True)
class GroupsResult:
    """A tier's groups at a threshold (None: the engine's default), or why the tier cannot be shown."""

    tier: Tier
    threshold: float | None
    groups: tuple[DuplicateGroup, ...]
    unavailable: str | None = None

    @property
    def available(self) -> bool:
        return self.unavailable is None


@dataclass(frozen=True)
class QueryAnswer:
    """Results of an ImageQuery or TextQuery, best first; `error` says in plain words why there are none."""

    label: str
    results: tuple[QueryResult, ...]
    model: str | None
    seconds: float
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

    @property
    def changes(self) -> Changes:
        return Changes.MODELS
