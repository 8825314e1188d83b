"""Photos for packaging/build_and_try.sh, and its check of what the bundle's `groups --json` printed.

try_photos.py DIR                   # writes a.jpg, b.jpg (the same bytes) and c.jpg (another photo)
try_photos.py --check-groups FILE   # exits 1 unless FILE lists exactly one group: a.jpg and b.jpg
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

from PIL import Image


def noise_photo(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (64, 48), bytes(rng.randrange(256) for _ in range(64 * 48 * 3)))
    small.resize((640, 480)).save(path, quality=90)


def write_photos(folder: Path) -> None:
    noise_photo(folder / "a.jpg", seed=1)
    shutil.copyfile(folder / "a.jpg", folder / "b.jpg")
    noise_photo(folder / "c.jpg", seed=2)


def check_groups(groups_json: Path) -> int:
    groups = json.loads(groups_json.read_text())["groups"]
    names = [sorted(Path(file["path"]).name for file in group["files"]) for group in groups]
    print(f"groups: {names}")
    return 0 if names == [["a.jpg", "b.jpg"]] else 1


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check-groups"]:
        return check_groups(Path(argv[1]))
    write_photos(Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
