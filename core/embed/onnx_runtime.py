"""Run a torch image model through onnxruntime on the CPU.

onnxruntime's own CPU kernels (MLAS) ran dinov2-small at 24 img/s in fp32 here, against 13.5 img/s for
torch's fp32 (its BLAS is slow on this AMD CPU: 181 GFLOP/s on a 4096² matmul), with the same fp32 results.
The model is exported once per model id into the user cache folder and reused; any failure to export or
load falls back to torch, so this is a speed-up, never a requirement.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import platformdirs
import torch
import xxhash

from core.embed.runtime import physical_core_count
from core.embed.torch_encoder import Forward

log = logging.getLogger(__name__)


def onnx_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("Twinlens", appauthor=False)) / "onnx"


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A hash of every parameter and buffer: the cache key of models whose model id does not name their weights
    (randomly initialised ones, whose weights differ per seed)."""
    digest = xxhash.xxh3_64()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().cpu().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def onnx_forward(model: torch.nn.Module, forward: Forward, cache_key: str, input_size: int) -> Forward | None:
    """An onnxruntime equivalent of `forward` (a method of `model`, batch-dynamic), or None when it cannot be had.
    `cache_key` names the exported file: it must change whenever the weights or the forward change."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    path = onnx_cache_dir() / f"{cache_key.replace('@', '-')}.onnx"
    try:
        if not path.is_file():
            _export(model, forward, path, input_size)
        options = ort.SessionOptions()
        options.intra_op_num_threads = physical_core_count()
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # exporter or runtime gaps for some architecture: torch still works
        log.warning("onnxruntime unavailable for %s, using torch: %s", cache_key, error)
        return None
    input_name = session.get_inputs()[0].name

    def run(pixels: torch.Tensor) -> torch.Tensor:
        features = session.run(None, {input_name: np.ascontiguousarray(pixels.numpy(), dtype=np.float32)})[0]
        return torch.from_numpy(features)

    return run


class _Forward(torch.nn.Module):
    def __init__(self, model: torch.nn.Module, forward: Forward) -> None:
        super().__init__()
        self.model = model  # registered, so its weights export as initialisers, not constants
        self.forward_fn = forward

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.forward_fn(pixels)


def _export(model: torch.nn.Module, forward: Forward, path: Path, input_size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + f".{os.getpid()}.part")
    example = torch.zeros(1, 3, input_size, input_size)
    with torch.inference_mode(False), torch.no_grad():
        torch.onnx.export(
            _Forward(model, forward).eval(),
            (example,),
            str(partial),
            input_names=["pixels"],
            output_names=["features"],
            dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    os.replace(partial, path)
