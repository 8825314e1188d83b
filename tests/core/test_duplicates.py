"""The Duplicates list (the copy tier): one group per photo with every copy, each member's relation to the kept
file, no chaining, per-member "not a duplicate", and `twinlens groups --json` (a stored graph, no model)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from core.cli import main
from core.entities import DuplicateGroup, FileInfo, Tier
from core.library import Library
from core.tiers.graph import ALIGNED_SUFFIX, ORIENTED_SUFFIX
from core.tiers.relations import Relation, Via, relation
from core.vectors.store import encode_vector

MODEL_ID = "test-model"


@dataclass(frozen=True)
class Photo:
    name: str
    content: str  # files with the same content have the same bytes
    size: tuple[int, int] = (4000, 3000)
    format: str = "JPEG"
    file_size: int = 1_000_000


# P is the original, with two identical copies; F is a copy of the resized copy only (it chains through it).
PHOTOS = (
    Photo("P.jpg", "p", file_size=5_000_000),
    Photo("P copy.jpg", "p", file_size=5_000_000),
    Photo("P (2).jpg", "p", file_size=5_000_000),
    Photo("resized.jpg", "r", (400, 300)),
    Photo("rotated.jpg", "t"),  # half a turn: the same shape, found by the #oriented re-scoring
    Photo("cropped.jpg", "c"),  # cropped and scaled back: found by the #aligned re-scoring
    Photo("converted.png", "v", format="PNG"),
    Photo("edited.jpg", "e"),
    Photo("far.jpg", "f", (400, 300)),
    Photo("Q copy.jpg", "q", (1000, 800)),  # the lower id of the two, not the one kept
    Photo("Q.jpg", "q", (1000, 800)),
)
PAIRS = {  # (a, b): (score, how it was scored), by 1-based file id
    (1, 4): (0.95, Via.PLAIN),
    (1, 5): (0.93, Via.ORIENTED),
    (1, 6): (0.90, Via.ALIGNED),
    (1, 7): (0.99, Via.PLAIN),
    (1, 8): (0.91, Via.PLAIN),
    (4, 9): (0.90, Via.PLAIN),
    (1, 9): (0.70, Via.PLAIN),
}


def _fill(library: Library, photos: tuple[Photo, ...] = PHOTOS, pairs: dict = PAIRS) -> None:  # type: ignore[type-arg]
    db = library.catalog.db.conn
    scan = library.catalog.scans.start(["/x"])
    rng = np.random.default_rng(0)
    for i, photo in enumerate(photos, start=1):
        db.execute(
            "INSERT INTO files (id, path, size, mtime_ns, content_hash, width, height, format, last_scan, first_scan, "
            "status) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, 'present')",
            (i, f"/x/{photo.name}", photo.file_size, photo.content * 64, *photo.size, photo.format, scan, scan),
        )
        vector = rng.normal(size=8).astype(np.float32)
        db.execute(
            "INSERT INTO embeddings (file_id, model_id, vector, linked) VALUES (?, ?, ?, 1)",
            (i, MODEL_ID, encode_vector(vector / np.linalg.norm(vector))),
        )
    plain = [(a, b, 0.5) for (a, b), (_, via) in pairs.items() if via != Via.PLAIN]
    library.catalog.neighbours.add(MODEL_ID, plain + [(a, b, s) for (a, b), (s, v) in pairs.items() if v == Via.PLAIN])
    for via, suffix in ((Via.ORIENTED, ORIENTED_SUFFIX), (Via.ALIGNED, ALIGNED_SUFFIX)):
        library.catalog.neighbours.add(MODEL_ID + suffix, [(a, b, s) for (a, b), (s, v) in pairs.items() if v == via])
    library.catalog.settings.active_model = "sscd"
    library.catalog.settings.set_model_id("sscd", MODEL_ID)
    library.catalog.settings.set_dim("sscd", 8)


def _relations(group: DuplicateGroup) -> dict[str, str]:
    return {Path(m.file.path).name: m.relation for m in group.members}


def _holding(groups: list[DuplicateGroup], name: str) -> DuplicateGroup:
    [group] = [g for g in groups if any(Path(m.file.path).name == name for m in g.members)]
    return group


def test_every_copy_of_a_photo_is_in_one_group_with_its_relation(library: Library) -> None:
    _fill(library)
    groups = library.groups(Tier.COPY, 0.85)
    group = _holding(groups, "P.jpg")
    assert _relations(group) == {
        "P.jpg": "",
        "P copy.jpg": "identical",
        "P (2).jpg": "identical",
        "resized.jpg": "resized",
        "rotated.jpg": "rotated",
        "cropped.jpg": "cropped",
        "converted.png": "converted",
        "edited.jpg": "edited",
    }
    assert group.members[0].keep and Path(group.members[0].file.path).name == "P.jpg", "the kept file leads"
    scores = {Path(m.file.path).name: m.score for m in group.members}
    assert scores["rotated.jpg"] == pytest.approx(0.93) and scores["cropped.jpg"] == pytest.approx(0.90)
    assert scores["P copy.jpg"] == 1.0 and group.max_score == 1.0
    names = [Path(m.file.path).name for g in groups for m in g.members]
    assert len(names) == len(set(names)), "each photo is shown once"


def test_a_rescoring_that_barely_beats_the_plain_score_does_not_name_the_relation(library: Library) -> None:
    # resized.jpg scores 0.95 plainly and 0.96 re-scored turned (thumbnails move scores a little): resized;
    # rotated.jpg only reaches the threshold turned (plain 0.5): rotated.
    _fill(library, PHOTOS[:8], {(1, 4): (0.95, Via.PLAIN), (1, 5): (0.93, Via.ORIENTED)})
    library.catalog.neighbours.add(MODEL_ID + ORIENTED_SUFFIX, [(1, 4, 0.96)])
    relations = _relations(_holding(library.groups(Tier.COPY, 0.85), "P.jpg"))
    assert relations["resized.jpg"] == "resized" and relations["rotated.jpg"] == "rotated"


def test_no_chaining_a_copy_of_a_copy_below_the_threshold_of_the_kept_file_stays_out(library: Library) -> None:
    _fill(library)
    groups = library.groups(Tier.COPY, 0.85)
    assert not any("far.jpg" in _relations(g) for g in groups), "far.jpg is 0.90 from resized.jpg, 0.70 from P"
    for group in groups:
        kept = group.members[0].file
        for member in group.members[1:]:
            assert member.file.content_hash == kept.content_hash or member.score >= 0.85


def test_identical_files_without_a_copy_are_a_group_of_their_own(library: Library) -> None:
    _fill(library)
    group = _holding(library.groups(Tier.COPY, 0.85), "Q.jpg")
    assert group.tier == Tier.COPY and _relations(group) == {"Q.jpg": "", "Q copy.jpg": "identical"}


def test_the_kept_file_leads_its_star_even_when_a_copy_has_more_neighbours(library: Library) -> None:
    # resized.jpg links to P, edited and converted; P links only to resized. The keep rules keep P (more pixels);
    # converted and edited (linked to each other too) are not within the threshold of P: a group of their own.
    pairs = {(1, 4): (0.95, Via.PLAIN), (4, 7): (0.95, Via.PLAIN), (4, 8): (0.95, Via.PLAIN), (7, 8): (0.9, Via.PLAIN)}
    _fill(library, PHOTOS[:8], pairs)
    groups = library.groups(Tier.COPY, 0.85)
    group = _holding(groups, "P.jpg")
    assert group.members[0].keep and Path(group.members[0].file.path).name == "P.jpg"
    assert set(_relations(group)) == {"P.jpg", "P copy.jpg", "P (2).jpg", "resized.jpg"}
    assert _relations(_holding(groups, "converted.png")) == {"converted.png": "", "edited.jpg": "converted"}


def test_protected_file_is_the_kept_centre(library: Library) -> None:
    _fill(library)
    library.set_protected_folders(["/x"])  # every file protected: the best of them leads
    group = _holding(library.groups(Tier.COPY, 0.85), "P.jpg")
    assert Path(group.members[0].file.path).name == "P.jpg"


def test_similar_tier_shows_the_kept_file_for_a_copy_group(library: Library) -> None:
    _fill(library)
    library.catalog.neighbours.add(MODEL_ID, [(1, 10, 0.75)])
    library.catalog.settings.set_threshold(MODEL_ID, Tier.COPY, 0.85)  # this photo set's pairs are laid out for it
    # P's copies are one node, shown by the file the Duplicates list keeps; Q's identical pair by Q.jpg (kept: its
    # path does not look like a copy), not by "Q copy.jpg", the lower file id.
    groups = library.groups(Tier.SIMILAR, 0.65)
    assert [set(_relations(g)) for g in groups] == [{"P.jpg", "far.jpg", "Q.jpg"}]


def test_not_a_duplicate_for_one_member_keeps_the_rest_together_and_undoes(library: Library) -> None:
    _fill(library)
    group = _holding(library.groups(Tier.COPY, 0.85), "P.jpg")
    edited = next(m for m in group.members if m.file.path.endswith("edited.jpg"))
    library.mark_not_duplicate(edited.file.id, group)
    after = library.groups(Tier.COPY, 0.85)
    assert set(_relations(_holding(after, "P.jpg"))) == set(_relations(group)) - {"edited.jpg"}
    assert not any("edited.jpg" in _relations(g) for g in after)
    assert library.journal()[0].action == "not-duplicates"
    library.undo()
    assert set(_relations(_holding(library.groups(Tier.COPY, 0.85), "P.jpg"))) == set(_relations(group))


def test_not_a_duplicate_is_refused_for_the_kept_files_identical_copy(library: Library) -> None:
    _fill(library)
    group = _holding(library.groups(Tier.COPY, 0.85), "P.jpg")
    twin = next(m for m in group.members if m.relation == Relation.IDENTICAL)
    with pytest.raises(ValueError, match="same bytes"):
        library.mark_not_duplicate(twin.file.id, group)
    with pytest.raises(ValueError, match="not in group"):
        library.mark_not_duplicate(9999, group)


def test_groups_json_lists_the_review_lists_with_tier_keep_relation_score(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    _fill(library)
    expected = [g.as_json() for tier in library.review_tiers() for g in library.groups(tier)]
    assert library.review_tiers() == (Tier.COPY, Tier.SIMILAR)
    assert main(["groups", "--json", "--library", str(library.dir)]) == 0
    listed = json.loads(capsys.readouterr().out)["groups"]
    assert listed == expected and {g["tier"] for g in listed} <= {"copy", "similar"}
    first = listed[0]["files"][0]
    assert set(first) == {"path", "score", "keep", "relation"}
    assert main(["groups", "--tier", "exact", "--json", "--library", str(library.dir)]) == 0
    exact = json.loads(capsys.readouterr().out)["groups"]
    assert {g["tier"] for g in exact} == {"exact"} and len(exact) == 2


def test_model_free_library_reviews_identical_and_near_identical(library: Library) -> None:
    assert library.review_tiers() == (Tier.EXACT, Tier.PERCEPTUAL)


def _info(size: tuple[int, int], fmt: str = "JPEG", content: str = "b") -> FileInfo:
    return FileInfo(0, "/x/a.jpg", 1, 0, content, size[0], size[1], fmt)


@pytest.mark.parametrize(
    ("member", "via", "expected"),
    [
        (_info((4000, 3000), content="a"), Via.PLAIN, Relation.IDENTICAL),
        (_info((4000, 3000)), Via.ORIENTED, Relation.ROTATED),
        (_info((3000, 4000)), Via.PLAIN, Relation.ROTATED),
        (_info((1500, 2000)), Via.ALIGNED, Relation.CROPPED),
        (_info((4000, 3000)), Via.ALIGNED, Relation.CROPPED),
        (_info((3000, 3000)), Via.PLAIN, Relation.CROPPED),
        (_info((1024, 768)), Via.PLAIN, Relation.RESIZED),
        (_info((1024, 768)), Via.ALIGNED, Relation.CROPPED),
        (_info((1024, 768)), Via.ORIENTED, Relation.ROTATED),
        (_info((1021, 767), "PNG"), Via.PLAIN, Relation.RESIZED),
        (_info((4000, 3000), "PNG"), Via.PLAIN, Relation.CONVERTED),
        (_info((4000, 3000), "jpeg"), Via.PLAIN, Relation.EDITED),
    ],
)
def test_relation_from_stored_facts(member: FileInfo, via: Via, expected: Relation) -> None:
    assert relation(_info((4000, 3000), content="a"), member, via) == expected
