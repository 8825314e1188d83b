"""Regrouping speed: Library.groups(COPY / SIMILAR) at a new threshold over 100,000 files, no model.

A temporary library gets 100,000 file rows, a float16 vector per file and 16 stored neighbours per file
(a share of the files, 15 % by default, in clusters of 2-8 near copies; every file also linked to random
others at low scores), as a scan would leave them. Then the copy and similar tiers are grouped at several
thresholds. Every call is a regroup with no model and no index query: it reads the stored pairs at or above its
threshold (a range scan of the score index; kept until the database changes, and reused for higher
thresholds), then clusters them.

    .venv/bin/python benchmarks/regroup_bench.py [--files 100000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.entities import Tier
from core.library import Library
from core.vectors.store import encode_vector

MODEL_ID = "bench-model"
DIM = 64
K = 16


def fill(library: Library, count: int, rng: np.random.Generator, grouped: float = 0.15) -> None:
    db = library.catalog.db.conn
    scan = library.catalog.scans.start(["/bench"])
    files = (
        (i, f"/bench/{i // 1000:03d}/IMG_{i:06d}.jpg", 1000 + i, i, f"{i:064x}", 4000, 3000, "JPEG", scan, scan)
        for i in range(1, count + 1)
    )
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO files (id, path, size, mtime_ns, content_hash, width, height, format, last_scan, first_scan, "
        "status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'present')",
        files,
    )
    vectors = rng.standard_normal((count, DIM)).astype(np.float32)
    cluster = np.repeat(np.arange(count), rng.integers(2, 9, count))[:count]
    alone = rng.random(count) >= grouped  # most photos have no near copy: a cluster of their own
    cluster = np.where(alone, count + np.arange(count), cluster)
    cluster = np.unique(cluster, return_inverse=True)[1]
    centres = rng.standard_normal((count, DIM)).astype(np.float32)
    vectors = centres[cluster] + 0.25 * vectors
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    db.executemany(
        "INSERT INTO embeddings (file_id, model_id, vector, linked) VALUES (?, ?, ?, 1)",
        ((i + 1, MODEL_ID, encode_vector(v)) for i, v in enumerate(vectors)),
    )
    pairs = []
    ids = np.arange(count)
    for offset in range(1, K + 1):
        other = (ids + offset) % count
        same = cluster[other] == cluster[ids]
        random_other = rng.integers(0, count, count)
        other = np.where(same, other, random_other)
        scores = np.where(same, (vectors[ids] * vectors[other]).sum(1), rng.uniform(0.5, 0.62, count))
        keep = other != ids
        pairs.extend(zip((ids[keep] + 1).tolist(), (other[keep] + 1).tolist(), scores[keep].tolist(), strict=True))
    library.catalog.neighbours.add(MODEL_ID, pairs)
    db.execute("COMMIT")
    library.catalog.settings.active_model = "sscd"
    library.catalog.settings.set_model_id("sscd", MODEL_ID)
    library.catalog.settings.set_dim("sscd", DIM)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--grouped", type=float, default=0.15, help="share of files with near copies (1.0: worst case)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(Path(tmp) / "library")
        started = time.perf_counter()
        fill(library, args.files, np.random.default_rng(0), args.grouped)
        print(f"{args.files} files, {K} neighbours each: built in {time.perf_counter() - started:.1f} s")
        for tier, thresholds in ((Tier.COPY, (0.85, 0.9, 0.8)), (Tier.SIMILAR, (0.6, 0.65, 0.7))):
            for threshold in thresholds:
                started = time.perf_counter()
                groups = library.groups(tier, threshold)
                seconds = time.perf_counter() - started
                files = sum(len(g.members) for g in groups)
                print(f"{tier:8} threshold {threshold:.2f}: {len(groups):6} groups, {files:6} files, {seconds:.3f} s")
        library.close()


if __name__ == "__main__":
    main()
