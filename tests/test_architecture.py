"""The layering rule: core never loads PySide6 (nor ui or app), whatever module of it is imported."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import core

ROOT = Path(__file__).resolve().parents[1]


def core_modules() -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(core.__path__, prefix="core."))


def test_core_has_modules() -> None:
    assert "core.scan.pipeline" in core_modules()


def test_importing_all_of_core_loads_no_qt_ui_or_app() -> None:
    script = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui', 'app'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"core loaded: {result.stdout.strip()}"
