"""Transcript formats: JSON in the API's shape; SRT/VTT/ASS written by pysubs2; plain text (no model)."""

from __future__ import annotations

import json
import pickle
from fractions import Fraction as F

import pysubs2
import pytest

from engine.errors import InvalidRequest
from engine.transcript import (
    FORMATS,
    Segment,
    Transcript,
    Word,
    from_dict,
    render,
    to_dict,
    to_json,
    to_txt,
)
from engine.transcript.formats import stamp

T = Transcript(
    (
        Segment(F("0.02"), F("1.005"), "Hello, world.",
                (Word(" Hello,", F("0.02"), F("0.5"), 0.91), Word(" world.", F("0.5"), F("1.005"), 0.5))),
        Segment(F("61.5"), F("63.25"), "Ça va? <b>fine</b> & you",
                (Word(" Ça", F("61.5"), F("61.7"), 1.0), Word(" va?", F("61.7"), F("62"), 0.8),
                 Word(" <b>fine</b>", F("62"), F("62.5"), 0.7), Word(" &", F("62.5"), F("62.6"), 0.2),
                 Word(" you", F("62.6"), F("63.25"), 0.9))),
        Segment(F("3725.125"), F("3727"), "An hour later.", ()),
    ),
    duration=F("3730.5"),
)


def test_stamps_are_hours_minutes_seconds():
    assert [stamp(F(x)) for x in ("0", "59.99", "61.5", "3725.125", "36000")] == [
        "[0:00:00]", "[0:00:59]", "[0:01:01]", "[1:02:05]", "[10:00:00]"
    ]


def test_json_is_the_api_shape_with_words():
    d = json.loads(to_json(T))
    assert d["text"] == "[0:00:00] Hello, world.\n[0:01:01] Ça va? <b>fine</b> & you\n[1:02:05] An hour later."
    assert d["duration"] == 3730.5
    assert d["segments"][0] == {
        "start": 0.02, "end": 1.005, "text": "Hello, world.",
        "words": [{"word": " Hello,", "start": 0.02, "end": 0.5, "probability": 0.91},
                  {"word": " world.", "start": 0.5, "end": 1.005, "probability": 0.5}],
    }
    assert d["segments"][2]["words"] == []
    assert from_dict(d) == T
    assert from_dict(json.loads(json.dumps(to_dict(T)))) == T


def test_a_transcript_survives_pickling_back_from_a_worker():
    assert pickle.loads(pickle.dumps(T)) == T


@pytest.mark.parametrize("fmt, tolerance_ms", [("srt", 0), ("vtt", 0), ("ass", 10)])
def test_subtitles_parse_back_with_the_same_times_and_text(fmt, tolerance_ms):
    text = render(T, fmt)
    subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    assert len(subs) == 3
    for event, s in zip(subs, T.segments):
        assert abs(event.start - int(s.start * 1000)) <= tolerance_ms
        assert abs(event.end - int(s.end * 1000)) <= tolerance_ms
    assert subs[0].plaintext == "Hello, world."
    assert subs[2].plaintext == "An hour later."


def test_srt_and_vtt_carry_exact_milliseconds():
    assert "00:00:00,020 --> 00:00:01,005" in render(T, "srt")
    assert "01:02:05.125 --> 01:02:07.000" in render(T, "vtt")
    assert "WEBVTT" in render(T, "vtt").splitlines()[0]
    assert "[Script Info]" in render(T, "ass")


def test_text_has_one_stamped_line_per_segment():
    assert to_txt(T).splitlines()[1] == "[0:01:01] Ça va? <b>fine</b> & you"
    assert to_txt(T, stamps=False).splitlines() == [s.text for s in T.segments]
    assert render(T, "TXT") == to_txt(T) and render(T, ".json") == to_json(T)


def test_an_empty_transcript_writes_every_format():
    empty = Transcript((), F(0))
    for fmt in FORMATS:
        assert isinstance(render(empty, fmt), str)
    assert len(pysubs2.SSAFile.from_string(render(empty, "srt") or "\n", format_="srt")) == 0


def test_an_unknown_format_is_an_invalid_request():
    with pytest.raises(InvalidRequest) as e:
        render(T, "docx")
    assert e.value.field == "format"
