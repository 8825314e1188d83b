"""The encoder interface and the factory that builds one from a registered spec."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from core.embed.registry import ModelSpec, Precision, get_spec
from core.embed.weights import ResolvedWeights, resolve_weights, weights_file

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

    from core.scan.decode import PrepareImage

__all__ = ["Encoder", "Precision", "TextEncoder", "build_encoder", "encoder_batch_size", "encoder_input_preparation"]

# Images per forward pass when an encoder does not say. At 16 the ONNX copy models took 19-22 % less CPU per image
# than at 2 or 3 here (sscd 74 against 89-95 ms, sscd-fast 12.3 against 15.1-15.5 ms; a loaded 2-core machine).
DEFAULT_BATCH_SIZE = 16


@runtime_checkable
class Encoder(Protocol):
    spec: ModelSpec
    model_id: str
    dim: int
    device: str

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Float32 [n, dim], rows L2-normalised; the images are decoded RGB, EXIF orientation applied."""
        ...


def encoder_batch_size(encoder: Encoder) -> int:
    """How many images the encoder runs per forward pass (its `batch_size`): callers that feed it images from many
    files or pairs hand it this many at a time, so that no call runs a part-filled batch."""
    size = getattr(encoder, "batch_size", None)
    return size if isinstance(size, int) and size > 0 else DEFAULT_BATCH_SIZE


def encoder_input_preparation(encoder: Encoder) -> PrepareImage | None:
    """The encoder's fitting of a photo to its input (its `input_preparation`), where it has one that can run in
    another process (picklable, no model state): the scan's decoders then do it. None: the encoder fits any image."""
    prepare = getattr(encoder, "input_preparation", None)
    return prepare if callable(prepare) else None


@runtime_checkable
class TextEncoder(Encoder, Protocol):
    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """Float32 [n, dim], rows L2-normalised, in the same space as `embed_images`."""
        ...


def build_encoder(
    name: str,
    weights: Path | ResolvedWeights | None = None,
    device: str = "auto",
    pretrained: bool = True,
    **overrides: object,
) -> Encoder:
    """Build the encoder for a registered model.

    weights: weights already resolved (core.embed.weights.resolve_weights), or a file to use now; otherwise they
    are resolved here (Hugging Face cache, a package that ships them; never a download when HF_HUB_OFFLINE is set),
    raising MissingWeightsError with what to do when there are none. pretrained=False gives random weights
    through the same code (tests). overrides: `timm_name`, `timm_kwargs`, `open_clip_arch`,
    `open_clip_pretrained`, `open_clip_model_cfg`, `batch_size`, `precision` ("auto", "fp32", "bf16").
    """
    spec = get_spec(name)
    resolved: ResolvedWeights | None
    if isinstance(weights, ResolvedWeights):
        resolved = weights.require()
    elif weights is not None:
        resolved = weights_file(spec, weights)
    elif pretrained or spec.family not in ("timm", "open_clip"):
        resolved = resolve_weights(spec).require()
    else:
        resolved = None  # random initialisation
    if spec.family == "timm":
        from core.embed.timm_encoder import build_timm_encoder

        return build_timm_encoder(spec, resolved, device, dict(overrides))
    if spec.family == "open_clip":
        from core.embed.open_clip_encoder import build_open_clip_encoder

        return build_open_clip_encoder(spec, resolved, device, dict(overrides))
    from core.embed.sscd_encoder import build_sscd_encoder

    assert resolved is not None
    return build_sscd_encoder(spec, resolved, device, dict(overrides))
