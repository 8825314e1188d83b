"""Human-readable numbers for labels and tables."""

from __future__ import annotations

_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_size(size: float) -> str:
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def capture_date(captured_at: str | None) -> str:
    """EXIF-style '2021:07:04 12:30:00' or ISO text, shown as '2021-07-04 12:30'."""
    if not captured_at:
        return "—"
    text = captured_at.strip().replace("T", " ")
    date, _, time = text.partition(" ")
    return f"{date.replace(':', '-')} {time[:5]}".strip()


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 file', '2 files', '1,024 files'."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"
