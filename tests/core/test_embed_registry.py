from __future__ import annotations

import pytest

from core.embed import OUT_OF_THE_BOX_MODELS, ModelSpec, UnknownModelError, get_spec, list_models, register


def test_registry_lists_the_five_models_with_their_dimensions() -> None:
    dims = {name: get_spec(name).dim for name in list_models()}
    assert dims == {"dinov2-small": 384, "dinov2-base": 768, "clip-b32": 512, "sscd": 512, "sscd-fast": 512}
    assert OUT_OF_THE_BOX_MODELS == ("sscd",)


def test_specs_describe_family_text_support_and_weights_source() -> None:
    small = get_spec("dinov2-small")
    assert small.family == "timm"
    assert small.timm_name == "vit_small_patch14_dinov2.lvd142m"
    assert small.timm_kwargs["img_size"] == 224
    assert small.hf_repo_id == "timm/vit_small_patch14_dinov2.lvd142m"
    clip = get_spec("clip-b32")
    assert clip.family == "open_clip" and clip.supports_text
    assert (clip.open_clip_arch, clip.open_clip_pretrained) == ("ViT-B-32", "laion2b_s34b_b79k")
    assert get_spec("sscd").family == "onnx" and not get_spec("sscd").supports_text
    # Every model's shipped thresholds are a start: each calibrates on the library's own photos on first use.
    assert all(get_spec(name).thresholds_provisional for name in list_models())


def test_unknown_model_names_the_known_ones() -> None:
    with pytest.raises(UnknownModelError, match="dinov2-small"):
        get_spec("resnet-9000")


def test_register_refuses_a_duplicate_name() -> None:
    spec = get_spec("sscd")
    with pytest.raises(ValueError, match="already registered"):

        @register
        def duplicate() -> ModelSpec:
            return spec
