"""The transcript panel's state, free of Qt: the words as text, the word being spoken, search, selection.

``TranscriptModel`` lays a ``engine.transcript.Transcript`` out as the text the panel shows: one line
per segment, led by its start time (``0:03``), then its words. Every word knows its time span (float
seconds, the UI edge of the engine's exact times) and where it sits in the text, so the view can map
a click to a word and a word to the characters it paints. Offsets count UTF-16 code units, as Qt's
text documents do (they equal Python string indexes unless a word holds a character outside the BMP).

The model holds the current word (the one whose span contains the playback position, found by
bisect), the search matches and which one is current, and the selected run of words (an anchor
word and a focus word, in either order). Listeners get the set of fields that changed:
"transcript", "current", "matches", "selection".
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from engine import Transcript, clock_text

from ..observable import Observable

STAMP_GAP = "\t"  # between a line's start time and its first word (the view sets the tab stop)


@dataclass(frozen=True, slots=True)
class WordSpot:
    """A word as the panel shows it: its text, its time span and its characters ``[first, last)``."""

    index: int
    text: str
    start: float
    end: float
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class Line:
    """One segment's line: the start-time stamp at ``[first, stamp_end)``, then words up to ``last``."""

    first: int
    stamp_end: int
    last: int
    start: float
    stamp: str


def clock(t: float, decimals: int = 0) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour), with ``decimals`` digits of the seconds."""
    return clock_text(max(0.0, float(t)), decimals)


def span_text(start: float, end: float) -> str:
    """``0:01.20 – 0:02.45 (1.25 s)``: a span as the panel states it."""
    return f"{clock(start, 2)} – {clock(end, 2)} ({end - start:.2f} s)"


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


# ---------------------------------------------------------------------------------------- the model


class TranscriptModel(Observable):
    def __init__(self, transcript: Transcript | None = None):
        Observable.__init__(self)
        self._clear()
        if transcript is not None:
            self.set_transcript(transcript)

    def _clear(self) -> None:
        self.transcript: Transcript | None = None
        self.text = ""
        self.words: list[WordSpot] = []
        self.lines: list[Line] = []
        self._starts: list[float] = []  # word start times, for bisect
        self._firsts: list[int] = []  # word first characters, for bisect
        self._line_firsts: list[int] = []
        self._code_spans: list[tuple[int, int]] = []  # each word's [first, last) in code points
        self._astral: list[int] | None = None  # code point -> UTF-16 offset, only when they differ
        self.current: int | None = None
        self.query = ""
        self.matches: list[tuple[int, int]] = []
        self.match_index: int | None = None
        self.anchor: int | None = None
        self.focus: int | None = None

    # -- observing ----------------------------------------------------------------------------------

    def _changed(self, *what: str) -> None:
        if what:
            super()._changed(*what)

    # -- the transcript -----------------------------------------------------------------------------

    def set_transcript(self, transcript: Transcript | None) -> None:
        """Show ``transcript`` (``None`` empties the panel); the search query is kept and rerun."""
        query = self.query
        self._clear()
        self.transcript = transcript
        if transcript is not None:
            self._lay_out(transcript)
        self._changed("transcript", "current", "selection")
        self.search(query, force=True)

    def _lay_out(self, transcript: Transcript) -> None:
        parts: list[str] = []
        pos = 0  # in code points while building; converted to UTF-16 at the end if needed
        words: list[tuple[str, float, float, int, int]] = []
        lines: list[tuple[int, int, int, float, str]] = []
        for seg in transcript.segments:
            spoken = [(w.word, float(w.start), float(w.end)) for w in seg.words]
            if not spoken and seg.text.strip():
                spoken = [(seg.text, float(seg.start), float(seg.end))]  # no word times: one piece
            if not spoken:
                continue
            if parts:
                parts.append("\n")
                pos += 1
            line_first = pos
            stamp = clock(float(seg.start))
            parts.append(stamp + STAMP_GAP)
            pos += len(stamp) + len(STAMP_GAP)
            stamp_end = line_first + len(stamp)
            for i, (raw, start, end) in enumerate(spoken):
                raw = " ".join(raw.splitlines())  # a line break inside a word would shift every offset
                if i == 0:
                    raw = raw.lstrip()
                text = raw.strip()
                first = pos + len(raw) - len(raw.lstrip())
                words.append((text, start, end, first, first + len(text)))
                parts.append(raw)
                pos += len(raw)
            lines.append((line_first, stamp_end, pos, float(seg.start), stamp))
        self.text = "".join(parts)
        if any(ord(c) > 0xFFFF for c in self.text):
            self._astral, n = [], 0
            for c in self.text:
                self._astral.append(n)
                n += 2 if ord(c) > 0xFFFF else 1
            self._astral.append(n)
        q = self.q
        self._code_spans = [(a, b) for _, _, _, a, b in words]
        self.words = [WordSpot(i, t, s, e, q(a), q(b)) for i, (t, s, e, a, b) in enumerate(words)]
        self.lines = [Line(q(a), q(b), q(c), t, stamp) for a, b, c, t, stamp in lines]
        self._starts = [w.start for w in self.words]
        self._firsts = [w.first for w in self.words]
        self._line_firsts = [ln.first for ln in self.lines]

    def q(self, offset: int) -> int:
        """A code point offset into ``text`` as a UTF-16 offset (what Qt's documents count)."""
        return offset if self._astral is None else self._astral[offset]

    @property
    def plain_words(self) -> list[str]:
        return [w.text for w in self.words]

    # -- lookups ------------------------------------------------------------------------------------

    def word_at_time(self, t: float) -> int | None:
        """The index of the word being spoken at ``t`` seconds (its span holds ``t``), or None."""
        i = bisect.bisect_right(self._starts, t) - 1
        if i >= 0 and t < self.words[i].end:
            return i
        # a zero-length word (start == end) has no inside; nothing is spoken then
        return None

    def word_at_char(self, offset: int) -> int | None:
        """The word at (or, between words, just before) character ``offset``; past a line's end, its last.

        A position in a line's start-time stamp gives that line's first word.
        """
        if not self.words:
            return None
        i = bisect.bisect_right(self._firsts, offset) - 1
        if i < 0:
            return 0
        line = self._line_of(offset)
        if line is not None and offset < line.stamp_end + len(STAMP_GAP):
            # in the stamp: this line's first word
            j = bisect.bisect_left(self._firsts, line.stamp_end)
            return min(j, len(self.words) - 1)
        return i

    def _line_of(self, offset: int) -> Line | None:
        i = bisect.bisect_right(self._line_firsts, offset) - 1
        return self.lines[i] if i >= 0 else None

    # -- playback -----------------------------------------------------------------------------------

    def set_position(self, t: float) -> bool:
        """The player is at ``t``: the current word becomes the one spoken then. True if it changed."""
        current = self.word_at_time(float(t))
        if current == self.current:
            return False
        self.current = current
        self._changed("current")
        return True

    # -- search -------------------------------------------------------------------------------------

    def search(self, query: str, *, force: bool = False) -> int:
        """Find ``query`` (case-insensitive) in the words, not the time stamps; return the match count.

        The first match at or after the current word becomes the current match.
        """
        if query == self.query and not force:
            return len(self.matches)
        self.query = query
        self.matches = []
        if query.strip():
            pattern = re.compile(re.escape(query), re.IGNORECASE)
            starts = self._line_text_starts()
            for first, end in starts:
                for m in pattern.finditer(self.text, first, end):
                    if m.end() > m.start():
                        self.matches.append((self.q(m.start()), self.q(m.end())))
        self.match_index = None
        if self.matches:
            here = self.words[self.current].first if self.current is not None else 0
            self.match_index = next((i for i, (a, _) in enumerate(self.matches) if a >= here), 0)
        self._changed("matches")
        return len(self.matches)

    def _line_text_starts(self) -> list[tuple[int, int]]:
        """Each line's words as code point ranges of ``text``."""
        if self._astral is None:
            return [(ln.stamp_end + len(STAMP_GAP), ln.last) for ln in self.lines]
        back = {u: i for i, u in enumerate(self._astral)}
        return [(back[ln.stamp_end] + len(STAMP_GAP), back[ln.last]) for ln in self.lines]

    def step_match(self, step: int) -> int | None:
        """Make the next (``step`` 1) or previous (-1) match current, wrapping; return its index."""
        if not self.matches:
            return None
        i = -1 if self.match_index is None and step > 0 else (self.match_index or 0)
        self.match_index = (i + step) % len(self.matches)
        self._changed("matches")
        return self.match_index

    @property
    def current_match(self) -> tuple[int, int] | None:
        return None if self.match_index is None else self.matches[self.match_index]

    def match_word(self) -> int | None:
        """The word where the current match begins."""
        m = self.current_match
        return None if m is None else self.word_at_char(m[0])

    def match_count_text(self) -> str:
        if not self.query.strip():
            return ""
        if not self.matches:
            return "No matches"
        return f"{(self.match_index or 0) + 1} of {len(self.matches)}"

    # -- selection ----------------------------------------------------------------------------------

    def select(self, anchor: int | None, focus: int | None = None) -> None:
        """Select the words from ``anchor`` to ``focus`` (either order; one word if no focus)."""
        if anchor is not None and not 0 <= anchor < len(self.words):
            raise IndexError(f"no word {anchor}")
        focus = anchor if focus is None else focus
        if focus is not None and not 0 <= focus < len(self.words):
            raise IndexError(f"no word {focus}")
        if (anchor, focus) != (self.anchor, self.focus):
            self.anchor, self.focus = anchor, focus
            self._changed("selection")

    def extend(self, focus: int) -> None:
        """Shift-click or drag: from the anchor (or this word, if none) to ``focus``."""
        self.select(focus if self.anchor is None else self.anchor, focus)

    def clear_selection(self) -> None:
        self.select(None)

    @property
    def selection(self) -> tuple[int, int] | None:
        """(first, last) word indexes of the selection, inclusive, or None."""
        if self.anchor is None or self.focus is None:
            return None
        return min(self.anchor, self.focus), max(self.anchor, self.focus)

    @property
    def selection_span(self) -> tuple[float, float] | None:
        """The selection's time span: its first word's start to its last word's end."""
        sel = self.selection
        if sel is None:
            return None
        return self.words[sel[0]].start, self.words[sel[1]].end

    def selection_ranges(self) -> list[tuple[int, int]]:
        """The selected words' characters, one range per line (the time stamps left out)."""
        sel = self.selection
        if sel is None:
            return []
        first, last = self.words[sel[0]].first, self.words[sel[1]].last
        ranges = []
        for ln in self.lines[max(0, bisect.bisect_right(self._line_firsts, first) - 1):]:
            if ln.first > last:
                break
            a, b = max(first, ln.stamp_end + len(STAMP_GAP)), min(last, ln.last)
            if a < b:
                ranges.append((a, b))
        return ranges

    def selected_text(self) -> str:
        """The selected words as they read in the panel (line breaks between segments)."""
        sel = self.selection
        if sel is None:
            return ""
        pieces = []
        for i in range(sel[0], sel[1] + 1):
            a, b = self._code_spans[i]
            pieces.append(self.text[a:b])
            if i < sel[1]:
                between = self.text[b:self._code_spans[i + 1][0]]
                pieces.append("\n" if "\n" in between else between)  # not the next line's stamp
        return "".join(pieces)

    def selection_text(self) -> str:
        sel = self.selection
        if sel is None:
            return ""
        n = sel[1] - sel[0] + 1
        start, end = self.selection_span
        return f"{n} word{'s' if n != 1 else ''} · {span_text(start, end)}"
