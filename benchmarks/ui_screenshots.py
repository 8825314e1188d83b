"""Drive the real window through each panel and take screenshots (run under Xvfb).

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python benchmarks/ui_screenshots.py PHOTOS_DIR [--out .shots]

Scans PHOTOS_DIR into a temporary library, then shows Library, Scan, Review (both lists), a trash preview, the
keep-rules dialog and Problems, saving `import -window root` screenshots of each.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def shoot(app: object, out: Path, name: str, settle_ms: int = 600) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(settle_ms, loop.quit)
    loop.exec()
    subprocess.run(["import", "-window", "root", str(out / f"{name}.png")], check=True)
    print("saved", out / f"{name}.png")


def wait_for(signal: object, timeout_ms: int = 300_000) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def wait_until(ready: Callable[[], bool], timeout_ms: int = 60_000) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_ms / 1000
    while not ready() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


def run(photos: Path, out: Path, workdir: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from ui.ops.runner import OpRunner
    from ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    runner = OpRunner(workdir / "library")
    window = MainWindow(runner, QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    window.move(0, 0)
    window.show()
    runner.start()
    wait_for(window.opened)
    window.library_panel.scan_list.add_folder(str(photos))
    window.library_panel.protected_list.add_folder(str(photos / "debian_wallpapers"))
    window.library_panel.excluded_list.add_folder(str(photos / "threatexchange"))
    shoot(app, out, "1-library")
    window.actions_.scan.trigger()
    wait_for(window.scans.progress)
    shoot(app, out, "2-scan-running", 300)
    wait_for(window.scans.finished)
    shoot(app, out, "3-scan-done")
    window.tabs.setCurrentWidget(window.review_panel)
    tiers = window.review_panel.tiers  # Duplicates and Similar with a model, Identical and Near-identical without
    shoot(app, out, f"4-review-{tiers.tier()}", 1500)
    tiers.setCurrentIndex(1)
    shoot(app, out, f"5-review-{tiers.tier()}", 1500)
    window.review_panel.auto_select()
    window.review_panel.view.setFocus()
    shoot(app, out, "6-review-auto-selected", 800)
    window.actions_.trash.trigger()
    wait_until(lambda: window.trash_flow.preview_dialog is not None)
    shoot(app, out, "7-trash-preview")
    if window.trash_flow.preview_dialog is not None:
        window.trash_flow.preview_dialog.reject()
    window.actions_.keep_rules.trigger()
    shoot(app, out, "8-keep-rules")
    if window.keep_rules_dialog is not None:
        window.keep_rules_dialog.reject()
    window.tabs.setCurrentWidget(window.problems_panel)
    shoot(app, out, "9-problems")
    window.close()


def shoot_all(run: Callable[[Path, Path, Path], None], prepare: Callable[[Path], None] = lambda tmp: None) -> int:
    """Command line shared by the screenshot drivers: PHOTOS [--out DIR], a scratch folder for the library."""
    parser = argparse.ArgumentParser()
    parser.add_argument("photos", type=Path)
    parser.add_argument("--out", type=Path, default=Path(".shots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="twinlens-shots-") as tmp:
        prepare(Path(tmp))
        run(args.photos.resolve(), args.out.resolve(), Path(tmp))
    return 0


def main() -> int:
    return shoot_all(run)


if __name__ == "__main__":
    sys.exit(main())
