"""The main window driven as a user drives it: real Qt (offscreen), real mpv (vo=null), real job
runner with worker processes, real library, generated media; outputs decoded and checked.

- drop a file: it is imported and opens; scrub the timeline with the mouse; mark in/out with keys;
  add two segments; undo one, add another; export each as its own clip; decode the outputs;
- the GUI keeps answering while an export runs (a timer ticks, a scrub and an edit land);
- a custom caption preset made in the Caption Studio is used for an export;
- a click on a transcript word moves the player there;
- the layout and the settings are kept in their one declared place.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.library import Library  # noqa: E402
from fastclip_desktop.app_settings import AppSettings  # noqa: E402
from fastclip_desktop.main_window import MainWindow  # noqa: E402
from fastclip_desktop.settings_dialog import SettingsDialog  # noqa: E402
from tests import media  # noqa: E402
from tests.fixtures import speech  # noqa: E402

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    """6 s, 30 fps, a keyframe every second, barcoded frame numbers, audio."""
    return media.make_video(tmp_path_factory.mktemp("window") / "talk.mp4", duration=6.0)


@pytest.fixture
def settings(tmp_path):
    return AppSettings(tmp_path / "desktop.ini")


@pytest.fixture
def window(qtbot, settings):
    w = MainWindow(app_settings=settings, player_options={"vo": "null", "ao": "null"}, workers=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    if w.isVisible():
        w.close()


def drop(w: MainWindow, *paths) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(w.rect().center())
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(pos.toPoint(), *args)
    QApplication.sendEvent(w, enter)
    dropped = QDropEvent(pos, *args)
    QApplication.sendEvent(w, dropped)
    return enter.isAccepted() and dropped.isAccepted()


def open_by_drop(qtbot, w: MainWindow, path) -> None:
    assert drop(w, path)
    qtbot.waitUntil(lambda: w.media is not None and w.export_panel.model.file_id == w.media.file_id
                    and w.editor.model.duration > 0, timeout=30000)
    qtbot.waitUntil(lambda: w.editor.model.keyframes is not None, timeout=30000)


def key(w: MainWindow, k) -> None:
    QTest.keyClick(w.editor.timeline, k)


def seek(qtbot, w: MainWindow, t: float) -> None:
    c = w.editor.controller
    c.seek(t, exact=True)
    qtbot.waitUntil(lambda: not c.seeking and abs(c.position - t) < 0.02, timeout=5000)


def scrub(qtbot, w: MainWindow, t_from: float, t_to: float) -> None:
    """Drag the playhead along the ruler, as a user does; the player follows to the frame."""
    tl = w.editor.timeline
    y = 8  # the ruler
    QTest.mousePress(tl, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(round(tl.x_of(t_from)), y))
    for f in (0.25, 0.5, 0.75, 1.0):
        QTest.mouseMove(tl, QPoint(round(tl.x_of(t_from + (t_to - t_from) * f)), y))
    QTest.mouseRelease(tl, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       QPoint(round(tl.x_of(t_to)), y))
    c = w.editor.controller
    qtbot.waitUntil(lambda: not c.seeking and abs(c.position - w.editor.model.playhead) < 0.02, timeout=5000)


def wait_for_jobs(qtbot, w: MainWindow, job_ids, timeout=60000) -> dict:
    with Library() as lib:
        qtbot.waitUntil(lambda: all(lib.get_job(j).ended for j in job_ids), timeout=timeout)
        return {j: lib.get_job(j) for j in job_ids}


def submitted_jobs(qtbot, w: MainWindow) -> list:
    got = []
    w.jobs.submitted.connect(lambda jobs, _token: got.extend(jobs))
    assert w.export_panel.export_button.isEnabled(), w.export_panel.model.hint() or w.export_panel.model.messages()
    qtbot.mouseClick(w.export_panel.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(got), timeout=15000)
    return got


def test_drop_scrub_mark_add_undo_export_and_decode(qtbot, window, talk):
    w = window
    open_by_drop(qtbot, w, talk)
    assert w.editor.path == str(talk)
    assert w.windowTitle().startswith("talk.mp4")
    qtbot.waitUntil(lambda: w.library_panel.tree.topLevelItemCount() >= 1, timeout=5000)

    scrub(qtbot, w, 0.0, 1.5)
    assert w.editor.model.playhead == pytest.approx(1.5, abs=0.1)
    seek(qtbot, w, 0.5)
    key(w, Qt.Key.Key_I)
    seek(qtbot, w, 1.5)
    key(w, Qt.Key.Key_O)
    key(w, Qt.Key.Key_Return)
    seek(qtbot, w, 2.5)
    key(w, Qt.Key.Key_I)
    seek(qtbot, w, 3.0)
    key(w, Qt.Key.Key_Return)
    assert len(w.editor.segments()) == 2
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the second
    assert w.editor.segments() == [pytest.approx((0.5, 1.5), abs=0.02)]
    seek(qtbot, w, 3.5)
    key(w, Qt.Key.Key_I)
    seek(qtbot, w, 4.25)
    key(w, Qt.Key.Key_O)
    key(w, Qt.Key.Key_Return)
    segments = w.editor.segments()
    assert len(segments) == 2 and w.export_panel.model.segments == segments

    assert w.export_panel.model.choice("mode") == "precise"
    assert not w.export_panel.join_box.isChecked()
    jobs = submitted_jobs(qtbot, w)
    assert len(jobs) == 2
    ended = wait_for_jobs(qtbot, w, [j.job_id for j in jobs])
    assert all(j.status == "complete" for j in ended.values()), [j.error for j in ended.values()]
    for job, (start, end) in zip(jobs, segments, strict=True):
        out = ended[job.job_id].result["path"]
        frames = media.frame_numbers(out)
        assert frames[0][1] == math.floor(Fraction(start) * 30)  # precise: the frame shown at start
        assert frames[-1][1] == math.ceil(Fraction(end) * 30) - 1  # the last frame that starts before end
        assert media.probe(out)["duration"] == pytest.approx(end - start, abs=0.05)
    qtbot.waitUntil(lambda: w.jobs_panel.model.rows and all(
        r.status == "complete" for r in w.jobs_panel.model.rows if r.kind == "clip"), timeout=10000)
    with Library() as lib:
        assert len(lib.list_clips(source=w.media.file_id)) == 2


def test_the_window_keeps_answering_while_an_export_runs(qtbot, window, source):
    w = window
    big = source("one_long_gop")
    open_by_drop(qtbot, w, big)
    w.editor.add_segment(1.0, 7.5)  # one long GOP: a precise cut re-encodes all of it
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    [job] = submitted_jobs(qtbot, w)
    with Library() as lib:
        qtbot.waitUntil(lambda: lib.get_job(job.job_id).status in ("processing", "uploading", "complete"),
                        timeout=20000)
        still_running = lib.get_job(job.job_id).status != "complete"
    scrub(qtbot, w, 0.0, 2.0)  # while it runs
    w.editor.add_segment(3.0, 4.0)
    assert len(w.editor.segments()) == 2
    ended = wait_for_jobs(qtbot, w, [job.job_id])
    timer.stop()
    assert ended[job.job_id].status == "complete"
    assert still_running, "the export finished before the GUI was exercised; make the clip longer"
    assert len(ticks) >= 20


def test_a_custom_preset_made_in_the_caption_studio_is_used_for_an_export(qtbot, window, talk):
    w = window
    open_by_drop(qtbot, w, talk)
    studio = w.caption_studio
    w.tabs.setCurrentIndex(1)
    assert studio.select_preset(studio.model.presets[0].ref)  # a built-in
    studio.presets.new_name.setText("My export style")
    qtbot.mouseClick(studio.presets.duplicate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (studio.current_preset_ref or "").startswith("preset:"), timeout=5000)
    ref = studio.current_preset_ref
    with Library() as lib:
        assert [p.name for p in lib.list_caption_presets()] == ["My export style"]
    qtbot.mouseClick(studio.use_button, Qt.MouseButton.LeftButton)
    assert w.export_panel.model.choice("captions") == ref

    w.editor.add_segment(1.0, 3.0)
    [job] = submitted_jobs(qtbot, w)
    ended = wait_for_jobs(qtbot, w, [job.job_id], timeout=90000)[job.job_id]
    assert ended.status == "complete", ended.error
    with Library() as lib:
        [clip] = lib.list_clips(source=w.media.file_id)
    assert clip.captioned and ended.request["captions"] == ref
    assert media.frame_numbers(clip.path)[0][1] == 30  # the barcode rows are above the captions


def test_clicking_a_transcript_word_moves_the_player_there(qtbot, window, tmp_path):
    assert speech.espeak_available(), "this test needs espeak-ng (scripts/setup_system.sh installs it)"
    said, rate = speech.say(speech.FIRST)
    samples = np.concatenate([speech.silence(0.4, rate), said, speech.silence(0.4, rate)])
    spoken = speech.write_audio(tmp_path / "spoken.mp4", samples, rate)
    w = window
    open_by_drop(qtbot, w, spoken)
    panel = w.transcript_panel
    w.docks["transcript"].raise_()
    with qtbot.waitSignal(panel.transcribed, timeout=90000):
        qtbot.mouseClick(panel.transcribe_button, Qt.MouseButton.LeftButton)
    words = panel.model.words
    word = max(words[1:], key=lambda x: x.end - x.start)
    with qtbot.waitSignal(w.editor.player.seek_finished, timeout=10000):
        panel.view.show_word(word.index)
        QTest.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         panel.view.word_rect(word.index).center())
    assert w.editor.controller.position == pytest.approx(word.start, abs=0.1)
    qtbot.waitUntil(lambda: panel.view.marked("current") == [word.text], timeout=5000)


def test_the_layout_and_the_settings_are_kept(qtbot, settings, tmp_path):
    first = MainWindow(app_settings=settings, player_options={"vo": "null", "ao": "null"}, workers=1)
    qtbot.addWidget(first)
    first.show()
    first.docks["jobs"].hide()
    first.close()
    again = MainWindow(app_settings=AppSettings(settings.path), player_options={"vo": "null", "ao": "null"},
                       workers=1)
    qtbot.addWidget(again)
    again.show()
    try:
        assert again.docks["jobs"].isHidden() and not again.docks["library"].isHidden()
        dialog = SettingsDialog(again.library, again.app_settings, again)
        dialog.set_value("clip_ttl_hours", 6.5)
        dialog.set_value("default_cut_mode", "keyframe")
        dialog.set_value("library_folder", str(tmp_path / "elsewhere"))
        assert dialog.save()
        with Library() as lib:
            assert lib.get_setting("clip_ttl_hours") == 6.5 and lib.get_setting("default_cut_mode") == "keyframe"
        assert AppSettings(settings.path).get("library_folder") == str(tmp_path / "elsewhere")
        dialog.fields["whisper_model_path"].edit.setText("x" * 5000)  # the engine's rule: at most 4096
        assert not dialog.save()
        assert "whisper_model_path" in dialog.errors["whisper_model_path"].text()
    finally:
        again.close()
