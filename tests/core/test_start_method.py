"""How decoder processes start: fork where it is safe (no other thread, no Qt application), spawn otherwise."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(sys.platform != "linux", reason="fork is used on Linux only")
def test_qt_imported_without_an_application_still_forks() -> None:
    """The bundle's PyInstaller hook imports QtCore in the CLI too; only a running application makes fork unsafe."""
    script = textwrap.dedent(
        """
        import PySide6.QtCore as QtCore
        from core.scan.pipeline import _start_method
        print(_start_method())
        app = QtCore.QCoreApplication([])
        print(_start_method())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["fork", "spawn"]
