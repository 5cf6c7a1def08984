"""Exact time on the engine's timeline.

Inside the engine, instants are ``Fraction`` seconds or integer PTS with a
``Fraction`` time base; floats appear only at the edges (requests, JSON, UI).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Window:
    """A span of the source that goes into the output.

    ``start``/``end`` are source seconds; ``offset`` is where ``start`` lands on
    the output's timeline. Every track cuts the same windows, so a join keeps
    audio, video and subtitles in step.
    """

    start: Fraction
    end: Fraction
    offset: Fraction = Fraction(0)

    @property
    def duration(self) -> Fraction:
        return self.end - self.start

    def to_output(self, t: Fraction) -> Fraction:
        """Map a source instant inside this window to the output timeline."""
        return t - self.start + self.offset


def seconds(pts: int, time_base: Fraction) -> Fraction:
    return pts * time_base


def to_pts(t: Fraction, time_base: Fraction) -> int:
    """Source seconds to the nearest PTS at or after ``t`` (exact for grid points)."""
    return math.ceil(Fraction(t) / time_base)


def exact(value: float | int | str | Fraction) -> Fraction:
    """A request's seconds (float/str) as an exact Fraction, with float noise removed."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def clock_text(seconds: float, decimals: int = 3) -> str:
    """``m:ss.fff`` (``h:mm:ss.fff`` from an hour on) with ``decimals`` digits (0 to 3; 0 gives ``m:ss``).

    The time is rounded at the requested precision first, half up, as its decimal text reads
    (19.95 is 19.95, not the float just below it), and only then split into hours, minutes and
    seconds, so a carry reaches every field: 19.979 at one decimal is ``0:20.0``, 59.9996 is
    ``1:00.000``. Times are never negative: a negative one (float noise) reads as 0.
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 3:
        raise ValueError(f"decimals is 0, 1, 2 or 3, not {decimals!r}")
    t = float(seconds)
    if not math.isfinite(t):
        raise ValueError(f"a time must be a finite number of seconds, not {seconds!r}")
    scale = 10**decimals
    units = max(0, math.floor(Fraction(repr(t)) * scale + Fraction(1, 2)))
    whole, fraction = divmod(units, scale)
    m, s = divmod(whole, 60)
    h, m = divmod(m, 60)
    text = f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
    return f"{text}.{fraction:0{decimals}d}" if decimals else text
