"""Candidate moments: every run of whole sentences whose span fits the asked duration, and sums
over them in O(1) each through prefix sums (pure).

A 1-hour talk has ~700-900 sentences and, at 15-60 s, ~10,000 candidate runs: each score is an
array over all of them, never a Python loop per candidate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAD = 1.2  # seconds a snapped span may add to its sentences (lead + tail): kept free under the maximum


@dataclass(frozen=True, slots=True, eq=False)
class Windows:
    """Runs of sentences ``first..last`` (inclusive), spanning ``start``-``end`` (their sentences')."""

    first: np.ndarray
    last: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    @property
    def duration(self) -> np.ndarray:
        return self.end - self.start


def candidate_windows(starts: np.ndarray, ends: np.ndarray, min_duration: float, max_duration: float) -> Windows:
    """Every run whose sentences span ``min_duration`` to ``max_duration - PAD`` seconds. When none
    does (all the speech is shorter than the minimum), the longest runs that fit the maximum."""
    n = len(starts)
    if n == 0:
        return _windows([], [], starts, ends)
    ends = np.maximum.accumulate(ends)
    longest = max(min_duration, max_duration - PAD)
    first, last = _runs(starts, ends, min_duration, longest)
    if not len(first):
        hi = np.searchsorted(ends, starts + longest, side="right") - 1
        hi = np.maximum(hi, np.arange(n))
        reach = ends[hi] - starts
        best = reach.max()
        first, last = _runs(starts, ends, best - 1e-6, max(best, longest))
    return _windows(first, last, starts, ends)


def _runs(starts, ends, low, high) -> tuple[np.ndarray, np.ndarray]:
    n = len(starts)
    i = np.arange(n)
    lo = np.maximum(np.searchsorted(ends, starts + low, side="left"), i)
    hi = np.searchsorted(ends, starts + high, side="right") - 1
    counts = np.maximum(hi - lo + 1, 0)
    first = np.repeat(i, counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    last = np.repeat(lo, counts) + offsets
    return first, last


def _windows(first, last, starts, ends) -> Windows:
    first, last = np.asarray(first, np.int64), np.asarray(last, np.int64)
    return Windows(first, last, np.asarray(starts, float)[first], np.asarray(ends, float)[last])


def prefix(values: np.ndarray) -> np.ndarray:
    """Prefix sums with a leading zero (along the first axis): the sum of ``first..last`` is
    ``p[last + 1] - p[first]``."""
    values = np.asarray(values, float)
    return np.concatenate([np.zeros((1, *values.shape[1:])), np.cumsum(values, axis=0)])


def span_sum(p: np.ndarray, w: Windows) -> np.ndarray:
    return p[w.last + 1] - p[w.first]


def range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, empty: float = 0.0) -> np.ndarray:
    """``max(values[lo:hi + 1])`` for each pair (``empty`` where hi < lo), by a sparse table."""
    values = np.asarray(values, float)
    lo, hi = np.asarray(lo, np.int64), np.asarray(hi, np.int64)
    out = np.full(len(lo), empty)
    ok = hi >= lo
    if not len(values) or not ok.any():
        return out
    table = [values]
    while (1 << len(table)) <= len(values):
        prev, step = table[-1], 1 << (len(table) - 1)
        table.append(np.maximum(prev[:-step], prev[step:]))
    a, b = lo[ok], hi[ok]
    k = np.floor(np.log2(b - a + 1)).astype(np.int64)
    res = np.empty(len(a))
    for level in np.unique(k):
        m = k == level
        t = table[level]
        res[m] = np.maximum(t[a[m]], t[b[m] - (1 << level) + 1])
    out[ok] = res
    return out
