"""A moment's edges, placed in the silence around its sentences (pure).

A moment starts a breath before its first word and ends just after its last, at the quietest
point of the gap there (the audio's level, frame by frame) but never inside the sentence before
or after it, so a clip neither clips a syllable nor opens on the end of the previous sentence.
Moments that would touch are parted in the middle of their shared gap.
"""

from __future__ import annotations

import numpy as np

LEAD = (0.1, 0.5)  # seconds before the first word: at least, at most
TAIL = (0.15, 0.6)  # after the last word
NEAR_DB = 3.0  # frames this close to the quietest are as good: the one nearest the speech wins


def snap_span(start: float, end: float, prev_end: float | None, next_start: float | None, loud=None, *,
              duration: float | None = None) -> tuple[float, float]:
    """Edges for the sentences spanning ``start``-``end``, between the sentence before (ending at
    ``prev_end``) and after (starting at ``next_start``); ``loud`` is an
    ``engine.moments.loudness.Loudness`` or None (then fixed margins)."""
    lo = 0.0 if prev_end is None else max(0.0, (prev_end + start) / 2 if start - prev_end < 2 * LEAD[0] else prev_end)
    hi = (duration if duration is not None else end + TAIL[1]) if next_start is None else \
        ((end + next_start) / 2 if next_start - end < 2 * TAIL[0] else next_start)
    a, b = max(lo, start - LEAD[1]), max(lo, start - LEAD[0])
    c, d = min(hi, end + TAIL[0]), min(hi, end + TAIL[1])
    s = quiet_point(loud, a, b, prefer="late") if loud is not None else b
    e = quiet_point(loud, c, d, prefer="early") if loud is not None else c
    if duration is not None:
        e = min(e, duration)
    return max(0.0, min(s, start)), max(e, end if duration is None else min(end, duration))


def quiet_point(loud, a: float, b: float, *, prefer: str) -> float:
    """The quietest moment in [a, b] (a frame's centre), among near-equals the latest (``late``) or
    earliest (``early``); ``b`` / ``a`` when no frame lies inside."""
    if b <= a:
        return b if prefer == "late" else a
    centres = loud.start + (np.arange(len(loud.db)) + 0.5) * loud.frame
    i0, i1 = np.searchsorted(centres, a, side="left"), np.searchsorted(centres, b, side="right")
    if i1 <= i0:
        return b if prefer == "late" else a
    db = loud.db[i0:i1]
    near = np.flatnonzero(db <= db.min() + NEAR_DB)
    k = i0 + (near[-1] if prefer == "late" else near[0])
    return float(min(b, max(a, centres[k])))


def part_touching(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Spans (sorted by start) with any overlap cut at its middle, so none overlap."""
    out = [list(s) for s in spans]
    for k in range(len(out) - 1):
        if out[k][1] > out[k + 1][0]:
            mid = (out[k][1] + out[k + 1][0]) / 2
            out[k][1] = out[k + 1][0] = mid
    return [(s, e) for s, e in out]
