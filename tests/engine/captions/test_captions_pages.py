"""Pagination of timed words and the caption state at a time.

A page holds at most words_per_caption words, ends after a sentence and before a
pause, never overlaps the next page, and lingers a short hold after its last word.
The active word is highlighted from its start until the next word starts.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.captions import (
    CaptionStyle,
    Page,
    Word,
    caption_state_at,
    clone_style,
    paginate,
)
from engine.captions.pages import HOLD, PAUSE

F = Fraction
THREE = CaptionStyle()  # short-form-karaoke: 3 words, highlight mode


def steady(texts, step=0.3, length=0.25, start=0.0):
    return [Word(t, start + i * step, start + i * step + length) for i, t in enumerate(texts)]


def test_pages_hold_at_most_words_per_caption_words():
    pages = paginate(steady("one two three four five six seven".split()), THREE)
    assert [p.texts for p in pages] == [["one", "two", "three"], ["four", "five", "six"], ["seven"]]
    four = clone_style(THREE, {"words_per_caption": 4})
    assert [len(p.words) for p in paginate(steady("a b c d e f g h i".split()), four)] == [4, 4, 1]


def test_highlight_mode_clamp_applies_to_pages():
    many = clone_style(THREE, {"words_per_caption": 9})  # clamped to 4
    assert max(len(p.words) for p in paginate(steady(list("abcdefghij")), many)) == 4
    static = clone_style(THREE, {"highlight_mode": False, "words_per_caption": 9})
    assert [len(p.words) for p in paginate(steady(list("abcdefghij")), static)] == [9, 1]


@pytest.mark.parametrize("end", ["done.", "done!", "done?", "done…", 'done."', "done?)"])
def test_a_sentence_end_closes_the_page(end):
    pages = paginate(steady(["I", end, "Next", "one"]), THREE)
    assert [p.texts for p in pages] == [["I", end], ["Next", "one"]]


def test_a_pause_starts_a_new_page():
    words = [Word("so", 0.0, 0.3), Word("then", 0.4, 0.7), Word("later", 0.7 + 0.61, 1.6), Word("on", 1.7, 1.9)]
    assert [p.texts for p in paginate(words, THREE)] == [["so", "then"], ["later", "on"]]
    short = [Word("so", 0.0, 0.3), Word("then", 0.4, 0.7), Word("soon", 0.7 + 0.59, 1.5)]
    assert [p.texts for p in paginate(short, THREE)] == [["so", "then", "soon"]]


def test_page_end_is_hold_after_last_word_but_never_past_the_next_page():
    words = [
        Word("a", 0.0, 0.2),
        Word("b", 0.3, 0.5),
        Word("c.", 0.6, 0.8),
        Word("d", 0.9, 1.0),
        Word("e", 1.1, 1.3),
        Word("f", 1.4, 1.5),
        Word("g", 5.0, 5.5),
    ]
    pages = paginate(words, THREE)
    assert [p.texts for p in pages] == [["a", "b", "c."], ["d", "e", "f"], ["g"]]
    assert pages[0].start == 0.0 and pages[0].end == 0.9  # next page starts before the hold ends
    assert pages[1].end == pytest.approx(1.5 + float(HOLD))
    assert pages[2].end == pytest.approx(5.5 + float(HOLD))
    for a, b in zip(pages, pages[1:]):
        assert a.end <= b.start


def test_overlapping_words_never_make_overlapping_pages():
    words = [Word("a.", 0.0, 1.0), Word("b", 0.5, 0.9)]  # b starts before a ends
    pages = paginate(words, THREE)
    assert pages[0].end == 0.5 == pages[1].start


def test_exact_fraction_times_stay_exact():
    words = [Word("a", F(0), F(1, 3)), Word("b", F(1, 3), F(2, 3))]
    [page] = paginate(words, THREE)
    assert page.start == 0 and page.end == F(2, 3) + HOLD
    assert isinstance(page.end, Fraction)
    assert isinstance(PAUSE, Fraction)


def test_blank_words_are_dropped_and_order_is_by_start():
    words = [Word("b", 0.5, 0.7), Word("  ", 0.2, 0.3), Word(" a ", 0.0, 0.2), Word("", 0.8, 0.9)]
    assert [p.texts for p in paginate(words, THREE)] == [["a", "b"]]
    assert paginate([], THREE) == []


def test_active_word_runs_from_its_start_to_the_next_words_start():
    words = [Word("one", 1.0, 1.2), Word("two", 1.5, 1.7), Word("three", 1.8, 2.0)]
    pages = paginate(words, THREE)
    page = pages[0]
    assert caption_state_at(pages, 0.99) is None
    assert caption_state_at(pages, 1.0) == (page, 0)
    assert caption_state_at(pages, 1.3) == (page, 0)  # in the gap after "one": still "one"
    assert caption_state_at(pages, 1.5) == (page, 1)
    assert caption_state_at(pages, 1.79) == (page, 1)
    assert caption_state_at(pages, 1.8) == (page, 2)
    assert caption_state_at(pages, 2.0 + float(HOLD) - 0.01) == (page, 2)  # the hold keeps the last word
    assert caption_state_at(pages, 2.0 + float(HOLD)) is None


def test_state_between_pages_and_after_the_last():
    words = [Word("a.", 0.0, 0.2), Word("b", 3.0, 3.2)]
    pages = paginate(words, THREE)
    assert caption_state_at(pages, 0.1)[0] is pages[0]
    assert caption_state_at(pages, 1.0) is None  # after the hold, before the next page
    assert caption_state_at(pages, 3.1) == (pages[1], 0)
    assert caption_state_at(pages, 99) is None
    assert caption_state_at([], 1.0) is None


def test_states_cover_the_page_once():
    words = [Word("one", 1.0, 1.2), Word("two", 1.5, 1.7), Word("three", 1.8, 2.0)]
    [page] = paginate(words, THREE)
    spans = page.states()
    assert [i for _, _, i in spans] == [0, 1, 2]
    assert spans[0][0] == page.start and spans[-1][1] == page.end
    for (_, end, _), (start, _, _) in zip(spans, spans[1:]):
        assert end == start
    for start, end, i in spans:
        assert caption_state_at([page], (start + end) / 2) == (page, i)


def test_page_is_plain_data():
    page = Page((Word("a", 0, 1),), 0, 1.3)
    assert page.texts == ["a"] and page.active_index(0.5) == 0
