"""The transcript of a clip: the source's transcript cut to the clip's windows (pure).

A clip is made of windows of the source (``engine.timeline.Window``), each
placed at its ``offset`` on the clip's timeline. Its transcript is the
source's, cut the same way: no second transcription.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from ..timeline import Window
from .document import Segment, Transcript, Word


def cut_transcript(transcript: Transcript, windows: Iterable[Window]) -> Transcript:
    """``transcript`` cut to ``windows`` and shifted onto the clip's timeline.

    * A word is kept when its middle lies inside a window (a word cut through
      the middle goes with the window that holds most of it); its times are
      clamped to the window and shifted by ``window.offset - window.start``.
    * A segment is trimmed to each window it overlaps and keeps the words kept
      there; its text is rebuilt from those words. A segment that had words but
      keeps none is dropped. A segment without word timings is kept whole-text
      when it overlaps the window by more than an instant.
    * The result's duration is the end of the last window on the clip's timeline.
    """
    windows = [Window(Fraction(w.start), Fraction(w.end), Fraction(w.offset)) for w in windows]
    out: list[Segment] = []
    for w in windows:
        if w.end <= w.start:
            continue
        for seg in transcript.segments:
            piece = _cut_segment(seg, w)
            if piece is not None:
                out.append(piece)
    out.sort(key=lambda s: (s.start, s.end))
    duration = max((w.offset + w.duration for w in windows if w.end > w.start), default=Fraction(0))
    return Transcript(tuple(out), duration, transcript.language)


def _cut_segment(seg: Segment, w: Window) -> Segment | None:
    start, end = max(seg.start, w.start), min(seg.end, w.end)
    if not seg.words:
        if end <= start:
            return None
        return Segment(w.to_output(start), w.to_output(end), seg.text, ())
    kept = [_clamp(word, w) for word in seg.words if _inside(word, w)]
    if not kept:
        return None
    # words lie inside their segment, so this only matters for hand-made transcripts
    start, end = min(start, kept[0].start), max(end, kept[-1].end)
    return Segment(
        w.to_output(start),
        w.to_output(end),
        "".join(word.word for word in kept).strip(),
        tuple(Word(k.word, w.to_output(k.start), w.to_output(k.end), k.probability) for k in kept),
    )


def _inside(word: Word, w: Window) -> bool:
    return w.start <= (word.start + word.end) / 2 < w.end


def _clamp(word: Word, w: Window) -> Word:
    s = min(max(word.start, w.start), w.end)
    e = min(max(word.end, s), w.end)
    return Word(word.word, s, e, word.probability)
