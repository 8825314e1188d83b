"""Where model weights come from: the Hugging Face cache, or a file the user imports.

Nothing here touches the network. `torch.load` is only ever called with `weights_only=True`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from core.embed.errors import MissingWeightsError, WeightsFormatError
from core.embed.registry import ModelSpec

if TYPE_CHECKING:
    import torch

_TRUE = {"1", "on", "true", "yes"}


def hf_offline() -> bool:
    """Read at call time: huggingface_hub freezes its own flag when first imported."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


def hf_hub_cache_dir() -> Path:
    """The hub cache the libraries use, resolved from the environment now (same rules as huggingface_hub)."""
    if explicit := os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(explicit).expanduser()
    if hf_home := os.environ.get("HF_HOME"):
        return Path(hf_home).expanduser() / "hub"
    xdg_cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg_cache).expanduser() / "huggingface" / "hub"


def cached_hf_file(spec: ModelSpec) -> Path | None:
    """The first of the spec's weight files already in the hub cache, without any network access."""
    if spec.hf_repo_id is None:
        return None
    from huggingface_hub import try_to_load_from_cache

    for filename in spec.hf_filenames:
        found = try_to_load_from_cache(spec.hf_repo_id, filename, cache_dir=hf_hub_cache_dir())
        if isinstance(found, str):
            return Path(found)
    return None


def hf_snapshot_revision(path: Path) -> str:
    """`.../snapshots/<commit>/file` → the commit hash, which identifies the weights exactly."""
    return path.parent.name if path.parent.parent.name == "snapshots" else file_sha256(path)


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def missing_weights_message(spec: ModelSpec) -> str:
    source = _weights_source(spec)
    files = " or ".join(spec.hf_filenames) if spec.hf_filenames else Path(spec.weights_url or "weights").name
    return (
        f"The weights for model {spec.name!r} are not on this computer and downloading is not possible "
        f"(offline, HF_HUB_OFFLINE={os.environ.get('HF_HUB_OFFLINE', '')!s}). "
        f"Needed: {files} (about {spec.download_mb:.0f} MB) from {source}. "
        f"Download it on a computer with internet access, then import it with: "
        f"twinlens scan FOLDER --model {spec.name} --weights FILE"
    )


def _weights_source(spec: ModelSpec) -> str:
    if spec.hf_repo_id:
        return f"https://huggingface.co/{spec.hf_repo_id} (Hugging Face repo {spec.hf_repo_id})"
    return spec.weights_url or "the model's publisher"


def check_weights_file(spec: ModelSpec, weights: Path) -> Path:
    if not weights.is_file():
        raise MissingWeightsError(spec.name, f"weights file {weights} does not exist")
    if not weights.name.lower().endswith(spec.weights_suffixes):
        raise WeightsFormatError(
            f"{weights.name}: model {spec.name!r} accepts weights files ending in {', '.join(spec.weights_suffixes)}"
        )
    return weights


def load_state_dict_file(path: Path) -> dict[str, torch.Tensor]:
    """Load tensors from `.safetensors` (preferred) or a pickle checkpoint via `torch.load(weights_only=True)`."""
    if path.suffix.lower() == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path), device="cpu")
    if path.suffix.lower() in {".pt", ".pth", ".bin"}:
        return _unwrap_checkpoint(_torch_load_weights_only(path), path)
    raise WeightsFormatError(f"{path.name}: expected a .safetensors, .pt, .pth or .bin weights file")


def _torch_load_weights_only(path: Path) -> object:
    import pickle

    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError) as error:
        raise WeightsFormatError(
            f"{path.name} is not a plain tensor checkpoint (refused to unpickle arbitrary objects): {error}"
        ) from error


def _unwrap_checkpoint(checkpoint: object, path: Path) -> dict[str, torch.Tensor]:
    """Accept the common wrappers: {"state_dict": ...}, {"model": ...}, and DataParallel `module.` prefixes."""
    import torch

    for key in ("state_dict", "model"):
        if isinstance(checkpoint, Mapping) and isinstance(checkpoint.get(key), Mapping):
            checkpoint = checkpoint[key]
    if not isinstance(checkpoint, Mapping) or not all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise WeightsFormatError(f"{path.name} does not contain a state dict of tensors")
    return {str(k).removeprefix("module."): v for k, v in checkpoint.items()}
