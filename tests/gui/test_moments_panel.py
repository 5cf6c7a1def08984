"""The Moments panel in the main window, driven as a user drives it: real Qt (offscreen), real mpv
(vo=null), the real job runner with its worker process, the real models, on the Moments recording
(tests/fixtures/moments: six espeak-ng passages, music, a tone, silence), whose transcript the
session fixture made once.

One window finds the recording's highlights (the module's one analysis: Find, an analyze job in
the Jobs panel). Every other test opens the recording in a new window over a copy of that library,
as a user who searched yesterday: the moments are there at once, without a job. What is checked
is what the user sees: the cards' texts, the bars in the timeline's lane of moments (where and in
which colour they are drawn), the player's position after a click, the editor's segments after
Add as segment, Add all and Ctrl+Z.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import QEventLoop, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from engine import Moment, clock_text  # noqa: E402
from engine.library import Library  # noqa: E402
from fastclip_desktop.app_settings import AppSettings  # noqa: E402
from fastclip_desktop.job_queue import JobQueue  # noqa: E402
from fastclip_desktop.main_window import MainWindow  # noqa: E402
from fastclip_desktop.moments_panel import MomentsModel, query_key, row_of, segment_label  # noqa: E402
from fastclip_desktop.moments_panel.model import DONE  # noqa: E402
from fastclip_desktop.moments_panel.panel import MomentsPanel  # noqa: E402
from fastclip_desktop.timeline.painter import COLORS  # noqa: E402
from tests.fixtures import speech  # noqa: E402

pytestmark = pytest.mark.timeout(300)
PLAYER = {"vo": "null", "ao": "null"}


# ------------------------------------------------------------------------------------------ the model


def moment(start, end, confidence=0.8, excerpt="Some words here.", reasons=("dense speech",)) -> Moment:
    return Moment.from_dict({"start": start, "end": end, "excerpt": excerpt, "confidence": confidence,
                             "reasons": list(reasons)})


def test_a_row_says_the_time_length_confidence_excerpt_and_reasons():
    row = row_of(2, moment(64.25, 83.0, 0.934, "So last quarter…", ("matches the query", "numbers")))
    assert row.header == "2   1:04.3 – 1:23.0   18.8 s" and row.confidence == "93%" and row.level == "high"
    assert row.reasons == "matches the query · numbers" and row.excerpt == "So last quarter…"
    assert row_of(1, moment(0, 20, 0.42)).level == "low" and row_of(1, moment(0, 20, 0.6)).level == "medium"
    assert query_key("  Customers   LEAVING ") == "customers leaving" and query_key(" ") is None
    long = moment(0, 20, excerpt="…the exit survey says the price increase pushed most of them away, and more")
    assert segment_label(long) == "the exit survey says the price increase pushed…"


def test_add_all_leaves_out_moments_already_among_the_segments_and_playback_stops_at_the_end():
    m = MomentsModel()
    m.set_source("/talk.mp4", "upl_1")
    m.show(None, [moment(40, 60), moment(0, 20), moment(70, 90)])
    assert [s[:2] for s in m.spans_to_add([(10, 25)])] == [(40, 60), (70, 90)]  # timeline order
    assert m.spans_to_add([(60, 70)]) != [] and len(m.spans_to_add([])) == 3  # touching is no overlap
    assert m.recall("upl_1", None) is not None and m.recall("upl_1", "x") is None
    assert m.play(0) == (40, 60) and m.selected == 0
    assert not m.reached(3) and not m.reached(60.05)  # the seek to its start is not there yet
    assert not m.reached(45) and m.reached(60.05) and not m.reached(60.1)  # once
    m.play(1)
    assert not m.reached(5) and not m.reached(35)  # the user went elsewhere: nothing to stop
    assert not m.reached(20.05)


# ------------------------------------------------------------------------------ the window, real work


def wait(until, timeout_ms: int) -> None:
    """Run the event loop until ``until()`` holds (for module fixtures, where qtbot is not available)."""
    loop, timer = QEventLoop(), QTimer()
    timer.timeout.connect(lambda: until() and loop.quit())
    timer.start(50)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    timer.stop()
    assert until(), "timed out"


def open_window(settings_path: Path) -> MainWindow:
    w = MainWindow(app_settings=AppSettings(settings_path), player_options=PLAYER, workers=1)
    w.resize(1500, 900)
    w.show()
    return w


def opened(w: MainWindow, path: Path) -> bool:
    return (w.media is not None and w.moments_panel.model.file_id == w.media.file_id
            and w.editor.model.duration > 0 and not w.editor.controller.seeking)


@pytest.fixture(scope="module")
def analysed(qapp, moments_media, tmp_path_factory):
    """A window finds the recording's highlights with Find (the module's one analysis, from the
    cached transcript): what it showed, and its library and cache to copy."""
    home = tmp_path_factory.mktemp("moments-home")
    moments_media.warm(home)
    before = os.environ.get("FASTCLIP_HOME")
    os.environ["FASTCLIP_HOME"] = str(home)  # (module scope: set here)
    rec = moments_media.recording
    w = open_window(home / "desktop.ini")
    try:
        w.import_paths([rec.path])
        wait(lambda: opened(w, rec.path), 60000)
        panel = w.moments_panel
        w.docks["moments"].raise_()
        assert panel.list.count() == 0 and panel.find_button.isEnabled()
        assert panel.find_button.text() == "Find highlights"  # an empty query: what Find will do
        seen_status, seen_kinds = [], set()
        panel.model.subscribe(lambda _changed: seen_status.append((panel.status.text(), panel.progress.isVisible())))
        w.jobs.job_updated.connect(lambda u: seen_kinds.add((u.kind, w.jobs_panel.model.row(u.job_id).kind_text
                                                            if w.jobs_panel.model.row(u.job_id) else None)))
        QTest.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)
        assert panel.running and not panel.find_button.isEnabled() and panel.progress.isVisible()
        wait(lambda: panel.model.state == DONE, 120000)
        QTest.qWait(100)
        tl = w.editor.timeline
        seen = {
            "status": seen_status, "kinds": seen_kinds, "final": panel.status.text(),
            "cards": [panel.list.lines(k) for k in range(panel.list.count())],
            "moments": list(panel.model.moments), "lane": tl.moments,
            "bars": [tl.moment_rect(k) for k in range(len(tl.moments))],
            "xs": [(tl.x_of(a), tl.x_of(b)) for a, b in tl.moments],
            "jobs_shown": w.docks["jobs"].isVisible(),
            "column_share": w.docks["moments"].height() / (w.docks["moments"].height() + w.docks["export"].height()),
        }
    finally:
        w.close()
        if before is None:
            os.environ.pop("FASTCLIP_HOME", None)
        else:
            os.environ["FASTCLIP_HOME"] = before
    with Library(home / "library.db") as lib:
        seen["jobs"] = lib.list_jobs(kind="analyze", limit=50)
    seen["home"] = home
    return seen


@pytest.fixture
def window(qtbot, analysed, moments_media, _fastclip_home, tmp_path):
    """A new window over a copy of the analysed library and cache, with the recording open."""
    for item in Path(analysed["home"]).iterdir():
        if item.name.startswith("library.db"):
            shutil.copy2(item, _fastclip_home / item.name)
        elif item.name == "cache":
            shutil.copytree(item, _fastclip_home / "cache", dirs_exist_ok=True)
    w = open_window(tmp_path / "desktop.ini")
    qtbot.addWidget(w)
    rec = moments_media.recording
    w.import_paths([rec.path])
    qtbot.waitUntil(lambda: opened(w, rec.path) and w.moments_panel.list.count() > 0, timeout=60000)
    w.docks["moments"].raise_()
    qtbot.waitUntil(lambda: w.moments_panel.list.isVisible(), timeout=5000)
    yield w
    if w.isVisible():
        w.close()


def test_find_runs_an_analyze_job_and_lists_the_moments_best_first(analysed, moments_media):
    [job] = analysed["jobs"]
    assert job.status == "complete" and job.request["query"] is None
    truth = [Moment.from_dict(d) for d in job.result["segments"]]
    assert analysed["moments"] == truth and len(truth) >= 3
    assert ("analyze", "Moments") in analysed["kinds"] and analysed["jobs_shown"]  # a row in the Jobs panel
    assert analysed["column_share"] >= 0.55  # Find gave the panel most of the right column
    said = [s for s, _bar in analysed["status"]]
    assert said[0] == "Queued…" and all(bar for s, bar in analysed["status"][:-1])  # the bar shows while it runs
    assert analysed["final"] == f"{len(truth)} moments · highlights"
    confidences = [m.confidence for m in truth]
    assert confidences == sorted(confidences, reverse=True)  # ranked: the best first
    rec = moments_media.recording
    for rank, (card, m) in enumerate(zip(analysed["cards"], truth, strict=True), start=1):
        start, end = float(m.start), float(m.end)
        assert card["head"] == [f"{rank}   {clock_text(start, 1)} – {clock_text(end, 1)}   {end - start:.1f} s"]
        assert card["confidence"] == [f"{round(m.confidence * 100)}%"]
        shown = " ".join(card["excerpt"]).rstrip("…").split()
        assert shown and shown[:-1] == m.excerpt.split()[:len(shown) - 1]  # its first words, wrapped
        assert card["reasons"] and card["reasons"][0].startswith(m.reasons[0])
        assert rec.topic_at(start, end) is not None  # on a spoken passage


def test_the_lane_of_moments_draws_each_one_where_it_lies(qtbot, window):
    w = window
    tl, moments = w.editor.timeline, w.moments_panel.model.moments
    assert tl.moments == [(float(m.start), float(m.end)) for m in moments]
    lane = tl.row_rect("moments")
    assert lane.top() >= tl.lane_rect().bottom() and lane.bottom() <= tl.height()  # below the segments
    image = tl.grab().toImage()
    for k, m in enumerate(moments):
        bar = tl.moment_rect(k)
        assert bar.left() == pytest.approx(tl.width() * float(m.start) / w.editor.model.duration, abs=0.5)
        assert bar.right() == pytest.approx(tl.width() * float(m.end) / w.editor.model.duration, abs=0.5)
        assert lane.top() < bar.top() < bar.bottom() < lane.bottom()
        assert image.pixelColor(round(bar.left() + 2), round(bar.bottom() - 3)) == COLORS["moment"]
    gaps = sorted((float(a.end), float(b.start)) for a, b in zip(sorted(moments, key=lambda m: m.start),
                                                                  sorted(moments, key=lambda m: m.start)[1:]))
    a, b = next(g for g in gaps if g[1] - g[0] > 2)
    x = round(tl.x_of((a + b) / 2))
    assert image.pixelColor(x, round(lane.center().y())) == COLORS["moments_lane"]  # nothing between them


def test_clicking_a_moment_plays_it_from_its_start_and_stops_at_its_end(qtbot, window):
    w, panel = window, window.moments_panel
    c = w.editor.controller
    m = panel.model.moments[1]
    start, end = float(m.start), float(m.end)
    QTest.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     panel.list.card_rect(1).center())
    qtbot.waitUntil(lambda: c.playing and not c.seeking and start - 0.05 <= c.position < end, timeout=10000)
    assert panel.list.currentRow() == 1 and panel.model.selected == 1
    assert w.editor.timeline.painter.moment_selected == 1  # lit in the lane too
    c.seek(end - 0.3, exact=True)  # near its end: playback stops there
    qtbot.waitUntil(lambda: not c.playing, timeout=5000)
    assert end - 0.1 <= c.position <= end + 0.5

    tl, other = w.editor.timeline, panel.model.moments[2]  # the lane of moments: a click plays one too
    bar = tl.moment_rect(2)
    QTest.mouseClick(tl, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bar.center().toPoint())
    qtbot.waitUntil(lambda: c.playing and not c.seeking and float(other.start) - 0.05 <= c.position < float(other.end),
                    timeout=10000)
    assert panel.list.currentRow() == 2
    c.pause()


def test_add_as_segment_adds_exactly_that_moment_and_ctrl_z_takes_it_back(qtbot, window):
    w, panel = window, window.moments_panel
    assert w.editor.segments() == [] and not panel.add_button.isEnabled()
    w.editor.controller.pause()
    panel.list.setCurrentRow(0)  # chosen with the keys: not played
    m = panel.model.moments[0]
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert w.editor.segments() == [(float(m.start), float(m.end))]
    [segment] = w.editor.model.segments
    assert segment.label == segment_label(m) and segment.label.split()[0] in m.excerpt
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.editor.segments() == []


def test_add_all_adds_the_moments_not_added_yet_as_one_undoable_edit(qtbot, window):
    w, panel = window, window.moments_panel
    moments = panel.model.moments
    panel.list.setCurrentRow(1)
    QTest.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert panel.add_all_button.isEnabled()
    QTest.mouseClick(panel.add_all_button, Qt.MouseButton.LeftButton)
    every = sorted((float(m.start), float(m.end)) for m in moments)
    assert w.editor.segments() == every  # each once: the one added before is not doubled
    assert not panel.add_all_button.isEnabled()  # nothing left to add
    assert w.editor.undo_stack.undoText() == f"Add {len(moments) - 1} moments"
    QTest.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # one undo takes them all back
    assert w.editor.segments() == [(float(moments[1].start), float(moments[1].end))]
    assert panel.add_all_button.isEnabled()


def test_reopening_shows_the_moments_found_before_without_a_new_job(qtbot, window, analysed):
    panel = window.moments_panel
    assert panel.model.moments == analysed["moments"] and "found before" in panel.status.text()
    assert [panel.list.lines(k) for k in range(panel.list.count())] == analysed["cards"]
    QTest.mouseClick(panel.find_button, Qt.MouseButton.LeftButton)  # asked again: at once, no job
    assert not panel.running and panel.model.moments == analysed["moments"]
    QTest.qWait(300)
    with Library() as lib:
        assert [j.job_id for j in lib.list_jobs(kind="analyze", limit=50)] == [j.job_id for j in analysed["jobs"]]


# ------------------------------------------------------------------ a file with no transcript yet


def test_a_file_without_a_transcript_is_transcribed_first_as_part_of_the_search(qtbot, tmp_path):
    """A short spoken file: the job transcribes it first, and the panel says so while it runs; then
    its one passage is the moment (shorter than 15 s: the whole of what is said)."""
    assert speech.espeak_available(), "this test needs espeak-ng (scripts/setup_system.sh installs it)"
    said, rate = speech.say(speech.FIRST)
    spoken = speech.write_audio(tmp_path / "short talk.mp4",
                                np.concatenate([speech.silence(0.4, rate), said, speech.silence(0.4, rate)]), rate)
    queue = JobQueue(workers=1)
    try:
        got = []
        queue.imported.connect(lambda results, _token: got.extend(results))
        queue.import_paths([spoken])
        qtbot.waitUntil(lambda: bool(got), timeout=20000)
        with Library() as lib:
            qtbot.waitUntil(lambda: lib.get_media(got[0].file_id).status == "ready", timeout=30000)
        panel = MomentsPanel(jobs=queue, library=None)
        qtbot.addWidget(panel)
        panel.set_source(str(spoken), got[0].file_id)
        messages = []
        panel.model.subscribe(lambda _changed: messages.append(panel.status.text()))
        panel.query_field.setText("the weather")
        assert panel.find_button.text() == "Find"
        QTest.keyClick(panel.query_field, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: panel.model.state == DONE, timeout=120000)
    finally:
        queue.close()
    assert any(s.startswith(("Loading the speech model", "Transcrib", "Reading the audio")) for s in messages), messages
    [m] = panel.model.moments
    assert panel.list.count() == 1 and panel.status.text() == "1 moment · for “the weather”"
    assert m.start < 0.6 and m.end > len(said) / rate and "matches the query" in m.reasons
    assert speech.wer(speech.FIRST, m.excerpt) <= 0.15
