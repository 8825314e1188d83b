"""The torchvision compatibility step, each case in a fresh interpreter (it acts once per process)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_compat_step_makes_torchvision_timm_and_open_clip_importable_and_is_idempotent() -> None:
    out = run_python(
        """
        from core.embed.torchvision_compat import compat_stubs_installed, ensure_torchvision_importable
        ensure_torchvision_importable()
        ensure_torchvision_importable()
        import torchvision, timm, open_clip
        from torchvision import transforms
        ensure_torchvision_importable()
        print(compat_stubs_installed(), transforms.CenterCrop(4)(__import__("torch").zeros(3, 8, 8)).shape[-1])
        """
    )
    stubs, crop = out.split()
    assert crop == "4"
    assert stubs in {"True", "False"}  # True here (CPU torch + CUDA torchvision); False on a matched install


def test_compat_step_defines_nothing_when_the_compiled_ops_load() -> None:
    out = run_python(
        """
        import torch
        from core.embed import torchvision_compat as compat
        compat._load_compiled_ops = lambda package_dir: True  # what a matched install reports
        compat.ensure_torchvision_importable()
        print(compat.compat_stubs_installed(), compat._op_exists("nms"))
        """
    )
    assert out == "False False"


def test_compat_step_does_nothing_once_torchvision_is_imported() -> None:
    out = run_python(
        """
        import sys, types
        sys.modules["torchvision"] = types.ModuleType("torchvision")
        from core.embed import torchvision_compat as compat
        compat.ensure_torchvision_importable()
        print(compat.compat_stubs_installed())
        """
    )
    assert out == "False"


def test_importing_core_embed_does_not_import_torch() -> None:
    out = run_python(
        """
        import sys
        import core.embed
        core.embed.list_models()
        print(any(name in sys.modules for name in ("torch", "timm", "open_clip", "onnxruntime")))
        """
    )
    assert out == "False"
