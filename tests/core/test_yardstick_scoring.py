"""benchmarks/tiers_bench.py scores the groups a person sees: a photo's identical and edited copies are copies
of each other, a burst pair in a duplicates group is counted, and each family's recall is its copies found with
their original."""

from __future__ import annotations

import pytest

from benchmarks.tiers_bench import Truth, score_duplicates, score_similar


def _truth() -> Truth:
    def fact(source: str, role: str, family: str = "", kind: str = "", time: str = "") -> dict[str, str]:
        return {"source": source, "role": role, "family": family, "kind": kind, "time": time}

    return {
        "a/orig": fact("a", "original", "original"),
        "a/backup": fact("a", "exact", "exact", "exact"),
        "a/crop": fact("a", "copy", "crop", "geometry"),
        "a/shot": fact("a", "copy", "screenshot", "framing"),
        "b/f0": fact("b", "burst", "burst", time="2022-05-01T10:00:00.10"),
        "b/f1": fact("b", "burst", "burst", time="2022-05-01T10:00:00.45"),
        "d/f0": fact("d", "burst", "burst", time="2022-05-01T11:00:00"),  # one second, no sub-seconds
        "d/f1": fact("d", "burst", "burst", time="2022-05-01T11:00:00"),
        "c/orig": fact("c", "distractor"),
    }


def test_duplicates_are_scored_as_the_review_shows_them() -> None:
    figures = score_duplicates([["a/orig", "a/backup", "a/crop"], ["b/f0", "b/f1"], ["d/f0", "d/f1"]], _truth())
    precision, recall, _ = figures["prf"]  # type: ignore[misc]
    assert precision == pytest.approx(3 / 5) and recall == pytest.approx(3 / 6)
    assert figures["family_recall"] == {"crop": 1.0, "screenshot": 0.0}
    assert figures["burst_pairs_in_duplicates"] == 1, "only the frames whose shutter times differ"


def test_similar_ignores_copy_pairs_and_counts_bursts() -> None:
    truth = _truth()
    precision, recall, _ = score_similar([["b/f0", "b/f1", "a/orig", "a/crop"], ["d/f0", "d/f1"]], truth, "burst")
    assert recall == 1.0
    assert precision == pytest.approx(1 / 5)  # copy and same-second pairs are ignored, four burst-to-copy are wrong
