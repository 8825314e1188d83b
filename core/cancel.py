"""Cooperative cancellation shared by the CLI, the GUI worker and tests."""

from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised by long jobs when their token was cancelled; finished work is already committed."""


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled


NEVER_CANCELLED = CancelToken()
