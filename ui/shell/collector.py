"""Python's cyclic garbage collector, kept off the GUI's critical path.

A full (generation 2) collection visits every object the process tracks while holding the GIL, so whichever thread
runs it, the GUI thread runs no Python meanwhile. With a 100,000-photo library in memory (the groups of two tiers
in the GUI, the library thread's regroup) one took 0.2-0.65 s here, and they were the Review's longest stalls:
a regroup allocates millions of objects, which is what triggers them. So full collections no longer follow
allocation counts: the young generations collect as before (most cycles die young), and a full collection runs
every FULL_EVERY_MS, and only while no op is running."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterable

from PySide6.QtCore import QObject, QTimer

from ui.ops.runner import OpRunner

log = logging.getLogger(__name__)
YOUNG_THRESHOLDS = (700, 10)  # Python's own for generations 0 and 1
NO_AUTOMATIC_FULL = 1_000_000_000  # generation-1 collections before a full one: never, in practice
FULL_EVERY_MS = 10 * 60 * 1000


class Collector(QObject):
    def __init__(self, runner: OpRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        gc.freeze()  # what start-up made (modules, widgets) is never visited again
        gc.set_threshold(*YOUNG_THRESHOLDS, NO_AUTOMATIC_FULL)
        self._timer = QTimer(self)
        self._timer.setInterval(FULL_EVERY_MS)
        self._timer.timeout.connect(self.collect_if_idle)
        self._timer.start()

    def collect_if_idle(self) -> bool:
        """A full collection, unless an op is running (its allocations are what a collection would visit)."""
        if not self._runner.idle:
            return False
        started = time.perf_counter()
        found = gc.collect()
        seconds = time.perf_counter() - started
        log.info("full garbage collection: %d unreachable objects, %.0f ms", found, seconds * 1000)
        return True


class SlowRelease(QObject):
    """Frees a big structure's parts a slice per turn of the event loop. Freeing the 20,000 groups of a 100,000-photo
    grouping at once is about a million objects, ~0.2 s here in one C call: a stall wherever the last reference
    goes. Handed the parts (a grouping's groups), it holds them and lets go of RELEASE_BATCH per turn."""

    RELEASE_BATCH = 500

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._held: list[object] = []
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._release_some)

    def later(self, parts: Iterable[object]) -> None:
        self._held.extend(parts)
        self._timer.start()

    @property
    def holding(self) -> int:
        return len(self._held)

    def _release_some(self) -> None:
        del self._held[-self.RELEASE_BATCH :]
        if not self._held:
            self._timer.stop()
