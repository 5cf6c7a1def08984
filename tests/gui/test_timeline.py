"""The timeline: its Qt-free model and keymap, and the widget driven with mouse, wheel and keys."""

from __future__ import annotations

import os
from fractions import Fraction

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine.keyframe_index import KeyframeIndex  # noqa: E402
from fastclip_desktop.player import PlayerController  # noqa: E402
from fastclip_desktop.timeline import KEYFRAME, PlayerLink, TimelineModel, action_for, perform  # noqa: E402
from fastclip_desktop.timeline.model import MIN_SEGMENT  # noqa: E402
from fastclip_desktop.timeline.widget import COLORS, LANE_H, RULER_H, THUMBS_H, WAVE_H, TimelineWidget  # noqa: E402

KEYS_EVERY_SECOND = KeyframeIndex(Fraction(1, 30), (0, 30, 60, 90))  # keyframes at 0, 1, 2, 3 s


def model(duration=4.0) -> TimelineModel:
    m = TimelineModel()
    m.set_media(duration)
    return m


# ------------------------------------------------------------------------------------------ the model


def test_zoom_keeps_the_time_under_the_cursor_and_stays_inside_the_media():
    m = model(100)
    m.zoom(4, anchor=25)
    assert (m.view_start, m.view_end) == pytest.approx((18.75, 43.75))
    m.zoom(1000, anchor=30)
    assert m.view_span == pytest.approx(0.25) and m.view_start <= 30 <= m.view_end
    m.zoom(0.001, anchor=30)
    assert (m.view_start, m.view_end) == (0, 100)
    m.zoom(2, anchor=99)
    m.scroll(1000)
    assert m.view_end == 100 and m.view_span == pytest.approx(50)


def test_segments_are_added_moved_resized_and_removed_inside_the_media():
    m = model(10)
    changes = []
    m.subscribe(changes.append)
    a = m.add_segment(2, 4)
    assert (a.start, a.end) == (2, 4) and m.selected == a.id and {"segments", "selection"} <= changes[-1]
    assert m.move_segment(a.id, 9).start == pytest.approx(8)  # keeps its length, stops at the end
    assert m.resize_segment(a.id, "start", 9.99).start == pytest.approx(10 - MIN_SEGMENT)
    assert m.resize_segment(a.id, "start", -3).start == 0
    b = m.add_segment(5, 3)  # given backwards
    assert (b.start, b.end) == (3, 5)
    assert m.edge_at(5.01, slack=0.05) == (b, "end") and m.segment_at(4) == b  # the selected one wins
    assert [s.id for s in m.ordered()] == [a.id, b.id]
    removed, index = m.remove_segment(a.id)
    assert removed == a.__class__(a.id, 0, 10) and index == 0 and m.segments == [b]


def test_keyframe_mode_snaps_cut_starts_and_shows_where_a_cut_lands():
    m = model()
    m.set_keyframes(KEYS_EVERY_SECOND)
    assert m.set_in(2.5) == 2.5  # precise mode: no snapping
    seg = m.add_segment(2.5, 3.5)
    assert m.real_span(seg) == (2.5, 3.5)

    m.set_mode(KEYFRAME)
    assert m.set_in(2.5) == 2.0  # the keyframe at or before
    assert m.set_in(1.9999999) == 2.0  # float noise a hair before a keyframe is on it
    assert m.real_span(seg) == (2.0, 3.5)  # made in precise mode: the keyframe cut starts earlier
    assert m.resize_segment(seg.id, "start", 2.6).start == 3.0  # a drag snaps to the nearest
    assert m.resize_segment(seg.id, "end", 3.7).end == 3.7  # ends are not snapped
    assert m.move_segment(seg.id, 1.2).start == 1.0
    assert m.add_segment(0.5, 2.2).start == 0.0
    assert (m.keyframe_before(2.0), m.keyframe_after(2.0)) == (1.0, 3.0)


def test_in_and_out_marks():
    m = model()
    m.set_in(1.0)
    m.set_playhead(2.5)
    assert m.marked_span() == (1.0, 2.5)  # no out point yet: up to the playhead
    m.set_out(3.0)
    assert m.marked_span() == (1.0, 3.0)
    m.set_out(0.5)  # an out before the in clears the in
    assert (m.in_point, m.out_point, m.marked_span()) == (None, 0.5, None)


def test_the_playhead_follows_the_player_but_not_while_scrubbing():
    m, player = TimelineModel(), PlayerController()
    link = PlayerLink(m, player)
    player.on_loaded("/a.mp4")
    player.on_duration(20.0)
    assert m.duration == 20 and m.view_end == 20
    m.add_segment(1, 2)
    player.on_duration(20.0)  # the same file again: segments stay
    assert len(m.segments) == 1
    m.zoom(4, anchor=0)
    player.on_paused(False)
    player.on_position(8.0)  # playing past the view pages it along
    assert m.playhead == 8 and m.view_start <= 8 <= m.view_end
    link.scrub(3.0, final=False)
    player.on_position(9.0)  # a late report from the player while the mouse holds the playhead
    assert m.playhead == 3.0
    link.scrub(3.5, final=True)
    assert m.playhead == 3.5 and player.position == 3.5


# ----------------------------------------------------------------------------------------- the keymap


class Edits:
    def __init__(self, m):
        self.m = m

    def add_segment(self, start, end):
        self.m.add_segment(start, end)

    def remove_segment(self, segment_id):
        self.m.remove_segment(segment_id)


def press(m, player, *keys):
    for key in keys:
        perform(action_for(key), m, player, Edits(m))


def test_keys_drive_the_player_and_the_marks():
    m, player = TimelineModel(), PlayerController()
    PlayerLink(m, player)
    m.set_media(10)
    player.on_duration(10)
    player.on_fps(25)
    press(m, player, "Right", "Right", "Period")
    assert player.position == pytest.approx(2.04) and m.playhead == pytest.approx(2.04)
    press(m, player, "I", "Right", "O", "Return")
    assert [(s.start, s.end) for s in m.segments] == [(pytest.approx(2.04), pytest.approx(3.04))]
    assert m.in_point is None and m.out_point is None
    press(m, player, "L")
    assert player.playing
    press(m, player, "L", "J", "J")
    assert player.speed == 0.5
    press(m, player, "Delete")
    assert m.segments == []
    assert action_for("I", frozenset({"Ctrl"})) is None and action_for("Q") is None


def test_up_and_down_go_to_keyframes():
    m, player = TimelineModel(), PlayerController()
    PlayerLink(m, player)
    m.set_media(4)
    player.on_duration(4)
    player.seek(1.5)
    assert not perform("previous_keyframe", m, player, Edits(m))  # no index yet
    m.set_keyframes(KEYS_EVERY_SECOND)
    press(m, player, "Up")
    assert m.playhead == 1.0
    press(m, player, "Up")
    assert m.playhead == 0.0
    press(m, player, "Down", "Down")
    assert m.playhead == 2.0 and player.position == 2.0


# ----------------------------------------------------------------------------------------- the widget


class Backend:
    def __init__(self):
        self.seeks = []

    def set_paused(self, paused):
        pass

    def seek(self, t, exact):
        self.seeks.append((round(t, 3), exact))

    def frame_step(self, frames):
        pass

    def set_speed(self, speed):
        pass


@pytest.fixture
def timeline(qtbot):
    m = model(4.0)
    w = TimelineWidget(m)
    w.resize(800, RULER_H + THUMBS_H + WAVE_H + LANE_H)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


LANE_Y = RULER_H + THUMBS_H + WAVE_H + LANE_H // 2


def drag(qtbot, w, start: QPoint, end: QPoint):
    qtbot.mousePress(w, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(w, pos=QPoint((start.x() + end.x()) // 2, end.y()))
    qtbot.mouseMove(w, pos=end)
    qtbot.mouseRelease(w, Qt.MouseButton.LeftButton, pos=end)


def test_dragging_an_edge_resizes_the_segment_and_undo_restores_it(qtbot, timeline):
    m = timeline.model  # 800 px for 4 s: 200 px a second
    timeline.add_segment(1.0, 2.0)
    seg = m.segments[0]
    drag(qtbot, timeline, QPoint(400, LANE_Y), QPoint(500, LANE_Y))
    assert m.segment(seg.id).end == pytest.approx(2.5)
    assert timeline.undo_stack.count() == 2 and timeline.undo_stack.undoText().startswith("Resize")
    timeline.undo_stack.undo()
    assert (m.segment(seg.id).start, m.segment(seg.id).end) == (1.0, 2.0)
    timeline.undo_stack.redo()
    assert m.segment(seg.id).end == pytest.approx(2.5)


def test_dragging_a_segment_body_moves_it_and_undo_moves_it_back(qtbot, timeline):
    m = timeline.model
    timeline.add_segment(1.0, 2.0)
    seg = m.segments[0]
    drag(qtbot, timeline, QPoint(300, LANE_Y), QPoint(500, LANE_Y))  # grab the middle, +1 s
    assert (m.segment(seg.id).start, m.segment(seg.id).end) == (pytest.approx(2.0), pytest.approx(3.0))
    timeline.undo_stack.undo()
    assert m.segment(seg.id).start == 1.0
    timeline.undo_stack.undo()  # the add
    assert m.segments == []


def test_dragging_on_the_pictures_scrubs_keyframe_seeks_then_an_exact_one(qtbot):
    backend = Backend()
    player = PlayerController(backend, clock=lambda: 0.0)
    m = model(4.0)
    player.on_loaded("/a.mp4")
    player.on_duration(4.0)
    w = TimelineWidget(m, player)
    w.resize(800, 144)
    qtbot.addWidget(w)
    scrubs = []
    w.scrub.connect(lambda t, final: scrubs.append((round(t, 3), final)))
    drag(qtbot, w, QPoint(100, RULER_H + 10), QPoint(300, RULER_H + 10))
    assert scrubs[0] == (0.5, False) and scrubs[-1] == (1.5, True)
    assert all(not final for _, final in scrubs[:-1])
    assert backend.seeks[0] == (0.5, False)  # the first drag seek goes out; the rest wait for it
    player.on_seek_done(0.0)
    assert backend.seeks[-1] == (1.5, True)  # only the newest, the exact one, follows
    assert m.playhead == 1.5


def wheel(w, x: float, steps: int):
    pos = QPointF(x, 30)
    event = QWheelEvent(pos, w.mapToGlobal(pos), QPoint(), QPoint(0, 120 * steps), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(w, event)


def test_the_wheel_zooms_around_the_cursor(qtbot, timeline):
    m = timeline.model
    under = timeline.time_at(600)
    wheel(timeline, 600, 3)
    assert m.view_span == pytest.approx(4 / 1.25**3)
    assert timeline.time_at(600) == pytest.approx(under)
    wheel(timeline, 600, -10)
    assert (m.view_start, m.view_end) == (0, 4)


def test_keys_i_o_enter_add_a_segment_with_those_bounds(qtbot, timeline):
    m = timeline.model
    timeline.player.on_duration(4.0)
    timeline.setFocus()
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Period, Qt.Key.Key_I, Qt.Key.Key_Right, Qt.Key.Key_Right,
                Qt.Key.Key_O, Qt.Key.Key_Return):
        qtbot.keyClick(timeline, key)
    start = 1 + 1 / 30
    assert [(s.start, s.end) for s in m.segments] == [(pytest.approx(start), pytest.approx(start + 2))]
    assert timeline.undo_stack.count() == 1
    timeline.undo_stack.undo()
    assert m.segments == []


def test_in_keyframe_mode_the_in_point_snaps_to_the_keyframe_at_or_before(qtbot, timeline):
    m = timeline.model
    m.set_keyframes(KEYS_EVERY_SECOND)
    m.set_mode(KEYFRAME)
    timeline.player.on_duration(4.0)
    timeline.player.seek(2.7)
    qtbot.keyClick(timeline, Qt.Key.Key_I)
    assert m.in_point == 2.0
    timeline.player.seek(3.5)
    qtbot.keyClick(timeline, Qt.Key.Key_O)
    qtbot.keyClick(timeline, Qt.Key.Key_Enter)
    assert [(s.start, s.end) for s in m.segments] == [(2.0, 3.5)]


def test_what_is_drawn(qtbot, timeline, source):
    from engine.thumbnails import thumbnails
    from engine.waveform import waveform
    from tests.engine.test_thumbnails import drive

    timeline.set_thumbnails(drive(thumbnails(source("h264"), 8, cache=False))[1])
    timeline.set_waveform(drive(waveform(source("h264"), 200, cache=False))[1])
    timeline.model.set_playhead(3.8)  # x = 760
    timeline.add_segment(2.2, 2.8)  # x = 440..560
    image = timeline.grab().toImage()

    def color(x, y) -> QColor:
        return image.pixelColor(x, y)

    assert color(760, RULER_H + THUMBS_H + 5) == COLORS["playhead"]
    wave_mid = RULER_H + THUMBS_H + WAVE_H // 2
    assert color(202, wave_mid - 15) != COLORS["wave_bg"]  # the click at 1 s is a tall peak
    assert color(250, wave_mid - 15) == COLORS["wave_bg"]  # silence between clicks is flat
    barcode_white = color(20, RULER_H + 3)  # the thumbnail's barcode band is drawn
    assert barcode_white != COLORS["pictures"]
    assert color(500, LANE_Y) == COLORS["segment_selected"]
    assert color(300, LANE_Y) == COLORS["lane"]


def test_a_closed_widget_lets_go_of_the_model_and_the_player(qtbot):
    m, player = model(4.0), PlayerController()
    w = TimelineWidget(m, player)
    w.deleteLater()
    qtbot.waitUntil(lambda: not m._listeners and not player._listeners, timeout=2000)
