"""Where model weights come from, decided in one place (`resolve_weights`): a file the user imported, the Hugging
Face cache, a package that ships them, else a download (online) or nothing. The encoders, the model manager and
the CLI all ask it, so they agree on which file a model uses and so on its model id.

Nothing here touches the network. `torch.load` is only ever called with `weights_only=True`.
"""

from __future__ import annotations

import hashlib
import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
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


class WeightsSource(StrEnum):
    IMPORTED = "imported"  # a file the user imported (`--weights`, the model manager's Import)
    HF_CACHE = "hf-cache"  # already in the Hugging Face cache
    PACKAGED = "packaged"  # shipped by an installed Python package (spec.packaged)
    HF_DOWNLOAD = "hf-download"  # not here: the model library downloads it on first use (online only)
    MISSING = "missing"  # not here and cannot be had: `message` says what to get and how


@dataclass(frozen=True)
class ResolvedWeights:
    """Which weights a model uses, where they are, and what identifies them in its model id."""

    spec: ModelSpec
    source: WeightsSource
    path: Path | None = None  # the file, for every source but HF_DOWNLOAD and MISSING
    message: str = ""  # for MISSING: what is needed and how to get it

    @property
    def available(self) -> bool:
        """True when a scan can embed with these weights now (a download counts: it happens on first use)."""
        return self.source != WeightsSource.MISSING

    @property
    def on_disk(self) -> bool:
        return self.path is not None

    def describe(self) -> str:
        """Where the weights are, said plainly (the model manager, `twinlens models`)."""
        spec = self.spec
        if self.source == WeightsSource.IMPORTED:
            return f"imported file {self.path}"
        if self.source == WeightsSource.HF_CACHE:
            return f"Hugging Face cache ({spec.hf_repo_id}): {self.path}"
        if self.source == WeightsSource.PACKAGED and spec.packaged is not None:
            return f"the {spec.packaged.module} package: {self.path}"
        if self.source == WeightsSource.HF_DOWNLOAD:
            return f"not downloaded: fetched from {spec.hf_repo_id} on first use (about {spec.download_mb:.0f} MB)"
        return "not on this computer"

    def require(self) -> ResolvedWeights:
        if self.source == WeightsSource.MISSING:
            raise MissingWeightsError(self.spec.name, self.message)
        return self

    def identity(self) -> str:
        """The weights' part of the model id, the same whichever front end resolved them: `file:<sha256>` for a
        file used as a file (imported or packaged), `hf:<repo>@<revision>/<file>` for the Hugging Face cache.
        Reads the whole file for a file source: call it when building an encoder, not when listing models."""
        if self.path is None:
            raise MissingWeightsError(self.spec.name, self.message or missing_weights_message(self.spec))
        if self.source == WeightsSource.HF_CACHE:
            return f"hf:{self.spec.hf_repo_id}@{hf_snapshot_revision(self.path)}/{self.path.name}"
        return f"file:{file_sha256(self.path)}"


def resolve_weights(spec: ModelSpec, imported: Path | None = None) -> ResolvedWeights:
    """Where `spec`'s weights come from, first found: the file the library has imported for it (`imported`, kept
    in the library's settings: ModelService.weights_for) if it is still there, the Hugging Face cache, the package
    that ships them, a download when online, else MISSING with what to do. Never touches the network."""
    if imported is not None and imported.is_file():
        return ResolvedWeights(spec, WeightsSource.IMPORTED, check_weights_file(spec, imported))
    cached = cached_hf_file(spec)
    if cached is not None:
        return ResolvedWeights(spec, WeightsSource.HF_CACHE, cached)
    packaged = packaged_weights_file(spec)
    if packaged is not None:
        return ResolvedWeights(spec, WeightsSource.PACKAGED, packaged)
    if spec.hf_repo_id is not None and not hf_offline():
        return ResolvedWeights(spec, WeightsSource.HF_DOWNLOAD)
    return ResolvedWeights(spec, WeightsSource.MISSING, message=missing_weights_message(spec))


def weights_file(spec: ModelSpec, path: Path) -> ResolvedWeights:
    """A file given to use now (`twinlens scan --weights`, a file being imported): it must exist and fit the model."""
    return ResolvedWeights(spec, WeightsSource.IMPORTED, check_weights_file(spec, path))


def packaged_weights_file(spec: ModelSpec) -> Path | None:
    """The weights file an installed package ships for this model (spec.packaged), if the package is installed."""
    if spec.packaged is None:
        return None
    try:
        module = importlib.import_module(spec.packaged.module)
    except ImportError:
        return None
    path = Path(getattr(module, spec.packaged.attribute))
    return path if path.is_file() else None


def missing_weights_message(spec: ModelSpec) -> str:
    source = _weights_source(spec)
    files = " or ".join(spec.hf_filenames) if spec.hf_filenames else Path(spec.weights_url or "weights").name
    if spec.hf_repo_id is None:
        why = "are not on this computer"
    else:
        offline = os.environ.get("HF_HUB_OFFLINE", "")
        why = f"are not on this computer and downloading is not possible (offline, HF_HUB_OFFLINE={offline!s})"
    package = f"Either `{spec.packaged.install}`, or download " if spec.packaged else "Download "
    return (
        f"The weights for model {spec.name!r} {why}. "
        f"Needed: {files} (about {spec.download_mb:.0f} MB) from {source}. "
        f"{package}it on a computer with internet access, then import it with: "
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
