"""Analyze a source: its moments, as a generator of Progress whose return value is the list.

    moments = yield from analyze("talk.mp4", "customers leaving", cache_dir=home / "cache")

Steps (each a Progress stage): the transcript (``cached``, or ``decoding``/``loading``/
``transcribing`` when it is made here first, into the transcript cache), ``reading`` (sentence
vectors, cached), ``listening`` (the audio's level, from the cached waveform peaks: read on a helper
thread while the sentences are embedded, so this stage is what is left of it), ``ranking``.
:func:`overall_fraction` puts them on one bar. :func:`find_moments` is the ranking itself, pure
given its inputs.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import numpy as np

from ..progress import Progress
from ..timeline import clock_text
from ..transcript import overall_fraction as transcript_fraction
from ..transcript import progress_message as transcript_message
from ..transcript import transcribe
from ..transcript.document import ms
from . import ranking
from .cues import hook_points, hook_score, sentence_cues
from .embedder import get_embedder
from .loudness import Listening, Loudness, active_speech, contrast
from .moment import Moment
from .request import MomentOptions, moment_options
from .sentences import Sentence, split_sentences
from .snapping import part_touching, snap_span
from .topics import boundary_strength
from .vectors import sentence_vectors
from .windows import Windows, candidate_windows, prefix, range_max, span_sum

EXCERPT_CHARS = 160
_STAGES = {"reading": (0.70, 0.95), "listening": (0.95, 0.98), "ranking": (0.98, 1.0)}
TRANSCRIPT_SHARE = 0.70


def overall_fraction(p: Progress) -> float:
    """The whole analysis's share done (0..1) at step ``p``, one bar for every stage."""
    if p.stage in _STAGES:
        low, high = _STAGES[p.stage]
        return low + (high - low) * p.fraction
    return TRANSCRIPT_SHARE * transcript_fraction(p)


def progress_message(p: Progress) -> str:
    if p.stage == "listening":
        return f"Listening to the audio… {int(p.fraction * 100)}%"
    if p.stage == "reading":
        if p.message.endswith("cache"):
            return "Sentence vectors found in the cache"
        return f"Reading the transcript… {int(p.done)} of {int(p.total)} sentences"
    if p.stage == "ranking":
        return "Ranking moments"
    return transcript_message(p)


def analyze(source: str | os.PathLike, query: str | None = None, *, count: int | None = None,
            min_duration=None, max_duration=None, cache_dir: str | os.PathLike | None = None,
            model_path: str | os.PathLike | None = None, language: str | None = None,
            embedder=None) -> Generator[Progress, None, list[Moment]]:
    """The moments of ``source``: with ``query``, the passages that mean it; without, highlights.

    ``cache_dir`` is the app's cache folder (transcripts, waveforms, sentence vectors; None: no
    cache); ``model_path``/``language`` are the speech model's (engine.transcript); ``embedder`` an
    ``engine.moments.embedder.TextEmbedder`` (default: this process's built-in one). Raises
    InvalidRequest for options out of the API's limits, and what transcribing raises.
    """
    options = moment_options(query, count, min_duration, max_duration)
    transcript = yield from transcribe(source, cache_dir=cache_dir, model_path=model_path, language=language)
    sentences = split_sentences(transcript)
    if not sentences:
        return []
    listening = Listening(source, float(transcript.duration), cache_dir)
    try:
        embedder = embedder or get_embedder()
        vectors = yield from sentence_vectors([s.text for s in sentences], embedder, cache_dir)
        loud = yield from listening.wait()
    finally:
        listening.stop()
    yield Progress("ranking", 0, 1, "ranking moments")
    query_vector = embedder.embed([options.query])[0] if options.query else None
    moments = find_moments(sentences, vectors, loud, query_vector, options, float(transcript.duration))
    yield Progress("ranking", 1, 1, "ranking moments")
    return moments


def find_moments(sentences: list[Sentence], vectors: np.ndarray, loud: Loudness | None,
                 query_vector: np.ndarray | None, options: MomentOptions, duration: float) -> list[Moment]:
    """The moments among ``sentences`` (pure): candidates, scores, the best that do not overlap,
    edges snapped to silences; best first."""
    starts = np.array([s.start for s in sentences])
    ends = np.array([s.end for s in sentences])
    words = np.array([max(1, s.words) for s in sentences], float)
    w = candidate_windows(starts, ends, float(options.min_duration), float(options.max_duration))
    if not len(w):
        return []
    f = features(sentences, vectors, loud, w, float(options.min_duration), float(options.max_duration))
    cosine = None
    if query_vector is not None:
        summed = span_sum(prefix(vectors * words[:, None]), w)
        cosine = (summed @ query_vector) / np.maximum(np.linalg.norm(summed, axis=1), 1e-9)
        score = ranking.query_score(cosine, f)
        eligible = ranking.query_eligible(cosine, f.coverage)
        confidence = ranking.query_confidence(cosine)
    else:
        score = ranking.highlight_score(f)
        eligible = (f.coverage >= ranking.MIN_COVERAGE) & (score >= ranking.HIGHLIGHT_FLOOR)
        confidence = np.clip(score, 0.0, 1.0)
    chosen = ranking.select(score, w.first, w.last, eligible, options.count)
    by_time = sorted(chosen, key=lambda k: w.start[k])
    spans = []
    for k in by_time:
        i, j = int(w.first[k]), int(w.last[k])
        spans.append(snap_span(starts[i], ends[j], ends[i - 1] if i > 0 else None,
                               starts[j + 1] if j + 1 < len(sentences) else None, loud, duration=duration))
    span_of = dict(zip(by_time, part_touching(spans)))
    out = []
    for k in chosen:  # best first
        s, e = span_of[k]
        i, j = int(w.first[k]), int(w.last[k])
        anchor = i
        if query_vector is not None:
            anchor = i + int(np.argmax(vectors[i:j + 1] @ query_vector))
        out.append(Moment(ms(round(s, 3)), ms(round(e, 3)), excerpt(sentences, i, j, anchor),
                          round(float(confidence[k]), 3),
                          ranking.reasons(f, k, None if cosine is None else float(cosine[k]))))
    return out


def features(sentences: list[Sentence], vectors: np.ndarray, loud: Loudness | None, w: Windows,
             low: float, high: float) -> ranking.Features:
    """Every candidate's highlight cues (pure)."""
    starts = np.array([s.start for s in sentences])
    ends = np.array([s.end for s in sentences])
    words = np.array([max(1, s.words) for s in sentences], float)
    cues = sentence_cues([s.text for s in sentences])
    duration = np.maximum(w.duration, 1e-3)
    coverage = np.clip(span_sum(prefix([s.speech for s in sentences]), w) / duration, 0.0, 1.0)
    answered = span_sum(prefix(cues.answered), w) - cues.answered[w.last]  # its answer must be inside too
    exclaims = span_sum(prefix(cues.exclaim), w)
    numbers = span_sum(prefix(cues.numbers), w)
    names = span_sum(prefix(cues.names), w)
    strength = boundary_strength(vectors, words, starts, ends)
    inside = range_max(strength, w.first + 1, w.last)  # boundaries before sentences first+1..last
    if loud is not None and len(loud.db):
        loud_db = contrast(loud, active_speech(loud, starts, ends), w.start, w.end)
    else:
        loud_db = np.zeros(len(w))
    last_terminal = np.array([s.terminal for s in sentences])[w.last]
    standalone = 1.0 - 0.5 * cues.dangling[w.first] - 0.3 * (cues.question[w.last]) - 0.2 * ~last_terminal
    return ranking.Features(
        coverage=coverage, density=ranking.density_score(coverage),
        hook=hook_score(hook_points(answered, exclaims, numbers, names)),
        loud=ranking.loud_score(loud_db), loud_db=loud_db,
        topic=ranking.topic_score(strength[w.first], strength[w.last + 1], inside), inside=inside,
        standalone=np.clip(standalone, 0.0, 1.0), length=ranking.length_score(w.duration, low, high),
        answered=answered, numbers=numbers, exclaims=exclaims, names=names)


def excerpt(sentences: list[Sentence], first: int, last: int, anchor: int) -> str:
    """Up to EXCERPT_CHARS of the moment's words from sentence ``anchor`` on ("…" where cut)."""
    text = " ".join(s.text for s in sentences[anchor:last + 1])
    lead = "…" if anchor > first else ""
    if len(text) <= EXCERPT_CHARS:
        return lead + text
    cut = text[:EXCERPT_CHARS].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{lead}{cut}…"


def describe(m: Moment) -> str:
    """One line: when, how sure, what is said."""
    return f"{clock_text(m.start, 1)}–{clock_text(m.end, 1)}  {m.confidence:.2f}  {m.excerpt}"
