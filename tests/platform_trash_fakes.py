"""Fakes of the macOS and Windows trash APIs, written from their documented contracts, that move real files.

They stand in for the platform layer only (pyobjc's `Foundation`, pywin32's `pythoncom`, `win32com` and
`win32file`): core/safety/backend_macos.py and backend_windows.py run unchanged on top of them. Each fake answers
as the documentation says the real call can: success, an error, a nil/NULL result, a permanent delete.

- NSFileManager `trashItemAtURL:resultingItemURL:error:` (pyobjc returns `(ok, resultingURL, error)`; the two
  out-parameters are passed as None), NSURL `getResourceValue:forKey:error:` (`(ok, value, error)`).
- IFileOperation with FOFX_RECYCLEONDELETE: PreDeleteItem may cancel the delete by returning an error HRESULT
  (a Python sink raises COMException); PostDeleteItem gets hrDelete and the newly created item in the Recycle
  Bin, NULL when the item was deleted permanently; IShellItem.GetDisplayName(SIGDN_FILESYSPATH) fails for an
  item without a file system path; a failed HRESULT reaches Python as pywintypes.com_error(hr, text, ...).
"""

from __future__ import annotations

import os
import secrets
import struct
import sys
import types
from pathlib import Path
from typing import Any

import pytest

# Documented values, on purpose not imported from the code under test.
NS_COCOA = "NSCocoaErrorDomain"
NS_FILE_WRITE_NO_PERMISSION = 513
NS_FEATURE_UNSUPPORTED = 3328
TSF_DELETE_RECYCLE_IF_POSSIBLE = 0x80
SIGDN_FILESYSPATH = 0x80058000 - (1 << 32)
E_ACCESSDENIED = 0x80070005 - (1 << 32)
E_INVALIDARG = 0x80070057 - (1 << 32)
E_FILE_NOT_FOUND = 0x80070002 - (1 << 32)
REGDB_E_CLASSNOTREG = 0x80040154 - (1 << 32)
DRIVE_REMOVABLE, DRIVE_FIXED, DRIVE_REMOTE = 2, 3, 4
SID = "S-1-5-21-1004336348-1177238915-682003330-1001"


# --- macOS: pyobjc's Foundation --------------------------------------------------------------------------------


class NSError:
    def __init__(self, domain: str, code: int, description: str) -> None:
        self._domain, self._code, self._description = domain, code, description

    def domain(self) -> str:
        return self._domain

    def code(self) -> int:
        return self._code

    def localizedDescription(self) -> str:
        return self._description


class FakeFoundation:
    """answer: 'move' (ok and the resulting URL), 'nil' (ok, moved, no URL), 'denied' (NSFileWriteNoPermission),
    'unsupported' (NSFeatureUnsupportedError: the volume has no Trash), 'silent' (not ok, and no NSError)."""

    def __init__(self, trash: Path) -> None:
        self.trash = trash
        self.answer = "move"
        self.volume_is_local: bool | None = True  # None: the resource value cannot be read
        self.module = self._module()

    def _module(self) -> types.ModuleType:
        fake = self

        class NSURL:
            def __init__(self, path: str) -> None:
                self._path = path

            @classmethod
            def fileURLWithPath_(cls, path: str) -> NSURL:
                assert os.path.isabs(path), "a file URL is made from an absolute path"
                return cls(path)

            def path(self) -> str:
                return self._path

            def getResourceValue_forKey_error_(self, value: None, key: str, error: None) -> tuple[Any, ...]:
                assert value is None and error is None and key == "NSURLVolumeIsLocalKey"
                if fake.volume_is_local is None:
                    return (False, None, NSError(NS_COCOA, 256, "The file couldn’t be opened."))
                return (True, fake.volume_is_local, None)

        class NSFileManager:
            @classmethod
            def defaultManager(cls) -> NSFileManager:
                return cls()

            def trashItemAtURL_resultingItemURL_error_(self, url: NSURL, out: None, error: None) -> tuple[Any, ...]:
                assert out is None and error is None, "pyobjc: out-parameters are passed as None"
                return fake.trash_item(url.path(), NSURL)

        module = types.ModuleType("Foundation")
        module.NSURL = NSURL  # type: ignore[attr-defined]
        module.NSFileManager = NSFileManager  # type: ignore[attr-defined]
        module.NSURLVolumeIsLocalKey = "NSURLVolumeIsLocalKey"  # type: ignore[attr-defined]
        return module

    def trash_item(self, path: str, url_type: Any) -> tuple[Any, ...]:
        name = os.path.basename(path)
        if self.answer == "denied":
            return (
                False,
                None,
                NSError(NS_COCOA, NS_FILE_WRITE_NO_PERMISSION, f"You don’t have permission for {name}."),
            )
        if self.answer == "unsupported":
            text = f"“{name}” couldn’t be moved to the Trash because the volume “NAS” doesn’t have one."
            return (False, None, NSError(NS_COCOA, NS_FEATURE_UNSUPPORTED, text))
        if self.answer == "silent":
            return (False, None, None)
        self.trash.mkdir(parents=True, exist_ok=True)
        target = self.trash / name
        if target.exists():  # Finder adds the time to a name already in the Trash
            target = self.trash / f"{Path(name).stem} 10.31.02{Path(name).suffix}"
        os.rename(path, target)
        return (True, None if self.answer == "nil" else url_type(str(target)), None)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeFoundation:
        monkeypatch.setitem(sys.modules, "Foundation", self.module)
        return self


# --- Windows: pywin32 ------------------------------------------------------------------------------------------


class ComError(Exception):
    """pywintypes.com_error: args are (hresult, strerror, excepinfo, argerror)."""


class COMException(Exception):
    """win32com.server.exception.COMException: raised in a Python COM object, it becomes the HRESULT scode."""

    def __init__(self, description: str | None = None, scode: int | None = None, **_: Any) -> None:
        super().__init__(description)
        self.scode = scode


class ShellItem:
    def __init__(self, path: str, file_system: bool = True) -> None:
        self.path, self.file_system = path, file_system

    def GetDisplayName(self, sigdn: int) -> str:
        assert sigdn == SIGDN_FILESYSPATH
        if not self.file_system:
            raise ComError(E_INVALIDARG, "The parameter is incorrect.", None, None)
        return self.path


def write_info(info: Path, original: str, size: int, deleted_at: int, version: int = 2) -> None:
    """An `$I` record: version, size, deletion FILETIME; then (v2) the length in WCHARs with the NUL and the path,
    or (v1) the path in a fixed 520 bytes."""
    head = struct.pack("<qqq", version, size, deleted_at)
    name = (original + "\0").encode("utf-16-le")
    body = struct.pack("<i", len(original) + 1) + name if version == 2 else name.ljust(520, b"\0")
    info.write_bytes(head + body)


class FileOperation:
    def __init__(self, shell: FakeShell) -> None:
        self.shell, self.flags, self.items = shell, 0, []  # type: ignore[var-annotated]
        self.sinks: dict[int, Any] = {}
        self.aborted = False
        shell.operations.append(self)

    def SetOperationFlags(self, flags: int) -> None:
        self.flags = flags

    def Advise(self, sink: Any) -> int:
        cookie = len(self.sinks) + 1
        self.sinks[cookie] = sink
        return cookie

    def Unadvise(self, cookie: int) -> None:
        del self.sinks[cookie]

    def DeleteItem(self, item: ShellItem, sink: Any) -> None:
        self.items.append(item)

    def GetAnyOperationsAborted(self) -> bool:
        return self.aborted

    def PerformOperations(self) -> None:
        for item in self.items:
            tsf = TSF_DELETE_RECYCLE_IF_POSSIBLE if self.shell.answer != "too-large" else 0
            try:
                for sink in self.sinks.values():
                    sink.PreDeleteItem(tsf, item)
            except COMException as veto:  # an error HRESULT from PreDeleteItem cancels this and what follows
                self.aborted = True
                if self.shell.veto_raises:
                    raise ComError(veto.scode, "Operation aborted", None, None) from None
                return
            result, created = self.shell.delete(item.path)
            for sink in self.sinks.values():
                sink.PostDeleteItem(tsf, item, result, created)
            if result < 0:  # FOFX_EARLYFAILURE with FOF_NOERRORUI: the first error stops the operation
                raise ComError(result, "Access is denied.", None, None)


class FakeShell:
    """answer: 'recycle' ($R + $I, the newly created item), 'permanent' (deleted, NULL item), 'denied' (hrDelete
    E_ACCESSDENIED, the file stays), 'too-large' (no TSF_DELETE_RECYCLE_IF_POSSIBLE: would be deleted
    permanently), 'virtual' (recycled, but the new item has no file system path)."""

    CLSID_FileOperation = "{3AD05575-8857-4850-9277-11B85BDB8E09}"
    IID_IFileOperation = "{947AAB5F-0A5C-4C13-B4D6-4BF7836FC9F8}"
    IID_IShellItem = "{43826D1E-E718-42EE-BC55-A1E261C37BFE}"
    IID_IFileOperationProgressSink = "{04B0F1A7-9490-44BC-96E1-4296A31252E2}"

    def __init__(self, bin_folder: Path) -> None:
        self.bin = bin_folder
        self.answer = "recycle"
        self.veto_raises = True
        self.operations: list[FileOperation] = []

    def SHCreateItemFromParsingName(self, path: str, bind: None, iid: str) -> ShellItem:
        assert iid == self.IID_IShellItem
        if not os.path.lexists(path):
            raise ComError(E_FILE_NOT_FOUND, "The system cannot find the file specified.", None, None)
        return ShellItem(path)

    def delete(self, path: str) -> tuple[int, ShellItem | None]:
        if self.answer == "denied":
            return E_ACCESSDENIED, None
        if self.answer == "permanent":
            os.remove(path)  # what a NULL newly created item documents; only ever a test's generated copy
            return 0, None
        self.bin.mkdir(parents=True, exist_ok=True)
        suffix = secrets.token_hex(3).upper() + Path(path).suffix
        recycled = self.bin / f"$R{suffix}"
        write_info(
            self.bin / f"$I{suffix}", path, os.path.getsize(path), 133_000_000_000_000_000 + len(self.operations)
        )
        os.rename(path, recycled)
        return 0, ShellItem(str(recycled), file_system=self.answer != "virtual")


class FakePywin32:
    def __init__(self, volume_root: Path) -> None:
        self.shell = FakeShell(volume_root / "$Recycle.Bin" / SID)
        self.drive_types: dict[str, int] = {}
        self.com_calls: list[str] = []
        self.changed_mode = False  # COM already initialised on this thread as multithreaded
        self.class_not_registered = False  # CoCreateInstance fails

    def modules(self) -> dict[str, types.ModuleType]:
        fake = self
        pythoncom = types.ModuleType("pythoncom")
        pythoncom.com_error = ComError  # type: ignore[attr-defined]
        pythoncom.CLSCTX_ALL = 23  # type: ignore[attr-defined]

        def co_initialize() -> None:
            if fake.changed_mode:
                raise ComError(0x80010106 - (1 << 32), "Cannot change thread mode after it is set.", None, None)
            fake.com_calls.append("init")

        def co_create_instance(clsid: str, outer: None, context: int, iid: str) -> FileOperation:
            assert (clsid, iid) == (FakeShell.CLSID_FileOperation, FakeShell.IID_IFileOperation)
            if fake.class_not_registered:
                raise ComError(REGDB_E_CLASSNOTREG, "Class not registered", None, None)
            return FileOperation(fake.shell)

        def wrap(ob: Any, iid: str | None = None, **_: Any) -> Any:
            assert iid == FakeShell.IID_IFileOperationProgressSink and "PostDeleteItem" in ob._public_methods_
            return ob  # the COM wrapper calls straight back into the Python object

        pythoncom.CoInitialize = co_initialize  # type: ignore[attr-defined]
        pythoncom.CoUninitialize = lambda: fake.com_calls.append("uninit")  # type: ignore[attr-defined]
        pythoncom.CoCreateInstance = co_create_instance  # type: ignore[attr-defined]
        win32file = types.ModuleType("win32file")
        win32file.GetDriveType = lambda root: fake.drive_types.get(root, DRIVE_FIXED)  # type: ignore[attr-defined]
        win32com, server = types.ModuleType("win32com"), types.ModuleType("win32com.server")
        win32com.__path__, server.__path__ = [], []
        shell_module, exception, util = (
            types.ModuleType(f"win32com.{n}") for n in ("shell", "server.exception", "server.util")
        )
        shell_module.shell = self.shell  # type: ignore[attr-defined]
        exception.COMException = COMException  # type: ignore[attr-defined]
        util.wrap = wrap  # type: ignore[attr-defined]
        return {
            "pythoncom": pythoncom,
            "win32file": win32file,
            "win32com": win32com,
            "win32com.shell": shell_module,
            "win32com.server": server,
            "win32com.server.exception": exception,
            "win32com.server.util": util,
        }

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakePywin32:
        for name, module in self.modules().items():
            monkeypatch.setitem(sys.modules, name, module)
        return self
