"""measure_review_stalls (benchmarks/ui_stall_bench.py) over a small library built by benchmarks/review_library.py:
every step is measured, and the 10 trashed photos are back where they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import review_stalls
from benchmarks.review_library import build
from benchmarks.ui_stall_bench import measure_review_stalls


def test_every_step_is_measured_and_the_trashed_photos_come_back(  # type: ignore[no-untyped-def]
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("SCROLL_STEPS", 4), ("SCROLL_PAUSE_MS", 5), ("SETTLE_MS", 50), ("SLIDER_STOPS", (12,))):
        monkeypatch.setattr(review_stalls, name, value)
    library = build(tmp_path / "bench", files=200)
    photos = sorted(p.name for p in (tmp_path / "bench" / "photos").rglob("*.jpg"))
    figures = measure_review_stalls(library, trash_count=10, screenshot=tmp_path / "review.png")
    assert list(figures) == list(review_stalls.STEPS)
    assert all(row["max_ms"] >= row["p99_ms"] > 0 and row["ticks"] > 0 for row in figures.values())
    assert sorted(p.name for p in (tmp_path / "bench" / "photos").rglob("*.jpg")) == photos
    assert (tmp_path / "review.png").stat().st_size > 0
