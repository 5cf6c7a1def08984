"""Where a user's data lives: the platformdirs data dir, or $FASTCLIP_HOME (every test sets it)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "FastClip Desktop"


def data_dir() -> Path:
    home = os.environ.get("FASTCLIP_HOME")
    if home:
        p = Path(home).expanduser()
    else:
        import platformdirs

        p = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    p.mkdir(parents=True, exist_ok=True)
    return p


def cache_dir(kind: str | None = None) -> Path:
    """``cache/`` (thumbnails, waveforms, keyframe indexes), or one of its subfolders."""
    p = data_dir() / "cache"
    if kind:
        p = p / kind
    p.mkdir(parents=True, exist_ok=True)
    return p
