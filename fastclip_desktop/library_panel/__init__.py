"""The library panel: sources with their clips beneath (FastPix's getClips view), search, sort, and
the actions on them (open, rename, pin/unpin, export a copy, delete, bulk delete).

This package's top level is free of Qt (the model, and the work run in worker processes); import the
widget from its module: ``library_panel.panel.LibraryPanel``.
"""

from .model import (
    DURATION,
    NAME,
    NEWEST,
    NO_SOURCE,
    OLDEST,
    SORTS,
    Group,
    LibraryModel,
    clip_details_text,
    duration_text,
    expiry_text,
    source_status_text,
)

__all__ = [
    "DURATION",
    "NAME",
    "NEWEST",
    "NO_SOURCE",
    "OLDEST",
    "SORTS",
    "Group",
    "LibraryModel",
    "clip_details_text",
    "duration_text",
    "expiry_text",
    "source_status_text",
]
