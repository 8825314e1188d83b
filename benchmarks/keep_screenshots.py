"""Screenshots of the keep reasons and the metadata warning (run under Xvfb with a window manager).

    DISPLAY=:96 .venv/bin/python benchmarks/keep_screenshots.py SCRATCH_DIR [--out .shots]

Writes a small photographer's folder into SCRATCH_DIR/photos (a Nikon original with its 2048 px export, captioned
copy and PNG conversion; identical copies in Camera/2015/2015-03-31 and Backup/Camera 2015; a camera original and
its geotagged export), scans it in a fresh library with no model chosen (the packaged copy model is used, and the
Scan tab says so) and shoots: the first scan, the Review's Duplicates list (relations, scores, the kept rows with
their reasons), the compare view, the trash preview with a metadata warning, and the keep rules.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.camera_library import camera_exif, scene_regions, shutter_time
from benchmarks.ui_screenshots import shoot, shoot_all, wait_for, wait_until

NIKON = ("NIKON CORPORATION", "NIKON D7500")


def _frame(index: int, size: tuple[int, int] = (3000, 2000)) -> Image.Image:
    path, box = scene_regions(min_side=300)[index]
    with Image.open(path) as image:
        return image.convert("RGB").crop(box).resize(size, Image.Resampling.BICUBIC)


def write_photos(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    nikon = root / "DCIM" / "100NIKON"
    nikon.mkdir(parents=True)
    frame, exif = _frame(0), camera_exif(shutter_time(2181), *NIKON)
    frame.save(nikon / "DSC_2181.JPG", quality=92, exif=exif)
    (root / "Export").mkdir()
    frame.resize((2048, 1365)).save(root / "Export" / "DSC_2181_2048.jpg", quality=88, exif=exif)
    captioned = frame.copy()
    ImageDraw.Draw(captioned).text((60, 1800), "Lake, June 2019", fill="white", font_size=120)
    captioned.save(nikon / "DSC_2181 captioned.jpg", quality=92, exif=exif)
    frame.save(nikon / "DSC_2181.png")
    dated, backup = root / "Camera" / "2015" / "2015-03-31", root / "Backup" / "Camera 2015"
    for folder in (dated, backup):
        folder.mkdir(parents=True)
    _frame(3).save(
        dated / "PXL_20150331_080000123.jpg", quality=90, exif=camera_exif(shutter_time(7), "Google", "Pixel 7")
    )
    shutil.copyfile(dated / "PXL_20150331_080000123.jpg", backup / "PXL_20150331_080000123.jpg")
    geo = camera_exif(shutter_time(11), *NIKON)
    geo.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    _frame(5).save(nikon / "DSC_2200.JPG", quality=92, exif=camera_exif(shutter_time(11), *NIKON))
    _frame(5).save(root / "Export" / "DSC_2200 geotagged.jpg", quality=85, exif=geo)


def run(photos: Path, out: Path, workdir: Path) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from core.entities import Tier
    from ui.ops.runner import OpRunner
    from ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    runner = OpRunner(workdir / "library")
    window = MainWindow(runner, QSettings(str(workdir / "settings.ini"), QSettings.Format.IniFormat))
    window.move(0, 0)
    window.resize(1400, 860)
    window.show()
    runner.start()
    wait_for(window.opened)
    window.library_panel.scan_list.add_folder(str(photos))
    window.actions_.scan.trigger()
    wait_for(window.scans.finished)
    window.tabs.setCurrentWidget(window.scan_panel)
    shoot(app, out, "0-first-scan-default-model", 800)
    panel = window.review_panel
    window.tabs.setCurrentWidget(panel)
    wait_until(lambda: Tier.COPY in panel.tiers.shown and panel.result(Tier.COPY) is not None)
    panel.tiers.select(Tier.COPY)
    panel.view.setColumnWidth(0, 560)
    shoot(app, out, "1-review-duplicates-relations-keep-reasons", 1500)
    panel.view.setCurrentIndex(panel.model.member_index(0, 1))
    panel.compare()
    shoot(app, out, "2-compare-keep-reason", 2500)
    if panel.compare_dialog is not None:
        panel.compare_dialog.reject()
    panel.view.scrollToBottom()
    shoot(app, out, "3-review-duplicates-camera-folder-over-backup", 1200)
    panel.view.scrollToTop()
    panel.auto_select()
    window.actions_.trash.trigger()
    wait_until(lambda: window.trash_flow.preview_dialog is not None)
    shoot(app, out, "4-trash-preview-metadata-warning", 1200)
    dialog = window.trash_flow.preview_dialog
    if dialog is not None and dialog.preview.warnings:
        dialog.keep_buttons[dialog.preview.warnings[0].file.id].click()
        wait_until(lambda: not dialog.preview.warnings)
        shoot(app, out, "5-trash-preview-after-keep-instead", 1200)
        dialog.reject()
    window.actions_.keep_rules.trigger()
    shoot(app, out, "6-keep-rules")
    if window.keep_rules_dialog is not None:
        window.keep_rules_dialog.reject()
    window.close()


def main() -> int:
    return shoot_all(lambda scratch, out, workdir: run(scratch / "photos", out, workdir))


if __name__ == "__main__":
    args = sys.argv[1:]
    if args:
        write_photos(Path(args[0]).resolve() / "photos")
    sys.exit(main())
