"""Model-free tiers on the real benchmark photos in ../shared/bench."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.entities import ScanRequest, Tier
from core.library import Library
from tests.conftest import BENCH, require_bench


@pytest.fixture(scope="module")
def bench_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    require_bench()
    library = Library(tmp_path_factory.mktemp("bench-library"))
    library.scan(ScanRequest(roots=(BENCH / "photos",), workers=2))
    yield library
    library.close()


def groundtruth_rows() -> list[dict[str, str]]:
    with open(BENCH / "groundtruth.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def byte_identical_sets() -> set[frozenset[str]]:
    by_group: dict[tuple[str, str], set[str]] = {}
    for row in groundtruth_rows():
        path = str(BENCH / row["path"])
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        by_group.setdefault((row["group"], digest), set()).add(path)
    return {frozenset(paths) for paths in by_group.values() if len(paths) > 1}


def test_exact_tier_is_exactly_the_byte_identical_groundtruth_groups(bench_library: Library) -> None:
    found = {frozenset(m.file.path for m in g.members) for g in bench_library.groups(Tier.EXACT)}
    expected = byte_identical_sets()
    assert expected, "the benchmark should contain byte-identical copies"
    assert found == expected


def test_perceptual_tier_pairs_each_wallpaper_with_its_screenshot(bench_library: Library) -> None:
    groups = [frozenset(m.file.path for m in g.members) for g in bench_library.groups(Tier.PERCEPTUAL)]
    wallpapers = sorted((BENCH / "photos" / "debian_wallpapers").glob("*_2560x1600.jpg"))
    assert len(wallpapers) >= 5
    for full in wallpapers:
        screenshot = str(full).replace("_2560x1600.jpg", "_screenshot.jpg")
        assert any(str(full) in g and screenshot in g for g in groups), full.name


def test_perceptual_groups_show_each_content_once(bench_library: Library) -> None:
    for group in bench_library.groups(Tier.PERCEPTUAL):
        hashes = [m.file.content_hash for m in group.members]
        assert len(hashes) == len(set(hashes)), group.id


def test_perceptual_groups_never_chain(bench_library: Library) -> None:
    from core.scan.perceptual import DEFAULT_DISTANCE
    from core.scan.phash import similarity

    floor = similarity(DEFAULT_DISTANCE)
    for group in bench_library.groups(Tier.PERCEPTUAL):
        assert all(member.score >= floor for member in group.members), group.id
        assert any(member.keep for member in group.members)
