"""Clip pictures for the library panel, made off the GUI thread (free of Qt).

``pictures(paths, height)`` runs inside ``engine.process.in_worker`` (a worker process, since it
decodes video): for each file it asks the engine for a one-picture thumbnail strip (cached under
``cache_dir("thumbnails")``) and yields ``(path, jpeg)`` as soon as it has it, or ``(path, None)``
for a file without a picture (audio, damaged, gone). The panel shows each as it arrives.
"""

from __future__ import annotations

import engine  # (engine.thumbnails is imported in the worker, when it is first used: PyAV)
from engine import FastClipError

PICTURE_HEIGHT = 36


def pictures(paths: list[str], height: int = PICTURE_HEIGHT):
    """Yield ``(path, jpeg bytes or None)`` for each of ``paths``, in order; return how many had one."""
    made = 0
    for path in paths:
        jpeg = None
        try:
            strip = _result(engine.thumbnails(path, 1, height))
            if strip.thumbnails:
                jpeg = strip.thumbnails[0].jpeg
        except (FastClipError, OSError, ValueError):
            pass  # no picture for this one; the others still get theirs
        made += jpeg is not None
        yield path, jpeg
    return made


def _result(gen):
    """Drive an engine generator to its end (its Progress is not needed here); return its result."""
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value


__all__ = ["PICTURE_HEIGHT", "pictures"]
