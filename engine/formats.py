"""The export formats and qualities of the FastClip API, as data."""

from __future__ import annotations

from dataclasses import dataclass

VIDEO_FORMATS = ("mp4", "gif")
AUDIO_FORMATS = ("mp3", "wav", "m4a", "flac")
FORMATS = ("mp4", "mp3", "wav", "m4a", "flac", "gif")
FORMAT_ALIASES = {"aac": "m4a"}

QUALITY_HEIGHTS = {"4k": 2160, "1080p": 1080, "720p": 720}

# Video codecs an MP4 takes as they are (a stream copy); others are re-encoded.
MP4_VIDEO_COPY = frozenset({"h264", "hevc", "av1", "vp9", "mpeg4"})

CUT_MODES = ("keyframe", "precise")  # keyframe: copied from the keyframe at or before; precise: frame-exact
QUALITY_ALIASES = {"high": "1080p", "medium": "720p", "2160p": "4k", "uhd": "4k"}


@dataclass(frozen=True, slots=True)
class OutputFormat:
    name: str  # canonical: mp4, mp3, wav, m4a, flac, gif
    muxer: str  # FFmpeg muxer
    extension: str
    audio_codec: str | None
    audio_options: dict
    has_video: bool


OUTPUT_FORMATS = {
    "mp4": OutputFormat("mp4", "mp4", "mp4", "aac", {"b": "192k"}, True),
    "gif": OutputFormat("gif", "gif", "gif", None, {}, True),
    # libmp3lame VBR quality 2 (~190 kb/s), what `-q:a 2` gives
    "mp3": OutputFormat("mp3", "mp3", "mp3", "libmp3lame", {"q": "2"}, False),
    "wav": OutputFormat("wav", "wav", "wav", "pcm_s16le", {}, False),
    "m4a": OutputFormat("m4a", "ipod", "m4a", "aac", {"b": "192k"}, False),
    "flac": OutputFormat("flac", "flac", "flac", "flac", {}, False),
}


def quality_name(height: int) -> str:
    """A picture height as the API names its quality: 2160 is "4k", others "1080p", "720p", "360p"."""
    if not height:
        return ""
    named = next((q for q, h in QUALITY_HEIGHTS.items() if h == height), None)
    return named or f"{height}p"


def canonical_format(name: str) -> str | None:
    n = name.strip().lower().lstrip(".")
    n = FORMAT_ALIASES.get(n, n)
    return n if n in OUTPUT_FORMATS else None


def canonical_quality(name: str) -> str | None:
    n = name.strip().lower()
    n = QUALITY_ALIASES.get(n, n)
    return n if n in QUALITY_HEIGHTS else None
