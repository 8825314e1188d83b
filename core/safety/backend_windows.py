"""The Windows Recycle Bin, through the shell's IFileOperation (pywin32), which says which item a file became.

One file per operation, with FOFX_RECYCLEONDELETE and no UI. The progress sink decides what the journal may say:
- PreDeleteItem without TSF_DELETE_RECYCLE_IF_POSSIBLE means the shell would delete the file permanently (too
  large for the bin, no bin on the volume): the sink vetoes it, the operation stops, the file stays.
- PostDeleteItem gives the result of the delete and the newly created item, the file inside the Recycle Bin
  (`C:\\$Recycle.Bin\\<SID>\\$R2F7KQ1.jpg`); NULL there means it was deleted permanently, never taken as success.
A location is reported only once the file is gone from its place and that `$R` file is in a `$Recycle.Bin`.

Beside each `$R` file the bin keeps `$I` (same suffix): its original path and deletion time. Restore moves the
`$R` file back without replacing anything and removes its `$I`, as Explorer's Restore does; when the journal has
no location (a crash mid-move), the `$I` records of the volume are searched for the original path.

Which volumes have a Recycle Bin: fixed drives (GetDriveType); network shares, removable sticks, optical and RAM
drives have none, so core/safety/trash.py offers the quarantine folder there before anything moves.

pywin32 is imported only when a method runs: on other systems this module imports, and is never used.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from core.safety.backend import RestoreError, VolumeProbe, put_back

RECYCLE_BIN = "the Recycle Bin"
BIN_FOLDER = "$recycle.bin"  # compared case-insensitively

# Documented values (shellapi.h, shobjidl_core.h): older pywin32 releases lack some of them in shellcon.
FOF_SILENT = 0x0004
FOF_NOCONFIRMATION = 0x0010
FOF_NOERRORUI = 0x0400
FOFX_RECYCLEONDELETE = 0x00080000
FOFX_EARLYFAILURE = 0x00100000
OPERATION_FLAGS = FOFX_RECYCLEONDELETE | FOF_NOCONFIRMATION | FOF_SILENT | FOF_NOERRORUI | FOFX_EARLYFAILURE
TSF_DELETE_RECYCLE_IF_POSSIBLE = 0x80
SIGDN_FILESYSPATH = 0x80058000 - (1 << 32)  # pywin32 passes SIGDN values as signed 32-bit ints
E_ABORT = 0x80004004 - (1 << 32)
RPC_E_CHANGED_MODE = 0x80010106 - (1 << 32)  # COM already runs in another apartment on this thread
DRIVE_FIXED = 3
# Win32 errors (inside HRESULT_FROM_WIN32) as the errno a person's error message should carry.
WIN32_ERRNO = {2: errno.ENOENT, 3: errno.ENOENT, 5: errno.EACCES, 19: errno.EROFS, 32: errno.EBUSY, 112: errno.ENOSPC}
SINK_METHODS = [
    "StartOperations",
    "FinishOperations",
    "PreRenameItem",
    "PostRenameItem",
    "PreMoveItem",
    "PostMoveItem",
    "PreCopyItem",
    "PostCopyItem",
    "PreDeleteItem",
    "PostDeleteItem",
    "PreNewItem",
    "PostNewItem",
    "UpdateProgress",
    "ResetTimer",
    "PauseTimer",
    "ResumeTimer",
]


@dataclass(frozen=True)
class Win32:
    """The parts of pywin32 this backend calls (tests put fakes written from the documented contracts here)."""

    pythoncom: Any
    shell: Any
    com_exception: Any  # win32com.server.exception.COMException: how a Python sink returns an error HRESULT
    wrap: Any  # win32com.server.util.wrap: a Python object as a COM interface
    win32file: Any


def pywin32() -> Win32:
    """pywin32's modules; a clear OSError when it is not installed (it is a dependency on Windows)."""
    try:
        import pythoncom
        import win32file
        from win32com.server.exception import COMException
        from win32com.server.util import wrap
        from win32com.shell import shell
    except ImportError as error:
        raise OSError(
            errno.ENOSYS, f"pywin32 is not installed, so Twinlens cannot use the Recycle Bin ({error})"
        ) from error
    return Win32(pythoncom, shell, COMException, wrap, win32file)


class WindowsVolumeProbe(VolumeProbe):
    """Only fixed drives have a Recycle Bin; any other kind of drive (or an unknown one) has none."""

    def has_trash(self, path: str) -> bool:
        root = os.path.join(self.mount_point(path), "")  # GetDriveType wants the trailing backslash
        return int(pywin32().win32file.GetDriveType(root)) == DRIVE_FIXED


class RecycleSink:
    """IFileOperationProgressSink for one delete: vetoes a permanent delete and records the Recycle Bin item."""

    _public_methods_ = SINK_METHODS

    def __init__(self, win: Win32) -> None:
        self._com_interfaces_ = [win.shell.IID_IFileOperationProgressSink]
        self.win = win
        self.vetoed = False
        self.result: int | None = None  # hrDelete: the result of the delete itself
        self.reported = False  # PostDeleteItem named a newly created item
        self.recycled: str | None = None  # its file system path

    def PreDeleteItem(self, flags: int, item: Any) -> None:
        if not flags & TSF_DELETE_RECYCLE_IF_POSSIBLE:
            self.vetoed = True  # the shell would delete it permanently: an error HRESULT cancels the delete
            raise self.win.com_exception(description="it would not go to the Recycle Bin", scode=E_ABORT)

    def PostDeleteItem(self, flags: int, item: Any, hr_delete: int, newly_created: Any) -> None:
        self.result = hr_delete
        if newly_created is None:
            return
        self.reported = True
        try:
            self.recycled = str(newly_created.GetDisplayName(SIGDN_FILESYSPATH))
        except self.win.pythoncom.com_error:
            self.recycled = None  # an item without a file system path: not one Twinlens can restore

    def _nothing_to_record(self, *args: Any) -> None:
        """Every other notification of the sink."""

    StartOperations = FinishOperations = UpdateProgress = ResetTimer = PauseTimer = ResumeTimer = _nothing_to_record
    PreRenameItem = PostRenameItem = PreMoveItem = PostMoveItem = _nothing_to_record
    PreCopyItem = PostCopyItem = PreNewItem = PostNewItem = _nothing_to_record


class WindowsTrash:
    """The Windows Recycle Bin. Never deletes anything: a delete that would not recycle is vetoed."""

    def __init__(self, probe: VolumeProbe | None = None) -> None:
        self.probe = probe or WindowsVolumeProbe()

    def has_trash(self, path: str) -> bool:
        return self.probe.has_trash(path)

    def volume(self, path: str) -> str:
        return self.probe.mount_point(path)

    def move_to_trash(self, path: str) -> str | None:
        """The `$R` file it became; None when the shell reported no item with a file system path."""
        path = os.path.abspath(path)
        win = pywin32()
        with _com_apartment(win):
            sink, failure = _recycle(win, path)
        return where_it_went(path, sink, failure)

    def restore(self, trash_path: str | None, original_path: str) -> None:
        if trash_path is None:
            trash_path = find_recycled(original_path, self.probe.mount_point(original_path))
            if trash_path is None:
                raise RestoreError(look_in_recycle_bin(original_path))
        if put_back(trash_path, original_path, RECYCLE_BIN):
            with contextlib.suppress(FileNotFoundError):
                os.remove(info_file(trash_path))  # the bin's record of it, not a photo: Explorer's Restore does this
        # copied across volumes: the `$R` file and its `$I` stay in the bin, nothing is deleted


def where_it_went(path: str, sink: RecycleSink, failure: OSError | None) -> str | None:
    """The verified `$R` file; else an OSError saying what happened; else None (nothing was reported)."""
    location = sink.recycled
    if location and is_recycled_item(location) and os.path.lexists(location) and not os.path.lexists(path):
        return location  # whatever the operation said afterwards, the file is in the bin, here
    if sink.vetoed:
        raise OSError(errno.EPERM, "Windows would have deleted it permanently: it cannot go to the Recycle Bin", path)
    deleted = sink.result is not None and sink.result >= 0 and not sink.reported and not os.path.lexists(path)
    if deleted:  # PostDeleteItem without a newly created item: documented as deleted, not recycled
        raise OSError(errno.EIO, "Windows reports it was deleted without going to the Recycle Bin", path)
    if failure is not None:
        raise failure
    if sink.result is not None and sink.result < 0:
        raise hresult_error(sink.result, "the delete failed", path)
    return None


@contextlib.contextmanager
def _com_apartment(win: Win32) -> Iterator[None]:
    """COM on this thread for the operation (IFileOperation wants a single-threaded apartment)."""
    try:
        win.pythoncom.CoInitialize()
    except win.pythoncom.com_error as error:
        if error.args[0] != RPC_E_CHANGED_MODE:
            raise hresult_error(error.args[0], "COM could not start", None) from error
        yield  # already initialised in another mode by this thread's owner: use it, do not uninitialise
        return
    try:
        yield
    finally:
        win.pythoncom.CoUninitialize()


def _recycle(win: Win32, path: str) -> tuple[RecycleSink, OSError | None]:
    """Run one delete with FOFX_RECYCLEONDELETE; the sink says what happened, a COM error is returned."""
    com_error = win.pythoncom.com_error
    sink = RecycleSink(win)
    try:
        operation = win.pythoncom.CoCreateInstance(
            win.shell.CLSID_FileOperation, None, win.pythoncom.CLSCTX_ALL, win.shell.IID_IFileOperation
        )
        operation.SetOperationFlags(OPERATION_FLAGS)
        cookie = operation.Advise(win.wrap(sink, win.shell.IID_IFileOperationProgressSink))
    except com_error as error:
        return sink, hresult_error(error.args[0], "the Recycle Bin could not be reached", path)
    try:
        item = win.shell.SHCreateItemFromParsingName(path, None, win.shell.IID_IShellItem)
        operation.DeleteItem(item, None)
        operation.PerformOperations()
        if operation.GetAnyOperationsAborted():
            return sink, OSError(errno.ECANCELED, "Windows stopped the move to the Recycle Bin", path)
    except com_error as error:
        return sink, hresult_error(error.args[0], str(error.args[1] or "the move failed"), path)
    finally:
        with contextlib.suppress(com_error):
            operation.Unadvise(cookie)
    return sink, None


def hresult_error(hresult: int, text: str, path: str | None) -> OSError:
    code = hresult & 0xFFFFFFFF
    number = WIN32_ERRNO.get(code & 0xFFFF, errno.EIO) if code >> 16 == 0x8007 else errno.EIO
    return OSError(number, f"{text} (HRESULT 0x{code:08X})", path)


# --- the Recycle Bin's own files ------------------------------------------------------------------------------


def is_recycled_item(path: str) -> bool:
    """A `$R` file directly inside a user's folder of a `$Recycle.Bin`."""
    folder = os.path.dirname(os.path.dirname(path))
    return os.path.basename(path).upper().startswith("$R") and os.path.basename(folder).lower() == BIN_FOLDER


def info_file(recycled: str) -> str:
    """`$R2F7KQ1.jpg` → `$I2F7KQ1.jpg`, beside it."""
    return os.path.join(os.path.dirname(recycled), "$I" + os.path.basename(recycled)[2:])


@dataclass(frozen=True)
class RecycleRecord:
    original: str
    deleted_at: int  # FILETIME: 100 ns ticks since 1601


def read_info(path: str) -> RecycleRecord | None:
    """An `$I` file: version 1 (Vista to 8.1: the path in a fixed 520 bytes) or 2 (Windows 10 on: its length,
    then the path), both after the version, the size and the deletion time (8 bytes each, little-endian)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(1 << 16)
    except OSError:
        return None
    if len(data) < 28:
        return None
    version, deleted_at = int.from_bytes(data[0:8], "little"), int.from_bytes(data[16:24], "little")
    if version == 1:
        raw = data[24 : 24 + 520]
    elif version == 2:
        raw = data[28 : 28 + 2 * int.from_bytes(data[24:28], "little")]
    else:
        return None
    original = raw.decode("utf-16-le", errors="replace").split("\0", 1)[0]
    return RecycleRecord(original, deleted_at) if original else None


def find_recycled(original_path: str, volume_root: str) -> str | None:
    """The `$R` file of the newest `$I` record naming original_path, in the bins of its volume we may read."""
    wanted = os.path.normcase(os.path.abspath(original_path))
    best: tuple[int, str] | None = None
    for info in _info_files(os.path.join(volume_root, "$Recycle.Bin")):
        record = read_info(info)
        recycled = os.path.join(os.path.dirname(info), "$R" + os.path.basename(info)[2:])
        if record is None or os.path.normcase(record.original) != wanted or not os.path.lexists(recycled):
            continue
        if best is None or record.deleted_at > best[0]:
            best = (record.deleted_at, recycled)
    return best[1] if best else None


def _info_files(bin_root: str) -> list[str]:
    """Every `$I` file in the users' folders of a `$Recycle.Bin` (others' folders are not readable: skipped)."""
    found = []
    with contextlib.suppress(OSError):
        for user in os.scandir(bin_root):
            with contextlib.suppress(OSError):
                found += [e.path for e in os.scandir(user.path) if e.name.upper().startswith("$I")]
    return found


def look_in_recycle_bin(original_path: str) -> str:
    name, folder = os.path.basename(original_path), os.path.dirname(original_path)
    return (
        f"it was not found in the Recycle Bin's records: look for {name!r} in the Recycle Bin on the desktop "
        f"(its original location is {folder}) and use Restore there"
    )
