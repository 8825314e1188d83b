"""SSCD copy-detection descriptors: the int8 ONNX export (onnxruntime) or Meta's TorchScript file (`sscd`), and
the distilled MobileNetV4 student (`sscd-fast`, ONNX).

The ONNX models take uint8 RGB [batch, H, W, 3] and return L2-normalised [batch, 512]. The int8 export takes any
size and does not resize, so its cost grows with pixel count: we resize to SSCD's square 320 px ("skew_320" in
the SSCD README), which also lets images of different shapes share a batch. The student is trained at 224 px.
Each spec says its square side (`input_size`) and how a photo is fitted into it (`onnx_resize`).

The ONNX encoders embed a photo without its frame (a screenshot's chrome, padding, a border: core/embed/frames.py):
the photo is fitted to a square of FRAME_SCALE times the input side (the decoders do that, see `input_preparation`),
the frame is cut from that square, and what is left is fitted to the input. Every path to the vectors (a scan, the
calibration, the rotation and crop re-checks, a query) goes through `embed_images`, so each sees the same cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from core.embed.encoders import DEFAULT_BATCH_SIZE
from core.embed.errors import WeightsFormatError
from core.embed.frames import without_frame
from core.embed.registry import ModelSpec, OnnxResize
from core.embed.runtime import physical_core_count
from core.embed.vectors_id import l2_normalise, make_model_id
from core.embed.weights import ResolvedWeights

if TYPE_CHECKING:
    from PIL import Image

    from core.embed.encoders import Encoder

SSCD_SIDE = 320
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_PREPROCESSING = {"resize": [SSCD_SIDE, SSCD_SIDE], "resample": "bilinear-antialias"}
# The frame is found on a square this many times the input side: on the input square itself a phone screenshot's
# photo keeps ~120x40 px of sscd-fast's 224 (screenshots median 0.76 against their photo; 0.86 at twice the side).
FRAME_SCALE = 2
FRAME_CUT = "frames-v2"  # recorded in the model id: vectors of another cut are embedded again


def onnx_preprocessing(spec: ModelSpec) -> dict[str, object]:
    """What the ONNX encoder does to a photo, as recorded in its model id (sscd's is unchanged since release)."""
    side = spec.input_size
    preprocessing: dict[str, object] = {"resize": [side, side], "resample": "bilinear-antialias"}
    if spec.onnx_resize == "centre-crop":
        preprocessing = {"resize_short_side": side, "centre_crop": [side, side], "resample": "bilinear-antialias"}
    return {**preprocessing, "frame": FRAME_CUT, "frame_scale": FRAME_SCALE}


class OnnxSscdEncoder:
    def __init__(
        self, spec: ModelSpec, model_path: Path, weights_identity: str, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = physical_core_count()
        try:  # onnxruntime's errors (InvalidProtobuf, NoSuchFile, Fail...) share no base class below Exception
            self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
            self.input_name = self.session.get_inputs()[0].name
            self.dim = int(self.session.get_outputs()[0].shape[-1])
        except Exception as error:
            raise WeightsFormatError(f"{model_path.name}: not a usable ONNX model for {spec.name} ({error})") from error
        self.spec = spec
        self.device = "cpu"
        self.batch_size = batch_size
        self.model_id = make_model_id(spec.name, weights_identity, onnx_preprocessing(spec), "onnx")
        # The decoders may fit each photo to the frame's square (core/scan/pipeline.py): `_pixels` then gets squares
        # of that side, which Pillow's resize returns unchanged.
        self.input_preparation = partial(square_uint8_image, side=FRAME_SCALE * spec.input_size, mode=spec.onnx_resize)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, self.dim), dtype=np.float32)
        outputs = [
            self.session.run(None, {self.input_name: self._pixels(images[start : start + self.batch_size])})[0]
            for start in range(0, len(images), self.batch_size)
        ]
        return l2_normalise(np.concatenate(outputs).astype(np.float32))

    def _pixels(self, images: Sequence[Image.Image]) -> np.ndarray:
        return np.stack(
            [np.asarray(unframed_input(image, self.spec.input_size, self.spec.onnx_resize)) for image in images]
        )


def unframed_input(image: Image.Image, side: int, mode: OnnxResize = "stretch") -> Image.Image:
    """The model's input for a photo: fitted to the frame's square, its frame cut away, the rest stretched to `side`."""
    from PIL import Image

    square = square_uint8_image(image, FRAME_SCALE * side, mode)
    return without_frame(square).resize((side, side), Image.Resampling.BILINEAR)


def square_uint8_image(image: Image.Image, side: int, mode: OnnxResize = "stretch") -> Image.Image:
    """An RGB `side`×`side` image: the whole photo resized to the square ("stretch"), or its short side resized to
    `side` and the centre square kept ("centre-crop")."""
    from PIL import Image

    rgb = image.convert("RGB")
    if mode == "stretch":
        return rgb.resize((side, side), Image.Resampling.BILINEAR)
    width, height = rgb.size
    short = min(width, height)
    left, top = (width - short) // 2, (height - short) // 2
    # Crop the centre square first, then resize it: the same pixels as resizing then cropping, for far less work.
    return rgb.resize((side, side), Image.Resampling.BILINEAR, box=(left, top, left + short, top + short))


def build_sscd_encoder(spec: ModelSpec, weights: ResolvedWeights, device: str, overrides: dict[str, object]) -> Encoder:
    """weights: an imported file or the int8 ONNX export a package ships (spec.packaged), already resolved."""
    batch_size = int(str(overrides.pop("batch_size", DEFAULT_BATCH_SIZE)))
    path = weights.require().path
    assert path is not None  # SSCD is not on the Hugging Face hub: resolved weights are a file
    if path.suffix.lower() == ".onnx":
        return OnnxSscdEncoder(spec, path, weights.identity(), batch_size)
    return _build_torchscript_sscd(spec, path, weights.identity(), device, batch_size)


def _build_torchscript_sscd(
    spec: ModelSpec, path: Path, weights_identity: str, device: str, batch_size: int
) -> Encoder:
    import torch

    from core.embed.runtime import configure_torch_threads, resolve_device
    from core.embed.torch_encoder import TorchImageEncoder
    from core.embed.torchvision_compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    from torchvision import transforms

    configure_torch_threads()
    resolved_device = resolve_device(device)
    model = torch.jit.load(str(path), map_location=resolved_device)  # type: ignore[no-untyped-call]
    transform = transforms.Compose(
        [
            transforms.Resize([SSCD_SIDE, SSCD_SIDE]),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
        ]
    )
    preprocessing = {**_PREPROCESSING, "mean": IMAGENET_MEAN, "std": IMAGENET_STD}
    return TorchImageEncoder(
        spec,
        model,
        transform,
        model,
        model_id=make_model_id(spec.name, weights_identity, preprocessing, "torchscript"),
        dim=spec.dim,
        device=resolved_device,
        batch_size=batch_size,
    )
