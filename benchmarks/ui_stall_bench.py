"""How long does the GUI event loop stall while the worker scans 2,000 photos?

Generates 2,000 small, distinct JPEGs (plus 200 byte copies so there are groups to show), opens the real main
window over a fresh library, scans through the GUI worker, and measures the gaps between ticks of a 10 ms
QTimer in the GUI thread until the scan has finished and the groups are on screen.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_stall_bench.py [--files 2000] [--workdir DIR]
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

TICK_MS = 10


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


class StallProbe:
    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None, help="reuse generated photos here (library is fresh)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.workdir is None:
        with tempfile.TemporaryDirectory(prefix="twinlens-stall-") as tmp:
            return run(args.files, Path(tmp))
    shutil.rmtree(args.workdir / "library", ignore_errors=True)
    return run(args.files, args.workdir)


if __name__ == "__main__":
    sys.exit(main())
