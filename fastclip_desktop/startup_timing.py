"""Timing the app as a user feels it, for bench/bench_gui.py (``FASTCLIP_TIMING=1``).

Prints to stderr, one line per event, flushed at once (the bench timestamps lines as they arrive):

    first-frame            the first file's first frame is shown
    seek <kind> <t> <ms>   a seek to t (kind: "scrub" = keyframe seek, as while dragging;
                           "exact" = frame-exact, as on release) showed its frame after ms
                           milliseconds, from the seek request to mpv's event
    done                   every seek asked for was made; the app then quits

Both are mpv's playback-restart event as it reaches the GUI thread: mpv sends it once "the first
video frame after restart [is] shown", and with the render API a frame is shown when our widget
has rendered it (vo_libmpv waits for the render call).

``FASTCLIP_TIMING_SEEKS`` lists the seek targets in seconds ("600,75.5,1100"); each is done as a
scrub seek and then as an exact seek, one at a time.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

SETTLE_MS = 200  # between seeks: let the picture and the decoder settle, as between a user's drags


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def seeks_from_env() -> list[float]:
    raw = os.environ.get("FASTCLIP_TIMING_SEEKS", "")
    return [float(x) for x in raw.split(",") if x.strip()]


def install(window) -> None:
    """Report the first frame, then run the seeks, then quit (see the module docstring)."""
    player = window.editor.player
    plan = [(kind, t) for t in seeks_from_env() for kind in ("scrub", "exact")]
    state = {"first": False, "current": None, "started": 0.0}

    def first_frame_shown() -> None:
        if not state["first"]:
            state["first"] = True
            say("first-frame")
            QTimer.singleShot(SETTLE_MS, next_seek)

    def next_seek() -> None:
        if not plan:
            say("done")
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, QApplication.instance().quit)
            return
        kind, t = plan.pop(0)
        state.update(current=(kind, t), started=time.perf_counter())
        window.editor.controller.seek(t, exact=kind == "exact")

    def seek_finished(_position: float) -> None:
        if state["current"] is None:
            return
        kind, t = state["current"]
        state["current"] = None
        say(f"seek {kind} {t:g} {(time.perf_counter() - state['started']) * 1000:.1f}")
        QTimer.singleShot(SETTLE_MS, next_seek)

    player.first_frame.connect(first_frame_shown)
    player.seek_finished.connect(seek_finished)
