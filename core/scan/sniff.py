"""Recognise image files by their first bytes, not by their name."""

from __future__ import annotations

# TIFF-structured camera RAW files: decoded through their embedded JPEG preview.
RAW_EXTENSIONS = frozenset(
    (".dng", ".cr2", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2", ".pef", ".srw", ".3fr", ".erf", ".kdc")
)
# Files with these extensions are never opened: reading their first bytes on every scan would be wasted I/O.
NON_IMAGE_EXTENSIONS = frozenset(
    (
        *(".mp4", ".mov", ".avi", ".mkv", ".m4v", ".3gp", ".wmv", ".webm", ".mts", ".m2ts"),
        # The large ones first: a video read whole before its header says so costs its size in memory.
        *(".mpg", ".mpeg", ".m2v", ".vob", ".mod", ".tod", ".ts", ".flv", ".f4v", ".ogv", ".asf", ".dv", ".mxf"),
        *(".rm", ".rmvb", ".divx", ".insv", ".lrf", ".braw", ".r3d", ".iso", ".dmg", ".vmdk", ".vdi", ".qcow2"),
        *(".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus", ".amr", ".wma", ".aif", ".aiff"),
        *(".txt", ".md", ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".csv"),
        *(".json", ".xml", ".html", ".htm", ".zip", ".gz", ".tar", ".7z", ".rar", ".exe", ".dll", ".so"),
        *(".py", ".db", ".sqlite", ".ini", ".log", ".thm", ".xmp", ".aae", ".lrv", ".ds_store", ".plist"),
        *(".vcf", ".apk"),
    )
)
HEADER_BYTES = 32


def sniff_format(header: bytes) -> str | None:
    """The image format the bytes start with, or None when they are not an image Twinlens reads."""
    if header.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if header.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return "WEBP"
    if header[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if header[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"  # also most camera RAW files (DNG, CR2, NEF, ARW, ...): decided by extension later
    if header[:4] == b"IIRO" or header[:4] == b"IIU\x00" or header[:8] == b"FUJIFILM":
        return "RAW"
    if header[:2] == b"BM":
        return "BMP"
    if header[4:8] == b"ftyp":
        brand = header[8:12]
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"):
            return "HEIF"
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand == b"crx ":
            return "RAW"
    return None


def wants_sniffing(suffix: str) -> bool:
    """Whether a file with this (lower-case) suffix may be an image and should be looked at."""
    return suffix not in NON_IMAGE_EXTENSIONS
