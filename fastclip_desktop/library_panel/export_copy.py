"""Export a copy of a clip to a place of the user's, as ``fastclip clips export`` does (free of Qt).

The panel runs these on a worker thread (a copy of a long clip takes a while). The file written
is the user's: it is not recorded as a clip, so the library never expires or deletes it.
"""

from __future__ import annotations

import os
from pathlib import Path

from engine import Library


def export_clip_copy(library: Library, clip_id: str, out: str | os.PathLike) -> Path:
    """Copy the clip's file to ``out`` (a file, or a folder): ``Library.export_clip_copy``, as
    ``fastclip clips export`` does."""
    return library.export_clip_copy(clip_id, out)


def export_clip_copies(library: Library, clip_ids: list[str], folder: str | os.PathLike) -> list[Path]:
    """Copy each clip into ``folder`` under its own file name; return the paths written."""
    return [export_clip_copy(library, clip_id, os.path.join(folder, "")) for clip_id in clip_ids]


__all__ = ["export_clip_copies", "export_clip_copy"]
