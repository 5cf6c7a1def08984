"""Pages: which words are on screen together, and which one is being spoken.

A transcript's timed words are grouped into pages of at most
``style.words_per_caption`` words. A page also ends after a sentence (a word
ending in ``.``, ``!``, ``?`` or ``…``) and before a pause (a gap of more than
:data:`PAUSE` between two words). A page shows from its first word's start until
its last word's end plus :data:`HOLD`, but never past the next page's start, so
two pages never overlap. The active word is highlighted from its start until the
next word starts (the page's last word until the page ends).

Times may be floats or exact ``Fraction`` seconds; they are kept as given.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction

from .style import CaptionStyle

PAUSE = Fraction(6, 10)  # a longer gap between two words starts a new page
HOLD = Fraction(3, 10)  # a page stays this long after its last word ends
_SENTENCE_END = (".", "!", "?", "…", "。", "！", "？")
_CLOSERS = "\"'”’)]»"


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float | Fraction
    end: float | Fraction


@dataclass(frozen=True, slots=True)
class Page:
    words: tuple[Word, ...]
    start: float | Fraction
    end: float | Fraction

    @property
    def texts(self) -> list[str]:
        return [w.text for w in self.words]

    def active_index(self, t: float | Fraction) -> int:
        """The word being spoken at ``t`` (a time within the page)."""
        return max(0, bisect.bisect_right(self.words, t, key=_start) - 1)

    def states(self) -> list[tuple[float | Fraction, float | Fraction, int]]:
        """``(start, end, active_index)`` spans covering the page: what burn-in renders
        once and reuses for every frame of the span."""
        spans = []
        for i, word in enumerate(self.words):
            start = self.start if i == 0 else word.start
            end = self.words[i + 1].start if i + 1 < len(self.words) else self.end
            if end > start:
                spans.append((start, end, i))
        return spans


def _start(item: Word | Page) -> float | Fraction:
    return item.start


def _ends_sentence(text: str) -> bool:
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_END)


def paginate(words: list[Word], style: CaptionStyle) -> list[Page]:
    """Group timed ``words`` into pages for ``style`` (see the module docstring)."""
    clean = sorted(
        (Word(w.text.strip(), w.start, max(w.start, w.end)) for w in words if w.text and w.text.strip()),
        key=lambda w: w.start,
    )
    limit = style.words_per_caption
    groups: list[list[Word]] = []
    for word in clean:
        current = groups[-1] if groups else None
        if (
            current is None
            or len(current) >= limit
            or _ends_sentence(current[-1].text)
            or word.start - current[-1].end > PAUSE
        ):
            groups.append([word])
        else:
            current.append(word)
    pages = []
    for i, group in enumerate(groups):
        end = group[-1].end + HOLD
        if i + 1 < len(groups):
            end = min(end, groups[i + 1][0].start)
        end = max(end, group[0].start)
        pages.append(Page(tuple(group), group[0].start, end))
    return pages


def caption_state_at(pages: list[Page], t: float | Fraction) -> tuple[Page, int] | None:
    """The page on screen at ``t`` and the index of its active word, or None."""
    i = bisect.bisect_right(pages, t, key=_start) - 1
    if i < 0:
        return None
    page = pages[i]
    if not page.start <= t < page.end:
        return None
    return page, page.active_index(t)
