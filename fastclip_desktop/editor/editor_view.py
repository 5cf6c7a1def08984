"""The editor: the picture, the transport bar, the timeline and the segment list, over one open file.

It composes the player (``MpvPlayer`` + ``MpvWidget``), a ``TimelineModel`` with its widget and
undo stack, and a ``SegmentList``; it holds no rule of its own. Opening a file plays it at once
(paused on its first frame) while the engine computes the keyframe index, the thumbnail strip
and the waveform in worker processes through the worker adapter; each fills in when it arrives.
The editing keys of the timeline work anywhere in the editor (it is the focus proxy).

``segments_changed`` carries the segments as (start, end) pairs in timeline order, and
``mode_changed`` the cut mode, so the export panel follows the editor.
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
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.keyframe_index import keyframe_index
from engine.paths import cache_dir
from engine.thumbnails import thumbnails
from engine.waveform import waveform
from engine.worker import in_background, in_worker

from ..player.mpv_player import MpvPlayer
from ..timeline import KEYFRAME, PRECISE, TimelineModel
from ..timeline.widget import TimelineWidget
from ..worker_adapter import WorkerAdapter, emit
from .segment_list import SegmentList, stamp

MODES = ((PRECISE, "Precise cut"), (KEYFRAME, "Keyframe cut"))
MODE_TIPS = {PRECISE: "frame-accurate: starts on the exact frame, re-encoding only the cut GOPs",
             KEYFRAME: "lossless and instant: starts at the keyframe at or before the start"}


class EditorView(QWidget):
    segments_changed = Signal(object)  # list[tuple[float, float]] in timeline order
    mode_changed = Signal(str)
    opened = Signal(str)  # the path, once the player has it
    analysed = Signal(str)  # "keyframes", "pictures" or "sound": it arrived

    def __init__(self, adapter: WorkerAdapter, *, player_options: dict | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.adapter = adapter
        options = dict(player_options or {})
        self.player = MpvPlayer(self, **options)
        self.controller = self.player.controller
        if self.player.needs_render_context:
            from ..player.mpv_widget import MpvWidget  # needs QtOpenGL; not when there is no picture

            self.video: QWidget = MpvWidget(self.player)
        else:  # vo=null (tests, benchmarks): mpv decodes, nothing is drawn
            self.video = QLabel("")
            self.video.setMinimumSize(160, 90)
            self.video.setStyleSheet("background: #000;")
        self.video.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.undo_stack = QUndoStack(self)
        self.model = TimelineModel()
        self.timeline = TimelineWidget(self.model, self.controller, self.undo_stack)
        self.segment_list = SegmentList(self.timeline)
        self.path: str | None = None
        self._analysis: list = []
        self._analysed_path: str | None = None

        self.play_button = QPushButton("Play")
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.play_button.clicked.connect(self.controller.toggle_play)
        self.time_label = QLabel("0:00.000 / 0:00.000")
        self.time_label.setObjectName("time")
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
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.mode_box)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.video, stretch=1)
        top_layout.addLayout(bar)
        top_layout.addWidget(self.timeline)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.segment_list)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.splitter = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(split)

        self.setFocusProxy(self.timeline)
        self.video.installEventFilter(self)
        self._unsubscribe = self.controller.subscribe(self._on_player)
        model_unsubscribe = self.model.subscribe(self._on_model)
        self.destroyed.connect(lambda: model_unsubscribe())
        self.player.file_loaded.connect(self._loaded)
        self.player.load_failed.connect(self.status.setText)

    # -- what the main window calls -----------------------------------------------------------------

    def open(self, path: str) -> None:
        """Play ``path`` (paused on its first frame); its analysis fills in while it plays."""
        self._cancel_analysis()
        self.path = str(path)
        self.undo_stack.clear()
        self.status.setText("Opening…")
        self.player.load(path)

    def set_mode(self, mode: str) -> None:
        self.model.set_mode(mode)
        index = self.mode_box.findData(mode)
        if index >= 0 and index != self.mode_box.currentIndex():
            self.mode_box.setCurrentIndex(index)

    def add_segment(self, start: float, end: float) -> None:
        """Add a segment through the undo stack (as Enter does); the transcript panel uses it."""
        self.timeline.add_segment(start, end)

    def segments(self) -> list[tuple[float, float]]:
        return [(s.start, s.end) for s in self.model.ordered()]

    def close_player(self) -> None:
        self._cancel_analysis()
        self._unsubscribe()
        self.player.close()

    # -- events -------------------------------------------------------------------------------------

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        # keys pressed over the picture are the timeline's (Space, J/K/L, I/O, ...)
        if watched is self.video and event.type() == event.Type.KeyPress:
            self.timeline.keyPressEvent(event)
            return event.isAccepted()
        return super().eventFilter(watched, event)

    def _loaded(self, path: str) -> None:
        self.status.setText("")
        emit(self.opened, path)
        self._on_player({"duration"})
        self.timeline.setFocus()

    def _on_player(self, changed: set[str]) -> None:
        c = self.controller
        if "duration" in changed and c.duration > 0 and self.path and self._analysed_path != self.path:
            self._analysed_path = self.path
            self._analyse(self.path, c.duration)
        if changed & {"position", "duration"}:
            self.time_label.setText(f"{stamp(c.position)} / {stamp(c.duration)}")
        if "playing" in changed:
            self.play_button.setText("Pause" if c.playing else "Play")

    def _on_model(self, changed: set[str]) -> None:
        if "segments" in changed:
            emit(self.segments_changed, self.segments())
        if "mode" in changed:
            emit(self.mode_changed, self.model.mode)

    def _analyse(self, path: str, duration: float) -> None:
        """Keyframes, then thumbnails, then the waveform, one after another, each in a worker process
        at low priority (a damaged file can crash FFmpeg: that fails one task, never the window; and
        the player, decoding what the user looks at, keeps the CPU), filled in as each arrives."""
        self.status.setText("Reading keyframes, pictures and sound…")
        steps = [
            ("keyframes", (keyframe_index, path, cache_dir("keyframes")), self.model.set_keyframes),
            ("pictures", (thumbnails, path, int(min(240, max(16, duration * 2)))), self.timeline.set_thumbnails),
            ("sound", (waveform, path, int(min(200_000, max(2000, duration * 50)))), self.timeline.set_waveform),
        ]

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
                    self.status.setText(f"{what}: {error}")
                    run_next()

            task.finished.connect(finished)
            task.failed.connect(failed)
            self._analysis.append(task)

        self._analysis = []
        run_next()

    def _cancel_analysis(self) -> None:
        for task in self._analysis:
            task.cancel()
        self._analysis = []
        self._analysed_path = None
