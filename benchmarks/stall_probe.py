"""A probe of the GUI event loop: a 10 ms QTimer in the GUI thread whose ticks arrive late when the loop stalls;
and waits that keep the loop (and so the probe) running."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer

TICK_MS = 10
POLL_MS = 5


class StallProbe:
    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def restart(self) -> list[float]:
        """The gaps so far (one step's), and a fresh list for the next step."""
        gaps, self.gaps = self.gaps, []
        self._last = time.perf_counter()
        return gaps

    @property
    def last_tick(self) -> float:
        return self._last

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append((now - self._last) * 1000)
        self._last = now


def stall_figures(gaps: list[float], seconds: float) -> dict[str, float]:
    """The longest gap between ticks and the 99th percentile, in ms (10 when nothing stalls)."""
    ordered = sorted(gaps) or [0.0]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {"max_ms": round(ordered[-1], 1), "p99_ms": round(p99, 1), "ticks": len(gaps), "seconds": round(seconds, 1)}


def wait_until(done: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Run the event loop until `done()` holds (checked every 5 ms); TimeoutError after timeout_s."""
    deadline = time.monotonic() + timeout_s
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(POLL_MS)
    poll.timeout.connect(lambda: loop.quit() if done() or time.monotonic() > deadline else None)
    poll.start()
    if not done():
        loop.exec()
    poll.stop()
    if not done():
        raise TimeoutError(f"{what}: not done after {timeout_s:.0f} s")


def pause(ms: int) -> None:
    """Run the event loop for `ms` milliseconds (painting, thumbnails arriving)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class StallWatch:
    """Says where the GUI thread is while it stalls: a thread that, whenever the probe has not ticked for
    `over_ms`, samples the GUI thread's Python stack (every 20 ms) and keeps the deepest frames of each stall."""

    def __init__(self, probe: StallProbe, over_ms: float = 80.0) -> None:
        import threading

        self._probe = probe
        self._over_s = over_ms / 1000
        self._gui = threading.get_ident()
        self.samples: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        import sys
        import threading
        import traceback

        while not self._stop.wait(0.02):
            if time.perf_counter() - self._probe.last_tick < self._over_s:
                continue
            frames = sys._current_frames()
            if self._gui not in frames:
                continue
            where = "".join(traceback.format_stack(frames[self._gui], limit=5))
            for ident, frame in frames.items():  # what the other threads do meanwhile (one holds the GIL?)
                if ident not in (self._gui, threading.get_ident()):
                    where += "  [other thread]\n" + "".join(traceback.format_stack(frame, limit=3))
            self.samples[where] = self.samples.get(where, 0) + 1

    def report(self, top: int = 8) -> str:
        ranked = sorted(self.samples.items(), key=lambda item: -item[1])[:top]
        return "\n".join(f"--- {count * 20} ms sampled in stalls at:\n{where}" for where, count in ranked)
