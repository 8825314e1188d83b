"""hnswlib vs exact numpy search on clustered unit vectors (prints figures; not a test).

.venv/bin/python benchmarks/index_bench.py [--sizes 10000,100000] [--dim 384] [--queries 200]
    [--crossover-sizes 500,1000,2000,5000,10000,20000] [--ef 32,64,96]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.vectors.index import VectorIndex, build_index


def clustered_vectors(count: int, dim: int, clusters: int, seed: int) -> np.ndarray:
    """Photo embeddings cluster (events, near-duplicates); uniform random vectors would flatter the index."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    members = centres[rng.integers(0, clusters, count)]
    vectors = members + 0.6 * rng.standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def exact_top_k(matrix: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = matrix @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def median_ms(timings: list[float]) -> float:
    return float(np.median(timings) * 1000)


def hnsw_query_ms(index: VectorIndex, queries: np.ndarray, k: int) -> list[float]:
    timings = []
    for query in queries:
        start = time.perf_counter()
        index._hnsw_search(query.reshape(1, -1), k)
        timings.append(time.perf_counter() - start)
    return timings


def exact_query_ms(matrix: np.ndarray, queries: np.ndarray, k: int) -> list[float]:
    timings = []
    for query in queries:
        start = time.perf_counter()
        exact_top_k(matrix, query, k)
        timings.append(time.perf_counter() - start)
    return timings


def bench_size(size: int, dim: int, n_queries: int, ef_values: list[int]) -> None:
    import core.vectors.index as vector_index

    vectors = clustered_vectors(size + n_queries, dim, clusters=max(10, size // 100), seed=size)
    data, queries = vectors[:size], vectors[size:]
    start = time.perf_counter()
    index = build_index(Path(tempfile.mkdtemp()) / "bench.hnsw", np.arange(size), data)
    build_s = time.perf_counter() - start
    truth = [set(exact_top_k(data, q, 10).tolist()) for q in queries]
    print(f"n={size}: build {build_s:.1f} s; exact p50 {median_ms(exact_query_ms(data, queries, 10)):.3f} ms")
    for ef in ef_values:
        vector_index.HNSW_EF_SEARCH = ef
        found = [{label for label, _ in index._hnsw_search(q.reshape(1, -1), 10)[0]} for q in queries]
        recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth, strict=True)])
        print(f"  ef={ef:3d}: hnsw p50 {median_ms(hnsw_query_ms(index, queries, 10)):.3f} ms, recall@10 {recall:.4f}")


def crossover(sizes: list[int], dim: int, n_queries: int) -> None:
    print("crossover (one query, k=10): n, exact p50 ms, hnsw p50 ms")
    first_hnsw_win = None
    for size in sizes:
        vectors = clustered_vectors(size + n_queries, dim, clusters=max(10, size // 100), seed=size)
        data, queries = vectors[:size], vectors[size:]
        index = build_index(Path(tempfile.mkdtemp()) / "x.hnsw", np.arange(size), data)
        exact, hnsw = median_ms(exact_query_ms(data, queries, 10)), median_ms(hnsw_query_ms(index, queries, 10))
        print(f"  {size:7d} {exact:8.3f} {hnsw:8.3f}")
        if first_hnsw_win is None and hnsw < exact:
            first_hnsw_win = size
    print(f"hnswlib first faster at n={first_hnsw_win}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--crossover-sizes", default="500,1000,2000,5000,10000,20000")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", default="32,64,96")
    args = parser.parse_args()
    crossover([int(s) for s in args.crossover_sizes.split(",")], args.dim, args.queries)
    for size in (int(s) for s in args.sizes.split(",")):
        bench_size(size, args.dim, args.queries, [int(e) for e in args.ef.split(",")])
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
