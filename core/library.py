"""The headless face of Twinlens: what the CLI, the GUI worker and tests call."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from core.cancel import NEVER_CANCELLED, CancelToken
from core.catalog import Catalog
from core.entities import DuplicateGroup, Problem, ScanRequest, ScanSummary, Tier
from core.grouping import exact_groups, perceptual_groups
from core.keep import DEFAULT_RULES, KeepRule, parse_rules
from core.paths import resolve_library_dir
from core.perceptual import DEFAULT_DISTANCE
from core.scanner import ProgressCallback, Scanner, ScanStage
from core.trash import (
    JournalBatch,
    TrashBackend,
    TrashOutcome,
    TrashPreview,
    TrashRequest,
    UndoOutcome,
    journal_batches,
    preview_trash,
    trash_files,
    undo_batch,
)

MODEL_FREE_TIERS = (Tier.EXACT, Tier.PERCEPTUAL)


class Library:
    def __init__(self, library_dir: Path | str | None = None) -> None:
        self.dir = resolve_library_dir(library_dir)
        self.catalog = Catalog(self.dir)

    def close(self) -> None:
        self.catalog.close()

    def scan(
        self,
        request: ScanRequest,
        progress: ProgressCallback = lambda p: None,
        cancel: CancelToken = NEVER_CANCELLED,
        stages: Sequence[ScanStage] = (),
    ) -> ScanSummary:
        return Scanner(self.catalog, progress, cancel, stages).scan(request)

    def groups(self, tier: Tier, threshold: float | None = None) -> list[DuplicateGroup]:
        rules, protected = self.keep_rules(), self.protected_folders()
        if tier == Tier.EXACT:
            return exact_groups(self.catalog, rules, protected)
        if tier == Tier.PERCEPTUAL:
            distance = DEFAULT_DISTANCE if threshold is None else int(threshold)
            return perceptual_groups(self.catalog, distance, rules, protected)
        raise ValueError(f"the {tier} tier needs an embedding model")

    def problems(self) -> list[Problem]:
        return self.catalog.problems()

    # --- trash: verified moves to the system trash, journaled and undoable (see core/trash.py) ----------------

    def preview_trash(self, request: TrashRequest) -> TrashPreview:
        return preview_trash(self.catalog, request)

    def trash(self, request: TrashRequest, backend: TrashBackend | None = None) -> TrashOutcome:
        return trash_files(self.catalog, request, backend)

    def undo(self, batch_id: str | None = None, backend: TrashBackend | None = None) -> UndoOutcome:
        return undo_batch(self.catalog, batch_id, backend)

    def journal(self, limit: int = 50) -> list[JournalBatch]:
        return journal_batches(self.catalog, limit)

    # --- preferences stored with the library ---------------------------------------------------------------

    def keep_rules(self) -> tuple[KeepRule, ...]:
        stored = self.catalog.get_setting("keep_rules")
        return parse_rules(stored) if stored else DEFAULT_RULES

    def set_keep_rules(self, rules: Sequence[KeepRule]) -> None:
        self.catalog.set_setting("keep_rules", ",".join(rules))

    def protected_folders(self) -> list[str]:
        return list(json.loads(self.catalog.get_setting("protected_folders") or "[]"))

    def set_protected_folders(self, folders: Sequence[str]) -> None:
        self.catalog.set_setting("protected_folders", json.dumps([str(Path(f).resolve()) for f in folders]))
