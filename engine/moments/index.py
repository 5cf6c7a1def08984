"""The Moments index of a transcript: made when the transcript is made, read by every analysis.

    summary = yield from index_transcript(transcript, cache_dir, source="talk.mp4")

A transcript job ends with this stage (``engine.jobs.tasks.run_transcript``), as a search tool
builds its index at ingest, so that a cached transcript means a first analysis has nothing slow
left to do. It puts two things in the cache, under the keys an analysis looks up:

- the sentence vectors: the transcript's sentences (:func:`~engine.moments.sentences.split_sentences`)
  embedded (:func:`~engine.moments.vectors.sentence_vectors`): ~12-35 s for an hour on two cores,
  most of a first analysis without this index;
- the audio's level (:class:`~engine.moments.loudness.Listening`: the waveform peaks, one decode of
  the audio), read on a helper thread while the sentences are embedded, as an analysis does. With
  the vectors cached and not the level, that decode would be most of an analysis (seconds an hour).

What the cache holds already is read, not made again (milliseconds). Either part may fail (the
embedding model missing or broken, an audio stream that does not decode) without the other, and
neither raises: the summary says what was skipped and why, and an analysis makes it later. Only a
cancel (raised by whoever drives this generator) stops it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator

from ..errors import Cancelled, FastClipError
from ..progress import Progress
from .embedder import get_embedder
from .loudness import Listening
from .sentences import split_sentences
from .vectors import FOUND, sentence_vectors

SENTENCES_SHARE = 0.9  # of the stage's bar: the sentences; the rest, what is left of the audio's level


def index_transcript(transcript, cache_dir: str | os.PathLike, *, source: str | os.PathLike | None = None,
                     embedder=None) -> Generator[Progress, None, dict]:
    """Put ``transcript``'s sentence vectors (and, given its ``source``, the audio's level) in the
    cache folder ``cache_dir``; yield Progress("indexing" for the sentences, "listening" for what
    is left of the audio); return a summary (plain data, for a job's result): ``sentences``,
    ``embedded`` (0 when the cache had them), ``seconds``, ``load_seconds`` (the model's load, when
    it loaded here), ``audio_level`` (whether it is in the cache now), and ``skipped``: why a part
    was not made, when one was not.

    ``embedder``: an ``engine.moments.embedder.TextEmbedder`` (default: this process's built-in one,
    loaded only when there is something to embed).
    """
    started = time.perf_counter()
    texts = [s.text for s in split_sentences(transcript)]
    summary = {"sentences": len(texts), "embedded": 0, "seconds": 0.0, "load_seconds": None, "audio_level": False}
    if not texts:
        return summary  # nothing an analysis would rank: it reads neither
    skipped = []
    listening = Listening(source, float(transcript.duration), cache_dir) if source is not None else None
    try:
        try:
            embedder = embedder or get_embedder()
            was_loaded = embedder.loaded
            gen = sentence_vectors(texts, embedder, cache_dir)
            embedded = True
            while True:
                try:
                    p = next(gen)
                except StopIteration:
                    break
                embedded = embedded and p.message != FOUND
                yield Progress("indexing", p.done, p.total, p.message)
            summary["embedded"] = len(texts) if embedded else 0
            if embedded and not was_loaded and embedder.load_seconds is not None:
                summary["load_seconds"] = round(embedder.load_seconds, 3)
        except Cancelled:
            raise
        except Exception as e:  # noqa: BLE001 (NotFound, ProcessingFailed, onnxruntime's own: not the job's end)
            skipped.append(f"sentence vectors: {_reason(e)}")
        if listening is not None:
            try:
                yield from listening.wait()
                summary["audio_level"] = True
            except Cancelled:
                raise
            except Exception as e:  # noqa: BLE001 (a decode error, as an analysis would meet it later)
                skipped.append(f"audio level: {_reason(e)}")
    finally:
        if listening is not None:
            listening.stop()
    if skipped:
        summary["skipped"] = "; ".join(skipped)
    summary["seconds"] = round(time.perf_counter() - started, 3)
    return summary


def overall_fraction(p: Progress) -> float:
    """The stage's share done (0..1) at step ``p``."""
    if p.stage == "listening":
        return SENTENCES_SHARE + (1 - SENTENCES_SHARE) * p.fraction
    return SENTENCES_SHARE * p.fraction


def progress_message(p: Progress) -> str:
    if p.stage == "listening":
        return f"Indexing for Moments: the audio's level… {int(p.fraction * 100)}%"
    if p.message == FOUND:
        return "Sentences for Moments found indexed"
    return f"Indexing sentences for Moments… {int(p.done)} of {int(p.total)}"


def _reason(e: BaseException) -> str:
    return e.message if isinstance(e, FastClipError) else f"{type(e).__name__}: {e}"
