"""A small window composing the player and the timeline, as the main window will.

    xvfb-run -a python tests/gui/demo_player_timeline.py FILE [--screenshot out.png]

Not a test (pytest does not collect it): it shows how the parts fit, and takes the screenshot the
README uses. The engine's thumbnails, waveform and keyframe index are computed through the worker
adapter while the file already plays.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ["LC_NUMERIC"] = "C"
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QKeySequence, QUndoStack  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine import clock_text  # noqa: E402
from engine.media.keyframe_index import keyframe_index  # noqa: E402
from engine.media.thumbnails import thumbnails  # noqa: E402
from engine.media.waveform import waveform  # noqa: E402
from engine.paths import cache_dir  # noqa: E402
from engine.process import in_worker  # noqa: E402
from fastclip_desktop.player.mpv_player import MpvPlayer  # noqa: E402
from fastclip_desktop.player.mpv_widget import MpvWidget  # noqa: E402
from fastclip_desktop.timeline import KEYFRAME, PRECISE, TimelineModel  # noqa: E402
from fastclip_desktop.timeline.widget import TimelineWidget  # noqa: E402
from fastclip_desktop.worker_adapter import WorkerAdapter  # noqa: E402

STYLE = """
QMainWindow, QWidget#central { background: #1b1c1f; }
QLabel { color: #d7dbe0; font-size: 12px; }
QLabel#time { font-family: monospace; font-size: 13px; color: #ffffff; }
QPushButton, QComboBox { background: #2b2e33; color: #e3e6ea; border: 1px solid #3a3e44;
                         border-radius: 4px; padding: 4px 10px; }
QPushButton:hover, QComboBox:hover { background: #34383e; }
"""


class PlayerTimelineDemo(QMainWindow):
    def __init__(self, audio: bool = True):
        super().__init__()
        self.setWindowTitle("FastClip — player and timeline")
        self.adapter = WorkerAdapter(max_threads=2, parent=self)
        self.player = MpvPlayer(self, **({} if audio else {"ao": "null"}))
        self.controller = self.player.controller
        self.video = MpvWidget(self.player)
        self.undo_stack = QUndoStack(self)
        self.model = TimelineModel()
        self.timeline = TimelineWidget(self.model, self.controller, self.undo_stack)

        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.controller.toggle_play)
        self.time_label = QLabel("0:00.00 / 0:00.00")
        self.time_label.setObjectName("time")
        self.mode = QComboBox()
        self.mode.addItems(["Precise cut", "Keyframe cut"])
        self.mode.currentIndexChanged.connect(lambda i: self.model.set_mode(KEYFRAME if i else PRECISE))
        self.status = QLabel("")
        undo = self.undo_stack.createUndoAction(self, "Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.undo_stack.createRedoAction(self, "Redo")
        redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.addActions([undo, redo])

        bar = QHBoxLayout()
        bar.addWidget(self.play_button)
        bar.addWidget(self.time_label)
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.mode)
        layout = QVBoxLayout()
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.video, stretch=1)
        layout.addLayout(bar)
        layout.addWidget(self.timeline)
        central = QWidget()
        central.setObjectName("central")
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.setStyleSheet(STYLE)

        self._to_analyse: str | None = None
        self.controller.subscribe(self._on_player)
        self.player.file_loaded.connect(self._loaded)
        self.player.load_failed.connect(self.status.setText)
        self.timeline.setFocus()

    def open(self, path: str) -> None:
        self.player.load(path)

    def _loaded(self, path: str) -> None:
        self._to_analyse = path
        self._on_player({"duration"})

    def _on_player(self, changed: set[str]) -> None:
        c = self.controller
        if "duration" in changed and self._to_analyse and c.duration > 0:
            path, self._to_analyse = self._to_analyse, None
            self._analyse(path, c.duration)
        if changed & {"position", "duration"}:
            self.time_label.setText(f"{clock_text_cs(c.position)} / {clock_text_cs(c.duration)}")
        if "playing" in changed:
            self.play_button.setText("Pause" if c.playing else "Play")

    def _analyse(self, path: str, duration: float) -> None:
        """Thumbnails, waveform and keyframes fill in while the file already plays."""
        self.status.setText("Reading keyframes, pictures and sound…")
        pending = {"keyframes", "pictures", "sound"}

        def done(what):
            pending.discard(what)
            self.status.setText("" if not pending else self.status.text())

        # native decoding runs in a worker process (engine.process.in_worker): a damaged file can crash
        # FFmpeg, and that must fail one task, not the window
        keys = self.adapter.run(in_worker, keyframe_index, path, cache_dir("keyframes"))
        keys.finished.connect(lambda index: (self.model.set_keyframes(index), done("keyframes")))
        pictures = self.adapter.run(in_worker, thumbnails, path, int(min(240, max(16, duration * 2))))
        pictures.finished.connect(lambda strip: (self.timeline.set_thumbnails(strip), done("pictures")))
        sound = self.adapter.run(in_worker, waveform, path, int(min(200_000, max(2000, duration * 50))))
        sound.finished.connect(lambda w: (self.timeline.set_waveform(w), done("sound")))
        for task in (keys, pictures, sound):
            task.failed.connect(lambda e: self.status.setText(str(e)))

    def closeEvent(self, event) -> None:  # noqa: N802
        self.adapter.shutdown()
        self.player.close()
        super().closeEvent(event)


def clock_text_cs(t: float) -> str:
    return clock_text(t, 1.0) + f".{int(round((t % 1) * 100)) % 100:02d}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    parser.add_argument("--screenshot")
    parser.add_argument("--zoom", type=float, default=1.0, help="zoom the timeline around the playhead first")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    import locale

    locale.setlocale(locale.LC_NUMERIC, "C")
    window = PlayerTimelineDemo(audio=not args.screenshot)
    window.resize(960, 640)
    window.show()
    window.open(args.file)
    if args.screenshot:
        stage_screenshot(app, window, args.screenshot, args.zoom)
    return app.exec()


def stage_screenshot(app, window: PlayerTimelineDemo, out: str, zoom: float = 1.0) -> None:
    """Two segments, an in mark, keyframe mode, the playhead on a frame: then grab the window."""
    m, c = window.model, window.controller
    state = {"ready": set()}

    def maybe_shoot():
        if "shot" not in state["ready"] and state["ready"] >= {"media", "pictures", "sound", "keyframes", "frame"}:
            QTimer.singleShot(300, shoot)
            state["ready"].add("shot")

    def shoot():
        window.grab().save(out)
        print("saved", out, flush=True)
        window.close()

    def on_duration(d):
        if d > 0 and "media" not in state["ready"]:
            state["ready"].add("media")
            window.timeline.add_segment(2.0, 5.5)
            window.timeline.add_segment(9.0, 13.0)
            m.set_mode(KEYFRAME)
            window.mode.setCurrentIndex(1)
            m.set_segment(m.segments[1].id, 8.4, 13.0)  # as if made in precise mode: the cut really starts at 8 s
            m.select(m.segments[0].id)
            m.set_in(15.0)
            c.seek(16.5, exact=True)
            m.zoom(zoom, 16.5)

    window.player.duration_changed.connect(on_duration)
    window.player.seek_finished.connect(lambda t: (state["ready"].add("frame") if abs(t - 16.5) < 0.01 else None,
                                                   maybe_shoot()))
    poll = QTimer(window)

    def check():
        if window.timeline.strip is not None:
            state["ready"].add("pictures")
        if window.timeline.waveform is not None:
            state["ready"].add("sound")
        if window.model.keyframes is not None:
            state["ready"].add("keyframes")
        maybe_shoot()

    poll.timeout.connect(check)
    poll.start(50)
    QTimer.singleShot(30000, lambda: (print("timed out", state, flush=True), window.close()))


if __name__ == "__main__":
    sys.exit(main())
