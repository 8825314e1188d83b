"""Plain, frozen dataclasses that cross the boundary between the engine and its callers (CLI, GUI, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Flag, StrEnum, auto
from pathlib import Path


class Tier(StrEnum):
    EXACT = "exact"
    PERCEPTUAL = "perceptual"
    COPY = "copy"
    SIMILAR = "similar"


class Changes(Flag):
    """What a write to the library changed, so each view refreshes only what it shows (Anki's OpChanges).

    Every mutating Library method returns one (alone, or as `changes` on its outcome)."""

    NONE = 0
    FILES = auto()  # files found, changed, gone, trashed or restored: every group that held them
    GROUPS = auto()  # how groups are formed or what they keep: keep rules, protected folders, the active model
    DECISIONS = auto()  # "not duplicates" decisions
    PROBLEMS = auto()  # files and folders that could not be read
    MODELS = auto()  # model statuses: weights, the active model, the device, photos embedded
    SETTINGS = auto()  # library settings (folders, quarantine consent); those that change groups add GROUPS
    JOURNAL = auto()  # trash batches, decisions and undos
    ALL = FILES | GROUPS | DECISIONS | PROBLEMS | MODELS | SETTINGS | JOURNAL


class Phase(StrEnum):
    ENUMERATE = "enumerate"
    COMPARE = "compare"
    METADATA = "metadata"
    READ = "read"
    EMBED = "embed"
    VERIFY = "verify"
    CALIBRATE = "calibrate"
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
    # The first model scan of a library calibrates the model on its photos (Library.scan); False leaves that to a
    # later scan or `twinlens calibrate`.
    calibrate: bool = True


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
    # A scan rewrites the files and the problems; Library.scan adds MODELS when it embedded. Not a fact of the
    # scan's own, so left out of as_dict (the scans table) and of comparisons.
    changes: Changes = field(default=Changes.FILES | Changes.PROBLEMS, compare=False)
    # What calibrating the model's thresholds after this scan found (core/models/calibrate.py describe), when
    # Library.scan calibrated; like `changes`, not stored with the scan.
    calibration: tuple[str, ...] = field(default=(), compare=False)

    def as_dict(self) -> dict[str, float | int | bool]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("changes", "calibration")}


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
    captured_at: str | None = None  # shutter time (core/scan/metadata.py), as precise as the file carries it
    camera: str | None = None
    gps: bool = False
    rating: int | None = None
    keywords: str | None = None


@dataclass(frozen=True)
class GroupMember:
    file: FileInfo
    score: float
    keep: bool = False
    protected: bool = False
    relation: str = ""  # how it relates to its group's kept file (core/tiers/relations.py); "" for the kept file


@dataclass(frozen=True)
class DuplicateGroup:
    id: str
    tier: Tier
    members: tuple[GroupMember, ...]
    min_score: float = 1.0
    max_score: float = 1.0
    keep_reason: str = ""  # why the kept member is kept, against the others (core/tiers/keep_reasons.py)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "tier": str(self.tier),
            "min_score": round(self.min_score, 6),
            "max_score": round(self.max_score, 6),
            "keep_reason": self.keep_reason,
            "files": [
                {"path": m.file.path, "score": round(m.score, 6), "keep": m.keep, "relation": m.relation}
                for m in self.members
            ],
        }


@dataclass(frozen=True)
class TrashRequest:
    """Files to move to the trash, with the groups they were chosen from (the safety layer checks that each
    group keeps a verified copy). Built by the review (core/tiers/review.py); judged by core/safety/trash.py."""

    file_ids: tuple[int, ...]
    groups: tuple[DuplicateGroup, ...]


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
    gps: bool = False
    rating: int | None = None
    keywords: str | None = None
    meta_version: int = 0


@dataclass(frozen=True)
class PhotoMetadata:
    """What a photo says about itself (read by core/scan/metadata.py)."""

    captured_at: str | None = None  # shutter time, as precise as the file carries it
    camera: str | None = None
    gps: bool = False
    rating: int | None = None
    keywords: str | None = None  # "; "-separated, as a person would read them
