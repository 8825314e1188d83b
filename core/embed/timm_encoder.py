"""timm image encoders (DINOv2): [CLS] token of the final norm layer, preprocessing from timm's data config."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from core.embed.errors import MissingWeightsError
from core.embed.registry import ModelSpec
from core.embed.runtime import configure_torch_threads, resolve_device
from core.embed.torch_encoder import TorchImageEncoder, make_model_id, use_bf16
from core.embed.torchvision_compat import ensure_torchvision_importable
from core.embed.weights import (
    cached_hf_file,
    check_weights_file,
    file_sha256,
    hf_hub_cache_dir,
    hf_offline,
    hf_snapshot_revision,
    load_state_dict_file,
    missing_weights_message,
)


def build_timm_encoder(
    spec: ModelSpec, weights: Path | None, device: str, pretrained: bool, overrides: dict[str, object]
) -> TorchImageEncoder:
    ensure_torchvision_importable()
    import timm
    from timm.data.config import resolve_data_config
    from timm.data.transforms_factory import create_transform

    timm_name = str(overrides.pop("timm_name", spec.timm_name))
    model_kwargs = {**spec.timm_kwargs, **_as_dict(overrides.pop("timm_kwargs", {}))}
    overlay = _input_size_overlay(model_kwargs)
    weights_identity = _attach_weights(spec, weights, pretrained, overlay)
    configure_torch_threads()
    try:
        model = timm.create_model(
            timm_name,
            pretrained=weights_identity != "random-init",
            pretrained_cfg_overlay=overlay,
            cache_dir=hf_hub_cache_dir(),
            **model_kwargs,
        )
    except OSError as error:  # network failure while fetching weights that were not cached
        raise MissingWeightsError(spec.name, f"{missing_weights_message(spec)} ({error})") from error
    if weights_identity == "hf-download":
        weights_identity = _hf_identity(spec)
    data_config = resolve_data_config(model=model)  # type: ignore[no-untyped-call]
    resolved_device = resolve_device(device)
    model_id = make_model_id(spec.name, weights_identity, data_config, [timm_name, model_kwargs])
    bf16 = use_bf16(str(overrides.pop("precision", "auto")), spec.name, resolved_device)
    forward = model.eval().forward
    if resolved_device == "cpu" and not bf16 and overrides.pop("runtime", "auto") != "torch":
        from core.embed.onnx_runtime import onnx_forward, weights_fingerprint

        cache_key = model_id if weights_identity != "random-init" else f"{model_id}-{weights_fingerprint(model)}"
        forward = onnx_forward(model, forward, cache_key, int(data_config["input_size"][-1])) or forward
    return TorchImageEncoder(
        spec,
        model,
        create_transform(**data_config, is_training=False),
        forward,
        model_id=model_id,
        dim=cast(int, model.num_features),
        device=resolved_device,
        batch_size=int(str(overrides.pop("batch_size", 16))),
        bf16=bf16,
    )


def _as_dict(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError("timm_kwargs must be a dict")
    return dict(value)


def _input_size_overlay(model_kwargs: dict[str, Any]) -> dict[str, Any]:
    """timm keeps the pretrained 518 px in the data config even when the model is built for `img_size`."""
    img_size = model_kwargs.get("img_size")
    return {"input_size": (3, int(img_size), int(img_size))} if img_size else {}


def _attach_weights(spec: ModelSpec, weights: Path | None, pretrained: bool, overlay: dict[str, Any]) -> str:
    """Point timm at the weights (mutating `overlay`) and return a string that identifies them."""
    if weights is not None:
        path = check_weights_file(spec, weights)
        overlay["state_dict"] = load_state_dict_file(path)  # timm still applies its checkpoint filter
        return f"file:{file_sha256(path)}"
    if not pretrained:
        return "random-init"
    if cached_hf_file(spec) is not None:
        return _hf_identity(spec)
    if hf_offline():
        raise MissingWeightsError(spec.name, missing_weights_message(spec))
    return "hf-download"


def _hf_identity(spec: ModelSpec) -> str:
    path = cached_hf_file(spec)
    if path is None:
        raise MissingWeightsError(spec.name, missing_weights_message(spec))
    return f"hf:{spec.hf_repo_id}@{hf_snapshot_revision(path)}/{path.name}"
