"""Embedding engine: model registry, encoders (timm, open_clip, SSCD) and their weights.

Importing this package is cheap: the registry is plain data, and torch, timm and open_clip are only
imported when `build_encoder` is first called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.embed.errors import EmbedError, MissingWeightsError, UnknownModelError, WeightsFormatError
from core.embed.registry import OUT_OF_THE_BOX_MODELS, ModelSpec, all_specs, get_spec, list_models, register

if TYPE_CHECKING:
    from core.embed.encoders import Encoder, TextEncoder, build_encoder

__all__ = [
    "OUT_OF_THE_BOX_MODELS",
    "EmbedError",
    "Encoder",
    "MissingWeightsError",
    "ModelSpec",
    "TextEncoder",
    "UnknownModelError",
    "WeightsFormatError",
    "all_specs",
    "build_encoder",
    "get_spec",
    "list_models",
    "register",
]

_LAZY = {"Encoder", "TextEncoder", "build_encoder"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from core.embed import encoders

        return getattr(encoders, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
