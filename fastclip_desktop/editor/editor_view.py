"""The editor: the picture, the transport bar and the timeline over one open file.

It composes the player (``MpvPlayer`` + ``MpvWidget``, or an ``AudioView`` for a file without a
picture), a ``TimelineModel`` with its widget and a ``SegmentList`` (which the main window puts
in a dock of its own); it holds no rule of its own. A file opens paused on its first frame while
the engine computes the keyframe index, the thumbnail strip and the waveform in worker processes
through the worker adapter; each fills in when it arrives.

Opening keeps what is open until the new file is really there: a path that is not media (its
first bytes say so), missing or unreadable is refused before the player sees it, and a file the
player cannot play (damaged) is reported through ``open_failed`` so the main window can go back
to the file that was open. ``ready(path)`` says the timeline now holds ``path`` (its duration is
known): the moment to put that file's marks back (``restore``). Messages for the user (a refused
file, no sound device, a dropped CSV that could not be read) show in the editor's message bar.

``edited`` says the user's work changed (segments, labels, in/out, the cut mode, the view), so the
main window saves it; ``segments_changed`` carries the segments as (start, end) pairs in timeline
order, and ``mode_changed`` the cut mode, so the export panel follows the editor.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine import (
    Deferred,  # the analyses are imported in their worker processes only (PyAV, numpy)
    FastClipError,
    cache_dir,
    check_signature,
    clock_text,
    in_background,
    in_worker,
)

from ..message_bar import INFO, WARNING, MessageBar
from ..player.mpv_player import MpvPlayer
from ..timeline import KEYFRAME, PRECISE, TimelineModel
from ..timeline.segments import Marks
from ..timeline.widget import TimelineWidget
from ..worker_adapter import WorkerAdapter, emit
from .audio_view import AudioView
from .segment_list import SegmentList

MODES = ((PRECISE, "Precise cut"), (KEYFRAME, "Keyframe cut"))
MODE_TIPS = {PRECISE: "frame-accurate: starts on the exact frame, re-encoding only the cut GOPs",
             KEYFRAME: "lossless and instant: starts at the keyframe at or before the start"}
NO_SOUND = "No sound device: playing without sound. Seeking and the timeline work as usual."


class EditorView(QWidget):
    segments_changed = Signal(object)  # list[tuple[float, float]] in timeline order
    marks_changed = Signal(object)  # (in, out) or None: the span set but not yet added
    mode_changed = Signal(str)
    edited = Signal()  # the user's work on the open file changed: segments, labels, in/out, mode, view
    ready = Signal(str)  # the path whose timeline is now shown (duration known): restore its marks now
    open_failed = Signal(str, str)  # path, the reason (the player could not play it)
    opened = Signal(str)  # the path, once the player has it
    analysed = Signal(str)  # "keyframes", "pictures" or "sound": it arrived

    def __init__(self, adapter: WorkerAdapter, *, player_options: dict | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.adapter = adapter
        self.player = MpvPlayer(self, **dict(player_options or {}))
        self.controller = self.player.controller
        if self.player.needs_render_context:
            from ..player.mpv_widget import (
                MpvWidget,  # needs QtOpenGL; not when there is no picture
            )

            self.video: QWidget = MpvWidget(self.player)
        else:  # vo=null (tests, benchmarks): mpv decodes, nothing is drawn
            self.video = QLabel("")
            self.video.setMinimumSize(160, 90)
            self.video.setStyleSheet("background: #000;")
        self.video.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.audio_view = AudioView()
        self.picture = QStackedWidget()  # the video, or the waveform of a file without a picture
        self.picture.addWidget(self.video)
        self.picture.addWidget(self.audio_view)
        self.picture.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.messages = MessageBar()
        self.model = TimelineModel()
        self.timeline = TimelineWidget(self.model, self.controller, QUndoStack(self))
        self.segment_list = SegmentList(self.timeline)
        self.path: str | None = None  # the file the timeline shows (or is about to)
        self.shown: str | None = None  # the file whose timeline is shown (ready)
        self._analysis: list = []
        self._analysed_path: str | None = None
        self._analysis_picture = True  # whether the file being read has a picture, as its reading began

        self.play_button = QPushButton("Play")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.controller.toggle_play)
        self.time_label = QLabel("0:00.000 / 0:00.000")
        self.time_label.setObjectName("time")
        self.speed_label = QLabel("")
        self.speed_label.setObjectName("speed")
        self.speed_label.setToolTip("Playback speed: J and L shuttle, K stops")
        self.mode_box = QComboBox()
        self.mode_box.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for mode, text in MODES:
            self.mode_box.addItem(text, mode)
            self.mode_box.setItemData(self.mode_box.count() - 1, MODE_TIPS[mode], Qt.ItemDataRole.ToolTipRole)
        self.mode_box.currentIndexChanged.connect(lambda _i: self.set_mode(self.mode_box.currentData()))
        self.status = QLabel("Open a file (Ctrl+O) or drop one here.")
        self.status.setObjectName("status")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long text: cut

        bar = QHBoxLayout()
        bar.addWidget(self.play_button)
        bar.addWidget(self.time_label)
        bar.addWidget(self.speed_label)
        bar.addWidget(self.status, 1)
        bar.addWidget(self.mode_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.messages)
        layout.addWidget(self.picture, stretch=1)
        layout.addLayout(bar)
        layout.addWidget(self.timeline)

        self.setFocusProxy(self.timeline)
        self.video.installEventFilter(self)
        self.audio_view.installEventFilter(self)
        self.audio_view.seek_requested.connect(lambda t: self.controller.seek(t, exact=True))
        self._unsubscribe = self.controller.subscribe(self._on_player)
        model_unsubscribe = self.model.subscribe(self._on_model)
        self.destroyed.connect(lambda: model_unsubscribe())
        self.player.file_loaded.connect(self._loaded)
        self.player.load_failed.connect(self._load_failed)
        self.player.tracks_changed.connect(self._tracks)
        self.player.no_sound_device.connect(lambda: self.messages.show_message(NO_SOUND, WARNING, "sound"))
        self.timeline.message.connect(lambda text: self.messages.show_message(text, key="timeline"))

    # -- what the main window calls -----------------------------------------------------------------

    @property
    def undo_stack(self) -> QUndoStack:
        """The undo history of the open file's edits (the main window keeps one per file)."""
        return self.timeline.undo_stack

    def set_undo_stack(self, stack: QUndoStack) -> None:
        self.timeline.undo_stack = stack

    def check(self, path: str) -> FastClipError | None:
        """Why ``path`` cannot be opened (missing, unreadable, not media by its first bytes), or None."""
        try:
            check_signature(path)
        except FastClipError as e:
            return e
        return None

    def open(self, path: str, *, keep_messages: bool = False) -> bool:
        """Show ``path`` (paused on its first frame); its analysis fills in while it plays. A path
        that cannot be opened changes nothing: the reason shows in the message bar, False. Opening
        clears the messages about the file before, unless ``keep_messages`` (going back to the file
        that was open after another failed: its reason stays in sight)."""
        error = self.check(path)
        if error is not None:
            self.messages.show_message(error.message, key="open")
            return False
        if not keep_messages:
            for key in ("open", "timeline", "import"):
                self.messages.clear(key)
        self._cancel_analysis()
        self.path = str(path)
        self.status.setText("Opening…")
        self.player.load(path)
        return True

    def restore(self, marks: Marks | None, playhead: float = 0.0) -> None:
        """Put a file's marks back (after ``ready``) and go to where the user was."""
        if marks is not None:
            self.model.restore_marks(marks)
        if playhead > 0:
            self.controller.seek(playhead, exact=True)
            self.model.set_playhead(playhead)

    def set_mode(self, mode: str) -> None:
        self.model.set_mode(mode)
        index = self.mode_box.findData(mode)
        if index >= 0 and index != self.mode_box.currentIndex():
            self.mode_box.setCurrentIndex(index)

    def add_segment(self, start: float, end: float, label: str = "") -> None:
        """Add a segment through the undo stack (as Enter does); the transcript and moments panels use it."""
        self.timeline.add_segment(start, end, label)

    def add_segments(self, spans, text: str | None = None) -> None:
        """Add (start, end[, label]) spans as one undoable edit (the moments panel's "Add all")."""
        spans = list(spans)
        n = len(spans)
        self.timeline.add_segments(spans, text or f"Add {n} moment{'s' if n != 1 else ''}")

    def segments(self) -> list[tuple[float, float]]:
        return [(s.start, s.end) for s in self.model.ordered()]

    def pending_span(self) -> tuple[float, float] | None:
        """In and out set, not yet added as a segment."""
        m = self.model
        if m.in_point is None or m.out_point is None or m.out_point <= m.in_point:
            return None
        return (m.in_point, m.out_point)

    def close_player(self) -> None:
        self._cancel_analysis()
        self._unsubscribe()
        self.player.close()

    # -- events -------------------------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        # keys pressed over the picture are the timeline's (Space, J/K/L, I/O, ...)
        if watched in (self.video, self.audio_view) and event.type() == event.Type.KeyPress:
            self.timeline.keyPressEvent(event)
            return event.isAccepted()
        return super().eventFilter(watched, event)

    def _loaded(self, path: str) -> None:
        self.status.setText("")
        emit(self.opened, path)
        self._on_player({"duration"})
        self.timeline.setFocus()

    def _load_failed(self, message: str) -> None:
        path, self.path = self.path, self.shown
        self._cancel_analysis()
        self.status.setText("")
        self.messages.show_message(message, key="open")
        if path:
            emit(self.open_failed, path, message)

    def _tracks(self, has_picture: bool) -> None:
        self.picture.setCurrentWidget(self.video if has_picture else self.audio_view)
        if self._analysed_path == self.path and self._analysis_picture != has_picture:
            # the reading began on the last file's tracks (a song after a video, or the reverse):
            # it begins again on this file's
            path, duration = self.path, self.controller.duration
            self._cancel_analysis()
            self._analysed_path = path
            self._analyse(path, duration)

    def _on_player(self, changed: set[str]) -> None:
        c = self.controller
        if "duration" in changed and c.duration > 0 and self.path and self._analysed_path != self.path:
            self._analysed_path = self.path
            self._analyse(self.path, c.duration)
        if changed & {"position", "duration"}:
            self.time_label.setText(f"{clock_text(c.position)} / {clock_text(c.duration)}")
            self.audio_view.set_position(c.position)
        if "playing" in changed:
            self.play_button.setText("Pause" if c.playing else "Play")
        if changed & {"speed", "direction", "playing"}:
            self.speed_label.setText(c.speed_text)

    def _on_model(self, changed: set[str]) -> None:
        if "media" in changed and self.model.duration > 0 and self.path:
            self.shown = self.path
            self.audio_view.set_file(self.path, self.model.duration)
            emit(self.ready, self.path)
        if "segments" in changed:
            emit(self.segments_changed, self.segments())
        if changed & {"marks", "segments"}:
            emit(self.marks_changed, self.pending_span())
        if "mode" in changed:
            emit(self.mode_changed, self.model.mode)
        if changed & {"segments", "marks", "mode", "view"} and self.shown is not None:
            emit(self.edited)

    def _analyse(self, path: str, duration: float) -> None:
        """Keyframes, then thumbnails, then the waveform, one after another, each in a worker process
        at low priority (a damaged file can crash FFmpeg: that fails one task, never the window; and
        the player, decoding what the user looks at, keeps the CPU), filled in as each arrives."""
        steps = [
            ("keyframes", (Deferred("keyframe_index"), path, cache_dir("keyframes")), self.model.set_keyframes),
            ("pictures", (Deferred("thumbnails"), path, int(min(240, max(16, duration * 2)))),
             self.timeline.set_thumbnails),
            ("sound", (Deferred("waveform"), path, int(min(200_000, max(2000, duration * 50)))), self._set_waveform),
        ]
        self._analysis_picture = self.player.has_picture  # (see _tracks)
        self.audio_view.set_waveform(None)  # (the timeline forgets the last file's itself)
        if not self.player.has_picture:  # a podcast, a song: only its sound to read
            steps = steps[2:]
        self.status.setText("Reading keyframes, pictures and sound…" if len(steps) > 1 else "Reading the sound…")

        def run_next() -> None:
            if self.path != path:
                return
            if not steps:
                self.status.setText("")
                return
            what, call, apply = steps.pop(0)
            task = self.adapter.run(in_worker, in_background, *call)

            def finished(value) -> None:
                if self.path == path:
                    apply(value)
                    emit(self.analysed, what)
                    run_next()

            def failed(error) -> None:
                if self.path == path:
                    self.messages.show_message(f"Could not read the {what} of this file: {error}", INFO,
                                               f"read-{what}")
                    run_next()

            task.finished.connect(finished)
            task.failed.connect(failed)
            self._analysis.append(task)

        self._analysis = []
        run_next()

    def _set_waveform(self, wave) -> None:
        self.timeline.set_waveform(wave)
        self.audio_view.set_waveform(wave)

    def _cancel_analysis(self) -> None:
        for task in self._analysis:
            task.cancel()
        self._analysis = []
        self._analysed_path = None
