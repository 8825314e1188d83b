"""Errors raised by the embedding engine; importable without torch."""

from __future__ import annotations


class EmbedError(Exception):
    """Base class for embedding-engine failures the UI can show as a message."""


class UnknownModelError(EmbedError, KeyError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown model {name!r}; known models: {', '.join(known)}")
        self.name = name

    def __str__(self) -> str:
        return str(self.args[0])


class MissingWeightsError(EmbedError):
    """The model's weights are neither in the local cache nor given as a file (and we may not download)."""

    def __init__(self, model: str, message: str) -> None:
        super().__init__(message)
        self.model = model
        self.message = message

    def __str__(self) -> str:
        return self.message


class WeightsFormatError(EmbedError):
    """A user-supplied weights file has an unsupported type or content."""
