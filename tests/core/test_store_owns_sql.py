"""The store is the only code that runs SQL: nothing outside core/store holds a query, reaches for the catalog's
connection, or reads a setting by its key string (core/store/settings.py has one accessor per setting)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "core" / "store"
FORBIDDEN = re.compile(
    r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b"  # SQL
    r"|\w\.db\b|\.execute(many)?\(|\bsqlite_utils\b"  # the connection
    r"|\b(get|set)_setting\b|\.query\("  # the old pass-throughs
)


def outside_the_store() -> list[Path]:
    files = [*(ROOT / "core").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), *(ROOT / "app").rglob("*.py")]
    return sorted(f for f in files if STORE not in f.parents)


def test_no_sql_outside_the_store() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in outside_the_store()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert not found, "SQL outside core/store:\n" + "\n".join(found)


def test_each_setting_key_is_written_once() -> None:
    source = (STORE / "settings.py").read_text(encoding="utf-8")
    keys = re.findall(r'_Stored(?:Or)?\[[^\]]+\]\]?\("([^"]+)"', source) + re.findall(r'return f"(\w+):', source)
    assert len(keys) >= 12
    assert len(keys) == len(set(keys)), sorted(keys)
    for key in keys:
        assert source.count(f'"{key}') == 1, key
