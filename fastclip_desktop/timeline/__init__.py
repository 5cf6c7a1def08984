"""The timeline: a Qt-free TimelineModel (playhead, zoom, in/out, segments, keyframe snapping) with
its segment values (``segments``), lane layout (``lanes``), view arithmetic (``view_range``) and
keyframe look-ups (``keyframes``); the keymap, the link that keeps it in step with the player,
undoable segment commands and the widget (measured by ``geometry``, drawn by ``painter``, driven
by ``gestures``).

Import the Qt parts from their modules: ``timeline.widget.TimelineWidget``, ``timeline.commands``.
"""

from .keymap import KEYMAP, action_for, perform
from .model import KEYFRAME, PRECISE, TimelineModel
from .player_link import PlayerLink
from .segments import Marks, Segment

__all__ = ["KEYFRAME", "KEYMAP", "PRECISE", "Marks", "PlayerLink", "Segment", "TimelineModel", "action_for",
           "perform"]
