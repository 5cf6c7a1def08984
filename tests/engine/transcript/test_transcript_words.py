"""Word-time repair (engine.transcript.words): pure functions, no model."""

from __future__ import annotations

import math
import random
from fractions import Fraction as F

import pytest

from engine.transcript.words import (
    MIN_WORD,
    RawWord,
    repair_segment,
    repair_words,
    segment_bounds,
)


def times(words):
    return [(w.start, w.end) for w in words]


def check_invariants(words, start, end):
    previous = start
    for w in words:
        assert start <= w.start <= w.end <= end, (w, start, end)
        assert w.start >= previous, (w, previous)
        previous = w.end


def test_good_times_pass_through_on_the_millisecond_grid():
    raw = [RawWord(" Hello", 0.0, 0.42, 0.9), RawWord(" world", 0.42, 0.9000000001, 0.8)]
    out = repair_words(raw, F(0), F(1))
    assert times(out) == [(F(0), F(42, 100)), (F(42, 100), F(9, 10))]
    assert [w.word for w in out] == [" Hello", " world"]
    assert [w.probability for w in out] == [0.9, 0.8]


@pytest.mark.parametrize("bad", [None, math.nan, math.inf, -1.0, "x"])
def test_a_word_without_usable_times_gets_the_gap_its_neighbours_leave(bad):
    raw = [RawWord(" a", 0.0, 0.5), RawWord(" b", bad, bad), RawWord(" c", 1.0, 1.5)]
    out = repair_words(raw, F(0), F(2))
    assert times(out) == [(F(0), F(1, 2)), (F(1, 2), F(1)), (F(1), F(3, 2))]


def test_a_run_of_words_is_shared_by_length():
    raw = [RawWord(" a", 0.0, 0.2), RawWord(" bb", None, None), RawWord(" dddd", None, None), RawWord(" e", 0.8, 1.0)]
    out = repair_words(raw, F(0), F(1))
    assert times(out)[1:3] == [(F(2, 10), F(4, 10)), (F(4, 10), F(8, 10))]


def test_a_zero_length_word_borrows_from_its_neighbour():
    """tiny.en often returns the first word of a segment as start == end ('Please' 4.84-4.84)."""
    raw = [RawWord(" Please", 4.84, 4.84, 0.99), RawWord(" bring", 4.84, 5.10, 0.95), RawWord(" your", 5.1, 5.32)]
    out = repair_words(raw, F(484, 100), F(638, 100))
    assert out[0].start == F(484, 100) and out[1].end == F(51, 10)
    assert out[0].end == out[1].start
    assert all(w.end - w.start >= MIN_WORD for w in out)
    assert out[2].start == F(51, 10)  # an untouched neighbour keeps its times
    assert out[0].probability == 0.99  # repair changes times, never words or scores


def test_a_zero_length_last_word_borrows_from_the_word_before():
    raw = [RawWord(" go", 0.0, 0.5), RawWord(" now", 0.5, 0.5)]
    out = repair_words(raw, F(0), F(1, 2))
    check_invariants(out, F(0), F(1, 2))
    assert out[1].end - out[1].start >= MIN_WORD


def test_times_are_clamped_into_the_segment_and_made_monotone():
    raw = [
        RawWord(" early", 0.5, 1.2),   # starts before the segment
        RawWord(" overlap", 1.1, 1.6),  # starts inside the previous word
        RawWord(" back", 0.2, 0.4),    # goes back in time: unusable
        RawWord(" late", 2.5, 3.5),    # ends after the segment
    ]
    out = repair_words(raw, F(1), F(3))
    check_invariants(out, F(1), F(3))
    assert times(out)[0] == (F(1), F(12, 10))
    assert out[1].start == F(12, 10)
    assert out[3].end == F(3)


def test_a_segment_of_unusable_words_is_shared_evenly_by_length():
    raw = [RawWord(" one", None, None), RawWord(" two", math.nan, 0.3), RawWord(" six", 5.0, 4.0)]
    out = repair_words(raw, F(1), F(2))
    assert times(out) == [(F(1), F(1333, 1000)), (F(1333, 1000), F(1667, 1000)), (F(1667, 1000), F(2))]


def test_a_zero_length_segment_keeps_its_words_at_its_instant():
    out = repair_words([RawWord(" a", 1.0, 1.2), RawWord(" b", None, None)], F(1), F(1))
    assert times(out) == [(F(1), F(1)), (F(1), F(1))]


def test_probability_is_clamped_and_never_nan():
    out = repair_words([RawWord(" a", 0, 1, math.nan), RawWord(" b", 1, 2, 1.5), RawWord(" c", 2, 3, -0.1)], F(0), F(3))
    assert [w.probability for w in out] == [0.0, 1.0, 0.0]


def test_segment_bounds_follow_the_previous_segment_and_the_duration():
    words = [RawWord(" a", 2.0, 2.5), RawWord(" b", 2.5, 3.0)]
    assert segment_bounds(None, None, words, F(0), F(10)) == (F(2), F(3))
    assert segment_bounds(1.0, 3.0, words, F(3, 2), F(10)) == (F(3, 2), F(3))  # overlaps the previous one
    assert segment_bounds(1.0, 30.0, words, F(0), F(12)) == (F(1), F(12))
    assert segment_bounds(5.0, 4.0, [], F(0), F(10)) == (F(5), F(5))
    assert segment_bounds(None, None, [], F(7), F(10)) == (F(7), F(7))


def test_repair_segment_keeps_text_and_fills_it_from_words_when_blank():
    seg = repair_segment(0.0, 1.0, " Hi there. ", [RawWord(" Hi", 0, 0.4), RawWord(" there.", 0.4, 1.0)], F(0), F(5))
    assert seg.text == "Hi there." and len(seg.words) == 2
    seg = repair_segment(0.0, 1.0, "  ", [RawWord(" Hi", 0, 0.4)], F(0), F(5))
    assert seg.text == "Hi"


def test_any_input_comes_out_ordered_and_inside_its_segment():
    rng = random.Random(7)
    specials = [None, math.nan, math.inf, -math.inf, -1.0]
    for _ in range(500):
        n = rng.randint(0, 12)
        raw = []
        for _ in range(n):
            s = rng.choice(specials) if rng.random() < 0.2 else rng.uniform(-1, 12)
            if rng.random() < 0.2:
                e = rng.choice(specials)
            elif s is not None and math.isfinite(s):
                e = s + rng.uniform(-0.5, 1.5)
            else:
                e = rng.uniform(0, 12)
            raw.append(RawWord(" " + "x" * rng.randint(0, 8), s, e, rng.random()))
        floor, ceiling = F(rng.randint(0, 3)), F(rng.randint(4, 12))
        seg = repair_segment(rng.uniform(0, 6), rng.uniform(2, 14), "text", raw, floor, ceiling)
        assert floor <= seg.start <= seg.end <= ceiling
        check_invariants(seg.words, seg.start, seg.end)
        assert len(seg.words) == n
        for w in seg.words:
            assert w.start.denominator in (1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 125, 200, 250, 500, 1000)
