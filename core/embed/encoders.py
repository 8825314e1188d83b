"""The encoder interface and the factory that builds one from a registered spec."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from core.embed.registry import ModelSpec, get_spec

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

Precision = Literal["auto", "fp32", "bf16"]


@runtime_checkable
class Encoder(Protocol):
    spec: ModelSpec
    model_id: str
    dim: int
    device: str

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Float32 [n, dim], rows L2-normalised; the images are decoded RGB, EXIF orientation applied."""
        ...


@runtime_checkable
class TextEncoder(Encoder, Protocol):
    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 [n, dim], rows L2-normalised, in the same space as `embed_images`."""
        ...


def build_encoder(
    name: str,
    weights: Path | None = None,
    device: str = "auto",
    pretrained: bool = True,
    **overrides: object,
) -> Encoder:
    """Build the encoder for a registered model.

    weights: a local file the user imported; otherwise the libraries' Hugging Face cache (never a
    download when HF_HUB_OFFLINE is set). pretrained=False gives random weights through the same code
    (tests). overrides: `timm_name`, `timm_kwargs`, `open_clip_arch`, `open_clip_pretrained`,
    `open_clip_model_cfg`, `batch_size`, `precision` ("auto", "fp32", "bf16").
    """
    spec = get_spec(name)
    if spec.family == "timm":
        from core.embed.timm_encoder import build_timm_encoder

        return build_timm_encoder(spec, weights, device, pretrained, dict(overrides))
    if spec.family == "open_clip":
        from core.embed.open_clip_encoder import build_open_clip_encoder

        return build_open_clip_encoder(spec, weights, device, pretrained, dict(overrides))
    from core.embed.sscd_encoder import build_sscd_encoder

    return build_sscd_encoder(spec, weights, device, dict(overrides))
