"""Tests that read ../shared/bench skip, saying why, where it is absent, and fail on CI, where it must be."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.conftest as conftest


def test_absent_bench_skips_with_its_reason_off_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "BENCH", tmp_path / "no-bench")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="shared benchmark photos are absent"):
        conftest.require_bench()


def test_absent_bench_fails_on_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(conftest, "BENCH", tmp_path / "no-bench")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have them"):
        conftest.require_bench()
