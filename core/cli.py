"""`twinlens` command line: scan, groups, problems, protect (and what later modules register)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.embed import (
    OUT_OF_THE_BOX_MODELS,
    MissingWeightsError,
    UnknownModelError,
    WeightsFormatError,
    all_specs,
    list_models,
)
from core.entities import DuplicateGroup, ScanProgress, ScanRequest, Tier
from core.library import MODEL_FREE_TIERS, Library
from core.logs import setup_logging
from core.models.calibrate import DEFAULT_SAMPLE, DEFAULT_TARGET_PRECISION, calibrate, describe
from core.places import QUARANTINE_DIR, canonical_path, canonical_paths
from core.safety.trash import QUARANTINE, JournalBatch, TrashPreview, request_extras
from core.store.pathcodec import display
from core.store.writer_lock import LibraryWriteError, as_write_error

log = logging.getLogger("twinlens.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twinlens", description="Find duplicate and similar photos.")
    commands = parser.add_subparsers(dest="command", required=True)

    scan = commands.add_parser("scan", help="scan folders (only new and changed files are read)")
    scan.add_argument("paths", nargs="+", type=Path)
    _library_option(scan)
    scan.add_argument("--no-embed", action="store_true", help="model-free tiers only (exact, perceptual)")
    scan.add_argument(
        "--model",
        default=None,
        help=f"embedding model ({', '.join(list_models())}; default: the library's, else the first of "
        f"{', '.join(OUT_OF_THE_BOX_MODELS)} whose weights are on this computer)",
    )
    scan.add_argument(
        "--weights",
        type=Path,
        default=None,
        help="local weights file for the model, remembered as its imported weights (default: the imported file, "
        "else the Hugging Face cache or the package that ships them: see `twinlens models`)",
    )
    scan.add_argument(
        "--neighbours", type=int, default=None, help="nearest photos stored per photo for copy/similar (default 16)"
    )
    scan.add_argument("--include-hidden", action="store_true", help="also scan hidden folders and files")
    scan.add_argument("--exclude", action="append", default=[], type=Path, help="folder to skip (repeatable)")
    scan.add_argument("--workers", type=int, default=None, help="decoding processes (default: one per core)")
    scan.add_argument("--quiet", action="store_true", help="no progress on stderr")
    scan.add_argument(
        "--no-calibrate", action="store_true", help="do not calibrate the model on this scan (`twinlens calibrate`)"
    )

    groups = commands.add_parser("groups", help="list duplicate groups")
    _library_option(groups)
    groups.add_argument(
        "--tier",
        default=None,
        choices=[*[str(t) for t in Tier], "all"],
        help="one tier, or every available one (all); default: the lists the Review shows (with a model: copy, "
        "each photo's copies once with identical files, and similar; without: exact and perceptual)",
    )
    groups.add_argument("--threshold", type=float, default=None, help="tier threshold (perceptual: max distance)")
    groups.add_argument("--json", action="store_true")

    query = commands.add_parser("query", help="the photos closest to an image (which need not be in the library)")
    query.add_argument("image", type=Path)
    _library_option(query)
    query.add_argument("--model", default=None, help="model (default: the one the library was scanned with)")
    query.add_argument("-k", type=int, default=10, help="number of results")
    query.add_argument("--json", action="store_true")

    models = commands.add_parser("models", help="the models, the tiers each finds, and where their weights are")
    _library_option(models)
    models.add_argument("--json", action="store_true")

    problems = commands.add_parser("problems", help="files and folders that could not be read, with reasons")
    _library_option(problems)
    problems.add_argument("--json", action="store_true")
    _add_trash_commands(commands)

    _add_protect_command(commands)

    calibrate = commands.add_parser("calibrate", help="set copy/similar thresholds from synthetic copies of photos")
    _library_option(calibrate)
    calibrate.add_argument("--model", default=None, help="model (default: the one the library was scanned with)")
    calibrate.add_argument("--target-precision", type=float, default=DEFAULT_TARGET_PRECISION)
    calibrate.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, help="photos to make copies of")
    return parser


def _library_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--library", default=None, help="library folder (default: $TWINLENS_LIBRARY or user data)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging("cli")
    log.info("twinlens %s", " ".join(sys.argv[1:] if argv is None else argv))
    try:
        library = Library(args.library, on_wait=lambda message: print(f"twinlens: {message}", file=sys.stderr))
    except FileNotFoundError as error:  # a read-only folder without a library in it
        print(f"twinlens: {error}", file=sys.stderr)
        return 2
    try:
        commands = {"scan": cmd_scan, "groups": cmd_groups, "query": cmd_query, "problems": cmd_problems}
        commands["calibrate"] = cmd_calibrate
        commands["models"] = cmd_models
        commands["protect"] = cmd_protect
        handler = {**commands, **TRASH_COMMANDS}[args.command]
        code = handler(library, args)
        for notice in library.take_notices():
            print(f"twinlens: {notice}", file=sys.stderr)
        return code
    except (LibraryWriteError, sqlite3.OperationalError) as error:
        # Busy (another process kept writing), read-only, or a full disk: said plainly, exit code 2.
        plain = error if isinstance(error, LibraryWriteError) else as_write_error(error)
        if plain is None:
            raise  # to the excepthook, which logs it (core.logs)
        log.info("twinlens %s: %s", args.command, plain)  # stderr says it below: INFO keeps it off the console
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end a progress line
        print(f"twinlens: {plain}", file=sys.stderr)
        return 2
    finally:
        library.close()


def _default_model(library: Library, quiet: bool) -> str | None:
    """The model a scan without --model embeds with (ModelService.default_model), said when nobody chose it."""
    default = library.models.default_model()
    if default is None:
        print(
            "twinlens: no model's weights are on this computer: scanning for exact and perceptual duplicates only "
            "(`twinlens models` says how to get one)",
            file=sys.stderr,
        )
        return None
    if not default.chosen and not quiet:
        print(
            f"twinlens: embedding with {default.describe()}; `twinlens models` lists the others (--model NAME)",
            file=sys.stderr,
        )
    return default.name


def cmd_scan(library: Library, args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"twinlens: no such folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    model = None if args.no_embed else (args.model or _default_model(library, quiet=args.quiet))
    if args.neighbours is not None:
        try:
            library.models.set_neighbours(args.neighbours)
        except ValueError as error:
            print(f"twinlens: {error}", file=sys.stderr)
            return 2
    request = ScanRequest(
        roots=tuple(p.resolve() for p in args.paths),
        include_hidden=args.include_hidden,
        excluded=tuple(args.exclude),
        model=model,
        weights=args.weights.resolve() if args.weights else None,
        workers=args.workers,
        calibrate=not args.no_calibrate,
    )
    show = not args.quiet and sys.stderr.isatty()
    progress = _print_progress if show else lambda p: None
    exit_code = 0
    try:
        summary = library.scan(request, progress=progress)
    except (MissingWeightsError, WeightsFormatError, UnknownModelError) as error:
        # The model-free tiers still work: scan without the model, then say what is missing.
        print(f"twinlens: {error}", file=sys.stderr)
        print("twinlens: scanning for exact and perceptual duplicates only.", file=sys.stderr)
        summary = library.scan(dataclasses.replace(request, model=None), progress=progress)
        exit_code = 2
    if show:
        print(file=sys.stderr)
    fields = ("seen", "new", "changed", "unchanged", "removed", "moved", "problems", "embedded", "seconds")
    print("  ".join(f"{name} {getattr(summary, name)}" for name in fields))
    if summary.problems:
        print(f"{summary.problems} file(s) or folder(s) could not be read: see `twinlens problems`")
    if summary.calibration:  # the first model scan of the library calibrated the model's thresholds
        print("\n".join(summary.calibration))
    return 130 if summary.cancelled else exit_code


# What a model command reports plainly and exits 2 on: missing or wrong weights, bad arguments, unreadable files.
MODEL_ERRORS = (MissingWeightsError, WeightsFormatError, UnknownModelError, ValueError, OSError)


def _model_for(library: Library, args: argparse.Namespace) -> str | None:
    model: str | None = args.model or library.models.active_model()
    if model is None:
        print("twinlens: this library has no embeddings yet: scan it with --model first", file=sys.stderr)
    return model


def cmd_calibrate(library: Library, args: argparse.Namespace) -> int:
    model = _model_for(library, args)
    if model is None:
        return 2
    try:
        result = calibrate(library.models, model, args.target_precision, args.sample)
    except MODEL_ERRORS as error:
        print(f"twinlens: {error}", file=sys.stderr)
        return 2
    print("\n".join(describe(result)))
    return 0


def cmd_query(library: Library, args: argparse.Namespace) -> int:
    model = _model_for(library, args)
    if model is None:
        return 2
    try:
        results = library.models.query_image(args.image, model, args.k)
    except MODEL_ERRORS as error:
        print(f"twinlens: {error}", file=sys.stderr)
        return 2
    if args.json:
        rows = [{"path": r.file.path, "score": round(r.score, 6)} for r in results]
        json.dump({"results": rows}, sys.stdout, indent=1)
        print()
        return 0
    for result in results:
        print(f"{result.score:.4f}  {display(result.file.path)}")
    return 0


def cmd_models(library: Library, args: argparse.Namespace) -> int:
    """Every registered model as the registry describes it, with the weights a scan of this library would use
    (the same resolver as the scan and the app's model manager)."""
    active = library.models.active_model()
    models = [(spec, library.models.weights(spec.name)) for spec in all_specs()]
    if args.json:
        rows = [
            {
                "name": spec.name,
                "active": spec.name == active,
                "tiers": [str(tier) for tier in spec.tiers],
                "text": spec.supports_text,
                "licence": spec.licence,
                "cpu_images_per_second": spec.cpu_images_per_second,
                "weights": str(weights.source),
                "path": str(weights.path) if weights.path is not None else None,
                "where": weights.describe(),
            }
            for spec, weights in models
        ]
        json.dump({"models": rows}, sys.stdout, indent=1)
        print()
        return 0
    for spec, weights in models:
        mark = "*" if spec.name == active else " "
        finds = "+".join([*spec.tiers, *(["text"] if spec.supports_text else [])])
        speed = f"~{spec.cpu_images_per_second:g} img/s"
        print(f"{mark} {spec.name:13} {finds:18} {spec.licence:11} {speed:12} {weights.describe()}")
    print("* active model; speeds are on a 2-core CPU")
    return 0


def _print_progress(progress: ScanProgress) -> None:
    eta = f", about {progress.eta_seconds:.0f} s left" if progress.eta_seconds is not None else ""
    total = f"/{progress.total}" if progress.total else ""
    print(f"\r{progress.phase}: {progress.done}{total}{eta}\033[K", end="", file=sys.stderr, flush=True)


def _listed_tiers(library: Library, tier: str | None) -> list[Tier]:
    if tier is None:
        return [t for t in library.review_tiers() if not library.tier_unavailable_reason(t)]
    return library.available_tiers() if tier == "all" else [Tier(tier)]


def cmd_groups(library: Library, args: argparse.Namespace) -> int:
    groups: list[DuplicateGroup] = []
    one_tier = args.tier not in (None, "all")
    for tier in _listed_tiers(library, args.tier):
        try:
            groups.extend(library.groups(tier, args.threshold if one_tier else None))
        except ValueError as error:
            print(f"twinlens: {error}", file=sys.stderr)
            return 2
    if args.json:
        json.dump({"groups": [g.as_json() for g in groups]}, sys.stdout, indent=1)
        print()
        return 0
    for group in groups:
        print(f"{group.id}  ({len(group.members)} files, scores {group.min_score:.3f}-{group.max_score:.3f})")
        print(f"  why kept: {group.keep_reason}")
        for member in group.members:
            mark = "keep " if member.keep else "extra"
            print(f"  {mark} {member.score:.3f}  {member.relation:9}  {display(member.file.path)}")
    print(f"{len(groups)} group(s)")
    return 0


def cmd_problems(library: Library, args: argparse.Namespace) -> int:
    problems = library.problems()
    if args.json:
        rows = [{"path": p.path, "code": p.code, "reason": p.reason} for p in problems]
        json.dump({"problems": rows}, sys.stdout, indent=1)
        print()
        return 0
    for problem in problems:
        print(f"{problem.code:18} {display(problem.path)}: {problem.reason}")
    print(f"{len(problems)} problem(s)")
    return 0


# --- protected folders (the same stored setting as the app's Library tab) -------------------------------------


def _add_protect_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    protect = commands.add_parser(
        "protect", help="protected folders: their photos are always kept and never trashed (no PATH: list them)"
    )
    protect.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    _library_option(protect)
    protect.add_argument("--remove", action="store_true", help="stop protecting these folders")
    protect.add_argument("--list", action="store_true", help="list the protected folders (after any change)")


def cmd_protect(library: Library, args: argparse.Namespace) -> int:
    exit_code = 0
    if args.paths:
        change = _unprotect if args.remove else _protect
        exit_code = change(library, [str(p) for p in args.paths])
    if args.list or not args.paths:
        folders = library.protected_folders()
        for folder in folders:
            print(display(folder))
        print(f"{len(folders)} protected folder(s)")
    return exit_code


def _protect(library: Library, paths: list[str]) -> int:
    missing = [p for p in paths if not os.path.isdir(p)]
    if missing:
        print(f"twinlens: no such folder: {', '.join(map(display, missing))}", file=sys.stderr)
        return 2
    current = library.protected_folders()
    added = [p for p in canonical_paths(paths) if p not in current]
    library.set_protected_folders([*current, *added])
    for folder in added:
        print(f"protected    {display(folder)}")
    return 0


def _unprotect(library: Library, paths: list[str]) -> int:
    current = library.protected_folders()
    wanted = set(canonical_paths(paths)) | {os.path.abspath(p) for p in paths}
    unknown = [p for p in paths if canonical_path(p) not in current and os.path.abspath(p) not in current]
    library.set_protected_folders([f for f in current if f not in wanted])
    for folder in current:
        if folder in wanted:
            print(f"unprotected  {display(folder)}")
    for path in unknown:
        print(f"twinlens: not a protected folder: {display(path)}", file=sys.stderr)
    return 2 if unknown else 0


# --- trash, undo, journal ---------------------------------------------------------------------------------------


def _add_trash_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trash = commands.add_parser("trash", help="move the extras of duplicate groups to the system trash (undoable)")
    _library_option(trash)
    trash.add_argument("--group-tier", required=True, choices=[str(t) for t in MODEL_FREE_TIERS])
    trash.add_argument("--extras", action="store_true", required=True, help="every file the keep rules did not keep")
    trash.add_argument("--yes", action="store_true", help="really move them (otherwise only the preview is shown)")
    trash.add_argument("--dry-run", action="store_true", help="only show the preview, even with --yes")
    trash.add_argument(
        "--allow-quarantine",
        action="store_true",
        help=f"on volumes without a trash (network shares, some USB sticks), move files into a {QUARANTINE_DIR} "
        "folder on the same volume instead (undoable; remembered per volume)",
    )

    undo = commands.add_parser("undo", help="put a batch back: trashed files, or a “not duplicates” decision")
    _library_option(undo)
    undo.add_argument("batch", nargs="?", default=None, help="batch id from `twinlens journal` (default: the newest)")
    undo.add_argument("--batch", dest="batch_option", default=None, help=argparse.SUPPRESS)

    journal = commands.add_parser("journal", help="every trash and “not duplicates” batch, with its state")
    _library_option(journal)
    journal.add_argument("--json", action="store_true")
    journal.add_argument("--limit", type=int, default=50)


def cmd_trash(library: Library, args: argparse.Namespace) -> int:
    request = request_extras(library.groups(Tier(args.group_tier)))
    preview = library.preview_trash(request)
    if preview.needs_consent and not args.dry_run and args.yes and _quarantine_agreed(args, preview.needs_consent):
        library.allow_quarantine(preview.needs_consent)
        preview = library.preview_trash(request)
    _print_trash_preview(preview)
    if args.dry_run or not args.yes or not preview.will_trash:
        if preview.will_trash and not args.dry_run:
            print("preview only: add --yes to move these files to the system trash")
        return 0
    outcome = library.trash(request)
    for path, reason in outcome.failed:
        print(f"failed   {display(path)}: {reason}")
    for path, reason in outcome.lost:
        print(f"LOST     {display(path)}: {reason}")
    moved, failed = len(outcome.trashed), len(outcome.failed)
    quarantined = sum(1 for t in outcome.trashed if t.place == QUARANTINE)
    where = f" ({quarantined} of them to a quarantine folder)" if quarantined else ""
    print(f"batch {outcome.batch_id}: {moved} file(s) moved to the system trash{where}, {failed} failed")
    if outcome.lost:
        print(f"{len(outcome.lost)} file(s) left for a place the trash did not report: they cannot be undone")
    print(f"undo with: twinlens undo {outcome.batch_id}")
    return 1 if outcome.failed or outcome.lost else 0


def _quarantine_agreed(args: argparse.Namespace, volumes: Sequence[str]) -> bool:
    """--allow-quarantine, or a yes at the prompt when a person is at the terminal."""
    if args.allow_quarantine:
        return True
    if not sys.stdin.isatty():
        return False
    names = ", ".join(display(v) for v in volumes)
    question = f"{names}: no trash on this volume. Use a {QUARANTINE_DIR} folder on it instead (undoable)? [y/N] "
    return input(question).strip().lower() in ("y", "yes")


def _print_trash_preview(preview: TrashPreview) -> None:
    quarantined = set(preview.quarantined)
    for info in preview.will_trash:
        where = f"  → {QUARANTINE_DIR}" if info.id in quarantined else ""
        print(f"trash    {display(info.path)}  ({info.size} bytes){where}")
    for refusal in preview.refused:
        print(f"refused  {display(refusal.file.path)}: {refusal.reason}")
    for warning in preview.warnings:
        print(f"warning  {display(warning.file.path)} {warning.text} ({display(warning.kept.path)})")
    megabytes = preview.bytes_freed / 1_000_000
    print(f"{len(preview.will_trash)} file(s), {megabytes:.1f} MB to the trash; {len(preview.refused)} refused")
    if preview.needs_consent:
        volumes = ", ".join(display(v) for v in preview.needs_consent)
        print(f"no trash on {volumes}: add --allow-quarantine to use a {QUARANTINE_DIR} folder there instead")
    if preview.warnings:
        print(f"{len(preview.warnings)} file(s) carry metadata that the file kept in their group lacks (see above)")


def cmd_undo(library: Library, args: argparse.Namespace) -> int:
    try:
        outcome = library.undo(args.batch or args.batch_option)
    except LookupError as error:
        print(f"twinlens: {error.args[0]}", file=sys.stderr)
        return 2
    if not outcome.batch_id:
        print("nothing to undo" + (f": {outcome.note}" if outcome.note else ""))
        return 0
    for path in outcome.restored:
        print(f"restored {display(path)}")
    for path, reason in outcome.failed:
        print(f"failed   {display(path)}: {reason}")
    print(f"batch {outcome.batch_id}: {len(outcome.restored)} restored, {len(outcome.failed)} failed")
    if outcome.note:
        print(outcome.note)
    return 1 if outcome.failed else 0


def cmd_journal(library: Library, args: argparse.Namespace) -> int:
    batches = library.journal(args.limit)
    if args.json:
        json.dump({"batches": [_batch_json(b) for b in batches]}, sys.stdout, indent=1)
        print()
        return 0
    for batch in batches:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(batch.at))
        print(f"{batch.batch_id}  {when}  {batch.action:14} {batch.files:4} file(s)  {batch.state}")
    print(f"{len(batches)} batch(es); undo one with: twinlens undo BATCH")
    return 0


def _batch_json(batch: JournalBatch) -> dict[str, object]:
    fields = ("at", "action", "files", "undone", "restored", "stuck", "lost", "not_moved", "reason")
    row: dict[str, object] = {"batch": batch.batch_id, **{name: getattr(batch, name) for name in fields}}
    row.update(state=batch.state, undoable=batch.undoable, stepped_aside=batch.stepped_aside)
    return row


TRASH_COMMANDS = {"trash": cmd_trash, "undo": cmd_undo, "journal": cmd_journal}
