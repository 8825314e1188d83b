"""The macOS Trash, through NSFileManager (pyobjc's Foundation), which says where each file went.

`trashItemAtURL:resultingItemURL:error:` moves a file into the Trash of its volume and hands back the URL it now
has there (`~/.Trash/photo.jpg`, `/Volumes/X/.Trashes/501/photo 10.31.02.jpg`), so the journal records the
exact place and undo moves the file back from it. The call never deletes: a volume without a Trash makes it fail
with NSFeatureUnsupportedError and the file stays where it was.

Which volumes have a Trash: local ones (NSURLVolumeIsLocalKey). A network volume (SMB, AFP, NFS) is treated as
having none, since macOS refuses to trash on SMB shares (NSFeatureUnsupportedError), so core/safety/trash.py offers
the quarantine folder there before anything moves. A local volume whose Trash is disabled fails at the move,
with a message that says so; nothing moves.

Foundation is imported only when a method runs: on other systems this module imports, and is never used.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from core.safety.backend import RestoreError, VolumeProbe, put_back

TRASH = "the Trash"
NS_FEATURE_UNSUPPORTED = 3328  # NSFeatureUnsupportedError: the volume has no Trash
COCOA_DOMAIN = "NSCocoaErrorDomain"
POSIX_DOMAIN = "NSPOSIXErrorDomain"
# The Cocoa file errors the Trash can answer with, as the errno a person's error message should carry.
COCOA_ERRNO = {
    4: errno.ENOENT,  # NSFileNoSuchFileError
    257: errno.EACCES,  # NSFileReadNoPermissionError
    260: errno.ENOENT,  # NSFileReadNoSuchFileError
    513: errno.EACCES,  # NSFileWriteNoPermissionError
    640: errno.ENOSPC,  # NSFileWriteOutOfSpaceError
    642: errno.EROFS,  # NSFileWriteVolumeReadOnlyError
    NS_FEATURE_UNSUPPORTED: errno.ENOTSUP,
}


def foundation() -> Any:
    """pyobjc's Foundation module; a clear OSError when it is not installed (it is a dependency on macOS)."""
    try:
        import Foundation
    except ImportError as error:
        raise OSError(
            errno.ENOSYS, f"pyobjc-framework-Cocoa is not installed, so Twinlens cannot use the Trash ({error})"
        ) from error
    return Foundation


class MacVolumeProbe(VolumeProbe):
    """A volume has a Trash when it is local; a network volume, or one whose kind cannot be read, has none."""

    def has_trash(self, path: str) -> bool:
        api = foundation()
        url = api.NSURL.fileURLWithPath_(os.path.abspath(path))
        ok, is_local, _error = url.getResourceValue_forKey_error_(None, api.NSURLVolumeIsLocalKey, None)
        return bool(ok) and bool(is_local)


class MacTrash:
    """The macOS Trash. Never deletes anything."""

    def __init__(self, probe: VolumeProbe | None = None) -> None:
        self.probe = probe or MacVolumeProbe()

    def has_trash(self, path: str) -> bool:
        return self.probe.has_trash(path)

    def volume(self, path: str) -> str:
        return self.probe.mount_point(path)

    def move_to_trash(self, path: str) -> str | None:
        """Where the file now lies in the Trash; None when macOS moved it but gave no URL (nil)."""
        api = foundation()
        url = api.NSURL.fileURLWithPath_(os.path.abspath(path))
        manager = api.NSFileManager.defaultManager()
        ok, resulting_url, error = manager.trashItemAtURL_resultingItemURL_error_(url, None, None)
        if not ok:
            raise trash_error(error, path)
        if resulting_url is None:
            return None
        location = resulting_url.path()
        return str(location) if location else None

    def restore(self, trash_path: str | None, original_path: str) -> None:
        if trash_path is None:
            raise RestoreError(look_in_finder(original_path))
        put_back(trash_path, original_path, TRASH)  # copied across volumes: the trashed copy stays in the Trash


def trash_error(error: Any, path: str) -> OSError:
    """The NSError of a failed trashItemAtURL as an OSError (the file did not move)."""
    if error is None:
        return OSError(errno.EIO, "macOS refused to move it to the Trash and gave no reason", path)
    domain, code = str(error.domain()), int(error.code())
    text = str(error.localizedDescription())
    if domain == COCOA_DOMAIN and code == NS_FEATURE_UNSUPPORTED:
        text = f"its volume has no Trash; nothing was moved ({text})"
    number = code if domain == POSIX_DOMAIN else COCOA_ERRNO.get(code, errno.EIO)
    return OSError(number, f"{text} [{domain} {code}]", path)


def look_in_finder(original_path: str) -> str:
    name, folder = os.path.basename(original_path), os.path.dirname(original_path)
    return (
        f"macOS did not say where in the Trash it went: look for {name!r} in the Trash in Finder (it was deleted "
        f"from {folder}) and use File > Put Back"
    )
