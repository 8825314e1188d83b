"""An honest yardstick for the tiers: seeded copies in broad families, bursts and reshoots, a tuning and a test half.

Source photos: one per group of ../shared/bench/groundtruth.csv (its largest version: the 34 versions of the
bridge are one source), read in place. Groups of other shots of one scene (same-scene, stereo-pair,
crop/reshoot) are not sources: their real pairs are a check in the test half, not the measure. The sources are
split in two by a seeded shuffle, a tuning half and a test half; each half is its own library, so calibration
and every threshold choice see only the tuning half.

In each half (`build_half`), by role:
- copy sources: the "camera original" (the photo as a JPEG with a shutter time in its EXIF), an exact copy of
  its bytes in another folder, one copy per family of `core.models.families` (overlays, framing, geometry, pixel
  and format changes; parameter ranges printed with the per-family recall) and COMBINATIONS copies that combine
  two families of different kinds. A copy keeps the original's EXIF where the tool that makes it does (editors,
  exports, recompressions, WebP/HEIC conversions) and has none where it does not (chat apps, screenshots,
  story and meme apps, PNG converters).
- burst sources: BURST_FRAMES frames (`families.burst`: a small camera move, a subject that moves in half of them,
  exposure changes), 0.1-0.5 s apart, each with its own shutter time; half the bursts carry sub-seconds, so
  some frames differ only there.
- angle sources: the original and the scene from a few steps aside (`families.other_angle`), 1-10 min later.
- distractors: the original only.

Twinlens runs as the app does: the tuning library is scanned with the model, and its first scan calibrates the
model on its own photos (core/models/calibrate.py); the test library is scanned with those thresholds (stored
before the scan, so the test half never calibrates anything). Scored on the test half, per pair of files:
- copy level = what the Review shows as duplicates: the copy groups with the files of the same bytes as a member,
  and exact groups (`review_duplicates`; `score_duplicates` takes any list of groups, e.g. the Review's "one
  group per photo" once it exists). Positives: two files of one copy source (original, exact copy, copies).
- similar level: the similar tier; positives are the pairs of one burst whose shutter times differ, and a
  reshoot with its original; copy pairs and burst frames of one second are ignored, the rest are negatives.
Peers (findimagedupes; imagededup's PHash and DHash in .bench/peers-venv) run on both halves: each one's
setting is the best copy-level F1 on the tuning half, reported on the test half.

    .venv/bin/python benchmarks/tiers_bench.py [--model sscd-fast] [--rebuild] [--seed 12] [--reuse [--recalibrate]]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import cache
from itertools import combinations
from pathlib import Path

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.cancel import NEVER_CANCELLED  # noqa: E402
from core.entities import ScanRequest, Tier  # noqa: E402
from core.library import Library  # noqa: E402
from core.models import families  # noqa: E402
from core.models.calibrate import calibrate, describe  # noqa: E402
from core.scan.metadata import read_metadata, shutter_times_differ  # noqa: E402

BENCH = (REPO.parent / "shared" / "bench").resolve()  # the catalog stores real paths
WORK = REPO / ".bench" / "tiers"
PEERS_PYTHON = REPO / ".bench" / "peers-venv" / "bin" / "python"
SCENE_KINDS = {"same-scene", "stereo-pair", "crop/reshoot"}
COPY_SOURCES, BURST_SOURCES, ANGLE_SOURCES = 12, 6, 4  # per half; the rest are distractors
COMBINATIONS, BURST_FRAMES = 3, 4
EDIT_SIDE = 1600  # copies are made from the source at most this large (a camera original, scaled for speed)
HALVES = ("tuning", "test")

Pair = tuple[str, str]
Truth = dict[str, dict[str, str]]  # path -> {source, role, family, kind}


# --- the yardstick -------------------------------------------------------------------------------------------


def sources() -> tuple[list[Path], list[list[Path]]]:
    """(one photo per source group, its largest version; the real same-scene groups' files)."""
    with open(BENCH / "groundtruth.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_group: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_group.setdefault(row["group"], []).append(row)
    photos, scenes = [], []
    for group in sorted(by_group):
        members = by_group[group]
        if any(r["kind"] in SCENE_KINDS for r in members):
            scenes.append([BENCH / r["path"] for r in members])
        else:
            photos.append(max((BENCH / r["path"] for r in members), key=_pixels))
    return photos, scenes


def _pixels(path: Path) -> int:
    with Image.open(path) as image:
        return image.width * image.height


def split(photos: Sequence[Path], seed: int) -> dict[str, list[Path]]:
    """Halves by source photo, each ordered larger photos first (copy and burst sources need some size)."""
    shuffled = list(photos)
    random.Random(seed).shuffle(shuffled)
    halves = {"tuning": shuffled[0::2], "test": shuffled[1::2]}
    return {half: sorted(paths, key=lambda p: min(_open(p).size) < 300) for half, paths in halves.items()}


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        transposed = ImageOps.exif_transpose(image).convert("RGB")
    transposed.thumbnail((EDIT_SIDE, EDIT_SIDE), Image.Resampling.LANCZOS)
    return transposed


class Writer:
    """Writes the files of one half and remembers what each one is."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root, self.rng, self.truth = root, rng, {}  # type: ignore[var-annotated]
        self.clock = datetime(2021, 6, 1, 9, 0, 0)

    def moment(self) -> datetime:
        self.clock += timedelta(hours=self.rng.uniform(2, 50), microseconds=self.rng.randrange(10**6))
        return self.clock

    def write(self, folder: str, name: str, data: bytes, suffix: str, **facts: str) -> Path:
        path = self.root / folder / f"{name}{suffix}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.truth[str(path)] = facts
        return path


def _copies(writer: Writer, source: str, image: Image.Image) -> None:
    exif = families.shutter_exif(writer.moment(), subseconds=writer.rng.random() < 0.5)
    original = families.encode(image, ("JPEG", 95), exif)
    writer.write("camera", source, original, ".jpg", source=source, role="original", family="original", kind="")
    writer.write("backup", source, original, ".jpg", source=source, role="exact", family="exact", kind="exact")
    made = list(families.FAMILIES) + [families.combination(writer.rng) for _ in range(COMBINATIONS)]
    for number, family in enumerate(made):
        copy = families.make(family, image, writer.rng)
        data = families.encode(copy.image, copy.encoding, exif if copy.keeps_exif else None)
        folder = "edits" if family.kind != "combination" else "combined"
        writer.write(
            folder, f"{source}_{number:02d}", data, families.suffix(copy.encoding),
            source=source, role="copy", family=family.name, kind=family.kind,
        )  # fmt: skip


def _burst(writer: Writer, source: str, image: Image.Image) -> None:
    subseconds = writer.rng.random() < 0.5
    times = families.burst_times(writer.moment(), BURST_FRAMES, writer.rng)
    for frame, (shot, moment) in enumerate(zip(families.burst(image, writer.rng, BURST_FRAMES), times, strict=True)):
        data = families.encode(shot, ("JPEG", 92), families.shutter_exif(moment, subseconds))
        writer.write("bursts", f"{source}_{frame}", data, ".jpg", source=source, role="burst", family="burst", kind="")


def _angle(writer: Writer, source: str, image: Image.Image) -> None:
    moment = writer.moment()
    first = families.encode(image, ("JPEG", 95), families.shutter_exif(moment, subseconds=False))
    writer.write("camera", source, first, ".jpg", source=source, role="scene", family="original", kind="")
    later = moment + timedelta(minutes=writer.rng.uniform(1, 10))
    second = families.encode(families.other_angle(image, writer.rng), ("JPEG", 92), families.shutter_exif(later, False))
    writer.write("camera", f"{source}_aside", second, ".jpg", source=source, role="scene", family="aside", kind="")


def build_half(half: str, photos: Sequence[Path], scenes: Sequence[Sequence[Path]], seed: int) -> Truth:
    root = WORK / "photos" / half
    if root.exists():
        shutil.rmtree(root)
    writer = Writer(root, random.Random(f"{seed}:{half}"))
    for index, path in enumerate(photos):
        source = f"{half[:2]}{index:02d}_{path.stem}"
        if index < COPY_SOURCES:
            _copies(writer, source, _open(path))
        elif index < COPY_SOURCES + BURST_SOURCES:
            _burst(writer, source, _open(path))
        elif index < COPY_SOURCES + BURST_SOURCES + ANGLE_SOURCES:
            _angle(writer, source, _open(path))
        else:
            data = path.read_bytes()
            writer.write("other", source, data, path.suffix, source=source, role="distractor", family="", kind="")
    for number, scene in enumerate(scenes if half == "test" else ()):
        for path in scene:  # real other shots of one scene: a check, in the test half only
            name = f"scene{number:02d}_{path.stem}"
            writer.write("scenes", name, path.read_bytes(), path.suffix, source=name[:7], role="real-scene", family="")
    truth: Truth = writer.truth
    (WORK / f"truth-{half}.json").write_text(json.dumps(truth, indent=1))
    return truth


# --- scoring -------------------------------------------------------------------------------------------------


def pair_kind(truth: Truth, a: str, b: str) -> str:
    """exact, copy:<family kind>, burst (distinct shutter times), burst:same-time (frames of one second without
    sub-seconds: no rule can part them), scene (a reshoot from aside), real-scene, or unrelated."""
    ta, tb = truth[a], truth[b]
    if ta["source"] != tb["source"]:
        return "unrelated"
    roles = {ta["role"], tb["role"]}
    if roles <= {"original", "exact", "copy"}:
        kinds = sorted(t["kind"] for t in (ta, tb) if t["role"] == "copy")
        return "exact" if roles == {"original", "exact"} else f"copy:{kinds[-1]}" if kinds else "exact"
    if roles == {"burst"} and not shutter_times_differ(_time(truth, a), _time(truth, b)):
        return "burst:same-time"
    return roles.pop() if len(roles) == 1 else "unrelated"


def _time(truth: Truth, path: str) -> str | None:
    return truth[path].get("time") or shutter_time_of(path)


@cache
def shutter_time_of(path: str) -> str | None:
    with Image.open(path) as image:
        return read_metadata(image).captured_at


def _pairs(groups: Iterable[Iterable[str]]) -> set[Pair]:
    return {(a, b) if a < b else (b, a) for group in groups for a, b in combinations(sorted(set(group)), 2)}


def prf(predicted: set[Pair], positive: set[Pair], ignored: set[Pair] = frozenset()) -> tuple[float, float, float]:  # type: ignore[assignment]
    predicted = predicted - ignored
    hits = len(predicted & positive)
    precision = hits / len(predicted) if predicted else 1.0
    recall = hits / len(positive) if positive else 1.0
    return precision, recall, 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def all_pairs(truth: Truth) -> dict[Pair, str]:
    return {(a, b): pair_kind(truth, a, b) for a, b in combinations(sorted(truth), 2)}


def score_duplicates(groups: list[list[str]], truth: Truth) -> dict[str, object]:
    """Copy-level figures of the groups the Review shows as duplicates (any grouping of paths)."""
    kinds = all_pairs(truth)
    positive = {p for p, k in kinds.items() if k == "exact" or k.startswith("copy:")}
    predicted = {p for p in _pairs(groups) if p in kinds}
    together = {path: set(g) for g in groups for path in g}
    originals = {t["source"]: p for p, t in truth.items() if t["role"] == "original"}
    per_family: dict[str, list[bool]] = {}
    for path, facts in truth.items():
        if facts["role"] == "copy":
            name = facts["family"] if facts["kind"] != "combination" else "combination"
            per_family.setdefault(name, []).append(originals[facts["source"]] in together.get(path, set()))
    bursts_in_copies = sum(1 for p in predicted if kinds[p] == "burst")  # distinct times: must be none
    return {
        "prf": prf(predicted, positive),
        "family_recall": {name: sum(hits) / len(hits) for name, hits in per_family.items()},
        "burst_pairs_in_duplicates": bursts_in_copies,
        "confusions": Counter(kinds[p] for p in predicted),
    }


def score_similar(groups: list[list[str]], truth: Truth, only: str | None = None) -> tuple[float, float, float]:
    """Similar-tier P/R/F1: positives the burst pairs with distinct shutter times and reshoots (or only `only`);
    copy pairs and frames of one second (the copy tier's, since no rule can part them) are ignored."""
    kinds = all_pairs(truth)
    wanted = {only} if only else {"burst", "scene"}
    positive = {p for p, k in kinds.items() if k in wanted}
    ignored = {p for p, k in kinds.items() if k not in wanted and k != "unrelated"}
    return prf({p for p in _pairs(groups) if p in kinds}, positive, ignored)


def review_duplicates(library: Library, threshold: float | None = None) -> list[list[str]]:
    """Exact and copy groups merged per photo: a copy group with every file of the same bytes as a member, and
    exact groups of files that are in no copy group (until the Review shows one group per photo itself)."""
    by_hash: dict[str, list[str]] = {}
    for info in library.catalog.files.present():
        by_hash.setdefault(info.content_hash, []).append(info.path)
    merged = [
        sorted({p for m in g.members for p in by_hash[m.file.content_hash]})
        for g in library.groups(Tier.COPY, threshold)
    ]
    covered = {p for g in merged for p in g}
    exact = [[m.file.path for m in g.members] for g in library.groups(Tier.EXACT)]
    return merged + [g for g in exact if not covered & set(g)]


def similar_groups(library: Library) -> list[list[str]]:
    return [[m.file.path for m in g.members] for g in library.groups(Tier.SIMILAR)]


# --- Twinlens ------------------------------------------------------------------------------------------------


def scan(
    half: str, model: str, thresholds: dict[Tier, float] | None, reuse: bool, recalibrate: bool = False
) -> tuple[Library, list[str]]:
    """Scans a half with the model. The tuning half calibrates on its first scan, as the app does; the test half
    is given the tuning half's thresholds before its scan, so it never calibrates. With `reuse`, a library left by
    an earlier run is kept (the tuning half calibrated again with `recalibrate`), the test half is given the
    thresholds again, and either checks the cropped copies of its new band, as Library.scan does after a
    calibration."""
    library_dir = WORK / "libraries" / model / half
    if library_dir.exists() and not reuse:
        shutil.rmtree(library_dir)
    existed = library_dir.exists()
    library = Library(library_dir)
    if thresholds is not None:
        library.models.encoder(model)  # records the model id the thresholds are stored under
        for tier, value in thresholds.items():
            library.models.set_threshold(model, tier, value)
        library.models.set_calibrated(model, 0.995)
    if existed:
        lines = describe(calibrate(library.models, model)) if thresholds is None and recalibrate else []
        library._recheck_crops(model, NEVER_CANCELLED)
        return library, lines
    started = time.perf_counter()
    summary = library.scan(ScanRequest(roots=(WORK / "photos" / half,), model=model, workers=2))
    print(f"{half}: scanned {summary.seen} files with {model} in {time.perf_counter() - started:.0f} s")
    return library, list(summary.calibration)


# --- peers ---------------------------------------------------------------------------------------------------


def findimagedupes(half: str, threshold: int) -> list[list[str]]:
    folder = WORK / "photos" / half
    database = WORK / f"findimagedupes-{half}.db"
    command = ["findimagedupes", "-q", "-R", "-f", str(database), "-t", f"{threshold}%", str(folder)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return [line.split() for line in result.stdout.splitlines() if line.strip()]


IMAGEDEDUP_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from core.embed.torchvision_compat import ensure_torchvision_importable
ensure_torchvision_importable()
from imagededup.methods import DHash, PHash
out = {}
for name, method in (("phash", PHash(verbose=False)), ("dhash", DHash(verbose=False))):
    encodings = method.encode_images(image_dir=sys.argv[2], recursive=True)
    for distance in range(0, 25, 2):
        found = method.find_duplicates(encoding_map=encodings, max_distance_threshold=distance)
        out[f"{name}:{distance}"] = [[key, *values] for key, values in found.items() if values]
print(json.dumps(out))
"""


def peer_runs(half: str) -> dict[str, dict[str, list[list[str]]]]:
    runs: dict[str, dict[str, list[list[str]]]] = {}
    if shutil.which("findimagedupes"):
        runs["findimagedupes"] = {f"-t {t}%": findimagedupes(half, t) for t in range(70, 100, 2)}
    else:
        print("findimagedupes: skipped (not installed: apt-get install findimagedupes)")
    if not PEERS_PYTHON.exists():
        print(f"imagededup: skipped ({PEERS_PYTHON} missing)")
        return runs
    folder = WORK / "photos" / half
    result = subprocess.run(
        [str(PEERS_PYTHON), "-c", IMAGEDEDUP_SCRIPT, str(REPO), str(folder)], capture_output=True, text=True
    )
    if result.returncode != 0:
        print("imagededup failed:", result.stderr[-1500:])
        return runs
    for key, groups in json.loads(result.stdout.strip().splitlines()[-1]).items():
        method, distance = key.split(":")
        runs.setdefault(f"imagededup-{method}", {})[f"max_distance {distance}"] = [
            [str(folder / p) if not Path(p).is_absolute() else p for p in g] for g in groups
        ]
    return runs


def _resolve(groups: list[list[str]], truth: Truth) -> list[list[str]]:
    """Peers print the paths they were given; the truth holds them as written (both under WORK)."""
    return [[p for p in g if p in truth] for g in groups]


# --- report --------------------------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    print()


def report_families(name: str, figures: dict[str, object]) -> None:
    recall: dict[str, float] = figures["family_recall"]  # type: ignore[assignment]
    rows = []
    for family in families.FAMILIES:
        rows.append((family.name, family.kind, recall.get(family.name, float("nan")), family.ranges))
    rows.append(("combination", "combination", recall.get("combination", float("nan")), "two families of other kinds"))
    print(f"per-family recall, {name} (a copy counts when it is in one group with its original):")
    table(("family", "kind", "recall", "parameter ranges"), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="sscd", help="copy model (sscd, sscd-fast)")
    parser.add_argument("--rebuild", action="store_true", help="generate the photos again")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the libraries an earlier run scanned")
    parser.add_argument("--recalibrate", action="store_true", help="with --reuse: calibrate the tuning half again")
    args = parser.parse_args()
    truth = load_or_build(args.rebuild, args.seed)
    for half in HALVES:
        counts = Counter(t["role"] for t in truth[half].values())
        print(f"{half} half: {len(truth[half])} files {dict(counts)}")
    tuning, calibration = scan("tuning", args.model, None, args.reuse, args.recalibrate)
    print("\n".join(calibration) or "tuning half: no calibration ran")
    tuned = {tier: tuning.models.threshold(args.model, tier) for tier in (Tier.COPY, Tier.SIMILAR)}
    tuning.close()
    thresholds = {tier: value for tier, value in tuned.items() if value is not None}
    test, _ = scan("test", args.model, thresholds, args.reuse)
    print(f"thresholds in effect on the test half: { ({str(k): round(v, 4) for k, v in thresholds.items()}) }\n")
    report_twinlens(test, truth["test"], args.model, thresholds)
    if not args.no_peers:
        report_peers(truth)
    test.close()


def load_or_build(rebuild: bool, seed: int) -> dict[str, Truth]:
    paths = {half: WORK / f"truth-{half}.json" for half in HALVES}
    if not rebuild and all(p.exists() for p in paths.values()):
        return {half: json.loads(p.read_text()) for half, p in paths.items()}
    started = time.perf_counter()
    photos, scenes = sources()
    halves = split(photos, seed)
    truth = {half: build_half(half, halves[half], scenes, seed) for half in HALVES}
    print(f"yardstick built in {time.perf_counter() - started:.0f} s (seed {seed})")
    return truth


def report_twinlens(library: Library, truth: Truth, model: str, thresholds: dict[Tier, float]) -> None:
    shown = review_duplicates(library)
    duplicates = score_duplicates(shown, truth)
    similar = similar_groups(library) if Tier.SIMILAR in thresholds else []
    exact = [[m.file.path for m in g.members] for g in library.groups(Tier.EXACT)]
    exact_positive = {p for p, k in all_pairs(truth).items() if k == "exact"}
    rows = [
        ("exact", "-", *prf(_pairs(exact), exact_positive)),
        ("duplicates (exact + copy)", f"{thresholds[Tier.COPY]:.3f}", *duplicates["prf"]),  # type: ignore[misc]
        ("similar: bursts and reshoots", f"{thresholds.get(Tier.SIMILAR, 0):.3f}", *score_similar(similar, truth)),
        (
            "similar: generated bursts",
            f"{thresholds.get(Tier.SIMILAR, 0):.3f}",
            *score_similar(similar, truth, "burst"),
        ),
    ]
    print(f"Twinlens with {model}, test half, per tier (pairs of files):")
    table(("level", "threshold", "precision", "recall", "F1"), rows)
    report_families(f"Twinlens {model}", duplicates)
    print(f"burst pairs with distinct shutter times in one duplicates group: {duplicates['burst_pairs_in_duplicates']}")
    kinds = all_pairs(truth)
    similar_kinds = Counter(kinds[p] for p in _pairs(similar) if p in kinds)
    confusions(truth, duplicates["confusions"], similar_kinds)  # type: ignore[arg-type]
    sweep(library, truth)


def confusions(truth: Truth, in_duplicates: Counter[str], in_similar: Counter[str]) -> None:
    totals = Counter(all_pairs(truth).values())
    rows = [(kind, totals[kind], in_duplicates[kind], in_similar[kind]) for kind in sorted(totals)]
    print("confusions: pairs by what they are, and where they ended (test half):")
    table(("pair", "pairs", "in a duplicates group", "in a similar group"), rows)


def sweep(library: Library, truth: Truth) -> None:
    rows = []
    for threshold in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85):
        figures = score_duplicates(review_duplicates(library, threshold), truth)
        worst = min(figures["family_recall"].items(), key=lambda item: item[1])  # type: ignore[attr-defined]
        rows.append((threshold, *figures["prf"], f"{worst[0]} {worst[1]:.2f}", figures["burst_pairs_in_duplicates"]))  # type: ignore[misc]
    print("copy threshold sweep on the test half (for reading only: the threshold in effect is the tuning half's):")
    table(("threshold", "precision", "recall", "F1", "weakest family", "burst pairs"), rows)


def report_peers(truth: dict[str, Truth]) -> None:
    rows = []
    for name, tuning_runs in peer_runs("tuning").items():
        scored = {s: score_duplicates(_resolve(g, truth["tuning"]), truth["tuning"]) for s, g in tuning_runs.items()}
        setting = max(scored, key=lambda s: scored[s]["prf"][2])  # type: ignore[index]
        test_groups = _resolve(peer_runs_cache(name, setting), truth["test"])
        figures = score_duplicates(test_groups, truth["test"])
        similar = score_similar(test_groups, truth["test"], "burst")
        worst = min(figures["family_recall"].items(), key=lambda item: item[1])  # type: ignore[attr-defined]
        rows.append((name, setting, *figures["prf"], f"{worst[0]} {worst[1]:.2f}", similar[2]))  # type: ignore[misc]
        report_families(f"{name} {setting}", figures)
    print("peers on the test half (setting: best duplicates F1 on the tuning half):")
    table(("tool", "setting", "precision", "recall", "F1", "weakest family", "bursts F1"), rows)


_TEST_RUNS: dict[str, dict[str, list[list[str]]]] = {}


def peer_runs_cache(name: str, setting: str) -> list[list[str]]:
    if not _TEST_RUNS:
        _TEST_RUNS.update(peer_runs("test"))
    return _TEST_RUNS[name][setting]


if __name__ == "__main__":
    main()
