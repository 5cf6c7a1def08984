"""An audio file on a machine with no sound device plays, seeks and shows its waveform; messages show
in the panel that caused them until dismissed or fixed; the status bar never shows stale work.

Real mpv (vo=null; the sound device is a nonexistent ALSA device, so opening it fails as it does on
a machine without sound), real Qt offscreen, real job queue.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from engine.jobs.recorder import JobUpdate  # noqa: E402
from fastclip_desktop.editor.editor_view import NO_SOUND, EditorView  # noqa: E402
from fastclip_desktop.job_queue import JobQueue  # noqa: E402
from fastclip_desktop.jobs_panel.panel import JobsPanel  # noqa: E402
from fastclip_desktop.worker_adapter import WorkerAdapter  # noqa: E402
from tests import media  # noqa: E402

pytestmark = pytest.mark.timeout(120)
NO_DEVICE = {"vo": "null", "ao": "alsa", "audio_device": "alsa/fastclip-no-such-device"}


@pytest.fixture
def editor(qtbot):
    adapter = WorkerAdapter()
    view = EditorView(adapter, player_options=NO_DEVICE)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    yield view
    view.close_player()
    adapter.shutdown()


def open_and_wait(qtbot, editor: EditorView, path) -> None:
    assert editor.open(str(path))
    qtbot.waitUntil(lambda: editor.shown == str(path) and editor.model.duration > 0, timeout=20000)


def test_an_audio_file_plays_without_a_sound_device(qtbot, editor, source, tmp_path):
    open_and_wait(qtbot, editor, source("h264"))  # a video first: its picture must not stay
    qtbot.waitUntil(lambda: editor.picture.currentWidget() is editor.video, timeout=10000)
    qtbot.waitUntil(lambda: editor.timeline.painter.strip is not None, timeout=20000)  # its pictures
    song = source("audio_mp3")
    open_and_wait(qtbot, editor, song)
    qtbot.waitUntil(lambda: editor.picture.currentWidget() is editor.audio_view, timeout=10000)
    assert editor.timeline.painter.strip is None  # the video's pictures are not the song's
    assert editor.controller.duration == pytest.approx(4.0, abs=0.1)
    assert "/ 0:04.0" in editor.time_label.text()
    qtbot.waitUntil(lambda: editor.messages.has("sound"), timeout=10000)
    assert editor.messages.text == NO_SOUND and editor.messages.isVisible()

    editor.controller.seek(2.5, exact=True)  # seeking and the timeline work without sound
    qtbot.waitUntil(lambda: abs(editor.controller.position - 2.5) < 0.05, timeout=10000)
    assert editor.model.playhead == pytest.approx(2.5, abs=0.05)
    assert editor.audio_view.position == pytest.approx(2.5, abs=0.05)
    editor.controller.play()
    qtbot.waitUntil(lambda: editor.controller.position > 2.8, timeout=10000)  # it plays, silently
    editor.controller.pause()
    qtbot.waitUntil(lambda: editor.audio_view.waveform is not None, timeout=30000)
    assert editor.audio_view.waveform.buckets > 0 and editor.timeline.waveform is editor.audio_view.waveform
    shown = editor.audio_view.grab().toImage()
    assert shown.width() > 0 and shown.pixelColor(shown.width() // 2, shown.height() // 2).name() != "#000000"

    # a song opened after a video: nothing says its pictures could not be read (it has none)
    assert editor.messages.text == NO_SOUND
    assert not editor.messages.has("read-keyframes") and not editor.messages.has("read-pictures")
    editor.messages.dismiss()  # said once: opening another audio file does not say it again
    open_and_wait(qtbot, editor, media.make_audio(tmp_path / "second.wav", duration=2.0))
    qtbot.wait(300)
    assert not editor.messages.has("sound") and not editor.messages.isVisible()

    open_and_wait(qtbot, editor, source("h264"))  # a video after songs: its keyframes are read
    qtbot.waitUntil(lambda: editor.model.keyframes is not None, timeout=20000)
    assert editor.picture.currentWidget() is editor.video and not editor.messages.isVisible()


def test_a_failed_job_is_said_in_the_jobs_panel_until_dismissed_or_retried(qtbot):
    queue = JobQueue(workers=1)
    from engine.library import Library

    with Library() as lib:
        panel = JobsPanel(queue, lib)
        qtbot.addWidget(panel)
        panel.show()
        failed = JobUpdate("job_x", "clip", "failed", 40, "the decoder crashed on this file", None,
                           error={"code": "processing_failed", "message": "the decoder crashed on this file",
                                  "field": None}, result=None)
        queue.job_updated.emit(JobUpdate("job_x", "clip", "processing", 40, "encoding", None))
        queue.job_updated.emit(failed)
        assert panel.messages.isVisible()
        assert panel.messages.text == "Clip failed: the decoder crashed on this file"
        queue.job_updated.emit(JobUpdate("job_x", "clip", "pending", 0, "queued", None))  # retried
        assert not panel.messages.isVisible()
        queue.job_updated.emit(failed)
        panel.messages.dismiss()
        assert not panel.messages.isVisible()
        cancelled = JobUpdate("job_y", "clip", "failed", 10, "cancelled", None,
                              error={"code": "cancelled", "message": "cancelled", "field": None})
        queue.job_updated.emit(cancelled)  # the user's own cancel is no news
        assert not panel.messages.isVisible()
    queue.close()
