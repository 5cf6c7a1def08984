"""Default output names, following the API's pattern: ``source_0-15-0-55.mp4``."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path


def _stamp(t: Fraction) -> str:
    minutes, secs = divmod(Fraction(t), 60)
    s = f"{float(secs):.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}-{s}"


def clip_name(source: str | Path, segments, extension: str) -> str:
    """``<stem>_<m>-<s>-<m>-<s>.<ext>`` for one segment; joined clips list first and last."""
    stem = Path(source).stem
    if len(segments) == 1:
        (s, e), = segments
        return f"{stem}_{_stamp(s)}-{_stamp(e)}.{extension}"
    return f"{stem}_{_stamp(segments[0][0])}-{_stamp(segments[-1][1])}_joined{len(segments)}.{extension}"


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2)``, ``name (3)``... when taken."""
    p = folder / name
    n = 2
    while p.exists():
        p = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
        n += 1
    return p
