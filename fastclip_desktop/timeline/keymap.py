"""Editing keys, free of Qt: a key name -> an action -> what it does to the timeline and the player.

The widget turns a key press into a name ("Space", "K", "Left", "Comma", "Return", ...), asks
``action_for`` and calls ``perform``. Segment edits go through ``edits`` (the undo stack in the
app), never straight to the model.
"""

from __future__ import annotations

from typing import Protocol

from ..player.controller import PlayerController
from .model import TimelineModel

KEYMAP = {
    "Space": "toggle_play",
    "K": "stop",
    "J": "shuttle_back",
    "L": "shuttle_forward",
    "Home": "go_start",
    "End": "go_end",
    "Left": "back_second",
    "Right": "forward_second",
    "Comma": "frame_back",
    "Period": "frame_forward",
    "Up": "previous_keyframe",
    "Down": "next_keyframe",
    "I": "set_in",
    "O": "set_out",
    "Return": "add_segment",
    "Enter": "add_segment",
    "Delete": "remove_segment",
    "Backspace": "remove_segment",
}


class SegmentEdits(Protocol):
    def add_segment(self, start: float, end: float) -> None: ...
    def remove_segment(self, segment_id: int) -> None: ...


def action_for(key: str, modifiers: frozenset[str] = frozenset()) -> str | None:
    """The action of a key pressed alone (with Ctrl/Alt/Meta held, keys belong to menus)."""
    if modifiers & {"Ctrl", "Alt", "Meta"}:
        return None
    return KEYMAP.get(key)


def perform(action: str, model: TimelineModel, player: PlayerController, edits: SegmentEdits) -> bool:
    """Do ``action``; False when it could not apply (no keyframes yet, nothing marked, ...)."""
    if action == "toggle_play":
        player.toggle_play()
    elif action == "stop":
        player.stop()
    elif action in ("shuttle_forward", "shuttle_back"):
        player.shuttle(1 if action == "shuttle_forward" else -1)
    elif action in ("go_start", "go_end"):
        t = model.start if action == "go_start" else model.end
        player.seek(t, exact=True)
        model.set_playhead(t, follow=True)
    elif action in ("back_second", "forward_second"):
        player.nudge(-1.0 if action == "back_second" else 1.0)
    elif action in ("frame_back", "frame_forward"):
        player.step(-1 if action == "frame_back" else 1)
    elif action in ("previous_keyframe", "next_keyframe"):
        here = player.target if player.loaded else model.playhead
        k = model.keyframe_before(here) if action == "previous_keyframe" else model.keyframe_after(here)
        if k is None:
            return False
        player.seek(k, exact=True)
        model.set_playhead(k, follow=True)
    elif action == "set_in":
        model.set_in(model.playhead)
    elif action == "set_out":
        model.set_out(model.playhead)
    elif action == "add_segment":
        span = model.marked_span()
        if span is None:
            return False
        edits.add_segment(*span)
        model.clear_marks()
    elif action == "remove_segment":
        if model.selected is None:
            return False
        edits.remove_segment(model.selected)
    else:
        raise ValueError(f"no action {action!r}")
    return True
