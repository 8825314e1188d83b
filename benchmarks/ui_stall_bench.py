"""How long does the GUI event loop stall, during a scan and over a big library's Review?

Default mode: generates 2,000 small, distinct JPEGs (plus 200 byte copies so there are groups to show), opens the
real main window over a fresh library, scans through the GUI worker, and measures the gaps between ticks of a 10 ms
QTimer in the GUI thread until the scan has finished and the groups are on screen.

`--library DIR`: measure_review_stalls over an existing library (benchmarks/review_library.py builds one of
100,000 photos in a minute): opening it, showing the Review, scrolling every list top to bottom, thumbnails
arriving, moving the slider, trashing then undoing 1,000 files; the longest gap and the 99th percentile per step.
Run it under Xvfb for a real window (QT_QPA_PLATFORM=xcb), or offscreen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stall_bench.py [--files 2000] [--workdir DIR]
    QT_QPA_PLATFORM=xcb DISPLAY=:97 .venv/bin/python benchmarks/ui_stall_bench.py --library DIR [--screenshot F]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.review_stalls import ReviewStallRun
from benchmarks.stall_probe import TICK_MS, StallProbe


def make_photos(root: Path, count: int, copies: int) -> None:
    from PIL import Image, ImageDraw, ImageFilter

    for index in range(count):
        rng = random.Random(index)
        image = Image.new("RGB", (256, 192), tuple(rng.randrange(256) for _ in range(3)))
        draw = ImageDraw.Draw(image)
        for _ in range(8):
            x, y = rng.randrange(256), rng.randrange(192)
            box = (x, y, x + rng.randrange(30, 130), y + rng.randrange(20, 100))
            (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(
                box, fill=tuple(rng.randrange(256) for _ in range(3))
            )
        path = root / f"{index // 250:02d}" / f"IMG_{index:05d}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        image.filter(ImageFilter.GaussianBlur(1.5)).save(path, quality=88)
    for index in range(copies):
        source = root / f"{index // 250:02d}" / f"IMG_{index:05d}.jpg"
        target = root / "copies" / f"IMG_{index:05d} (1).jpg"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run(files: int, workdir: Path) -> int:
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from core.entities import Tier
    from ui.ops.runner import OpRunner
    from ui.shell.main_window import MainWindow

    photos = workdir / "photos"
    if not photos.exists():
        started = time.perf_counter()
        make_photos(photos, files, files // 10)
        print(f"generated {files} photos (+{files // 10} copies) in {time.perf_counter() - started:.1f} s")
    app = QApplication.instance() or QApplication([])
    runner = OpRunner(workdir / "library")
    window = MainWindow(runner, QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    window.show()
    loop = QEventLoop()
    window.opened.connect(loop.quit)
    runner.start()
    loop.exec()
    window.library_panel.scan_list.add_folder(str(photos))
    done = QEventLoop()
    state: dict[str, object] = {}

    def on_finished(summary: object) -> None:
        state["summary"] = summary

    def on_groups(result: object) -> None:
        if "summary" in state and getattr(result, "tier", None) == Tier.PERCEPTUAL:
            QTimer.singleShot(200, done.quit)  # let the list paint

    window.scans.finished.connect(on_finished)
    window.review_panel.groups_ready.connect(on_groups)
    probe = StallProbe()
    probe.start()
    started = time.perf_counter()
    window.actions_.scan.trigger()
    done.exec()
    probe.timer.stop()
    elapsed = time.perf_counter() - started
    gaps = sorted(probe.gaps)
    summary = state["summary"]
    print(f"scan: {summary}")
    print(f"groups shown: exact {window.review_panel.result(Tier.EXACT).groups.__len__()}")  # type: ignore[union-attr]
    print(f"wall {elapsed:.1f} s, {len(gaps)} ticks of {TICK_MS} ms")
    print(f"gap median {statistics.median(gaps):.1f} ms, p99 {gaps[int(len(gaps) * 0.99)]:.1f} ms")
    print(f"ticks over 50 ms: {sum(g > 50 for g in gaps)}, over 100 ms: {sum(g > 100 for g in gaps)}")
    print(f"MAX EVENT-LOOP STALL: {gaps[-1]:.1f} ms")
    window.close()
    del app
    return 0


def measure_review_stalls(
    library_dir: Path, trash_count: int = 1000, screenshot: Path | None = None, why: bool = False
) -> dict[str, dict[str, float]]:
    """The GUI event loop's stalls over the Review of a scanned library, per step: {step: {"max_ms", "p99_ms",
    "ticks", "seconds"}}, a gap being the time between two ticks of a 10 ms timer in the GUI thread (10 ms when
    nothing stalls). The steps are STEPS, in order. The real main window is shown on the platform Qt is given
    (offscreen, or xcb under Xvfb).

    The trash step moves `trash_count` files to a private trash and back: $HOME and $XDG_DATA_HOME point at a
    folder beside the library (the same device as its photos, when they are beside it too) while it runs."""
    with ReviewStallRun(library_dir, trash_count) as run:
        return run.measure(screenshot, why)


def print_table(figures: dict[str, dict[str, float]]) -> None:
    print(f"{'step':32} {'max ms':>8} {'p99 ms':>8} {'ticks':>7} {'s':>6}")
    for step, row in figures.items():
        print(f"{step:32} {row['max_ms']:8.1f} {row['p99_ms']:8.1f} {row['ticks']:7.0f} {row['seconds']:6.1f}")
    worst = max(figures.values(), key=lambda row: row["max_ms"])
    print(f"MAX EVENT-LOOP STALL: {worst['max_ms']:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None, help="reuse generated photos here (library is fresh)")
    parser.add_argument("--library", type=Path, default=None, help="measure the Review over this library instead")
    parser.add_argument("--trash", type=int, default=1000, help="files to trash and restore (--library)")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the Review's window here (--library)")
    parser.add_argument("--why", action="store_true", help="print where the GUI thread stalled (--library)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.library is not None:
        print(f"platform {os.environ['QT_QPA_PLATFORM']}, library {args.library}")
        print_table(measure_review_stalls(args.library.resolve(), args.trash, args.screenshot, args.why))
        return 0
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="twinlens-stall-") as tmp:
            return run(args.files, Path(tmp))
    shutil.rmtree(args.workdir / "library", ignore_errors=True)
    return run(args.files, args.workdir)


if __name__ == "__main__":
    sys.exit(main())
