"""Calibrate a model's copy and similar thresholds on synthetic copies of the user's own photos.

Method
------
1. Sample N catalogued photos with distinct content (`--sample`, default 40), one per shutter time, and
   photos without one only when too few have one (`sample_photos` says why), each with the vector its scan stored
   (embedded from the file as a scan decodes it where none is stored). A library holds its own copies and bursts,
   which must not serve as negatives: a photo scoring at least the model's current similar threshold against one
   already sampled is skipped (2N are drawn to fill N, by their vectors: only the N chosen are read again). This
   removes some genuinely hard negatives too, so the threshold leans low; the stated precision is that of the
   synthetic set.
2. For each photo synthesise copies from the broad families of `core.models.families` (overlays, framing,
   geometry, pixel edits and format changes, and combinations of two), FAMILIES_PER_PHOTO of them per photo in
   turn so every family is tried on about the same number of photos. Every copy is encoded to bytes in its format
   and decoded again through the scan's decoder, then embedded by the same encoder a scan uses (the SSCD encoders
   cut a frame away there, core/embed/frames.py, so framed copies are scored as a scan scores them). Rotated copies
   are also scored the way `core.rescore.orientation` re-scores them, because the copy tier does. Crops are scored
   plainly, without the crop check of `core.rescore.crops`, so the chosen threshold errs towards precision.
3. Positives for the copy tier: (photo, its copy). Negatives: every (photo, other photo or other photo's copy)
   pair, and two kinds of other shots of one scene (`core.models.families`), each shot with a shutter time of its
   own: burst frames and a shot from a few steps aside. The copy tier never groups files whose shutter times
   differ (core/tiers/graph.py), so those pairs cannot be false copies whatever their score: they are counted as
   the decision sees them (never a copy), and `bursts_above` says how many bursts scored above the threshold
   anyway. (Counted by score instead, the reshoots alone put SSCD's threshold at 0.66-0.77 and cost the
   framing, crop and combined copies: reshoots that lost their EXIF are the price, see benchmarks/tiers_bench.py's
   real same-scene pairs.)
4. The copy threshold is the lowest score at which precision on that set reaches the target (default 0.995),
   and at least UNRELATED_MARGIN above the best-scoring pair of different photos; lowest because recall only
   grows as the threshold falls. If no threshold reaches it, the one with the best precision is taken and
   `reached` is False.
5. The similar threshold: positives are the burst and other-angle pairs, negatives the pairs of different
   photos; the lowest threshold reaching `SIMILAR_PRECISION` (0.95) and UNRELATED_MARGIN above the best-scoring
   pair of different photos, and never above the copy threshold.

Both are stored per model id (`ModelService.set_threshold`), win over the registry's defaults, and are what
`Library.threshold_in_effect` returns with the groups. Every model is calibrated this way, SSCD included:
`Library.scan` calibrates after the first model scan of at least MIN_PHOTOS photos (the app and the CLI alike),
`twinlens calibrate` at any time. Precision on a synthetic set depends on its mix of positives and negatives; the
numbers printed are those of this set.
"""

from __future__ import annotations

import io
import os
import random
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from core.cancel import NEVER_CANCELLED, CancelToken
from core.embed.encoders import Encoder
from core.entities import FileInfo, Tier
from core.models import families
from core.models.service import ModelService
from core.rescore.orientation import oriented_score, rotated_vectors, rotations_to_try
from core.scan.decode import DecodeError, decode_image, read_user_file
from core.store.catalog import Catalog
from core.vectors.store import LINK_FLOOR, EmbeddingStore

DEFAULT_TARGET_PRECISION = 0.995
SIMILAR_PRECISION = 0.95
DEFAULT_SAMPLE = 40
# Fewer photos than this give too few negatives for a threshold to mean anything.
MIN_PHOTOS = 50
MIN_SAMPLE = 8
# With this many photos of distinct shutter times, photos without one are not sampled (sample_photos says why).
ENOUGH_TIMED = 2 * MIN_SAMPLE
# Sampled photos that score this much against each other (when the model has no similar threshold) are not
# used as each other's negatives.
DISTINCT_BELOW = 0.5
# Copies are made from the photo at this size (a real copy is made from the full photo, not from the small
# working image a scan embeds), then decoded again the way a scan decodes them. Twice the largest model input
# (sscd: 320), so a 50 % crop still fills it. Making them at 1280 took twice as long for the same thresholds
# (sscd-fast on benchmarks/keep_bench.py's library: copy 0.655 at 1280, 0.631 at 896, 0.648 at 640; every
# family's recall within one or two photos; 36 s vs 19 s with another job on the 2 cores).
EDIT_SIDE = 640

# The copy threshold stays this far above the best-scoring pair of different photos in the sample. Precision on
# the sample alone would let it fall to that pair (SSCD: 0.27 on 10 photos, where screenshots of a photo score
# 0.19-0.77), but a library of n photos holds n^2/2 such pairs against a few copies per photo, so its tail of
# unrelated pairs reaches higher than a 40-photo sample's.
UNRELATED_MARGIN = 0.1
# Copies made of each photo: the families take turns, so 40 photos give every family about 40 * 8 / 21 copies.
FAMILIES_PER_PHOTO = 8
# HEIC is left out here: encoding one takes ~3 s on this machine (x265), and it changes pixels as WebP does.
CALIBRATION_FAMILIES = tuple(f for f in families.FAMILIES if f.name != "heic")
COMBINATIONS_PER_PHOTO = 1
SYNTHESIS_THREADS = max(1, min(4, os.cpu_count() or 1))
BURST_FRAMES = 3


def copies_to_make(index: int, rng: random.Random) -> list[families.Family]:
    """The families tried on the index-th photo: the next FAMILIES_PER_PHOTO in turn, and a combination."""
    count = len(CALIBRATION_FAMILIES)
    chosen = [CALIBRATION_FAMILIES[(index * FAMILIES_PER_PHOTO + k) % count] for k in range(FAMILIES_PER_PHOTO)]
    return chosen + [families.combination(rng) for _ in range(COMBINATIONS_PER_PHOTO)]


def encode_decode(image: Image.Image, encoding: families.Encoding) -> Image.Image:
    """Round-trip through a file format and the scan's decoder."""
    decoded, _ = decode_image(families.encode(image, encoding), families.suffix(encoding))
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
    bursts_above: int = 0  # burst pairs scoring at least the copy threshold, kept out by their shutter times


def choose_threshold(
    tier: Tier,
    positives: np.ndarray,
    negatives: np.ndarray,
    target: float,
    ceiling: float = 1.0,
    floor: float = -1.0,
) -> ThresholdChoice:
    """The lowest threshold (a score seen in the set, between `floor` and `ceiling`) whose precision reaches the
    target."""
    scores = np.concatenate([positives, negatives])
    labels = np.concatenate([np.ones(len(positives), bool), np.zeros(len(negatives), bool)])
    order = np.argsort(-scores, kind="stable")
    scores, labels = scores[order], labels[order]
    true_pos = np.cumsum(labels)
    precision = true_pos / np.arange(1, len(labels) + 1)
    # Only cut between distinct scores, never inside a tie.
    last_of_tie = np.append(scores[1:] != scores[:-1], True)
    allowed = last_of_tie & (scores <= ceiling) & (scores >= floor)
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
    """Present photos with distinct content, a reproducible random sample: one photo per shutter time, and photos
    without one only when fewer than ENOUGH_TIMED have one. Two photos with different shutter times are certainly
    different photos, while a library's screenshots, PNG and chat copies (no shutter time) are often copies of its
    photos, which must not serve as negatives (on benchmarks/tiers_bench.py's tuning half they put a copy of a
    sampled photo among the negatives above 0.9); copies that kept their photo's time share it, so one is taken."""
    rng = random.Random(seed)
    seen: set[str] = set()
    timed: dict[str, FileInfo] = {}
    untimed: list[FileInfo] = []
    for info in catalog.files.present():
        if info.content_hash in seen or min(info.width, info.height) < 64:
            continue
        seen.add(info.content_hash)
        if info.captured_at:
            timed.setdefault(info.captured_at, info)
        else:
            untimed.append(info)
    first = list(timed.values())
    rng.shuffle(first)
    if len(first) >= ENOUGH_TIMED:  # negatives certain to be other photos: the library's copies stay out
        return first[:count]
    rng.shuffle(untimed)
    return (first + untimed)[:count]


def _thumb(image: Image.Image) -> Image.Image:
    """The scan's stored thumbnail of an image (256 px JPEG), which `core.rescore.orientation` rotates."""
    from core.scan.decode import THUMB_QUALITY, THUMB_SIZE

    thumb = image.copy()
    thumb.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=THUMB_QUALITY)
    with Image.open(buffer) as reopened:
        return reopened.convert("RGB")


def load_large(data: bytes) -> Image.Image:
    """The photo upright, at most EDIT_SIDE: what synthetic copies are made from."""
    with Image.open(io.BytesIO(data)) as raw:
        raw.draft("RGB", (EDIT_SIDE, EDIT_SIDE))
        large = ImageOps.exif_transpose(raw).convert("RGB")
    large.thumbnail((EDIT_SIDE, EDIT_SIDE), Image.Resampling.LANCZOS)
    return large


def _read(info: FileInfo) -> bytes | None:
    try:  # header and size checked before the file is read
        return read_user_file(info.path)
    except (OSError, DecodeError, ValueError):
        return None


def _suffix(info: FileInfo) -> str:
    return "." + info.path.rsplit(".", 1)[-1].lower()


def photo_vectors(
    files: Sequence[FileInfo], encoder: Encoder, stored: EmbeddingStore | None
) -> tuple[list[FileInfo], np.ndarray]:
    """The files with a vector and their vectors: the scan's own where it stored one (what the copy tier
    compares, and no decode), else embedded from the file as a scan decodes it; unreadable files are left out."""
    known: dict[int, np.ndarray] = {}
    if stored is not None:
        ids, vectors = stored.vectors([f.id for f in files])
        known = dict(zip(ids.tolist(), vectors, strict=True))
    missing: list[tuple[FileInfo, Image.Image]] = []
    for info in files:
        if info.id not in known and (data := _read(info)) is not None:
            try:
                missing.append((info, decode_image(data, _suffix(info))[0].convert("RGB")))
            except (OSError, DecodeError, ValueError):
                continue
    if missing:
        embedded = encoder.embed_images([image for _, image in missing])
        known |= {info.id: vector for (info, _), vector in zip(missing, embedded, strict=True)}
    kept = [f for f in files if f.id in known]
    return kept, np.stack([known[f.id] for f in kept]) if kept else np.zeros((0, encoder.dim), np.float32)


def _large_images(files: Sequence[FileInfo]) -> list[Image.Image | None]:
    images: list[Image.Image | None] = []
    for info in files:
        data = _read(info)
        try:  # shape and pixels are checked before the file is decoded
            images.append(load_large(data) if data is not None else None)
        except (OSError, DecodeError, ValueError):
            images.append(None)
    return images


def calibrate_images(
    originals: np.ndarray,
    images: Sequence[Image.Image],
    encoder: Encoder,
    model: str,
    target_precision: float = DEFAULT_TARGET_PRECISION,
    seed: int = 0,
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancel: CancelToken = NEVER_CANCELLED,
) -> Calibration:
    """originals: each photo's vector as a scan embeds it; images: the photos at most EDIT_SIDE (`load_large`),
    which the synthetic copies are made from."""
    scores = _SyntheticScores()
    for index, made in enumerate(synthesised(images, seed)):
        cancel.raise_if_cancelled()
        scores.add(index, originals[index], made, encoder)
        progress(index + 1, len(images))
    return scores.calibration(originals, model, target_precision)


@dataclass(frozen=True)
class Synthetic:
    """One photo's synthetic files, each decoded again as a scan decodes it: its copies (and their families), the
    frames of a burst, and the scene from a few steps aside."""

    size: tuple[int, int]  # the photo's, upright
    families: list[families.Family]
    copies: list[Image.Image]
    shots: list[Image.Image]
    angle: Image.Image


def synthesise(index: int, image: Image.Image, seed: int) -> Synthetic:
    rng = random.Random(f"{seed}:{index}")  # one stream per photo: the same files whichever thread makes them
    made_from = copies_to_make(index, rng)
    copies = [encode_decode(made.image, made.encoding) for made in (families.make(f, image, rng) for f in made_from)]
    shots = [encode_decode(shot, ("JPEG", 92)) for shot in families.burst(image, rng, BURST_FRAMES)]
    angle = encode_decode(families.other_angle(image, rng), ("JPEG", 92))
    return Synthetic(image.size, made_from, copies, shots, angle)


def synthesised(images: Sequence[Image.Image], seed: int) -> Iterator[Synthetic]:
    """Each photo's synthetic files, in order, made on SYNTHESIS_THREADS threads (PIL lets go of the GIL while it
    resizes, transforms, encodes and decodes: the edits were ~80 % of a calibration on one thread) and at most
    one photo per thread ahead of the one being embedded. A consumer that stops (a cancel) waits only for the
    photos being made."""
    pool = ThreadPoolExecutor(SYNTHESIS_THREADS, thread_name_prefix="calibration")
    try:
        pending: deque[Future[Synthetic]] = deque()
        for index, image in enumerate(images):
            pending.append(pool.submit(synthesise, index, image, seed))
            if len(pending) > SYNTHESIS_THREADS:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _SyntheticScores:
    """Scores of each photo's synthetic copies and other shots, gathered photo by photo."""

    def __init__(self) -> None:
        self.copy_vectors: list[np.ndarray] = []
        self.copy_owner: list[int] = []
        self.copy_kind: list[str] = []
        self.copy_scores: list[float] = []
        self.bursts: list[float] = []
        self.angles: list[float] = []

    def add(self, index: int, original: np.ndarray, made: Synthetic, encoder: Encoder) -> None:
        vectors = encoder.embed_images([*made.copies, *made.shots, made.angle])
        frames = vectors[len(made.copies) : len(made.copies) + BURST_FRAMES]
        self.bursts += [float(frames[i] @ frames[j]) for i in range(BURST_FRAMES) for j in range(i + 1, BURST_FRAMES)]
        self.angles.append(float(original @ vectors[-1]))
        for family, made_copy, vector in zip(made.families, made.copies, vectors, strict=False):
            plain = float(original @ vector)
            angles = rotations_to_try(made.size, made_copy.size)
            # As core.rescore.orientation does: only pairs the k-NN graph stored (score >= LINK_FLOOR) are re-scored.
            checked = "rotate" in family.name and plain >= LINK_FLOOR
            rotated = rotated_vectors(encoder, _thumb(made_copy), angles) if checked else {}
            self.copy_scores.append(oriented_score(plain, original, rotated, angles))
            self.copy_vectors.append(vector)
            self.copy_owner.append(index)
            self.copy_kind.append(family.kind if family.kind == "combination" else family.name)

    def calibration(self, originals: np.ndarray, model: str, target_precision: float) -> Calibration:
        count = len(originals)
        owner = np.asarray(self.copy_owner)
        across = originals @ np.stack(self.copy_vectors).T  # photo x copies of every photo
        others = across[owner[None, :] != np.arange(count)[:, None]]
        distinct = (originals @ originals.T)[np.triu_indices(count, 1)]
        positives, bursts, angles = np.asarray(self.copy_scores), np.asarray(self.bursts), np.asarray(self.angles)
        never = np.full(len(bursts) + len(angles), -1.0)  # distinct shutter times: never a copy, whatever the score
        floor = float(max(others.max(initial=-1.0), distinct.max(initial=-1.0))) + UNRELATED_MARGIN
        negatives = np.concatenate([others, distinct, never])
        copy = choose_threshold(Tier.COPY, positives, negatives, target_precision, floor=floor)
        similar_positives = np.concatenate([bursts, angles])
        similar_floor = float(distinct.max(initial=-1.0)) + UNRELATED_MARGIN  # the same margin, for the same reason
        similar = choose_threshold(
            Tier.SIMILAR, similar_positives, distinct, SIMILAR_PRECISION, ceiling=copy.threshold, floor=similar_floor
        )
        kinds = np.asarray(self.copy_kind)
        recall = {kind: float(np.mean(positives[kinds == kind] >= copy.threshold)) for kind in dict.fromkeys(kinds)}
        above = int(np.sum(bursts >= copy.threshold))
        return Calibration(model, count, target_precision, copy, similar, recall, above)


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
    cancel: CancelToken = NEVER_CANCELLED,
) -> Calibration:
    """Calibrate `model` on this library's photos and (by default) store the thresholds. A cancel stores
    nothing (raises core.cancel.Cancelled)."""
    encoder = models.encoder(model)
    # Twice as many as needed: a library's own copies and bursts are skipped, by their vectors before any decode.
    files, vectors = photo_vectors(sample_photos(models.catalog, 2 * sample), encoder, models.store(model))
    chosen = _distinct(vectors, models.threshold(model, Tier.SIMILAR) or DISTINCT_BELOW, sample)
    images = _large_images([files[i] for i in chosen])
    usable = [i for i, image in zip(chosen, images, strict=True) if image is not None]
    result = calibrate_images(
        vectors[usable],
        [image for image in images if image is not None],
        encoder,
        model,
        target_precision,
        progress=progress,
        cancel=cancel,
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
    """True when the model has embedded this library, was not calibrated on it yet, and the library has enough
    photos to calibrate on. Every model: shipped thresholds are fitted to other photos than a person's."""
    if models.model_id(model) is None:
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
    lines.append(f"  copy recall by family: {recall}")
    lines.append(
        f"  burst pairs at or above the copy threshold: {result.bursts_above} (kept out by their shutter times)"
    )
    return lines
