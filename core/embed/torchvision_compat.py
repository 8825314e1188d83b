"""Make `import torchvision` work when its compiled ops cannot load (pytorch/vision#9085).

timm and open_clip import torchvision at module level. When torch and torchvision come from
mismatched builds (for example the CUDA torchvision 0.28.0 wheel from PyPI beside a CPU torch
2.13.0), torchvision's `_C` extension fails to load, `torchvision.extension._has_ops()` is False,
and `torchvision/_meta_registrations.py` then calls `torch.library.register_fake("torchvision::nms")`
for an operator that was never defined, so the import dies with
`RuntimeError: operator torchvision::nms does not exist`.

`ensure_torchvision_importable()` runs before torchvision is first imported. It resolves and loads
the `_C` extension exactly as torchvision would (same path lookup, same `torch.ops.load_library`);
only when that fails does it define the schemas of the operators that the import registers fake
kernels for unconditionally (`nms`, `qnms`), copied from torchvision's C++ sources. The operators get
no kernels: Twinlens never calls them, and calling one raises a clear "no kernel" error. On a matched
install the extension loads and nothing else happens; once torchvision is imported this is a no-op.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path
from types import ModuleType

import torch

# Schemas copied from torchvision/csrc/ops/nms.cpp and csrc/ops/quantized/cpu/qnms_kernel.cpp.
_UNCONDITIONAL_FAKE_OPS = {
    "nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
}

_lock = threading.Lock()
# torch.library.Library deregisters its definitions when garbage-collected, so keep it alive.
_stub_library: torch.library.Library | None = None


def ensure_torchvision_importable() -> None:
    """Idempotent; call before importing timm, open_clip or torchvision."""
    global _stub_library
    with _lock:
        if "torchvision" in sys.modules or _stub_library is not None:
            return
        package_dir = _torchvision_package_dir()
        if package_dir is None or _load_compiled_ops(package_dir):
            return
        _stub_library = _define_missing_schemas()


def compat_stubs_installed() -> bool:
    """True when this module had to define stand-in operator schemas (for diagnostics and tests)."""
    return _stub_library is not None


def _torchvision_package_dir() -> Path | None:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _load_compiled_ops(package_dir: Path) -> bool:
    """Load torchvision's `_C` the way `torchvision.extension` does; False when it cannot load."""
    try:
        helpers = _load_standalone(package_dir / "_internally_replaced_utils.py")
        torch.ops.load_library(helpers._get_extension_path("_C"))  # type: ignore[no-untyped-call]
    except (ImportError, OSError, AttributeError):
        return False
    return True


def _load_standalone(path: Path) -> ModuleType:
    """Execute one torchvision helper module without running the (failing) package `__init__`."""
    spec = importlib.util.spec_from_file_location("_twinlens_torchvision_paths", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _define_missing_schemas() -> torch.library.Library:
    library = torch.library.Library("torchvision", "FRAGMENT")  # type: ignore[no-untyped-call]
    for name, schema in _UNCONDITIONAL_FAKE_OPS.items():
        if not _op_exists(name):
            library.define(schema)  # type: ignore[no-untyped-call]
    return library


def _op_exists(name: str) -> bool:
    try:
        torch._C._get_schema(f"torchvision::{name}", "")
    except RuntimeError:
        return False
    return True
