"""The timeline: a Qt-free TimelineModel (playhead, zoom, in/out, segments, keyframe snapping), the
keymap, the link that keeps it in step with the player, undoable segment commands and the widget.

Import the Qt parts from their modules: ``timeline.widget.TimelineWidget``, ``timeline.commands``.
"""

from .keymap import KEYMAP, action_for, perform
from .model import KEYFRAME, PRECISE, Marks, Segment, TimelineModel
from .player_link import PlayerLink

__all__ = ["KEYFRAME", "KEYMAP", "PRECISE", "Marks", "PlayerLink", "Segment", "TimelineModel", "action_for",
           "perform"]
