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
