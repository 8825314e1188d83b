"""Keep rules on a photographer's library: do the groups that hold a camera original keep it?

Builds (once, cached under .bench/) a library of camera originals from distinct scenes of ../shared/bench with the
copies real folders hold (benchmarks/camera_library.py build_keep_library: identical backups, EXIF-keeping
exports, PNG conversions, upscales, captioned and chat-app copies), scans it through the Library API with a copy
model, and prints for the exact, perceptual and copy tiers:

- the share of groups holding a camera original that keep it (a byte-identical copy of it counts only where the
  original's own path is not in the group), with the reasons of the groups that keep something else;
- the share of originals with both identical and edited copies whose copies all sit in one group of the lists
  the Review shows (Library.review_tiers: with a model, Duplicates and Similar).

Both are measured over the lists the Review shows; the model-free tiers are printed too, for reference.

    .venv/bin/python benchmarks/keep_bench.py [--originals 135] [--seed 7] [--model sscd-fast] [--reuse]

Another --seed draws other copies and edits of the same scenes: a library the rules were not tuned on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.camera_library import CACHE, build_keep_library  # noqa: E402
from core.entities import DuplicateGroup, ScanRequest, Tier  # noqa: E402
from core.library import Library  # noqa: E402

MODEL_FREE = (Tier.EXACT, Tier.PERCEPTUAL)


def scan(folder: Path, model: str, reuse: bool) -> Library:
    """A fresh scan; with `reuse`, the library an earlier run scanned (keep rules apply when grouping, so a
    change to them needs no rescan)."""
    library_dir = CACHE / f"keep-library-{folder.name}-{model}"
    if reuse and library_dir.exists():
        print(f"reusing the scan in {library_dir}")
        return Library(library_dir)
    shutil.rmtree(library_dir, ignore_errors=True)
    library = Library(library_dir)
    started = time.perf_counter()
    summary = library.scan(ScanRequest(roots=(folder.resolve(),), model=model, workers=2))
    print(f"scanned {summary.seen} files with {model} in {time.perf_counter() - started:.0f} s")
    return library


def keeps_original(group: DuplicateGroup, original: str, digest: str) -> bool | None:
    """None when the group holds no copy of the original's bytes; else whether it keeps the original (its own
    path where the group shows it, else a byte-identical copy)."""
    holders = [m for m in group.members if m.file.content_hash == digest]
    if not holders:
        return None
    shown = [m for m in holders if m.file.path == original]
    return any(m.keep for m in (shown or holders))


def keep_share(groups: list[DuplicateGroup], originals: dict[str, str]) -> tuple[int, int, list[DuplicateGroup]]:
    """(groups keeping their original, groups holding one, the groups that lost it)."""
    held = kept = 0
    lost: list[DuplicateGroup] = []
    for group in groups:
        verdicts = [v for path, digest in originals.items() if (v := keeps_original(group, path, digest)) is not None]
        if not verdicts:
            continue
        held += 1
        if any(verdicts):
            kept += 1
        else:
            lost.append(group)
    return kept, held, lost


def together_share(groups: list[DuplicateGroup], manifest: list[dict[str, object]], folder: Path) -> tuple[int, int]:
    """Originals with identical and edited copies: how many have the original and every copy in one group."""
    member_sets = [{m.file.path for m in g.members} for g in groups]
    together = candidates = 0
    for entry in manifest:
        identical, edited = entry["identical"], entry["edited"]
        assert isinstance(identical, list) and isinstance(edited, list)
        if not identical or not edited:
            continue
        candidates += 1
        wanted = {str(folder / str(entry["original"]))} | {str(folder / c["path"]) for c in identical + edited}
        if any(wanted <= members for members in member_sets):
            together += 1
        else:  # where each of its files went: the group numbers (in the Review's lists) that hold it
            apart = {
                Path(p).relative_to(folder).as_posix(): [i for i, m in enumerate(member_sets) if p in m] for p in wanted
            }
            print(f"    apart: {entry['original']}: {apart}")
    return together, candidates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--originals", type=int, default=135)
    parser.add_argument("--seed", type=int, default=7, help="which copies and edits each original gets")
    parser.add_argument("--model", default="sscd-fast")
    parser.add_argument("--reuse", action="store_true", help="group the library scanned by an earlier run")
    args = parser.parse_args()
    started = time.perf_counter()
    folder = build_keep_library(args.originals, args.seed).resolve()
    manifest = json.loads((folder / "manifest.json").read_text())
    print(f"library: {folder} ({args.originals} originals, built or found in {time.perf_counter() - started:.0f} s)")
    library = scan(folder, args.model, args.reuse)
    shown = library.review_tiers()
    tiers = tuple(dict.fromkeys([*shown, *MODEL_FREE]))
    by_path = {m.file.path: m.file for tier in tiers for g in library.groups(tier) for m in g.members}
    originals = {
        str(folder / e["original"]): by_path[str(folder / e["original"])].content_hash
        for e in manifest
        if str(folder / e["original"]) in by_path
    }
    all_groups: list[DuplicateGroup] = []
    for tier in tiers:
        groups = library.groups(tier)
        if tier in shown:
            all_groups += groups
        kept, held, lost = keep_share(groups, originals)
        where = "shown in the Review" if tier in shown else "not shown (model-free tier, for reference)"
        print(
            f"{tier} ({where}): {len(groups)} groups; {kept}/{held} that hold a camera original keep it "
            f"({_pct(kept, held)})"
        )
        for reason, count in Counter(g.keep_reason for g in lost).most_common(8):
            print(f"    lost {count}x: {reason}")
    kept, held, _ = keep_share(all_groups, originals)
    names = " + ".join(str(t) for t in shown)
    print(f"the Review's lists ({names}): {kept}/{held} groups holding a camera original keep it ({_pct(kept, held)})")
    together, candidates = together_share(all_groups, manifest, folder)
    print(
        f"originals with identical and edited copies, all in one group: {together}/{candidates} "
        f"({_pct(together, candidates)})"
    )
    library.close()


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


if __name__ == "__main__":
    main()
