"""What the player is doing, and what the user asked of it: a Qt-free model.

``PlayerController`` holds the player's state (file, duration, position, playing, speed, direction,
frame rate, end of file) and turns intents (play, stop, shuttle, seek, step a frame) into calls on a
backend, the mpv adapter in the app or a fake in tests. The backend reports back through the
``on_*`` methods. Without a backend the controller acts the intents out on itself, so keys and
the timeline work headless.

Listeners get the set of fields that changed; "target" means a seek was asked for or finished
(``target`` is where the player is going).

Seeks are coalesced: while one is under way (sent, no ``on_seek_done`` yet) a newer request
replaces the waiting one instead of queueing behind it. Scrubbing therefore shows the latest
position as fast as the decoder can go, and the exact seek on release always lands.

J/K/L shuttle as in an NLE (Final Cut's rule, which Premiere and Avid share in spirit): L plays
forward at 1x, and each further L doubles the speed (2x, 4x at most); J does the same in reverse.
The key of the other direction first halves the speed back toward 1x in the current direction,
and at 1x turns round to 1x the other way: at -2x, L gives -1x, and L again +1x. K stops and
resets to 1x forward; Space stops the same way, or from a stop plays at 1x forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from ..observable import Observable

SPEEDS = (0.25, 0.5, 1.0, 1.5, 2.0, 4.0)  # what set_speed accepts (clamped to the ends)
SHUTTLE = (1.0, 2.0, 4.0)  # the J/L speeds
MINUS, TIMES = "\u2212", "\u00d7"
STALE_SEEK = 1.0  # seconds after which an unanswered seek no longer holds back the next one


class PlayerBackend(Protocol):
    def set_paused(self, paused: bool) -> None: ...
    def seek(self, t: float, exact: bool) -> None: ...
    def frame_step(self, frames: int) -> None: ...
    def set_speed(self, speed: float) -> None: ...
    def set_direction(self, forward: bool) -> None: ...


class PlayerController(Observable):
    def __init__(self, backend: PlayerBackend | None = None, clock: Callable[[], float] = time.monotonic):
        self.backend = backend
        self.clock = clock
        self.path: str | None = None
        self.duration = 0.0
        self.position = 0.0
        self.playing = False
        self.speed = 1.0  # always positive; the sign is ``direction``
        self.direction = 1  # +1 forward, -1 reverse
        self.fps = 0.0
        self.eof = False
        self._in_flight: tuple[float, float] | None = None  # (target, when sent)
        self._waiting: tuple[float, bool] | None = None  # the newest seek not yet sent
        Observable.__init__(self)

    # -- observing ----------------------------------------------------------------------------------

    def _set(self, *also: str, **fields) -> None:
        changed = {k for k, v in fields.items() if getattr(self, k) != v}
        for k in changed:
            setattr(self, k, fields[k])
        changed.update(also)
        if changed:
            self._notify(changed)

    @property
    def loaded(self) -> bool:
        return self.path is not None

    @property
    def seeking(self) -> bool:
        return self._in_flight is not None or self._waiting is not None

    @property
    def target(self) -> float:
        """Where the player is, or is about to be: relative seeks start from here."""
        if self._waiting is not None:
            return self._waiting[0]
        if self._in_flight is not None:
            return self._in_flight[0]
        return self.position

    @property
    def frame_duration(self) -> float:
        return 1.0 / self.fps if self.fps > 0 else 1.0 / 30

    @property
    def speed_text(self) -> str:
        """The rate to show beside the transport: "" at normal speed forward, else "2×", "−1×", "0.5×"."""
        if self.speed == 1.0 and self.direction > 0:
            return ""
        return f"{MINUS if self.direction < 0 else ''}{self.speed:g}{TIMES}"

    # -- intents ------------------------------------------------------------------------------------

    def play(self) -> None:
        """Play at the current speed and direction; forward from the end starts again from the top."""
        at_end = self.eof or (self.duration and self.position >= self.duration - self.frame_duration / 2)
        if self.direction > 0 and at_end:
            self.seek(0.0, exact=True)
        self._pause(False)

    def pause(self) -> None:
        self._pause(True)

    def stop(self) -> None:
        """K: pause, and back to 1x forward for the next play."""
        self._pause(True)
        self._set_rate(1, 1.0)

    def toggle_play(self) -> None:
        """Space (and the Play button): stop when playing, else play at 1x forward."""
        if self.playing:
            self.stop()
        else:
            self._set_rate(1, 1.0)
            self.play()

    def shuttle(self, direction: int) -> None:
        """L (``direction`` +1) or J (-1): start at 1x that way, speed up that way (2x, 4x), or, if
        playing the other way, slow down toward 1x and then turn round (see the module's notes)."""
        direction = 1 if direction > 0 else -1
        if not self.playing:
            self._set_rate(direction, 1.0)
            self.play()
        elif direction == self.direction:
            faster = [s for s in SHUTTLE if s > self.speed + 1e-9]
            self._set_rate(direction, faster[0] if faster else SHUTTLE[-1])
        elif self.speed > SHUTTLE[0] + 1e-9:
            slower = [s for s in SHUTTLE if s < self.speed - 1e-9]
            self._set_rate(self.direction, slower[-1])
        else:
            self._set_rate(direction, SHUTTLE[0])

    def seek(self, t: float, exact: bool = True) -> None:
        """Go to ``t`` seconds: ``exact`` lands on that frame, otherwise on the keyframe before (fast)."""
        t = self.clamp(t)
        if self.backend is None:
            self._set(position=t, eof=False)
            return
        if self._in_flight is not None and self.clock() - self._in_flight[1] < STALE_SEEK:
            self._waiting = (t, exact)  # replaces any older waiting seek
            self._set("target")
            return
        self._send_seek(t, exact)

    def nudge(self, seconds: float) -> None:
        """Seek ``seconds`` from where the player is going (Left/Right)."""
        self.seek(self.target + seconds, exact=True)

    def step(self, frames: int = 1) -> None:
        """One frame forward (positive) or back (negative); pauses. After reverse play the player
        turns forward first and steps by an exact seek (mpv's frame steps follow the play direction,
        and one sent while it turns round is lost)."""
        if frames == 0:
            return
        self._set(playing=False)
        if self.backend is None:
            self._set(position=self.clamp(self.position + frames * self.frame_duration))
            return
        if self.direction < 0:
            self.backend.set_paused(True)
            self.set_direction(True)
            self.seek(self.target + frames * self.frame_duration, exact=True)
            return
        self.backend.frame_step(frames)

    def set_speed(self, speed: float) -> None:
        speed = min(SPEEDS[-1], max(SPEEDS[0], speed))
        if self.backend is not None and speed != self.speed:
            self.backend.set_speed(speed)
        self._set(speed=speed)

    def set_direction(self, forward: bool) -> None:
        direction = 1 if forward else -1
        if self.backend is not None and direction != self.direction:
            self.backend.set_direction(forward)
        self._set(direction=direction)

    def clamp(self, t: float) -> float:
        upper = self.duration if self.duration > 0 else float("inf")
        return min(upper, max(0.0, float(t)))

    # -- reports from the backend -----------------------------------------------------------------

    def on_loaded(self, path: str) -> None:
        self._in_flight = self._waiting = None
        self._set(path=path, position=0.0, eof=False)

    def on_unloaded(self) -> None:
        self._in_flight = self._waiting = None
        self._set(path=None, duration=0.0, position=0.0, playing=False, eof=False)

    def on_duration(self, duration: float | None) -> None:
        self._set(duration=float(duration or 0.0))

    def on_position(self, t: float | None) -> None:
        if t is not None:
            self._set(position=float(t))

    def on_paused(self, paused: bool) -> None:
        self._set(playing=not paused)

    def on_speed(self, speed: float) -> None:
        self._set(speed=float(speed))

    def on_direction(self, forward: bool) -> None:
        self._set(direction=1 if forward else -1)

    def on_fps(self, fps: float | None) -> None:
        self._set(fps=float(fps or 0.0))

    def on_eof(self, eof: bool) -> None:
        self._set(eof=bool(eof))

    def on_seek_done(self, t: float | None) -> None:
        """The player shows the frame of the last seek (mpv's playback-restart)."""
        self._in_flight = None
        self._set("target", **({} if t is None else {"position": float(t)}))
        if self._waiting is not None:
            target, exact = self._waiting
            self._waiting = None
            self._send_seek(target, exact)

    # -- internals ----------------------------------------------------------------------------------

    def _send_seek(self, t: float, exact: bool) -> None:
        self._in_flight = (t, self.clock())
        self._set("target", eof=False)
        self.backend.seek(t, exact)

    def _set_rate(self, direction: int, speed: float) -> None:
        self.set_direction(direction > 0)
        self.set_speed(speed)

    def _pause(self, paused: bool) -> None:
        if self.backend is not None:
            self.backend.set_paused(paused)
        self._set(playing=not paused)
