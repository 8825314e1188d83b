"""Every request the GUI makes of the library, as an op (ui/ops/runner.py): a few lines calling Library, run in the
library's thread. Adding a request to the app is one function here and its caller:

    runner.run(library_ops.trash(request), on_done=self._on_trashed)

What an op changed comes from Library itself (its Changes, alone or on the outcome); ops that only read return
plain answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from core.cancel import CancelToken
from core.embed.errors import EmbedError
from core.embed.weights import hf_offline
from core.entities import Changes, DuplicateGroup, Problem, ScanRequest, ScanSummary, Tier
from core.library import Library
from core.models.manager import SwitchEstimate, import_weights, model_statuses, switch_estimate
from core.models.service import QueryResult
from core.safety.trash import JournalBatch, TrashOutcome, TrashPreview, TrashRequest, UndoOutcome
from core.tiers.keep import KeepRule
from ui.ops.messages import GroupsResult, LibraryOpened, ModelsState, QueryAnswer, WeightsImported
from ui.ops.runner import Op, Progress
from ui.shell.settings import FolderSettings

DEVICES = ("auto", "cpu", "cuda", "mps")
NO_MODEL = (
    "Searching needs an image model that has embedded this library. Open Models…, choose a model whose "
    "weights are on this computer (e.g. import the SSCD ONNX file), then scan again."
)

# --- the library and its settings -----------------------------------------------------------------------------


def open_library(legacy: FolderSettings = FolderSettings()) -> Op[LibraryOpened]:  # noqa: B008 - frozen
    """The first op: opens the library (in its thread); folders an earlier version kept in QSettings (`legacy`)
    are added to the library's own."""

    def fn(library: Library, cancel: CancelToken, progress: Progress) -> LibraryOpened:
        if legacy != FolderSettings():
            _store_folders(library, folders_of(library).merged(legacy))
        return LibraryOpened(library.dir, tuple(library.keep_rules()), folders_of(library))

    return Op("open the library", fn)


def folders_of(library: Library) -> FolderSettings:
    return FolderSettings(
        tuple(library.scan_folders()), tuple(library.protected_folders()), tuple(library.excluded_folders())
    )


def _store_folders(library: Library, folders: FolderSettings) -> Changes:
    return (
        library.set_scan_folders(folders.folders)
        | library.set_protected_folders(folders.protected)
        | library.set_excluded_folders(folders.excluded)
    )


def set_folders(folders: FolderSettings) -> Op[Changes]:
    """Folders to scan, protected and excluded, stored in the library (the command line sees the same)."""
    return Op("save the folders", lambda library, cancel, progress: _store_folders(library, folders))


def set_keep_rules(rules: Sequence[KeepRule]) -> Op[Changes]:
    return Op("save keep rules", lambda library, cancel, progress: library.set_keep_rules(tuple(rules)))


# --- scanning and reviewing -----------------------------------------------------------------------------------


def scan(request: ScanRequest) -> Op[ScanSummary]:
    return Op("scan", lambda library, cancel, progress: library.scan(request, progress, cancel))


def load_groups(tier: Tier, threshold: float | None) -> Op[GroupsResult]:
    def fn(library: Library, cancel: CancelToken, progress: Progress) -> GroupsResult:
        shown = library.review_tiers()
        try:
            groups = tuple(library.groups(tier, threshold))
            in_effect = library.threshold_in_effect(tier, threshold)
            return GroupsResult(tier, threshold, groups, in_effect=in_effect, review_tiers=shown)
        except ValueError as exc:  # the tier needs a model: said on its tab, not a failure
            return GroupsResult(tier, threshold, (), str(exc), review_tiers=shown)

    return Op("group duplicates", fn)


def problems() -> Op[tuple[Problem, ...]]:
    return Op("list problems", lambda library, cancel, progress: tuple(library.problems()))


def mark_not_duplicates(group: DuplicateGroup) -> Op[Changes]:
    return Op("mark as not duplicates", lambda library, cancel, progress: library.mark_not_duplicates(group))


def mark_not_duplicate(file_id: int, group: DuplicateGroup) -> Op[Changes]:
    """One member is not a duplicate of the rest of its group."""
    return Op("mark as not a duplicate", lambda library, cancel, progress: library.mark_not_duplicate(file_id, group))


# --- the trash and the journal --------------------------------------------------------------------------------


def preview_trash(request: TrashRequest) -> Op[TrashPreview]:
    return Op("preview the trash", lambda library, cancel, progress: library.preview_trash(request))


def trash(request: TrashRequest) -> Op[TrashOutcome]:
    return Op("move files to the trash", lambda library, cancel, progress: library.trash(request))


def undo(batch_id: str | None = None) -> Op[UndoOutcome]:
    """Undo one journal batch; None: the one plain undo takes (the newest that has not failed)."""
    return Op("undo", lambda library, cancel, progress: library.undo(batch_id))


def journal(limit: int = 200) -> Op[tuple[JournalBatch, ...]]:
    """Trash batches and "not duplicates" decisions, newest first."""
    return Op("read the journal", lambda library, cancel, progress: tuple(library.journal(limit)))


def allow_quarantine(volumes: Sequence[str]) -> Op[Changes]:
    """The person agreed to a quarantine folder on these volumes (they have no trash)."""
    return Op("allow the quarantine folder", lambda library, cancel, progress: library.allow_quarantine(volumes))


# --- search ---------------------------------------------------------------------------------------------------


def query_images(paths: Sequence[Path], k: int = 24) -> Op[QueryAnswer]:
    """The photos closest to these image files (they need not be in the library), best first."""
    label = ", ".join(p.name for p in paths)

    def fn(library: Library, cancel: CancelToken, progress: Progress) -> QueryAnswer:
        return _answer(library, label, lambda model: _by_images(library, paths, model, k))

    return Op("search", fn)


def query_text(text: str, k: int = 24) -> Op[QueryAnswer]:
    """The photos that match a description (CLIP models only)."""

    def fn(library: Library, cancel: CancelToken, progress: Progress) -> QueryAnswer:
        return _answer(library, f"“{text}”", lambda model: library.models.query_text(text, model, k))

    return Op("search", fn)


def _answer(library: Library, label: str, run: Callable[[str], list[QueryResult]]) -> QueryAnswer:
    start = time.perf_counter()
    model = library.models.active_model()
    results: list[QueryResult] = []
    error = None
    try:
        if model is None or library.models.store(model) is None:
            raise ValueError(NO_MODEL)
        results = run(model)
    except (ValueError, EmbedError, OSError) as exc:  # a plain answer, not a failure of the app
        error = str(exc)
    return QueryAnswer(label, tuple(results), model, time.perf_counter() - start, error)


def _by_images(library: Library, paths: Sequence[Path], model: str, k: int) -> list[QueryResult]:
    """Several images: each file's best score over the queries, the query files themselves left out."""
    best: dict[int, QueryResult] = {}
    own = {str(p.resolve()) for p in paths}
    for path in paths:
        for result in library.models.query_image(path, model, k + len(paths)):
            if result.file.path in own:
                continue
            if result.file.id not in best or result.score > best[result.file.id].score:
                best[result.file.id] = result
    return sorted(best.values(), key=lambda r: -r.score)[:k]


# --- models ---------------------------------------------------------------------------------------------------


def models_state() -> Op[ModelsState]:
    def fn(library: Library, cancel: CancelToken, progress: Progress) -> ModelsState:
        models = library.models
        statuses = tuple(model_statuses(models))
        active, default = models.active_model(), models.default_model()
        return ModelsState(statuses, active, models.device(), DEVICES, hf_offline(), default)

    return Op("list the models", fn)


def import_weights_file(name: str, source: Path) -> Op[WeightsImported]:
    """Copy a weights file into the library and check that it loads."""
    return Op(
        f"import weights for {name}",
        lambda library, cancel, progress: WeightsImported(name, import_weights(library.models, name, source)),
    )


def estimate_switch(name: str) -> Op[SwitchEstimate]:
    return Op("estimate the switch", lambda library, cancel, progress: switch_estimate(library.models, name))


def set_active_model(name: str) -> Op[Changes]:
    return Op("choose the model", lambda library, cancel, progress: library.set_active_model(name))


def set_device(device: str) -> Op[Changes]:
    return Op("choose the device", lambda library, cancel, progress: library.set_device(device))
