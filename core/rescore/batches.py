"""The re-checks' images embedded together in full batches of the encoder's size.

A re-check embeds one to three rotations of a file, or two images of a pair; one encoder call each would run the
model at batch 1-3, where each image costs about a quarter more than at 16 (core/embed/encoders.py
DEFAULT_BATCH_SIZE). Queued here, the images of many files or pairs share each call, and every key's vectors come
back once all of its images are embedded.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Generic, TypeVar

import numpy as np
from PIL import Image

from core.embed.encoders import Encoder, encoder_batch_size

Key = TypeVar("Key", bound=Hashable)


class BatchedEmbedder(Generic[Key]):
    """Queues the images of each key and embeds them in full batches; a key's vectors come back in the order of its
    images once the last of them is embedded (from `add`, or from `finish` for the last partial batch)."""

    def __init__(self, encoder: Encoder, batch_size: int | None = None) -> None:
        self.encoder = encoder
        self.batch_size = batch_size or encoder_batch_size(encoder)
        self._images: list[Image.Image] = []
        self._owners: list[Key] = []
        self._left: dict[Key, int] = {}
        self._vectors: dict[Key, list[np.ndarray]] = {}

    def add(self, key: Key, images: Sequence[Image.Image]) -> list[tuple[Key, np.ndarray]]:
        """Queue `images` for `key` (not already waiting); returns the keys completed by the full batches run now."""
        if key in self._left:
            raise ValueError(f"{key!r} is already waiting for its vectors")
        if not images:
            return [(key, np.zeros((0, self.encoder.dim), dtype=np.float32))]
        self._images.extend(images)
        self._owners.extend([key] * len(images))
        self._left[key] = len(images)
        self._vectors[key] = []
        completed: list[tuple[Key, np.ndarray]] = []
        while len(self._images) >= self.batch_size:
            completed += self._embed(self.batch_size)
        return completed

    def finish(self) -> list[tuple[Key, np.ndarray]]:
        """Embed what is still queued (a partial batch); returns the keys it completes."""
        return self._embed(len(self._images)) if self._images else []

    def _embed(self, count: int) -> list[tuple[Key, np.ndarray]]:
        images, owners = self._images[:count], self._owners[:count]
        del self._images[:count], self._owners[:count]
        completed: list[tuple[Key, np.ndarray]] = []
        for owner, vector in zip(owners, self.encoder.embed_images(images), strict=True):
            self._vectors[owner].append(vector)
            self._left[owner] -= 1
            if not self._left[owner]:
                del self._left[owner]
                completed.append((owner, np.stack(self._vectors.pop(owner))))
        return completed
