"""Small pure pieces: path codec, pHash, star clustering, keep rules."""

from __future__ import annotations

from PIL import Image

from core.entities import FileInfo
from core.scan.phash import phash
from core.tiers.clustering import build_adjacency, star_clusters
from core.tiers.keep import KeepRule, rank, suggest_keep
from tests.images import photo


def test_phash_survives_resize_and_recompression_but_separates_photos() -> None:
    original = photo(1, (800, 600))
    resized = original.resize((200, 150), Image.Resampling.BILINEAR)
    other = photo(2, (800, 600))
    distance = lambda a, b: bin((phash(a) ^ phash(b)) & (2**64 - 1)).count("1")  # noqa: E731
    assert distance(original, resized) <= 4
    assert distance(original, other) >= 16


def test_star_clusters_do_not_chain() -> None:
    # A path 1-2-3-4-5 of close neighbours: single linkage would make one group of five, whose ends differ.
    edges = [(1, 2, 0.95), (2, 3, 0.96), (3, 4, 0.95), (4, 5, 0.97)]
    adjacency = build_adjacency(edges, 0.9)
    stars = star_clusters(adjacency, pair_score=lambda a, b: 0.5)
    groups = [{m for m, _ in s.members} for s in stars]
    assert len(groups) == 2 and set().union(*groups) == {1, 2, 3, 4, 5}
    assert all(len(g) <= 3 for g in groups)
    for star in stars:
        for member, score in star.members[1:]:
            assert adjacency[star.representative][member] == score >= 0.9


def test_star_reports_lowest_pairwise_score() -> None:
    edges = [(1, 2, 0.95), (1, 3, 0.92)]
    (star,) = star_clusters(build_adjacency(edges, 0.9), pair_score=lambda a, b: 0.8)
    assert star.representative == 1
    assert (star.min_score, star.max_score) == (0.8, 0.95)


def _info(file_id: int, path: str, width: int = 100, size: int = 1000, fmt: str = "JPEG") -> FileInfo:
    return FileInfo(file_id, path, size, 0, f"h{file_id}", width, width, fmt)


def test_keep_rules_in_order_and_protected_folders() -> None:
    big = _info(1, "/p/a.jpg", width=4000)
    small = _info(2, "/p/b.jpg", width=1000, size=5000)
    assert rank([small, big])[0] == big
    assert rank([small, big], [KeepRule.FILE_SIZE])[0] == small
    copy = _info(3, "/p/a copy.jpg")
    plain = _info(4, "/p/a.jpg")
    assert rank([copy, plain])[0] == plain
    png = _info(5, "/p/x.png", fmt="PNG")
    webp = _info(6, "/p/x.webp", fmt="WEBP")
    assert rank([webp, png], [KeepRule.FORMAT])[0] == png
    assert suggest_keep([big, small], protected=["/p"]) == {1, 2}
    assert suggest_keep([big, small]) == {1}
    assert suggest_keep([]) == set()
