"""Copy-detection quality of a real model (SSCD by default) on ../shared/bench.

Scans the benchmark photos with the model, then reports, per query image that has group mates:
rank-1 accuracy through the real query path (`twinlens query`: decode, embed on the fly, index search),
mean average precision from the stored vectors, pairwise precision/recall against the threshold, the best
pairwise F1, the lowest threshold with pairwise precision >= 0.995 (the copy threshold), and the cost of
storing vectors as float16 rather than float32.

    .venv/bin/python benchmarks/quality_bench.py [--model sscd|sscd-fast] [--weights FILE]
        [--onnx-resize stretch|centre-crop]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.embed import registry
from core.entities import ScanRequest
from core.library import Library
from core.scan.decode import decode_image

BENCH = (Path(__file__).resolve().parents[2] / "shared" / "bench").resolve()  # the library stores resolved paths
MODEL = "sscd"
TARGET_PRECISION = 0.995


def groundtruth() -> dict[str, str]:
    with open(BENCH / "groundtruth.csv", newline="") as handle:
        return {str(BENCH / row["path"]): row["group"] for row in csv.DictReader(handle)}


def kinds() -> dict[str, str]:
    with open(BENCH / "groundtruth.csv", newline="") as handle:
        return {str(BENCH / row["path"]): row["kind"] for row in csv.DictReader(handle)}


# Group mates that are other shots of a scene, not copies of one photo: left out of the copy-level figures.
NOT_COPY_KINDS = {"same-scene", "stereo-pair", "crop/reshoot"}


def average_precision(ranked_relevant: list[bool], total_relevant: int) -> float:
    hits, precision_sum = 0, 0.0
    for rank, relevant in enumerate(ranked_relevant, start=1):
        if relevant:
            hits += 1
            precision_sum += hits / rank
    return precision_sum / total_relevant if total_relevant else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=MODEL, help=f"a registered model (default {MODEL})")
    parser.add_argument("--weights", type=Path, default=None, help="weights file (default: the packaged ones)")
    parser.add_argument(
        "--onnx-resize",
        choices=["stretch", "centre-crop"],
        default=None,
        help="try another way of fitting photos into an ONNX model's square input (default: the registry's)",
    )
    args = parser.parse_args()
    model = args.model
    if args.onnx_resize is not None:  # a what-if for this run only: the registry's entry is replaced in memory
        spec = registry.get_spec(model)
        registry._REGISTRY[model] = dataclasses.replace(spec, onnx_resize=args.onnx_resize)
    truth = groundtruth()
    with tempfile.TemporaryDirectory() as library_dir:
        library = Library(library_dir)
        started = time.perf_counter()
        summary = library.scan(ScanRequest(roots=(BENCH / "photos",), model=model, weights=args.weights))
        spec = registry.get_spec(model)
        print(
            f"scan with {model} ({spec.input_size} px, {spec.onnx_resize}): {summary.embedded} photos embedded "
            f"in {time.perf_counter() - started:.1f} s"
        )
        report(library, truth, model)
        library.close()


def report(library: Library, truth: dict[str, str], model: str = MODEL) -> None:
    store = library.models.store(model)
    assert store is not None
    ids, vectors = store.vectors()
    files = library.catalog.files.by_ids(ids.tolist())
    paths = [files[int(i)].path for i in ids]
    groups = [truth.get(p, p) for p in paths]
    queries = [i for i, g in enumerate(groups) if groups.count(g) > 1]

    rank1_hits, started = 0, time.perf_counter()
    for i in queries:
        results = library.models.query_image(Path(paths[i]), model, k=1)
        rank1_hits += bool(results) and truth.get(results[0].file.path) == groups[i]
    per_query_ms = (time.perf_counter() - started) / len(queries) * 1000
    print(f"queries with group mates: {len(queries)}")
    print(f"rank-1 is a group mate (real query path): {rank1_hits / len(queries):.3f} ({per_query_ms:.0f} ms/query)")

    scores = vectors @ vectors.T
    aps = []
    for i in queries:
        order = [j for j in np.argsort(-scores[i]) if j != i]
        relevant = [groups[j] == groups[i] for j in order]
        aps.append(average_precision(relevant, sum(relevant)))
    print(f"mAP over those queries: {np.mean(aps):.3f}")

    upper = np.triu_indices(len(paths), k=1)
    same = np.array([groups[a] == groups[b] for a, b in zip(*upper, strict=True)])
    pair_scores = scores[upper]
    print(f"pairs: {same.sum()} positive of {len(same)}")
    print("threshold  precision  recall")
    for threshold in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        predicted = pair_scores >= threshold
        true_pos = (predicted & same).sum()
        precision = true_pos / predicted.sum() if predicted.sum() else 1.0
        print(f"  {threshold:.2f}     {precision:.3f}      {true_pos / same.sum():.3f}")
    best_f1, best_at = best_pairwise_f1(pair_scores, same)
    print(f"best pairwise F1 (group mates): {best_f1:.4f} at threshold {best_at:.3f}")
    # Copy level: positives are group mates that are copies of one photo; mates that are other shots are ignored.
    kind_of = kinds()
    other_shot = np.array([kind_of.get(paths[i], "") in NOT_COPY_KINDS for i in range(len(paths))])
    pairs_a, pairs_b = upper
    counted = ~(same & (other_shot[pairs_a] | other_shot[pairs_b]))
    copy_scores, copy_same = pair_scores[counted], same[counted]
    best_f1, best_at = best_pairwise_f1(copy_scores, copy_same)
    print(f"copy level: {copy_same.sum()} positive pairs; best F1 {best_f1:.4f} at threshold {best_at:.3f}")
    for label, (level_scores, level_same) in {
        "group mates": (pair_scores, same),
        "copies": (copy_scores, copy_same),
    }.items():
        at, precision, recall = threshold_for_precision(level_scores, level_same, TARGET_PRECISION)
        print(
            f"{label}: lowest threshold with pairwise precision >= {TARGET_PRECISION}: {at:.3f} "
            f"(precision {precision:.3f}, recall {recall:.3f}); highest-scoring non-mate pair "
            f"{level_scores[~level_same].max():.3f}"
        )

    sample = list(range(0, len(paths), max(1, len(paths) // 40)))
    encoder = library.models.encoder(model)
    fresh = np.concatenate(
        [encoder.embed_images([decode_image(Path(paths[i]).read_bytes(), Path(paths[i]).suffix)[0]]) for i in sample]
    )
    stored = vectors[sample]
    difference = np.abs(fresh @ fresh.T - stored @ stored.T).max()
    print(
        f"float16 storage: {vectors.shape[1] * 2} bytes/vector (float32: {vectors.shape[1] * 4}); "
        f"max change of a pairwise cosine vs float32 over {len(sample)} photos: {difference:.1e}"
    )


def _sweep(pair_scores: np.ndarray, same: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each distinct score as a threshold (pairs scoring >= it are predicted copies): precision and recall there."""
    order = np.argsort(-pair_scores, kind="stable")
    ranked_scores, ranked_same = pair_scores[order], same[order]
    true_pos = np.cumsum(ranked_same)
    predicted = np.arange(1, len(ranked_same) + 1)
    last_of_score = np.r_[ranked_scores[1:] != ranked_scores[:-1], True]  # ties all go in together
    thresholds = ranked_scores[last_of_score]
    return thresholds, (true_pos / predicted)[last_of_score], (true_pos / max(1, same.sum()))[last_of_score]


def best_pairwise_f1(pair_scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    thresholds, precision, recall = _sweep(pair_scores, same)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / np.maximum(precision + recall, 1e-12), 0.0)
    best = int(np.argmax(f1))
    return float(f1[best]), float(thresholds[best])


def threshold_for_precision(pair_scores: np.ndarray, same: np.ndarray, target: float) -> tuple[float, float, float]:
    """The lowest threshold whose pairwise precision is >= target (most recall at that precision)."""
    thresholds, precision, recall = _sweep(pair_scores, same)
    meets = np.flatnonzero(precision >= target)
    if not len(meets):
        return float("inf"), 1.0, 0.0
    at = int(meets[-1])
    return float(thresholds[at]), float(precision[at]), float(recall[at])


if __name__ == "__main__":
    main()
