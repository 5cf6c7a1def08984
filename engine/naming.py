"""Output names: the API's default pattern ``source_0-15-0-55.mp4``, or one the user chose (a
segment's label), made safe for the file system; and the ids jobs are known by (``job_…``)."""

from __future__ import annotations

import re
import secrets
from fractions import Fraction
from pathlib import Path

MAX_STEM_BYTES = 150  # leaves room, under the usual 255-byte limit, for " (12)", the extension and a temp name
# characters no file name may hold on one system or another (Windows' are the most)
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                       *(f"LPT{i}" for i in range(1, 10))})  # Windows device names, with any extension


def new_job_id() -> str:
    """A new job id, as the API writes them: ``job_`` and 12 hex digits."""
    return f"job_{secrets.token_hex(6)}"


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


def safe_stem(text: str) -> str:
    """``text`` as a file name's stem on every system: unsafe characters become ``_``, no leading dot
    (a hidden file) nor trailing dot or space, not a Windows device name, at most 150 UTF-8 bytes.
    "" when nothing is left."""
    stem = _UNSAFE.sub("_", text).strip().lstrip(".").rstrip(". ")
    if stem.split(".")[0].strip().upper() in _RESERVED:
        stem = f"_{stem}"
    if len(stem.encode()) > MAX_STEM_BYTES:
        stem = stem.encode()[:MAX_STEM_BYTES].decode(errors="ignore").rstrip(". ")
    return stem


def unique_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name (2)``, ``name (3)``... when taken."""
    p = folder / name
    n = 2
    while p.exists():
        p = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
        n += 1
    return p
