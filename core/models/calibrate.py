"""Calibrate a model's copy and similar thresholds on synthetic copies of the user's own photos.

Method
------
1. Sample N catalogued photos with distinct content (`--sample`, default 40), decoded exactly as a scan
   decodes them (`core.scan.decode.decode_image`). A library holds its own copies and bursts, which must not serve
   as negatives: a photo scoring at least the model's current similar threshold against one already sampled is
   skipped (2N are read to fill N). This removes some genuinely hard negatives too, so the threshold leans low;
   the stated precision is that of the synthetic set.
2. For each photo synthesise the copies the copy tier promises: resized to 50 %, JPEG recompressed at
   quality 40, cropped (at most ~20 % of the area: 88-95 % of each side, at a random offset), colour and
   brightness edited, converted to PNG and to WebP, rotated pixels (90, 180 or 270 degrees: what applying an
   EXIF orientation does), and a small text overlay. Every copy is encoded to bytes in its format and decoded
   again through the scan's decoder, then embedded by the same encoder a scan uses. Rotated copies are also
   scored the way `core.rescore.orientation` re-scores them (thumbnail turned upright), because the copy tier does.
   Crops are scored plainly, without the crop check of `core.rescore.crops`: the copy tier scores them at least
   that high, so the chosen threshold errs towards precision.
3. Positives for the copy tier: (photo, its copy). Negatives: every (photo, other photo or other photo's copy)
   pair, plus "burst" pairs: two overlapping crops of one photo (70 % of each side, 30 % apart horizontally,
   10 % vertically, slightly different brightness), which are similar shots, not copies.
4. The copy threshold is the lowest score at which precision on that set reaches the target (default 0.995);
   lowest because recall only grows as the threshold falls. If no threshold reaches it, the one with the best
   precision is taken and `reached` is False.
5. The similar threshold: positives are the burst pairs, negatives the pairs of different photos; the lowest
   threshold reaching `SIMILAR_PRECISION` (0.95), and never above the copy threshold.

Both are stored per model id (`ModelService.set_threshold`) and win over the registry's defaults. Precision on a
synthetic set depends on its mix of positives and negatives; the numbers printed are those of this set.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

from core.embed.encoders import Encoder
from core.entities import FileInfo, Tier
from core.models.service import ModelService
from core.rescore.orientation import oriented_score, rotated_vectors, rotations_to_try
from core.scan.decode import DecodeError, decode_image, read_user_file
from core.store.catalog import Catalog
from core.vectors.store import LINK_FLOOR

DEFAULT_TARGET_PRECISION = 0.995
SIMILAR_PRECISION = 0.95
DEFAULT_SAMPLE = 40
# Fewer photos than this give too few negatives for a threshold to mean anything.
MIN_PHOTOS = 50
MIN_SAMPLE = 8
# Sampled photos that score this much against each other (when the model has no similar threshold) are not
# used as each other's negatives.
DISTINCT_BELOW = 0.5
# Copies are made from the photo at this size (a real copy is made from the full photo, not from the small
# working image a scan embeds), then decoded again the way a scan decodes them.
EDIT_SIDE = 1280

Transform = Callable[[Image.Image, random.Random], tuple[Image.Image, str]]


def _resize(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return image.resize((max(1, image.width // 2), max(1, image.height // 2)), Image.Resampling.LANCZOS), "JPEG"


def _recompress(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return image, "JPEG40"


def _crop(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    keep_w, keep_h = rng.uniform(0.88, 0.95), rng.uniform(0.88, 0.95)
    width, height = int(image.width * keep_w), int(image.height * keep_h)
    x0, y0 = rng.randint(0, image.width - width), rng.randint(0, image.height - height)
    return image.crop((x0, y0, x0 + width, y0 + height)), "JPEG"


def _colour(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    edited = ImageEnhance.Brightness(image).enhance(rng.uniform(0.7, 1.3))
    return ImageEnhance.Color(edited).enhance(rng.uniform(0.5, 1.5)), "JPEG"


def _png(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return image, "PNG"


def _webp(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return image, "WEBP"


def _rotate(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    return image.rotate(rng.choice((90, 180, 270)), expand=True), "JPEG"


def _text(image: Image.Image, rng: random.Random) -> tuple[Image.Image, str]:
    marked = image.copy()
    size = max(10, image.height // 16)
    ImageDraw.Draw(marked).text(
        (image.width // 20, image.height - 2 * size), "© 2024 my trip", fill="white", font_size=size
    )
    return marked, "JPEG"


COPY_TRANSFORMS: dict[str, Transform] = {
    "resize": _resize,
    "recompress": _recompress,
    "crop": _crop,
    "colour": _colour,
    "png": _png,
    "webp": _webp,
    "rotate": _rotate,
    "text": _text,
}


def burst_pair(image: Image.Image, rng: random.Random) -> tuple[Image.Image, Image.Image]:
    """Two overlapping shots of one scene: 70 % windows, 30 % apart horizontally and 10 % vertically."""
    width, height = int(image.width * 0.7), int(image.height * 0.7)
    dx, dy = image.width - width, int(image.height * 0.1)
    first = image.crop((0, 0, width, height))
    second = ImageEnhance.Brightness(image.crop((dx, dy, dx + width, dy + height))).enhance(rng.uniform(0.9, 1.1))
    return first, second


def encode_decode(image: Image.Image, fmt: str) -> Image.Image:
    """Round-trip through a file format and the scan's decoder."""
    buffer = io.BytesIO()
    name, quality = ("JPEG", 40) if fmt == "JPEG40" else (fmt, 88)
    image.convert("RGB").save(buffer, name, quality=quality)
    decoded, _ = decode_image(buffer.getvalue(), "." + name.lower())
    return decoded


@dataclass(frozen=True)
class ThresholdChoice:
    tier: Tier
    threshold: float
    precision: float
    recall: float
    positives: int
    negatives: int
    reached: bool


@dataclass(frozen=True)
class Calibration:
    model: str
    sample: int
    target_precision: float
    copy: ThresholdChoice
    similar: ThresholdChoice | None
    recall_by_transform: dict[str, float]


def choose_threshold(
    tier: Tier, positives: np.ndarray, negatives: np.ndarray, target: float, ceiling: float = 1.0
) -> ThresholdChoice:
    """The lowest threshold (a score seen in the set, at most `ceiling`) whose precision reaches the target."""
    scores = np.concatenate([positives, negatives])
    labels = np.concatenate([np.ones(len(positives), bool), np.zeros(len(negatives), bool)])
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    true_pos = np.cumsum(labels)
    precision = true_pos / np.arange(1, len(labels) + 1)
    # Only cut between distinct scores, never inside a tie.
    last_of_tie = np.append(scores[1:] != scores[:-1], True)
    allowed = last_of_tie & (scores <= ceiling)
    good = np.flatnonzero(allowed & (precision >= target))
    if len(good):
        cut, reached = int(good[-1]), True
    else:
        candidates = np.flatnonzero(allowed)
        if not len(candidates):
            return ThresholdChoice(tier, ceiling, 0.0, 0.0, len(positives), len(negatives), False)
        cut, reached = int(candidates[np.argmax(precision[candidates])]), False
    recall = float(true_pos[cut] / max(1, len(positives)))
    return ThresholdChoice(
        tier, float(scores[cut]), float(precision[cut]), recall, len(positives), len(negatives), reached
    )


def sample_photos(catalog: Catalog, count: int, seed: int = 0) -> list[FileInfo]:
    """Present photos with distinct content, a reproducible random sample."""
    seen: set[str] = set()
    unique = []
    for info in catalog.files.present():
        if info.content_hash not in seen and min(info.width, info.height) >= 64:
            seen.add(info.content_hash)
            unique.append(info)
    return random.Random(seed).sample(unique, min(count, len(unique)))


def _thumb(image: Image.Image) -> Image.Image:
    """The scan's stored thumbnail of an image (256 px JPEG), which `core.rescore.orientation` rotates."""
    from core.scan.decode import THUMB_QUALITY, THUMB_SIZE

    thumb = image.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=THUMB_QUALITY)
    with Image.open(buffer) as reopened:
        return reopened.convert("RGB")


def load_photo(data: bytes, suffix: str) -> tuple[Image.Image, Image.Image]:
    """(what a scan embeds for this file, a larger copy to make synthetic copies from: at most 1280 px)."""
    working, _ = decode_image(data, suffix)
    with Image.open(io.BytesIO(data)) as raw:
        raw.draft("RGB", (EDIT_SIDE, EDIT_SIDE))
        large = ImageOps.exif_transpose(raw).convert("RGB")
    large.thumbnail((EDIT_SIDE, EDIT_SIDE), Image.Resampling.LANCZOS)
    return working.convert("RGB"), large


def _load(files: Sequence[FileInfo]) -> list[tuple[Image.Image, Image.Image]]:
    photos = []
    for info in files:
        try:  # header and size checked before the file is read; shape and pixels before it is decoded
            photos.append(load_photo(read_user_file(info.path), "." + info.path.rsplit(".", 1)[-1].lower()))
        except (OSError, DecodeError, ValueError):
            continue
    return photos


def calibrate_images(
    photos: Sequence[tuple[Image.Image, Image.Image]],
    encoder: Encoder,
    model: str,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    seed: int = 0,
    progress: Callable[[int, int], None] = lambda done, total: None,
    distinct_below: float | None = None,
    limit: int | None = None,
) -> Calibration:
    """photos: (working image, larger image) pairs from `load_photo`. With `distinct_below`, a photo scoring that
    much or more against one already taken is skipped: a library holds its own copies and bursts, and those must
    not serve as negatives. `limit` caps how many are used."""
    rng = random.Random(seed)
    originals = encoder.embed_images([working for working, _ in photos])
    chosen = _distinct(originals, distinct_below, limit or len(photos))
    photos, originals = [photos[i] for i in chosen], originals[chosen]
    images = [large for _, large in photos]
    copy_vectors: list[np.ndarray] = []
    copy_owner: list[int] = []
    copy_kind: list[str] = []
    copy_scores: list[float] = []
    bursts: list[float] = []
    for index, image in enumerate(images):
        made = [(name, encode_decode(*transform(image, rng))) for name, transform in COPY_TRANSFORMS.items()]
        first, second = (encode_decode(shot, "JPEG") for shot in burst_pair(image, rng))
        vectors = encoder.embed_images([made_copy for _, made_copy in made] + [first, second])
        bursts.append(float(vectors[-2] @ vectors[-1]))
        for (name, made_copy), vector in zip(made, vectors[:-2], strict=True):
            plain = float(originals[index] @ vector)
            angles = rotations_to_try(photos[index][0].size, made_copy.size)
            # As core.rescore.orientation does: only pairs the k-NN graph stored (score >= LINK_FLOOR) are re-scored.
            checked = name == "rotate" and plain >= LINK_FLOOR
            rotated = rotated_vectors(encoder, _thumb(made_copy), angles) if checked else {}
            copy_scores.append(oriented_score(plain, originals[index], rotated, angles))
            copy_vectors.append(vector)
            copy_owner.append(index)
            copy_kind.append(name)
        progress(index + 1, len(images))
    owner = np.asarray(copy_owner)
    across = originals @ np.stack(copy_vectors).T  # photo x copies of every photo
    others = across[owner[None, :] != np.arange(len(images))[:, None]]
    pairs = originals @ originals.T
    distinct = pairs[np.triu_indices(len(images), 1)]
    positives = np.asarray(copy_scores)
    copy = choose_threshold(
        Tier.COPY, positives, np.concatenate([others, distinct, np.asarray(bursts)]), target_precision
    )
    similar = choose_threshold(Tier.SIMILAR, np.asarray(bursts), distinct, SIMILAR_PRECISION, ceiling=copy.threshold)
    kinds = np.asarray(copy_kind)
    recall = {name: float(np.mean(positives[kinds == name] >= copy.threshold)) for name in COPY_TRANSFORMS}
    return Calibration(model, len(images), target_precision, copy, similar, recall)


def _distinct(vectors: np.ndarray, below: float | None, limit: int) -> list[int]:
    chosen: list[int] = []
    for index in range(len(vectors)):
        if len(chosen) == limit:
            break
        if below is None or not chosen or float(np.max(vectors[chosen] @ vectors[index])) < below:
            chosen.append(index)
    return chosen


def calibrate(
    models: ModelService,
    model: str,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    sample: int = DEFAULT_SAMPLE,
    store: bool = True,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> Calibration:
    """Calibrate `model` on this library's photos and (by default) store the thresholds."""
    images = _load(sample_photos(models.catalog, 2 * sample))  # twice as many: near-duplicates are skipped
    distinct = models.threshold(model, Tier.SIMILAR) or DISTINCT_BELOW
    encoder = models.encoder(model)
    result = calibrate_images(
        images, encoder, model, target_precision, progress=progress, distinct_below=distinct, limit=sample
    )
    if result.sample < MIN_SAMPLE:
        raise ValueError(
            f"calibration needs at least {MIN_SAMPLE} distinct photos in the library, found {result.sample}"
        )
    if store:
        models.set_threshold(model, Tier.COPY, result.copy.threshold)
        if result.similar is not None:
            models.set_threshold(model, Tier.SIMILAR, result.similar.threshold)
        models.set_calibrated(model, result.target_precision)
    return result


def needs_calibration(models: ModelService, model: str) -> bool:
    """True when the model's shipped thresholds are provisional, none was calibrated here, and the library
    has enough photos to calibrate on."""
    model_id = models.model_id(model)
    if model_id is None or not models.spec(model).thresholds_provisional:
        return False
    if models.is_calibrated(model):
        return False
    return models.catalog.files.count_present() >= MIN_PHOTOS


def describe(result: Calibration) -> list[str]:
    lines = [f"calibrated {result.model} on {result.sample} photos (synthetic copies and bursts):"]
    for choice in (result.copy, result.similar):
        if choice is None:
            continue
        note = "" if choice.reached else f"  (target not reached: best precision {choice.precision:.4f})"
        lines.append(
            f"  {choice.tier:8} threshold {choice.threshold:.4f}  precision {choice.precision:.4f}  "
            f"recall {choice.recall:.4f}  ({choice.positives} positive, {choice.negatives} negative pairs){note}"
        )
    recall = ", ".join(f"{name} {value:.2f}" for name, value in result.recall_by_transform.items())
    lines.append(f"  copy recall by transform: {recall}")
    return lines
