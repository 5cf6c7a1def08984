"""Where a user's data and settings live: the platformdirs data and config dirs, or $FASTCLIP_HOME for
both (every test sets it)."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "FastClip Desktop"


def data_dir() -> Path:
    """library.db, clips/, fonts/, cache/, logs/."""
    return _home_or("user_data_dir")


def config_dir() -> Path:
    """The desktop app's own settings (desktop.ini)."""
    return _home_or("user_config_dir")


def _home_or(platform_dir: str) -> Path:
    home = os.environ.get("FASTCLIP_HOME")
    if home:
        p = Path(home).expanduser()
    else:
        import platformdirs

        p = Path(getattr(platformdirs, platform_dir)(APP_NAME, appauthor=False))
    p.mkdir(parents=True, exist_ok=True)
    return p


def cache_dir(kind: str | None = None) -> Path:
    """``cache/`` (thumbnails, waveforms, keyframe indexes), or one of its subfolders."""
    p = data_dir() / "cache"
    if kind:
        p = p / kind
    p.mkdir(parents=True, exist_ok=True)
    return p
