"""A transcript: segments of text with word timings, on a source's timeline.

Times are exact ``Fraction`` seconds on the millisecond grid (Whisper's own
precision is 20 ms); they become floats only in the JSON and subtitle formats.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word.

    ``word`` is the text as Whisper emits it, with its leading space, so
    ``"".join(w.word for w in words)`` rebuilds the segment's text in any
    language (some write no spaces between words).
    """

    word: str
    start: Fraction
    end: Fraction
    probability: float


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of speech (usually a sentence) and its words, in order."""

    start: Fraction
    end: Fraction
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Transcript:
    """Every segment of a source (or of a clip), and the length of its timeline."""

    segments: tuple[Segment, ...]
    duration: Fraction
    language: str = "en"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(w for s in self.segments for w in s.words)


def ms(seconds: float | Fraction) -> Fraction:
    """Seconds on the millisecond grid, as an exact Fraction."""
    return Fraction(round(Fraction(seconds) * 1000), 1000)
