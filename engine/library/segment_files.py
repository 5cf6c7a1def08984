"""Marked segments as plain text: CSV (LosslessCut's ``start,end,label``) and YouTube chapters.

Pure: text in, text out (the caller reads and writes the files). Times are seconds (``75.5``) or
``[h:]mm:ss(.fff)`` (``1:15.5``, ``01:01:15.250``); a CSV is written in seconds with up to 3
decimals under a ``start,end,label`` header, and read with or without one (LosslessCut writes
none). A chapter list says only where each chapter starts: each runs to the next one's start,
the last to the end of the source. A mistake is an InvalidRequest naming its line
(``line 3: end 12.0 is before start 15.0``); what a file says is checked again, against the
source, when the segments are saved to the library.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable

from ..errors import InvalidRequest
from .edits import END_SLACK, MAX_MARKED_SEGMENTS, MarkedSegment, check_label

CSV_HEADER = ("start", "end", "label")
_SECONDS = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$")
# a chapter line: a timestamp first (after a bullet or bracket, maybe), then the title
_CHAPTER = re.compile(r"^[\s\-*•–—(\[]*(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?[)\]]?(?=\s|$|[-–—:|])"
                      r"\s*[-–—:|]?\s*(.*)$")
_TIME_WORDS = "seconds or [h:]mm:ss(.fff)"


def parse_time(text: str, where: str = "time") -> float:
    """Seconds (``75``, ``75.5``) or ``[h:]mm:ss(.fff)`` (``1:15``, ``1:01:15.250``), as float seconds."""
    t = text.strip() if isinstance(text, str) else text
    if isinstance(t, str):
        if _SECONDS.match(t):
            return float(t)
        m = _CLOCK.match(t)
        if m:
            hours, minutes, seconds = int(m[1] or 0), int(m[2]), float(m[3])
            if seconds < 60 and (m[1] is None or minutes < 60):
                return (hours * 60 + minutes) * 60 + seconds
    raise InvalidRequest(f"{where} must be {_TIME_WORDS}, not {text!r}", field=where)


def seconds_text(t: float) -> str:
    """``t`` in seconds with up to 3 decimals: ``10``, ``35.5``, ``1.234``."""
    return f"{t:.3f}".rstrip("0").rstrip(".")


def chapter_time(t: float) -> str:
    """A chapter's start as YouTube (and LosslessCut) write it: ``m:ss``, ``h:mm:ss`` past an hour
    (whole seconds, rounded down)."""
    whole = math.floor(round(t * 1000) / 1000)
    hours, rest = divmod(whole, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


# -- CSV -------------------------------------------------------------------------------------------


def to_csv(segments: Iterable) -> str:
    """``start,end,label`` lines under that header, times in seconds; labels quoted when they must be."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for i, value in enumerate(segments):
        s = MarkedSegment.from_value(value, f"segments[{i}]")
        writer.writerow((seconds_text(s.start), seconds_text(s.end), s.label))
    return out.getvalue()


def from_csv(text: str, duration: float | None = None) -> list[MarkedSegment]:
    """The segments of a ``start,end[,label]`` CSV, with or without its header line. An empty start
    is 0; an empty end is the end of the source, so it needs ``duration``. No rows: []."""
    segments = []
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    line = 1  # where the next row starts
    try:
        for row in reader:
            n, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if not segments and row[0].strip().lower() == CSV_HEADER[0]:
                continue  # the header
            if len(row) not in (2, 3):
                raise _line(n, f"expected start,end,label, found {len(row)} columns", "csv")
            segments.append(_csv_segment(n, row, duration))
            if len(segments) > MAX_MARKED_SEGMENTS:
                raise _line(n, f"at most {MAX_MARKED_SEGMENTS} segments can be marked", "csv")
    except csv.Error as e:
        raise _line(reader.line_num, f"not CSV ({e})", "csv") from None
    return segments


def _csv_segment(n: int, row: list[str], duration: float | None) -> MarkedSegment:
    start_text, end_text = row[0].strip() or "0", row[1].strip()
    start = _time(n, "start", start_text, "csv")
    if duration is not None and start >= duration:
        raise _line(n, f"start {start_text} is at or past the end of the source ({seconds_text(duration)} s)", "csv")
    if end_text:
        end = _time(n, "end", end_text, "csv")
    elif duration is not None:
        end = float(duration)
    else:
        raise _line(n, "the end is empty (the end of the source), but the source's duration is not known", "csv")
    if end < start:
        raise _line(n, f"end {end_text} is before start {start_text}", "csv")
    if end == start:
        raise _line(n, f"end {end_text} is the same as start {start_text}", "csv")
    if duration is not None:
        if end > duration + END_SLACK:
            raise _line(n, f"end {end_text} is past the end of the source ({seconds_text(duration)} s)", "csv")
        end = min(end, float(duration))
    return MarkedSegment(start, end, _label(n, row[2] if len(row) == 3 else "", "csv"))


# -- YouTube chapters ------------------------------------------------------------------------------


def to_chapters(segments: Iterable) -> str:
    """One ``m:ss Label`` line per segment, by start (``h:mm:ss`` past an hour); an unlabelled
    segment is ``Segment N``. Only the starts are said: a chapter runs to the next one."""
    marked = sorted((MarkedSegment.from_value(v, f"segments[{i}]") for i, v in enumerate(segments)),
                    key=lambda s: (s.start, s.end))
    return "".join(f"{chapter_time(s.start)} {s.label or f'Segment {i}'}\n" for i, s in enumerate(marked, 1))


def from_chapters(text: str, duration: float) -> list[MarkedSegment]:
    """The chapters of a list like YouTube's (``0:00 Intro``), each running to the next chapter's
    start, the last to ``duration``. Lines that do not start with a timestamp are ignored."""
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not 0 < duration < math.inf:
        raise InvalidRequest(f"chapters need the source's duration, not {duration!r}", field="duration")
    starts: list[tuple[float, int, str]] = []
    for n, raw in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        m = _CHAPTER.match(raw)
        if not m:
            continue
        hours, minutes, seconds = int(m[1] or 0), int(m[2]), int(m[3])
        if seconds >= 60 or (m[1] is not None and minutes >= 60):
            raise _line(n, f"{raw.strip()!r} does not start with a valid timestamp", "chapters")
        t = (hours * 60 + minutes) * 60 + seconds + (int(m[4].ljust(3, "0")) / 1000 if m[4] else 0)
        if t >= duration:
            raise _line(n, f"the chapter at {chapter_time(t)} starts at or past the end of the source "
                           f"({chapter_time(duration)})", "chapters")
        starts.append((t, n, _label(n, m[5], "chapters")))
    if not starts:
        raise InvalidRequest("no chapters found (lines like '0:00 Intro')", field="chapters")
    if len(starts) > MAX_MARKED_SEGMENTS:
        raise InvalidRequest(f"at most {MAX_MARKED_SEGMENTS} segments can be marked (found {len(starts)} chapters)",
                             field="chapters")
    starts.sort()
    for (t, n, _), (t2, n2, _) in zip(starts, starts[1:]):
        if t2 == t:
            raise _line(n2, f"line {n} starts a chapter at {chapter_time(t)} too", "chapters")
    ends = [t for t, _, _ in starts[1:]] + [float(duration)]
    return [MarkedSegment(float(t), float(end), label) for (t, _, label), end in zip(starts, ends)]


# -- helpers ---------------------------------------------------------------------------------------


def _line(n: int, message: str, field: str) -> InvalidRequest:
    return InvalidRequest(f"line {n}: {message}", field=field)


def _time(n: int, name: str, text: str, field: str) -> float:
    try:
        return parse_time(text, name)
    except InvalidRequest:
        raise _line(n, f"{name} {text!r} is not a time ({_TIME_WORDS})", field) from None


def _label(n: int, text: str, field: str) -> str:
    try:
        return check_label(text, "the label")
    except InvalidRequest as e:
        raise _line(n, e.message, field) from None


__all__ = ["CSV_HEADER", "chapter_time", "from_chapters", "from_csv", "parse_time", "seconds_text", "to_chapters",
           "to_csv"]
