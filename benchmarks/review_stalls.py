"""The steps of measure_review_stalls (benchmarks/ui_stall_bench.py): the real main window over a big library,
driven as a person would (tabs, scroll bars, the slider, marks, the trash flow's own dialogs), with a 10 ms stall
probe running in the GUI thread throughout. Each step waits for what it started to be on screen before the next."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractItemView, QApplication

from benchmarks.stall_probe import StallProbe, StallWatch, pause, stall_figures, wait_until
from core.entities import Tier
from core.tiers.review import extras
from ui.ops.runner import OpRunner
from ui.review.tiers import SPECS, TIER_SPECS
from ui.shell.collector import Collector
from ui.shell.main_window import MainWindow

STEPS = (
    "open the library",
    "show the Review",
    "scroll every list",
    "thumbnails arriving",
    "move the slider",
    "trash then undo",
)
SCROLL_STEPS = 150  # positions from top to bottom of each list
SCROLL_PAUSE_MS = 20  # between two positions: the rows paint and their thumbnails start arriving
SLIDER_PAUSE_MS = 30  # between two slider positions, as a drag goes
SLIDER_STOPS = (4, 8, 12, 16, 10)  # perceptual distances the slider is dragged to, each regrouping 100,000 files
SETTLE_MS = 500
OPEN_TIMEOUT_S = 900
OP_TIMEOUT_S = 600


class ReviewStallRun:
    def __init__(self, library_dir: Path, trash_count: int) -> None:
        self.library_dir = library_dir
        self.trash_count = trash_count
        self.figures: dict[str, dict[str, float]] = {}
        self._home = Path(tempfile.mkdtemp(prefix="bench-home-", dir=library_dir.parent))
        self._saved_env = {name: os.environ.get(name) for name in ("HOME", "XDG_DATA_HOME")}

    def __enter__(self) -> ReviewStallRun:
        os.environ["HOME"] = str(self._home)
        os.environ["XDG_DATA_HOME"] = str(self._home / ".local" / "share")
        (self._home / ".local" / "share").mkdir(parents=True)
        self.app = QApplication.instance() or QApplication([])
        self.runner = OpRunner(self.library_dir)
        settings = QSettings(str(self._home / "settings.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(self.runner, settings)
        Collector(self.runner, self.window)  # as app/gui.py starts the app
        self.review = self.window.review_panel
        self.probe = StallProbe()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.probe.timer.stop()
        self.window.close()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        trash = self._home / ".local" / "share" / "Trash" / "files"
        if trash.is_dir() and any(trash.iterdir()):
            print(f"photos left in the bench trash (undo did not restore them): {trash}")
        else:
            shutil.rmtree(self._home, ignore_errors=True)

    def measure(self, screenshot: Path | None = None, why: bool = False) -> dict[str, dict[str, float]]:
        """why: print where the GUI thread was during stalls (sampled stacks), step by step."""
        self.probe.start()
        actions: tuple[Callable[[], None], ...] = (
            self._open,
            self._show_review,
            self._scroll_lists,
            self._thumbnails_arrive,
            self._move_slider,
            self._trash_and_undo,
        )
        for step, action in zip(STEPS, actions, strict=True):
            self.probe.restart()
            watch = StallWatch(self.probe)
            if why:
                watch.start()
            started = time.perf_counter()
            action()
            self.figures[step] = stall_figures(self.probe.restart(), time.perf_counter() - started)
            if why:
                watch.stop()
                print(f"=== {step}: {self.figures[step]}\n{watch.report()}")
        if screenshot is not None:
            self._screenshot(screenshot)
        return self.figures

    # --- steps ------------------------------------------------------------------------------------------------

    def _open(self) -> None:
        self.window.show()
        self.runner.start()
        wait_until(
            lambda: all(self.review.result(t) is not None for t in self.review.tiers.shown), OPEN_TIMEOUT_S, "open"
        )
        pause(SETTLE_MS)

    def _show_review(self) -> None:
        self.window.tabs.setCurrentWidget(self.review)
        self._wait_for_thumbnails()
        pause(SETTLE_MS)

    def _scroll_lists(self) -> None:
        for tier in self._tiers_with_groups():
            self._show_tier(tier)
            self._scroll_to_bottom(self.review.view)
        self.window.tabs.setCurrentWidget(self.window.problems_panel)
        for view in self.window.problems_panel.findChildren(QAbstractItemView):
            self._scroll_to_bottom(view)
        self.window.tabs.setCurrentWidget(self.review)
        self._show_tier(Tier.EXACT)

    def _thumbnails_arrive(self) -> None:
        """At three places in the list, every thumbnail is forgotten and those in view load again."""
        bar = self.review.view.verticalScrollBar()
        for share in (0.25, 0.5, 0.75):
            bar.setValue(round(bar.maximum() * share))
            self.window.thumbnails.invalidate()
            self.review.view.viewport().update()
            self._wait_for_thumbnails()

    def _move_slider(self) -> None:
        self._show_tier(Tier.PERCEPTUAL)
        slider = self.review.threshold.slider
        for stop in SLIDER_STOPS:
            step = 1 if stop > slider.value() else -1
            for value in range(slider.value() + step, stop + step, step):
                slider.setValue(value)
                pause(SLIDER_PAUSE_MS)
            wanted = SPECS[Tier.PERCEPTUAL].threshold(stop)
            wait_until(partial(self._shown_at, Tier.PERCEPTUAL, wanted), OP_TIMEOUT_S, f"regroup at {stop}")
            pause(SETTLE_MS)

    def _trash_and_undo(self) -> None:
        self._show_tier(Tier.EXACT)
        model, flow = self.review.model, self.window.trash_flow
        ids = [m.file.id for g in model.groups for m in extras(g)][: self.trash_count]
        model.set_marked(ids, True)
        outcomes: dict[str, object] = {}
        flow.trashed.connect(lambda outcome: outcomes.setdefault("trashed", outcome))
        flow.undone.connect(lambda outcome: outcomes.setdefault("undone", outcome))
        before = self.review.result(Tier.EXACT)
        flow.start()
        wait_until(lambda: flow.preview_dialog is not None, OP_TIMEOUT_S, "trash preview")
        flow.preview_dialog.accept()  # type: ignore[union-attr]
        self._finish(lambda: "trashed" in outcomes, before, "trash")
        before = self.review.result(Tier.EXACT)
        flow.undo()
        self._finish(lambda: "undone" in outcomes, before, "undo")
        restored = len(getattr(outcomes["undone"], "restored", ()))
        if restored != len(ids):
            raise RuntimeError(f"undo restored {restored} of {len(ids)} trashed files")

    def _finish(self, done: Callable[[], bool], before: object, what: str) -> None:
        """The outcome box closed, and the Review regrouped without those files (or with them back)."""
        wait_until(done, OP_TIMEOUT_S, what)
        box = self.window.trash_flow.last_box
        if box is not None:
            box.accept()
        wait_until(lambda: self.review.result(Tier.EXACT) is not before, OP_TIMEOUT_S, f"regroup after {what}")
        pause(SETTLE_MS)

    def _screenshot(self, path: Path) -> None:
        """The Review in the middle of the exact tier's list; the whole screen under a real display."""
        self._show_tier(Tier.EXACT)
        bar = self.review.view.verticalScrollBar()
        bar.setValue(bar.maximum() // 2)
        self._wait_for_thumbnails()
        pause(SETTLE_MS)
        screen = QGuiApplication.primaryScreen()
        real = QGuiApplication.platformName() == "xcb" and screen is not None
        image = screen.grabWindow(0) if real else self.window.grab()
        image.save(str(path))

    # --- helpers ----------------------------------------------------------------------------------------------

    def _tiers_with_groups(self) -> list[Tier]:
        results = [self.review.result(tier) for tier in self.review.tiers.shown]
        return [r.tier for r in results if r is not None and r.available and r.groups]

    def _show_tier(self, tier: Tier) -> None:
        self.review.tiers.setCurrentIndex([spec.tier for spec in TIER_SPECS].index(tier))
        pause(SETTLE_MS)

    def _shown_at(self, tier: Tier, threshold: float | None) -> bool:
        result = self.review.result(tier)
        return result is not None and result.threshold == threshold and self.review.model.groups is result.groups

    def _scroll_to_bottom(self, view: QAbstractItemView) -> None:
        bar = view.verticalScrollBar()
        bar.setValue(0)
        for position in range(SCROLL_STEPS + 1):
            bar.setValue(round(bar.maximum() * position / SCROLL_STEPS))
            pause(SCROLL_PAUSE_MS)

    def _wait_for_thumbnails(self) -> None:
        """Until every thumbnail of the rows in view is in the cache (painting asks for them)."""
        view, cache = self.review.view, self.window.thumbnails

        def loaded() -> bool:
            return all(cache.cached(file_id) for file_id in self.review.model.files_on_rows(*view.rows_in_view()))

        wait_until(loaded, OP_TIMEOUT_S, "thumbnails in view")
