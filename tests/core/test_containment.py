"""Finding one photo inside another (core/rescore/containment.py) on generated pictures."""

from __future__ import annotations

import pytest
from PIL import Image

from core.rescore.containment import DetailCache, find_inside
from core.rescore.crops import MIN_CORRELATION, placement_between
from tests.images import photo


def _crop(image: Image.Image, box: tuple[float, float, float, float]) -> Image.Image:
    w, h = image.size
    return image.crop((round(box[0] * w), round(box[1] * h), round(box[2] * w), round(box[3] * h)))


def test_an_off_centre_crop_is_found_where_it_was_cut() -> None:
    original = photo(7, (800, 600))
    box = (0.07, 0.03, 0.97, 0.93)
    cropped = _crop(original, box).resize((360, 270))
    found = find_inside(original, cropped)
    assert found is not None and found.correlation > 0.8
    assert all(abs(got - want) < 0.03 for got, want in zip(found.box, box, strict=True))


def test_either_order_finds_the_outer_photo() -> None:
    original = photo(8, (800, 600))
    cropped = _crop(original, (0.2, 0.1, 0.9, 0.8))
    placement, outer, inner = placement_between(cropped, original)
    assert outer is original and inner is cropped
    assert placement.correlation >= MIN_CORRELATION


def test_overlapping_burst_frames_are_not_inside_each_other() -> None:
    scene = photo(9, (1000, 750))
    first, second = _crop(scene, (0.0, 0.0, 0.7, 0.7)), _crop(scene, (0.15, 0.05, 0.85, 0.75))
    placement, _, _ = placement_between(first, second)
    assert placement.correlation < MIN_CORRELATION


def test_unrelated_photos_do_not_match() -> None:
    placement, _, _ = placement_between(photo(10), photo(11))
    assert placement.correlation < MIN_CORRELATION


def test_a_flat_picture_has_no_placement() -> None:
    flat = Image.new("RGB", (300, 200), (120, 130, 140))
    assert find_inside(photo(12), flat) is None


def test_cached_details_give_the_same_placement_and_are_computed_once_per_image_and_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import core.rescore.containment as containment

    original = photo(12, (800, 600))
    cropped = _crop(original, (0.1, 0.05, 0.9, 0.85))
    plain = placement_between(original, cropped)[0]
    computed: list[tuple[int, int]] = []
    real_detail = containment.detail

    def counting(image: Image.Image, width: int) -> object:
        computed.append((id(image), width))
        return real_detail(image, width)

    monkeypatch.setattr(containment, "detail", counting)
    details = DetailCache(images=2)
    for _ in range(3):
        assert placement_between(original, cropped, details)[0] == plain
    assert len(computed) == len(set(computed)), "each image's detail at each width is computed once"
    placement_between(photo(13), photo(14), details)  # two other images push both out of a cache of two
    placement_between(original, cropped, details)
    assert len(computed) > len(set(computed))
