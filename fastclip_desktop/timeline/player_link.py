"""Keeps a TimelineModel in step with a PlayerController, free of Qt.

A new file in the player resets the timeline to its duration; the playhead follows the player
(where it is going while a seek is under way), except while the user drags it: then the playhead
follows the mouse and the player follows the playhead, keyframe seeks while dragging and an exact
seek on release.

Whenever the player moves the playhead (playback either way, keys, a seek asked from elsewhere) the
view turns a page if the playhead left it, so it is never out of sight; a scrub needs no following,
the playhead is under the mouse.
"""

from __future__ import annotations

from ..player.controller import PlayerController
from .model import TimelineModel


class PlayerLink:
    def __init__(self, model: TimelineModel, player: PlayerController):
        self.model, self.player = model, player
        self.scrubbing = False
        self._media_pending = player.loaded
        self.unsubscribe = player.subscribe(self._on_player)
        self._on_player({"path", "duration", "position"})

    def scrub(self, t: float, final: bool) -> float:
        """The user dragged (or clicked, ``final``) the playhead to ``t``; returns where it went."""
        t = self.model.clamp(t)
        self.scrubbing = not final
        self.model.set_playhead(t)
        self.player.seek(t, exact=final)
        return t

    def _on_player(self, changed: set[str]) -> None:
        p, m = self.player, self.model
        if "path" in changed:
            self._media_pending = p.loaded
        if self._media_pending and p.duration > 0 and changed & {"path", "duration"}:
            self._media_pending = False
            m.set_media(p.duration)
        if changed & {"position", "target"} and not self.scrubbing:
            m.set_playhead(p.target if p.seeking else p.position, follow=True)
