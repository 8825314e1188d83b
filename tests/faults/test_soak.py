"""A randomised review → trash → undo soak through Library, with the real system trash in a private HOME.

A generated library (photos with identical copies and resized copies in several folders) goes through hundreds
of seeded random operations: trash the extras of groups, trash random members (every member, sometimes), undo
the newest or a random batch, rescan, mark groups as not duplicates. After every step: each original photo's
bytes are somewhere (its own path or the trash), no family of copies is entirely in the trash, every file at an
original path holds its own bytes, and the journal's undoable moves lie where it says. At the end everything is
undone and every photo is back at its path.

    TWINLENS_SOAK_OPS=2000 TWINLENS_SOAK_SEED=7 pytest -s tests/faults/test_soak.py   # a longer run
"""

from __future__ import annotations

import os
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from core.entities import DuplicateGroup, ScanRequest, Tier
from core.hashing import hash_file
from core.library import Library
from core.safety.trash import MOVED, TRASH, TrashOutcome, TrashRequest, request_extras
from tests.images import save_photo

OPS = int(os.environ.get("TWINLENS_SOAK_OPS", "500"))
SEED = int(os.environ.get("TWINLENS_SOAK_SEED", "20261129"))
FAMILIES = 14
TIERS = (Tier.EXACT, Tier.PERCEPTUAL)


@dataclass(frozen=True)
class Photos:
    root: Path
    hashes: dict[Path, str]  # every generated file and its bytes' hash
    family: dict[Path, int]  # which original it was made from


def generate(root: Path) -> Photos:
    """14 photos; half with an identical copy in backup/, a third with one in phone/, all with a half-size export:
    40 files in 4 folders."""
    family: dict[Path, int] = {}
    for n in range(FAMILIES):
        original = save_photo(root / "camera" / f"IMG_{n:04d}.jpg", seed=7000 + n, size=(320, 240), quality=90)
        family[original] = n
        for folder, every in (("backup", 2), ("phone", 3)):
            if n % every == 0:
                copy = root / folder / f"IMG_{n:04d}.jpg"
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(original, copy)
                family[copy] = n
        small = root / "exports" / f"IMG_{n:04d} small.jpg"
        small.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(original) as image:
            image.resize((160, 120)).save(small, quality=85)
        family[small] = n
    return Photos(root, {p: hash_file(str(p)) for p in family}, family)


@dataclass
class Figures:
    operations: Counter[str] = field(default_factory=Counter)
    trashed: int = 0
    restored: int = 0
    refused: int = 0
    failed: int = 0
    lost: int = 0

    def count_trash(self, requested: int, outcome: TrashOutcome) -> None:
        self.trashed += len(outcome.trashed)
        self.failed += len(outcome.failed)
        self.lost += len(outcome.lost)
        self.refused += requested - len(outcome.trashed) - len(outcome.failed) - len(outcome.lost)


class Soak:
    def __init__(self, lib: Library, photos: Photos, trash_dir: Path, rng: random.Random) -> None:
        self.lib, self.photos, self.trash_dir, self.rng = lib, photos, trash_dir, rng
        self.figures = Figures()

    def scan(self) -> None:
        self.lib.scan(ScanRequest(roots=(self.photos.root,), workers=1))

    def step(self) -> str:
        ops: list[tuple[str, int, Callable[[], None]]] = [
            ("trash extras", 5, self.trash_extras),
            ("trash members", 5, self.trash_members),
            ("undo newest", 4, lambda: self.count_undo(None)),
            ("undo a batch", 3, self.undo_random),
            ("rescan", 1, self.scan),
            ("not duplicates", 1, self.not_duplicates),
        ]
        name, _, run = self.rng.choices(ops, weights=[w for _, w, _ in ops])[0]
        run()
        self.figures.operations[name] += 1
        return name

    def groups(self) -> list[DuplicateGroup]:
        return self.lib.groups(self.rng.choice(TIERS))

    def trash_extras(self) -> None:
        groups = self.groups()
        chosen = self.rng.sample(groups, min(len(groups), self.rng.randint(1, 3)))
        request = request_extras(chosen)
        self.figures.count_trash(len(request.file_ids), self.lib.trash(request))

    def trash_members(self) -> None:
        groups = self.groups()
        if not groups:
            return
        group = self.rng.choice(groups)
        members = [m.file.id for m in group.members]
        every = self.rng.random() < 0.3  # a request for every member of the group: must trash none of them
        picked = members if every else self.rng.sample(members, self.rng.randint(1, len(members)))
        outcome = self.lib.trash(TrashRequest(tuple(picked), (group,)))
        assert not (every and outcome.trashed), "every member was requested, yet some were trashed"
        self.figures.count_trash(len(picked), outcome)

    def count_undo(self, batch_id: str | None) -> None:
        outcome = self.lib.undo(batch_id)
        if outcome.action == TRASH:
            self.figures.restored += len(outcome.restored)
            self.figures.failed += len(outcome.failed)

    def undo_random(self) -> None:
        undoable = [b for b in self.lib.journal(1_000_000) if b.undoable]
        if undoable:
            self.count_undo(self.rng.choice(undoable).batch_id)

    def not_duplicates(self) -> None:
        groups = self.groups()
        if groups:
            self.lib.mark_not_duplicates(self.rng.choice(groups))

    def undo_everything(self) -> None:
        for _ in range(10_000):
            undoable = [b for b in self.lib.journal(1_000_000) if b.undoable]
            if not undoable:
                return
            before = len(undoable)
            for batch in undoable:
                self.count_undo(batch.batch_id)
            if len([b for b in self.lib.journal(1_000_000) if b.undoable]) == before:
                raise AssertionError(f"{before} batch(es) cannot be undone: {[b.state for b in undoable]}")


# --- invariants -------------------------------------------------------------------------------------------------


def trash_contents(trash_dir: Path) -> Counter[str]:
    files = trash_dir / "files"
    return Counter(hash_file(str(p)) for p in files.iterdir()) if files.is_dir() else Counter()


def check(soak: Soak) -> int:
    """Every invariant after a step; returns the number of photos lost (asserted to be 0 by the caller)."""
    photos = soak.photos
    at_home = {p: hash_file(str(p)) for p in photos.hashes if p.exists()}
    wrong = [p for p, h in at_home.items() if h != photos.hashes[p]]
    assert not wrong, f"files at an original path hold other bytes: {wrong}"
    somewhere = Counter(at_home.values()) + trash_contents(soak.trash_dir)
    lost = sum((Counter(photos.hashes.values()) - somewhere).values())
    gone_families = set(photos.family.values()) - {photos.family[p] for p in at_home}
    assert not gone_families, f"every copy of photo(s) {sorted(gone_families)} is in the trash"
    check_journal(soak.lib)
    return lost


def check_journal(lib: Library) -> None:
    """Each move the journal offers to undo lies where the journal says, with the bytes it recorded."""
    rows = lib.catalog.db.query(
        "SELECT t.path, t.trash_path, t.content_hash FROM journal t WHERE t.action = 'trash' AND t.status = ? "
        "AND NOT EXISTS (SELECT 1 FROM journal u WHERE u.batch = t.batch AND u.action = 'undo' "
        "AND u.file_id = t.file_id AND u.status = 'ok')",
        [MOVED[0]],
    )
    for row in rows:
        assert row["trash_path"] and hash_file(row["trash_path"]) == row["content_hash"], dict(row)


def group_shapes(lib: Library) -> dict[Tier, set[frozenset[str]]]:
    return {tier: {frozenset(m.file.path for m in g.members) for g in lib.groups(tier)} for tier in TIERS}


@pytest.fixture
def soak(tmp_path: Path, private_trash: Path) -> Iterator[Soak]:
    lib = Library(tmp_path / "library")
    photos = generate(tmp_path / "photos")
    soak = Soak(lib, photos, private_trash, random.Random(SEED))
    soak.scan()
    yield soak
    lib.close()


def test_soak_review_trash_undo_loses_no_photo(soak: Soak) -> None:
    start = time.perf_counter()
    shapes = group_shapes(soak.lib)
    with_copies = {n for n in range(FAMILIES) if n % 2 == 0 or n % 3 == 0}
    assert len(soak.photos.hashes) == 40 and len(shapes[Tier.EXACT]) == len(with_copies) == 9
    assert len(shapes[Tier.PERCEPTUAL]) == FAMILIES, "each photo groups with its copies and its export"
    for step in range(OPS):
        name = soak.step()
        lost = check(soak)
        assert lost == 0, f"step {step} ({name}, seed {SEED}): {lost} photo(s) lost"

    soak.undo_everything()

    assert all(p.is_file() and hash_file(str(p)) == h for p, h in soak.photos.hashes.items())
    assert trash_contents(soak.trash_dir) == Counter(), "everything came back out of the trash"
    soak.scan()
    assert group_shapes(soak.lib) == shapes, "the same groups as before the soak"
    f = soak.figures
    ops = ", ".join(f"{n} {name}" for name, n in sorted(f.operations.items()))
    print(
        f"\nsoak (seed {SEED}): {OPS} operations ({ops}); {f.trashed} files trashed, {f.restored} restored, "
        f"{f.refused} refused, {f.failed} failed, {f.lost} moved without a location, 0 photos lost; "
        f"{time.perf_counter() - start:.1f} s"
    )
