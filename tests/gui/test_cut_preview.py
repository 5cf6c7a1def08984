"""The cut preview, seen as a user sees it: the export panel's line and the segment list's Cut column
say what each cut will re-encode and copy, and where a keyframe cut really starts, before exporting.

Real Qt (offscreen), real generated media with known GOPs (tests/conftest.py), the keyframe index and
MediaInfo from the engine; every number expected is the engine's own (``engine.preview_cut``, or the
cut report of a real export), and the texts are checked as the user reads them.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QRect  # noqa: E402

import engine  # noqa: E402
from engine.cut.request import ClipRequest, Segment, validate  # noqa: E402
from engine.media.keyframe_index import keyframe_index  # noqa: E402
from engine.media.probe import probe  # noqa: E402
from fastclip_desktop.app_settings import AppSettings  # noqa: E402
from fastclip_desktop.editor.editor_view import EditorView  # noqa: E402
from fastclip_desktop.editor.segment_list import CUT  # noqa: E402
from fastclip_desktop.export_panel.panel import READING_KEYFRAMES, ExportPanel  # noqa: E402
from fastclip_desktop.main_window import MainWindow  # noqa: E402
from fastclip_desktop.timeline import KEYFRAME  # noqa: E402
from fastclip_desktop.worker_adapter import WorkerAdapter  # noqa: E402
from tests import media  # noqa: E402
from tests.gui.test_export_panel import FILE_ID, pick  # noqa: E402
from tests.gui.test_main_window import open_by_drop, submitted_jobs, wait_for_jobs  # noqa: E402

PRESET = "builtin:bold-pop"


def index_of(path):
    gen = keyframe_index(path)
    while True:
        try:
            next(gen)
        except StopIteration as done:
            return done.value


def s1(t) -> str:
    """Seconds as the preview reads them: one decimal, two under a tenth (a frame is not "0.0 s")."""
    t = float(t)
    return "0 s" if t == 0 else f"{t:.2f} s" if t < 0.095 else f"{t:.1f} s"


def smart_sentence(head, tail, copy) -> str:
    """How the panel says a smart cut, from the engine's numbers."""
    return f"Re-encodes {s1(head)} at the start and {s1(tail)} at the end, copies {s1(copy)}."


@pytest.fixture
def panel(qtbot):
    p = ExportPanel()
    qtbot.addWidget(p)
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.previewer.shutdown()


def shows(qtbot, panel, text: str) -> None:
    qtbot.waitUntil(lambda: panel.cut_label.text() == text, timeout=5000)
    assert panel.cut_label.isVisible()


# ------------------------------------------------------------------------------------ the export panel


def test_the_export_panel_says_what_the_export_then_does(qtbot, panel, source, export):
    src = source("h264_open")  # open GOPs, a random-access picture every second
    info, index = probe(src), index_of(src)
    panel.set_media(FILE_ID, info)
    panel.set_segments([(0.5, 2.5)])
    assert panel.cut_label.text() == READING_KEYFRAMES  # no index yet: nothing guessed
    panel.set_keyframes(index)
    p = engine.preview_cut(index, info, 0.5, 2.5, "precise")
    assert p.video == "smart" and min(p.reencode_head, p.reencode_tail, p.copy) > 0
    shows(qtbot, panel, smart_sentence(p.reencode_head, p.reencode_tail, p.copy))

    done = export("h264_open", start=0.5, end=2.5).result.cut  # and the real export agrees
    assert done.video == "smart"
    assert panel.cut_label.text() == smart_sentence(done.reencode_head, done.reencode_tail, done.copy)


def test_in_keyframe_mode_the_panel_says_the_keyframe_the_cut_really_starts_on(qtbot, panel, source):
    src = source("hevc_open")  # x265 defaults, random-access pictures at 0, 2 and 4 s
    info, index = probe(src), index_of(src)
    panel.set_media(FILE_ID, info)
    panel.set_keyframes(index)
    panel.set_segments([(3.9, 4.5)])
    pick(qtbot, panel.combos["mode"], "keyframe")
    p = engine.preview_cut(index, info, 3.9, 4.5, "keyframe")
    assert (p.start, p.video) == (2, "copy")
    shows(qtbot, panel, "Starts 1.90 s early, on the keyframe at 0:02.000. Copies all 2.5 s, nothing re-encoded.")


def test_a_scaled_or_audio_export_is_said_as_it_is_made(qtbot, panel, source):
    src = source("1080p")
    info, index = probe(src), index_of(src)
    panel.set_media(FILE_ID, info)
    panel.set_keyframes(index)
    panel.set_segments([(0.2, 0.9)])
    pick(qtbot, panel.combos["quality"], "720p")
    p = engine.preview_cut(index, info, 0.2, 0.9, height=720)
    assert (p.video, p.reason) == ("encode", "scaled to 720p")
    shows(qtbot, panel, "Re-encodes all 0.7 s: scaled to 720p.")
    pick(qtbot, panel.combos["format"], "mp3")  # no picture in the output: no video cut to preview
    qtbot.waitUntil(lambda: not panel.cut_label.isVisible(), timeout=5000)


def test_several_clips_are_said_in_all_and_a_joined_one_as_its_one_output(qtbot, panel, source):
    src = source("h264")  # closed GOPs, a keyframe every second
    info, index = probe(src), index_of(src)
    panel.set_media(FILE_ID, info)
    panel.set_keyframes(index)
    spans = [(0.5, 1.5), (2.25, 3.75)]
    panel.set_segments(spans)
    each = [engine.preview_cut(index, info, s, e) for s, e in spans]
    reencoded = sum(p.reencode_head + p.reencode_tail for p in each)
    copied = sum(p.copy for p in each)
    shows(qtbot, panel, f"2 clips: re-encodes {s1(reencoded)} at the cuts, copies {s1(copied)}.")

    panel.join_box.click()
    clip = validate(ClipRequest(str(src), segments=tuple(Segment(s, e) for s, e in spans), join=True), info)
    [joined] = engine.preview_clip(index, info, clip)
    shows(qtbot, panel, f"Re-encodes {s1(joined.reencode_head)} at the segments' starts and "
                        f"{s1(joined.reencode_tail)} at their ends, copies {s1(joined.copy)}.")


def test_the_export_button_stays_put_as_the_preview_changes(qtbot, panel, source):
    panel.resize(300, 600)  # narrow: the texts wrap onto more lines
    src = source("1080p")
    panel.set_media(FILE_ID, probe(src))
    panel.set_segments([(0.2, 0.9)])
    qtbot.wait(50)

    def where() -> QRect:
        return QRect(panel.export_button.mapTo(panel, QPoint(0, 0)), panel.export_button.size())

    before, seen = where(), [panel.cut_label.text()]
    assert before.width() > 100 and before.height() > 10
    panel.set_keyframes(index_of(src))
    for field, value in (("mode", "keyframe"), ("quality", "720p"), ("captions", PRESET), ("mode", "precise")):
        pick(qtbot, panel.combos[field], value)
        qtbot.waitUntil(lambda: panel.cut_label.text() != seen[-1], timeout=5000)
        seen.append(panel.cut_label.text())
        qtbot.wait(20)
        assert where() == before, (field, value, seen[-1])
    assert "scaled to 720p; captions are burned into the picture" in seen[-1]
    assert panel.cut_label.height() > panel.fontMetrics().height() * 1.5  # it did wrap: the button did not move


# ------------------------------------------------------------------------------------ the segment list


@pytest.fixture
def editor(qtbot):
    adapter = WorkerAdapter(max_threads=2)
    view = EditorView(adapter, player_options={"vo": "null", "ao": "null"})
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    yield view
    view.segment_list.previewer.shutdown()
    view.close_player()
    adapter.shutdown()


def open_with_keyframes(qtbot, editor, path) -> None:
    with qtbot.waitSignal(editor.opened, timeout=10000):
        editor.open(str(path))
    qtbot.waitUntil(lambda: editor.model.keyframes is not None, timeout=30000)


def cut_cells(listing) -> list[str]:
    return [row[CUT] for row in listing.rows()]


def test_the_segment_list_says_each_cut_and_where_a_keyframe_cut_starts(qtbot, editor, source):
    src = source("hevc_open")  # x265 defaults: random-access pictures at 0, 2 and 4 s
    open_with_keyframes(qtbot, editor, src)
    listing, info, index = editor.segment_list, probe(src), editor.model.keyframes
    spans = [(0.5, 1.5), (2.5, 4.5)]
    for s, e in spans:
        editor.add_segment(s, e)
    assert cut_cells(listing) == ["", ""]  # the MediaInfo is not known yet: nothing said
    listing.set_cut_settings(info)
    assert not listing.table.isColumnHidden(CUT)
    previews = [engine.preview_cut(index, info, s, e) for s, e in spans]
    assert [p.video for p in previews] == ["smart", "smart"]
    want = [f"{s1(p.reencode_head)} + {s1(p.reencode_tail)}" for p in previews]
    qtbot.waitUntil(lambda: cut_cells(listing) == want, timeout=5000)
    assert listing.table.horizontalHeaderItem(CUT).text() == "Re-encodes"
    assert listing.cut_tooltips()[1] == smart_sentence(previews[1].reencode_head, previews[1].reencode_tail,
                                                       previews[1].copy)

    editor.set_mode(KEYFRAME)  # keyframe cuts start at the random-access picture at or before
    starts = [engine.preview_cut(index, info, s, e, "keyframe").start for s, e in spans]
    assert starts == [0, 2]
    # the timeline's keyframes say it at once; the engine's preview then says the same, in full
    assert listing.table.horizontalHeaderItem(CUT).text() == "Cut starts"
    assert cut_cells(listing) == ["0:00.000 (0.50 s earlier)", "0:02.000 (0.50 s earlier)"]
    qtbot.waitUntil(lambda: listing.cut_tooltips()[1] == ("Starts 0.50 s early, on the keyframe at 0:02.000. "
                                                          "Copies all 2.5 s, nothing re-encoded."), timeout=5000)
    assert cut_cells(listing) == ["0:00.000 (0.50 s earlier)", "0:02.000 (0.50 s earlier)"]

    editor.set_mode("precise")
    listing.set_cut_settings(info, "mp4", 720)  # the export scales: each cut is re-encoded whole
    qtbot.waitUntil(lambda: cut_cells(listing) == ["all"] * 2, timeout=5000)
    assert listing.cut_tooltips()[0] == "Re-encodes all 1.0 s: scaled to 720p."
    listing.set_cut_settings(info, "mp3")  # no picture in the output: no video cut to say
    qtbot.waitUntil(lambda: listing.table.isColumnHidden(CUT), timeout=5000)


# ------------------------------------------------------------------------------------ the whole window


@pytest.mark.timeout(180)
def test_in_the_window_the_preview_is_what_the_clip_job_reports(qtbot, tmp_path):
    talk = media.make_video(tmp_path / "talk.mp4", duration=6.0)  # a keyframe every second
    w = MainWindow(app_settings=AppSettings(tmp_path / "desktop.ini"), player_options={"vo": "null", "ao": "null"},
                   workers=1)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    try:
        open_by_drop(qtbot, w, talk)
        w.editor.add_segment(1.25, 3.5)
        panel, listing = w.export_panel, w.editor.segment_list
        qtbot.waitUntil(lambda: panel.cut_label.text().startswith("Re-encodes"), timeout=5000)
        said, cell = panel.cut_label.text(), listing.rows()[0][CUT]

        [job] = submitted_jobs(qtbot, w)
        done = wait_for_jobs(qtbot, w, [job.job_id])[job.job_id]
        assert done.status == "complete", done.error
        cut = done.result["cut"]  # the clip job's cut report
        assert cut["video"] == "smart"
        assert said == smart_sentence(cut["reencode_head"], cut["reencode_tail"], cut["copy"])
        assert cell == f"{s1(cut['reencode_head'])} + {s1(cut['reencode_tail'])}"
        assert listing.cut_tooltips()[0] == said

        w.editor.set_mode(KEYFRAME)  # the export panel follows, and says where the cut really starts
        qtbot.waitUntil(lambda: panel.cut_label.text().startswith("Starts 0.25 s early, on the keyframe at "
                                                                  "0:01.000."), timeout=5000)
    finally:
        w.close()
