"""Transcribe a source: a generator of Progress whose return value is the Transcript.

    gen = transcribe("talk.mp4", cache_dir=home / "cache")
    for p in gen: ...                      # Progress(stage, done, total, message)
    # or: transcript = yield from transcribe(...)

Stages: ``cached`` (one event, then the cached transcript is returned without
decoding or loading the model), ``decoding``, ``loading``, ``transcribing``
(``done`` = end of the last segment heard, ``total`` = the audio's duration).
Closing the generator cancels: nothing is cached. Native code: run it in a
worker process (``engine.process.in_worker``) when the file is untrusted.

Recognition: faster-whisper on the CPU (int8), beam search 5, word timestamps,
and Silero VAD (shipped inside faster-whisper) so silence is skipped and words
after a long pause keep their real times.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from fractions import Fraction
from pathlib import Path

from ..errors import ProcessingFailed
from ..media.signature import check_signature
from ..progress import Progress
from ..timeline import clock_text
from .audio import SAMPLE_RATE, decode_audio
from .cached import BEAM_SIZE, cache_entry
from .document import Segment, Transcript, ms
from .speech_model import check_not_forked, load_model, resolve_model_path
from .words import RawWord, repair_segment

# What CTranslate2 and onnxruntime raise when recognition fails (out of memory included).
_RECOGNITION_ERRORS = (RuntimeError, ValueError, OSError, MemoryError)


# How much of one progress bar each stage of ``transcribe`` fills.
_STAGES = {"decoding": (0.0, 0.15), "loading": (0.15, 0.2), "transcribing": (0.2, 1.0), "cached": (0.0, 1.0)}


def overall_fraction(p: Progress) -> float:
    """The whole transcription's share done (0..1) at the step ``p`` (one bar for every stage)."""
    low, high = _STAGES.get(p.stage, (0.0, 1.0))
    return low + (high - low) * p.fraction


def progress_message(p: Progress) -> str:
    """What a status line says at the step ``p``."""
    if p.stage == "decoding":
        return f"Reading the audio… {int(p.fraction * 100)}%"
    if p.stage == "loading":
        return "Loading the speech model…"
    if p.stage == "transcribing":
        if p.total > 0 and p.done >= p.total:
            return "Transcribed"
        return f"Transcribing… {clock_text(p.done, 0)} of {clock_text(p.total, 0)}"
    if p.stage == "cached":
        return "Found in the transcript cache"
    return p.message or p.stage


def transcribe(
    source: str | os.PathLike,
    *,
    cache_dir: str | os.PathLike | None = None,
    model_path: str | os.PathLike | None = None,
    language: str | None = None,
    cpu_threads: int | None = None,
) -> Generator[Progress, None, Transcript]:
    """Transcribe ``source``'s audio; see the module doc.

    ``cache_dir`` is the app's cache folder (transcripts go in its
    ``transcripts/``); ``None`` disables the cache. ``model_path`` is a
    CTranslate2 Whisper model folder (default: the built-in tiny.en).
    ``language`` is a code such as ``"en"``; ``None`` lets a multilingual
    model detect it (English-only models are always ``"en"``).

    Raises NotFound / UnsupportedMedia for a missing, non-media or damaged
    source or one without audio; InvalidRequest for a bad ``model_path``;
    ProcessingFailed when recognition itself fails.
    """
    src = Path(source)
    check_signature(src)
    folder = resolve_model_path(model_path)
    cache = key = None
    if cache_dir is not None:
        cache, key = cache_entry(src, cache_dir, folder, language)
        hit = cache.get(key)
        if hit is not None:
            yield Progress("cached", 1, 1, "transcript found in the cache")
            return hit

    check_not_forked()
    audio, offset = yield from decode_audio(src)
    duration = ms(offset + Fraction(len(audio), SAMPLE_RATE))
    total = float(duration)

    yield Progress("loading", 0, 1, "loading the speech model")
    model = load_model(folder, cpu_threads)

    yield Progress("transcribing", 0, total, "finding speech")
    try:
        pieces, info = model.transcribe(
            audio,
            language=language,
            beam_size=BEAM_SIZE,
            word_timestamps=True,
            vad_filter=True,
        )
    except _RECOGNITION_ERRORS as e:
        raise ProcessingFailed(f"speech recognition failed: {e}") from None

    segments: list[Segment] = []
    floor = Fraction(0)
    try:
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except _RECOGNITION_ERRORS as e:
                raise ProcessingFailed(f"speech recognition failed: {e}") from None
            seg = _segment(piece, offset, floor, duration)
            if not seg.text:
                continue
            segments.append(seg)
            floor = seg.end
            yield Progress("transcribing", float(seg.end), total, seg.text)
    finally:
        pieces.close()  # stops faster-whisper's decoding loop when we are cancelled

    transcript = Transcript(tuple(segments), duration, info.language or language or "en")
    if cache is not None:
        try:
            cache.put(key, transcript)
        except OSError:
            pass  # a full or read-only cache costs the next run time, not this result
    yield Progress("transcribing", total, total, "done")
    return transcript


def _segment(piece, offset: Fraction, floor: Fraction, duration: Fraction) -> Segment:
    """A faster-whisper segment on the source's timeline, with repaired times."""
    shift = float(offset)
    words = [
        RawWord(w.word, _plus(w.start, shift), _plus(w.end, shift), w.probability)
        for w in (piece.words or ())
    ]
    return repair_segment(_plus(piece.start, shift), _plus(piece.end, shift), piece.text, words, floor, duration)


def _plus(t, shift: float):
    return None if t is None else float(t) + shift

