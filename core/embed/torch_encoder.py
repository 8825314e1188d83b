"""Batched inference shared by the torch-based encoders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from typing import TYPE_CHECKING

import numpy as np
import torch

from core.embed.registry import ModelSpec
from core.embed.vectors_id import l2_normalise
from core.scan.decode import MAX_ASPECT_RATIO

if TYPE_CHECKING:
    from PIL import Image

ImageTransform = Callable[["Image.Image"], torch.Tensor]
Forward = Callable[[torch.Tensor], torch.Tensor]


# What reaches a library transform is bounded. timm's and open_clip's "resize the short side, then centre-crop"
# scale the whole image first: a 1x6000 strip becomes 224x1,344,000 (301 megapixels, 3.6 GB as floats) before
# the crop keeps 224x224. The decoder refuses shapes beyond MAX_ASPECT_RATIO, but crops of thumbnails (core/
# crop_check.py) and images built by callers reach the encoders too. Longer images are centre-cropped to the
# ratio (the centre crop keeps only their middle anyway) and very large ones reduced, so images the decoder
# accepts reach the transform unchanged and their vectors do not move.
MAX_INPUT_SIDE = 2048


def bounded_input(image: Image.Image) -> Image.Image:
    width, height = image.size
    short, long = min(width, height), max(width, height)
    if long > MAX_ASPECT_RATIO * short:
        keep = MAX_ASPECT_RATIO * short
        start = (long - keep) // 2
        box = (start, 0, start + keep, height) if width > height else (0, start, width, start + keep)
        image = image.crop(box)
    factor = -(-min(image.size) // MAX_INPUT_SIDE)
    return image.reduce(factor) if factor >= 2 else image


def use_bf16(precision: str, spec: ModelSpec, device: str) -> bool:
    """Explicit precision wins; "auto" is the spec's default for this device type (ModelSpec.default_precision)."""
    if precision not in ("auto", "fp32", "bf16"):
        raise ValueError(f"precision must be auto, fp32 or bf16, not {precision!r}")
    if precision != "auto":
        return precision == "bf16"
    kind = device.split(":")[0]
    if spec.default_precision.get(kind, "fp32") != "bf16":
        return False
    return kind != "cpu" or _cpu_has_native_bf16()


def _cpu_has_native_bf16() -> bool:
    """Without AVX512-BF16/AMX, oneDNN emulates bf16 and autocast is slower than fp32."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


class TorchImageEncoder:
    """Preprocess with the library's transform, then run `forward` in batches under inference mode."""

    def __init__(
        self,
        spec: ModelSpec,
        model: torch.nn.Module,
        transform: ImageTransform,
        forward: Forward,
        *,
        model_id: str,
        dim: int,
        device: str,
        batch_size: int = 16,
        bf16: bool = False,
    ) -> None:
        self.spec = spec
        self.model = model.eval().to(device)
        self.transform = transform
        self.forward = forward
        self.model_id = model_id
        self.dim = dim
        self.device = device
        self.batch_size = batch_size
        self.bf16 = bf16

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        batches = [
            self._embed_batch(images[start : start + self.batch_size])
            for start in range(0, len(images), self.batch_size)
        ]
        return l2_normalise(np.concatenate(batches))

    def _embed_batch(self, images: Sequence[Image.Image]) -> np.ndarray:
        pixels = torch.stack([self.transform(bounded_input(image)) for image in images]).to(self.device)
        with torch.inference_mode(), self._autocast():
            features = self.forward(pixels)
        return features.float().cpu().numpy()

    def _autocast(self) -> torch.autocast | nullcontext[None]:
        if not self.bf16:
            return nullcontext()
        return torch.autocast(device_type=self.device.split(":")[0], dtype=torch.bfloat16)
