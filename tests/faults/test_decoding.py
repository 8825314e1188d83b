"""Bad input gets a clear error and the scan goes on: decoders that crash, hang or are orphaned, files that are
not photos or far too large, strips that would blow up a model's preprocessing, and read errors that pass.

Faults are injected into the decoder processes by patching `core.scan.decode` in the scanning process before its
workers fork (the scan is made to fork, as it does outside Qt), or in a subprocess where the fault would take
the test process down with it on code that decodes in the calling process.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

import core.scan.decode
import core.scan.pipeline
from core.embed import build_encoder
from core.entities import ScanRequest
from core.library import Library
from tests.images import save_photo

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="faults are injected through fork and /proc")
ROOT = Path(__file__).resolve().parents[2]
CRASH_MARK = b"twinlens-test-crash-the-decoder"
HANG_MARK = b"twinlens-test-hang-the-decoder"
TINY_DINOV2: dict[str, Any] = {
    "timm_name": "vit_small_patch14_dinov2",
    "timm_kwargs": {"depth": 2, "embed_dim": 64, "num_heads": 2, "img_size": 56},
}
TINY_CLIP: dict[str, Any] = {
    "open_clip_arch": "twinlens-tiny-clip",
    "open_clip_model_cfg": {
        "embed_dim": 32,
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16},
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    },
}
# Run in a subprocess: decode_image kills its process on files carrying CRASH_MARK (as a native codec crash or
# the OOM killer would), logging each crash to argv[3]; then a scan of argv[1] into the library argv[2].
CRASHING_SCAN = textwrap.dedent(
    """
    import json, os, resource, signal, sys
    import core.scan.decode
    from core.entities import ScanRequest
    from core.library import Library

    real = core.scan.decode.decode_image

    def crashing(data, *args, **kwargs):
        if MARK in data:
            with open(sys.argv[3], "a") as log:
                log.write("crash\\n")
            os.kill(os.getpid(), signal.SIGKILL)
        return real(data, *args, **kwargs)

    core.scan.decode.decode_image = crashing
    library = Library(sys.argv[2])
    rows = []
    for workers in (None, 1):
        summary = library.scan(ScanRequest(roots=(sys.argv[1],), workers=workers))
        rows.append({"new": summary.new, "problems": summary.problems})
    # This process: its own high-water mark (ru_maxrss would carry over the pytest process it was forked from).
    hwm_kb = int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])
    peak_kb = max(hwm_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    print(json.dumps({
        "scans": rows,
        "present": sorted(os.path.basename(f.path) for f in library.catalog.files.present()),
        "problems": {os.path.basename(p.path): [p.code, p.reason] for p in library.problems()},
        "peak_kb": peak_kb,
    }))
    """
).replace("MARK", repr(CRASH_MARK))


def run_scan_subprocess(folder: Path, tmp_path: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_SCAN, str(folder), str(tmp_path / "lib"), str(tmp_path / "crashes.log")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"the scanning process died ({result.returncode}): {result.stderr[-2000:]}"
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def marked_photo(path: Path, seed: int, mark: bytes) -> Path:
    """A valid JPEG with the mark after its end (decoders ignore trailing bytes)."""
    save_photo(path, seed)
    with open(path, "ab") as handle:
        handle.write(mark)
    return path


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fork from this process (as outside Qt), so they inherit the faults patched in here."""
    monkeypatch.setattr(core.scan.pipeline, "_start_method", lambda: "fork")


@pytest.fixture
def crash_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forking: None) -> Path:
    log = tmp_path / "crashes.log"
    real = core.scan.decode.decode_image

    def crashing(data: bytes, *args: Any, **kwargs: Any) -> Any:
        if CRASH_MARK in data:
            with open(log, "a") as handle:
                handle.write("crash\n")
            os.kill(os.getpid(), signal.SIGKILL)
        if HANG_MARK in data:
            time.sleep(20)
        return real(data, *args, **kwargs)

    monkeypatch.setattr(core.scan.decode, "decode_image", crashing)
    return log


def crashes(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


# --- decoders that die or hang --------------------------------------------------------------------------------


def test_a_decoder_killed_mid_scan_costs_only_its_file(library: Library, tmp_path: Path, crash_log: Path) -> None:
    folder = tmp_path / "photos"
    good = [save_photo(folder / f"p{i:02d}.jpg", seed=i) for i in range(12)]
    bad = marked_photo(folder / "p05b.jpg", 50, CRASH_MARK)
    first = library.scan(ScanRequest(roots=(folder,), workers=2))
    assert not first.cancelled and first.new == 12
    problems = {p.path: p for p in library.problems()}
    assert problems[str(bad)].code == "decoder-crashed"
    assert "crashed on this file (signal 9" in problems[str(bad)].reason
    assert {f.path for f in library.catalog.files.present()} == {str(p) for p in good}
    assert crashes(crash_log) == 2  # tried once more alone before it was blamed

    second = library.scan(ScanRequest(roots=(folder,), workers=2))
    assert (second.new, second.unchanged, second.problems) == (0, 12, 1)
    assert crashes(crash_log) == 2  # unchanged since it crashed the decoder: not tried again


def test_a_crash_in_a_small_scan_does_not_take_the_scanning_process_down(tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    save_photo(folder / "a.jpg", seed=1)
    save_photo(folder / "b.jpg", seed=2)
    marked_photo(folder / "c.jpg", 3, CRASH_MARK)
    answer = run_scan_subprocess(folder, tmp_path)
    assert answer["present"] == ["a.jpg", "b.jpg"]
    code, reason = answer["problems"]["c.jpg"]
    assert code == "decoder-crashed" and "signal 9" in reason
    assert answer["scans"] == [{"new": 2, "problems": 1}, {"new": 0, "problems": 1}]
    assert crashes(tmp_path / "crashes.log") == 2


def test_a_hung_decoder_is_stopped_and_its_file_reported(
    library: Library, tmp_path: Path, crash_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core.scan.pipeline, "DECODE_SECONDS", 1.0, raising=False)
    folder = tmp_path / "photos"
    for i in range(9):
        save_photo(folder / f"p{i}.jpg", seed=i)
    hung = marked_photo(folder / "hung.jpg", 40, HANG_MARK)
    started = time.monotonic()
    summary = library.scan(ScanRequest(roots=(folder,), workers=2))
    assert time.monotonic() - started < 15
    assert summary.new == 9
    problem = {p.path: p for p in library.problems()}[str(hung)]
    assert problem.code == "decoder-timeout" and "longer than 1 s" in problem.reason


def test_decoders_die_with_a_killed_scan(tmp_path: Path) -> None:
    """A real CLI scan (`python -m app scan`, decoding slowed down) is killed with SIGKILL mid-read: its decoder
    processes must go too, not keep reading the user's disk as orphans."""
    folder = tmp_path / "photos"
    for i in range(40):
        save_photo(folder / f"p{i:02d}.jpg", seed=i, size=(160, 120))
    script = textwrap.dedent(
        """
        import sys, time
        import core.scan.decode
        real = core.scan.decode.decode_image
        def slow(*args, **kwargs):
            time.sleep(0.3)
            return real(*args, **kwargs)
        core.scan.decode.decode_image = slow
        from app.__main__ import main
        sys.exit(main(sys.argv[1:]))
        """
    )
    argv = ["scan", str(folder), "--library", str(tmp_path / "lib"), "--no-embed", "--workers", "2", "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cli = subprocess.Popen([sys.executable, "-c", script, *argv], cwd=ROOT, env=env)
    children: dict[int, str] = {}
    try:
        deadline = time.monotonic() + 60
        while len(children) < 2 and time.monotonic() < deadline and cli.poll() is None:
            children = children_of(cli.pid)
            time.sleep(0.05)
        assert len(children) >= 2, "the scan did not start its decoders"
        time.sleep(0.5)  # mid-read
        assert cli.poll() is None, "the scan finished before it could be killed"
        children.update(children_of(cli.pid))
        cli.send_signal(signal.SIGKILL)
        cli.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and surviving(children):
            time.sleep(0.1)
        assert not surviving(children), f"decoders outlived the killed scan: {sorted(surviving(children))}"
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        for pid in surviving(children):  # only the processes this test started
            os.kill(pid, signal.SIGKILL)


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the state on (the name may hold spaces)


def children_of(parent: int) -> dict[int, str]:
    """{pid: start time} of the live children of a process, from /proc/*/stat."""
    found: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None and int(fields[1]) == parent and fields[0] != "Z":
                found[int(entry)] = fields[19]
    return found


def surviving(processes: dict[int, str]) -> set[int]:
    """Those still running (a zombie waiting for a reaper is dead; a reused pid has another start time)."""
    alive = set()
    for pid, started in processes.items():
        fields = _stat(pid)
        if fields is not None and fields[0] != "Z" and fields[19] == started:
            alive.add(pid)
    return alive


# --- files that are no photo, or too large ---------------------------------------------------------------------


def sparse(path: Path, header: bytes, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.write(header)
        handle.truncate(size)
    return path


MP4_HEADER = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
MPEG_PS_HEADER = b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8"


def test_large_non_photos_are_refused_without_being_read_whole(tmp_path: Path) -> None:
    """300 MB videos under an image name and under an extension the skip list does not know, and a 1.1 GiB
    "JPEG": each refused from its first bytes or its size, while no process of the scan grows by their size."""
    folder = tmp_path / "photos"
    save_photo(folder / "a.jpg", seed=1)
    sparse(folder / "movie.jpg", MP4_HEADER, 300 << 20)
    sparse(folder / "clip.vid", MPEG_PS_HEADER, 300 << 20)
    sparse(folder / "huge.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", (1 << 30) + (100 << 20))
    answer = run_scan_subprocess(folder, tmp_path)
    assert answer["peak_kb"] < 250_000, f"a process of the scan reached {answer['peak_kb'] // 1024} MB"
    assert answer["present"] == ["a.jpg"]
    problems = answer["problems"]
    assert problems["movie.jpg"] == ["not-image", "not a photo: a video or other ISO media file"]
    assert problems["clip.vid"] == ["not-image", "not a photo: a video file"]
    assert problems["huge.jpg"][0] == "too-large" and "MiB" in problems["huge.jpg"][1]


def test_decoding_a_user_file_checks_its_header_before_reading_it(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.scan.decode import DecodeError, decode_user_file

    movie = sparse(tmp_path / "movie.jpg", MP4_HEADER, 300 << 20)
    read: list[int] = []
    real_open = open

    class Counting:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def __enter__(self) -> Counting:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def read(self, size: int = -1) -> bytes:
            data: bytes = self.handle.read(size)
            read.append(len(data))
            return data

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

    monkeypatch.setattr(core.scan.decode, "open", lambda *a, **k: Counting(real_open(*a, **k)), raising=False)
    with pytest.raises(DecodeError, match="video"):
        decode_user_file(movie)
    assert sum(read) <= 4096
    with pytest.raises(ValueError, match="not a photo: a video"):
        library.models.query_image(movie, "dinov2-small")
    strip = tmp_path / "strip.png"
    Image.new("RGB", (6000, 1), (10, 20, 30)).save(strip)
    with pytest.raises(DecodeError, match="6000×1"):
        decode_user_file(strip, full=True)


# --- strips through the models --------------------------------------------------------------------------------


@pytest.fixture
def resize_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pixel counts of every PIL resize in this process (the models' transforms resize with PIL)."""
    sizes: list[int] = []
    real = Image.Image.resize

    def resize(self: Image.Image, size: Any, *args: Any, **kwargs: Any) -> Image.Image:
        sizes.append(int(size[0]) * int(size[1]))
        return real(self, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", resize)
    return sizes


def tiny_encoder(name: str) -> Any:
    torch.manual_seed(0)
    return build_encoder(name, pretrained=False, **(TINY_DINOV2 if name == "dinov2-small" else TINY_CLIP))


MODELS = ["dinov2-small", "clip-b32"]
MAX_RESIZE_PIXELS = 1_000_000


@pytest.mark.parametrize("model", MODELS)
def test_encoders_bound_thin_strips_before_their_transforms(model: str, resize_sizes: list[int]) -> None:
    encoder = tiny_encoder(model)
    images = [Image.new("RGB", (1, 6000), (200, 30, 30)), Image.new("RGB", (6000, 1), (30, 200, 30))]
    images.append(Image.new("RGB", (4, 180), (30, 30, 200)))  # 45:1, within the decoder's bound
    vectors = encoder.embed_images(images)
    assert vectors.shape == (3, encoder.dim) and np.isfinite(vectors).all()
    assert max(resize_sizes) <= MAX_RESIZE_PIXELS, f"a transform resized to {max(resize_sizes):,} pixels"


@pytest.mark.parametrize("model", MODELS)
def test_thin_strips_in_a_model_scan_are_refused_with_a_reason(
    library: Library, tmp_path: Path, resize_sizes: list[int], model: str
) -> None:
    library.models.use_encoder(model, tiny_encoder(model))
    folder = tmp_path / "photos"
    for i in range(6):
        save_photo(folder / f"p{i}.jpg", seed=i)
    Image.new("RGB", (1, 6000), (200, 30, 30)).save(folder / "tall.png")
    Image.new("RGB", (6000, 1), (30, 200, 30)).save(folder / "wide.png")
    summary = library.scan(ScanRequest(roots=(folder,), model=model, workers=2))
    assert summary.new == 6 and summary.embedded == 6
    problems = {Path(p.path).name: p for p in library.problems()}
    assert problems["tall.png"].code == problems["wide.png"].code == "odd-shape"
    assert "1×6000" in problems["tall.png"].reason and "50:1" in problems["wide.png"].reason
    assert max(resize_sizes, default=0) <= MAX_RESIZE_PIXELS


# --- read errors that pass -------------------------------------------------------------------------------------


@pytest.fixture
def flaky_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forking: None) -> Callable[[Path], None]:
    """fail_once(path): the next read of that file, in whichever decoder process, raises EIO."""
    markers = tmp_path / "eio"
    markers.mkdir()
    real_open = open

    class Flaky:
        def __init__(self, handle: Any, marker: Path) -> None:
            self.handle, self.marker = handle, marker

        def __enter__(self) -> Flaky:
            return self

        def __exit__(self, *exc: object) -> None:
            self.handle.close()

        def read(self, size: int = -1) -> bytes:
            try:
                self.marker.unlink()
            except FileNotFoundError:
                data: bytes = self.handle.read(size)
                return data
            raise OSError(errno.EIO, "Input/output error")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

    def flaky_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        return Flaky(real_open(file, *args, **kwargs), markers / Path(os.fsdecode(file)).name)

    monkeypatch.setattr(core.scan.decode, "open", flaky_open, raising=False)
    return lambda path: (markers / path.name).touch()


def test_a_read_error_keeps_the_photo_and_the_next_scan_tries_again(
    library: Library, tmp_path: Path, flaky_reads: Callable[[Path], None]
) -> None:
    folder = tmp_path / "photos"
    known = save_photo(folder / "known.jpg", seed=1)
    save_photo(folder / "other.jpg", seed=2)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    (known_id,) = [f.id for f in library.catalog.files.present() if f.path == str(known)]

    os.utime(known, ns=(1, 10**18))  # touched (e.g. by a backup tool): read again, and the read fails once
    new = save_photo(folder / "new.jpg", seed=3)
    flaky_reads(known)
    flaky_reads(new)
    library.scan(ScanRequest(roots=(folder,), workers=1))
    present = {f.path: f.id for f in library.catalog.files.present()}
    assert present.get(str(known)) == known_id, "a read error dropped a catalogued photo"
    problems = {p.path: p for p in library.problems()}
    assert problems[str(known)].code == problems[str(new)].code == "unreadable"
    assert "Input/output error" in problems[str(known)].reason

    third = library.scan(ScanRequest(roots=(folder,), workers=1))
    assert third.new == 1 and third.problems == 0
    present = {f.path: f.id for f in library.catalog.files.present()}
    assert present[str(known)] == known_id and str(new) in present
    assert library.catalog.files.by_ids([known_id])[known_id].mtime_ns == 10**18
