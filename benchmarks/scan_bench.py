"""Scan throughput: first scan (model-free tiers) vs the reduced-size decode floor, rescan of an unchanged
library, and jdupes on the same files, all measured in one run on this machine.

    .venv/bin/python benchmarks/scan_bench.py [--camera 240] [--rescan 10000] [--workers 2]
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image

from benchmarks.camera_library import build_camera_library, build_small_library
from core.entities import ScanRequest
from core.library import Library
from core.scan.decode import WORK_SHORT_SIDE


def reduced_decode(path: str) -> tuple[int, int]:
    """The floor: read the file and decode it at reduced size (Pillow draft), nothing else."""
    with open(path, "rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.draft("RGB", (WORK_SHORT_SIDE, WORK_SHORT_SIDE))
        image.load()
        return image.size


def decode_floor(files: list[str], workers: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(reduced_decode, files[: workers * 2]))  # start the workers before timing
        started = time.perf_counter()
        list(pool.map(reduced_decode, files, chunksize=4))
        return len(files) / (time.perf_counter() - started)


def drop_page_cache_hint(files: list[str]) -> None:
    """Read every file once so both measurements start from the same (warm) page cache."""
    for path in files:
        with open(path, "rb") as handle:
            while handle.read(1 << 20):
                pass


def first_scan(folder: Path, workers: int) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as library_dir:
        library = Library(library_dir)
        started = time.perf_counter()
        summary = library.scan(ScanRequest(roots=(folder,), workers=workers))
        seconds = time.perf_counter() - started
        library.close()
        return summary.new / seconds, summary.new


def rescan(folder: Path, workers: int) -> tuple[float, float, int, int]:
    with tempfile.TemporaryDirectory() as library_dir:
        library = Library(library_dir)
        started = time.perf_counter()
        library.scan(ScanRequest(roots=(folder,), workers=workers))
        first_seconds = time.perf_counter() - started
        started = time.perf_counter()
        summary = library.scan(ScanRequest(roots=(folder,), workers=workers))
        seconds = time.perf_counter() - started
        library.close()
        return summary.seen / seconds, first_seconds, summary.new + summary.changed, summary.seen


def jdupes(folder: Path) -> tuple[float, int] | None:
    binary = shutil.which("jdupes")
    if binary is None:
        return None
    files = sum(1 for _ in folder.rglob("*.JPG"))
    started = time.perf_counter()
    result = subprocess.run([binary, "-r", "-q", str(folder)], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    sets = [block for block in result.stdout.strip().split("\n\n") if block.strip()]
    return files / seconds, len(sets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--camera", type=int, default=240, help="12 MP JPEGs for the first-scan measurement")
    parser.add_argument("--copies", type=int, default=24, help="byte-identical copies among them")
    parser.add_argument("--rescan", type=int, default=10_000, help="files in the rescan library")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the floor and the first scan (median)")
    args = parser.parse_args()

    print(f"machine: {os.cpu_count()} cores; workers {args.workers}")
    camera = build_camera_library(args.camera, args.copies)
    files = sorted(str(p) for p in camera.rglob("*.JPG"))
    drop_page_cache_hint(files)
    # Alternate the two measurements and keep the median of each, so a burst of other load hits both alike.
    floors, scans = [], []
    for _ in range(args.repeats):
        floors.append(decode_floor(files, args.workers))
        scans.append(first_scan(camera, args.workers))
    floor = statistics.median(floors)
    scan_rate, scanned = statistics.median(rate for rate, _ in scans), scans[0][1]
    print(f"camera library: {len(files)} JPEGs of 4000x3000 ({args.copies} byte copies), median of {args.repeats}")
    print(
        f"decode floor (read + draft decode to >= {WORK_SHORT_SIDE} px, {args.workers} processes): {floor:.1f} files/s"
    )
    print(f"first scan, model-free tiers: {scan_rate:.1f} files/s ({scanned} files) = {scan_rate / floor:.0%} of floor")
    peer = jdupes(camera)
    if peer is None:
        print("jdupes: not installed (apt-get install jdupes)")
    else:
        print(
            f"jdupes -r (exact only): {peer[0]:.1f} files/s, {peer[1]} duplicate sets; "
            f"twinlens first scan / jdupes = {scan_rate / peer[0]:.2f}"
        )

    small = build_small_library(args.rescan)
    rate, first_seconds, reread, seen = rescan(small, args.workers)
    print(f"rescan library: {seen} files (first scan {first_seconds:.1f} s)")
    print(f"rescan of the unchanged library: {rate:,.0f} files/s, {reread} files read again")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS: {peak_mib:.0f} MiB (main), {children_mib:.0f} MiB (largest worker)")


if __name__ == "__main__":
    main()
