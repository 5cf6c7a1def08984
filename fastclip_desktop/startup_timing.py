"""Timing the app as a user feels it, for bench/bench_gui.py (``FASTCLIP_TIMING=1``).

Prints to stderr, one line per event, flushed at once (the bench timestamps lines as they arrive):

    first-frame                    the first file's first frame is shown
    analysed <what>                the timeline's analysis of it arrived: "keyframes", "pictures"
                                   (the thumbnail strip) or "sound" (the waveform, the last one)
    seek <kind> <t> <ms> <phase>   a seek to t (kind: "scrub" = keyframe seek, as while dragging;
                                   "exact" = frame-exact, as on release) showed its frame after ms
                                   milliseconds, from the seek request to mpv's event ("lost"
                                   instead of ms: no frame within LOST_MS; the next seek goes on)
    done                           every seek asked for was made; the app then quits

Both are mpv's playback-restart event as it reaches the GUI thread: mpv sends it once "the first
video frame after restart [is] shown", and with the render API a frame is shown when our widget
has rendered it (vo_libmpv waits for the render call).

``phase`` says what the analysis was computing while the seek was made: the first of
"keyframes", "pictures", "sound" that had not arrived, the same when the seek was asked for and
when its frame showed; "idle" once all three had arrived; "mixed" if one arrived meanwhile.

``FASTCLIP_TIMING_SEEKS`` lists the seek targets in seconds ("600,75.5,1100"); each is done as a
scrub seek and then as an exact seek, one at a time. With ``FASTCLIP_TIMING_LOOP=1`` the list is
done again and again while the analysis runs, then once more after it is complete ("idle"), for
comparison, and only then "done". ``FASTCLIP_TIMING_ROUNDS=n`` does the list n times at least.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

SETTLE_MS = 200  # between seeks: let the picture and the decoder settle, as between a user's drags
LOST_MS = 10_000  # a seek whose frame has not come by then is reported lost, so that the run goes on
STEPS = ("keyframes", "pictures", "sound")  # the editor's analysis, in the order EditorView._analyse runs them: keep in step


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def seeks_from_env() -> list[float]:
    raw = os.environ.get("FASTCLIP_TIMING_SEEKS", "")
    return [float(x) for x in raw.split(",") if x.strip()]


def phase(arrived: set[str], steps: tuple[str, ...] = STEPS) -> str:
    """What the analysis is computing, given what has arrived: the first step missing, or "idle"."""
    return next((step for step in steps if step not in arrived), "idle")


def install(window) -> None:
    """Report the first frame, then run the seeks, then quit (see the module docstring)."""
    editor = window.editor
    player = editor.player
    targets = seeks_from_env()
    loop = os.environ.get("FASTCLIP_TIMING_LOOP") == "1"
    rounds = int(os.environ.get("FASTCLIP_TIMING_ROUNDS") or 1)
    plan: list[tuple[str, float]] = []
    state = {"first": False, "current": None, "started": 0.0, "phase": "", "round_phase": "", "rounds": 0}
    arrived: set[str] = set()

    def current() -> str:
        return phase(arrived, STEPS if player.has_picture else STEPS[2:])  # a file without a picture: sound only

    def new_round() -> None:
        plan.extend((kind, t) for t in targets for kind in ("scrub", "exact"))
        state["round_phase"] = current()
        state["rounds"] += 1

    def first_frame_shown() -> None:
        if not state["first"]:
            state["first"] = True
            say("first-frame")
            new_round()
            QTimer.singleShot(SETTLE_MS, next_seek)

    def analysed(what: str) -> None:
        if what not in arrived:
            arrived.add(what)
            say(f"analysed {what}")

    def next_seek() -> None:
        if not plan and targets and (state["rounds"] < rounds or loop and state["round_phase"] != "idle"):
            new_round()  # rounds still asked for, or the analysis was still running when this one began
        if not plan:
            say("done")
            QTimer.singleShot(0, window.close)
            QTimer.singleShot(0, QApplication.instance().quit)
            return
        kind, t = plan.pop(0)
        state["serial"] = serial = state.get("serial", 0) + 1
        state.update(current=(kind, t), started=time.perf_counter(), phase=current())
        editor.controller.seek(t, exact=kind == "exact")
        QTimer.singleShot(LOST_MS, lambda: lost(serial))

    def lost(serial: int) -> None:
        if state["current"] is None or state["serial"] != serial:
            return  # that seek finished
        kind, t = state["current"]
        state["current"] = None
        say(f"seek {kind} {t:g} lost {state['phase']}")
        next_seek()

    def seek_finished(_position: float) -> None:
        if state["current"] is None:
            return
        kind, t = state["current"]
        state["current"] = None
        ms = (time.perf_counter() - state["started"]) * 1000
        now = current()
        say(f"seek {kind} {t:g} {ms:.1f} {now if now == state['phase'] else 'mixed'}")
        QTimer.singleShot(SETTLE_MS, next_seek)

    player.first_frame.connect(first_frame_shown)
    player.seek_finished.connect(seek_finished)
    editor.analysed.connect(analysed)
