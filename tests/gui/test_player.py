"""The player: the Qt-free PlayerController, and real mpv (vo=null, ao=null) behind MpvPlayer.

mpv is waited on through its signals (qtbot.waitSignal / waitUntil), never with fixed sleeps. The
OpenGL picture (MpvWidget) needs a GL context, which Qt's offscreen platform does not have: it is
tested in a child process under Xvfb when xvfb-run is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from fastclip_desktop.player import PlayerController  # noqa: E402
from fastclip_desktop.player.mpv_player import MpvPlayer  # noqa: E402
from tests import media  # noqa: E402

FRAME = 1 / 30
ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ the model, no mpv


class FakeBackend:
    def __init__(self):
        self.calls = []

    def set_paused(self, paused):
        self.calls.append(("pause", paused))

    def seek(self, t, exact):
        self.calls.append(("seek", round(t, 6), exact))

    def frame_step(self, frames):
        self.calls.append(("step", frames))

    def set_speed(self, speed):
        self.calls.append(("speed", speed))

    def set_direction(self, forward):
        self.calls.append(("direction", forward))


def loaded(backend=None, duration=10.0) -> PlayerController:
    c = PlayerController(backend, clock=lambda: 0.0)
    c.on_loaded("/x.mp4")
    c.on_duration(duration)
    c.on_fps(30)
    return c


def test_seeks_while_one_is_under_way_are_coalesced_to_the_newest():
    b = FakeBackend()
    c = loaded(b)
    c.seek(1.0, exact=False)
    c.seek(1.5, exact=False)  # waits
    c.seek(2.0, exact=False)  # replaces the waiting one
    c.seek(2.5, exact=True)  # the release: replaces it again
    assert b.calls == [("seek", 1.0, False)] and c.seeking and c.target == 2.5
    c.on_seek_done(1.0)
    assert b.calls[-1] == ("seek", 2.5, True) and c.position == 1.0
    c.on_seek_done(2.5)
    assert not c.seeking and c.position == 2.5


def test_relative_seeks_count_from_where_the_player_is_going():
    b = FakeBackend()
    c = loaded(b)
    c.nudge(1)
    c.nudge(1)  # autorepeat before the first seek is done: 2 s, not 1 s again
    c.on_seek_done(1.0)
    assert b.calls == [("seek", 1.0, True), ("seek", 2.0, True)]
    c.on_seek_done(2.0)
    c.nudge(-5)
    assert b.calls[-1] == ("seek", 0.0, True)  # clamped to the start


def test_transport_intents():
    b = FakeBackend()
    c = loaded(b)
    c.toggle_play()
    assert c.playing and b.calls[-1] == ("pause", False)
    c.step(-1)
    assert not c.playing and b.calls[-1] == ("step", -1)
    c.on_position(10.0)
    c.on_eof(True)
    c.play()  # at the end, play starts from the top
    assert ("seek", 0.0, True) in b.calls and b.calls[-1] == ("pause", False)


def rate(c: PlayerController) -> tuple[bool, str]:
    return c.playing, c.speed_text


def test_j_and_l_shuttle_like_an_nle_and_k_stops_at_normal_speed():
    b = FakeBackend()
    c = loaded(b)
    c.on_position(5.0)
    assert rate(c) == (False, "")
    c.shuttle(1)  # L
    assert rate(c) == (True, "") and (c.speed, c.direction) == (1.0, 1)
    c.shuttle(1)
    assert rate(c) == (True, "2×") and b.calls[-1] == ("speed", 2.0)
    c.shuttle(1)
    c.shuttle(1)  # 4x is the most
    assert rate(c) == (True, "4×")
    c.shuttle(-1)  # J while going forward: halves toward 1x first...
    assert rate(c) == (True, "2×")
    c.shuttle(-1)
    assert rate(c) == (True, "")
    c.shuttle(-1)  # ...then turns round at 1x
    assert rate(c) == (True, "−1×") and (c.speed, c.direction) == (1.0, -1)
    assert b.calls[-1] == ("direction", False)
    c.shuttle(-1)
    assert rate(c) == (True, "−2×")
    c.shuttle(1)  # L at -2x: -1x, then +1x
    assert rate(c) == (True, "−1×")
    c.shuttle(1)
    assert rate(c) == (True, "") and c.direction == 1
    c.shuttle(-1)
    c.shuttle(-1)
    c.stop()  # K: pause, and the next play is 1x forward
    assert rate(c) == (False, "") and b.calls[-3:] == [("pause", True), ("direction", True), ("speed", 1.0)]
    c.shuttle(-1)  # J from a stop: reverse at 1x
    assert rate(c) == (True, "−1×")
    c.toggle_play()  # Space stops the same way
    assert rate(c) == (False, "")
    c.set_speed(0.5)
    assert c.speed_text == "0.5×"
    c.toggle_play()  # Space from a stop plays at 1x forward
    assert rate(c) == (True, "")


def test_the_rate_shown_is_what_the_player_reports():
    c = loaded(FakeBackend())
    changes = []
    c.subscribe(changes.append)
    c.on_direction(False)
    c.on_speed(2.0)
    assert c.speed_text == "−2×" and {"direction"} in changes and {"speed"} in changes


def test_a_frame_step_after_reverse_play_turns_forward_and_seeks_one_frame():
    b = FakeBackend()
    c = loaded(b)
    c.on_position(3.0)
    c.shuttle(-1)
    c.step(1)
    assert not c.playing and c.direction == 1
    assert b.calls[-3:] == [("pause", True), ("direction", True), ("seek", round(3.0 + FRAME, 6), True)]


def test_without_a_backend_the_controller_acts_intents_out_itself():
    c = loaded(None, duration=4.0)
    changes = []
    c.subscribe(changes.append)
    c.seek(2.0)
    c.step(1)
    assert c.position == pytest.approx(2.0 + FRAME) and {"position"} in changes
    c.seek(99)
    assert c.position == 4.0


# ------------------------------------------------------------------------------- real mpv, no picture


@pytest.fixture
def player(qtbot):
    p = MpvPlayer(vo="null", ao="null")
    yield p
    p.close()


def test_mpv_plays_a_generated_file(qtbot, player, source):
    path = source("h264")
    c = player.controller
    with qtbot.waitSignals([player.duration_changed, player.file_loaded, player.first_frame],
                           check_params_cbs=[lambda d: d > 0, None, None], timeout=10000):
        player.load(path)
    assert c.duration == pytest.approx(media.probe(path)["duration"], abs=FRAME)
    assert c.loaded and not c.playing
    qtbot.waitUntil(lambda: c.fps == 30, timeout=5000)

    with qtbot.waitSignal(player.seek_finished, timeout=5000) as done:
        c.seek(2.0, exact=True)
    assert done.args[0] == pytest.approx(2.0, abs=1e-3)
    assert c.position == pytest.approx(2.0, abs=1e-3) and not c.seeking

    c.step(1)
    qtbot.waitUntil(lambda: c.position == pytest.approx(2.0 + FRAME, abs=1e-3), timeout=5000)
    assert not c.playing

    with qtbot.waitSignal(player.seek_finished, timeout=5000) as done:
        c.seek(2.9, exact=False)  # a scrub seek lands on the keyframe before
    assert done.args[0] == pytest.approx(2.0, abs=1e-3)

    with qtbot.waitSignal(player.pause_changed, check_params_cb=lambda paused: not paused, timeout=5000):
        c.toggle_play()
    assert c.playing
    qtbot.waitUntil(lambda: c.position > 2.1, timeout=5000)  # time moves while playing
    with qtbot.waitSignal(player.pause_changed, check_params_cb=lambda paused: paused, timeout=5000):
        c.toggle_play()
    assert not c.playing


def test_mpv_stops_at_the_end_on_the_last_frame(qtbot, player, source):
    c = player.controller
    with qtbot.waitSignal(player.duration_changed, check_params_cb=lambda d: d > 0, timeout=10000):
        player.load(source("h264"))
    c.set_speed(4.0)
    with qtbot.waitSignal(player.seek_finished, timeout=5000):
        c.seek(3.5)
    with qtbot.waitSignal(player.eof_changed, check_params_cb=bool, timeout=10000):
        c.play()
    qtbot.waitUntil(lambda: not c.playing, timeout=5000)
    assert c.eof and c.position > 3.9  # with vo=null mpv reports a little past the last frame


def test_mpv_plays_in_reverse_and_reports_speed_and_direction(qtbot, player, source):
    c = player.controller
    with qtbot.waitSignal(player.first_frame, timeout=10000):
        player.load(source("h264"))
    with qtbot.waitSignal(player.seek_finished, timeout=5000):
        c.seek(3.0, exact=True)
    positions = []
    player.position_changed.connect(positions.append)
    with qtbot.waitSignals([player.direction_changed, player.pause_changed],
                           check_params_cbs=[lambda forward: not forward, lambda paused: not paused], timeout=5000):
        c.shuttle(-1)  # J
    assert c.speed_text == "−1×" and c.direction == -1 and c.playing
    qtbot.waitUntil(lambda: c.position < 2.5, timeout=10000)  # mpv really goes backwards
    going = [t for t in positions if t < 3.0]
    assert len(going) >= 5 and going == sorted(going, reverse=True)
    with qtbot.waitSignal(player.speed_changed, check_params_cb=lambda speed: speed == 2.0, timeout=5000):
        c.shuttle(-1)
    assert c.speed_text == "−2×"
    with qtbot.waitSignals([player.direction_changed, player.speed_changed],
                           check_params_cbs=[bool, lambda speed: speed == 1.0], timeout=5000):
        c.stop()  # K: mpv is paused and back to 1x forward
    qtbot.waitUntil(lambda: not c.playing, timeout=5000)
    assert c.speed_text == "" and player.mpv.play_dir == "forward"
    stopped = c.position
    with qtbot.waitSignal(player.pause_changed, check_params_cb=lambda paused: not paused, timeout=5000):
        c.shuttle(1)  # L: forward again
    qtbot.waitUntil(lambda: c.position > stopped + 0.2, timeout=10000)

    c.shuttle(-1)
    c.shuttle(-1)  # -1x
    qtbot.waitUntil(lambda: player.mpv.play_dir == "backward", timeout=5000)
    before = c.position
    c.step(1)  # a frame forward, even after reverse play
    qtbot.waitUntil(lambda: not c.playing and not c.seeking and c.position == pytest.approx(before + FRAME, abs=1e-3),
                    timeout=5000)
    assert player.mpv.play_dir == "forward"


def test_a_file_mpv_cannot_open_is_reported(qtbot, player, tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with qtbot.waitSignal(player.load_failed, timeout=10000) as failed:
        player.load(bad)
    assert "bad.mp4" in failed.args[0] and not player.controller.loaded


# -------------------------------------------------------------------- the picture, under Xvfb

RENDER_CHECK = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    import av
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from fastclip_desktop.player.mpv_player import MpvPlayer
    from fastclip_desktop.player.mpv_widget import MpvWidget
    from tests.media import read_barcode
    from PIL import Image

    player = MpvPlayer(ao="null")
    widget = MpvWidget(player)
    widget.resize(320, 240)
    state = {{"seeked": False}}

    def rendered():
        if state["seeked"]:
            image = widget.grabFramebuffer().convertToFormat(QImage.Format.Format_RGB888)
            pil = Image.frombytes("RGB", (image.width(), image.height()), bytes(image.constBits()),
                                  "raw", "RGB", image.bytesPerLine())
            print("BARCODE", read_barcode(av.VideoFrame.from_image(pil)), flush=True)
            app.quit()

    def seeked(t):
        if abs(t - 2.0) < 1e-3:
            state["seeked"] = True
            widget.update()

    player.file_loaded.connect(lambda _: player.controller.seek(2.0, exact=True))
    player.seek_finished.connect(seeked)
    widget.frame_rendered.connect(rendered)
    widget.show()
    player.load({path!r})
    QTimer.singleShot(20000, lambda: (print("TIMEOUT", flush=True), app.quit()))
    app.exec()
    player.close()
    """
)


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_the_render_context_draws_the_frame_mpv_is_on(source, tmp_path):
    script = tmp_path / "render_check.py"
    script.write_text(RENDER_CHECK.format(root=str(ROOT), path=str(source("h264"))))
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    run = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 640x480x24", sys.executable, str(script)],
        capture_output=True, text=True, timeout=60, env={**env, "QT_QPA_PLATFORM": "xcb"},
    )
    assert "BARCODE 60" in run.stdout, run.stdout + run.stderr
