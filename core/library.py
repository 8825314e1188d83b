"""The headless face of Twinlens: what the CLI, the GUI's op runner and tests call.

Every method that writes returns what it changed (core.entities.Changes): alone when it has nothing else to say,
else as `changes` on its outcome (ScanSummary, TrashOutcome, UndoOutcome), so the flags travel with the facts they
sum up and the CLI and tests keep their outcomes. The GUI refreshes only the views those flags name."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from core.cancel import NEVER_CANCELLED, Cancelled, CancelToken
from core.embed.registry import OUT_OF_THE_BOX_MODELS, models_with_tier
from core.entities import Changes, DuplicateGroup, Phase, Problem, ScanProgress, ScanRequest, ScanSummary, Tier
from core.models.calibrate import calibrate, describe, needs_calibration
from core.models.service import ModelService
from core.places import canonical_paths
from core.rescore.crops import check_crops
from core.safety.quarantine import allow_quarantine
from core.safety.trash import (
    JournalBatch,
    TrashBackend,
    TrashOutcome,
    TrashPreview,
    TrashRequest,
    UndoOutcome,
    preview_trash,
    trash_files,
)
from core.safety.undo import journal, undo
from core.scan.perceptual import DEFAULT_DISTANCE
from core.scan.pipeline import ProgressCallback, Scanner, ScanStage
from core.store.catalog import DB_NAME, Catalog, schema_is_current
from core.store.location import resolve_library_dir
from core.store.writer_lock import LibraryBusyError, WaitCallback, WriterLock, read_only_reason, writes
from core.tiers.decisions import mark_not_duplicate, mark_not_duplicates
from core.tiers.groups import embedding_groups, exact_groups, perceptual_groups
from core.tiers.keep import DEFAULT_RULES, KeepRule, parse_rules
from core.tiers.relations import Relation

MODEL_FREE_TIERS = (Tier.EXACT, Tier.PERCEPTUAL)
REVIEW_TIERS = (Tier.COPY, Tier.SIMILAR)  # with a model: each photo's copies once, and its similar shots
# INFO only: what the CLI prints and the GUI shows anyway; the log file keeps it (core.logs), the console does not.
log = logging.getLogger("twinlens.library")
FolderPath = str | os.PathLike[str]


class Library:
    def __init__(
        self,
        library_dir: Path | str | None = None,
        write_timeout: float | None = None,
        on_wait: WaitCallback | None = None,
    ) -> None:
        """A library on a read-only disk, or whose files are not writable, opens read-only: it can be shown,
        and every write raises ReadOnlyLibraryError. Writes hold the library's writer lock (one writer at a
        time across processes): a second writer calls on_wait once, then waits up to write_timeout seconds
        (default $TWINLENS_WRITE_TIMEOUT or 60) and raises LibraryBusyError."""
        self.dir = resolve_library_dir(library_dir)
        self.read_only_reason = read_only_reason(self.dir, DB_NAME)
        if self.read_only_reason:
            self.catalog = Catalog(self.dir, readonly=True)
        else:
            self.dir.mkdir(parents=True, exist_ok=True)
        self.writer = WriterLock(self.dir, write_timeout, on_wait, self.read_only_reason)
        if not self.read_only_reason:
            self.catalog = self._open_catalog()
        self.catalog.writer = self.writer
        self.models = ModelService(self.catalog)

    def _open_catalog(self) -> Catalog:
        """Creating or migrating the database, and marking scans left 'running' by a dead process (a crash,
        kill -9) 'interrupted', are writes: done holding the writer lock, when nobody else holds it. While
        another process holds it (its scan may be alive), an up-to-date database opens at once, untouched."""
        deadline = time.monotonic() + self.writer.timeout
        while True:
            with self.writer.try_hold("open") as nobody_writes:
                if nobody_writes:
                    catalog = Catalog(self.dir)
                    catalog.scans.mark_interrupted()
                    return catalog
                if schema_is_current(self.dir / DB_NAME):
                    return Catalog(self.dir)  # nothing to migrate: no write
            if time.monotonic() >= deadline:
                raise LibraryBusyError(
                    f"another Twinlens process is creating or upgrading this library ({self.dir}); gave up waiting"
                )
            time.sleep(0.05)

    @property
    def read_only(self) -> bool:
        return bool(self.read_only_reason)

    def close(self) -> None:
        self.catalog.close()

    @writes("scan")
    def scan(
        self,
        request: ScanRequest,
        progress: ProgressCallback = lambda p: None,
        cancel: CancelToken = NEVER_CANCELLED,
        stages: Sequence[ScanStage] = (),
    ) -> ScanSummary:
        """Scan; with request.model, also embed (MissingWeightsError before anything is read if it can't)."""
        self.catalog.scans.mark_interrupted()  # holding the writer lock: no other scan is alive
        # The library's excluded folders apply to every scan, the CLI's as the GUI's.
        excluded = dict.fromkeys([*request.excluded, *map(Path, self.excluded_folders())])
        request = dataclasses.replace(request, excluded=tuple(excluded))
        all_stages = list(stages)
        if request.model:
            all_stages.append(self.models.stage(request.model, request.weights, cancel))
            all_stages.append(self.models.rescore_stage(request.model))
        log.info("scan of %s started (model: %s) in %s", _listed(request.roots), request.model or "none", self.dir)
        summary = Scanner(self.catalog, progress, cancel, all_stages).scan(request)
        if request.model:  # photos embedded: the models' counts
            summary = dataclasses.replace(summary, changes=summary.changes | Changes.MODELS)
            if request.calibrate:
                summary = self._calibrate_after_scan(request.model, summary, progress, cancel)
        self._log_scan(summary)
        return summary

    def _log_scan(self, summary: ScanSummary) -> None:
        facts = " ".join(f"{name} {value}" for name, value in summary.as_dict().items())
        log.info("scan %s: %s", "cancelled" if summary.cancelled else "done", facts)
        if summary.problems:
            codes = Counter(problem.code for problem in self.problems() if problem.scan_id == summary.scan_id)
            by_code = ", ".join(f"{code} {count}" for code, count in codes.most_common())
            log.info(
                "scan %d: %d problem(s) (%s); `twinlens problems` lists them",
                summary.scan_id,
                summary.problems,
                by_code or "recorded earlier",
            )

    def _calibrate_after_scan(
        self, model: str, summary: ScanSummary, progress: ProgressCallback, cancel: CancelToken
    ) -> ScanSummary:
        """The first model scan of a library with enough photos calibrates the model's thresholds on them (every
        model, whichever front end scans: core/models/calibrate.py); later scans keep them."""
        if summary.cancelled or not needs_calibration(self.models, model):
            return summary

        def calibrating(done: int, total: int) -> None:
            progress(ScanProgress(Phase.CALIBRATE, done, total))

        try:
            result = calibrate(self.models, model, progress=calibrating, cancel=cancel)
            self._recheck_crops(model, cancel)
        except ValueError as error:  # too few distinct photos: the shipped thresholds stay, the scan stands
            return dataclasses.replace(summary, calibration=(f"{model} not calibrated: {error}",))
        except Cancelled:  # the scan's work is kept; the next model scan calibrates
            return dataclasses.replace(summary, calibration=(f"{model} not calibrated: cancelled",))
        return dataclasses.replace(
            summary, calibration=tuple(describe(result)), changes=summary.changes | Changes.SETTINGS | Changes.GROUPS
        )

    def _recheck_crops(self, model: str, cancel: CancelToken) -> None:
        """The scan checked cropped copies just below the copy threshold it started with; a calibrated threshold
        moves that band, so the pairs in the new band are checked too (pairs checked once are not again)."""
        store, threshold = self.models.store(model), self.models.threshold(model, Tier.COPY)
        if store is not None and threshold is not None:
            check_crops(self.catalog, self.models.encoder(model), store, threshold, cancel)

    def threshold_in_effect(self, tier: Tier, threshold: float | None = None) -> float | None:
        """The threshold `groups(tier, threshold)` groups at: the one asked for, else the perceptual default or
        the active model's own (calibrated on this library, else its shipped default); None for exact, or when the
        tier has no model. What the Review's slider and label show, so they say what is done."""
        if tier == Tier.EXACT:
            return None
        if threshold is not None:
            return threshold
        if tier == Tier.PERCEPTUAL:
            return float(DEFAULT_DISTANCE)
        model = self.models.active_model()
        return self.models.threshold(model, tier) if model else None

    def groups(self, tier: Tier, threshold: float | None = None) -> list[DuplicateGroup]:
        rules, protected = self.keep_rules(), self.protected_folders()
        if tier == Tier.EXACT:
            return exact_groups(self.catalog, rules, protected)
        limit = self.threshold_in_effect(tier, threshold)
        if tier == Tier.PERCEPTUAL:
            return perceptual_groups(self.catalog, int(limit or DEFAULT_DISTANCE), rules, protected)
        model, store = self.models.active_model(), None
        if model is not None:
            store = self.models.store(model)
        if store is None or limit is None:
            raise ValueError(f"the {tier} tier needs an embedding model: {self.tier_unavailable_reason(tier)}")
        copy_limit = self.models.threshold(model, Tier.COPY) if model else None
        return embedding_groups(self.catalog, tier, store, limit, rules, protected, copy_limit)

    def available_tiers(self) -> list[Tier]:
        return [tier for tier in Tier if not self.tier_unavailable_reason(tier)]

    def review_tiers(self) -> tuple[Tier, ...]:
        """The lists the Review shows: with an active model, Duplicates (the copy tier, every copy of a photo in
        one group, identical files included) and Similar (another decision: pick the best shot); without one,
        the model-free Identical and Near-identical. Similar may still be unavailable (tier_unavailable_reason)."""
        return REVIEW_TIERS if not self.tier_unavailable_reason(Tier.COPY) else MODEL_FREE_TIERS

    def tier_unavailable_reason(self, tier: Tier) -> str:
        """Empty when the tier can be shown; otherwise what a person needs to do to get it."""
        if tier in MODEL_FREE_TIERS:
            return ""
        model = self.models.active_model()
        able = ", ".join(models_with_tier(tier))  # the registry says which models find which tiers
        if model is None or self.models.store(model) is None:
            return (
                f"no photos have been embedded yet. Scan with a model that finds them ({able}), e.g. "
                f"`twinlens scan PATH --model {OUT_OF_THE_BOX_MODELS[0]}`; `twinlens models` says where each one's "
                "weights are"
            )
        if self.models.threshold(model, tier) is None:
            return f"{model} has no {tier} threshold; scan with a model that has one ({able})"
        return ""

    def take_notices(self) -> list[str]:
        """Things the library repaired on its own that a person should hear about once (CLI: stderr; GUI: the
        status bar)."""
        return self.models.take_notices()

    def problems(self) -> list[Problem]:
        return self.catalog.problems.all()

    # --- trash: verified moves to the system trash, journaled and undoable (see core/safety/trash.py) ----------------

    def preview_trash(self, request: TrashRequest, backend: TrashBackend | None = None) -> TrashPreview:
        return preview_trash(self.catalog, request, backend)

    @writes("move to trash")
    def trash(self, request: TrashRequest, backend: TrashBackend | None = None) -> TrashOutcome:
        outcome = trash_files(self.catalog, request, backend)
        log.info(
            "trash batch %s: %d trashed, %d failed, %d lost",
            outcome.batch_id,
            len(outcome.trashed),
            len(outcome.failed),
            len(outcome.lost),
        )
        for path, reason in (*outcome.failed, *outcome.lost):
            log.info("trash batch %s: %s: %s", outcome.batch_id, path, reason)
        return outcome

    @writes("undo")
    def undo(self, batch_id: str | None = None, backend: TrashBackend | None = None) -> UndoOutcome:
        """Undo a trash batch or a "not duplicates" decision (the newest one when batch_id is None)."""
        outcome = undo(self.catalog, batch_id, backend)
        if outcome.batch_id:
            log.info(
                "undo of %s batch %s: %d restored, %d failed%s",
                outcome.action,
                outcome.batch_id,
                len(outcome.restored),
                len(outcome.failed),
                f" ({outcome.note})" if outcome.note else "",
            )
        for path, reason in outcome.failed:
            log.info("undo of batch %s: %s: %s", outcome.batch_id, path, reason)
        return outcome

    @writes("'not duplicates' decision")
    def mark_not_duplicates(self, group: DuplicateGroup) -> Changes:
        """Remember that a group's photos are not duplicates (by content, journaled, undoable; the journal lists
        the batch)."""
        mark_not_duplicates(
            self.catalog, [m.file.content_hash for m in group.members], [m.file.path for m in group.members]
        )
        log.info("marked %d photos of group %s as not duplicates", len(group.members), group.id)
        return Changes.DECISIONS | Changes.JOURNAL

    @writes("'not a duplicate' decision")
    def mark_not_duplicate(self, file_id: int, group: DuplicateGroup) -> Changes:
        """Remember that one member is not a duplicate of the rest of its group (by content, journaled, undoable
        like a group decision): its content never joins theirs again (its own identical copies leave with it),
        while they stay grouped. ValueError for a file not in the group, or one with the kept file's bytes."""
        member = next((m for m in group.members if m.file.id == file_id), None)
        if member is None:
            raise ValueError(f"file #{file_id} is not in group {group.id}")
        if member.relation == Relation.IDENTICAL:
            raise ValueError(f"{os.path.basename(member.file.path)} has the same bytes as the file its group keeps")
        others = [m.file.content_hash for m in group.members if m.file.id != file_id]
        mark_not_duplicate(self.catalog, member.file.content_hash, others, member.file.path)
        log.info("marked %s as not a duplicate of the rest of group %s", member.file.path, group.id)
        return Changes.DECISIONS | Changes.JOURNAL

    def journal(self, limit: int = 50) -> list[JournalBatch]:
        """Trash batches and "not duplicates" decisions, newest first."""
        return journal(self.catalog, limit)

    @writes("settings change")
    def allow_quarantine(self, volumes: Sequence[str]) -> Changes:
        """The person agreed: on these volumes (mount points) without a trash, use a quarantine folder."""
        allow_quarantine(self.catalog, volumes)
        return Changes.SETTINGS

    def quarantine_volumes(self) -> frozenset[str]:
        return self.catalog.settings.quarantine_volumes

    # --- preferences stored with the library ---------------------------------------------------------------

    def keep_rules(self) -> tuple[KeepRule, ...]:
        stored = self.catalog.settings.keep_rules
        return parse_rules(stored) if stored else DEFAULT_RULES

    @writes("settings change")
    def set_keep_rules(self, rules: Sequence[KeepRule]) -> Changes:
        """GROUPS even when the order is the same: applying rules redoes every group's keep suggestion."""
        self.catalog.settings.keep_rules = ",".join(rules)
        return Changes.SETTINGS | Changes.GROUPS

    # Folders: the same for the GUI and the CLI, stored canonical (core.places), each once, in the given order.

    def scan_folders(self) -> list[str]:
        """The folders the GUI scans."""
        return self.catalog.settings.scan_folders

    @writes("settings change")
    def set_scan_folders(self, folders: Sequence[FolderPath]) -> Changes:
        return self._set_folders("scan_folders", folders, Changes.SETTINGS)

    def protected_folders(self) -> list[str]:
        """Reference folders: their files are always kept and never trashed."""
        return self.catalog.settings.protected_folders

    @writes("settings change")
    def set_protected_folders(self, folders: Sequence[FolderPath]) -> Changes:
        """A protected file is always kept: a different list changes what groups keep."""
        return self._set_folders("protected_folders", folders, Changes.SETTINGS | Changes.GROUPS)

    def excluded_folders(self) -> list[str]:
        """Folders the GUI's scans skip."""
        return self.catalog.settings.excluded_folders

    @writes("settings change")
    def set_excluded_folders(self, folders: Sequence[FolderPath]) -> Changes:
        return self._set_folders("excluded_folders", folders, Changes.SETTINGS)

    def _set_folders(self, setting: str, folders: Sequence[FolderPath], changes: Changes) -> Changes:
        """Store a folder list (a typed setting of the store, by its name); `changes` only when it differs from
        the stored one (else Changes.NONE)."""
        wanted = canonical_paths(folders)
        if wanted == getattr(self.catalog.settings, setting):
            return Changes.NONE
        setattr(self.catalog.settings, setting, wanted)
        return changes

    # --- models: the choices stored with the library (the registry and weights are core.models') -------------

    def set_active_model(self, name: str) -> Changes:
        """Copy and Similar are grouped from the active model's vectors."""
        self.models.set_active_model(name)
        return Changes.MODELS | Changes.GROUPS

    def set_device(self, device: str) -> Changes:
        self.models.set_device(device)
        return Changes.MODELS | Changes.SETTINGS


def _listed(folders: Sequence[Path], shown: int = 5) -> str:
    """A scan's folders for the log: the first few, and how many more."""
    names = ", ".join(str(folder) for folder in folders[:shown])
    return names + (f" and {len(folders) - shown} more" if len(folders) > shown else "")
