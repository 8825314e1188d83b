"""Packaging files: AppStream metainfo validates, the .desktop entry launches the app with its icon, the spec parses."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.twinlens.Twinlens"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"


def required_tool(name: str) -> str | None:
    """The tool's path; None (skip) on a developer machine without it, but a failure on CI, which installs it."""
    path = shutil.which(name)
    if path is None and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{name} is missing on CI (install the Debian package that provides it)")
    return path


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_metainfo_validates_with_appstreamcli() -> None:
    appstreamcli = required_tool("appstreamcli")
    if appstreamcli is None:
        pytest.skip("appstreamcli is not installed (apt-get install appstream)")
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", str(METAINFO)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_names_the_app_and_its_desktop_file() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("provides/binary") == "twinlens"


def test_desktop_entry_starts_the_gui_with_the_app_icon() -> None:
    entry = desktop_entry()
    assert entry["Type"] == "Application"
    # Given any argument, `twinlens` runs the command line: the launcher must pass none (no %f/%F/%u/%U).
    assert entry["Exec"] == "twinlens"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert "Graphics" in entry["Categories"].split(";")


def test_desktop_file_validates_when_the_tool_is_there() -> None:
    tool = required_tool("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    result = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_icon_svg_and_256px_png_exist() -> None:
    svg = ET.parse(ROOT / "resources" / "twinlens.svg").getroot()
    assert svg.tag.endswith("svg") and svg.get("viewBox") == "0 0 256 256"
    with Image.open(ROOT / "resources" / "twinlens.png") as png:
        assert png.size == (256, 256) and png.mode == "RGBA"


def test_pyinstaller_spec_parses_and_points_at_real_files() -> None:
    text = (PACKAGING / "twinlens.spec").read_text(encoding="utf-8")
    compile(text, "twinlens.spec", "exec")
    assert 'ROOT / "app" / "__main__.py"' in text and (ROOT / "app" / "__main__.py").is_file()
    assert "HNSWLIB_NO_NATIVE=1" in text
    assert 'ROOT / "resources"' in text


def test_the_bundle_check_accepts_one_group_of_the_two_copies_and_nothing_else(tmp_path: Path) -> None:
    """packaging/try_photos.py is what decides whether the bundled binary grouped right (build_and_try.sh)."""
    script = [sys.executable, str(PACKAGING / "try_photos.py")]
    subprocess.run([*script, str(tmp_path)], check=True)
    assert (tmp_path / "a.jpg").read_bytes() == (tmp_path / "b.jpg").read_bytes() != (tmp_path / "c.jpg").read_bytes()

    def verdict(groups: list[list[str]]) -> int:
        listed = {"groups": [{"files": [{"path": str(tmp_path / name)} for name in group]} for group in groups]}
        (tmp_path / "groups.json").write_text(json.dumps(listed))
        return subprocess.run([*script, "--check-groups", str(tmp_path / "groups.json")], check=False).returncode

    assert verdict([["b.jpg", "a.jpg"]]) == 0
    assert verdict([]) == 1
    assert verdict([["a.jpg", "b.jpg"], ["a.jpg", "c.jpg"]]) == 1
    assert verdict([["a.jpg", "b.jpg", "c.jpg"]]) == 1


def test_the_app_and_the_cli_start_without_torch() -> None:
    """The no-torch bundle (TWINLENS_BUNDLE_NO_TORCH=1) relies on it: torch is imported only by a model that needs
    it."""
    code = (
        "import sys\n"
        "import app.gui, core.cli\n"
        "from core.entities import Tier\n"
        "from core.library import Library\n"
        "Library(sys.argv[1]).groups(Tier.EXACT)\n"
        "print(sorted(name for name in ('torch', 'torchvision', 'timm', 'open_clip') if name in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(Path(os.environ["TWINLENS_LIBRARY"]))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
