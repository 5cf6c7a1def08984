"""cut_transcript: a clip's transcript is the source's, cut to the clip's windows (pure, no model)."""

from __future__ import annotations

import random
from fractions import Fraction as F

from engine.timeline import Window
from engine.transcript import Segment, Transcript, Word, cut_transcript


def seg(*words: tuple[str, float, float], start=None, end=None) -> Segment:
    ws = tuple(Word(f" {w}", F(str(s)), F(str(e)), 0.9) for w, s, e in words)
    return Segment(
        F(str(start)) if start is not None else ws[0].start,
        F(str(end)) if end is not None else ws[-1].end,
        "".join(w.word for w in ws).strip(),
        ws,
    )


SOURCE = Transcript(
    (
        seg(("one", 0.0, 0.5), ("two", 0.5, 1.0), ("three", 1.0, 1.6)),
        seg(("four", 3.0, 3.4), ("five", 3.4, 4.0), ("six", 4.0, 4.8), start=2.9, end=5.0),
        seg(("seven", 6.0, 6.5), ("eight", 6.5, 7.0)),
    ),
    duration=F(8),
)


def plain(t: Transcript):
    return [(float(s.start), float(s.end), s.text, [(w.word.strip(), float(w.start), float(w.end)) for w in s.words])
            for s in t.segments]


def test_one_window_keeps_the_words_inside_shifted_to_the_clip():
    clip = cut_transcript(SOURCE, [Window(F(3), F(7))])
    assert plain(clip) == [
        (0.0, 2.0, "four five six", [("four", 0.0, 0.4), ("five", 0.4, 1.0), ("six", 1.0, 1.8)]),
        (3.0, 4.0, "seven eight", [("seven", 3.0, 3.5), ("eight", 3.5, 4.0)]),
    ]
    assert clip.duration == 4


def test_a_word_cut_through_goes_with_the_window_holding_its_middle():
    # 'five' is 3.4-4.0 (middle 3.7); 'two' 0.5-1.0 (middle 0.75)
    clip = cut_transcript(SOURCE, [Window(F("0.8"), F("3.6"))])
    words = [(w.word.strip(), w.start, w.end) for w in clip.words]
    assert words == [("three", F("0.2"), F("0.8")), ("four", F("2.2"), F("2.6"))]
    clip = cut_transcript(SOURCE, [Window(F("0.7"), F("3.8"))])
    assert [w.word.strip() for w in clip.words] == ["two", "three", "four", "five"]
    two, five = clip.words[0], clip.words[-1]
    assert (two.start, two.end) == (F(0), F("0.3"))  # clamped to the window's start
    assert (five.start, five.end) == (F("2.7"), F("3.1"))  # and to its end


def test_segments_are_trimmed_to_the_window():
    clip = cut_transcript(SOURCE, [Window(F("2.95"), F("4.5"))])
    (s,) = clip.segments
    assert (s.start, s.end) == (F(0), F("1.55"))
    assert s.text == "four five six"  # 'six' (4.0-4.8) has its middle at 4.4
    assert s.words[-1].end == F("1.55")


def test_joined_windows_follow_each_other_on_the_clip():
    windows = [Window(F(6), F(7), F(0)), Window(F(0), F(1), F(1)), Window(F(4), F(5), F(2))]
    clip = cut_transcript(SOURCE, windows)
    assert [s.text for s in clip.segments] == ["seven eight", "one two", "six"]
    assert [(float(w.start), float(w.end)) for w in clip.words] == [
        (0.0, 0.5), (0.5, 1.0), (1.0, 1.5), (1.5, 2.0), (2.0, 2.8)
    ]
    assert clip.duration == 3


def test_a_segment_spanning_two_windows_appears_in_each():
    clip = cut_transcript(SOURCE, [Window(F(3), F("3.5")), Window(F(4), F(5), F("0.5"))])
    assert [s.text for s in clip.segments] == ["four", "six"]


def test_segments_without_word_times_are_trimmed_whole():
    src = Transcript((Segment(F(1), F(5), "no words here", ()),), F(6))
    clip = cut_transcript(src, [Window(F(4), F(6), F(10))])
    assert plain(clip) == [(10.0, 11.0, "no words here", [])]
    assert cut_transcript(src, [Window(F(5), F(6))]).segments == ()


def test_nothing_in_the_windows_gives_an_empty_transcript():
    assert cut_transcript(SOURCE, [Window(F("1.7"), F("2.8"))]).segments == ()
    empty = cut_transcript(SOURCE, [])
    assert empty.segments == () and empty.duration == 0
    assert cut_transcript(SOURCE, [Window(F(2), F(2))]).duration == 0


def test_times_stay_exact():
    clip = cut_transcript(SOURCE, [Window(F(3), F(7), F(1, 3))])
    assert clip.words[0].start == F(1, 3) and clip.duration == F(13, 3)


def test_the_source_is_untouched_and_the_result_repeatable():
    before = plain(SOURCE)
    windows = [Window(F(0), F(2)), Window(F(3), F(5), F(2))]
    assert cut_transcript(SOURCE, windows) == cut_transcript(SOURCE, windows)
    assert plain(SOURCE) == before
    assert cut_transcript(SOURCE, [Window(F(0), F(8))]) == SOURCE


def test_consecutive_windows_keep_the_transcript_ordered():
    rng = random.Random(3)
    for _ in range(200):
        cuts = sorted({F(rng.randint(0, 80), 10) for _ in range(rng.randint(2, 8))})
        windows, at = [], F(0)
        for a, b in zip(cuts[::2], cuts[1::2]):
            windows.append(Window(a, b, at))
            at += b - a
        clip = cut_transcript(SOURCE, windows)
        previous = F(0)
        for s in clip.segments:
            assert previous <= s.start <= s.end <= clip.duration
            for w in s.words:
                assert s.start <= w.start <= w.end <= s.end and w.start >= previous
                previous = w.end
            previous = s.end
        kept = sum(1 for w in SOURCE.words for win in windows if win.start <= (w.start + w.end) / 2 < win.end)
        assert len(clip.words) == kept
