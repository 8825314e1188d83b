"""Plain, frozen dataclasses that cross the boundary between the engine and its callers (CLI, GUI, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Tier(StrEnum):
    EXACT = "exact"
    PERCEPTUAL = "perceptual"
    COPY = "copy"
    SIMILAR = "similar"


class Phase(StrEnum):
    ENUMERATE = "enumerate"
    COMPARE = "compare"
    READ = "read"
    EMBED = "embed"
    VERIFY = "verify"
    GROUP = "group"
    DONE = "done"


@dataclass(frozen=True)
class ScanRequest:
    roots: tuple[Path, ...]
    include_hidden: bool = False
    excluded: tuple[Path, ...] = ()
    model: str | None = None
    weights: Path | None = None
    workers: int | None = None


@dataclass(frozen=True)
class ScanProgress:
    phase: Phase
    done: int
    total: int
    eta_seconds: float | None = None
    current: str = ""


@dataclass(frozen=True)
class ScanSummary:
    scan_id: int
    seen: int
    new: int
    changed: int
    unchanged: int
    removed: int
    moved: int
    problems: int
    embedded: int
    seconds: float
    cancelled: bool

    def as_dict(self) -> dict[str, float | int | bool]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    reason: str
    scan_id: int | None = None


@dataclass(frozen=True)
class FileInfo:
    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str
    width: int
    height: int
    format: str
    captured_at: str | None = None
    camera: str | None = None


@dataclass(frozen=True)
class GroupMember:
    file: FileInfo
    score: float
    keep: bool = False
    protected: bool = False


@dataclass(frozen=True)
class DuplicateGroup:
    id: str
    tier: Tier
    members: tuple[GroupMember, ...]
    min_score: float = 1.0
    max_score: float = 1.0

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tier": str(self.tier),
            "min_score": round(self.min_score, 6),
            "max_score": round(self.max_score, 6),
            "files": [{"path": m.file.path, "score": round(m.score, 6), "keep": m.keep} for m in self.members],
        }


@dataclass(frozen=True)
class DecodedFile:
    """Everything one decode of a file yields, ready to be stored."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str
    width: int
    height: int
    format: str
    captured_at: str | None
    camera: str | None
    orientation: int
    phash: int | None
    thumb_jpeg: bytes
    thumb_width: int
    thumb_height: int
