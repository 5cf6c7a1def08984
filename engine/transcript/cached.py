"""A source's transcript as the cache holds it: look it up or forget it, without decoding the
source or loading the model (so a front end can show a transcript as soon as its file opens, and
not import numpy, PyAV or faster-whisper to do so).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..media.signature import check_signature
from .cache import TranscriptCache
from .document import Transcript
from .speech_model import model_fingerprint, resolve_model_path

BEAM_SIZE = 5
# Bump when anything in transcription.py changes what a transcript of the same audio would be.
OPTIONS = f"faster-whisper;int8;beam={BEAM_SIZE};vad=silero;words;repair-v1"


def cached_transcript(
    source: str | os.PathLike,
    *,
    cache_dir: str | os.PathLike,
    model_path: str | os.PathLike | None = None,
    language: str | None = None,
) -> Transcript | None:
    """The transcript ``transcribe`` would return from its cache for ``source``, or None: it only
    reads the cache (about 1 MiB of the source is read to know it), never decodes nor loads a model.
    For a front end that shows a transcript as soon as its file opens. Raises NotFound /
    UnsupportedMedia as ``transcribe`` does for a missing or non-media source."""
    src = Path(source)
    check_signature(src)
    cache, key = cache_entry(src, cache_dir, resolve_model_path(model_path), language)
    return cache.get(key)


def forget_transcript(source: str | os.PathLike, *, cache_dir: str | os.PathLike,
                      model_path: str | os.PathLike | None = None, language: str | None = None) -> None:
    """Drop ``source``'s cached transcript, so the next ``transcribe`` listens again."""
    src = Path(source)
    check_signature(src)
    cache, key = cache_entry(src, cache_dir, resolve_model_path(model_path), language)
    cache.path(key).unlink(missing_ok=True)


def cache_entry(src: Path, cache_dir, model_folder: Path, language: str | None) -> tuple[TranscriptCache, str]:
    """The cache folder and the key of ``src``'s transcript by that model, options and language."""
    cache = TranscriptCache(cache_dir)
    return cache, cache.key(src, model_fingerprint(model_folder), OPTIONS, language or "")
