"""libmpv behind Qt signals: the backend of a PlayerController.

``MpvPlayer`` owns one ``mpv.MPV``. mpv reports from its own event thread; every property change
and event it reports is carried to the main thread by one queued signal, applied to the
``PlayerController`` and re-emitted as a typed signal. Commands go out with ``command_async``,
so no call made on the GUI thread waits for mpv's core.

Video needs a render context (``MpvWidget``, vo=libmpv). With ``vo="null"`` (tests, headless) the
player decodes and seeks without drawing. Audio plays through mpv's default output unless
``ao="null"`` is given.
"""

from __future__ import annotations

import locale
import os
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from ..worker_adapter import emit
from .controller import PlayerController

# mpv parses numbers with the C library; it refuses to start under a locale whose decimal
# separator is not '.'. Set it before libmpv is created (QApplication resets LC_NUMERIC).
os.environ["LC_NUMERIC"] = "C"

import mpv  # noqa: E402

DEFAULT_OPTIONS = {
    "vo": "libmpv",  # frames go to a render context (MpvWidget)
    "pause": True,  # a file opens on its first frame; the user presses play
    "keep_open": "yes",  # at the end, stay on the last frame (eof-reached) instead of unloading
    "idle": "yes",
    "hr_seek": "default",  # exact only when asked (release of a scrub, keys), keyframe while dragging
    "rebase_start_time": "no",  # positions on the file's own timeline, as the engine counts them
    "input_default_bindings": False,
    "input_vo_keyboard": False,
    "osc": False,
    "load_scripts": False,
    "ytdl": False,
    # no sound device (a server, a container, a muted VM): play without sound rather than not at all
    "audio_fallback_to_null": "yes",
    "audio_display": "embedded-first",  # an audio file's cover art is its picture
}

OBSERVED = ("time-pos", "duration", "pause", "speed", "eof-reached", "container-fps", "play-dir",
            "current-ao", "track-list")


class MpvPlayer(QObject):
    position_changed = Signal(float)
    duration_changed = Signal(float)
    pause_changed = Signal(bool)
    speed_changed = Signal(float)
    direction_changed = Signal(bool)  # forward
    eof_changed = Signal(bool)
    seek_finished = Signal(float)  # playback-restart after a seek: the frame at this position is shown
    first_frame = Signal()  # playback-restart of a newly loaded file: its first frame is shown
    file_loaded = Signal(str)
    load_failed = Signal(str)  # a message for the user
    closing = Signal()  # before mpv goes away: render contexts must be freed now
    tracks_changed = Signal(bool)  # whether the file has a picture (video or cover art)
    no_sound_device = Signal()  # once: the sound device could not be opened; playing without sound

    _mpv_event = Signal(str, object)  # mpv's event thread -> main thread

    def __init__(self, parent: QObject | None = None, *, controller: PlayerController | None = None, **options):
        super().__init__(parent)
        locale.setlocale(locale.LC_NUMERIC, "C")
        self.options = {**DEFAULT_OPTIONS, **options}
        self.controller = controller or PlayerController()
        self.controller.backend = self
        self.mpv = mpv.MPV(**self.options)
        self.needs_render_context = self.options.get("vo") == "libmpv"
        self._render_ready = False
        self._pending_load: str | None = None
        self._loading: str | None = None
        self._closed = False
        self._seek_started = False  # on mpv's event thread only
        self._ao_wanted = str(self.options.get("ao") or "")  # "null": no sound asked for, nothing to say
        self._told_no_sound = False
        self.has_picture = True
        self._mpv_event.connect(self._on_mpv_event, Qt.ConnectionType.QueuedConnection)
        for name in OBSERVED:
            self.mpv.observe_property(name, self._observe)
        self.mpv.register_event_callback(self._event)

    # -- what the app calls -------------------------------------------------------------------------

    def load(self, path: str | os.PathLike) -> None:
        """Open a file (paused on its first frame). With vo=libmpv it waits for the render context."""
        path = str(Path(path).absolute())
        if self.needs_render_context and not self._render_ready:
            self._pending_load = path  # mpv sets its video output up at load: it needs the context
            return
        self._loading = path
        self._command("loadfile", path, "replace")

    def render_context_ready(self) -> None:
        """Called by MpvWidget once its render context exists; a waiting load goes ahead."""
        self._render_ready = True
        if self._pending_load:
            path, self._pending_load = self._pending_load, None
            self.load(path)

    def close(self) -> None:
        """Stop mpv (idempotent). Render contexts are told to go first (``closing``)."""
        if self._closed:
            return
        self._closed = True
        emit(self.closing)
        try:
            self.mpv.unregister_event_callback(self._event)
        except ValueError:
            pass
        self.mpv.terminate()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- PlayerBackend: what the controller calls ---------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        self._command("set", "pause", "yes" if paused else "no")

    def seek(self, t: float, exact: bool) -> None:
        self._command("seek", f"{t:.6f}", "absolute+exact" if exact else "absolute+keyframes")

    def frame_step(self, frames: int) -> None:
        for _ in range(abs(frames)):
            self._command("frame-step" if frames > 0 else "frame-back-step")

    def set_speed(self, speed: float) -> None:
        self._command("set", "speed", f"{speed:g}")

    def set_direction(self, forward: bool) -> None:
        # mpv's option is play-dir (mpv 0.35 has no "play-direction"); turning round makes mpv seek
        self._command("set", "play-dir", "forward" if forward else "backward")

    # -- from mpv's event thread --------------------------------------------------------------------

    def _observe(self, name: str, value) -> None:
        emit(self._mpv_event, name, value)

    def _event(self, event) -> None:
        kind = event.event_id.value
        if kind == mpv.MpvEventID.SEEK:
            self._seek_started = True
        elif kind == mpv.MpvEventID.PLAYBACK_RESTART:
            # A restart after a SEEK event answers a seek; one without (the start of a file) does not.
            answered, self._seek_started = self._seek_started, False
            try:
                position = self.mpv.time_pos  # read here, on mpv's thread, never on the GUI thread
            except Exception:  # noqa: BLE001 - a shutting-down core has no position
                position = None
            emit(self._mpv_event, "seek-done" if answered else "first-frame", position)
        elif kind == mpv.MpvEventID.FILE_LOADED:
            emit(self._mpv_event, "file-loaded", None)
        elif kind == mpv.MpvEventID.END_FILE:
            data = event.data
            reason = getattr(data, "reason", None)
            error = getattr(data, "error", 0)
            if reason == mpv.MpvEventEndFile.ERROR or (error and error < 0):
                emit(self._mpv_event, "load-failed", _error_text(error))

    # -- on the main thread -------------------------------------------------------------------------

    @Slot(str, object)
    def _on_mpv_event(self, name: str, value) -> None:
        if self._closed:
            return
        c = self.controller
        if name == "time-pos":
            c.on_position(value)
            if value is not None:
                emit(self.position_changed, float(value))
        elif name == "duration":
            c.on_duration(value)
            emit(self.duration_changed, float(value or 0.0))
        elif name == "pause":
            c.on_paused(bool(value))
            emit(self.pause_changed, bool(value))
        elif name == "speed":
            c.on_speed(value or 1.0)
            emit(self.speed_changed, float(value or 1.0))
        elif name == "play-dir":
            forward = value != "backward"
            c.on_direction(forward)
            emit(self.direction_changed, forward)
        elif name == "current-ao":
            if value == "null" and self._ao_wanted != "null" and not self._told_no_sound:
                self._told_no_sound = True
                emit(self.no_sound_device)
        elif name == "track-list":
            if value:  # [] while nothing is loaded: the last file's answer stands until the next one's
                self.has_picture = any(t.get("type") == "video" for t in value)
                emit(self.tracks_changed, self.has_picture)
        elif name == "eof-reached":
            c.on_eof(bool(value))
            emit(self.eof_changed, bool(value))
        elif name == "container-fps":
            c.on_fps(value)
        elif name == "seek-done":
            c.on_seek_done(value)
            emit(self.seek_finished, float(value) if value is not None else c.position)
        elif name == "first-frame":
            c.on_position(value)
            emit(self.first_frame)
        elif name == "file-loaded":
            path = self._loading or ""
            c.on_loaded(path)
            emit(self.file_loaded, path)
        elif name == "load-failed":
            c.on_unloaded()
            emit(self.load_failed, f"mpv could not play {Path(self._loading or '').name}: {value}")

    def _command(self, *args) -> None:
        if self._closed:
            return
        future = self.mpv.command_async(*args)
        future.add_done_callback(_ignore_result)


def _error_text(code: int) -> str:
    try:
        return mpv._mpv_error_string(code).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - only a message
        return f"error {code}"


def _ignore_result(future) -> None:
    # a failed command (a seek with nothing loaded, say) changes nothing; there is no one to tell
    future.exception()
