"""OpenCLIP encoders: image tower for vectors, text tower for search by description."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.embed.errors import MissingWeightsError
from core.embed.registry import ModelSpec
from core.embed.runtime import configure_torch_threads, resolve_device
from core.embed.torch_encoder import TorchImageEncoder, use_bf16
from core.embed.torchvision_compat import ensure_torchvision_importable
from core.embed.vectors_id import l2_normalise, make_model_id
from core.embed.weights import (
    ResolvedWeights,
    WeightsSource,
    cached_hf_file,
    hf_hub_cache_dir,
    hf_snapshot_revision,
    load_state_dict_file,
    missing_weights_message,
)


class OpenClipEncoder(TorchImageEncoder):
    def __init__(self, *args: Any, tokenizer: Callable[[Sequence[str]], torch.Tensor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tokenizer = tokenizer

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        tokens = self.tokenizer(list(texts)).to(self.device)
        with torch.inference_mode(), self._autocast():
            features = self.model.encode_text(tokens)  # type: ignore[operator]
        return l2_normalise(features.float().cpu().numpy())


def build_open_clip_encoder(
    spec: ModelSpec, weights: ResolvedWeights | None, device: str, overrides: dict[str, object]
) -> OpenClipEncoder:
    """weights: resolved (core.embed.weights), or None for a random initialisation."""
    ensure_torchvision_importable()
    import open_clip

    arch = str(overrides.pop("open_clip_arch", spec.open_clip_arch))
    tag = str(overrides.pop("open_clip_pretrained", spec.open_clip_pretrained))
    model_cfg = overrides.pop("open_clip_model_cfg", None)
    if isinstance(model_cfg, dict):
        _register_model_config(open_clip, arch, model_cfg)
    configure_torch_threads()
    model, preprocess, weights_identity = _create(open_clip, spec, arch, tag, weights)
    preprocess_cfg = open_clip.get_model_preprocess_cfg(model)
    resolved_device = resolve_device(device)
    return OpenClipEncoder(
        spec,
        model,
        preprocess,
        model.encode_image,
        model_id=make_model_id(spec.name, weights_identity, preprocess_cfg, [arch, model_cfg]),
        dim=int(open_clip.get_model_config(arch)["embed_dim"]),
        device=resolved_device,
        batch_size=int(str(overrides.pop("batch_size", 16))),
        bf16=use_bf16(str(overrides.pop("precision", "auto")), spec, resolved_device),
        tokenizer=open_clip.get_tokenizer(arch),
    )


def _register_model_config(open_clip: Any, arch: str, model_cfg: dict[str, Any]) -> None:
    """open_clip's public way to add an architecture is a `<name>.json` file (tests use tiny ones)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{arch}.json"
        path.write_text(json.dumps(model_cfg))
        open_clip.add_model_config(path)


def _create(
    open_clip: Any, spec: ModelSpec, arch: str, tag: str, weights: ResolvedWeights | None
) -> tuple[Any, Any, str]:
    tag_cfg = open_clip.get_pretrained_cfg(arch, tag) or {}
    preprocessing = {
        "image_mean": tag_cfg.get("mean"),
        "image_std": tag_cfg.get("std"),
        "image_interpolation": tag_cfg.get("interpolation"),
        "image_resize_mode": tag_cfg.get("resize_mode"),
        "force_quick_gelu": bool(tag_cfg.get("quick_gelu", False)),
    }
    if weights is None:
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None, **preprocessing)
        return model, preprocess, "random-init"
    if weights.source not in (WeightsSource.HF_CACHE, WeightsSource.HF_DOWNLOAD):
        assert weights.path is not None
        model, _, preprocess = open_clip.create_model_and_transforms(arch, pretrained=None, **preprocessing)
        _load_open_clip_state_dict(model, load_state_dict_file(weights.path))
        return model, preprocess, weights.identity()
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            arch, pretrained=tag, cache_dir=str(hf_hub_cache_dir())
        )
    except (OSError, RuntimeError) as error:
        raise MissingWeightsError(spec.name, f"{missing_weights_message(spec)} ({error})") from error
    # open_clip's model ids have always named the snapshot without the file: kept, so no library re-embeds.
    cached = weights.path or cached_hf_file(spec)
    revision = hf_snapshot_revision(cached) if cached else tag
    return model, preprocess, f"hf:{spec.hf_repo_id}@{revision}"


def _load_open_clip_state_dict(model: torch.nn.Module, state_dict: dict[str, torch.Tensor]) -> None:
    from open_clip.model import resize_pos_embed

    resize_pos_embed(state_dict, model)
    model.load_state_dict(state_dict, strict=True)
