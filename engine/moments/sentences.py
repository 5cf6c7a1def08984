"""A transcript as sentences: the units moments are made of, cut where a sentence ends (pure).

Whisper's segments are roughly sentences, but one may hold two, or stop mid-sentence. Here the
words are walked across segments and a sentence ends at a word ending in ``.``, ``!``, ``?`` or
``…``, at a pause of PAUSE_BREAK or more, or, for a run-on, at MAX_WORDS (at its last comma when
there is one). A segment without word times (a transcript made elsewhere) is split at its
punctuation, with times shared out by length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAUSE_BREAK = 1.0  # seconds of silence that end a sentence, punctuated or not
MAX_WORDS = 60
_TERMINAL = re.compile(r"[.!?…][\"'”’)\]]*$")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence on the source's timeline (float seconds: this is the arithmetic side)."""

    start: float
    end: float
    text: str
    words: int
    speech: float  # seconds its words themselves last (what speech density counts)

    @property
    def terminal(self) -> bool:
        """Whether it ends as a sentence does (punctuation), not cut by a pause or its length."""
        return bool(_TERMINAL.search(self.text))


def split_sentences(transcript) -> list[Sentence]:
    """The sentences of an ``engine.transcript.Transcript``, in order."""
    words: list[tuple[str, float, float]] = []
    for seg in transcript.segments:
        if seg.words:
            words += [(w.word, float(w.start), float(w.end)) for w in seg.words if w.word.strip()]
        elif seg.text.strip():
            words += _pseudo_words(seg.text, float(seg.start), float(seg.end))
    return sentences_of(words)


def sentences_of(words: list[tuple[str, float, float]]) -> list[Sentence]:
    """Sentences from (text, start, end) words; a word's text keeps its leading space, as Whisper's."""
    out: list[Sentence] = []
    run: list[tuple[str, float, float]] = []
    for k, word in enumerate(words):
        run.append(word)
        nxt = words[k + 1] if k + 1 < len(words) else None
        if nxt is None or _TERMINAL.search(word[0].strip()) or nxt[1] - word[2] >= PAUSE_BREAK:
            out.append(_sentence(run))
            run = []
        elif len(run) >= MAX_WORDS:
            cut = _last_comma(run)
            out.append(_sentence(run[:cut]))
            run = run[cut:]
    return out


def _last_comma(run) -> int:
    """Where to cut a run-on: after its last comma in the second half, else at its end."""
    for i in range(len(run) - 1, len(run) // 2, -1):
        if run[i - 1][0].rstrip().endswith((",", ";", ":")):
            return i
    return len(run)


def _sentence(run) -> Sentence:
    text = "".join(w for w, _, _ in run).strip()
    text = " ".join(text.split())
    speech = sum(max(0.0, e - s) for _, s, e in run)
    return Sentence(run[0][1], max(run[0][1], run[-1][2]), text, len(run), speech)


def _pseudo_words(text: str, start: float, end: float) -> list[tuple[str, float, float]]:
    """A segment without word times as words, each given a share of its span by its length."""
    tokens = text.split()
    total = sum(len(t) + 1 for t in tokens)
    out, t = [], start
    for tok in tokens:
        d = (end - start) * (len(tok) + 1) / total
        out.append((" " + tok, t, t + d))
        t += d
    return out
