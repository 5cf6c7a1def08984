"""A file's keyframes as float seconds, free of Qt: the look-ups a timeline snaps cuts with.

``KeyframeTimes`` wraps the engine's KeyframeIndex (or nothing, until a file's index arrives): the
keyframes in a range (for the ruler's ticks) and the keyframe at or before, strictly before, after
or nearest a time. A position a hair before a keyframe (float noise) still counts as on it.
"""

from __future__ import annotations

import bisect
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the types only: their modules import PyAV and numpy, which the GUI needs later
    from engine import KeyframeIndex


SNAP_SLACK = 1e-6  # a position a hair before a keyframe (float noise) still counts as on it


class KeyframeTimes:
    def __init__(self, index: KeyframeIndex | None = None):
        self.index = index
        self._times: list[float] = [float(t) for t in index.times()] if index else []

    def between(self, t0: float | None = None, t1: float | None = None) -> list[float]:
        """Keyframe times in [t0, t1] (all of them by default)."""
        times = self._times
        lo = 0 if t0 is None else bisect.bisect_left(times, t0)
        hi = len(times) if t1 is None else bisect.bisect_right(times, t1)
        return times[lo:hi]

    def snap(self, t: float, nearest: bool = False) -> float | None:
        """The keyframe a cut asked to start at ``t`` starts at: the one at or before ``t`` (or, for a
        drag, the ``nearest`` one); None when there is none."""
        return self.nearest(t) if nearest else self.at_or_before(t)

    def at_or_before(self, t: float) -> float | None:
        if self.index is None:
            return None
        k = self.index.at_or_before(Fraction(t + SNAP_SLACK))
        return None if k is None else float(k)

    def before(self, t: float) -> float | None:
        """The keyframe strictly before ``t``."""
        return self.at_or_before(t - 2 * SNAP_SLACK - 1e-3)

    def after(self, t: float) -> float | None:
        if self.index is None:
            return None
        k = self.index.after(Fraction(t + SNAP_SLACK))
        return None if k is None else float(k)

    def nearest(self, t: float) -> float | None:
        if self.index is None:
            return None
        k = self.index.nearest(Fraction(t))
        return None if k is None else float(k)
