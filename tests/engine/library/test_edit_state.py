"""The editor's work kept in the library: marked segments, in/out, mode, export choices, playhead and
zoom, per import, checked before they are written, and gone with the import."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest

from engine.errors import InvalidRequest, NotFound
from engine.library import Library, schema
from engine.library.edits import EditState, MarkedSegment
from engine.media.probe import probe
from tests.engine.library import test_library as base
from tests.engine.library.test_library import make_file

clock, home, lib = base.clock, base.home, base.lib  # the shared fixtures


@pytest.fixture
def talk(lib, source):
    """A ready import of a real 4-second video, probed as an import is."""
    path = source("h264")
    media = lib.add_media(path)
    return lib.mark_media_ready(media.file_id, probe(path))


def full_state() -> EditState:
    return EditState(
        segments=(MarkedSegment(2.5, 3.75, "Outro"), MarkedSegment(0.5, 1.5, "Intro")),
        in_point=0.25, out_point=3.5, mode="keyframe",
        export={"format": "mp4", "quality": "720p", "captions": None, "join": False, "folder": "/tmp/out"},
        playhead=1.25, view=(0.0, 2.0))


def stored_rows(lib) -> list[tuple]:
    return lib._db.conn.execute("SELECT file_id, state, updated_at FROM edit_states").fetchall()


def test_a_saved_state_comes_back_as_it_was_saved(lib, talk, clock):
    assert talk.duration == pytest.approx(4.0, abs=0.05)
    assert lib.get_edit_state(talk.file_id) == EditState()  # nothing saved yet
    saved = lib.save_edit_state(talk.file_id, full_state())
    assert saved.updated_at == "2026-04-19T10:00:00Z"
    # segments sorted by (start, end); everything else as given
    assert saved.segments == (MarkedSegment(0.5, 1.5, "Intro"), MarkedSegment(2.5, 3.75, "Outro"))
    assert (saved.in_point, saved.out_point, saved.mode, saved.playhead, saved.view) == (0.25, 3.5, "keyframe",
                                                                                         1.25, (0.0, 2.0))
    assert saved.export == full_state().export
    assert lib.get_edit_state(talk.file_id) == saved
    d = saved.to_dict()
    assert d == {"segments": [{"start": 0.5, "end": 1.5, "label": "Intro"},
                              {"start": 2.5, "end": 3.75, "label": "Outro"}],
                 "in": 0.25, "out": 3.5, "mode": "keyframe", "export": full_state().export, "playhead": 1.25,
                 "view": [0.0, 2.0], "updated_at": "2026-04-19T10:00:00Z"}
    assert EditState.from_dict(json.loads(json.dumps(d))) == saved
    # a dict (the JSON a front end keeps) is taken as well, and saving again replaces it all
    clock.advance(minutes=5)
    again = lib.save_edit_state(talk.file_id, {"segments": [[1, 2]], "mode": None})
    assert again == EditState(segments=(MarkedSegment(1.0, 2.0),), updated_at="2026-04-19T10:05:00Z")
    assert len(stored_rows(lib)) == 1


def test_the_state_survives_closing_and_reopening_the_library(lib, talk, home):
    saved = lib.save_edit_state(talk.file_id, full_state())
    lib.close()
    with Library() as reopened:
        assert reopened.get_edit_state(talk.file_id) == saved
    with sqlite3.connect(home / "library.db") as other:  # as another process sees the file
        (text,) = other.execute("SELECT state FROM edit_states WHERE file_id = ?", (talk.file_id,)).fetchone()
    assert json.loads(text)["segments"][0] == {"start": 0.5, "end": 1.5, "label": "Intro"}


@pytest.mark.parametrize(("change", "field"), [
    ({"segments": [(0.5, 1.0), (1.0, 9.0)]}, "segments[1].end"),  # past the 4 s source
    ({"segments": [(-0.5, 1.0)]}, "segments[0].start"),
    ({"segments": [(0.5, 1.0), (2.0, 2.0)]}, "segments[1].end"),  # not after its start
    ({"segments": [(3.0, 2.0)]}, "segments[0].end"),
    ({"segments": [(math.nan, 1.0)]}, "segments[0].start"),
    ({"segments": [(0.0, math.inf)]}, "segments[0].end"),
    ({"segments": [("1", 2.0)]}, "segments[0].start"),
    ({"segments": [(True, 2.0)]}, "segments[0].start"),
    ({"segments": [(0.0, 1.0, "x" * 201)]}, "segments[0].label"),
    ({"segments": [(0.0, 1.0, "two\nlines")]}, "segments[0].label"),
    ({"segments": [(0.0, 1.0, 7)]}, "segments[0].label"),
    ({"segments": [(0.0, 1.0, "a", "b")]}, "segments[0]"),
    ({"segments": [(0.001 * i, 0.001 * i + 0.0005) for i in range(1001)]}, "segments"),
    ({"mode": "fast"}, "mode"),
    ({"in_point": math.nan}, "in"),
    ({"out_point": 4.5}, "out"),
    ({"playhead": "start"}, "playhead"),
    ({"view": (2.0, 2.0)}, "view"),
    ({"view": (1.0,)}, "view"),
    ({"export": {"folder": object()}}, "export"),
    ({"export": {"quality": math.nan}}, "export"),
    ({"export": {1: "mp4"}}, "export"),
    ({"export": ["mp4"]}, "export"),
])
def test_a_broken_rule_names_the_field_and_changes_nothing(lib, talk, change, field):
    before = lib.save_edit_state(talk.file_id, full_state())
    bad = EditState(**{**{f: getattr(full_state(), f) for f in ("segments", "in_point", "out_point", "mode",
                                                                 "export", "playhead", "view")}, **change})
    with pytest.raises(InvalidRequest) as e:
        lib.save_edit_state(talk.file_id, bad)
    assert e.value.field == field
    if "segments" in change and field != "segments[0]":  # (a malformed one is refused while it is read)
        with pytest.raises(InvalidRequest) as e:
            lib.set_segments(talk.file_id, change["segments"])
        assert e.value.field == field
    assert lib.get_edit_state(talk.file_id) == before


def test_error_messages_say_what_is_wrong(lib, talk):
    with pytest.raises(InvalidRequest) as e:
        lib.set_segments(talk.file_id, [(0.5, 1.0), (1.0, 9.0)])
    assert "9 s" in e.value.message and "past the end of the source" in e.value.message
    with pytest.raises(InvalidRequest) as e:
        lib.set_segments(talk.file_id, [(3, 2)])
    assert e.value.message == "segment 1 must end after it starts (start 3, end 2)"


def test_set_segments_replaces_only_the_segments(lib, talk, clock):
    lib.save_edit_state(talk.file_id, full_state())
    clock.advance(seconds=30)
    state = lib.set_segments(talk.file_id, [(3, 3.5, "  Outro  "), MarkedSegment(1, 2), (1, 1.5, "")])
    assert state.segments == (MarkedSegment(1.0, 1.5), MarkedSegment(1.0, 2.0), MarkedSegment(3.0, 3.5, "Outro"))
    assert all(isinstance(t, float) for s in state.segments for t in (s.start, s.end))
    kept = full_state()
    assert (state.in_point, state.out_point, state.mode, state.export, state.playhead, state.view) == (
        kept.in_point, kept.out_point, kept.mode, kept.export, kept.playhead, kept.view)
    assert state.updated_at == "2026-04-19T10:00:30Z"
    assert lib.get_edit_state(talk.file_id) == state
    cleared = lib.clear_segments(talk.file_id)
    assert cleared.segments == () and cleared.mode == "keyframe" and cleared.view == (0.0, 2.0)
    assert lib.get_edit_state(talk.file_id) == cleared


def test_a_mark_a_rounding_error_past_the_end_is_the_end(lib, talk):
    state = lib.set_segments(talk.file_id, [(3.0, talk.duration + 0.0005)])
    assert state.segments[0].end == talk.duration
    # a playhead is where the player stopped: kept within the source, never refused for it
    assert lib.save_edit_state(talk.file_id, EditState(playhead=talk.duration + 1)).playhead == talk.duration


def test_without_a_known_duration_only_the_order_is_checked(lib, tmp_path):
    pending = lib.add_media(make_file(tmp_path, "new.mp4"))
    assert pending.duration is None
    state = lib.set_segments(pending.file_id, [(100, 5000, "long")])
    assert state.segments == (MarkedSegment(100.0, 5000.0, "long"),)


def test_no_such_import_is_not_found(lib):
    for call in (lambda: lib.get_edit_state("upl_000000000000"),
                 lambda: lib.save_edit_state("upl_000000000000", EditState()),
                 lambda: lib.set_segments("upl_000000000000", [(1, 2)]),
                 lambda: lib.clear_segments("upl_000000000000")):
        with pytest.raises(NotFound) as e:
            call()
        assert e.value.field == "file_id"
    assert stored_rows(lib) == []


def test_forgetting_the_import_removes_its_state(lib, talk, tmp_path):
    other = lib.add_media(make_file(tmp_path, "other.mp4"))
    lib.save_edit_state(talk.file_id, full_state())
    lib.set_segments(other.file_id, [(1, 2)])
    lib.delete_media(talk.file_id)
    assert [r[0] for r in stored_rows(lib)] == [other.file_id]
    with pytest.raises(NotFound):
        lib.get_edit_state(talk.file_id)
    assert lib.check_integrity() == []
    with pytest.raises(sqlite3.IntegrityError):  # the database itself refuses a state of no import
        lib._db.conn.execute("INSERT INTO edit_states VALUES ('upl_000000000000', '{}', 'now')")


def test_a_state_the_app_cannot_read_is_an_empty_one(lib, talk):
    lib.save_edit_state(talk.file_id, full_state())
    lib._db.conn.execute("UPDATE edit_states SET state = 'not json'")
    assert lib.get_edit_state(talk.file_id) == EditState(updated_at="2026-04-19T10:00:00Z")
    assert lib.set_segments(talk.file_id, [(1, 2)]).segments == (MarkedSegment(1.0, 2.0),)


def test_from_dict_refuses_what_is_not_a_state():
    with pytest.raises(InvalidRequest) as e:
        EditState.from_dict(["segments"])
    assert e.value.field == "state"
    with pytest.raises(InvalidRequest) as e:
        EditState.from_dict({"segments": "0-1"})
    assert e.value.field == "segments"
    with pytest.raises(InvalidRequest) as e:
        EditState.from_dict({"segments": [{"start": 0, "end": 1}, 5]})
    assert e.value.field == "segments[1]"
    # unknown keys (a newer version's) are ignored, missing ones take their defaults
    assert EditState.from_dict({"zoom_level": 3, "in": 1.5}) == EditState(in_point=1.5)


def test_an_older_library_file_gains_the_table(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(schema.migrate, "__defaults__", (schema.MIGRATIONS[:2],))
        with Library(path) as old:
            assert old.schema_version == 2
            media = old.add_media(make_file(tmp_path, "a.mp4"))
    with Library(path) as lib:
        assert lib.schema_version == len(schema.MIGRATIONS) >= 3
        assert lib.get_edit_state(media.file_id) == EditState()
        assert lib.set_segments(media.file_id, [(1, 2)]).segments == (MarkedSegment(1.0, 2.0),)
        assert lib.check_integrity() == []
