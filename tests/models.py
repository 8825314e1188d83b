"""Tiny randomly initialised models built through the real factories (core.embed.build_encoder), for every test.

They must keep different photos apart: a model that maps every photo to the same vector (as DINOv2's default
layer-scale init of 1e-5 and CLIP's [CLS] pooling do at random init) scores every pair 1.0 and hides any bug that
mixes up vectors. `tests/core/test_encoders.py` checks the spread on generated photos.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from core.embed import build_encoder
from core.embed.encoders import Encoder

TINY_DINOV2_DIM = 128
TINY_DINOV2: dict[str, Any] = {
    "timm_name": "vit_small_patch14_dinov2",
    # init_values=1.0: residual branches at full strength, so the [CLS] token carries the image.
    "timm_kwargs": {"depth": 2, "embed_dim": TINY_DINOV2_DIM, "num_heads": 2, "img_size": 56, "init_values": 1.0},
}
TINY_CLIP_DIM = 32
TINY_CLIP: dict[str, Any] = {
    "open_clip_arch": "twinlens-tiny-clip",
    "open_clip_model_cfg": {
        "embed_dim": TINY_CLIP_DIM,
        # Mean of the patch tokens: a random [CLS] token attends to every patch alike and says nothing.
        "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16, "pool_type": "avg"},
        "text_cfg": {"context_length": 16, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
    },
}


def tiny_dinov2(seed: int = 0, **extra: Any) -> Encoder:
    """A 2-block DINOv2 ViT at 56 px with random weights from `seed` (same seed, same weights, same model id)."""
    torch.manual_seed(seed)
    return build_encoder("dinov2-small", pretrained=False, **TINY_DINOV2, **extra)


def tiny_clip(seed: int = 0, **extra: Any) -> Encoder:
    torch.manual_seed(seed)
    return build_encoder("clip-b32", pretrained=False, **TINY_CLIP, **extra)


HF_TEST_REVISION = "0123456789abcdef0123456789abcdef01234567"


def tiny_dinov2_in_hf_cache(hf_home: Path, monkeypatch: Any, seed: int = 0) -> Path:
    """dinov2-small as if downloaded: tiny random weights in a Hugging Face cache under `hf_home`, saved where
    huggingface_hub keeps the real repo's file, and the registered spec shrunk to match them (for this test only).
    Every front end then finds the weights the way it finds real ones, without a download."""
    import dataclasses

    from safetensors.torch import save_file

    from core.embed import registry

    spec = registry.get_spec("dinov2-small")
    tiny = dataclasses.replace(spec, timm_kwargs={**spec.timm_kwargs, **TINY_DINOV2["timm_kwargs"]})
    monkeypatch.setitem(registry._REGISTRY, "dinov2-small", tiny)
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)
    assert spec.hf_repo_id is not None
    repo = hf_home / "hub" / f"models--{spec.hf_repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / HF_TEST_REVISION
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(HF_TEST_REVISION)
    model = tiny_dinov2(seed, runtime="torch").model  # type: ignore[attr-defined]
    path = snapshot / spec.hf_filenames[0]
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    return path
