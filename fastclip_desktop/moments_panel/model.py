"""The Moments panel's state, free of Qt: the open source, the moments found for a query, what a
search is doing, which moment is chosen, and the texts a row shows.

A search is one analysis of the open import (``file_id``) for a query (None or blank: general
highlights). What it found is kept per source and query for this run (``remember``/``recall``);
the library keeps it for later runs (``engine.cached_moments``), and the panel asks the library
when this run has not seen it. ``spans_to_add`` says which moments "Add all" puts into the
editor's segments: those that overlap none already there. ``play``/``reached`` follow the playback
of one moment, so it stops at its end.

The model tells its listeners the set of fields that changed: "source", "moments", "selection",
"search" (state, progress or status text).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine import Moment, clock_text

from ..observable import Observable

IDLE, RUNNING, DONE, FAILED = "idle", "running", "done", "failed"
LABEL_CHARS = 48  # a segment made from a moment is labelled with the start of its excerpt
PLAY_SLACK = 0.75  # s: a position this far outside the moment being played means the user went elsewhere


def query_key(query: str | None) -> str | None:
    """A query as the analysis compares it: spaces collapsed, lower-case; None when blank."""
    text = " ".join(str(query or "").split()).lower()
    return text or None


def confidence_text(confidence: float) -> str:
    return f"{round(confidence * 100)}%"


def length_text(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else clock_text(seconds, 0)


def segment_label(moment: Moment) -> str:
    """A short label for the segment made from ``moment``: the start of its excerpt, cut at a word."""
    text = " ".join(moment.excerpt.replace("…", " ").split())
    if len(text) <= LABEL_CHARS:
        return text
    cut = text[:LABEL_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"


@dataclass(frozen=True, slots=True)
class MomentRow:
    """What one row of the list says (rank 1 is the best)."""

    rank: int
    start: float
    end: float
    time: str  # "0:04.7 – 0:23.1"
    length: str  # "18.4 s"
    confidence: str  # "93%"
    level: str  # "high", "medium", "low": how the confidence is coloured
    excerpt: str
    reasons: str  # "matches the query · numbers · dense speech"

    @property
    def header(self) -> str:
        return f"{self.rank}   {self.time}   {self.length}"

    def text(self) -> str:
        """The whole row as plain text (its tooltip and accessible text)."""
        return f"{self.header}   {self.confidence}\n{self.excerpt}\n{self.reasons}"


def row_of(rank: int, m: Moment) -> MomentRow:
    start, end, c = float(m.start), float(m.end), float(m.confidence)
    level = "high" if c >= 0.75 else "medium" if c >= 0.5 else "low"
    return MomentRow(rank, start, end, f"{clock_text(start, 1)} – {clock_text(end, 1)}", length_text(end - start),
                     confidence_text(c), level, m.excerpt, " · ".join(m.reasons))


def overlaps(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class MomentsModel(Observable):
    def __init__(self) -> None:
        Observable.__init__(self)
        self.path: str | None = None
        self.file_id: str | None = None
        self.moments: list[Moment] | None = None  # None: nothing searched yet for this source
        self.query: str | None = None  # the query the moments are for (None: highlights)
        self.selected: int | None = None
        self.state = IDLE
        self.progress = 0.0
        self.status = ""
        self.error = False
        self._found: dict[tuple[str, str | None], list[Moment]] = {}
        self._last_query: dict[str, str | None] = {}
        self._playing: tuple[float, float] | None = None
        self._entered = False  # playback has reached the moment being played

    # -- the source ---------------------------------------------------------------------------------

    def set_source(self, path: str | None, file_id: str | None = None) -> None:
        """Another file (or its import became ready: ``file_id``); what was shown goes away."""
        self.path, self.file_id = path, file_id
        self.moments, self.query, self.selected, self._playing = None, None, None, None
        self.state, self.progress, self.error = IDLE, 0.0, False
        self.status = "" if path is None else (
            "Type what to look for, or leave it empty for highlights, and press Find." if file_id
            else "Waiting for the file to be imported…")
        self._changed("source", "moments", "selection", "search")

    def last_query(self) -> str | None:
        """The query last searched for in the open source in this run ("" when none was)."""
        return self._last_query.get(self.file_id or "", "")

    # -- what was found -----------------------------------------------------------------------------

    def remember(self, file_id: str, query: str | None, moments: Iterable[Moment]) -> None:
        self._found[(file_id, query_key(query))] = list(moments)
        self._last_query[file_id] = query or None

    def recall(self, file_id: str, query: str | None) -> list[Moment] | None:
        return self._found.get((file_id, query_key(query)))

    def show(self, query: str | None, moments: list[Moment], note: str = "") -> None:
        """The moments found for ``query`` in the open source (best first)."""
        if self.file_id:
            self.remember(self.file_id, query, moments)
        self.moments, self.query = list(moments), query or None
        self.selected, self._playing = None, None
        self.state, self.progress, self.error = DONE, 1.0, False
        self.status = self.summary() + (f" · {note}" if note else "")
        self._changed("moments", "selection", "search")

    def summary(self) -> str:
        n = len(self.moments or ())
        what = f"for “{self.query}”" if self.query else "highlights"
        if not n:
            return (f"No passage matches “{self.query}” well enough." if self.query
                    else "No highlights found: is there speech in this file?")
        return f"{n} moment{'s' if n != 1 else ''} · {what}"

    def rows(self) -> list[MomentRow]:
        return [row_of(k, m) for k, m in enumerate(self.moments or (), start=1)]

    def spans(self) -> list[tuple[float, float]]:
        return [(float(m.start), float(m.end)) for m in self.moments or ()]

    # -- a search under way -------------------------------------------------------------------------

    def searching(self, query: str | None) -> None:
        self.moments, self.query, self.selected, self._playing = None, query or None, None, None
        self.state, self.progress, self.error = RUNNING, 0.0, False
        self.status = "Queued…"
        self._changed("moments", "selection", "search")

    def progressed(self, fraction: float, message: str) -> None:
        if self.state == RUNNING:
            self.progress, self.status = max(self.progress, min(1.0, fraction)), message or self.status
            self._changed("search")

    def failed(self, message: str) -> None:
        self.state, self.progress, self.error = FAILED, 0.0, True
        self.status = message
        self._changed("search")

    def stopped(self, message: str = "Search cancelled.") -> None:
        self.state, self.progress, self.error, self.status = IDLE, 0.0, False, message
        self._changed("search")

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    # -- choosing, playing, adding ------------------------------------------------------------------

    def select(self, index: int | None) -> None:
        if index is not None and not 0 <= index < len(self.moments or ()):
            raise IndexError(f"no moment {index}")
        if index != self.selected:
            self.selected = index
            self._changed("selection")

    def moment(self, index: int) -> Moment:
        return (self.moments or [])[index]

    def play(self, index: int) -> tuple[float, float]:
        """Choose moment ``index`` to play: its span, which ``reached`` then follows."""
        self.select(index)
        m = self.moment(index)
        self._playing = (float(m.start), float(m.end))
        self._entered = False
        return self._playing

    def reached(self, position: float) -> bool:
        """The player is at ``position``: True once, when the moment being played is over (pause
        now). Until playback is inside the moment (the seek to its start may still be under way),
        a position elsewhere is not the user's doing."""
        if self._playing is None:
            return False
        start, end = self._playing
        inside = start - PLAY_SLACK <= position < end
        if not self._entered:
            self._entered = inside
            return False
        if position >= end:
            self._playing = None
            return position < end + PLAY_SLACK  # a jump past it is the user's, not the end of the moment
        if not inside:
            self._playing = None  # the user went elsewhere
        return False

    def spans_to_add(self, segments: Iterable[tuple[float, float]]) -> list[tuple[float, float, str]]:
        """(start, end, label) of the moments that overlap none of ``segments`` (the editor's),
        in timeline order: "Add all" never doubles a moment already added."""
        taken = [(float(a), float(b)) for a, b in segments]
        out = []
        for m in sorted(self.moments or (), key=lambda m: m.start):
            span = (float(m.start), float(m.end))
            if not any(overlaps(span, s) for s in taken):
                out.append((*span, segment_label(m)))
        return out
