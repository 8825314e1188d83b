"""Scans at scale: does a first scan keep its pace from 10,000 to 100,000 photos, and what does the library cost?

Generates small distinct photos (256x192 random shapes) in folders of 1,000, each folder with the same mix of
byte copies, resized copies and burst frames, then measures in one run, each figure beside its reference:

- first-scan rate of the first 10,000 files and of all of them, each into a fresh library, model-free, timed
  until the exact and perceptual groups are listed (pHash pairs included, nothing deferred);
- rescan rate of the unchanged library (reference: the first scan);
- groups per tier (reference: the groups the generator planted) and a regroup at other thresholds (reference:
  the first grouping);
- library size on disk and what fills it (tables and indexes by dbstat, thumbnail bytes), per photo and beside
  the photos themselves;
- peak RSS of the scanning process, per scan phase, and of its largest decode process.

Each scan runs in its own process, so its peak RSS is its own.

    .venv/bin/python benchmarks/scale_bench.py [--files 100000] [--small 10000] [--workers 2] [--reuse DIR] [--gui]

--reuse DIR keeps the generated photos (and the libraries) in DIR between runs; --gui then calls
benchmarks/ui_stall_bench.measure_review_stalls(library_dir) on the large library, when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image, ImageDraw, ImageFilter

from core.entities import ScanProgress, ScanRequest, Tier
from core.library import Library
from core.store.catalog import DB_NAME

FOLDER_FILES = 1000
# Per folder of 1,000 files: distinct photos, then copies of the first ones (see make_folder).
EXACT_COPIES, RESIZED_COPIES, BURSTS, BURST_FRAMES = 40, 30, 10, 3
ORIGINALS = FOLDER_FILES - EXACT_COPIES - RESIZED_COPIES - BURSTS * BURST_FRAMES
SIZE = (256, 192)


# --- the generator ---------------------------------------------------------------------------------------------


def draw_photo(seed: int, shift: int = 0) -> Image.Image:
    """A distinct photo per seed; `shift` moves its last shape, drawn over the others (a burst frame of the same
    scene)."""
    rng = random.Random(seed)
    image = Image.new("RGB", SIZE, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for shape in range(8):
        x, y = rng.randrange(SIZE[0] - 40) + (shift if shape == 7 else 0), rng.randrange(SIZE[1])
        box = (x, y, x + rng.randrange(30, 130), y + rng.randrange(20, 100))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    return image.filter(ImageFilter.GaussianBlur(1.5))


def make_folder(root: Path, number: int) -> None:
    """Folder `number`: ORIGINALS photos, byte copies of the first EXACT_COPIES, resized copies of the next
    RESIZED_COPIES, and BURST_FRAMES shifted frames of each of the next BURSTS."""
    folder = root / f"f{number:03d}"
    if (folder / ".complete").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    first = number * ORIGINALS
    originals = [folder / f"IMG_{first + i:07d}.jpg" for i in range(ORIGINALS)]
    for index, path in enumerate(originals):
        draw_photo(first + index).save(path, quality=88)
    for path in originals[:EXACT_COPIES]:
        shutil.copy2(path, path.with_name(path.stem + " (copy).jpg"))
    for index, path in enumerate(originals[EXACT_COPIES : EXACT_COPIES + RESIZED_COPIES], EXACT_COPIES):
        photo = draw_photo(first + index)
        photo.resize((192, 144)).save(path.with_name(path.stem + " (small).jpg"), quality=80)
    for burst in range(BURSTS):
        index = EXACT_COPIES + RESIZED_COPIES + burst
        for frame in range(1, BURST_FRAMES + 1):
            photo = draw_photo(first + index, shift=2 * frame)
            photo.save(originals[index].with_name(f"{originals[index].stem} (burst {frame}).jpg"), quality=88)
    (folder / ".complete").touch()


def generate(root: Path, files: int, workers: int) -> list[Path]:
    folders = files // FOLDER_FILES
    started = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(make_folder, [root] * folders, range(folders)))
    print(
        f"photos: {folders * FOLDER_FILES:,} in {folders} folders under {root} ({time.perf_counter() - started:.0f} s)"
    )
    return [root / f"f{number:03d}" for number in range(folders)]


def planted_groups(folders: int) -> dict[str, int]:
    """Groups the generator made: exact pairs; near-identical: the resized pairs and the bursts (at the default
    pHash distance a burst may split or stay whole)."""
    return {"exact": EXACT_COPIES * folders, "perceptual": (RESIZED_COPIES + BURSTS) * folders}


# --- one scan, in its own process ----------------------------------------------------------------------------


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PhaseRecorder:
    """Seconds spent and peak RSS seen in each scan phase (sampled from the progress callback)."""

    def __init__(self) -> None:
        self.phases: dict[str, dict[str, float]] = {}
        self.current, self.since, self.sampled = "", time.perf_counter(), 0.0

    def __call__(self, progress: ScanProgress) -> None:
        phase, now = str(progress.phase), time.perf_counter()
        if phase != self.current:
            self._sample(now)
            self.current, self.since = phase, now
        elif now - self.sampled > 0.2:
            self._sample(now)

    def _sample(self, now: float) -> None:
        if self.current:
            entry = self.phases.setdefault(self.current, {"seconds": 0.0, "peak_rss_mib": 0.0})
            entry["seconds"] += now - self.since
            entry["peak_rss_mib"] = max(entry["peak_rss_mib"], rss_mib())
            self.since = self.sampled = now

    def finish(self) -> dict[str, dict[str, float]]:
        self._sample(time.perf_counter())
        return self.phases


def child(library_dir: str, roots: list[str], workers: int, thresholds: list[int]) -> None:
    """Scan, then list the groups; prints one JSON line."""
    library = Library(library_dir)
    result: dict[str, object] = {}
    started = time.perf_counter()
    recorder = PhaseRecorder()
    summary = library.scan(ScanRequest(roots=tuple(map(Path, roots)), workers=workers), progress=recorder)
    result |= {"scan_seconds": time.perf_counter() - started, "phases": recorder.finish()}
    result |= {"seen": summary.seen, "new": summary.new, "problems": summary.problems}
    grouped = time.perf_counter()
    result["groups"] = {"exact": len(library.groups(Tier.EXACT)), "perceptual": len(library.groups(Tier.PERCEPTUAL))}
    result["groups_seconds"] = time.perf_counter() - grouped
    result["seconds"] = time.perf_counter() - started
    result["rss_at_groups_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    regroups = {}
    for threshold in thresholds:
        regrouped = time.perf_counter()
        count = len(library.groups(Tier.PERCEPTUAL, float(threshold)))
        regroups[str(threshold)] = {"groups": count, "seconds": time.perf_counter() - regrouped}
    result["regroups"] = regroups
    library.close()
    result["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["decode_rss_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def run_child(library_dir: Path, roots: list[Path], workers: int, thresholds: tuple[int, ...] = ()) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", str(library_dir), "--workers", str(workers)]
    command += ["--thresholds", *map(str, thresholds)] if thresholds else []
    command += ["--roots", *map(str, roots)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- what the library costs on disk ----------------------------------------------------------------------------


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def database_breakdown(database: Path) -> list[tuple[str, int]]:
    """(table or index, bytes) by dbstat, largest first; thumbnail bytes (the stored JPEGs alone) as one more
    entry. Read-only: the benchmark reads the file the way `sqlite3` on the command line would."""
    with sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True) as conn:
        try:
            rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        except sqlite3.OperationalError:  # an SQLite built without dbstat
            rows = []
        jpeg = conn.execute("SELECT COALESCE(SUM(length(jpeg)), 0) FROM thumbnails").fetchone()[0]
        pairs = conn.execute("SELECT COALESCE(SUM(length(partners)), 0) FROM perceptual_hashes").fetchone()[0]
    return [*rows, ("(thumbnail JPEG bytes)", jpeg), ("(pHash partner lists)", pairs)]


# --- the report -------------------------------------------------------------------------------------------------


def report_scan(label: str, result: dict[str, Any], files: int) -> float:
    rate = files / result["seconds"]
    phases = ", ".join(f"{name} {v['seconds']:.1f} s" for name, v in result.get("phases", {}).items())
    print(
        f"{label}: {rate:,.0f} files/s ({files:,} files, {result['seconds']:.1f} s = scan {result['scan_seconds']:.1f}"
        f" s + groups {result['groups_seconds']:.2f} s; phases: {phases})"
    )
    return rate


def report_rss(label: str, result: dict[str, Any]) -> None:
    phases = ", ".join(f"{name} {v['peak_rss_mib']:.0f}" for name, v in result.get("phases", {}).items())
    print(f"  peak RSS {label}: scanning process {result['rss_at_groups_mib']:.0f} MiB until the groups are listed "
          f"(by phase: {phases}), {result['rss_mib']:.0f} MiB after the regroups; "
          f"largest decode process {result['decode_rss_mib']:.0f} MiB")  # fmt: skip


def report_size(library_dir: Path, photos_bytes: int, files: int) -> None:
    total = folder_bytes(library_dir)
    print(f"library size: {total / 2**20:,.0f} MiB = {total / files / 1024:.1f} KiB per photo "
          f"(the photos: {photos_bytes / 2**20:,.0f} MiB, {photos_bytes / files / 1024:.1f} KiB each)")  # fmt: skip
    for path in sorted(library_dir.iterdir()):
        if path.is_file():
            print(f"  {path.name}: {path.stat().st_size / 2**20:,.1f} MiB")
    *pages, thumbnail_bytes, partner_bytes = database_breakdown(library_dir / DB_NAME)
    for name, size in [*pages[:8], thumbnail_bytes, partner_bytes]:
        print(f"    {name}: {size / 2**20:,.1f} MiB ({size / max(total, 1):.0%})")


def measure(args: argparse.Namespace, work: Path) -> None:
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; workers {args.workers}")
    folders = generate(work / "photos", args.files, args.workers)
    small = folders[: args.small // FOLDER_FILES]
    libraries = {name: work / f"library-{name}" for name in ("small", "large")}
    for library_dir in libraries.values():
        shutil.rmtree(library_dir, ignore_errors=True)

    small_result = run_child(libraries["small"], small, args.workers)
    small_rate = report_scan("first scan, small", small_result, len(small) * FOLDER_FILES)
    # The folders, not the photos folder: with --reuse it may hold more than --files.
    large_result = run_child(libraries["large"], folders, args.workers, (6, 14, 16))
    large_rate = report_scan("first scan, large", large_result, len(folders) * FOLDER_FILES)
    print(f"  large / small rate: {large_rate / small_rate:.0%} (done when >= 90 %)")
    rescan = run_child(libraries["large"], folders, args.workers)
    rescan_rate = report_scan("rescan, large (unchanged)", rescan, len(folders) * FOLDER_FILES)
    print(f"  rescan / first scan: {rescan_rate / large_rate:,.0f}x")

    planted = planted_groups(len(folders))
    for tier, count in large_result["groups"].items():
        print(f"groups, large, {tier}: {count:,} (planted: {planted[tier]:,})")
    print(f"  first grouping (exact + perceptual at the default distance): {large_result['groups_seconds']:.2f} s")
    for threshold, regroup in large_result["regroups"].items():
        print(
            f"  regroup perceptual at distance {threshold}: {regroup['groups']:,} groups in {regroup['seconds']:.2f} s"
        )

    report_size(libraries["large"], sum(map(folder_bytes, folders)), len(folders) * FOLDER_FILES)
    report_rss("small", small_result)
    report_rss("large", large_result)
    if args.gui:
        measure_gui(libraries["large"])


def measure_gui(library_dir: Path) -> None:
    from benchmarks import ui_stall_bench

    measure_review_stalls = getattr(ui_stall_bench, "measure_review_stalls", None)
    if measure_review_stalls is None:
        print("GUI: benchmarks/ui_stall_bench.py has no measure_review_stalls(library_dir) yet")
        return
    print(f"GUI (Review over the large library): {measure_review_stalls(library_dir)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=100_000, help="photos in the large library (whole thousands)")
    parser.add_argument("--small", type=int, default=10_000, help="photos in the small library (its reference)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--reuse", type=Path, help="keep the photos and libraries in this folder between runs")
    parser.add_argument("--gui", action="store_true", help="also measure the Review over the large library")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--roots", nargs="*", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--thresholds", nargs="*", type=int, default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.roots, args.workers, args.thresholds)
    elif args.reuse:
        args.reuse.mkdir(parents=True, exist_ok=True)
        measure(args, args.reuse.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="twinlens-scale-") as work:
            measure(args, Path(work).resolve())


if __name__ == "__main__":
    main()
