"""Scores of candidate moments, their calibrated confidence, and the choice of the best that do not
overlap (pure).

With a query, a candidate's relevance is the cosine between the query's vector and the mean of its
sentences' vectors (weighted by their words); its confidence a logistic of that cosine, calibrated
on paraphrase queries (research in the Moments issue): true matches score 0.25-0.60, text about
something else up to ~0.26 (p99 0.15), so a cosine of 0.30 is an even chance. Candidates much less
relevant than the best, or below FLOOR, are never offered: a list is not padded to reach a count.

Without a query, a candidate's score mixes highlight cues, each 0-1: speech density, hook cues
(a question and its answer, numbers, exclamations, names), loudness against the surroundings, being
a topic of its own (starting and ending at topic boundaries, none inside), starting on a sentence
that stands alone, and a length near the middle of the asked range. Spans that are mostly not
speech (music, tone, silence) are never candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRONG, POSSIBLE, FLOOR = 0.35, 0.25, 0.18  # cosine: a match, a possible one, the least offered
EVEN, SPREAD = 0.30, 0.05  # confidence = logistic((cosine - EVEN) / SPREAD)
RELATIVE = 0.20  # offered only within this cosine of the best match
MIN_COVERAGE = 0.5  # share of a span that must be words
HIGHLIGHT_FLOOR = 0.30

WEIGHTS = {"density": 0.25, "hook": 0.20, "loud": 0.15, "topic": 0.25, "standalone": 0.10, "length": 0.05}
INSIDE_PENALTY, TIE_BREAK = 0.10, 0.03
LOUD_FULL_DB = 6.0  # speech this much louder than around it scores 1


def query_confidence(cosine):
    """Calibrated 0-1 confidence of a query match from its cosine (0.5 at EVEN)."""
    return 1.0 / (1.0 + np.exp(-(np.asarray(cosine, float) - EVEN) / SPREAD))


@dataclass(frozen=True, slots=True, eq=False)
class Features:
    """Per candidate, 0-1 each (``answered``, ``numbers``, ... are counts, for the reasons)."""

    coverage: np.ndarray
    density: np.ndarray
    hook: np.ndarray
    loud: np.ndarray
    loud_db: np.ndarray
    topic: np.ndarray
    inside: np.ndarray  # the strongest topic boundary inside the span
    standalone: np.ndarray
    length: np.ndarray
    answered: np.ndarray
    numbers: np.ndarray
    exclaims: np.ndarray
    names: np.ndarray


def density_score(coverage):
    return np.clip((np.asarray(coverage, float) - 0.35) / 0.45, 0.0, 1.0)


def loud_score(contrast_db):
    return np.clip(np.asarray(contrast_db, float) / LOUD_FULL_DB, 0.0, 1.0)


def topic_score(at_start, at_end, inside):
    """Starts and ends at topic boundaries (strength 0-1 each), and crosses none."""
    return (0.5 * (np.asarray(at_start, float) + np.asarray(at_end, float))) * (1.0 - np.asarray(inside, float))


def length_score(duration, low: float, high: float):
    """1 at the geometric middle of [low, high], falling off towards its ends."""
    mid = np.sqrt(low * high)
    return np.exp(-(np.log(np.maximum(np.asarray(duration, float), 1e-3) / mid) ** 2) / 0.5)


def highlight_score(f: Features) -> np.ndarray:
    score = sum(w * getattr(f, name) for name, w in WEIGHTS.items())
    return np.where(f.coverage >= MIN_COVERAGE, score, 0.0)


def query_score(cosine: np.ndarray, f: Features) -> np.ndarray:
    """Relevance first; a span that runs across a topic boundary (or music, or a long pause) gives
    way to the one that keeps to its topic, and highlight cues break near-ties."""
    return np.asarray(cosine, float) - INSIDE_PENALTY * f.inside + TIE_BREAK * highlight_score(f)


def query_eligible(cosine: np.ndarray, coverage: np.ndarray) -> np.ndarray:
    cosine = np.asarray(cosine, float)
    ok = coverage >= MIN_COVERAGE
    if not ok.any():
        return ok
    best = cosine[ok].max()
    return ok & (cosine >= max(FLOOR, best - RELATIVE))


def select(score: np.ndarray, first: np.ndarray, last: np.ndarray, eligible: np.ndarray, count: int) -> list[int]:
    """The best-scoring eligible candidates, best first, no two sharing a sentence, at most ``count``."""
    live = np.array(eligible, bool)
    score = np.asarray(score, float)
    chosen: list[int] = []
    while len(chosen) < count and live.any():
        k = int(np.flatnonzero(live)[np.argmax(score[live])])
        chosen.append(k)
        live &= ~((first <= last[k]) & (last >= first[k]))
    return chosen


def reasons(f: Features, k: int, cosine: float | None = None) -> tuple[str, ...]:
    """Why candidate ``k`` was chosen, in words, strongest first."""
    out = []
    if cosine is not None:
        out.append("matches the query" if cosine >= POSSIBLE else "may match the query")
    if f.answered[k]:
        out.append("a question and its answer")
    if f.loud_db[k] >= 3.0:
        out.append("louder than the surroundings")
    if f.exclaims[k]:
        out.append("an exclamation")
    if f.numbers[k]:
        out.append("numbers" if f.numbers[k] > 1 else "a number")
    if f.names[k]:
        out.append("names" if f.names[k] > 1 else "a name")
    if f.topic[k] >= 0.6:
        out.append("a topic of its own")
    if f.density[k] >= 0.8:
        out.append("dense speech")
    if f.standalone[k] >= 1.0:
        out.append("whole sentences")
    return tuple(out)
