"""Plain, frozen answers of the GUI's ops (beside the engine's own entities)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.entities import Changes, DuplicateGroup, Tier
from core.models.manager import ModelStatus
from core.models.service import DefaultModel, QueryResult
from core.tiers.keep import KeepRule
from core.tiers.review import ShownGroups
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
    """A tier's groups at a threshold (None: the engine's default), or why the tier cannot be shown. `shown` lays
    them out for the Review; it is built with the result, in the library's thread (the op makes it), so the GUI
    thread never visits every file of a 100,000-photo grouping."""

    tier: Tier
    threshold: float | None
    groups: tuple[DuplicateGroup, ...]
    unavailable: str | None = None
    in_effect: float | None = None  # the threshold the groups were made at (Library.threshold_in_effect)
    review_tiers: tuple[Tier, ...] = ()  # the lists the Review shows now (Library.review_tiers)
    shown: ShownGroups = field(default_factory=ShownGroups, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.shown.groups != self.groups:
            object.__setattr__(self, "shown", ShownGroups.of(self.groups))

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
    """What the model manager and the scan panel show: every registered model, the active one, the device, and
    the model a scan uses (ModelService.default_model: the active one, else the out-of-the-box copy model)."""

    statuses: tuple[ModelStatus, ...]
    active: str | None
    device: str
    devices: tuple[str, ...]
    offline: bool
    default: DefaultModel | None = None

    def status(self, name: str) -> ModelStatus | None:
        return next((s for s in self.statuses if s.name == name), None)

    def active_status(self) -> ModelStatus | None:
        return None if self.active is None else self.status(self.active)

    def scan_model(self) -> ModelStatus | None:
        """The model the next scan embeds with (the default model, else the active one) when its weights are on
        this computer, else None (scan without a model)."""
        name = self.default.name if self.default is not None else self.active
        status = None if name is None else self.status(name)
        return status if status is not None and status.weights is not None else None

    def scan_reason(self) -> str:
        """Why the scan model is the one used: "this library's model", "packaged copy detector, …"."""
        scan = self.scan_model()
        if scan is not None and self.default is not None and self.default.name == scan.name:
            return self.default.reason
        return "this library's model"


@dataclass(frozen=True)
class WeightsImported:
    name: str
    path: Path

    @property
    def changes(self) -> Changes:
        return Changes.MODELS
