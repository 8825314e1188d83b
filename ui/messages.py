"""Plain, frozen messages the GUI and its worker exchange (beside the engine's own entities)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.entities import DuplicateGroup, Tier
from core.keep import KeepRule


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
