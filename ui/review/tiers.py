"""How each tier is presented: its name, what its threshold means, and what a missing model would add.

The Review shows the library's review tiers (core.library.Library.review_tiers): with a model, Duplicates (the copy
tier: every copy of a photo, identical files included, in one group) and Similar; without one, Identical and
Near-identical."""

from __future__ import annotations

from dataclasses import dataclass

from core.embed.registry import OUT_OF_THE_BOX_MODELS
from core.entities import Tier
from core.scan.perceptual import DEFAULT_DISTANCE, MAX_STORED_DISTANCE


@dataclass(frozen=True)
class TierSpec:
    tier: Tier
    title: str
    slider: tuple[int, int, int] | None  # (minimum, maximum, default) or None: no threshold
    threshold_text: str = ""
    stricter_at_minimum: bool = True

    def threshold(self, value: int) -> float | None:
        if self.slider is None:
            return None
        if self.tier == Tier.PERCEPTUAL:
            return float(value)  # max Hamming distance between pHashes
        return value / 100  # min cosine similarity of the embeddings

    def slider_value(self, threshold: float) -> int:
        """The slider position that stands for a threshold (the inverse of `threshold`)."""
        return round(threshold) if self.tier == Tier.PERCEPTUAL else round(threshold * 100)


TIER_SPECS = (
    TierSpec(Tier.EXACT, "Identical", None, "Byte-for-byte identical files: no threshold."),
    TierSpec(
        Tier.PERCEPTUAL,
        "Near-identical",
        (0, MAX_STORED_DISTANCE, DEFAULT_DISTANCE),
        "Max distance {value} of 64 (lower is stricter)",
    ),
    TierSpec(Tier.COPY, "Duplicates", (50, 99, 90), "Min similarity {value}% (higher is stricter)", False),
    TierSpec(Tier.SIMILAR, "Similar", (30, 95, 75), "Min similarity {value}% (higher is stricter)", False),
)
SPECS = {spec.tier: spec for spec in TIER_SPECS}

MODEL_HELP = (
    "<b>Duplicates</b> and <b>Similar</b> need an image-embedding model. With one, each photo is shown once with "
    "every copy of it: identical, resized, converted, edited, cropped and rotated (Duplicates), and shots of the "
    "same scene are a list of their own (Similar). This library was scanned without one: choose "
    "<b>Tools → Models…</b>, pick a model whose weights are on this computer (the packaged copy detector "
    f"<code>{OUT_OF_THE_BOX_MODELS[0]}</code> after the README's setup) and scan again; only new work is done."
)
