"""The copy decision and shutter times: two shots whose shutter times both exist and differ are never copies of
each other (core/tiers/graph.py), while a copy that kept the time, or has none, joins its photo."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PIL import ImageEnhance

from core.entities import ScanRequest, Tier
from core.library import Library
from core.models import families
from core.scan.metadata import shutter_times_differ
from core.tiers.clustering import Star
from core.tiers.graph import adopted_moments, one_moment
from tests.images import photo

SHOT = datetime(2023, 7, 14, 18, 30, 5, 250000)


def _write(path: Path, image: object, exif: object = None, quality: int = 92) -> str:
    data = families.encode(image, ("JPEG", quality), exif)  # type: ignore[arg-type]
    path.write_bytes(data)
    return str(path.resolve())


def _copy_groups(library: Library) -> list[set[str]]:
    return [{m.file.path for m in g.members} for g in library.groups(Tier.COPY)]


def test_burst_frames_with_distinct_times_never_share_a_copy_group(sscd_library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    scene = photo(3, (800, 600))
    first = _write(folder / "frame1.jpg", scene, families.shutter_exif(SHOT, subseconds=True))
    # The next frame of the burst, in the same second: only the sub-seconds differ. Nearly the same pixels, and
    # the export (whole seconds only) cannot tell the frames apart: it links to both, and leads them both.
    nearly = ImageEnhance.Brightness(scene.crop((4, 2, 800, 600)).resize((800, 600))).enhance(1.03)
    later = SHOT.replace(microsecond=600000)
    second = _write(folder / "frame2.jpg", nearly, families.shutter_exif(later, subseconds=True))
    chat = _write(folder / "chat.jpg", scene.resize((400, 300)), quality=30)  # a chat app dropped the EXIF
    export = _write(folder / "export.jpg", scene.resize((600, 450)), families.shutter_exif(SHOT, subseconds=False))
    sscd_library.scan(ScanRequest(roots=(folder,), model="sscd", workers=1))
    # Synthetic photos are plain: a q30 chat copy scores ~0.70 against its photo. A threshold as calibrated.
    sscd_library.models.set_threshold("sscd", Tier.COPY, 0.6)

    plain = sscd_library.models.store("sscd")
    assert plain is not None
    pairs = {(a, b): s for a, b, s in sscd_library.catalog.neighbours.pairs(plain.model_id, 0.0)}
    assert max(pairs.values()) > 0.9, "the frames look alike: only their shutter times tell them apart"
    groups = _copy_groups(sscd_library)
    assert not any({first, second} <= group for group in groups)
    assert any({first, chat, export} <= group for group in groups), groups
    similar = [{m.file.path for m in g.members} for g in sscd_library.groups(Tier.SIMILAR)]
    assert any({first, second} & group and len(group) > 1 for group in similar), "bursts stay Similar"


def test_a_copy_without_a_time_leads_no_group_of_two_moments() -> None:
    times = {1: "2023-07-14T18:30:05.25", 2: "2023-07-14T18:30:05.60"}  # 3 has no time: a chat copy
    star = Star(3, ((3, 1.0), (1, 0.95), (2, 0.93)), 0.9, 0.95)
    (kept,), left = one_moment([star], times)
    assert [member for member, _ in kept.members] == [3, 1] and left == {2}


def test_equal_or_missing_times_keep_a_group() -> None:
    times = {1: "2023-07-14T18:30:05", 2: "2023-07-14T18:30:05.60"}  # equal at the precision both carry
    star = Star(1, ((1, 1.0), (2, 0.95), (3, 0.93)), 0.9, 0.95)
    assert one_moment([star], times) == ([star], set())


def test_a_frame_sent_away_from_a_group_goes_with_its_own_copies() -> None:
    """An upscale without a time (4) of frame 1 leads frame 1 and frame 2's file (2) and 2's captioned copy (3):
    2 and 3 leave that group for their moment, and form their own group rather than drop out of the copy tier."""
    from core.scan.metadata import shutter_times_differ
    from core.tiers.clustering import build_adjacency, star_clusters

    times = {1: "2015-03-31T09:59:01.24", 2: "2015-03-31T09:59:02.61", 3: "2015-03-31T09:59:02.61"}
    edges = [(4, 1, 1.0), (4, 2, 0.79), (4, 3, 0.74), (2, 3, 0.915), (1, 3, 0.74)]
    edges = [(a, b, s) for a, b, s in edges if not shutter_times_differ(times.get(a), times.get(b))]
    first, left = one_moment(star_clusters(build_adjacency(edges, 0.58)), times)
    assert [[m for m, _ in star.members] for star in first] == [[4, 1]] and left == {2, 3}
    again = star_clusters(build_adjacency([(a, b, s) for a, b, s in edges if a in left and b in left], 0.58))
    assert [sorted(m for m, _ in star.members) for star in again] == [[2, 3]]


def test_an_untimed_copy_takes_the_time_of_the_shot_it_clearly_copies() -> None:
    """benchmarks/keep_bench.py: an upscale (3) scores 0.999 with its photo (2) and 0.74 with another shot of the
    scene (1), which leads first; with 2's time it can no longer join 1. A chat copy (4) about as close to both
    frames of a burst (0.77 and 0.70) stays untimed: which frame it copies is a guess, so the leaders decide."""
    times = {1: "2015-03-31T11:44:02.26", 2: "2015-03-31T12:02:01.13", 5: "2015-03-31T12:02:01.50"}
    edges = [(1, 3, 0.74), (2, 3, 0.999), (2, 4, 0.70), (4, 5, 0.77)]
    adopted = adopted_moments(edges, times)
    assert adopted == times | {3: times[2]}
    kept = [(a, b, s) for a, b, s in edges if not shutter_times_differ(adopted.get(a), adopted.get(b))]
    assert (1, 3, 0.74) not in kept and (2, 3, 0.999) in kept and len(kept) == 3
