"""Embedding throughput against this machine's matmul peak (prints figures; not a test).

    .venv/bin/python benchmarks/embed_bench.py [--images 48] [--threads 2] [--models dinov2-small,...] [--bf16]
    .venv/bin/python benchmarks/embed_bench.py --models "" --scan 309 --scan-model sscd-fast   # a copy model end to end

Models other than SSCD use random weights (the real ones cannot be downloaded here); speed does not depend
on the weight values. Images are real photos from ../shared/bench/photos, pre-decoded to a 320 px short side.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.embed.encoders import build_encoder
from core.embed.registry import get_spec
from core.embed.torchvision_compat import ensure_torchvision_importable

ensure_torchvision_importable()
import torch  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402
from torch.nn.attention import SDPBackend, sdpa_kernel  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

PHOTOS = Path(__file__).resolve().parents[1].parent / "shared" / "bench" / "photos"


def load_photos(count: int, short_side: int = 320) -> list[Image.Image]:
    paths = sorted(p for p in PHOTOS.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
    photos = []
    for path in paths[:count]:
        with Image.open(path) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            scale = short_side / min(image.size)
            photos.append(image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale)))))
    return photos


def matmul_peak_gflops(dtype: torch.dtype, size: int = 4096, repeats: int = 3) -> float:
    a = torch.randn(size, size, dtype=dtype)
    b = torch.randn(size, size, dtype=dtype)
    torch.matmul(a, b)
    best = min(_timed(lambda: torch.matmul(a, b)) for _ in range(repeats))
    return 2 * size**3 / best / 1e9


def onnxruntime_matmul_peak_gflops(size: int = 4096, repeats: int = 3) -> float:
    """The same 4096² fp32 matmul through onnxruntime's own kernels (MLAS), which beat torch's BLAS on some
    CPUs (this AMD one): the fp32 limit must come from the faster of the two, or it understates the machine."""
    return onnxruntime_matmul_gflops(size, size, size, repeats)


def onnxruntime_matmul_gflops(m: int, k: int, n: int, repeats: int = 3) -> float:
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("MatMul", ["a", "b"], ["c"])],
        "matmul",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, [k, n]),
        ],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [m, n])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    onnx.checker.check_model(model)
    a, b = np.random.rand(m, k).astype(np.float32), np.random.rand(k, n).astype(np.float32)
    session.run(None, {"a": a, "b": b})
    best = min(_timed(lambda: session.run(None, {"a": a, "b": b})) for _ in range(repeats))
    return 2 * m * k * n / best / 1e9


def onnxruntime_breakdown(name: str, batch_size: int) -> None:
    """Where onnxruntime's fp32 forward spends its time: the model's own linear-layer matmul shapes timed alone
    (do they reach the 4096² peak?), and the share of kernel time per operator type in a profiled forward."""
    import json

    import onnxruntime as ort

    from core.embed.onnx_runtime import onnx_cache_dir

    encoder = build_encoder(name, pretrained=False, precision="fp32")  # exports the model if needed
    shapes: set[tuple[int, int, int]] = set()

    def record(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], _: object) -> None:
        shapes.add((inputs[0].numel() // inputs[0].shape[-1], module.in_features, module.out_features))  # type: ignore[arg-type]

    model = encoder.model  # type: ignore[attr-defined]
    hooks = [m.register_forward_hook(record) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    with torch.inference_mode():
        model.forward(torch.zeros(batch_size, 3, encoder.spec.input_size, encoder.spec.input_size))
    for hook in hooks:
        hook.remove()
    print(f"{name} linear layers at batch {batch_size} through onnxruntime (the 4096² peak for comparison):")
    for m, k, n in sorted(shapes):
        print(f"  {m}x{k} @ {k}x{n}: {onnxruntime_matmul_gflops(m, k, n):6.0f} GFLOP/s")
    print(f"  4096x4096 @ 4096x4096: {onnxruntime_matmul_peak_gflops():6.0f} GFLOP/s")
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.enable_profiling = True
    path = onnx_cache_dir() / f"{encoder.model_id.replace('@', '-')}.onnx"
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    pixels = np.random.rand(batch_size, 3, encoder.spec.input_size, encoder.spec.input_size).astype(np.float32)
    for _ in range(4):
        session.run(None, {session.get_inputs()[0].name: pixels})
    profile = Path(session.end_profiling())
    per_op: dict[str, float] = {}
    for event in json.loads(profile.read_text()):
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            per_op[event["args"]["op_name"]] = per_op.get(event["args"]["op_name"], 0.0) + event["dur"]
    profile.unlink()
    total = sum(per_op.values())
    shares = ", ".join(f"{op} {t / total:.1%}" for op, t in sorted(per_op.items(), key=lambda x: -x[1])[:8])
    print(f"  kernel time by operator: {shares}")


def fp32_peak_gflops() -> float:
    return max(matmul_peak_gflops(torch.float32), onnxruntime_matmul_peak_gflops())


def _timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def gflop_per_image(model: torch.nn.Module, forward: Callable[[torch.Tensor], torch.Tensor], side: int) -> float:
    """Counted on torch's unfused paths: the counter does not see inside fused attention kernels (SDPA's CPU
    flash kernel, nn.MultiheadAttention's fast path), which would leave out 10 % of dinov2-small's work and a
    third of clip-b32's, and so overstate the limit."""
    counter = FlopCounterMode(display=False)
    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.inference_mode(), sdpa_kernel(SDPBackend.MATH), counter:
            forward(torch.zeros(1, 3, side, side))
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return counter.get_total_flops() / 1e9


def images_per_second(embed: Callable[[list[Image.Image]], np.ndarray], photos: list[Image.Image]) -> float:
    embed(photos[:4])  # warm-up: allocator, oneDNN primitive cache
    seconds = _timed(lambda: embed(photos))
    return len(photos) / seconds


def sscd_reference_gflop(side: int = 320) -> float:
    """SSCD is a ResNet-50 trunk (+ GeM pooling and a 512-d projection, negligible); count it in torch."""
    from torchvision.models import resnet50

    model = resnet50().eval()
    return gflop_per_image(model, model, side)


def bench_model(name: str, photos: list[Image.Image], peak: float, batch_size: int) -> None:
    """fp32 in torch for every model; timm models also through onnxruntime (their fp32 CPU default); the ONNX
    copy models (sscd int8, sscd-fast) through onnxruntime with their packaged weights."""
    runs: list[tuple[str, object]] = []
    gflop: float | None
    if get_spec(name).family == "onnx":
        runs.append(("onnxruntime", build_encoder(name, batch_size=batch_size)))
        # SSCD is a ResNet-50 trunk; the distilled student's FLOPs are not counted here (no torch twin of it).
        gflop = sscd_reference_gflop(get_spec(name).input_size) if name == "sscd" else None
    else:
        torch_only = {"runtime": "torch"} if get_spec(name).family == "timm" else {}
        encoder = build_encoder(name, pretrained=False, precision="fp32", batch_size=batch_size, **torch_only)
        gflop = gflop_per_image(encoder.model, encoder.forward, encoder.spec.input_size)  # type: ignore[attr-defined]
        runs.append(("torch fp32", encoder))
        if torch_only:
            runs.append(("onnxruntime fp32", build_encoder(name, pretrained=False, precision="fp32")))
    for label, run in runs:
        rate = images_per_second(run.embed_images, photos)  # type: ignore[attr-defined]
        if gflop is None:
            print(f"{name:13s} {label:17s} {'':>7s}            {rate:6.2f} img/s")
            continue
        limit = peak / gflop
        print(
            f"{name:13s} {label:17s} {gflop:7.2f} GFLOP/img  {rate:6.2f} img/s  limit {limit:6.2f} img/s  "
            f"ratio {rate / limit:5.2f}"
        )


def bench_bf16(photos: list[Image.Image], batch_size: int) -> None:
    torch.manual_seed(0)
    fp32 = build_encoder("dinov2-small", pretrained=False, precision="fp32", batch_size=batch_size)
    bf16 = build_encoder("dinov2-small", pretrained=False, precision="bf16", batch_size=batch_size)
    bf16.model.load_state_dict(fp32.model.state_dict())  # type: ignore[attr-defined]
    for label, encoder in (("fp32", fp32), ("bf16", bf16)):
        print(f"dinov2-small {label}: {images_per_second(encoder.embed_images, photos):6.2f} img/s")
    reference, reduced = fp32.embed_images(photos), bf16.embed_images(photos)
    cosine = np.sum(reference * reduced, axis=1)
    print(f"bf16 vs fp32 cosine over {len(photos)} photos: min {cosine.min():.4f} mean {cosine.mean():.4f}")
    # Random-weight ViTs map every photo to nearly the same direction, which makes the raw cosine ~1 regardless;
    # the cosine of the photo-specific parts (minus the mean fp32 embedding) is the stricter check.
    mean = reference.mean(axis=0)
    centred = np.sum((reference - mean) * (reduced - mean), axis=1) / (
        np.linalg.norm(reference - mean, axis=1) * np.linalg.norm(reduced - mean, axis=1)
    )
    print(f"bf16 vs fp32 cosine of photo-specific parts: min {centred.min():.4f} mean {centred.mean():.4f}")


def bench_scan(name: str, count: int, rounds: int) -> None:
    """End to end: scan camera-like 12 MP JPEGs with the model (decode in worker processes, embed in the scan's
    thread), in fp32 and bf16. Decoding and inference share the same two cores, so the machine limit is the
    harmonic combination of the decode floor and the model's matmul limit, both measured in this run. This
    machine's speed drifts by 10-20 % from minute to minute, so each round measures the matmul peaks and the
    decode floor again, then scans with every variant in turn; the figures are per round, then the median."""
    from benchmarks.camera_library import build_camera_library
    from benchmarks.scan_bench import decode_floor

    folder = build_camera_library(count)
    files = sorted(str(p) for p in folder.rglob("*.JPG"))
    if get_spec(name).family == "onnx":
        bench_copy_model_scan(name, folder, files, rounds)
        return
    variants = (
        ("fp32 torch", {"precision": "fp32", "runtime": "torch"}),
        ("fp32 onnxruntime", {"precision": "fp32"}),
        ("bf16 torch", {"precision": "bf16"}),
    )
    print(f"end-to-end scans of {count} JPEGs of 4000x3000, {rounds} rounds:")
    ratios: dict[str, list[float]] = {label: [] for label, _ in variants}
    for round_number in range(1, rounds + 1):
        peaks = {"fp32": fp32_peak_gflops(), "bf16": matmul_peak_gflops(torch.bfloat16)}
        floor = decode_floor(files, 2)
        print(
            f" round {round_number}: decode floor {floor:.1f} files/s, matmul peak fp32 {peaks['fp32']:.0f} "
            f"bf16 {peaks['bf16']:.0f} GFLOP/s"
        )
        for precision, options in variants:
            peak = peaks[precision[:4]]
            torch.manual_seed(0)
            encoder = build_encoder(name, pretrained=False, **options)  # type: ignore[arg-type]
            model = encoder.model  # type: ignore[attr-defined]
            gflop = gflop_per_image(model, model.forward, encoder.spec.input_size)
            rate = _scan_rate(name, encoder, folder)
            limit = 1 / (1 / floor + 1 / (peak / gflop))
            ratios[precision].append(rate / limit)
            print(
                f"  {name} {precision:16s}: {rate:6.2f} img/s; limit from the {precision[:4]} peak {limit:6.2f} "
                f"img/s ({peak / gflop:.1f} img/s model, {gflop:.2f} GFLOP) -> {rate / limit:.0%}"
            )
    for precision, values in ratios.items():
        print(f"  {name} {precision:16s}: median {statistics.median(values):.0%} of its limit over {rounds} rounds")


def bench_copy_model_scan(name: str, folder: Path, files: list[str], rounds: int) -> None:
    """An ONNX copy model (sscd, sscd-fast) end to end. Its limit on these two cores: 1 / (1 / forward rate at
    batch 16 at the model's input size + 1 / reduced-size decode floor with 2 processes), both measured in the same
    round as the scan. The scan is timed until its groups are available: `Library.scan` (encoder build, decode,
    embed, link, the rotation and crop re-checks, and whatever calibration the library runs after a first model
    scan), then the groups of every tier the Review shows. Use a library of at least 300 photos: a real first scan
    is thousands of photos, where the fixed costs (decoder and encoder start, index save, calibration) weigh far
    less than here.

    CPU seconds per file are printed beside the rates: on a machine shared with other work they move less than
    wall time, and the scan's total (its own process and its decoders) against the forward pass's plus the floor's
    says how much work the scan adds to the two it cannot avoid."""
    from benchmarks.scan_bench import decode_floor

    photos = model_inputs(name, load_photos(32))
    ratios: list[float] = []
    for round_number in range(1, rounds + 1):
        encoder = build_encoder(name, batch_size=16)
        forward, forward_cpu = _with_cpu(partial(images_per_second, encoder.embed_images, photos), len(photos) + 4)
        floor, floor_cpu = _with_cpu(partial(decode_floor, files, 2), len(files) + 4)
        limit = 1 / (1 / forward + 1 / floor)
        (rate, phases), scan_cpu = _with_cpu(partial(_copy_scan, name, folder), len(files))
        ratios.append(rate / limit)
        print(
            f" round {round_number}: {name} forward {forward:.1f} img/s ({forward_cpu * 1000:.0f} ms CPU), decode "
            f"floor {floor:.1f} files/s ({floor_cpu * 1000:.0f} ms CPU), limit {limit:.1f} files/s; scan "
            f"{rate:.2f} files/s ({scan_cpu * 1000:.0f} ms CPU/file, {(forward_cpu + floor_cpu) / scan_cpu:.0%} of "
            f"it unavoidable) -> {rate / limit:.0%}"
        )
        print("   " + ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in phases.items()))
    print(f"  {name}: median {statistics.median(ratios):.0%} of its limit over {rounds} rounds")


def model_inputs(name: str, photos: list[Image.Image]) -> list[Image.Image]:
    """The photos fitted to the model's square input the way its encoder fits them, so that timing the encoder
    on them times the forward pass (its own resize of an image already that size is a copy)."""
    from core.embed.sscd_encoder import square_uint8_image

    spec = get_spec(name)
    return [square_uint8_image(photo, spec.input_size, spec.onnx_resize) for photo in photos]


T = TypeVar("T")


def _with_cpu(work: Callable[[], T], items: int) -> tuple[T, float]:
    """The result of `work` and the CPU seconds per item it took in this process and its finished children."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    result = work()
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    seconds = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True))
    return result, seconds / items


def _copy_scan(name: str, folder: Path) -> tuple[float, dict[str, float]]:
    """Files per second of a first scan until its groups are listed, and the seconds spent in each phase. The
    library builds its encoder, with the packaged weights, as the app's first scan does."""
    import tempfile

    from core.entities import ScanProgress, ScanRequest
    from core.library import Library

    marks: dict[str, float] = {}

    def mark(progress: ScanProgress) -> None:
        marks.setdefault(str(progress.phase), time.perf_counter())

    with tempfile.TemporaryDirectory() as library_dir:
        library = Library(library_dir)
        started = time.perf_counter()
        summary = library.scan(ScanRequest(roots=(folder,), model=name, workers=2), progress=mark)
        marks["groups"] = time.perf_counter()
        for tier in library.available_tiers():
            library.groups(tier)
        ended = time.perf_counter()
        library.close()
    stamps = sorted([*marks.items(), ("end", ended)], key=lambda item: item[1])
    phases = {phase: later - at for (phase, at), (_, later) in itertools.pairwise(stamps)}
    return summary.embedded / (ended - started), {"start": stamps[0][1] - started, **phases}


def _scan_rate(name: str, encoder: object, folder: Path) -> float:
    import tempfile

    from core.entities import ScanRequest
    from core.library import Library

    with tempfile.TemporaryDirectory() as library_dir:
        library = Library(library_dir)
        library.models.use_encoder(name, encoder)  # type: ignore[arg-type]
        started = time.perf_counter()
        summary = library.scan(ScanRequest(roots=(folder,), model=name, workers=2))
        rate = summary.embedded / (time.perf_counter() - started)
        library.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--models", default="dinov2-small,dinov2-base,clip-b32,sscd")
    parser.add_argument("--bf16", action="store_true", help="also compare bf16 autocast with fp32 on dinov2-small")
    parser.add_argument("--scan", type=int, default=0, help="also scan this many 12 MP JPEGs end to end")
    parser.add_argument("--scan-model", default="dinov2-small")
    parser.add_argument("--rounds", type=int, default=3, help="end-to-end rounds (median reported)")
    parser.add_argument("--breakdown", action="store_true", help="where onnxruntime's forward of --scan-model goes")
    args = parser.parse_args()
    photos = load_photos(args.images)
    torch.set_num_threads(args.threads)
    torch32, peak16 = matmul_peak_gflops(torch.float32), matmul_peak_gflops(torch.bfloat16)
    ort32 = onnxruntime_matmul_peak_gflops()
    peak32 = max(torch32, ort32)
    print(
        f"{len(photos)} photos, {args.threads} threads; matmul peak fp32 {peak32:.0f} GFLOP/s "
        f"(torch {torch32:.0f}, onnxruntime {ort32:.0f}), bf16 {peak16:.0f}"
    )
    for name in filter(None, args.models.split(",")):
        torch.set_num_threads(args.threads)
        bench_model(name, photos, peak32, args.batch_size)
    if args.bf16:
        bench_bf16(photos, args.batch_size)
    if args.breakdown:
        onnxruntime_breakdown(args.scan_model, args.batch_size)
    if args.scan:
        bench_scan(args.scan_model, args.scan, args.rounds)


if __name__ == "__main__":
    main()
