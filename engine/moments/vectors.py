"""Sentence vectors, cached by what they are of: the model and the sentences' text.

Embedding is most of a first analysis (a 1-hour talk is ~9,000 words: several seconds on two
cores); the vectors are kept in ``<cache>/moments/`` as float16 .npy files (~0.5 MB an hour), so
every later analysis of the same transcript, with any query or none, reads them back. Fresh
vectors go through float16 too, so a first run and a later one rank the same.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_output
from ..progress import Progress

CHUNK = 128  # sentences embedded between two progress steps (and two looks for a cancel)
ENTRY_VERSION = 1
FOUND = "sentence vectors found in the cache"  # the one step of a cache hit


def cache_file(folder: str | os.PathLike, model_id: str, texts: list[str]) -> Path:
    h = hashlib.sha256(f"v{ENTRY_VERSION}\0{model_id}\0".encode())
    for t in texts:
        h.update(t.encode())
        h.update(b"\0")
    return Path(folder) / "moments" / f"vectors-{h.hexdigest()[:40]}.npy"


def sentence_vectors(texts: list[str], embedder, cache_dir: str | os.PathLike | None = None):
    """Yield Progress("reading", done, total); return float32 (len(texts), DIM) unit vectors."""
    path = cache_file(cache_dir, embedder.model_id, texts) if cache_dir is not None else None
    if path is not None:
        hit = _read(path, len(texts))
        if hit is not None:
            yield Progress("reading", len(texts), len(texts), FOUND)
            return hit
    total = len(texts)
    parts = []
    yield Progress("reading", 0, total, "reading the transcript")
    for s in range(0, total, CHUNK):
        parts.append(embedder.embed(texts[s:s + CHUNK]))
        yield Progress("reading", min(total, s + CHUNK), total, "reading the transcript")
    half = np.concatenate(parts).astype(np.float16) if parts else np.zeros((0, 384), np.float16)
    if path is not None:
        try:
            with atomic_output(path) as tmp, open(tmp, "wb") as f:
                np.save(f, half, allow_pickle=False)
        except OSError:
            pass  # a full or read-only cache costs the next analysis time, not this one
    return half.astype(np.float32)


def _read(path: Path, n: int) -> np.ndarray | None:
    try:
        v = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if v.ndim != 2 or v.shape[0] != n:
        return None
    return v.astype(np.float32)
