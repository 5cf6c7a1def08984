"""A transcript written as JSON (the FastClip API's shape), SRT, VTT, ASS or plain text.

Subtitle formats are written by pysubs2 (one cue per segment), so escaping and
timestamp syntax follow each format's rules; ASS stores centiseconds, SRT and
VTT milliseconds.
"""

from __future__ import annotations

import json
from fractions import Fraction

import pysubs2

from ..errors import InvalidRequest
from .document import Segment, Transcript, Word, ms

FORMATS = ("json", "srt", "vtt", "ass", "txt")


def stamp(t: Fraction) -> str:
    """``[H:MM:SS]`` of a time, as in the API's transcript ``text``."""
    s = int(t)
    return f"[{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}]"


def _seconds(t: Fraction) -> float:
    return round(float(t), 3)


def to_dict(t: Transcript) -> dict:
    """The API's transcript object: ``text``, ``segments`` (with ``words``), ``duration``."""
    return {
        "text": to_txt(t),
        "segments": [
            {
                "start": _seconds(s.start),
                "end": _seconds(s.end),
                "text": s.text,
                "words": [
                    {"word": w.word, "start": _seconds(w.start), "end": _seconds(w.end),
                     "probability": round(w.probability, 4)}
                    for w in s.words
                ],
            }
            for s in t.segments
        ],
        "duration": _seconds(t.duration),
        "language": t.language,
    }


def from_dict(d: dict) -> Transcript:
    """Read back what :func:`to_dict` wrote (raises KeyError/TypeError/ValueError if malformed)."""
    return Transcript(
        segments=tuple(
            Segment(
                ms(s["start"]), ms(s["end"]), str(s["text"]),
                tuple(Word(str(w["word"]), ms(w["start"]), ms(w["end"]), float(w["probability"]))
                      for w in s.get("words", ())),
            )
            for s in d["segments"]
        ),
        duration=ms(d["duration"]),
        language=str(d.get("language", "en")),
    )


def to_json(t: Transcript, *, indent: int | None = 2) -> str:
    return json.dumps(to_dict(t), ensure_ascii=False, indent=indent)


def to_txt(t: Transcript, *, stamps: bool = True) -> str:
    """One line per segment, each led by its ``[H:MM:SS]`` start when ``stamps``.

    (pysubs2's ``.txt`` is the TMPlayer subtitle format, which is not what
    someone saving a transcript as text wants.)
    """
    return "\n".join(f"{stamp(s.start)} {s.text}" if stamps else s.text for s in t.segments if s.text)


def to_subtitles(t: Transcript) -> pysubs2.SSAFile:
    """One subtitle event per segment, times in milliseconds."""
    subs = pysubs2.SSAFile()
    for s in t.segments:
        if not s.text:
            continue
        event = pysubs2.SSAEvent(start=_ms(s.start), end=_ms(s.end))
        event.plaintext = s.text
        subs.append(event)
    return subs


def _ms(t: Fraction) -> int:
    return round(t * 1000)


def to_srt(t: Transcript) -> str:
    return to_subtitles(t).to_string("srt")


def to_vtt(t: Transcript) -> str:
    return to_subtitles(t).to_string("vtt")


def to_ass(t: Transcript) -> str:
    return to_subtitles(t).to_string("ass")


_WRITERS = {"json": to_json, "srt": to_srt, "vtt": to_vtt, "ass": to_ass, "txt": to_txt}


def render(t: Transcript, fmt: str) -> str:
    """``t`` in format ``fmt`` (one of :data:`FORMATS`)."""
    writer = _WRITERS.get(fmt.lower().lstrip("."))
    if writer is None:
        raise InvalidRequest(f"unknown transcript format {fmt!r}; choose one of {', '.join(FORMATS)}",
                             field="format")
    return writer(t)
