"""Where the topic changes: TextTiling over sentence vectors, and pauses (pure).

For each gap between two sentences, the vectors of the BLOCK sentences before it and after it are
compared (cosine of their sums); a gap whose similarity dips below the peaks on either side is a
boundary as deep as the dip (Hearst's depth score). A long pause (or music, which has no words)
between two sentences is a boundary too. Strength is 0-1 per gap; the two ends of the recording
are boundaries of strength 1.
"""

from __future__ import annotations

import numpy as np

BLOCK = 3  # sentences on each side of a gap
FULL_DEPTH = 0.45  # a dip this deep (in cosine) is a sure boundary
PAUSE_FROM, PAUSE_FULL = 0.6, 3.0  # seconds: a pause starts to count, and is a sure boundary


def gap_similarity(vectors: np.ndarray, weights: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """Cosine between the BLOCK sentences before and after each inner gap (len n-1; gap g is before
    sentence g+1)."""
    n = len(vectors)
    if n < 2:
        return np.zeros(0)
    p = np.vstack([np.zeros((1, vectors.shape[1])), np.cumsum(vectors * weights[:, None], axis=0)])
    g = np.arange(1, n)
    left = p[g] - p[np.maximum(g - block, 0)]
    right = p[np.minimum(g + block, n)] - p[g]
    num = (left * right).sum(axis=1)
    den = np.linalg.norm(left, axis=1) * np.linalg.norm(right, axis=1)
    return num / np.maximum(den, 1e-9)


def depth_scores(sim: np.ndarray) -> np.ndarray:
    """Hearst's depth of each gap at a valley of the similarity: how far it lies below the highest
    point reached climbing left and right while the similarity rises (0 on a slope, so a boundary
    is one gap, not the three around it). A climb from gap g that can step to g-1 ends where the
    climb from g-1 ends, so one pass each way does it."""
    n = len(sim)
    left, right = np.array(sim, float), np.array(sim, float)
    for g in range(1, n):
        if sim[g - 1] >= sim[g]:
            left[g] = left[g - 1]
    for g in range(n - 2, -1, -1):
        if sim[g + 1] >= sim[g]:
            right[g] = right[g + 1]
    valley = np.ones(n, bool)
    valley[1:] &= sim[1:] <= sim[:-1]
    valley[:-1] &= sim[:-1] <= sim[1:]
    return np.where(valley, (left - sim) + (right - sim), 0.0)


def boundary_strength(vectors: np.ndarray, weights: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Strength 0-1 of the boundary before each sentence and after the last (len n+1)."""
    n = len(starts)
    out = np.ones(n + 1)
    if n < 2:
        return out
    text = np.clip(depth_scores(gap_similarity(vectors, weights)) / FULL_DEPTH, 0.0, 1.0)
    pause = np.clip((starts[1:] - ends[:-1] - PAUSE_FROM) / (PAUSE_FULL - PAUSE_FROM), 0.0, 1.0)
    out[1:n] = 1.0 - (1.0 - text) * (1.0 - pause)
    return out
