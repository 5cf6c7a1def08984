"""What analyze and auto-clip are asked (POST /v1/clip/analyze, POST /v1/clip/auto), and their rules.

Pure: no I/O. The planner (engine.jobs) checks a request with :func:`moment_options` before a job
exists, so a refused request names its field (``query``, ``count``, ``min_duration``,
``max_duration``); the clip rules of an auto-clip (formats, no GIF, captions only on MP4 video,
qualities) are the clip request's own (engine.cut.request.validate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ..errors import InvalidRequest
from ..timeline import exact

MAX_QUERY = 500  # characters (the API's "Max AI query length")
DEFAULT_COUNT = 5
MAX_COUNT = 50  # as many as a manual request may have segments
DEFAULT_MIN_DURATION = Fraction(15)
DEFAULT_MAX_DURATION = Fraction(60)
SHORTEST = Fraction(1)  # a moment is at least a second
LONGEST = Fraction(600)  # and, as every clip, at most 10 minutes


@dataclass(frozen=True, slots=True)
class AnalyzeRequest:
    """POST /v1/clip/analyze: ``source`` is a path, an import's file_id or a clip's clip_id; without
    ``query`` the moments are general highlights."""

    source: str
    query: str | None = None
    count: int | None = None
    min_duration: float | str | Fraction | None = None
    max_duration: float | str | Fraction | None = None


@dataclass(frozen=True, slots=True)
class AutoClipRequest:
    """POST /v1/clip/auto: analyze, then make a clip of each moment (``format``, ``quality``, ``mode``
    and ``captions`` as a clip request has them; GIF is refused)."""

    source: str
    query: str | None = None
    count: int | None = None
    format: str | None = None
    quality: str | None = None
    mode: str | None = None
    captions: str | None = None
    min_duration: float | str | Fraction | None = None
    max_duration: float | str | Fraction | None = None


@dataclass(frozen=True, slots=True)
class MomentOptions:
    """A request's moment options, checked: the query (None for highlights), how many at most, and
    how long each may be."""

    query: str | None = None
    count: int = DEFAULT_COUNT
    min_duration: Fraction = DEFAULT_MIN_DURATION
    max_duration: Fraction = DEFAULT_MAX_DURATION

    def to_dict(self) -> dict:
        return {"query": self.query, "count": self.count, "min_duration": float(self.min_duration),
                "max_duration": float(self.max_duration)}


def moment_options(query=None, count=None, min_duration=None, max_duration=None) -> MomentOptions:
    """The options checked against the API's limits; raises InvalidRequest naming the field."""
    return MomentOptions(_query(query), _count(count), *_durations(min_duration, max_duration))


def normalized_query(query: str | None) -> str | None:
    """The query as it is compared and stored: spaces collapsed, None when blank. (The model reads
    lower-case text, so case is kept only for show.)"""
    if query is None:
        return None
    text = " ".join(str(query).split())
    return text or None


def _query(query) -> str | None:
    if query is not None and not isinstance(query, str):
        raise InvalidRequest(f"query must be text, not {query!r}", field="query")
    text = normalized_query(query)
    if text is not None and len(text) > MAX_QUERY:
        raise InvalidRequest(f"a query may be at most {MAX_QUERY} characters (this one has {len(text)})",
                             field="query")
    return text


def _count(count) -> int:
    if count is None or count == "":
        return DEFAULT_COUNT
    try:
        n = int(count)
        ok = not isinstance(count, bool) and n == float(count)
    except (TypeError, ValueError):
        ok = False
    if not ok or not 1 <= n <= MAX_COUNT:
        raise InvalidRequest(f"count must be a whole number from 1 to {MAX_COUNT}, not {count!r}", field="count")
    return n


def _durations(low, high) -> tuple[Fraction, Fraction]:
    lo = _seconds(low, DEFAULT_MIN_DURATION, "min_duration")
    hi = _seconds(high, max(DEFAULT_MAX_DURATION, lo), "max_duration")
    if not SHORTEST <= lo <= LONGEST:
        raise InvalidRequest(f"min_duration must be from {SHORTEST} to {LONGEST} seconds, not {float(lo):g}",
                             field="min_duration")
    if hi > LONGEST:
        raise InvalidRequest(f"a moment's clip may be at most 10 minutes; max_duration {float(hi):g} s is longer",
                             field="max_duration")
    if hi < lo:
        raise InvalidRequest(f"max_duration ({float(hi):g} s) must not be shorter than min_duration "
                             f"({float(lo):g} s)", field="max_duration")
    return lo, hi


def _seconds(value, default, field: str) -> Fraction:
    if value is None or value == "":
        return default
    try:
        t = exact(value)
    except (TypeError, ValueError, ZeroDivisionError):
        t = None
    if t is None or isinstance(value, bool) or not math.isfinite(float(t)):
        raise InvalidRequest(f"{field} must be a number of seconds, not {value!r}", field=field)
    return t
