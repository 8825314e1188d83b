"""What every encoder shares without needing torch: its model id and row normalisation (the ONNX encoders import
only this, so a copy-model scan does not pay torch's ~2-4 s import)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np


def make_model_id(spec_name: str, weights_identity: str, preprocessing: dict[str, Any], architecture: object) -> str:
    """Changes whenever the weights, the preprocessing or the architecture overrides change."""
    payload = json.dumps(
        {"weights": weights_identity, "preprocessing": preprocessing, "architecture": architecture},
        sort_keys=True,
        default=str,
    )
    return f"{spec_name}@{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    normalised: np.ndarray = np.asarray(vectors / norms, dtype=np.float32)
    return normalised
