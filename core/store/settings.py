"""Library settings, one typed accessor per setting; each key is written here and nowhere else.

Plain settings are attributes (`settings.active_model`, `settings.scan_folders = [...]`); settings of one model
are methods (`settings.threshold(model_id, tier)`, `settings.set_threshold(model_id, tier, value)`). Every
write holds the library's writer lock (re-entrant: a scan's own writes go through), whoever writes: the model
service and calibration write settings outside Library's methods. Settings that belong to the window only
(geometry, splitters) are QSettings' business, never stored here.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from core.entities import Tier
from core.store.sql import Part
from core.store.writer_lock import WriterLock

V = TypeVar("V")


def _paths(text: str) -> list[str]:
    """A list of paths stored as JSON (undecodable bytes kept as escaped surrogates)."""
    return [str(p) for p in json.loads(text)]


def _dump_paths(paths: Sequence[str]) -> str:
    return json.dumps(list(paths))


def _volumes(text: str) -> frozenset[str]:
    return frozenset(json.loads(text))


def _dump_volumes(volumes: frozenset[str]) -> str:
    return json.dumps(sorted(volumes))


class _Stored(Generic[V]):
    """A setting under a fixed key, stored as text; None when it was never set."""

    def __init__(self, key: str, load: Callable[[str], V], dump: Callable[[V], str]) -> None:
        self.key, self.load, self.dump = key, load, dump

    def __get__(self, settings: Settings, owner: object = None) -> V | None:
        stored = settings._text(self.key)
        return None if stored is None else self.load(stored)

    def __set__(self, settings: Settings, value: V) -> None:
        settings._put(self.key, self.dump(value))


class _StoredOr(_Stored[V]):
    """A setting with a default, given in its stored form (so a mutable default is never shared)."""

    def __init__(self, key: str, load: Callable[[str], V], dump: Callable[[V], str], default: str) -> None:
        super().__init__(key, load, dump)
        self.default = default

    def __get__(self, settings: Settings, owner: object = None) -> V:
        stored = settings._text(self.key)
        return self.load(self.default if stored is None else stored)


class Settings(Part):
    writer: WriterLock | None = None  # set by Library: every write holds it

    # --- the library's ---------------------------------------------------------------------------------------

    active_model = _Stored[str]("active_model", str, str)
    device = _StoredOr[str]("device", str, str, default="auto")
    neighbours = _Stored[int]("neighbours", int, str)  # k of the stored k-NN graph
    keep_rules = _Stored[str]("keep_rules", str, str)  # rule names, comma-separated (core.tiers.keep.parse_rules)
    scan_folders = _StoredOr[list[str]]("scan_folders", _paths, _dump_paths, default="[]")
    protected_folders = _StoredOr[list[str]]("protected_folders", _paths, _dump_paths, default="[]")
    excluded_folders = _StoredOr[list[str]]("excluded_folders", _paths, _dump_paths, default="[]")
    # Mount points of volumes without a trash where the person allowed a quarantine folder.
    quarantine_volumes = _StoredOr[frozenset[str]]("quarantine_volumes", _volumes, _dump_volumes, default="[]")
    # The Unicode version the path-key indexes were built under (core/store/catalog.py rebuilds them on a change).
    path_key_unicode = _Stored[str]("path_key_unicode", str, str)

    # --- per model (by name), recorded when its encoder is built ------------------------------------------------

    def weights(self, name: str) -> Path | None:
        stored = self._text(_weights_key(name))
        return Path(stored) if stored else None

    def set_weights(self, name: str, path: Path) -> None:
        self._put(_weights_key(name), str(path))

    def model_id(self, name: str) -> str | None:
        return self._text(_model_id_key(name))

    def set_model_id(self, name: str, model_id: str) -> None:
        self._put(_model_id_key(name), model_id)

    def dim(self, name: str) -> int | None:
        stored = self._text(_dim_key(name))
        return int(stored) if stored else None

    def set_dim(self, name: str, dim: int) -> None:
        self._put(_dim_key(name), str(dim))

    # --- per model id: what calibration found ---------------------------------------------------------------

    def threshold(self, model_id: str, tier: Tier) -> float | None:
        stored = self._text(_threshold_key(model_id, tier))
        return None if stored is None else float(stored)

    def set_threshold(self, model_id: str, tier: Tier, value: float) -> None:
        self._put(_threshold_key(model_id, tier), repr(float(value)))

    def calibrated(self, model_id: str) -> float | None:
        """The target precision this model was calibrated for on this library; None: never calibrated here."""
        stored = self._text(_calibrated_key(model_id))
        return None if stored is None else float(stored)

    def set_calibrated(self, model_id: str, target_precision: float) -> None:
        self._put(_calibrated_key(model_id), repr(float(target_precision)))

    # --- storage -----------------------------------------------------------------------------------------

    def _text(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else None

    def _put(self, key: str, value: str) -> None:
        with self.writer.hold("settings change") if self.writer else contextlib.nullcontext():
            self.db.table("settings").upsert({"key": key, "value": value}, pk="key")


def _weights_key(name: str) -> str:
    return f"weights:{name}"


def _model_id_key(name: str) -> str:
    return f"model_id:{name}"


def _dim_key(name: str) -> str:
    return f"dim:{name}"


def _threshold_key(model_id: str, tier: Tier) -> str:
    return f"threshold:{model_id}:{tier}"


def _calibrated_key(model_id: str) -> str:
    return f"calibrated:{model_id}"
