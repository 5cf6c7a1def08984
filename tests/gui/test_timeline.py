"""The timeline: its Qt-free model and keymap, and the widget driven with mouse, wheel and keys."""

from __future__ import annotations

import os
from fractions import Fraction

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QLineEdit  # noqa: E402

from engine.media.keyframe_index import KeyframeIndex  # noqa: E402
from fastclip_desktop.player import PlayerController  # noqa: E402
from fastclip_desktop.timeline import (  # noqa: E402
    KEYFRAME,
    PlayerLink,
    TimelineModel,
    action_for,
    perform,
)
from fastclip_desktop.timeline.commands import RenameSegment  # noqa: E402
from fastclip_desktop.timeline.geometry import (  # noqa: E402
    HEIGHT,
    LANE_H,
    MIN_SUBLANE_H,
    RULER_H,
    THUMBS_H,
    WAVE_H,
)
from fastclip_desktop.timeline.model import MIN_SEGMENT  # noqa: E402
from fastclip_desktop.timeline.painter import COLORS  # noqa: E402
from fastclip_desktop.timeline.segments import Segment  # noqa: E402
from fastclip_desktop.timeline.widget import TimelineWidget  # noqa: E402

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


def test_overlapping_segments_get_lanes_and_are_hit_in_their_own_lane():
    m = model(10)
    a = m.add_segment(0, 2)
    b = m.add_segment(1, 3)
    c = m.add_segment(2, 2.5)  # touches a's end: shares its lane
    d = m.add_segment(2.2, 4)  # under b and c: a third lane
    e = m.add_segment(5, 6)  # alone: the first lane
    assert m.lanes() == {a.id: 0, b.id: 1, c.id: 0, d.id: 2, e.id: 0} and m.lane_count() == 3
    assert m.segment_at(1.5, lane=0) == a and m.segment_at(1.5, lane=1) == b and m.segment_at(1.5, lane=2) is None
    assert m.edge_at(3.0, slack=0.05, lane=0) is None and m.edge_at(3.0, slack=0.05, lane=1) == (b, "end")
    m.remove_segment(b.id)
    assert m.lanes()[d.id] == 1 and m.lane_count() == 2
    assert model(4).lanes() == {} and model(4).lane_count() == 0


def test_labels_are_one_trimmed_line():
    m = model(10)
    a = m.add_segment(1, 2, "  Intro\n")
    assert a.label == "Intro"
    assert m.set_label(a.id, "The\tend ").label == "The end" and m.segment(a.id).label == "The end"
    assert len(m.set_label(a.id, "x" * 500).label) == 200


def test_an_added_segment_is_scrolled_into_view_keeping_the_zoom_when_it_fits():
    m = model(100)
    m.set_view(0, 10)
    changes = []
    m.subscribe(changes.append)
    m.add_segment(50, 55)
    assert m.view_start <= 50 and m.view_end >= 55 and m.view_span == pytest.approx(10)
    assert changes[-1] >= {"segments", "selection", "view"}  # one change: nothing is drawn half-done
    m.add_segment(51, 52)  # already visible: the view stays
    assert "view" not in changes[-1]
    m.add_segment(10, 40)  # longer than the view: it zooms out just enough
    assert m.view_start <= 10 and m.view_end >= 40 and m.view_span < 35


def test_the_view_follows_the_playhead_the_player_moves_either_way():
    m, player = TimelineModel(), PlayerController()
    PlayerLink(m, player)
    player.on_loaded("/a.mp4")
    player.on_duration(20.0)
    m.set_view(4, 8)
    player.on_paused(False)
    player.on_position(8.5)  # forward past the right edge: a page on, the playhead near the left
    assert (m.view_start, m.view_end) == pytest.approx((8.1, 12.1))
    player.on_direction(False)
    player.on_position(7.9)  # reverse past the left edge: a page back, the playhead near the right
    assert (m.view_start, m.view_end) == pytest.approx((4.3, 8.3))
    player.on_paused(True)
    player.seek(15.0)  # paused, a seek from elsewhere (the transcript, a key): followed too
    assert m.playhead == 15 and m.view_start <= 15 <= m.view_end
    m.set_view(0, 4)  # the user looks elsewhere; nothing moves the playhead: the view stays
    player.on_position(15.0)
    assert (m.view_start, m.view_end) == (0, 4)


def test_marks_are_restored_exactly_and_undo_commands_made_before_still_apply(qtbot):
    from PySide6.QtGui import QUndoStack

    from fastclip_desktop.timeline.commands import AddSegment, RenameSegment
    from fastclip_desktop.timeline.segments import Marks

    m = model(30)
    stack = QUndoStack()
    stack.push(AddSegment(m, 2, 4, "Intro"))
    stack.push(AddSegment(m, 10, 12))
    first, second = m.segments
    stack.push(RenameSegment(m, second.id, "", "Outro"))
    m.set_in(20)
    m.set_out(25)
    m.select(first.id)
    m.set_view(1, 16)
    marks = m.marks()
    assert isinstance(marks, Marks) and marks.segment_tuples() == [(2, 4, "Intro"), (10, 12, "Outro")]

    m.set_media(30)  # the file opened again: all cleared
    changes = []
    m.subscribe(changes.append)
    m.restore_marks(marks)
    assert changes == [{"segments", "marks", "selection", "view"}]
    assert m.marks() == marks and m.segments[1] == Segment(second.id, 10, 12, "Outro")
    assert (m.in_point, m.out_point, m.selected, m.view_start, m.view_end) == (20, 25, first.id, 1, 16)
    assert stack.count() == 3
    stack.undo()  # the rename, made before, finds its segment by id
    assert m.segment(second.id).label == ""
    stack.undo()
    assert [s.id for s in m.segments] == [first.id]
    new = m.add_segment(5, 6)
    assert new.id > second.id  # new ids never collide with restored ones


def test_marks_made_from_plain_data_get_new_ids():
    from fastclip_desktop.timeline.segments import Marks

    m = model(30)
    old = m.add_segment(1, 2)
    marks = m.marks_from([(3, 4, "a"), (5, 6)], in_point=1.0, view=(0, 10))
    assert marks.segment_tuples() == [(3, 4, "a"), (5, 6, "")]
    assert all(s.id > old.id for s in marks.segments) and (marks.view_start, marks.view_end) == (0, 10)
    m.restore_marks(marks)
    assert len(m.segments) == 2 and m.in_point == 1.0 and m.selected is None
    with pytest.raises(ValueError):
        m.restore_marks(Marks((Segment(1, 0, 1), Segment(1, 2, 3))))


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
    assert player.playing and player.speed_text == ""
    press(m, player, "L", "L", "J")
    assert player.speed_text == "2×"
    press(m, player, "J", "J")
    assert player.speed_text == "−1×" and player.direction == -1
    press(m, player, "K")
    assert not player.playing and player.speed_text == ""
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


def test_home_and_end_go_to_the_ends_of_the_file_and_the_view_follows():
    m, player = TimelineModel(), PlayerController()
    PlayerLink(m, player)
    player.on_loaded("/a.mp4")
    player.on_duration(60)
    m.set_view(10, 20)
    player.seek(15)
    press(m, player, "End")
    assert player.position == 60 and m.playhead == 60 and m.view_end == 60 and m.view_span == pytest.approx(10)
    press(m, player, "Home")
    assert player.position == 0 and m.playhead == 0 and (m.view_start, m.view_end) == (0, 10)


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

    def set_direction(self, forward):
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
    from engine.media.thumbnails import thumbnails
    from engine.media.waveform import waveform
    from tests.engine.media.test_thumbnails import drive

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


# ------------------------------------------------------------------------ lanes, labels, follow, drops


def test_overlapping_segments_are_drawn_in_lanes_and_each_is_clickable(qtbot, timeline):
    m = timeline.model  # 800 px for 4 s: 200 px a second
    height = timeline.height()
    timeline.add_segment(1.0, 2.0)
    timeline.add_segment(1.5, 3.0)
    a, b = m.segments
    ra, rb, lane = timeline.segment_rect(a.id), timeline.segment_rect(b.id), timeline.lane_rect()
    assert lane.top() <= ra.top() < ra.bottom() <= rb.top() < rb.bottom() <= lane.bottom()  # one above the other
    assert ra.height() >= MIN_SUBLANE_H and rb.height() >= MIN_SUBLANE_H
    assert (ra.left(), ra.right(), rb.left(), rb.right()) == pytest.approx((200, 400, 300, 600))
    assert timeline.height() == height == HEIGHT and timeline.sizeHint().height() == HEIGHT  # no jump
    m.select(None)
    image = timeline.grab().toImage()
    ya, yb = round(ra.center().y()), round(rb.center().y())
    assert image.pixelColor(390, ya) == COLORS["segment_bar"] == image.pixelColor(390, yb)  # both seen at 1.95 s
    assert image.pixelColor(500, ya) == COLORS["lane"] and image.pixelColor(500, yb) == COLORS["segment_bar"]

    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(390, yb))
    assert m.selected == b.id
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(390, ya))
    assert m.selected == a.id
    drag(qtbot, timeline, QPoint(600, ya), QPoint(700, ya))  # b's end, but in a's lane: a scrub
    assert m.segment(b.id).end == 3.0 and m.playhead == pytest.approx(3.5)
    drag(qtbot, timeline, QPoint(600, yb), QPoint(700, yb))  # in b's lane: resizes b
    assert m.segment(b.id).end == pytest.approx(3.5) and m.selected == b.id
    drag(qtbot, timeline, QPoint(300, ya), QPoint(100, ya))  # a's bar moves a, b stays
    assert m.segment(a.id).start == pytest.approx(0.0) and m.segment(b.id).start == 1.5
    assert m.lane_count() == 1 and timeline.segment_rect(b.id).height() > rb.height()  # alone again: full height


def test_a_segment_bar_shows_its_label_elided_when_there_is_room(qtbot, timeline):
    m = timeline.model
    timeline.add_segment(1.0, 3.0)  # 400 px wide
    segment = m.segments[0]
    bar = timeline.segment_rect(segment.id).toRect()
    unnamed = timeline.grab().toImage().copy(bar)
    timeline.undo_stack.push(RenameSegment(m, segment.id, "", "Interview with the mayor"))
    named = timeline.grab().toImage().copy(bar)
    assert named != unnamed  # the label is drawn
    segment = m.segment(segment.id)
    assert timeline.bar_text(segment, 1, 400) == "1  Interview with the mayor  ·  0:02.0"
    narrow = timeline.bar_text(segment, 1, 80)
    assert narrow.startswith("1  Int") and narrow.endswith("…")
    assert timeline.bar_text(segment, 1, 2) == ""
    assert timeline.bar_text(Segment(99, 0.0, 19.979), 3, 400) == "3  0:20.0"  # rounded, then carried
    timeline.undo_stack.undo()
    assert timeline.grab().toImage().copy(bar) == unnamed


def test_a_segment_added_out_of_sight_is_scrolled_into_view(qtbot, timeline):
    m = timeline.model
    m.set_view(0, 1)
    timeline.add_segment(2.5, 3.0)
    assert m.view_start <= 2.5 and m.view_end >= 3.0 and m.view_span == pytest.approx(1)
    bar = timeline.segment_rect(m.segments[0].id)
    assert 0 <= bar.left() and bar.right() <= timeline.width()


def test_another_button_released_during_a_scrub_does_not_end_it(qtbot, timeline):
    m, player = timeline.model, timeline.player
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=QPoint(200, RULER_H + 10))
    qtbot.mousePress(timeline, Qt.MouseButton.RightButton, pos=QPoint(220, RULER_H + 10))
    qtbot.mouseRelease(timeline, Qt.MouseButton.RightButton, pos=QPoint(220, RULER_H + 10))
    qtbot.mouseMove(timeline, pos=QPoint(300, RULER_H + 10))
    assert m.playhead == pytest.approx(1.5)  # still scrubbing with the left button
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=QPoint(300, RULER_H + 10))
    player.on_position(2.5)  # the scrub is over: the playhead follows the player again
    assert m.playhead == 2.5


def test_home_and_end_keys(qtbot, timeline):
    m = timeline.model
    m.set_view(1, 2)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_End)
    assert m.playhead == 4.0 and timeline.player.position == 4.0 and m.view_end == 4.0
    assert 0 <= timeline.x_of(m.playhead) <= timeline.width()
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    assert m.playhead == 0.0 and timeline.player.position == 0.0 and m.view_start == 0.0


@pytest.fixture
def mpv_player(qtbot):
    from fastclip_desktop.player.mpv_player import MpvPlayer

    p = MpvPlayer(vo="null", ao="null")
    yield p
    p.close()


def test_the_view_follows_the_playhead_while_mpv_plays_zoomed_in_either_way(qtbot, mpv_player, source):
    c = mpv_player.controller
    w = TimelineWidget(TimelineModel(), c)
    w.resize(800, HEIGHT)
    qtbot.addWidget(w)
    w.show()
    m = w.model
    with qtbot.waitSignal(mpv_player.first_frame, timeout=10000):
        mpv_player.load(source("h264"))
    qtbot.waitUntil(lambda: m.duration > 3.9, timeout=5000)
    m.set_view(0, 1.0)
    drawn_at = []
    m.subscribe(lambda _changed: drawn_at.append(w.x_of(m.playhead)))
    w.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_L)
    qtbot.waitUntil(lambda: m.view_start > 1.5, timeout=10000)  # paged along at least twice
    assert m.view_span == pytest.approx(1.0)  # the zoom is kept
    qtbot.keyClick(w, Qt.Key.Key_L)
    assert c.speed_text == "2×"
    qtbot.keyClick(w, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: not c.playing and c.speed_text == "", timeout=5000)
    turned = m.view_start
    qtbot.keyClick(w, Qt.Key.Key_J)  # reverse: the view pages back
    assert c.speed_text == "−1×"
    qtbot.waitUntil(lambda: m.view_start < turned - 0.5, timeout=15000)
    assert drawn_at and all(0 <= x <= w.width() for x in drawn_at)  # the playhead never left the picture
    qtbot.keyClick(w, Qt.Key.Key_K)


def drop_files(w, paths) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(400, 100), *args)
    QApplication.sendEvent(w, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(400, 100), *args)
    QApplication.sendEvent(w, event)
    return event.isAccepted()


def test_a_dropped_csv_adds_its_segments_as_one_undoable_edit(qtbot, timeline, tmp_path):
    m = timeline.model
    path = tmp_path / "cuts.csv"
    path.write_text('start,end,label\n0.5,1.5,Intro\n2,3.25,"Outro, long"\n', encoding="utf-8")
    messages = []
    timeline.message.connect(messages.append)
    assert drop_files(timeline, [path])
    assert [(s.start, s.end, s.label) for s in m.ordered()] == [(0.5, 1.5, "Intro"), (2.0, 3.25, "Outro, long")]
    assert timeline.undo_stack.count() == 1 and timeline.undo_stack.undoText() == "Import 2 segments from cuts.csv"
    assert messages == []
    ids = [s.id for s in m.ordered()]
    timeline.undo_stack.undo()
    assert m.segments == []
    timeline.undo_stack.redo()
    assert [s.id for s in m.ordered()] == ids

    excel = tmp_path / "excel.csv"  # a spreadsheet's export on Windows: cp1252, not UTF-8
    excel.write_bytes("1,2,Café\n".encode("cp1252"))
    assert drop_files(timeline, [excel]) and m.segment(m.selected).label == "Café"


def test_a_bad_csv_adds_nothing_and_says_why(qtbot, timeline, tmp_path):
    m = timeline.model
    bad = tmp_path / "bad.csv"
    bad.write_text("0.5,1.5,Intro\n3,2,backwards\n", encoding="utf-8")
    messages = []
    timeline.message.connect(messages.append)
    assert drop_files(timeline, [bad])
    assert m.segments == [] and timeline.undo_stack.count() == 0
    assert len(messages) == 1 and messages[0].startswith("bad.csv: line 2") and "No segments were added" in messages[0]
    other = tmp_path / "notes.txt"
    other.write_text("0,1\n")
    assert not drop_files(timeline, [other])  # not a CSV: not taken (a parent may want it)


def test_the_label_is_edited_in_the_segment_list_and_undo_restores_it(qtbot, timeline):
    from fastclip_desktop.editor.segment_list import COLUMNS, LABEL, SegmentList

    listing = SegmentList(timeline)
    qtbot.addWidget(listing)
    listing.show()
    m = timeline.model
    timeline.add_segment(1.0, 2.0)
    assert listing.rows() == [("1", "", "0:01.000", "0:02.000", "1.00 s", "")]
    cell = listing.table.visualItemRect(listing.table.item(0, LABEL)).center()
    qtbot.mouseClick(listing.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # a real double-click:
    qtbot.mouseDClick(listing.table.viewport(), Qt.MouseButton.LeftButton, pos=cell)  # press first, then this
    editor = listing.table.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    qtbot.keyClicks(editor, "  Intro ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # Qt commits it on the next turn of the event loop
    qtbot.waitUntil(lambda: m.segments[0].label == "Intro", timeout=2000)
    assert listing.rows()[0][LABEL] == "Intro" and timeline.undo_stack.count() == 2
    assert timeline.undo_stack.undoText() == "Rename segment to “Intro”"
    timeline.undo_stack.undo()
    assert listing.rows()[0][LABEL] == "" and m.segments[0].label == ""
    timeline.undo_stack.redo()
    assert listing.rows()[0][LABEL] == "Intro"
    for column in range(len(COLUMNS)):  # only the label can be edited
        editable = bool(listing.table.item(0, column).flags() & Qt.ItemFlag.ItemIsEditable)
        assert editable == (column == LABEL)
