"""Repair the word and segment times a speech model returns (pure, no I/O).

Whisper's word timings come from attention alignment and have quirks: a word
can come back with no duration (start == end), with times outside its segment,
overlapping its neighbour, or (from other models and converters) with no time
at all. After :func:`repair_segment`:

* every word lies inside its segment,
* words are in order and never overlap (``start <= end <= next.start``),
* a word whose own times were unusable gets a share of the gap its
  neighbours leave, widened into a neighbouring word's span when that gap is
  too short to hear, split in proportion to the words' lengths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from .document import Segment, Word, ms

# A word given a span from its neighbours gets at least this long, if there is room.
MIN_WORD = Fraction(1, 20)


@dataclass(frozen=True, slots=True)
class RawWord:
    """A word as a model returned it: times may be missing, NaN or out of order."""

    word: str
    start: float | None
    end: float | None
    probability: float = 0.0


def seconds_or_none(value) -> Fraction | None:
    """A finite, non-negative time as millisecond Fraction seconds, else None."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(f) or f < 0:
        return None
    return ms(f)


def segment_bounds(
    start, end, words: Sequence[RawWord], floor: Fraction, ceiling: Fraction
) -> tuple[Fraction, Fraction]:
    """A segment's start and end, usable and inside ``[floor, ceiling]``.

    ``floor`` is where the previous segment ended, so segments never overlap;
    ``ceiling`` is the source's duration. Missing segment times are taken from
    its words' times.
    """
    s, e = seconds_or_none(start), seconds_or_none(end)
    times = [t for w in words for t in (seconds_or_none(w.start), seconds_or_none(w.end)) if t is not None]
    if s is None:
        s = min(times) if times else floor
    if e is None or e < s:
        e = max([s, *times])
    ceiling = max(floor, ceiling)
    s = min(max(s, floor), ceiling)
    e = min(max(e, s), ceiling)
    return s, e


def repair_words(words: Sequence[RawWord], start: Fraction, end: Fraction) -> tuple[Word, ...]:
    """Words with usable, ordered, non-overlapping times inside ``[start, end]``."""
    n = len(words)
    spans: list[tuple[Fraction, Fraction] | None] = []
    last_end = start
    for w in words:
        s, e = seconds_or_none(w.start), seconds_or_none(w.end)
        span = None
        if s is not None and e is not None:
            s = min(max(s, start, last_end), end)
            e = min(max(e, start), end)
            if e > s:
                span = (s, e)
                last_end = e
        spans.append(span)

    i = 0
    while i < n:
        if spans[i] is not None:
            i += 1
            continue
        j = i
        while j < n and spans[j] is None:
            j += 1
        # words[i:j] have no usable times; widen the run until it has room
        lo, hi = i, j
        while True:
            left = spans[lo - 1][1] if lo > 0 else start
            right = spans[hi][0] if hi < n else end
            if right - left >= MIN_WORD * (hi - lo):
                break
            if hi < n:
                hi += 1
                while hi < n and spans[hi] is None:  # and the next run, if it follows at once
                    hi += 1
            elif lo > 0:
                lo -= 1
            else:
                break
        for k, span in zip(range(lo, hi), _share(words[lo:hi], left, right)):
            spans[k] = span
        i = hi

    return tuple(
        Word(w.word, s, e, _probability(w.probability)) for w, (s, e) in zip(words, spans)
    )


def _share(words: Sequence[RawWord], left: Fraction, right: Fraction) -> list[tuple[Fraction, Fraction]]:
    """Split ``[left, right]`` among ``words`` by their length in characters."""
    weights = [max(1, len(w.word.strip())) for w in words]
    total = sum(weights)
    spans, acc, prev = [], 0, left
    for weight in weights:
        acc += weight
        cut = right if acc == total else min(right, max(prev, ms(left + (right - left) * Fraction(acc, total))))
        spans.append((prev, cut))
        prev = cut
    return spans


def _probability(p) -> float:
    try:
        f = float(p)
    except (TypeError, ValueError):
        return 0.0
    return round(min(1.0, max(0.0, f)), 4) if math.isfinite(f) else 0.0


def repair_segment(
    start, end, text: str, words: Sequence[RawWord], floor: Fraction, ceiling: Fraction
) -> Segment:
    """One model segment as a :class:`Segment` with repaired times (see module doc)."""
    s, e = segment_bounds(start, end, words, floor, ceiling)
    fixed = repair_words(words, s, e)
    if not text.strip() and fixed:
        text = "".join(w.word for w in fixed)
    return Segment(s, e, text.strip(), fixed)
