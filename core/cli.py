"""`twinlens` command line: scan, groups, problems (and what later modules register)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from core.entities import DuplicateGroup, ScanProgress, ScanRequest, Tier
from core.library import MODEL_FREE_TIERS, Library
from core.pathcodec import display


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="twinlens", description="Find duplicate and similar photos.")
    commands = parser.add_subparsers(dest="command", required=True)

    scan = commands.add_parser("scan", help="scan folders (only new and changed files are read)")
    scan.add_argument("paths", nargs="+", type=Path)
    _library_option(scan)
    scan.add_argument("--no-embed", action="store_true", help="model-free tiers only (exact, perceptual)")
    scan.add_argument("--include-hidden", action="store_true", help="also scan hidden folders and files")
    scan.add_argument("--exclude", action="append", default=[], type=Path, help="folder to skip (repeatable)")
    scan.add_argument("--workers", type=int, default=None, help="decoding processes (default: one per core)")
    scan.add_argument("--quiet", action="store_true", help="no progress on stderr")

    groups = commands.add_parser("groups", help="list duplicate groups")
    _library_option(groups)
    groups.add_argument("--tier", default="all", choices=[*[str(t) for t in Tier], "all"])
    groups.add_argument("--threshold", type=float, default=None, help="tier threshold (perceptual: max distance)")
    groups.add_argument("--json", action="store_true")

    problems = commands.add_parser("problems", help="files and folders that could not be read, with reasons")
    _library_option(problems)
    problems.add_argument("--json", action="store_true")
    return parser


def _library_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--library", default=None, help="library folder (default: $TWINLENS_LIBRARY or user data)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    library = Library(args.library)
    try:
        handler = {"scan": cmd_scan, "groups": cmd_groups, "problems": cmd_problems}[args.command]
        return handler(library, args)
    finally:
        library.close()


def cmd_scan(library: Library, args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"twinlens: no such folder: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    request = ScanRequest(
        roots=tuple(p.resolve() for p in args.paths),
        include_hidden=args.include_hidden,
        excluded=tuple(args.exclude),
        workers=args.workers,
    )
    show = not args.quiet and sys.stderr.isatty()
    summary = library.scan(request, progress=_print_progress if show else lambda p: None)
    if show:
        print(file=sys.stderr)
    fields = ("seen", "new", "changed", "unchanged", "removed", "moved", "problems", "embedded", "seconds")
    print("  ".join(f"{name} {getattr(summary, name)}" for name in fields))
    if summary.problems:
        print(f"{summary.problems} file(s) or folder(s) could not be read: see `twinlens problems`")
    return 130 if summary.cancelled else 0


def _print_progress(progress: ScanProgress) -> None:
    eta = f", about {progress.eta_seconds:.0f} s left" if progress.eta_seconds is not None else ""
    total = f"/{progress.total}" if progress.total else ""
    print(f"\r{progress.phase}: {progress.done}{total}{eta}\033[K", end="", file=sys.stderr, flush=True)


def cmd_groups(library: Library, args: argparse.Namespace) -> int:
    tiers = list(MODEL_FREE_TIERS) if args.tier == "all" else [Tier(args.tier)]
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
