"""timm image encoders (DINOv2): [CLS] token of the final norm layer, preprocessing from timm's data config."""

from __future__ import annotations

from typing import Any, cast

from core.embed.errors import MissingWeightsError
from core.embed.registry import ModelSpec
from core.embed.runtime import configure_torch_threads, resolve_device
from core.embed.torch_encoder import TorchImageEncoder, use_bf16
from core.embed.torchvision_compat import ensure_torchvision_importable
from core.embed.vectors_id import make_model_id
from core.embed.weights import (
    ResolvedWeights,
    WeightsSource,
    hf_hub_cache_dir,
    load_state_dict_file,
    missing_weights_message,
    resolve_weights,
)


def build_timm_encoder(
    spec: ModelSpec, weights: ResolvedWeights | None, device: str, overrides: dict[str, object]
) -> TorchImageEncoder:
    """weights: resolved (core.embed.weights), or None for a random initialisation."""
    ensure_torchvision_importable()
    import timm
    from timm.data.config import resolve_data_config
    from timm.data.transforms_factory import create_transform

    timm_name = str(overrides.pop("timm_name", spec.timm_name))
    model_kwargs = {**spec.timm_kwargs, **_as_dict(overrides.pop("timm_kwargs", {}))}
    overlay = _input_size_overlay(model_kwargs)
    weights_identity = _attach_weights(weights, overlay)
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
    if weights_identity == WeightsSource.HF_DOWNLOAD:
        weights_identity = _downloaded_identity(spec)
    data_config = resolve_data_config(model=model)  # type: ignore[no-untyped-call]
    resolved_device = resolve_device(device)
    model_id = make_model_id(spec.name, weights_identity, data_config, [timm_name, model_kwargs])
    bf16 = use_bf16(str(overrides.pop("precision", "auto")), spec, resolved_device)
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


def _attach_weights(weights: ResolvedWeights | None, overlay: dict[str, Any]) -> str:
    """Point timm at the weights (mutating `overlay`) and return a string that identifies them (for a download,
    WeightsSource.HF_DOWNLOAD until the file is in the cache)."""
    if weights is None:
        return "random-init"
    if weights.source == WeightsSource.HF_DOWNLOAD:
        return WeightsSource.HF_DOWNLOAD  # timm fetches it into the cache
    if weights.source != WeightsSource.HF_CACHE:
        assert weights.path is not None
        overlay["state_dict"] = load_state_dict_file(weights.path)  # timm still applies its checkpoint filter
    return weights.identity()  # from the cache, timm loads the same file itself


def _downloaded_identity(spec: ModelSpec) -> str:
    downloaded = resolve_weights(spec)
    if downloaded.source != WeightsSource.HF_CACHE:
        raise MissingWeightsError(spec.name, missing_weights_message(spec))
    return downloaded.identity()
