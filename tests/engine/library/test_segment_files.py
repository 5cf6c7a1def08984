"""Marked segments as plain text: CSV as LosslessCut writes and reads it, and YouTube chapters; and
their labels as the names of the clips made from them."""

from __future__ import annotations

import pytest

from engine.cut.outputs import plan_jobs
from engine.cut.request import ClipRequest, Segment, validate
from engine.errors import InvalidRequest
from engine.library.edits import MarkedSegment
from engine.library.segment_files import (
    chapter_time,
    from_chapters,
    from_csv,
    parse_time,
    to_chapters,
    to_csv,
)
from engine.media.probe import probe
from engine.naming import safe_stem

SEGMENTS = [MarkedSegment(10.0, 20.0, "Intro"), MarkedSegment(30.0, 35.5, ""),
            MarkedSegment(61.25, 90.125, 'Q&A, "live"'), MarkedSegment(3725.5, 3800.0, "Late")]


def error(call, *args, **kwargs) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as e:
        call(*args, **kwargs)
    return e.value


# -- times -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "seconds"), [
    ("75", 75.0), ("75.5", 75.5), (" 0.25 ", 0.25), (".5", 0.5),
    ("1:15", 75.0), ("01:15.250", 75.25), ("1:01:15", 3675.0), ("00:00:10.500", 10.5), ("90:00", 5400.0),
])
def test_times_are_seconds_or_clock_times(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["", "-1", "1:60", "1:75:00", "1e3", "ten", "1:2:3:4", "nan", "1,5"])
def test_what_is_not_a_time_is_refused(text):
    assert error(parse_time, text, "start").field == "start"


def test_chapter_times_are_written_as_youtube_does():
    assert [chapter_time(t) for t in (0, 9.9996, 10.9, 65, 599, 3600, 3725.5, 36000)] == [
        "0:00", "0:10", "0:10", "1:05", "9:59", "1:00:00", "1:02:05", "10:00:00"]


# -- CSV -------------------------------------------------------------------------------------------


def test_csv_round_trip_with_header_and_quoted_labels():
    text = to_csv(SEGMENTS)
    assert text.splitlines() == ["start,end,label", "10,20,Intro", "30,35.5,", '61.25,90.125,"Q&A, ""live"""',
                                 "3725.5,3800,Late"]
    assert from_csv(text) == SEGMENTS
    assert to_csv([(1.23456, 2, "x")]).splitlines()[1] == "1.235,2,x"  # up to 3 decimals
    assert from_csv(to_csv([])) == []


def test_losslesscut_csv_without_header():
    # what LosslessCut's "Export project (CSV)" writes: seconds, no header, empty label or start/end
    text = '0,5.5,\n12.345,20,"Chapter, 2"\n,3,first\n30,,to the end\n'
    assert from_csv(text, duration=40.0) == [
        MarkedSegment(0.0, 5.5, ""), MarkedSegment(12.345, 20.0, "Chapter, 2"),
        MarkedSegment(0.0, 3.0, "first"), MarkedSegment(30.0, 40.0, "to the end")]


def test_csv_with_clock_times_crlf_and_a_bom():
    text = "\ufeffStart,End,Label\r\n00:00:10.500,00:01:00.000,A\r\n\r\n1:00:00,1:00:30.25,  B  \r\n"
    assert from_csv(text) == [MarkedSegment(10.5, 60.0, "A"), MarkedSegment(3600.0, 3630.25, "B")]


def test_a_multiline_quoted_label_is_refused_naming_its_line():
    e = error(from_csv, '1,2,a\n3,4,"two\nlines"\n5,6,c\n')
    assert e.message.startswith("line 2: ") and "control characters" in e.message and e.field == "csv"


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("start,end,label\n1,2,a\n15.0,12.0,b\n", {}, "line 3: end 12.0 is before start 15.0"),
    ("1,2\n4,4,same\n", {}, "line 2: end 4 is the same as start 4"),
    ("1,2,a\n\n3,,b\n", {}, "line 3: the end is empty (the end of the source), but the source's duration is "
                            "not known"),
    ("1,2,a\nsoon,5,b\n", {}, "line 2: start 'soon' is not a time (seconds or [h:]mm:ss(.fff))"),
    ("1,2,a\n3,1:75,b\n", {}, "line 2: end '1:75' is not a time (seconds or [h:]mm:ss(.fff))"),
    ("1,2,a,extra\n", {}, "line 1: expected start,end,label, found 4 columns"),
    ("1,2,a\n3,50,b\n", {"duration": 40.0}, "line 2: end 50 is past the end of the source (40 s)"),
    ("45,,b\n", {"duration": 40.0}, "line 1: start 45 is at or past the end of the source (40 s)"),
    (f"1,2,{'x' * 201}\n", {}, "line 1: the label can be at most 200 characters (this one has 201)"),
])
def test_csv_errors_name_the_line(text, kwargs, message):
    e = error(from_csv, text, **kwargs)
    assert (e.message, e.field) == (message, "csv")


def test_a_csv_end_a_rounding_error_past_the_source_is_its_end():
    assert from_csv("1,40.0004,a\n", duration=40.0) == [MarkedSegment(1.0, 40.0, "a")]


# -- YouTube chapters ------------------------------------------------------------------------------


def test_chapters_as_losslesscut_writes_them():
    assert to_chapters(SEGMENTS) == "0:10 Intro\n0:30 Segment 2\n1:01 Q&A, \"live\"\n1:02:05 Late\n"
    # in order of start, whatever order they come in
    assert to_chapters([(5, 6), (0, 1, "Start")]) == "0:00 Start\n0:05 Segment 2\n"


def test_chapters_round_trip_each_running_to_the_next():
    marked = [MarkedSegment(0.0, 65.0, "Intro"), MarkedSegment(65.0, 3600.0, "Middle"),
              MarkedSegment(3600.0, 3900.0, "End")]
    assert from_chapters(to_chapters(marked), 3900.0) == marked


def test_chapters_from_a_video_description():
    text = ("Thanks for watching! Chapters:\n"
            "0:00 Intro\n"
            "- 1:05 - Part two: the details\n"
            "(2:30) Q&A\n"
            "Not a chapter at 3:00\n"
            "\n"
            "03:15.5 Outro\n"
            "10:00Sponsor\n")  # no space after the time: not a chapter line
    assert from_chapters(text, 240.0) == [
        MarkedSegment(0.0, 65.0, "Intro"), MarkedSegment(65.0, 150.0, "Part two: the details"),
        MarkedSegment(150.0, 195.5, "Q&A"), MarkedSegment(195.5, 240.0, "Outro")]


def test_chapters_in_any_order_are_sorted_and_one_is_enough():
    assert from_chapters("1:00 B\n0:00 A\n", 90) == [MarkedSegment(0.0, 60.0, "A"), MarkedSegment(60.0, 90.0, "B")]
    assert from_chapters("0:30\n", 90) == [MarkedSegment(30.0, 90.0, "")]


@pytest.mark.parametrize(("text", "message", "field"), [
    ("Just words\nno times here\n", "no chapters found (lines like '0:00 Intro')", "chapters"),
    ("0:00 A\n2:00 B\n", "line 2: the chapter at 2:00 starts at or past the end of the source (1:30)", "chapters"),
    ("0:00 A\n0:10 B\n0:10 C\n", "line 3: line 2 starts a chapter at 0:10 too", "chapters"),
    ("0:00 A\n0:75 B\n", "line 2: '0:75 B' does not start with a valid timestamp", "chapters"),
])
def test_chapter_errors_name_the_line(text, message, field):
    e = error(from_chapters, text, 90.0)
    assert (e.message, e.field) == (message, field)


def test_chapters_need_the_duration():
    assert error(from_chapters, "0:00 A\n", None).field == "duration"


# -- labels as output names (fastclip clip --marked) -----------------------------------------------


@pytest.mark.parametrize(("label", "stem"), [
    ("Intro", "Intro"), ("A/B: test?", "A_B_ test_"), ("  .hidden. ", "hidden"), ("tab\there", "tab_here"),
    ("CON", "_CON"), ("lpt1.notes", "_lpt1.notes"), ("..", ""), ("é" * 100, "é" * 75), ("Q&A, live", "Q&A, live"),
])
def test_a_label_is_made_safe_for_the_file_system(label, stem):
    assert safe_stem(label) == stem


def test_planned_outputs_take_the_names_given(source, tmp_path):
    info = probe(source("h264"))
    clip = validate(ClipRequest(info.path, segments=(Segment(0, 1), Segment(1, 2), Segment(2, 3), Segment(3, 4))),
                    info)
    (tmp_path / "Intro.mp4").write_bytes(b"")  # taken already
    jobs = plan_jobs(clip, info, tmp_path, names=["Intro", None, "A/B", "A_B"])
    assert [j.out_path.name for j in jobs] == ["Intro (2).mp4", "h264_0-1-0-2.mp4", "A_B.mp4", "A_B (2).mp4"]
    with pytest.raises(InvalidRequest) as e:
        plan_jobs(clip, info, tmp_path, names=["one"])
    assert e.value.field == "names"
