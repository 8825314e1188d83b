"""Log files (core/logs.py): the CLI's scan, trash and undo land in its log; native crashes in the crash file; old
files are pruned without touching recent ones."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.cli import main as cli_main
from core.logs import KEEP_DAYS, KEEP_FILES, LOG_DIR_ENV, log_dir, prune, setup_logging, stop_logging
from tests.images import save_photo

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def logs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "logs"
    monkeypatch.setenv(LOG_DIR_ENV, str(folder))
    yield folder
    stop_logging()


@pytest.fixture
def two_copies(tmp_path: Path) -> Path:
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg", 1, (320, 240))
    shutil.copyfile(photos / "a.jpg", photos / "b.jpg")
    save_photo(photos / "c.jpg", 2, (320, 240))
    return photos


def only_log(folder: Path, kind: str) -> str:
    (path,) = folder.glob(f"{kind}-*.log")
    return path.read_text(encoding="utf-8")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG state folder is Linux's")
def test_the_default_folder_is_the_platforms_user_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOG_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert log_dir() == tmp_path / "state" / "Twinlens" / "log"


def test_a_cli_scan_trash_and_undo_are_in_the_cli_log(logs: Path, two_copies: Path, tmp_path: Path) -> None:
    library = str(tmp_path / "library")
    (two_copies / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    assert cli_main(["scan", str(two_copies), "--no-embed", "--library", library]) == 0
    assert cli_main(["trash", "--group-tier", "exact", "--extras", "--yes", "--library", library]) == 0
    assert cli_main(["undo", "--library", library]) == 0
    text = only_log(logs, "cli")  # one process, one file, however many commands it ran
    assert f"scan of {two_copies.resolve()} started (model: none)" in text
    assert "scan done: scan_id 1 seen 4 new 3 changed 0 unchanged 0 removed 0 moved 0 problems 1" in text
    assert "scan 1: 1 problem(s) (corrupt 1)" in text
    trashed = [line for line in text.splitlines() if "INFO twinlens.library: trash batch " in line]
    assert len(trashed) == 1 and trashed[0].endswith(": 1 trashed, 0 failed, 0 lost")
    batch = trashed[0].split(" trash batch ")[1].split(":")[0]
    assert f"undo of trash batch {batch}: 1 restored, 0 failed" in text


def run_twinlens(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "app", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_cli_process_leaves_its_log_and_no_crash_file(logs: Path, two_copies: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert run_twinlens(env, "scan", str(two_copies), "--no-embed").returncode == 0
    assert run_twinlens(env, "groups").returncode == 0
    assert len(list(logs.glob("cli-*.log"))) == 2  # a file per process: nothing is shared or renamed
    assert not list(logs.glob("*.crash"))  # clean exits remove their empty crash files
    scan_log = next(path for path in logs.glob("cli-*.log") if "scan done" in path.read_text())
    assert "scan done: scan_id 1 seen 3 new 3" in scan_log.read_text()


def test_an_uncaught_exception_in_the_cli_is_logged_with_its_traceback(logs: Path) -> None:
    code = (
        "from core.logs import setup_logging\nsetup_logging('cli')\ndef deep():\n    raise ValueError('boom')\ndeep()"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 1 and "ValueError: boom" in result.stderr  # the console still shows it
    text = only_log(logs, "cli")
    assert "CRITICAL twinlens.uncaught: uncaught ValueError: boom" in text
    assert "in deep" in text and "Traceback (most recent call last)" in text


def test_a_native_crash_lands_in_the_crash_file(logs: Path) -> None:
    code = "from core.logs import setup_logging\nsetup_logging('cli')\nimport faulthandler\nfaulthandler._sigsegv()"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    (crash,) = logs.glob("cli-*.crash")
    assert "Fatal Python error: Segmentation fault" in crash.read_text()
    assert crash.stem == next(logs.glob("cli-*.log")).stem  # the crash file names its log


def test_setting_up_twice_keeps_one_file_and_a_new_folder_moves_it(
    logs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = setup_logging("cli")
    assert setup_logging("cli") == first
    monkeypatch.setenv(LOG_DIR_ENV, str(tmp_path / "elsewhere"))
    moved = setup_logging("cli")
    assert moved.folder == tmp_path / "elsewhere" and moved.log.exists()
    assert not first.crash.exists()  # empty, closed with its log


def touch(path: Path, age_days: float) -> None:
    path.write_text("x")
    when = time.time() - age_days * 86400
    os.utime(path, (when, when))


def test_prune_keeps_the_newest_and_the_recent(tmp_path: Path) -> None:
    old = [tmp_path / f"cli-2026010{day}-000000-1.log" for day in range(1, 4)]
    for path in old:
        touch(path, KEEP_DAYS + 1)
    newer = [tmp_path / f"cli-202602{day:02d}-000000-1.log" for day in range(1, KEEP_FILES + 1)]
    for path in newer:
        touch(path, 0)
    recent_but_not_newest = tmp_path / "cli-20251201-000000-9.log"
    touch(recent_but_not_newest, 0)  # an old start, but still being written (a long scan)
    app_log = tmp_path / "app-20250101-000000-1.log"
    touch(app_log, KEEP_DAYS + 1)
    assert sorted(prune(tmp_path, "cli")) == old
    assert recent_but_not_newest.exists() and app_log.exists()  # another kind is pruned by its own starts
    assert all(path.exists() for path in newer)


def test_a_log_folder_that_cannot_be_written_costs_only_the_log(
    logs: Path, two_copies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the log folder should be")
    monkeypatch.setenv(LOG_DIR_ENV, str(blocked / "logs"))
    assert setup_logging("cli") is None
    assert cli_main(["scan", str(two_copies), "--no-embed", "--library", str(tmp_path / "library")]) == 0
    assert f"no log file for this run: cannot write to {blocked / 'logs'}" in capsys.readouterr().err
