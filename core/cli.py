"""`twinlens` command line: scan, groups, problems (and what later modules register)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from core.calibrate import DEFAULT_SAMPLE, DEFAULT_TARGET_PRECISION, calibrate, describe, needs_calibration
from core.embed import DEFAULT_MODEL, MissingWeightsError, UnknownModelError, WeightsFormatError, list_models
from core.entities import DuplicateGroup, ScanProgress, ScanRequest, Tier
from core.library import MODEL_FREE_TIERS, Library
from core.pathcodec import display
from core.trash import TrashPreview, request_extras
from core.writer_lock import LibraryWriteError, as_write_error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twinlens", description="Find duplicate and similar photos.")
    commands = parser.add_subparsers(dest="command", required=True)

    scan = commands.add_parser("scan", help="scan folders (only new and changed files are read)")
    scan.add_argument("paths", nargs="+", type=Path)
    _library_option(scan)
    scan.add_argument("--no-embed", action="store_true", help="model-free tiers only (exact, perceptual)")
    scan.add_argument("--model", default=None, help=f"embedding model ({', '.join(list_models())})")
    scan.add_argument("--weights", type=Path, default=None, help="local weights file for the model (imported)")
    scan.add_argument(
        "--neighbours", type=int, default=None, help="nearest photos stored per photo for copy/similar (default 16)"
    )
    scan.add_argument("--include-hidden", action="store_true", help="also scan hidden folders and files")
    scan.add_argument("--exclude", action="append", default=[], type=Path, help="folder to skip (repeatable)")
    scan.add_argument("--workers", type=int, default=None, help="decoding processes (default: one per core)")
    scan.add_argument("--quiet", action="store_true", help="no progress on stderr")

    groups = commands.add_parser("groups", help="list duplicate groups")
    _library_option(groups)
    groups.add_argument("--tier", default="all", choices=[*[str(t) for t in Tier], "all"])
    groups.add_argument("--threshold", type=float, default=None, help="tier threshold (perceptual: max distance)")
    groups.add_argument("--json", action="store_true")

    query = commands.add_parser("query", help="the photos closest to an image (which need not be in the library)")
    query.add_argument("image", type=Path)
    _library_option(query)
    query.add_argument("--model", default=None, help="model (default: the one the library was scanned with)")
    query.add_argument("-k", type=int, default=10, help="number of results")
    query.add_argument("--json", action="store_true")

    problems = commands.add_parser("problems", help="files and folders that could not be read, with reasons")
    _library_option(problems)
    problems.add_argument("--json", action="store_true")
    _add_trash_commands(commands)

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
    try:
        library = Library(args.library, on_wait=lambda message: print(f"twinlens: {message}", file=sys.stderr))
    except FileNotFoundError as error:  # a read-only folder without a library in it
        print(f"twinlens: {error}", file=sys.stderr)
        return 2
    try:
        commands = {"scan": cmd_scan, "groups": cmd_groups, "query": cmd_query, "problems": cmd_problems}
        commands["calibrate"] = cmd_calibrate
        handler = {**commands, **TRASH_COMMANDS}[args.command]
        return handler(library, args)
    except (LibraryWriteError, sqlite3.OperationalError) as error:
        # Busy (another process kept writing), read-only, or a full disk: said plainly, exit code 2.
        plain = error if isinstance(error, LibraryWriteError) else as_write_error(error)
        if plain is None:
            raise
        if sys.stderr.isatty():
            print(file=sys.stderr)  # end a progress line
        print(f"twinlens: {plain}", file=sys.stderr)
        return 2
    finally:
        library.close()


def cmd_scan(library: Library, args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"twinlens: no such folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    model = None if args.no_embed else (args.model or library.models.active_model() or DEFAULT_MODEL)
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
    if model and exit_code == 0 and not summary.cancelled and needs_calibration(library.models, model):
        print(f"{model}'s thresholds are provisional: calibrating them on this library's photos (once)")
        print("\n".join(describe(calibrate(library.models, model))))
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


def _print_progress(progress: ScanProgress) -> None:
    eta = f", about {progress.eta_seconds:.0f} s left" if progress.eta_seconds is not None else ""
    total = f"/{progress.total}" if progress.total else ""
    print(f"\r{progress.phase}: {progress.done}{total}{eta}\033[K", end="", file=sys.stderr, flush=True)


def cmd_groups(library: Library, args: argparse.Namespace) -> int:
    tiers = library.available_tiers() if args.tier == "all" else [Tier(args.tier)]
    groups: list[DuplicateGroup] = []
    for tier in tiers:
        try:
            groups.extend(library.groups(tier, args.threshold if args.tier != "all" else None))
        except ValueError as error:
            print(f"twinlens: {error}", file=sys.stderr)
            return 2
    if args.json:
        json.dump({"groups": [g.as_json() for g in groups]}, sys.stdout, indent=1)
        print()
        return 0
    for group in groups:
        print(f"{group.id}  ({len(group.members)} files, scores {group.min_score:.3f}-{group.max_score:.3f})")
        for member in group.members:
            mark = "keep " if member.keep else "extra"
            print(f"  {mark} {member.score:.3f}  {display(member.file.path)}")
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


# --- trash, undo, journal ---------------------------------------------------------------------------------------


def _add_trash_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    trash = commands.add_parser("trash", help="move the extras of duplicate groups to the system trash (undoable)")
    _library_option(trash)
    trash.add_argument("--group-tier", required=True, choices=[str(t) for t in MODEL_FREE_TIERS])
    trash.add_argument("--extras", action="store_true", required=True, help="every file the keep rules did not keep")
    trash.add_argument("--yes", action="store_true", help="really move them (otherwise only the preview is shown)")
    trash.add_argument("--dry-run", action="store_true", help="only show the preview, even with --yes")

    undo = commands.add_parser("undo", help="put a trashed batch back where it was")
    _library_option(undo)
    undo.add_argument("--batch", default=None, help="batch id (default: the last batch not yet undone)")

    journal = commands.add_parser("journal", help="what was trashed and undone, by batch")
    _library_option(journal)
    journal.add_argument("--json", action="store_true")
    journal.add_argument("--limit", type=int, default=50)


def cmd_trash(library: Library, args: argparse.Namespace) -> int:
    request = request_extras(library.groups(Tier(args.group_tier)))
    preview = library.preview_trash(request)
    _print_trash_preview(preview)
    if args.dry_run or not args.yes or not preview.will_trash:
        if preview.will_trash and not args.dry_run:
            print("preview only: add --yes to move these files to the system trash")
        return 0
    outcome = library.trash(request)
    for path, reason in outcome.failed:
        print(f"failed   {display(path)}: {reason}")
    moved, failed = len(outcome.trashed), len(outcome.failed)
    print(f"batch {outcome.batch_id}: {moved} file(s) moved to the system trash, {failed} failed")
    print(f"undo with: twinlens undo --batch {outcome.batch_id}")
    return 1 if outcome.failed else 0


def _print_trash_preview(preview: TrashPreview) -> None:
    for info in preview.will_trash:
        print(f"trash    {display(info.path)}  ({info.size} bytes)")
    for refusal in preview.refused:
        print(f"refused  {display(refusal.file.path)}: {refusal.reason}")
    megabytes = preview.bytes_freed / 1_000_000
    print(f"{len(preview.will_trash)} file(s), {megabytes:.1f} MB to the trash; {len(preview.refused)} refused")


def cmd_undo(library: Library, args: argparse.Namespace) -> int:
    try:
        outcome = library.undo(args.batch)
    except LookupError as error:
        print(f"twinlens: {error.args[0]}", file=sys.stderr)
        return 2
    if not outcome.batch_id:
        print("nothing to undo")
        return 0
    for path in outcome.restored:
        print(f"restored {display(path)}")
    for path, reason in outcome.failed:
        print(f"failed   {display(path)}: {reason}")
    print(f"batch {outcome.batch_id}: {len(outcome.restored)} restored, {len(outcome.failed)} failed")
    return 1 if outcome.failed else 0


def cmd_journal(library: Library, args: argparse.Namespace) -> int:
    batches = library.journal(args.limit)
    if args.json:
        rows = [
            {"batch": b.batch_id, "at": b.at, "action": b.action, "files": b.files, "undone": b.undone} for b in batches
        ]
        json.dump({"batches": rows}, sys.stdout, indent=1)
        print()
        return 0
    for batch in batches:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(batch.at))
        print(f"{batch.batch_id}  {when}  {batch.action} {batch.files} file(s){'  (undone)' if batch.undone else ''}")
    print(f"{len(batches)} batch(es)")
    return 0


TRASH_COMMANDS = {"trash": cmd_trash, "undo": cmd_undo, "journal": cmd_journal}
